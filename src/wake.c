/*
 * wake.c: what wakes the scheduler leader before its timer.
 *
 * Work that becomes runnable, or capacity that frees, should be dispatched at
 * once, not at the next tick of ffrtmp.scheduler_interval.  No NOTIFY: a
 * transaction that made such a change marks itself, and when it commits its
 * backend sets the leader's latch through shared memory (an abort wakes
 * nobody; a commit before the change is visible would wake a pass that
 * cannot see it).  The places that mark a transaction:
 *
 * - submit_job and submit_jobs (jobs.c, submit_jobs.c): new queued work;
 * - every change of a job's state that frees a node slot (assigned, running
 *   or paused to any other state: finish_job, a failed or timed-out attempt,
 *   cancel, a heartbeat or a lost session ending an attempt, leave_node) or
 *   queues a job (release_job, retry_job): the trigger below, so that no
 *   path of the SQL API can forget it;
 * - register_node (nodes.c): a node joins or comes back online;
 * - update_tenant and restore_tenant (tenants.c): quotas and plans change;
 * - resume_dispatch (dispatch_pauses.c): a pause is lifted.
 *
 * A prepared transaction (PREPARE TRANSACTION) wakes nobody when it is
 * prepared, and COMMIT PREPARED wakes the leader whatever it commits
 * (two_phase.c).
 *
 * Wakes coalesce in the latch: however many commits set it while a pass
 * runs, the leader makes one more pass.  The leader's own passes (which
 * recover and time out attempts) wake nobody: they dispatch in that pass.
 */
#include "scheduler.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "utils/builtins.h"

#include "common/states.h"

static bool wake_at_commit = false;

/* Sets the leader's latch, unless this backend is the leader. */
void
ffrtmp_wake_scheduler_now(void)
{
	int			pgprocno;

	if (ffrtmp_shared == NULL)
		return;
	SpinLockAcquire(&ffrtmp_shared->mutex);
	pgprocno = ffrtmp_shared->leader_pgprocno;
	SpinLockRelease(&ffrtmp_shared->mutex);
	if (pgprocno != INVALID_PGPROCNO && (MyProc == NULL || pgprocno != MyProc->pgprocno))
		SetLatch(&ProcGlobal->allProcs[pgprocno].procLatch);
}

/*
 * Wakes the leader once the marked transaction has committed.  A prepared
 * one forgets the mark: its changes become visible at COMMIT PREPARED, in
 * whatever session runs it, which wakes the leader (two_phase.c).
 */
static void
wake_leader_at_commit(XactEvent event, void *arg)
{
	if (!wake_at_commit ||
		(event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE))
		return;
	wake_at_commit = false;
	if (event == XACT_EVENT_COMMIT)
		ffrtmp_wake_scheduler_now();
}

/* The one way to wake the leader: at this transaction's commit. */
void
ffrtmp_wake_scheduler_at_commit(void)
{
	wake_at_commit = true;
}

void
ffrtmp_wake_init(void)
{
	RegisterXactCallback(wake_leader_at_commit, NULL);
}

/* The state named by column attnum of tuple, or NULL. */
static const JobStateInfo *
state_of(HeapTuple tuple, TupleDesc desc, int attnum)
{
	bool		isnull;
	Datum		state = heap_getattr(tuple, attnum, desc, &isnull);

	return isnull ? NULL : job_state_find(TextDatumGetCString(state));
}

/*
 * AFTER UPDATE OF state trigger on jobs, for each changed row: a job that
 * leaves a node slot (a state that holds one to a state that does not) or
 * becomes queued marks the transaction.  Once marked, later rows cost a test.
 */
PG_FUNCTION_INFO_V1(ffrtmp_wake_scheduler_on_job_change);
Datum
ffrtmp_wake_scheduler_on_job_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	const JobStateInfo *from;
	const JobStateInfo *to;
	int			attnum;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_UPDATE(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		elog(ERROR, "wake_scheduler_on_job_change must be an AFTER UPDATE FOR EACH ROW trigger");
	if (wake_at_commit)
		return PointerGetDatum(NULL);
	attnum = SPI_fnumber(trigger->tg_relation->rd_att, "state");
	from = state_of(trigger->tg_trigtuple, trigger->tg_relation->rd_att, attnum);
	to = state_of(trigger->tg_newtuple, trigger->tg_relation->rd_att, attnum);
	if (to != NULL && (strcmp(to->name, JOB_QUEUED) == 0 || (from != NULL && from->holds_node && !to->holds_node)))
		ffrtmp_wake_scheduler_at_commit();
	return PointerGetDatum(NULL);
}
