/*
 * worker_main.c: ffrtmp-worker, the transcoding daemon.  Parses the
 * configuration, then hands over to the supervisor's loop.
 *
 * Exit status: 0 after a drain (or --once with its job completed), 1 on a
 * failure (or --once with its job not completed), 2 for a bad command line
 * or configuration file.
 */
#include "options.h"
#include "supervisor.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	WorkerOptions options;
	char		err[512];
	int			rc;

	rc = worker_parse_options(argc, argv, &options, stdout, err, sizeof(err));
	if (rc > 0)
		return 0;
	if (rc < 0)
	{
		fprintf(stderr, "ffrtmp-worker: %s\n", err);
		return 2;
	}
	return supervisor_run(&options, argc, argv);
}
