/*
 * metrics.h: the shared-memory histograms and counters of ffrtmp.metrics()
 * (metrics.c), for the triggers that see their events (metrics_triggers.c).
 */
#ifndef FFRTMP_METRICS_H
#define FFRTMP_METRICS_H

typedef enum MetricHistogram
{
	METRIC_DISPATCH_LATENCY,
	METRIC_JOB_DURATION,
	METRIC_PASS_DURATION,
	METRIC_HISTOGRAMS
} MetricHistogram;

/* The queues of jobs_queue_check, in dispatch order. */
#define QUEUES 3

/* The index of a queue (live, default, batch), or -1. */
extern int	ffrtmp_metrics_queue(const char *queue);

/* Observes seconds in a histogram (of a queue, 0 for none) when the transaction commits. */
extern void ffrtmp_metrics_observe_at_commit(int kind, int queue, double seconds);

/* Counts a webhook delivery that ended delivered or failed when the transaction commits. */
extern void ffrtmp_metrics_count_delivery_at_commit(const char *outcome);

#endif
