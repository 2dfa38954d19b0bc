/*
 * sqlstates.c: the SQLSTATE table (see sqlstates.h).  A test reads every
 * ERRCODE the SQL scripts raise and requires each in this table; the
 * extension's C code raises ffrtmp's own through ERRCODE_FFRTMP_*, built
 * from here.
 */
#include "sqlstates.h"

#include <string.h>

const SqlstateInfo sqlstates[SQLSTATE_COUNT] = {
	[SQLSTATE_NOT_FOUND] = {"PT404", "not_found", 404, true,
	"A tenant, job or node does not exist (another tenant's job is not found either); "
	"for a worker call, the job or attempt is gone: drop the call"},
	[SQLSTATE_TENANT_BLOCKED] = {"PT403", "tenant_blocked", 403, true,
	"The tenant is suspended, expired or deleted, or a node's session token is no longer current: "
	"a worker registers again"},
	[SQLSTATE_CONFLICT] = {"PT409", "conflict", 409, true,
	"A name is taken, an idempotency key was reused with other arguments, a state change is not allowed; "
	"for a worker call, another attempt or node owns the job: drop the call"},
	[SQLSTATE_QUOTA_EXCEEDED] = {"PT429", "quota_exceeded", 429, true,
	"A quota is reached (active jobs, jobs per hour, workers): try again later"},
	[SQLSTATE_PROTOCOL_MISMATCH] = {"PT426", "protocol_mismatch", 426, true,
	"register_node: the worker speaks a protocol this database does not (HTTP 426 Upgrade Required); "
	"the worker exits with status 76"},
	[SQLSTATE_INVALID_PARAMETER] = {"22023", "invalid_parameter_value", 400, true,
	"An invalid argument: a bad name, URL, parameter, unknown plan or preset, a job larger than the plan allows"},
	[SQLSTATE_NULL_VALUE] = {"22004", "null_value_not_allowed", 400, true,
	"A required argument is NULL"},
	[SQLSTATE_INSUFFICIENT_PRIVILEGE] = {"42501", "insufficient_privilege", 403, true,
	"Permission denied: a tenant user naming another tenant, a non-administrator calling an administrator's function; "
	"ends the worker (status 77)"},
	[SQLSTATE_LOCK_NOT_AVAILABLE] = {"55P03", "lock_not_available", 0, true,
	"A worker call waited 1 s for a lock a tenant holds: make the same call again"},
	[SQLSTATE_NOT_IN_PREREQUISITE_STATE] = {"55000", "object_not_in_prerequisite_state", 0, true,
	"The extension is installed, or called, outside the database ffrtmp.database names, or the library is not preloaded"},
	[SQLSTATE_INVALID_TEXT] = {"22P02", "invalid_text_representation", 400, true,
	"A priority that is neither a number nor low, medium or high: send one of those"},
	[SQLSTATE_SERIALIZATION_FAILURE] = {"40001", "serialization_failure", 500, true,
	"submit_job found the tenant's usage changing under it ten times in a row: submit the job again"},
	[SQLSTATE_INTERNAL_ERROR] = {"XX000", "internal_error", 500, true,
	"The server could not do what should always work (register_node could not read strong random numbers "
	"for a session token): an administrator looks at the server log; the call may be made again later"},
	[SQLSTATE_QUERY_CANCELED] = {"57014", "query_canceled", 500, true,
	"A statement ran past its timeout: a tenant's past its cap (its session ends when the statement "
	"caught the cancellation), a worker call past the worker's own timeout: make it again later"},
	[SQLSTATE_ACTIVE_TRANSACTION] = {"25001", "active_sql_transaction", 500, true,
	"wait_for_job called in a REPEATABLE READ or SERIALIZABLE transaction, whose one snapshot would never show "
	"the job ending: call it in READ COMMITTED (the default) or on its own"},
	[SQLSTATE_INVALID_CREDENTIAL] = {"28000", "invalid_authorization_specification", 401, true,
	"authenticate or accept_invitation was given an API key, token or invitation token that cannot be used "
	"(wrong, revoked, expired, used, or of a user or tenant no longer active): one error whatever the cause; "
	"get a new key or invitation (through PostgREST 401 with WWW-Authenticate: Bearer error=\"invalid_token\", "
	"raised again in PostgREST's form, which would answer the class 28 with 403)"},
	[SQLSTATE_READ_ONLY] = {"25006", "read_only_sql_transaction", 0, false,
	"The server is a standby (after a failover): the worker reconnects and finds the primary"},
	[SQLSTATE_UNDEFINED_FUNCTION] = {"42883", "undefined_function", 0, false,
	"The extension is missing (status 78), or at registration older than the worker (status 76)"},
	[SQLSTATE_UNDEFINED_TABLE] = {"42P01", "undefined_table", 0, false,
	"The extension is missing: ends the worker (status 78)"},
	[SQLSTATE_INVALID_SCHEMA] = {"3F000", "invalid_schema_name", 0, false,
	"The extension is missing: ends the worker (status 78)"},
	[SQLSTATE_INVALID_DATABASE] = {"3D000", "invalid_catalog_name", 0, false,
	"The database does not exist: ends the worker (status 78)"},
	[SQLSTATE_CLASS_CONNECTION] = {"08", "connection_exception", 0, false,
	"The connection failed: the worker reconnects"},
	[SQLSTATE_CLASS_AUTHORIZATION] = {"28", "invalid_authorization_specification", 0, false,
	"A wrong password, an unknown role, no pg_hba.conf entry: ends the worker (status 77)"},
	[SQLSTATE_CLASS_ROLLBACK] = {"40", "transaction_rollback", 0, false,
	"A serialization failure or deadlock: the call is made again later"},
	[SQLSTATE_CLASS_RESOURCES] = {"53", "insufficient_resources", 0, false,
	"The server is out of connections, memory or disk: the call is made again later"},
	[SQLSTATE_CLASS_PREREQUISITE] = {"55", "object_not_in_prerequisite_state", 0, false,
	"Not now (a lock not available, among others): the call is made again later"},
	[SQLSTATE_CLASS_OPERATOR] = {"57P", "operator_intervention", 0, false,
	"The server shuts down or crashed: the worker reconnects"},
};

const char *
sqlstate_code(Sqlstate which)
{
	return sqlstates[which].code;
}

bool
sqlstate_is(const char *sqlstate, Sqlstate which)
{
	const char *code = sqlstates[which].code;

	return sqlstate != NULL && strncmp(sqlstate, code, strlen(code)) == 0 &&
		(strlen(code) < 5 || strlen(sqlstate) == 5);
}
