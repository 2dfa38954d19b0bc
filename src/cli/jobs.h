/*
 * What jobs.c and jobs_watch.c share: a job named on the command line.
 */
#ifndef FFRTMP_CLI_JOBS_H
#define FFRTMP_CLI_JOBS_H

#include <stddef.h>

#include "cli.h"

/*
 * The id of the job arg names: its id, or "#N" its tenant's job number
 * (ffrtmp.job_id, with --tenant), into id[len].  Needs the connection.
 * Returns CLI_OK, CLI_USAGE or CLI_REFUSED (printed).
 */
extern int	cli_job_id(cli_ctx *ctx, const cli_command *cmd, const char *arg, char *id, size_t len);

/*
 * Between two polls of a command that follows a job: ends the command's
 * transaction, sleeps, and opens the next one on the same connection
 * (cli_commit, cli_begin: the API key authenticated again).  So that a command that
 * runs for hours holds no transaction (nor its snapshot) open, and stops
 * at its next poll once its key is revoked.  Returns CLI_OK or the error's
 * exit code (printed).
 */
extern int	cli_jobs_pause(cli_ctx *ctx, unsigned int milliseconds);

/* The jobs group's subcommand of that name. */
extern const cli_command *cli_jobs_command(const char *name);

/* jobs watch (jobs_watch.c). */
extern int	cli_jobs_watch(cli_ctx *ctx, int argc, char **argv);

#endif							/* FFRTMP_CLI_JOBS_H */
