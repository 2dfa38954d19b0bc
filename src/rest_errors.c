/*
 * rest_errors.c: a refusal (SQLSTATE 42501) reaches a REST client as 403,
 * a credential that cannot be used (28000) as 401 with a challenge.
 *
 * PostgREST answers 42501 with 401 and WWW-Authenticate when, in its eyes,
 * the request is anonymous: no JWT named a role (PostgREST v12.2.9,
 * src/PostgREST/Error.hs, pgErrorStatus and its `authed` flag).  Every API
 * key request is anonymous to it, since the key is checked by our
 * pre-request function, so "your key may not do that" would read "your
 * credentials are bad".  In a session of the authenticator role (the only
 * one where PostgREST is the client) a 42501 leaving the outermost API call
 * is raised again in PostgREST's own form, SQLSTATE PGRST: the message is
 * the JSON body {code, message, details, hint} with the original code and
 * texts, the detail {"status":403,"headers":{}} (Error.hs, parseRaisePGRST).
 * Any other session sees the error unchanged.
 *
 * PostgREST answers the class 28 with 403 and no challenge (Error.hs,
 * pgErrorStatus), whereas the pre-request function answers a wrong key or
 * claim set with 401 and `WWW-Authenticate: Bearer error="invalid_token"`
 * (RFC 6750 3.1).  A credential revoked or a user disabled by another
 * session after the pre-request function (the tenant context reads them
 * again at every statement), or a wrong invitation token, is the same case:
 * so a 28000 is raised again as {"status":401,"headers":{"WWW-Authenticate":
 * ...}} here too.
 *
 * permission_hook.c calls ffrtmp_rest_errors_translate() where such an
 * error leaves the outermost call: the refusal of its START, and its ABORT
 * (which runs inside fmgr_security_definer's PG_CATCH).  No catalog may be
 * read while an error unwinds, so the authenticator's OID is looked up at
 * safe points (the start of a statement, the START of an API call) and
 * forgotten when that role's row changes.
 *
 * A refusal can also come before any API function runs: PostgreSQL's own
 * privilege checks (EXECUTE on a function ffrtmp_api lacks, a tenant key
 * asking for POST /v1/tenants, say), made when the request's statement
 * starts.  So the start of the outermost statement is wrapped too.
 */
#include "ffrtmp.h"

#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/syscache.h"

#define AUTHENTICATOR_ROLE "ffrtmp_authenticator"
#define INVALID_TOKEN_STATUS "{\"status\":401,\"headers\":{\"WWW-Authenticate\":\"Bearer error=\\\"invalid_token\\\"\"}}"

static ExecutorStart_hook_type next_executor_start = NULL;
static ExecutorRun_hook_type next_executor_run = NULL;
static ExecutorFinish_hook_type next_executor_finish = NULL;
static int	executor_nesting = 0;
static bool authenticator_known = false;
static Oid	authenticator_oid = InvalidOid;
static uint32 authenticator_hash = 0;

/*
 * A change of the role's row, any role's while it was missing (it may be the
 * one created), or a reset of the whole cache: look it up again.
 */
static void
forget_authenticator(Datum arg, int cacheid, uint32 hashvalue)
{
	if (hashvalue == 0 || !OidIsValid(authenticator_oid) || hashvalue == authenticator_hash)
		authenticator_known = false;
}

static void rest_executor_start(QueryDesc *query, int eflags);
static void rest_executor_run(QueryDesc *query, ScanDirection direction, uint64 count, bool execute_once);
static void rest_executor_finish(QueryDesc *query);

void
ffrtmp_rest_errors_init(void)
{
	CacheRegisterSyscacheCallback(AUTHOID, forget_authenticator, (Datum) 0);
	next_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = rest_executor_start;
	next_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = rest_executor_run;
	next_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = rest_executor_finish;
}

/* At a safe point (a statement's start, an API call's START): learn the authenticator's OID. */
void
ffrtmp_rest_errors_prepare(void)
{
	if (authenticator_known || !IsTransactionState())
		return;
	authenticator_oid = get_role_oid(AUTHENTICATOR_ROLE, true);
	authenticator_hash = OidIsValid(authenticator_oid) ?
		GetSysCacheHashValue1(AUTHOID, ObjectIdGetDatum(authenticator_oid)) : 0;
	authenticator_known = true;
}

/* The session is the authenticator's, as last looked up (for counting only). */
static bool
authenticator_session(void)
{
	return OidIsValid(authenticator_oid) && GetSessionUserId() == authenticator_oid;
}

/* Is PostgREST the client?  Reads no catalog: safe while an error unwinds. */
bool
ffrtmp_in_rest_request(void)
{
	return authenticator_known && authenticator_session();
}

static void
append_json_field(StringInfo buf, const char *name, const char *value)
{
	appendStringInfo(buf, "%s\"%s\":", buf->len > 1 ? "," : "", name);
	if (value)
		escape_json(buf, value);
	else
		appendStringInfoString(buf, "null");
}

/*
 * Called inside a PG_CATCH where an error leaves the outermost API call or
 * statement: a 42501 of a REST request is thrown again as PostgREST's 403, a
 * 28000 as its 401 with the challenge; anything else
 * returns with the error untouched, for the caller's PG_RE_THROW.  mcxt: a
 * context outliving the catch, not ErrorContext (the PL handlers' pattern:
 * copy, flush, rewrite, ReThrowError).  A translated error has SQLSTATE
 * PGRST, so it is never translated twice.
 */
void
ffrtmp_rest_errors_translate(MemoryContext mcxt)
{
	MemoryContext old;
	ErrorData  *edata;
	StringInfoData body;

	int			code = geterrcode();

	if ((code != ERRCODE_INSUFFICIENT_PRIVILEGE && code != ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION) ||
		!ffrtmp_in_rest_request())
		return;
	old = MemoryContextSwitchTo(mcxt);
	edata = CopyErrorData();
	FlushErrorState();

	initStringInfo(&body);
	appendStringInfoChar(&body, '{');
	append_json_field(&body, "code", unpack_sql_state(edata->sqlerrcode));
	append_json_field(&body, "message", edata->message);
	append_json_field(&body, "details", edata->detail);
	append_json_field(&body, "hint", edata->hint);
	appendStringInfoChar(&body, '}');

	edata->sqlerrcode = ERRCODE_POSTGREST_RAISE;
	edata->message = body.data;
	edata->detail = pstrdup(code == ERRCODE_INSUFFICIENT_PRIVILEGE ?
							"{\"status\":403,\"headers\":{}}" : INVALID_TOKEN_STATUS);
	edata->hint = NULL;
	MemoryContextSwitchTo(old);
	ReThrowError(edata);
}

static void
next_start(QueryDesc *query, int eflags)
{
	if (next_executor_start)
		next_executor_start(query, eflags);
	else
		standard_ExecutorStart(query, eflags);
}

static void
next_run(QueryDesc *query, ScanDirection direction, uint64 count, bool execute_once)
{
	if (next_executor_run)
		next_executor_run(query, direction, count, execute_once);
	else
		standard_ExecutorRun(query, direction, count, execute_once);
}

static void
next_finish(QueryDesc *query)
{
	if (next_executor_finish)
		next_executor_finish(query);
	else
		standard_ExecutorFinish(query);
}

/*
 * Only a 42501 of the outermost statement's start is translated here: a
 * nested statement's (SPI in a function) is still the plain one a PL/pgSQL
 * handler may catch, and the API call's ABORT translates it if it escapes.
 * Nesting is counted as pg_stat_statements does: a nested statement starts
 * while the outer one runs or finishes.  Other sessions pay no PG_TRY.
 */
static void
rest_executor_start(QueryDesc *query, int eflags)
{
	MemoryContext mcxt = CurrentMemoryContext;

	ffrtmp_rest_errors_prepare();
	if (!ffrtmp_in_rest_request() || executor_nesting > 0)
	{
		next_start(query, eflags);
		return;
	}
	PG_TRY();
	{
		next_start(query, eflags);
	}
	PG_CATCH();
	{
		ffrtmp_log_refusals_note();
		ffrtmp_rest_errors_translate(mcxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * An error leaving the outermost statement's run is translated too: one
 * raised by no API call (a wrong invitation token from a function the
 * permission hook does not watch, a row-level security refusal).
 */
static void
rest_executor_run(QueryDesc *query, ScanDirection direction, uint64 count, bool execute_once)
{
	MemoryContext mcxt = CurrentMemoryContext;

	if (!authenticator_session())
	{
		next_run(query, direction, count, execute_once);
		return;
	}
	executor_nesting++;
	PG_TRY();
	{
		next_run(query, direction, count, execute_once);
	}
	PG_CATCH();
	{
		executor_nesting--;
		if (executor_nesting == 0)
		{
			ffrtmp_log_refusals_note();
			ffrtmp_rest_errors_translate(mcxt);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	executor_nesting--;
}

static void
rest_executor_finish(QueryDesc *query)
{
	if (!authenticator_session())
	{
		next_finish(query);
		return;
	}
	executor_nesting++;
	PG_TRY();
	{
		next_finish(query);
	}
	PG_FINALLY();
	{
		executor_nesting--;
	}
	PG_END_TRY();
}
