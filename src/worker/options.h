/*
 * options.h: ffrtmp-worker's configuration: the command line and an optional
 * configuration file (--config) of "key = value" lines using the long option
 * names.  The command line wins over the file, so that a one-off override
 * needs no edit; SIGHUP parses both again (see supervisor.c for what a
 * reload may change).
 */
#ifndef FFRTMP_WORKER_OPTIONS_H
#define FFRTMP_WORKER_OPTIONS_H

#include "worker_log.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define WORKER_MAX_ROOTS 16
#define WORKER_MAX_LABELS 16
#define WORKER_MAX_ALLOW 64

typedef struct WorkerOptions
{
	const char *conninfo;		/* libpq connection string; NULL: PG* environment */
	const char *name;			/* node name; NULL: the host name */
	const char *tenant;			/* dedicated to this tenant; NULL: shared pool */
	int			slots;			/* jobs at once */
	int			poll_ms;		/* fetch assigned jobs at least this often */
	int			heartbeat_ms;	/* heartbeat this often */
	int			grace_ms;		/* on SIGTERM, running jobs get this long */
	int			once;			/* run one job, then exit */
	const char *input_roots[WORKER_MAX_ROOTS];
	int			ninput_roots;
	const char *output_root;
	const char *labels[WORKER_MAX_LABELS];	/* "key=value" */
	int			nlabels;

	/* Per-job limits, applied to each job's child process; 0 means none. */
	int64_t		job_memory_bytes;	/* RLIMIT_AS */
	int			job_cpu_seconds;	/* RLIMIT_CPU */
	int64_t		max_output_bytes;	/* RLIMIT_FSIZE */
	int			io_timeout_ms;	/* a silent network input or output fails the job */

	/* What the network policy opens to jobs (CIDRs, host names); see net_guard.h. */
	const char *allow_network[WORKER_MAX_ALLOW];
	int			nallow_network;

	/* The worker's own log on stderr (worker_log.h). */
	WorkerLogLevel log_level;
	WorkerLogFormat log_format;

	/* --listen: where /metrics, /health and /ready are served; NULL: nowhere. */
	const char *listen;
	struct sockaddr_storage listen_address;
	socklen_t	listen_address_len;

	const char *config_file;	/* --config; NULL when none */
	char	   *config_text;	/* the file's text; string options may point into it */
} WorkerOptions;

/*
 * Parses argv, and the --config file when one is named.  Returns 0 when the
 * worker should run, 1 when --help or --version was asked for (and printed
 * to out), -1 with a message in err.  Release with worker_free_options().
 */
extern int	worker_parse_options(int argc, char **argv, WorkerOptions *options, FILE *out,
								 char *err, size_t errlen);

extern void worker_free_options(WorkerOptions *options);

/*
 * Which setting that a reload cannot apply differs between old and new
 * ("name", "tenant", "conninfo", "listen"), or NULL when none does.
 */
extern const char *worker_options_restart_needed(const WorkerOptions *old, const WorkerOptions *new);

/* Parses "500ms", "5s", "2m", "1h" or a bare number of seconds; -1 if invalid. */
extern int	worker_parse_duration_ms(const char *text);

/* Parses "512M", "8G", "64k", "1T" (powers of 1024) or bytes; -1 if invalid. */
extern int64_t worker_parse_size(const char *text);

/*
 * Parses --listen's "IPv4:PORT" or "[IPv6]:PORT" (literal addresses: the
 * socket is bound before any name could be resolved); 0, or -1 if invalid.
 */
extern int	worker_parse_listen(const char *text, struct sockaddr_storage *address, socklen_t *len);

extern void worker_usage(FILE *out);

#endif
