/*
 * metrics.h: a registry of counters, gauges and histograms, rendered in
 * Prometheus's text exposition format, version 0.0.4.
 *
 * A family has a name, a help text, a type and at most one label; each
 * distinct value of that label is one series.  Families render in the order
 * they were added, series in the order they first appeared.  Every call
 * takes the registry's mutex, so one thread (the worker's main loop) can
 * update while another (the HTTP server's) renders.
 */
#ifndef FFRTMP_WORKER_METRICS_H
#define FFRTMP_WORKER_METRICS_H

typedef enum MetricType
{
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM
} MetricType;

typedef struct MetricRegistry MetricRegistry;

#define METRIC_MAX_FAMILIES 32
#define METRIC_MAX_SERIES 64	/* per family: label values beyond are dropped */
#define METRIC_MAX_BUCKETS 16

extern MetricRegistry *metric_registry_new(void);
extern void metric_registry_free(MetricRegistry *registry);

/*
 * Adds a family and returns its id, or -1 (full, or a bad bucket list).
 * label: the label's name, or NULL for a family of one series, which then
 * exists (at 0) from now on.  bounds: a histogram's upper bounds, strictly
 * increasing, without +Inf (added when rendering); NULL otherwise.
 */
extern int	metric_family_add(MetricRegistry *registry, const char *name, const char *help,
							  MetricType type, const char *label, const double *bounds, int nbounds);

/*
 * label_value: the series' label value (NULL for a family without a label).
 * metric_add adds to a counter (delta >= 0) or a gauge; metric_set sets a
 * gauge; metric_observe records one observation in a histogram.  A call
 * that does not fit the family's type is ignored.
 */
extern void metric_add(MetricRegistry *registry, int family, const char *label_value, double delta);
extern void metric_set(MetricRegistry *registry, int family, const char *label_value, double value);
extern void metric_observe(MetricRegistry *registry, int family, const char *label_value, double value);

/* Creates a labelled series at 0, so that it is exported before anything happens to it. */
extern void metric_touch(MetricRegistry *registry, int family, const char *label_value);

/* The whole registry as text, for the caller to free; NULL when out of memory. */
extern char *metric_registry_render(MetricRegistry *registry);

#endif
