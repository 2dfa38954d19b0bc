/*
 * two_phase.c: COMMIT PREPARED wakes what a commit would have woken.
 *
 * A transaction that submits, queues, ends or frees a job wakes the
 * scheduler leader (wake.c) and the sessions in ffrtmp.wait_for_job
 * (job_waits.c) from its commit callback, and CREATE EXTENSION wakes the
 * launcher (launcher.c).  A prepared transaction (PREPARE TRANSACTION, as
 * a transaction manager uses it) has no commit callback of its own: its
 * changes become visible at COMMIT PREPARED, which may run in another
 * session, or after a restart, and knows nothing of what the prepared
 * transaction did.  So every COMMIT PREPARED that succeeds wakes all three.
 * Prepared transactions are rare (max_prepared_transactions is 0 by
 * default), and a needless wake costs one pass with nothing to do, one
 * re-read per waiter or one look at the databases; a job left for the timer
 * would wait up to ffrtmp.scheduler_interval.  ROLLBACK PREPARED wakes
 * nobody, like an abort.
 */
#include "ffrtmp.h"
#include "scheduler.h"

#include "nodes/parsenodes.h"
#include "tcop/utility.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

static void
wake_after_commit_prepared(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						   ProcessUtilityContext context, ParamListInfo params,
						   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);

	/* Here the prepared transaction has committed: its changes are visible. */
	if (IsA(stmt, TransactionStmt) && ((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)
	{
		ffrtmp_wake_scheduler_now();
		ffrtmp_job_waits_broadcast();
		ffrtmp_wake_launcher_now();
	}
}

void
ffrtmp_two_phase_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = wake_after_commit_prepared;
}
