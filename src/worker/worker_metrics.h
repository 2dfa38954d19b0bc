/*
 * worker_metrics.h: what ffrtmp-worker's /metrics exports (the worker's part
 * of the metric catalogue, docs/worker.md "Metrics and probes"), and the
 * readiness /ready answers with.
 *
 * The supervisor's loop and the database session update them; the HTTP
 * server's thread reads them.  Before worker_metrics_init(), and when it
 * failed, every update is a no-op.
 */
#ifndef FFRTMP_WORKER_WORKER_METRICS_H
#define FFRTMP_WORKER_WORKER_METRICS_H

#include <stdint.h>

/* Creates the registry and its families; 0, or -1 when out of memory. */
extern int	worker_metrics_init(void);
extern void worker_metrics_free(void);

/* The exposition text, for the caller to free; NULL when out of memory. */
extern char *worker_metrics_render(void);

/* connected: both database connections are up; registered: and the node is registered (ready). */
extern void worker_metrics_session(int connected, int registered);

/* Whether /ready says 200: connected and registered.  Safe from any thread. */
extern int	worker_metrics_ready(void);

extern void worker_metrics_slots(int slots);

/* The running jobs: how many, their encode rates summed, their speeds' mean. */
extern void worker_metrics_running(int jobs, double fps_sum, double speed_mean);

/* Bytes read from inputs and written to outputs since the last call. */
extern void worker_metrics_bytes(int64_t input_bytes, int64_t output_bytes);

/*
 * An attempt ended: outcome as finish_job records it (completed, failed,
 * timed_out) or NULL when the database took it away (canceled, reassigned);
 * failure_reason its class when it did not complete.
 */
extern void worker_metrics_job_ended(const char *outcome, const char *failure_reason);

/* One statement's time from sending to the whole answer. */
extern void worker_metrics_round_trip(double seconds);

#endif
