/*
 * metrics.c: the histograms and counters of ffrtmp.metrics() that would
 * otherwise scan growing tables (job_events, webhook_deliveries), kept in
 * shared memory: dispatch latency and job duration per queue, the scheduler's
 * pass duration, webhook deliveries by outcome.
 *
 * Job and delivery events are seen by row triggers (metrics_triggers.c)
 * inside the transaction that makes them, but counted only when it commits:
 * a rolled-back dispatch or a retried finish_job would otherwise count twice.
 * So a backend keeps its observations in a small list with the
 * subtransaction level that made them, drops those of an aborted
 * subtransaction, and at commit folds the rest into a delta of its own (per
 * family, queue and bucket) that it adds under the spinlock in one short
 * fixed-size step.
 *
 * A prepared transaction's observations are dropped: PREPARE TRANSACTION
 * ends the backend's transaction, and COMMIT PREPARED, maybe in another
 * session, runs no trigger; an extension cannot keep state in the
 * two-phase file, and counting at PREPARE would count a ROLLBACK PREPARED
 * (docs/metrics.md; max_prepared_transactions = 0 is the recommendation).  The
 * scheduler's pass duration is added directly, after its transaction.
 *
 * Buckets are fixed, chosen for video work (docs/metrics.md): a dispatch
 * takes from a fraction of a second (a pass with free nodes) to hours (a
 * tenant at its quota); a transcode from seconds (a short clip) to a day (a
 * live stream).  Counts start at zero with the server, like every
 * Prometheus counter.
 */
#include "ffrtmp.h"
#include "metrics.h"
#include "shmem.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/spin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#define MAX_BOUNDS 16
#define OUTCOMES 2

typedef struct HistogramSpec
{
	const char *name;			/* the metric family */
	bool		per_queue;
	int			nbounds;
	double		bounds[MAX_BOUNDS]; /* upper bounds in seconds, ascending; +Inf implied */
} HistogramSpec;

static const HistogramSpec specs[METRIC_HISTOGRAMS] = {
	[METRIC_DISPATCH_LATENCY] = {"ffrtmp_dispatch_latency_seconds", true, 12,
	{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}},
	[METRIC_JOB_DURATION] = {"ffrtmp_job_duration_seconds", true, 13,
	{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400}},
	[METRIC_PASS_DURATION] = {"ffrtmp_scheduler_pass_duration_seconds", false, 12,
	{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}},
};

/* The queues of jobs_queue_check, in dispatch order. */
static const char *const queues[QUEUES] = {"live", "default", "batch"};
static const char *const outcomes[OUTCOMES] = {"delivered", "failed"};

typedef struct Histogram
{
	int64		buckets[MAX_BOUNDS];	/* observations <= bound and > the one before */
	int64		count;
	double		sum;
} Histogram;

typedef struct MetricsShared
{
	slock_t		mutex;
	Histogram	histograms[METRIC_HISTOGRAMS][QUEUES];	/* [METRIC_PASS_DURATION][0] alone for no queue */
	int64		deliveries[OUTCOMES];
} MetricsShared;

/* One event seen in this transaction, counted at its commit. */
typedef struct Observation
{
	int			kind;			/* a MetricHistogram, or METRIC_HISTOGRAMS + an outcome */
	int			queue;
	double		seconds;
	int			level;			/* the subtransaction nesting level that saw it */
} Observation;

static MetricsShared *shared = NULL;
static Observation *pending = NULL; /* in TopTransactionContext */
static int	pending_count = 0;
static int	pending_size = 0;

static Size
shared_size(void)
{
	return sizeof(MetricsShared);
}

static void
init_shared(void)
{
	SpinLockInit(&shared->mutex);
}

/* Adds one observation to counts: the shared ones under the spinlock, or a transaction's delta. */
static void
add_observation(MetricsShared *counts, const Observation *o)
{
	Histogram  *h;
	int			b = 0;

	if (o->kind >= METRIC_HISTOGRAMS)
	{
		counts->deliveries[o->kind - METRIC_HISTOGRAMS]++;
		return;
	}
	h = &counts->histograms[o->kind][o->queue];
	while (b < specs[o->kind].nbounds && o->seconds > specs[o->kind].bounds[b])
		b++;
	if (b < specs[o->kind].nbounds)
		h->buckets[b]++;
	h->count++;
	h->sum += o->seconds;
}

/*
 * Adds a transaction's delta to the shared counts: a fixed number of
 * additions however many jobs the transaction ended (a bulk UPDATE of
 * 200,000 jobs holds the spinlock no longer than one job does).
 */
static void
merge_delta(const MetricsShared *delta)
{
	SpinLockAcquire(&shared->mutex);
	for (int k = 0; k < METRIC_HISTOGRAMS; k++)
		for (int q = 0; q < QUEUES; q++)
		{
			Histogram  *h = &shared->histograms[k][q];
			const Histogram *d = &delta->histograms[k][q];

			for (int b = 0; b < MAX_BOUNDS; b++)
				h->buckets[b] += d->buckets[b];
			h->count += d->count;
			h->sum += d->sum;
		}
	for (int o = 0; o < OUTCOMES; o++)
		shared->deliveries[o] += delta->deliveries[o];
	SpinLockRelease(&shared->mutex);
}

static void
forget_pending(void)
{
	pending = NULL;
	pending_count = 0;
	pending_size = 0;
}

static void
at_transaction_end(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT && pending_count > 0 && shared != NULL)
	{
		MetricsShared delta;

		memset(&delta, 0, sizeof(delta));
		for (int i = 0; i < pending_count; i++)
			add_observation(&delta, &pending[i]);
		merge_delta(&delta);
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
		forget_pending();
}

/* A subtransaction's events belong to its parent when it commits, to no one when it aborts. */
static void
at_subtransaction_end(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	int			kept = 0;

	if (event != SUBXACT_EVENT_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (int i = 0; i < pending_count; i++)
	{
		if (pending[i].level >= level)
		{
			if (event == SUBXACT_EVENT_ABORT_SUB)
				continue;
			pending[i].level = level - 1;
		}
		pending[kept++] = pending[i];
	}
	pending_count = kept;
}

void
ffrtmp_metrics_observe_at_commit(int kind, int queue, double seconds)
{
	if (pending_count == pending_size)
	{
		int			size = Max(16, pending_size * 2);

		pending = pending == NULL
			? MemoryContextAlloc(TopTransactionContext, sizeof(Observation) * size)
			: repalloc(pending, sizeof(Observation) * size);
		pending_size = size;
	}
	pending[pending_count].kind = kind;
	pending[pending_count].queue = queue;
	pending[pending_count].seconds = Max(seconds, 0);
	pending[pending_count].level = GetCurrentTransactionNestLevel();
	pending_count++;
}

void
ffrtmp_metrics_observe_pass(double seconds)
{
	Observation o = {.kind = METRIC_PASS_DURATION, .queue = 0, .seconds = Max(seconds, 0)};

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	add_observation(shared, &o);
	SpinLockRelease(&shared->mutex);
}

/* The index of a queue in the metrics' order, or -1 for none of them. */
int
ffrtmp_metrics_queue(const char *queue)
{
	for (int q = 0; q < QUEUES && queue != NULL; q++)
		if (strcmp(queue, queues[q]) == 0)
			return q;
	return -1;
}

/* Counts a webhook delivery that ended with outcome, when the transaction commits. */
void
ffrtmp_metrics_count_delivery_at_commit(const char *outcome)
{
	for (int o = 0; o < OUTCOMES; o++)
		if (strcmp(outcome, outcomes[o]) == 0)
			ffrtmp_metrics_observe_at_commit(METRIC_HISTOGRAMS + o, 0, 0);
}

void
ffrtmp_metrics_init(void)
{
	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = "ffrtmp metrics",
		.size = shared_size,
		.pointer = (void **) &shared,
		.init = init_shared,
	});
	RegisterXactCallback(at_transaction_end, NULL);
	RegisterSubXactCallback(at_subtransaction_end, NULL);
}

static Datum
float_array(const double *values, int count)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(count, 1));

	for (int i = 0; i < count; i++)
		datums[i] = Float8GetDatum(values[i]);
	return PointerGetDatum(construct_array(datums, count, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Every histogram, one row per family and queue: upper bounds (without
 * +Inf), cumulative counts for each, sum and count: the columns
 * postgres_exporter's HISTOGRAM usage reads, and the lines metrics() writes.
 */
PG_FUNCTION_INFO_V1(ffrtmp_metric_histograms);
Datum
ffrtmp_metric_histograms(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MetricsShared copy;

	InitMaterializedSRF(fcinfo, 0);
	SpinLockAcquire(&shared->mutex);
	copy = *shared;
	SpinLockRelease(&shared->mutex);
	for (int k = 0; k < METRIC_HISTOGRAMS; k++)
		for (int q = 0; q < (specs[k].per_queue ? QUEUES : 1); q++)
		{
			const Histogram *h = &copy.histograms[k][q];
			Datum		counts[MAX_BOUNDS];
			Datum		values[6];
			bool		nulls[6] = {false, !specs[k].per_queue, false, false, false, false};
			int64		cumulative = 0;

			for (int b = 0; b < specs[k].nbounds; b++)
			{
				cumulative += h->buckets[b];
				counts[b] = Int64GetDatum(cumulative);
			}
			values[0] = CStringGetTextDatum(specs[k].name);
			values[1] = specs[k].per_queue ? CStringGetTextDatum(queues[q]) : (Datum) 0;
			values[2] = float_array(specs[k].bounds, specs[k].nbounds);
			values[3] = PointerGetDatum(construct_array(counts, specs[k].nbounds, INT8OID, sizeof(int64),
														FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
			values[4] = Float8GetDatum(h->sum);
			values[5] = Int64GetDatum(h->count);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(ffrtmp_metric_webhook_deliveries);
Datum
ffrtmp_metric_webhook_deliveries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		counts[OUTCOMES];

	InitMaterializedSRF(fcinfo, 0);
	SpinLockAcquire(&shared->mutex);
	memcpy(counts, shared->deliveries, sizeof(counts));
	SpinLockRelease(&shared->mutex);
	for (int o = 0; o < OUTCOMES; o++)
	{
		Datum		values[2] = {CStringGetTextDatum(outcomes[o]), Int64GetDatum(counts[o])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
