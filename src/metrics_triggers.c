/*
 * metrics_triggers.c: where the events of ffrtmp.metrics()'s histograms and
 * counters happen.  Row triggers on jobs and webhook_deliveries
 * (sql/api/90_metrics.sql) see every state change, whichever path makes it
 * (the scheduler's dispatch, the worker's finish_job, a cancel, a timeout,
 * the delivery daemon, a webhook's backlog bound), and hand it to
 * metrics.c, which counts it when the transaction commits.
 */
#include "ffrtmp.h"
#include "metrics.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

static char *
text_column(TriggerData *trigger, HeapTuple row, const char *column, bool *isnull)
{
	TupleDesc	desc = RelationGetDescr(trigger->tg_relation);
	Datum		value = heap_getattr(row, SPI_fnumber(desc, column), desc, isnull);

	return *isnull ? NULL : TextDatumGetCString(value);
}

static TimestampTz
time_column(TriggerData *trigger, HeapTuple row, const char *column, bool *isnull)
{
	TupleDesc	desc = RelationGetDescr(trigger->tg_relation);
	Datum		value = heap_getattr(row, SPI_fnumber(desc, column), desc, isnull);

	return *isnull ? 0 : DatumGetTimestampTz(value);
}

static double
seconds_between(TimestampTz from, TimestampTz to)
{
	return (double) (to - from) / USECS_PER_SEC;
}

/*
 * Row trigger on jobs, after a state change: a queued job assigned observes
 * its dispatch latency (from when it became runnable, greatest(run_after,
 * updated_at): the time the scheduler's own queue order counts); a started
 * job reaching a final state observes its duration.
 */
PG_FUNCTION_INFO_V1(ffrtmp_observe_job_metrics);
Datum
ffrtmp_observe_job_metrics(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	HeapTuple	old_row;
	HeapTuple	new_row;
	bool		isnull;
	char	   *from;
	char	   *to;
	int			queue;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		elog(ERROR, "observe_job_metrics must be an UPDATE row trigger");
	old_row = trigger->tg_trigtuple;
	new_row = trigger->tg_newtuple;
	from = text_column(trigger, old_row, "state", &isnull);
	to = text_column(trigger, new_row, "state", &isnull);
	queue = ffrtmp_metrics_queue(text_column(trigger, new_row, "queue", &isnull));
	if (queue < 0 || from == NULL || to == NULL)
		return PointerGetDatum(NULL);
	if (strcmp(from, JOB_QUEUED) == 0 && strcmp(to, JOB_ASSIGNED) == 0)
	{
		TimestampTz run_after = time_column(trigger, old_row, "run_after", &isnull);
		TimestampTz updated_at = time_column(trigger, old_row, "updated_at", &isnull);

		ffrtmp_metrics_observe_at_commit(METRIC_DISPATCH_LATENCY, queue,
						  seconds_between(Max(run_after, updated_at), GetCurrentTimestamp()));
	}
	else if (job_state_is_final(to) && !job_state_is_final(from))
	{
		TimestampTz started_at = time_column(trigger, new_row, "started_at", &isnull);

		if (!isnull)
			ffrtmp_metrics_observe_at_commit(METRIC_JOB_DURATION, queue, seconds_between(started_at, GetCurrentTimestamp()));
	}
	return PointerGetDatum(NULL);
}

/*
 * Row trigger on webhook_deliveries, after an INSERT or an UPDATE of its
 * state: a delivery that ends delivered or failed (sent, given up, dropped at
 * the backlog's bound, or a deleted tenant's) counts once.
 */
PG_FUNCTION_INFO_V1(ffrtmp_observe_webhook_metrics);
Datum
ffrtmp_observe_webhook_metrics(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	HeapTuple	row;
	bool		isnull;
	char	   *before = NULL;
	char	   *after;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		elog(ERROR, "observe_webhook_metrics must be a row trigger");
	if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
	{
		before = text_column(trigger, trigger->tg_trigtuple, "delivery_state", &isnull);
		row = trigger->tg_newtuple;
	}
	else
		row = trigger->tg_trigtuple;
	after = text_column(trigger, row, "delivery_state", &isnull);
	if (after == NULL || (before != NULL && strcmp(before, after) == 0))
		return PointerGetDatum(NULL);
	ffrtmp_metrics_count_delivery_at_commit(after);
	return PointerGetDatum(NULL);
}
