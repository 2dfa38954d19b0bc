/*
 * job_waits.c: ffrtmp.wait_for_job, waiting in SQL for a job to end.
 *
 * A waiter sleeps on one condition variable in shared memory.  A trigger on
 * jobs marks a transaction that moves a job to a final state (job_states
 * with no is_active: common/states.c), and when that transaction commits the
 * backend broadcasts; every waiter then reads its own job again, with a new
 * snapshot, and goes back to sleep unless the job has ended.  A broadcast
 * before commit would wake waiters that cannot see the change yet, so it is
 * sent from the commit callback (or, for a prepared transaction, by COMMIT
 * PREPARED: two_phase.c).  Nothing polls: a waiter also wakes once a
 * second, as a guard against a wakeup lost with a crashed backend, and on
 * cancel, which the sleep checks; it returns just before statement_timeout.
 *
 * Each check needs a snapshot of its own, which READ COMMITTED gives every
 * statement; under REPEATABLE READ or SERIALIZABLE the transaction's one
 * snapshot would never show the change, so wait_for_job refuses to wait
 * there.  A waiting statement holds back the xmin horizon (vacuum) like any
 * long statement, which is why the timeout is bounded.
 */
#include "ffrtmp.h"
#include "jobs.h"
#include "shmem.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/condition_variable.h"
#include "utils/builtins.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

/* The longest wait_for_job waits, and the default (sql/api/55_job_api.sql says it too). */
#define WAIT_MAX_SECONDS 600
/* A waiter re-reads its job at least this often, whatever wakes it. */
#define WAIT_RECHECK_MS 1000
/* A wait ends this long before the statement's statement_timeout would. */
#define WAIT_TIMEOUT_MARGIN_MS 250

typedef struct JobWaitsShared
{
	ConditionVariable job_ended;
} JobWaitsShared;

static JobWaitsShared *waits = NULL;
static bool broadcast_at_commit = false;

static Size
waits_size(void)
{
	return sizeof(JobWaitsShared);
}

static void
init_waits(void)
{
	ConditionVariableInit(&waits->job_ended);
}

/* Wakes every waiter: each reads its own job again. */
void
ffrtmp_job_waits_broadcast(void)
{
	if (waits != NULL)
		ConditionVariableBroadcast(&waits->job_ended);
}

/*
 * Broadcasts once the marked transaction has committed.  A prepared one
 * forgets the mark: COMMIT PREPARED broadcasts (two_phase.c).
 */
static void
broadcast_after_commit(XactEvent event, void *arg)
{
	if (!broadcast_at_commit ||
		(event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE))
		return;
	broadcast_at_commit = false;
	if (event == XACT_EVENT_COMMIT)
		ffrtmp_job_waits_broadcast();
}

void
ffrtmp_job_waits_init(void)
{
	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = "ffrtmp job waits",
		.size = waits_size,
		.pointer = (void **) &waits,
		.init = init_waits,
	});
	RegisterXactCallback(broadcast_after_commit, NULL);
}

/* AFTER UPDATE trigger on jobs (when the state changes): a final state wakes the waiters at commit. */
PG_FUNCTION_INFO_V1(ffrtmp_wake_job_waiters);
Datum
ffrtmp_wake_job_waiters(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	bool		isnull;
	Datum		state;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		elog(ERROR, "wake_job_waiters must be an AFTER UPDATE FOR EACH ROW trigger");
	state = heap_getattr(trigger->tg_newtuple,
						 SPI_fnumber(trigger->tg_relation->rd_att, "state"),
						 trigger->tg_relation->rd_att, &isnull);
	if (!isnull && job_state_is_final(TextDatumGetCString(state)))
		broadcast_at_commit = true;
	return PointerGetDatum(NULL);
}

/* Whether the job has ended, read with a new snapshot; raises when the caller cannot see it. */
static bool
job_has_ended(int64 id)
{
	static KeptQuery ended = {
		.sql = "SELECT NOT s.is_active FROM ffrtmp_data.jobs j"
		"  JOIN ffrtmp_data.job_states s ON s.state = j.state WHERE j.id = $1",
		.nargs = 1, .argtypes = {INT8OID},
	};
	Datum		arg = Int64GetDatum(id);
	bool		isnull;

	ffrtmp_run(&ended, &arg, NULL);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("job %lld does not exist", (long long) id),
				 errhint("SELECT id, state FROM ffrtmp.jobs lists the jobs you can see.")));
	return DatumGetBool(ffrtmp_get_datum(1, &isnull));
}

/* The timeout in microseconds, within 0 .. WAIT_MAX_SECONDS. */
static int64
wait_usecs(FunctionCallInfo fcinfo)
{
	Interval   *timeout;
	int64		usecs;

	if (PG_ARGISNULL(1))
		return (int64) 60 * USECS_PER_SEC;
	timeout = PG_GETARG_INTERVAL_P(1);
	/* (Months and days are far past the bound; they are not added, so nothing overflows.) */
	usecs = timeout->time;
	if (timeout->time < 0 || timeout->day != 0 || timeout->month != 0 ||
		usecs > (int64) WAIT_MAX_SECONDS * USECS_PER_SEC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be between 0 and %d seconds", WAIT_MAX_SECONDS),
				 errhint("Wait at most %d seconds per call, and call again while the job is still active.",
						 WAIT_MAX_SECONDS)));
	return usecs;
}

/*
 * When the wait ends: at deadline, or just before statement_timeout would
 * end the statement, so that the caller gets the job as it is, as a timeout
 * gives it.  Tenant roles run under a statement_timeout
 * (ffrtmp.tenant_statement_timeout, 30 s by default) that would otherwise
 * turn every longer wait into an error.  The timer is read, not the setting:
 * the tenant cap may arm it sooner, once the statement has acted for a tenant.
 */
static TimestampTz
wait_end(TimestampTz deadline)
{
	if (get_timeout_active(STATEMENT_TIMEOUT))
		return Min(deadline, TimestampTzPlusMilliseconds(get_timeout_finish_time(STATEMENT_TIMEOUT),
														 -WAIT_TIMEOUT_MARGIN_MS));
	return deadline;
}

PG_FUNCTION_INFO_V1(ffrtmp_wait_for_job);
Datum
ffrtmp_wait_for_job(PG_FUNCTION_ARGS)
{
	int64		id;
	TimestampTz deadline;

	ffrtmp_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_INT64(0);
	deadline = GetCurrentTimestamp() + wait_usecs(fcinfo);
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("wait_for_job cannot wait in a %s transaction",
						IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
				 errdetail("The transaction's one snapshot would never show the job ending."),
				 errhint("Call it in a READ COMMITTED transaction (the default), or on its own.")));
	SPI_connect();

	/* On the wait list before the first look: a commit after it wakes us. */
	ConditionVariablePrepareToSleep(&waits->job_ended);
	for (;;)
	{
		long		left_ms;

		if (job_has_ended(id))
			break;
		left_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wait_end(deadline));
		if (left_ms <= 0)
			break;
		(void) ConditionVariableTimedSleep(&waits->job_ended, Min(left_ms, WAIT_RECHECK_MS),
										   PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	PG_RETURN_DATUM(ffrtmp_return_job(fcinfo, id));
}
