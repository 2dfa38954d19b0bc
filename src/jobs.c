/*
 * jobs.c: submitting, reading, canceling and retrying jobs.
 *
 * submit_job is the product's hot path.  On the common route it runs one
 * statement with a kept plan, which takes a unit of the tenant's quota on its
 * locked usage row and inserts the job and its first event; only a refusal
 * runs a second query, to say which check failed.  Both are built once per
 * backend from the quota table (quota_checks.c), so they check the same
 * quotas with the same conditions.  It sends no NOTIFY (that
 * would serialise every submitting commit cluster-wide): the scheduler's
 * latch is set at commit instead.
 */
#include "ffrtmp.h"
#include "bounds.h"
#include "jobs.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"



static int32
optional_int(FunctionCallInfo fcinfo, int n, int32 otherwise)
{
	return PG_ARGISNULL(n) ? otherwise : PG_GETARG_INT32(n);
}

static void
check_range(const char *what, int32 value, int32 min, int32 max)
{
	if (value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d, not %d", what, min, max, value),
				 errhint("Pass a %s from %d to %d.", what, min, max)));
}

/*
 * The sizes and characters of what submit_job stores (the URLs are checked
 * by ffrtmp_check_input_url and ffrtmp_check_output_url).
 */
static void
check_request_sizes(const JobRequest *r)
{
	ffrtmp_check_text_bytes("preset", r->preset, PRESET_MAX_BYTES);
	ffrtmp_check_text_bytes("queue", r->queue, WORD_ARG_MAX_BYTES);
	/* (A params that is no object is refused by ffrtmp_check_params, with its own hint.) */
	if (r->params && JB_ROOT_IS_OBJECT(r->params) && !JB_ROOT_IS_SCALAR(r->params))
		ffrtmp_check_json_object("params", r->params, PARAMS_MAX_BYTES, PARAMS_MAX_DEPTH);
	if (r->idempotency_key && (strlen(r->idempotency_key) == 0 ||
							   strlen(r->idempotency_key) > IDEMPOTENCY_KEY_MAX_BYTES))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("idempotency_key must be 1 to %d bytes long", IDEMPOTENCY_KEY_MAX_BYTES),
				 errhint("Use a short unique string such as a UUID.")));
	ffrtmp_check_no_controls("idempotency_key", r->idempotency_key, TEXT_ONE_LINE);
}

/*
 * A job waits for its run_after holding a unit of quota, so the time is
 * finite and at most RUN_AFTER_MAX_DAYS ahead; a past time means now.  The
 * days are the caller's calendar days, as now() + interval '365 days' counts
 * them in the session's time zone: across a daylight-saving change they are
 * an hour more or less than 365 times 24 hours.
 */
static void
check_run_after(TimestampTz run_after)
{
	Interval	days = {.time = 0, .day = RUN_AFTER_MAX_DAYS, .month = 0};
	TimestampTz latest = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
																 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
																 IntervalPGetDatum(&days)));

	if (TIMESTAMP_IS_NOBEGIN(run_after))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_after must be a finite time"),
				 errhint("Leave run_after out (or pass now()) to run the job as soon as possible.")));
	if (TIMESTAMP_IS_NOEND(run_after) || run_after > latest)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("run_after must be a time at most %d days ahead", RUN_AFTER_MAX_DAYS),
				 errhint("Pass a time within %d days (a past time means now); submit later or recurring work when it is due, for example from a pg_cron job.",
						 RUN_AFTER_MAX_DAYS)));
}

/*
 * Checks a job's arguments, whoever read them (submit_job from its
 * arguments, submit_jobs from a JSON object); nothing is touched yet.
 */
void
ffrtmp_check_job_request(JobRequest *r)
{
	if (r->input_url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("input_url must not be null"),
				 errhint("Pass the input, for example 'file:///media/in.mp4' or 'testsrc://1280x720@30?duration=10'.")));
	ffrtmp_check_input_url(r->input_url);
	if (r->output_url)
		ffrtmp_check_output_url(r->output_url);
	check_request_sizes(r);
	if (r->has_run_after)
		check_run_after(r->run_after);
	check_range("max_attempts", r->max_attempts, 1, 100);
	check_range("cpu_cores", r->cpu_cores, 1, 1024);
	check_range("gpus", r->gpus, 0, 64);
	ffrtmp_check_queue(r->queue);
	if (r->timeout && (r->timeout->time <= 0 && r->timeout->day <= 0 && r->timeout->month <= 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be positive"),
				 errhint("Pass an interval such as '30 minutes', or leave timeout out for no limit.")));
	if (r->timeout && (r->timeout->time < 0 || r->timeout->day < 0 || r->timeout->month < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not have negative parts"),
				 errhint("Pass an interval such as '1 hour 30 minutes'.")));
}

/* The defaults of submit_job's arguments, for a request read from elsewhere. */
void
ffrtmp_default_job_request(JobRequest *r)
{
	memset(r, 0, sizeof(*r));
	r->priority = 0;
	r->max_attempts = 3;
	r->cpu_cores = 1;
	r->gpus = 0;
	r->queue = "default";
	r->retry_all_failures = false;
	r->sql_0_1 = false;
}

/* Reads and checks submit_job's arguments; nothing is touched yet. */
static JobRequest
read_request(FunctionCallInfo fcinfo)
{
	JobRequest	r;

	r.input_url = ffrtmp_text_arg(fcinfo, 0);
	r.output_url = ffrtmp_text_arg(fcinfo, 1);
	r.preset = ffrtmp_text_arg(fcinfo, 2);
	r.params = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);
	r.priority = optional_int(fcinfo, 4, 0);
	r.max_attempts = optional_int(fcinfo, 5, 3);
	r.has_run_after = !PG_ARGISNULL(6);
	r.run_after = r.has_run_after ? PG_GETARG_TIMESTAMPTZ(6) : 0;
	r.timeout = PG_ARGISNULL(7) ? NULL : PG_GETARG_INTERVAL_P(7);
	r.cpu_cores = optional_int(fcinfo, 8, 1);
	r.gpus = optional_int(fcinfo, 9, 0);
	r.idempotency_key = ffrtmp_text_arg(fcinfo, 10);
	r.tenant = ffrtmp_tenant_arg_text(fcinfo, 11);
	r.queue = PG_ARGISNULL(12) ? "default" : ffrtmp_text_arg(fcinfo, 12);
	/* Release 0.1's submit_job (before ALTER EXTENSION UPDATE) has 13 arguments. */
	r.sql_0_1 = PG_NARGS() <= 13;
	r.retry_all_failures = !r.sql_0_1 && !PG_ARGISNULL(13) && PG_GETARG_BOOL(13);
	ffrtmp_check_job_request(&r);
	return r;
}

/* The preset's parameters (the tenant's own preset wins over a built-in) merged with the caller's. */
Jsonb *
ffrtmp_resolve_job_params(JobRequest *r, pg_uuid_t *tenant)
{
	static KeptQuery find_preset = {
		.sql = "SELECT params FROM ffrtmp_data.presets"
		" WHERE name = $1 AND (tenant_id = $2 OR tenant_id IS NULL)"
		" ORDER BY tenant_id NULLS LAST LIMIT 1",
		.nargs = 2, .argtypes = {TEXTOID, UUIDOID},
	};
	Jsonb	   *params = r->params ? r->params
		: DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	Datum		values[2];
	bool		isnull;

	if (r->preset != NULL)
	{
		Datum		preset_params;

		values[0] = CStringGetTextDatum(r->preset);
		values[1] = UUIDPGetDatum(tenant);
		ffrtmp_run(&find_preset, values, NULL);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("preset \"%s\" does not exist", ffrtmp_echo(r->preset)),
					 errhint("SELECT name FROM ffrtmp.presets lists the presets you can use.")));
		preset_params = ffrtmp_get_datum(1, &isnull);
		params = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, preset_params, JsonbPGetDatum(params)));
	}
	ffrtmp_check_params(params, r->output_url, r->gpus);
	return params;
}

/*
 * An idempotency key repeated with the same arguments finds the job made the
 * first time; with other arguments it is a conflict.  Returns 0 when the key
 * is new.  Runs under the usage row lock, so two racing repeats cannot both
 * insert.
 */
int64
ffrtmp_find_idempotent_job(JobRequest *r, pg_uuid_t *tenant, Jsonb *params)
{
	/* (Under release 0.1's SQL, jobs has no retry_all_failures: $14 goes unused.) */
#define FIND_IDEMPOTENT(column, value) \
		"SELECT id, (input_url, output_url, preset, params, priority, queue, max_attempts," \
		"                   timeout, cpu_cores, gpus" column ")" \
		"              IS NOT DISTINCT FROM ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12" value ")" \
		"          AND ($13::timestamptz IS NULL OR run_after = $13)" \
		"  FROM ffrtmp_data.jobs WHERE tenant_id = $1 AND idempotency_key = $2"
#define FIND_ARGTYPES {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, TEXTOID, \
		INT4OID, INTERVALOID, INT4OID, INT4OID, TIMESTAMPTZOID, BOOLOID}
	static KeptQuery find = {
		.sql = FIND_IDEMPOTENT(", retry_all_failures", ", $14"), .nargs = 14, .argtypes = FIND_ARGTYPES,
	};
	static KeptQuery find_0_1 = {.sql = FIND_IDEMPOTENT("", ""), .nargs = 14, .argtypes = FIND_ARGTYPES};

	Datum		values[14];
	char		nulls[14];
	bool		isnull;
	int64		id;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(tenant);
	values[1] = CStringGetTextDatum(r->idempotency_key);
	values[2] = CStringGetTextDatum(r->input_url);
	values[3] = r->output_url ? CStringGetTextDatum(r->output_url) : (nulls[3] = 'n', (Datum) 0);
	values[4] = r->preset ? CStringGetTextDatum(r->preset) : (nulls[4] = 'n', (Datum) 0);
	values[5] = JsonbPGetDatum(params);
	values[6] = Int32GetDatum(r->priority);
	values[7] = CStringGetTextDatum(r->queue);
	values[8] = Int32GetDatum(r->max_attempts);
	values[9] = r->timeout ? IntervalPGetDatum(r->timeout) : (nulls[9] = 'n', (Datum) 0);
	values[10] = Int32GetDatum(r->cpu_cores);
	values[11] = Int32GetDatum(r->gpus);
	values[12] = r->has_run_after ? TimestampTzGetDatum(r->run_after) : (nulls[12] = 'n', (Datum) 0);
	values[13] = BoolGetDatum(r->retry_all_failures);
	ffrtmp_run(r->sql_0_1 ? &find_0_1 : &find, values, nulls);
	if (SPI_processed == 0)
		return 0;
	id = DatumGetInt64(ffrtmp_get_datum(1, &isnull));
	if (!DatumGetBool(ffrtmp_get_datum(2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("idempotency key \"%s\" was already used for a different job", ffrtmp_echo(r->idempotency_key)),
				 errdetail("Job %lld was submitted with this key and other arguments.", (long long) id),
				 errhint("Use a new key for a new job, or repeat the original arguments exactly.")));
	return id;
}

/*
 * get_job, tenant_jobs and wait_for_job return the job as people read it
 * (ffrtmp_data.job_details, sql/api/30_jobs.sql).  Under release 0.1's SQL
 * (this library before ALTER EXTENSION ffrtmp UPDATE) they return
 * ffrtmp.jobs, and job_details does not exist: they read the table then.
 */
static bool
returns_job_details(FunctionCallInfo fcinfo)
{
	TupleDesc	desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		return false;
	for (int i = 0; i < desc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), "tenant_name") == 0)
			return true;
	return false;
}

/* The job as the calling function's result type has it (see above). */
Datum
ffrtmp_return_job(FunctionCallInfo fcinfo, int64 id)
{
	static KeptQuery details = {
		.sql = "SELECT * FROM ffrtmp_data.job_details WHERE id = $1",
		.nargs = 1, .argtypes = {INT8OID},
	};
	static KeptQuery stored = {
		.sql = "SELECT * FROM ffrtmp_data.jobs WHERE id = $1",
		.nargs = 1, .argtypes = {INT8OID},
	};
	Datum		arg = Int64GetDatum(id);

	ffrtmp_run(returns_job_details(fcinfo) ? &details : &stored, &arg, NULL);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("job %lld does not exist", (long long) id),
				 errhint("SELECT id, state FROM ffrtmp.jobs lists the jobs you can see.")));
	return ffrtmp_return_row(fcinfo);
}

/*
 * The job's columns a quota can take from, for the submit conditions ("r.").
 * A quota whose job_column is not here fails to prepare, loudly.
 */
#define REQUEST_ROW(cores, gpus) \
	"(SELECT " cores "::integer AS cpu_cores, " gpus "::integer AS gpus) r"

/*
 * The insert statement: one UPDATE locks the tenant's usage row and takes
 * one unit of quota only if every check passes (re-checked on the newest
 * row version after a lock wait), and the job and its first event are
 * inserted only if it did.  The checks are those of the quota table.
 * by_version: the row is looked up at the version this transaction wrote
 * last ($17, see usage_versions.c) rather than by tenant_id alone.  The
 * version written is returned after the job's columns.
 */
static char *
submit_sql(bool sql_0_1, bool by_version)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "WITH u AS ("
						   "  UPDATE ffrtmp_data.usage u SET"
						   "    active_jobs = u.active_jobs + 1, queued_jobs = u.queued_jobs + 1,"
						   "    jobs_submitted = u.jobs_submitted + 1,"
						   "    hour_counts[$15] = CASE WHEN u.hour_minutes[$15] >= $2 THEN u.hour_counts[$15] + 1 ELSE 1 END,"
						   "    hour_minutes[$15] = greatest(u.hour_minutes[$15], $2)"
						   "  FROM ffrtmp_data.tenant_limits l, " REQUEST_ROW("$9", "$10")
						   "  WHERE u.tenant_id = $1 AND l.tenant_id = u.tenant_id"
						   "    AND l.effective_status = 'active'");
	if (by_version)
		appendStringInfoString(&sql, " AND u.ctid = $17");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (ffrtmp_quota_checked_at_submit(&ffrtmp_quota_checks[i]))
		{
			appendStringInfoString(&sql, " AND ");
			ffrtmp_quota_append_submit_check(&sql, &ffrtmp_quota_checks[i]);
		}
	appendStringInfoString(&sql,
						   "  RETURNING u.jobs_submitted, u.ctid AS usage_version),"
						   " j AS ("
						   "  INSERT INTO ffrtmp_data.jobs (tenant_id, seq, queue, priority, input_url, output_url, preset,"
						   "      params, cpu_cores, gpus, max_attempts, run_after, timeout, idempotency_key, state_reason");
	/* (Under release 0.1's SQL, jobs has no retry_all_failures: $16 goes unused.) */
	appendStringInfoString(&sql, sql_0_1 ? ")" : ", retry_all_failures)");
	appendStringInfoString(&sql,
						   "  SELECT $1, u.jobs_submitted, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12, now()),"
						   "         $13, $14, 'submitted'");
	appendStringInfoString(&sql, sql_0_1 ? "" : ", $16");
	appendStringInfoString(&sql,
						   " FROM u"
						   "  RETURNING *),"
						   " e AS ("
						   "  INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, from_state, to_state, reason, actor)"
						   "  SELECT id, tenant_id, attempt, NULL, '" JOB_QUEUED "', 'submitted', ffrtmp_data.actor() FROM j)"
						   " SELECT j.*, u.usage_version FROM j, u");
	return ffrtmp_kept_sql(&sql);
}

/*
 * The explanation: each submit condition of the insert statement, word for
 * word, as a column of its own (with the limit and the job's demand), over
 * the usage row locked afresh.
 */
static char *
explain_sql(void)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT l.name, l.effective_status");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (ffrtmp_quota_checked_at_submit(&ffrtmp_quota_checks[i]))
		{
			appendStringInfoString(&sql, ", ");
			ffrtmp_quota_append_submit_check(&sql, &ffrtmp_quota_checks[i]);
			appendStringInfo(&sql, ", l.%s, ", ffrtmp_quota_checks[i].key);
			ffrtmp_quota_append_demand(&sql, &ffrtmp_quota_checks[i], "r");
		}
	appendStringInfoString(&sql,
						   "  FROM ffrtmp_data.usage u"
						   "  JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id, "
						   REQUEST_ROW("$3", "$4")
						   " WHERE u.tenant_id = $1"
						   "   FOR UPDATE OF u");
	return ffrtmp_kept_sql(&sql);
}

/*
 * Explains why the insert statement found no room: its own conditions,
 * evaluated one by one against the usage row locked afresh (and the quota
 * given back since, folded in); the first that
 * fails is reported, the job's fit under quotas taken later first (a job
 * that can never run), then the room under those it takes now.  Returns only
 * when every check passes, which means the situation changed since the
 * insert looked (a job finished, say) and the insert may be tried again.
 */
static void
explain_refusal(pg_uuid_t *tenant, JobRequest *r)
{
	static KeptQuery explain = {.nargs = 4, .argtypes = {UUIDOID, INT8OID, INT4OID, INT4OID}};
	Datum		values[4];
	char	   *name;
	bool		isnull;

	if (explain.sql == NULL)
		explain.sql = explain_sql();
	/* Locked, with what jobs gave back since folded in: refuse only on exact counts. */
	(void) ffrtmp_lock_usage(tenant);
	values[0] = UUIDPGetDatum(tenant);
	values[1] = Int64GetDatum(ffrtmp_current_minute());
	values[2] = Int32GetDatum(r->cpu_cores);
	values[3] = Int32GetDatum(r->gpus);
	ffrtmp_run(&explain, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant has no usage row");
	name = ffrtmp_get_text(1);
	ffrtmp_require_active_tenant(name, ffrtmp_get_text(2), "submit jobs");
	for (int room = 0; room <= 1; room++)
	{
		int			column = 3;

		for (int i = 0; i < ffrtmp_quota_count; i++)
		{
			const QuotaCheck *quota = &ffrtmp_quota_checks[i];

			if (!ffrtmp_quota_checked_at_submit(quota))
				continue;
			if (((quota->taken_at & QUOTA_AT_SUBMIT) != 0) == room &&
				!DatumGetBool(ffrtmp_get_datum(column, &isnull)))
				ffrtmp_refuse_quota(name, quota, ffrtmp_get_int32(column + 2, &isnull),
									ffrtmp_get_int32(column + 1, &isnull));
			column += 3;
		}
	}
}

PG_FUNCTION_INFO_V1(ffrtmp_submit_job);
Datum
ffrtmp_submit_job(PG_FUNCTION_ARGS)
{
#define INSERT_ARGTYPES {UUIDOID, INT8OID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, \
			INT4OID, INT4OID, INT4OID, TIMESTAMPTZOID, INTERVALOID, TEXTOID, INT4OID, BOOLOID, TIDOID}
	/* [release 0.1's SQL][looked up by the version last written] */
	static KeptQuery inserts[2][2] = {
		{{.nargs = 17, .argtypes = INSERT_ARGTYPES}, {.nargs = 17, .argtypes = INSERT_ARGTYPES}},
		{{.nargs = 17, .argtypes = INSERT_ARGTYPES}, {.nargs = 17, .argtypes = INSERT_ARGTYPES}},
	};
	JobRequest	r = read_request(fcinfo);
	pg_uuid_t	tenant;
	Jsonb	   *params;
	int64		minute = ffrtmp_current_minute();
	ItemPointerData version;
	bool		by_version;
	Datum		values[17];
	char		nulls[17];

	SPI_connect();
	tenant = ffrtmp_target_tenant(r.tenant);
	ffrtmp_require_active_now(&tenant, "submit jobs");
	ffrtmp_require_home_database("submit jobs");
	params = ffrtmp_resolve_job_params(&r, &tenant);

	/*
	 * A repeated idempotency key must be looked up under the tenant's lock,
	 * so that two racing repeats cannot both insert.
	 */
	if (r.idempotency_key)
	{
		TenantUsage usage = ffrtmp_lock_usage(&tenant);
		int64		existing;

		ffrtmp_require_active_tenant(usage.name, usage.status, "submit jobs");
		existing = ffrtmp_find_idempotent_job(&r, &tenant, params);
		if (existing != 0)
			PG_RETURN_DATUM(ffrtmp_return_job(fcinfo, existing));
	}

	memset(nulls, ' ', sizeof(nulls));
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int64GetDatum(minute);
	values[2] = CStringGetTextDatum(r.queue);
	values[3] = Int32GetDatum(r.priority);
	values[4] = CStringGetTextDatum(r.input_url);
	values[5] = r.output_url ? CStringGetTextDatum(r.output_url) : (nulls[5] = 'n', (Datum) 0);
	values[6] = r.preset ? CStringGetTextDatum(r.preset) : (nulls[6] = 'n', (Datum) 0);
	values[7] = JsonbPGetDatum(params);
	values[8] = Int32GetDatum(r.cpu_cores);
	values[9] = Int32GetDatum(r.gpus);
	values[10] = Int32GetDatum(r.max_attempts);
	values[11] = r.has_run_after ? TimestampTzGetDatum(r.run_after) : (nulls[11] = 'n', (Datum) 0);
	values[12] = r.timeout ? IntervalPGetDatum(r.timeout) : (nulls[12] = 'n', (Datum) 0);
	values[13] = r.idempotency_key ? CStringGetTextDatum(r.idempotency_key) : (nulls[13] = 'n', (Datum) 0);
	values[14] = Int32GetDatum((int32) (minute % 60) + 1);
	values[15] = BoolGetDatum(r.retry_all_failures);
	by_version = ffrtmp_usage_version(&tenant, &version);
	values[16] = PointerGetDatum(&version);
	nulls[16] = by_version ? ' ' : 'n';

	for (int tries = 1;; tries++)
	{
		KeptQuery  *insert = &inserts[r.sql_0_1][by_version];

		if (insert->sql == NULL)
			insert->sql = submit_sql(r.sql_0_1, by_version);
		if (by_version)
		{
			/* A small usage table would be read whole: its versions are the cost. */
			int			nestlevel = ffrtmp_begin_index_plans();

			ffrtmp_run(insert, values, nulls);
			ffrtmp_end_index_plans(nestlevel);
		}
		else
			ffrtmp_run(insert, values, nulls);
		if (SPI_processed == 1)
			break;
		/* No room, or the version is gone (a savepoint rolled back): by tenant_id. */
		if (by_version)
		{
			by_version = false;
			nulls[16] = 'n';
			tries--;
			continue;
		}
		explain_refusal(&tenant, &r);	/* raises, unless there is room now */
		if (tries == 10)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not submit the job: the tenant's usage kept changing"),
					 errhint("Submit the job again.")));
	}
	{
		bool		isnull;
		int			id_column = SPI_fnumber(SPI_tuptable->tupdesc, "id");
		int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, id_column, &isnull));
		int			version_column = SPI_fnumber(SPI_tuptable->tupdesc, "usage_version");

		ffrtmp_note_usage_version(&tenant,
								  (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
																	version_column, &isnull)));

		ffrtmp_audit_submitted(&id, 1);
	}
	ffrtmp_wake_scheduler_at_commit();
	PG_RETURN_DATUM(ffrtmp_return_row(fcinfo));
}

PG_FUNCTION_INFO_V1(ffrtmp_get_job);
Datum
ffrtmp_get_job(PG_FUNCTION_ARGS)
{
	ffrtmp_require_arg(fcinfo, 0, "id");
	SPI_connect();
	PG_RETURN_DATUM(ffrtmp_return_job(fcinfo, PG_GETARG_INT64(0)));
}

/*
 * The id of a tenant's job number (ffrtmp.job_id).  A tenant principal
 * names no tenant (or its own; another is refused as ffrtmp_find_tenant
 * refuses it), so it can only ever look among its own numbers; a number it
 * does not have is one error, whether another tenant has it or nobody.
 */
PG_FUNCTION_INFO_V1(ffrtmp_job_id);
Datum
ffrtmp_job_id(PG_FUNCTION_ARGS)
{
	static KeptQuery by_seq = {
		.sql = "SELECT id FROM ffrtmp_data.jobs WHERE tenant_id = $1 AND seq = $2",
		.nargs = 2, .argtypes = {UUIDOID, INT8OID},
	};
	int64		seq;
	pg_uuid_t	tenant;
	Datum		values[2];
	bool		isnull;
	int64		id;

	ffrtmp_require_arg(fcinfo, 0, "seq");
	seq = PG_GETARG_INT64(0);
	SPI_connect();
	if (PG_ARGISNULL(1) && ffrtmp_caller_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("job number %lld names no tenant", (long long) seq),
				 errdetail("Job numbers are per tenant, and administrators act for every tenant."),
				 errhint("Name the tenant: ffrtmp.job_id(%lld, tenant => 'name').", (long long) seq)));
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 1));
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int64GetDatum(seq);
	ffrtmp_run(&by_seq, values, NULL);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("job number %lld does not exist", (long long) seq),
				 errhint("SELECT seq, id, state FROM ffrtmp.jobs lists the jobs you can see.")));
	id = DatumGetInt64(ffrtmp_get_datum(1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * State changes lock the job first and decide on the state they find then.
 * An UPDATE ... WHERE <the state allows it> would, after waiting for a
 * concurrent change (dispatch moving the job from queued to assigned, say),
 * re-check its condition against the rows it had already joined for the old
 * state and refuse a change the new state allows.  The lock order is the
 * job's row, then its tenant's usage row, as in every other state change.
 */
typedef struct LockedJob
{
	pg_uuid_t	tenant;
	char	   *state;
	bool		allowed;		/* job_transitions has (state, the target state) */
	bool		active;
} LockedJob;

static LockedJob
lock_job(int64 id, const char *target)
{
	/* The job alone: a join would be re-checked against the old state's rows. */
	static KeptQuery lock = {
		.sql = "SELECT 1 FROM ffrtmp_data.jobs j WHERE j.id = $1 FOR NO KEY UPDATE",
		.nargs = 1, .argtypes = {INT8OID},
	};
	/* A new snapshot, taken under the lock: the state as it is now. */
	static KeptQuery state_of = {
		.sql = "SELECT j.tenant_id, j.state, s.is_active,"
		"       EXISTS (SELECT 1 FROM ffrtmp_data.job_transitions t"
		"                WHERE t.from_state = j.state AND t.to_state = $2)"
		"  FROM ffrtmp_data.jobs j JOIN ffrtmp_data.job_states s ON s.state = j.state"
		" WHERE j.id = $1",
		.nargs = 2, .argtypes = {INT8OID, TEXTOID},
	};
	Datum		values[2];
	bool		isnull;
	LockedJob	job;

	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(target);
	ffrtmp_run(&lock, values, NULL);
	if (SPI_processed == 1)
		ffrtmp_run(&state_of, values, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("job %lld does not exist", (long long) id),
				 errhint("SELECT id, state FROM ffrtmp.jobs lists the jobs you can see.")));
	job.tenant = *DatumGetUUIDP(ffrtmp_get_datum(1, &isnull));
	job.state = ffrtmp_get_text(2);
	job.active = DatumGetBool(ffrtmp_get_datum(3, &isnull));
	job.allowed = DatumGetBool(ffrtmp_get_datum(4, &isnull));
	return job;
}

static void
refuse_change(int64 id, const LockedJob *job, const char *change, const char *allowed)
{
	ereport(ERROR,
			(errcode(ERRCODE_FFRTMP_CONFLICT),
			 errmsg("job %lld is %s and cannot be %s", (long long) id, job->state, change),
			 errhint("Only %s jobs can be %s.", allowed, change)));
}

/*
 * A canceled job's row describes the cancel: an earlier attempt's failure
 * (a job canceled while retrying, or while a later attempt ran) is history,
 * kept in job_events, as finish_job leaves it for a completed job.
 */
PG_FUNCTION_INFO_V1(ffrtmp_cancel_job);
Datum
ffrtmp_cancel_job(PG_FUNCTION_ARGS)
{
	static KeptQuery cancel = {
		.sql = "UPDATE ffrtmp_data.jobs j"
		"   SET state = '" JOB_CANCELED "', state_reason = 'canceled by ' || ffrtmp_data.actor(),"
		"       failure_reason = NULL, error = NULL, finished_at = now(), updated_at = now()"
		" WHERE j.id = $1"
		" RETURNING j.*",
		.nargs = 1, .argtypes = {INT8OID},
	};
	/*
	 * The node of a started attempt hears of it at commit (and at its next
	 * heartbeat, should the notification be lost): a paused process sends
	 * no progress report whose refusal would tell it.
	 */
	static KeptQuery notify_node = {
		.sql = "SELECT pg_notify('" PROTOCOL_CHANNEL_PREFIX "' || node_id, '') FROM ffrtmp_data.jobs"
		" WHERE id = $1 AND state IN ('" JOB_RUNNING "', '" JOB_PAUSED "') AND node_id IS NOT NULL",
		.nargs = 1, .argtypes = {INT8OID},
	};
	Datum		id;
	LockedJob	job;
	Datum		before;
	bool		before_isnull;

	ffrtmp_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);
	SPI_connect();
	job = lock_job(DatumGetInt64(id), JOB_CANCELED);
	if (!job.allowed)
		refuse_change(DatumGetInt64(id), &job, JOB_CANCELED,
					  JOB_QUEUED ", " JOB_ASSIGNED ", " JOB_RUNNING ", " JOB_RETRYING ", " JOB_HELD " or " JOB_PAUSED);
	before = ffrtmp_audit_job_before(DatumGetInt64(id), &before_isnull);
	ffrtmp_run(&notify_node, &id, NULL);
	ffrtmp_run(&cancel, &id, NULL);
	ffrtmp_audit_job("job.cancel", DatumGetInt64(id), before, before_isnull);
	PG_RETURN_DATUM(ffrtmp_return_row(fcinfo));
}

/*
 * retry_job starts a new run: the attempt number keeps growing (so a worker
 * still holding the old attempt stays fenced off) and first_attempt moves to
 * it, which gives the job a fresh max_attempts.  The job becomes active again,
 * so it takes the quotas taken at retry (max_jobs); it is not a new
 * submission for the hourly quota.  Like a submitted job, it must fit alone
 * under the quotas dispatch takes (the limit may have been lowered since it
 * was submitted): else no pass would ever run it.
 */
PG_FUNCTION_INFO_V1(ffrtmp_retry_job);
Datum
ffrtmp_retry_job(PG_FUNCTION_ARGS)
{
	static KeptQuery requeue = {
		.sql = "UPDATE ffrtmp_data.jobs"
		"   SET state = '" JOB_QUEUED "', attempt = attempt + 1, first_attempt = attempt + 1,"
		"       run_after = now(), node_id = NULL, error = NULL, failure_reason = NULL, result = NULL,"
		"       started_at = NULL, finished_at = NULL, updated_at = now(),"
		"       state_reason = 'retried by ' || ffrtmp_data.actor()"
		" WHERE id = $1"
		" RETURNING *",
		.nargs = 1, .argtypes = {INT8OID},
	};
	Datum		id;
	LockedJob	job;
	Datum		before;
	bool		before_isnull;
	TenantUsage usage;

	ffrtmp_require_arg(fcinfo, 0, "id");
	id = PG_GETARG_DATUM(0);
	SPI_connect();
	job = lock_job(DatumGetInt64(id), JOB_QUEUED);
	if (job.active || !job.allowed)
		refuse_change(DatumGetInt64(id), &job, "retried", "failed, timed-out, canceled or rejected");

	usage = ffrtmp_lock_usage(&job.tenant);
	ffrtmp_require_active_tenant(usage.name, usage.status, "retry jobs");
	ffrtmp_require_job_fits(&usage, DatumGetInt64(id));
	ffrtmp_require_quotas(&usage, QUOTA_AT_RETRY);
	before = ffrtmp_audit_job_before(DatumGetInt64(id), &before_isnull);
	ffrtmp_run(&requeue, &id, NULL);
	ffrtmp_audit_job("job.retry", DatumGetInt64(id), before, before_isnull);
	PG_RETURN_DATUM(ffrtmp_return_row(fcinfo));
}

PG_FUNCTION_INFO_V1(ffrtmp_tenant_jobs);
Datum
ffrtmp_tenant_jobs(PG_FUNCTION_ARGS)
{
	static KeptQuery state_exists = {
		.sql = "SELECT 1 FROM ffrtmp_data.job_states WHERE state = $1",
		.nargs = 1, .argtypes = {TEXTOID},
	};
	static KeptQuery list = {
		.sql = "SELECT * FROM ffrtmp_data.job_details WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2)"
		" ORDER BY seq DESC",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	static KeptQuery list_stored = {
		.sql = "SELECT * FROM ffrtmp_data.jobs WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2)"
		" ORDER BY seq DESC",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	pg_uuid_t	tenant;
	Datum		values[2];
	char		nulls[2] = {' ', PG_ARGISNULL(1) ? 'n' : ' '};

	SPI_connect();
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	if (!PG_ARGISNULL(1))
	{
		ffrtmp_check_text_bytes("state", ffrtmp_text_arg(fcinfo, 1), WORD_ARG_MAX_BYTES);
		ffrtmp_run(&state_exists, &values[1], NULL);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown job state \"%s\"", ffrtmp_echo(ffrtmp_text_arg(fcinfo, 1))),
					 errhint("SELECT state FROM ffrtmp.job_states lists the states.")));
	}
	ffrtmp_run(returns_job_details(fcinfo) ? &list : &list_stored, values, nulls);
	ffrtmp_return_rows(fcinfo);
	return (Datum) 0;
}
