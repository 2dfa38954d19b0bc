/*
 * log_refusals.c: expected refusals of ffrtmp's API stay out of the server
 * log (ffrtmp.log_refusals = off, the default).
 *
 * A tenant over its quota, asking for a job that is not there or for what
 * its role may not do gets an error, which PostgreSQL writes to the server
 * log at level ERROR like any other: a busy or misbehaving client would bury
 * the errors an operator must see.  The client still gets every error; the
 * audit log keeps the refusals that matter (audit_refusals.c), and the
 * metrics count requests and refusals.
 *
 * An error is left out of the server log when both hold:
 * - it leaves ffrtmp's API: an API function's call (permission_hook.c's
 *   START refusal and outermost ABORT), or a REST request's statement
 *   (rest_errors.c); those places call ffrtmp_log_refusals_note(), inside
 *   their PG_CATCH, while the error is still on the error stack;
 * - it is a refusal, by its SQLSTATE: one of the contract's (common/
 *   sqlstates.c) raised by the API with a 4xx HTTP status (not found,
 *   blocked, conflict, quota, invalid argument, permission, credential), or
 *   PostgREST's PGRST whose detail carries a 4xx status (a wrong API key,
 *   the request rate limit, a 42501 translated for PostgREST).
 * - ffrtmp raised it: a SQLSTATE of ffrtmp's own (class PT, PGRST), or
 *   ffrtmp's C code (its messages have the text domain "ffrtmp", the
 *   Makefile's TEXTDOMAIN), or a RAISE of PL/pgSQL (the API's functions:
 *   nothing else runs inside an API call).  PostgreSQL's own errors that
 *   happen to share a contract SQLSTATE ("permission denied for table jobs"
 *   after a lost grant, an invalid input syntax, a null value) are internal
 *   errors the operator must see: they are logged.
 * A refusal kept out of the log is counted per tenant and SQLSTATE
 * (refusal_counts.c, ffrtmp_tenant_api_refusals_total): a tenant probing
 * other tenants' job ids still shows; an administrator's refusals count
 * apart, whichever tenant its call named.
 * Everything else is logged as ever: internal errors (XX000), resources
 * (53), cancellations and shutdowns (57), system errors (58), serialization
 * failures, every SQLSTATE outside the contract, and the refusals of the
 * worker's own calls (start_job, finish_job...: they declare no permission,
 * so no hook watches them; they are rare and show a race worth seeing).
 *
 * The note is kept for the error's report only: the next ERROR reported,
 * and the end or rollback of the (sub)transaction (a PL/pgSQL handler that
 * caught the error) forget it, so that it never hides a later error.
 * PostgreSQL reports a statement's error before it aborts the transaction.
 */
#include "ffrtmp.h"

#include <ctype.h>

#include "access/xact.h"
#include "utils/elog.h"
#include "utils/guc.h"

static bool log_refusals = false;
static emit_log_hook_type next_emit_log_hook = NULL;

/* The SQLSTATE of the error leaving the API now, when it is a refusal; 0: none. */
static int	noted_refusal = 0;

/* Who the caller was when the refusal was noted, and its tenant if a tenant's. */
static FfrtmpCachedCaller noted_caller = CACHED_CALLER_UNKNOWN;
static pg_uuid_t noted_tenant;

/* One of the contract's SQLSTATEs the API raises with a 4xx status. */
static bool
contract_refusal(int code)
{
	for (int i = 0; i < SQLSTATE_COUNT; i++)
	{
		const SqlstateInfo *s = &sqlstates[i];

		if (s->raised_by_api && s->http >= 400 && s->http < 500 && strlen(s->code) == 5 &&
			code == MAKE_SQLSTATE(s->code[0], s->code[1], s->code[2], s->code[3], s->code[4]))
			return true;
	}
	return false;
}

/* PostgREST's form, {"status": 4xx, ...} as its detail (rest_errors.c, api_requests.c, pre_request). */
static bool
postgrest_refusal(int code, const char *detail)
{
	const char *status;

	if (code != ERRCODE_POSTGREST_RAISE || detail == NULL || (status = strstr(detail, "\"status\"")) == NULL)
		return false;
	status += strlen("\"status\"");
	while (*status == ' ' || *status == ':')
		status++;
	return status[0] == '4' && isdigit((unsigned char) status[1]) && isdigit((unsigned char) status[2]) &&
		!isdigit((unsigned char) status[3]);
}

/*
 * Called inside a PG_CATCH where an error leaves ffrtmp's API.  Reads the
 * error stack only: safe while an error unwinds.
 */
void
ffrtmp_log_refusals_note(void)
{
	int			code = geterrcode();

	/* A PGRST's status is read when it is reported: its detail is not at hand here. */
	noted_refusal = contract_refusal(code) || code == ERRCODE_POSTGREST_RAISE ? code : 0;
	noted_caller = noted_refusal != 0 ? ffrtmp_cached_caller(&noted_tenant) : CACHED_CALLER_UNKNOWN;
}

/*
 * Whether ffrtmp raised the error, not PostgreSQL: see the head comment.
 * PL/pgSQL's RAISE reports from exec_stmt_raise (pl_exec.c); its other
 * errors (a query returning no rows...) and the core's come from elsewhere.
 */
static bool
raised_by_ffrtmp(const ErrorData *edata)
{
	if (PGUNSIXBIT(edata->sqlerrcode) == 'P' && PGUNSIXBIT(edata->sqlerrcode >> 6) == 'T')
		return true;
	if (edata->sqlerrcode == ERRCODE_POSTGREST_RAISE)
		return true;
	if (edata->domain != NULL && strcmp(edata->domain, TEXTDOMAIN) == 0)
		return true;
	return edata->funcname != NULL && strcmp(edata->funcname, "exec_stmt_raise") == 0;
}

static void
emit_refusal(ErrorData *edata)
{
	if (edata->elevel >= ERROR)
	{
		if (noted_refusal != 0 && edata->elevel == ERROR && !log_refusals &&
			(edata->sqlerrcode == noted_refusal || edata->sqlerrcode == ERRCODE_POSTGREST_RAISE) &&
			(contract_refusal(edata->sqlerrcode) || postgrest_refusal(edata->sqlerrcode, edata->detail)) &&
			raised_by_ffrtmp(edata))
		{
			edata->output_to_server = false;
			ffrtmp_refusal_counts_add(noted_caller, &noted_tenant, edata->sqlerrcode);
		}
		noted_refusal = 0;
		noted_caller = CACHED_CALLER_UNKNOWN;
	}
	/* As PostgreSQL does: a hook sees only what still goes to the server log. */
	if (next_emit_log_hook && edata->output_to_server)
		next_emit_log_hook(edata);
}

static void
forget_at_xact_end(XactEvent event, void *arg)
{
	noted_refusal = 0;
}

static void
forget_at_subxact_abort(SubXactEvent event, SubTransactionId subxact, SubTransactionId parent, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		noted_refusal = 0;
}

void
ffrtmp_log_refusals_init(void)
{
	DefineCustomBoolVariable("ffrtmp.log_refusals",
							 "Logs the expected refusals of ffrtmp's API in the server log.",
							 "Off: not found, quota, permission, conflict and other 4xx errors that ffrtmp's API raises reach the client "
							 "but not the server log, and are counted in ffrtmp_tenant_api_refusals_total; PostgreSQL's own errors "
							 "are always logged. On: they are logged at ERROR like any other error.",
							 &log_refusals, false, PGC_SUSET, 0, NULL, NULL, NULL);
	next_emit_log_hook = emit_log_hook;
	emit_log_hook = emit_refusal;
	RegisterXactCallback(forget_at_xact_end, NULL);
	RegisterSubXactCallback(forget_at_subxact_abort, NULL);
}
