/*
 * worker_main.c: ffrtmp-worker, the transcoding daemon.  Parses the
 * configuration, then hands over to the supervisor's loop.
 *
 * Exit statuses: see exit_status.h (and --help, docs/worker.md, the systemd
 * unit, which all list them).
 */
#include "exit_status.h"
#include "options.h"
#include "output_probe.h"
#include "supervisor.h"
#include "worker_log.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	WorkerOptions options;
	char		err[512];
	int			rc;

	output_json_round_doubles();
	rc = worker_parse_options(argc, argv, &options, stdout, err, sizeof(err));
	if (rc > 0)
		return 0;
	if (rc < 0)
	{
		fprintf(stderr, "ffrtmp-worker: %s\n", err);
		return WORKER_EXIT_USAGE;
	}
	worker_log_configure(options.log_level, options.log_format);
	return supervisor_run(&options, argc, argv);
}
