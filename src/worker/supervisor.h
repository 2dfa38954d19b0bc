/*
 * supervisor.h: ffrtmp-worker's main loop: the database session, the jobs'
 * child processes, signals, and the timers between them.
 */
#ifndef FFRTMP_WORKER_SUPERVISOR_H
#define FFRTMP_WORKER_SUPERVISOR_H

#include "options.h"

/*
 * Runs the worker until it has drained (SIGTERM, SIGINT, or an
 * administrator's drain_node), or with --once until its one job has ended.
 * Takes over options (freed on return); argc and argv are parsed again on
 * SIGHUP.  Returns the process exit status.
 */
extern int	supervisor_run(WorkerOptions *options, int argc, char **argv);

#endif
