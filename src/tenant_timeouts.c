/*
 * tenant_timeouts.c: a tenant cannot hold a statement or an idle transaction
 * open for long.
 *
 * A transaction a tenant keeps open holds its row locks, which the
 * scheduler and the workers may need, and its snapshot, which holds back
 * VACUUM for every tenant.  So a tenant principal (a role with the
 * privileges of ffrtmp_tenant that is not an administrator) runs every
 * statement under a statement_timeout and an
 * idle_in_transaction_session_timeout no longer than
 * ffrtmp.tenant_statement_timeout and ffrtmp.tenant_idle_in_transaction_timeout
 * (0 turns a cap off).  Its own smaller settings still apply.
 *
 * Role settings cannot do this (ALTER ROLE ffrtmp_tenant SET reaches only
 * that role's own logins, never its members), and the variables are
 * PGC_USERSET, so the caps are applied here, transaction-locally, at the
 * start and end of every statement: ExecutorStart and ExecutorEnd (which
 * also see queries run inside functions) and around every utility
 * statement.  A tenant's SET, SET LOCAL or set_config() therefore lasts at
 * most until the end of the statement that made it, and the value in force
 * when the backend goes idle in a transaction is always capped.  The
 * current statement's timer was armed before any of this ran, so it is
 * re-armed when the cap ends sooner.
 *
 * Everyone else (administrators, the scheduler, workers' node roles that are
 * not mapped) pays one cached comparison per statement.
 */
#include "ffrtmp.h"

#include <limits.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

static int	tenant_statement_timeout = 30000;
static int	tenant_idle_timeout = 60000;

static ExecutorStart_hook_type prev_executor_start;
static ExecutorEnd_hook_type prev_executor_end;
static ProcessUtility_hook_type prev_process_utility;

/* Whether the last outer user seen is a tenant principal; reset by role changes. */
static bool principal_known = false;
static Oid	principal_user = InvalidOid;
static bool principal_is_tenant = false;

static void
forget_principal(Datum arg, int cacheid, uint32 hashvalue)
{
	principal_known = false;
}

static bool
is_tenant_principal(void)
{
	Oid			user = GetOuterUserId();

	if (!principal_known || user != principal_user)
	{
		Oid			tenant_role = get_role_oid("ffrtmp_tenant", true);
		Oid			admin_role = get_role_oid("ffrtmp_admin", true);

		principal_is_tenant = OidIsValid(tenant_role) && !superuser_arg(user) &&
			has_privs_of_role(user, tenant_role) &&
			!(OidIsValid(admin_role) && has_privs_of_role(user, admin_role));
		principal_user = user;
		principal_known = true;
	}
	return principal_is_tenant;
}

/* Sets name to cap_ms for the rest of the transaction if it is off or longer. */
static void
cap_setting(const char *name, int current_ms, int cap_ms)
{
	char		value[32];

	if (cap_ms <= 0 || (current_ms > 0 && current_ms <= cap_ms))
		return;
	snprintf(value, sizeof(value), "%d", cap_ms);
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

/*
 * A statement past its cap is canceled, but a tenant's PL/pgSQL can catch
 * the cancellation and go on, keeping its locks and its snapshot.  So the
 * statement also has a hard deadline, at twice the cap from its start: a
 * timer of our own that ends the session (as pg_terminate_backend does; a
 * FATAL cannot be caught) if that same statement is still running then.
 */
static TimeoutId deadline_timeout;
static bool deadline_registered = false;
static TimestampTz deadline_statement = 0;	/* start of the statement it guards */

static void
statement_deadline_passed(void)
{
	volatile PgBackendStatus *entry = MyBEEntry;

	/* A signal handler: only flags, as die() sets them. */
	if (entry != NULL && entry->st_state == STATE_RUNNING &&
		entry->st_activity_start_timestamp == deadline_statement)
	{
		ProcDiePending = true;
		InterruptPending = true;
	}
}

/*
 * The statement now running had its timer armed (or not) from the setting
 * in force when it began; it is canceled no later than cap_ms after it
 * began.  A query it starts after that moment means it caught the
 * cancellation: the session ends.  One that catches it and runs no further
 * query is ended by the deadline timer at twice the cap.  A statement timer
 * that already ends sooner is left alone.
 */
static void
cap_running_statement(int cap_ms)
{
	TimestampTz started = GetCurrentStatementStartTimestamp();
	TimestampTz cap_end;

	if (cap_ms <= 0)
		return;
	cap_end = TimestampTzPlusMilliseconds(started, cap_ms);
	/* Still running past the cap: its cancellation was caught.  No second chance. */
	if (GetCurrentTimestamp() >= cap_end)
		ereport(FATAL,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("terminating connection because a tenant statement outran ffrtmp.tenant_statement_timeout"),
				 errdetail("The statement caught its cancellation and went on."),
				 errhint("Keep tenant statements under %d ms, or ask a superuser to raise the cap for this role.",
						 cap_ms)));
	if (!get_timeout_active(STATEMENT_TIMEOUT) || get_timeout_finish_time(STATEMENT_TIMEOUT) > cap_end)
		enable_timeout_at(STATEMENT_TIMEOUT, cap_end);

	if (!deadline_registered)
	{
		deadline_timeout = RegisterTimeout(USER_TIMEOUT, statement_deadline_passed);
		deadline_registered = true;
	}
	if (deadline_statement != started || !get_timeout_active(deadline_timeout))
	{
		deadline_statement = started;
		enable_timeout_at(deadline_timeout, TimestampTzPlusMilliseconds(cap_end, cap_ms));
	}
}

static void
apply_caps(bool statement_starts)
{
	if (tenant_statement_timeout <= 0 && tenant_idle_timeout <= 0)
		return;
	/* No catalog access in an aborted transaction, no SET in parallel mode. */
	if (!IsTransactionState() || IsInParallelMode() || IsParallelWorker())
		return;
	if (!is_tenant_principal())
		return;
	cap_setting("statement_timeout", StatementTimeout, tenant_statement_timeout);
	cap_setting("idle_in_transaction_session_timeout", IdleInTransactionSessionTimeout,
				tenant_idle_timeout);
	if (statement_starts)
		cap_running_statement(tenant_statement_timeout);
}

static void
caps_at_executor_start(QueryDesc *queryDesc, int eflags)
{
	apply_caps(true);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
caps_at_executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	apply_caps(false);
}

static void
caps_around_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					ProcessUtilityContext context, ParamListInfo params,
					QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	apply_caps(true);
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	apply_caps(false);
}

void
ffrtmp_timeouts_init(void)
{
	DefineCustomIntVariable("ffrtmp.tenant_statement_timeout",
							"Longest statement a tenant principal may run.",
							"Caps statement_timeout for roles with the privileges of ffrtmp_tenant that are not administrators; 0 turns the cap off.",
							&tenant_statement_timeout, 30000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.tenant_idle_in_transaction_timeout",
							"Longest a tenant principal may stay idle in an open transaction.",
							"Caps idle_in_transaction_session_timeout for roles with the privileges of ffrtmp_tenant that are not administrators; the session is ended, releasing its locks and snapshot. 0 turns the cap off.",
							&tenant_idle_timeout, 60000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS, NULL, NULL, NULL);

	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, forget_principal, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, forget_principal, (Datum) 0);

	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = caps_at_executor_start;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = caps_at_executor_end;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = caps_around_utility;
}
