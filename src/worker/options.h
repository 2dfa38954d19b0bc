/*
 * options.h: ffrtmp-worker's command line.
 */
#ifndef FFRTMP_WORKER_OPTIONS_H
#define FFRTMP_WORKER_OPTIONS_H

#include <stdio.h>

#define WORKER_MAX_ROOTS 16
#define WORKER_MAX_LABELS 16

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
} WorkerOptions;

/*
 * Parses argv.  Returns 0 when the worker should run, 1 when --help or
 * --version was asked for (and printed to out), -1 with a message in err.
 */
extern int	worker_parse_options(int argc, char **argv, WorkerOptions *options, FILE *out,
								 char *err, size_t errlen);

/* Parses "500ms", "5s", "2m", "1h" or a bare number of seconds; -1 if invalid. */
extern int	worker_parse_duration_ms(const char *text);

extern void worker_usage(FILE *out);

#endif
