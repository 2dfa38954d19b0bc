/*
 * audit.c: the audit log's settings, and what the C API functions call to
 * write their audit rows (ffrtmp_data.audit_tenant and audit_job in
 * sql/api/85_audit.sql, which call the one writer, write_audit).
 *
 * An update records what changed: the caller takes the object's audited
 * fields before its change (ffrtmp_audit_*_before) and hands them to the
 * writer after it.  Both run in the caller's SPI connection and transaction.
 * write_audit finds who acts through ffrtmp_data.caller_user_id()
 * (permissions.c) and audit_key_id(), defined here.
 */
#include "ffrtmp.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/uuid.h"

int			ffrtmp_audit_retention_s = 365 * 24 * 3600;
static char *audit_request_id = NULL;

void
ffrtmp_audit_init(void)
{
	DefineCustomIntVariable("ffrtmp.audit_retention",
							"Audit log rows older than this are pruned by the scheduler's pass.",
							"0 keeps them all.",
							&ffrtmp_audit_retention_s, 365 * 24 * 3600, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.audit_refusals_per_minute",
							"Most permission refusals and failed authentications logged per minute and tenant.",
							"Refusals with no known tenant share one more such budget. The others are counted, and the count is recorded with the tenant's next refusal logged.",
							&ffrtmp_audit_refusals_per_minute, 60, 0, 100000, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.audit_refusals_max_per_minute",
							"Most permission refusals and failed authentications logged per minute, all tenants together.",
							"Bounds what a flood of refusals from many tenants writes to disk.",
							&ffrtmp_audit_refusals_max_per_minute, 600, 0, 1000000, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("ffrtmp.request_id",
							   "The id of the current request, recorded in the audit log.",
							   "Set by a front end (SET LOCAL) per request; PostgREST's X-Request-Id header is used when it is empty.",
							   &audit_request_id, "", PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * Runs an audit query and gives back the caller's last result (SPI_tuptable
 * is not freed by the next query, only replaced until SPI_finish), so that an
 * API function can still return the row its change produced.  Under the SQL
 * of 0.1, before ALTER EXTENSION UPDATE, there is no audit log: nothing runs.
 */
static void
run_keeping_result(KeptQuery *query, Datum *values, const char *nulls)
{
	SPITupleTable *result = SPI_tuptable;
	uint64		processed = SPI_processed;

	if (!ffrtmp_sql_is_0_2())
		return;
	ffrtmp_run(query, values, nulls);
	SPI_tuptable = result;
	SPI_processed = processed;
}

/* The tenant's row as JSON before a change; valid until SPI_finish. */
Datum
ffrtmp_audit_tenant_before(pg_uuid_t *tenant, bool *isnull)
{
	static KeptQuery before = {
		.sql = "SELECT to_jsonb(t) FROM ffrtmp_data.tenants t WHERE t.id = $1",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	Datum		arg = UUIDPGetDatum(tenant);

	*isnull = true;
	if (!ffrtmp_sql_is_0_2())
		return (Datum) 0;
	ffrtmp_run(&before, &arg, NULL);
	return SPI_processed > 0 ? ffrtmp_get_datum(1, isnull) : (Datum) 0;
}

void
ffrtmp_audit_tenant(const char *action, pg_uuid_t *tenant, Datum old, bool old_isnull)
{
	static KeptQuery write = {
		.sql = "SELECT ffrtmp_data.audit_tenant($1, $2, $3)",
		.nargs = 3, .argtypes = {TEXTOID, UUIDOID, JSONBOID},
	};
	Datum		values[3] = {CStringGetTextDatum(action), UUIDPGetDatum(tenant), old};
	char		nulls[3] = {' ', ' ', old_isnull ? 'n' : ' '};

	run_keeping_result(&write, values, nulls);
}

/* The job's audited fields before a change; valid until SPI_finish. */
Datum
ffrtmp_audit_job_before(int64 job, bool *isnull)
{
	static KeptQuery before = {
		.sql = "SELECT ffrtmp_data.audit_job_fields(j) FROM ffrtmp_data.jobs j WHERE j.id = $1",
		.nargs = 1, .argtypes = {INT8OID},
	};
	Datum		arg = Int64GetDatum(job);

	*isnull = true;
	if (!ffrtmp_sql_is_0_2())
		return (Datum) 0;
	ffrtmp_run(&before, &arg, NULL);
	return SPI_processed > 0 ? ffrtmp_get_datum(1, isnull) : (Datum) 0;
}

void
ffrtmp_audit_job(const char *action, int64 job, Datum old, bool old_isnull)
{
	static KeptQuery write = {
		.sql = "SELECT ffrtmp_data.audit_job($1, $2, $3)",
		.nargs = 3, .argtypes = {TEXTOID, INT8OID, JSONBOID},
	};
	Datum		values[3] = {CStringGetTextDatum(action), Int64GetDatum(job), old};
	char		nulls[3] = {' ', ' ', old_isnull ? 'n' : ' '};

	run_keeping_result(&write, values, nulls);
}

/*
 * The job.submit rows of new jobs (submit_job: one; submit_jobs: the batch,
 * whose ids go up in its order), by one statement with a kept plan: the rows
 * write_audit would write, without its call per row.  Who acts is read once
 * per statement (the subqueries), not per row.  The jobs were inserted just
 * before in this transaction, so it has its id before the rows take theirs,
 * as seal_audit needs (sql/api/85_audit.sql).
 */
void
ffrtmp_audit_submitted(const int64 *ids, int n)
{
	static KeptQuery write = {
		.sql = "INSERT INTO ffrtmp_data.audit_log (tenant_id, db_role, user_id, key_id, action, target, change, request_id)"
		" SELECT j.tenant_id, (SELECT ffrtmp_data.actor()), (SELECT ffrtmp_data.caller_user_id()),"
		"        (SELECT ffrtmp_data.audit_key_id()), 'job.submit', 'job:' || j.id,"
		"        ffrtmp_data.audit_job_fields(j), (SELECT ffrtmp_data.audit_request_id())"
		"   FROM ffrtmp_data.jobs j WHERE j.id = ANY ($1)"
		"  ORDER BY j.id",
		.nargs = 1, .argtypes = {INT8ARRAYOID},
	};
	Datum	   *elems;
	Datum		array;

	if (n == 0)
		return;
	elems = palloc(n * sizeof(Datum));
	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	array = PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	run_keeping_result(&write, &array, NULL);
}

/* s as a JSON string, or null: for the change a C API function records. */
char *
ffrtmp_json_string(const char *s)
{
	StringInfoData buf;

	if (s == NULL)
		return "null";
	initStringInfo(&buf);
	escape_json(&buf, s);
	return buf.data;
}

/*
 * One audit row of a C API function: target (kind:id), tenant (NULL: the
 * platform), change a JSON object (NULL: {}), never a secret.
 */
void
ffrtmp_audit_write(const char *action, const char *target, pg_uuid_t *tenant, const char *change)
{
	static KeptQuery write = {
		.sql = "SELECT ffrtmp_data.write_audit($1, $2, $3, coalesce($4::jsonb, '{}'))",
		.nargs = 4, .argtypes = {TEXTOID, TEXTOID, UUIDOID, TEXTOID},
	};
	Datum		values[4] = {CStringGetTextDatum(action), CStringGetTextDatum(target),
	tenant ? UUIDPGetDatum(tenant) : (Datum) 0, change ? CStringGetTextDatum(change) : (Datum) 0};
	char		nulls[4] = {' ', ' ', tenant ? ' ' : 'n', change ? ' ' : 'n'};

	run_keeping_result(&write, values, nulls);
}

/* The API key authenticated in this transaction (NULL: none), for write_audit. */
PG_FUNCTION_INFO_V1(ffrtmp_audit_key_id);
Datum
ffrtmp_audit_key_id(PG_FUNCTION_ARGS)
{
	const char *key_id = ffrtmp_key_id();

	if (key_id == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(key_id));
}
