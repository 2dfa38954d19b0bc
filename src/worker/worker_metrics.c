/*
 * worker_metrics.c: the worker's metric families (see worker_metrics.h).
 *
 * Names follow Prometheus's conventions: base units, _total for counters,
 * one ffrtmp_worker_ prefix.  Nothing here carries a job's URL, a tenant or
 * a path, so /metrics can be scraped by anyone who can reach it without
 * telling them what runs.
 */
#include "worker_metrics.h"

#include "metrics.h"
#include "../common/failure_reasons.h"
#include "../common/states.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

static MetricRegistry *registry;
static atomic_int ready;

static int	m_up,
			m_connected,
			m_slots,
			m_running,
			m_fps,
			m_speed,
			m_input,
			m_output,
			m_finished,
			m_failures,
			m_round_trip;

/* Database calls take milliseconds; a lock wait or a failover, seconds. */
static const double round_trip_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

static int
add(const char *name, const char *help, MetricType type, const char *label)
{
	return metric_family_add(registry, name, help, type, label, NULL, 0);
}

int
worker_metrics_init(void)
{
	if (registry != NULL)
		return 0;
	if ((registry = metric_registry_new()) == NULL)
		return -1;
	m_up = add("ffrtmp_worker_up", "1 while the worker process serves.", METRIC_GAUGE, NULL);
	m_connected = add("ffrtmp_worker_connected", "1 while the worker's database session is up.",
					  METRIC_GAUGE, NULL);
	m_slots = add("ffrtmp_worker_slots", "Jobs the worker runs at once (--slots).", METRIC_GAUGE, NULL);
	m_running = add("ffrtmp_worker_running_jobs", "Jobs whose processes run now.", METRIC_GAUGE, NULL);
	m_fps = add("ffrtmp_worker_encode_frames_per_second",
				"Frames encoded per second of wall time, summed over the running jobs.", METRIC_GAUGE, NULL);
	m_speed = add("ffrtmp_worker_encode_speed_ratio",
				  "Media seconds per wall second, the mean over the running jobs (1 = real time).",
				  METRIC_GAUGE, NULL);
	m_input = add("ffrtmp_worker_input_bytes_total", "Bytes of media read from jobs' inputs.",
				  METRIC_COUNTER, NULL);
	m_output = add("ffrtmp_worker_output_bytes_total", "Bytes of media written to jobs' outputs.",
				   METRIC_COUNTER, NULL);
	m_finished = add("ffrtmp_worker_jobs_finished_total",
					 "Job attempts ended on this worker, by how: completed, failed (timed out included), "
					 "or canceled (the database took the attempt away).", METRIC_COUNTER, "state");
	m_failures = add("ffrtmp_worker_job_failures_total",
					 "Job attempts that failed on this worker, by failure class.", METRIC_COUNTER, "class");
	m_round_trip = metric_family_add(registry, "ffrtmp_worker_database_round_trip_seconds",
									 "Time from sending a statement to the database to its whole answer.",
									 METRIC_HISTOGRAM, NULL, round_trip_bounds,
									 (int) (sizeof(round_trip_bounds) / sizeof(round_trip_bounds[0])));
	if (m_up < 0 || m_connected < 0 || m_slots < 0 || m_running < 0 || m_fps < 0 || m_speed < 0 ||
		m_input < 0 || m_output < 0 || m_finished < 0 || m_failures < 0 || m_round_trip < 0)
	{
		worker_metrics_free();
		return -1;
	}
	metric_set(registry, m_up, NULL, 1);
	/* Every label value known in advance exists from the start: a rate needs its zero. */
	metric_touch(registry, m_finished, JOB_COMPLETED);
	metric_touch(registry, m_finished, JOB_FAILED);
	metric_touch(registry, m_finished, JOB_CANCELED);
	for (int i = 0; i < FAILURE_REASON_COUNT; i++)
		metric_touch(registry, m_failures, failure_reason_name((FailureReason) i));
	return 0;
}

void
worker_metrics_free(void)
{
	metric_registry_free(registry);
	registry = NULL;
}

char *
worker_metrics_render(void)
{
	return registry ? metric_registry_render(registry) : NULL;
}

void
worker_metrics_session(int connected, int registered)
{
	atomic_store(&ready, connected && registered);
	if (registry)
		metric_set(registry, m_connected, NULL, connected ? 1 : 0);
}

int
worker_metrics_ready(void)
{
	return atomic_load(&ready);
}

void
worker_metrics_slots(int slots)
{
	if (registry)
		metric_set(registry, m_slots, NULL, slots);
}

void
worker_metrics_running(int jobs, double fps_sum, double speed_mean)
{
	if (registry == NULL)
		return;
	metric_set(registry, m_running, NULL, jobs);
	metric_set(registry, m_fps, NULL, fps_sum);
	metric_set(registry, m_speed, NULL, speed_mean);
}

void
worker_metrics_bytes(int64_t input_bytes, int64_t output_bytes)
{
	if (registry == NULL)
		return;
	if (input_bytes > 0)
		metric_add(registry, m_input, NULL, (double) input_bytes);
	if (output_bytes > 0)
		metric_add(registry, m_output, NULL, (double) output_bytes);
}

void
worker_metrics_job_ended(const char *outcome, const char *failure_reason)
{
	if (registry == NULL)
		return;
	if (outcome == NULL)
		metric_add(registry, m_finished, JOB_CANCELED, 1);
	else if (strcmp(outcome, JOB_COMPLETED) == 0)
		metric_add(registry, m_finished, JOB_COMPLETED, 1);
	else
	{
		metric_add(registry, m_finished, JOB_FAILED, 1);
		/* Only the classes the database knows: a label's values stay a bounded set. */
		if (failure_reason != NULL && failure_reason_find(failure_reason) >= 0)
			metric_add(registry, m_failures, failure_reason, 1);
	}
}

void
worker_metrics_round_trip(double seconds)
{
	if (registry)
		metric_observe(registry, m_round_trip, NULL, seconds);
}
