/*
 * submit_jobs.c: many jobs of one tenant in one call, all or nothing.
 *
 * Each job is a JSON object whose keys are submit_job's argument names, read
 * into the same JobRequest and checked by the same code (jobs.c, validate.c),
 * so a job submit_jobs accepts is a job submit_job accepts.  A refusal names
 * the job by its index in the array (jobs[3]: ...) and nothing is written.
 *
 * The writes are one statement for the whole batch: the tenant's usage row
 * takes all the batch's units of quota at once and the jobs and their first
 * events are inserted from arrays.  The quotas are checked in C, under the
 * usage row lock taken before any idempotency lookup, against the batch's
 * new jobs together: a batch that does not fit is refused whole, and two
 * batches of one tenant queue on that lock, the second seeing the first's
 * jobs.  Where submit_job runs its statement per job, this pays the
 * statement, the lock and the commit once per batch.
 */
#include "ffrtmp.h"
#include "bounds.h"
#include "jobs.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

extern Datum ffrtmp_priority_in(PG_FUNCTION_ARGS);
extern Datum ffrtmp_priority_from_int(PG_FUNCTION_ARGS);

#define bad_field(field, what) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg("%s must be %s", field, what), \
			 errhint("Use the types of submit_job's arguments: text as a string, numbers as numbers, params as an object, run_after and timeout as strings.")))

/* A JSON string as a C string; null when the value is JSON null (the default). */
static char *
string_field(const char *field, const JsonbValue *v)
{
	if (v->type == jbvNull)
		return NULL;
	if (v->type != jbvString)
		bad_field(field, "a string");
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static int32
int_field(const char *field, const JsonbValue *v, int32 otherwise)
{
	Datum		as_int;

	if (v->type == jbvNull)
		return otherwise;
	if (v->type != jbvNumeric)
		bad_field(field, "a whole number");
	as_int = DirectFunctionCall1(numeric_int4, NumericGetDatum(v->val.numeric));
	/* numeric_int4 rounds: a fraction is refused, not rounded. */
	if (!DatumGetBool(DirectFunctionCall2(numeric_eq, NumericGetDatum(v->val.numeric),
										  DirectFunctionCall1(int4_numeric, as_int))))
		bad_field(field, "a whole number");
	return DatumGetInt32(as_int);
}

/* One member of a job object into the request; unknown keys are refused. */
static void
read_field(JobRequest *r, const char *key, JsonbValue *v)
{
	char	   *s;

	if (strcmp(key, "input_url") == 0)
		r->input_url = string_field(key, v);
	else if (strcmp(key, "output_url") == 0)
		r->output_url = string_field(key, v);
	else if (strcmp(key, "preset") == 0)
		r->preset = string_field(key, v);
	else if (strcmp(key, "params") == 0)
	{
		if (v->type == jbvNull)
			r->params = NULL;
		else if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
			bad_field(key, "a JSON object");
		else
			r->params = JsonbValueToJsonb(v);
	}
	else if (strcmp(key, "priority") == 0)
	{
		if (v->type == jbvString)
			r->priority = DatumGetInt32(DirectFunctionCall1(ffrtmp_priority_in,
															CStringGetDatum(string_field(key, v))));
		else
			r->priority = DatumGetInt32(DirectFunctionCall1(ffrtmp_priority_from_int,
															Int32GetDatum(int_field(key, v, 0))));
	}
	else if (strcmp(key, "max_attempts") == 0)
		r->max_attempts = int_field(key, v, 3);
	else if (strcmp(key, "cpu_cores") == 0)
		r->cpu_cores = int_field(key, v, 1);
	else if (strcmp(key, "gpus") == 0)
		r->gpus = int_field(key, v, 0);
	else if (strcmp(key, "run_after") == 0)
	{
		r->has_run_after = (s = string_field(key, v)) != NULL;
		if (s)
			r->run_after = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(s),
																   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	else if (strcmp(key, "timeout") == 0)
	{
		if ((s = string_field(key, v)) != NULL)
			r->timeout = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(s),
															   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	else if (strcmp(key, "idempotency_key") == 0)
		r->idempotency_key = string_field(key, v);
	else if (strcmp(key, "queue") == 0)
		r->queue = (s = string_field(key, v)) ? s : "default";
	else if (strcmp(key, "retry_all_failures") == 0)
	{
		if (v->type != jbvNull && v->type != jbvBool)
			bad_field(key, "true or false");
		r->retry_all_failures = v->type == jbvBool && v->val.boolean;
	}
	else if (strcmp(key, "tenant") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tenant is not a field of a job: a batch is for one tenant"),
				 errhint("Pass it once, as submit_jobs(jobs, tenant => ...).")));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown field \"%s\"", ffrtmp_echo(key)),
				 errhint("The fields are submit_job's arguments: input_url, output_url, preset, params, priority, max_attempts, run_after, timeout, cpu_cores, gpus, idempotency_key, queue and retry_all_failures.")));
}

/* Reads, checks and completes (preset) one job: what submit_job does with its arguments. */
static JobRequest
read_job(JsonbValue *element, pg_uuid_t *tenant, Jsonb **params)
{
	JobRequest	r;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *key = NULL;

	if (element->type != jbvBinary || !JsonContainerIsObject(element->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a job must be a JSON object"),
				 errhint("Pass objects such as {\"input_url\": \"file:///media/in.mp4\", \"preset\": \"720p30-test\"}.")));
	ffrtmp_default_job_request(&r);
	it = JsonbIteratorInit(element->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (token == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (token == WJB_VALUE)
			read_field(&r, key, &v);
	ffrtmp_check_job_request(&r);
	*params = ffrtmp_resolve_job_params(&r, tenant);
	return r;
}

/*
 * Runs read_job, and puts "jobs[i]: " before the message of any error it
 * raises (the field is named in the message already).
 */
static JobRequest
read_job_at(JsonbValue *element, int index, pg_uuid_t *tenant, Jsonb **params)
{
	MemoryContext context = CurrentMemoryContext;
	JobRequest	r;

	PG_TRY();
	{
		r = read_job(element, tenant, params);
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(context);
		error = CopyErrorData();
		FlushErrorState();
		error->message = psprintf("jobs[%d]: %s", index, error->message);
		ReThrowError(error);
	}
	PG_END_TRY();
	return r;
}

static int
compare_keys(const void *a, const void *b, void *arg)
{
	JobRequest *jobs = arg;

	return strcmp(jobs[*(const int *) a].idempotency_key, jobs[*(const int *) b].idempotency_key);
}

/*
 * One idempotency key per batch: a key given twice in one batch is refused,
 * naming both jobs (two different jobs under one key is a conflict; the same
 * job twice is a mistake of the caller's that would return one id twice).
 */
static void
refuse_repeated_keys(JobRequest *jobs, int n)
{
	int		   *keyed = palloc(n * sizeof(int));
	int			count = 0;

	for (int i = 0; i < n; i++)
		if (jobs[i].idempotency_key)
			keyed[count++] = i;
	qsort_arg(keyed, count, sizeof(int), compare_keys, jobs);
	for (int i = 1; i < count; i++)
		if (strcmp(jobs[keyed[i - 1]].idempotency_key, jobs[keyed[i]].idempotency_key) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("jobs[%d]: idempotency_key \"%s\" is also the key of jobs[%d]",
							Max(keyed[i - 1], keyed[i]), ffrtmp_echo(jobs[keyed[i]].idempotency_key),
							Min(keyed[i - 1], keyed[i])),
					 errhint("Give each job of a batch its own key.")));
}

/*
 * The jobs of the batch whose key the tenant used before: existing[i] is
 * that job's id, seqs[i] its seq (0 when the key is new).  A key used before
 * with other arguments is refused, as submit_job refuses it.  Runs under the
 * usage row lock.
 */
static int
find_existing(JobRequest *jobs, Jsonb **params, int n, pg_uuid_t *tenant, int64 *existing, int64 *seqs)
{
	static KeptQuery used = {
		.sql = "SELECT idempotency_key, id, seq FROM ffrtmp_data.jobs"
		" WHERE tenant_id = $1 AND idempotency_key = ANY ($2)",
		.nargs = 2, .argtypes = {UUIDOID, TEXTARRAYOID},
	};
	Datum	   *keys = palloc(n * sizeof(Datum));
	int			count = 0;
	int			found = 0;
	Datum		values[2];
	SPITupleTable *rows;
	uint64		nrows;

	for (int i = 0; i < n; i++)
		if (jobs[i].idempotency_key)
			keys[count++] = CStringGetTextDatum(jobs[i].idempotency_key);
	if (count == 0)
		return 0;
	values[0] = UUIDPGetDatum(tenant);
	values[1] = PointerGetDatum(construct_array(keys, count, TEXTOID, -1, false, TYPALIGN_INT));
	ffrtmp_run(&used, values, NULL);
	rows = SPI_tuptable;
	nrows = SPI_processed;
	for (uint64 row = 0; row < nrows; row++)
	{
		char	   *key = SPI_getvalue(rows->vals[row], rows->tupdesc, 1);

		for (int i = 0; i < n; i++)
			if (jobs[i].idempotency_key && strcmp(jobs[i].idempotency_key, key) == 0)
			{
				bool		isnull;

				existing[i] = DatumGetInt64(SPI_getbinval(rows->vals[row], rows->tupdesc, 2, &isnull));
				seqs[i] = DatumGetInt64(SPI_getbinval(rows->vals[row], rows->tupdesc, 3, &isnull));
				found++;
			}
	}
	/* The arguments of each repeat must be the original's (this runs further queries). */
	for (int i = 0; i < n; i++)
		if (existing[i] != 0)
		{
			MemoryContext context = CurrentMemoryContext;

			PG_TRY();
			{
				(void) ffrtmp_find_idempotent_job(&jobs[i], tenant, params[i]);
			}
			PG_CATCH();
			{
				ErrorData  *error;

				MemoryContextSwitchTo(context);
				error = CopyErrorData();
				FlushErrorState();
				error->message = psprintf("jobs[%d]: %s", i, error->message);
				ReThrowError(error);
			}
			PG_END_TRY();
		}
	return found;
}

/*
 * The quotas for the batch's new jobs together: each job must fit alone
 * under the quotas dispatch takes (22023, naming the job), and the quotas
 * taken at submit must have room for all of them (PT429: the whole batch is
 * refused, however many would fit).
 */
static void
require_batch_quotas(const TenantUsage *usage, JobRequest *jobs, int64 *existing, int n, int fresh)
{
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		const QuotaCheck *quota = &ffrtmp_quota_checks[i];

		if (!ffrtmp_quota_checked_for_fit(quota) || usage->limit[i] == FFRTMP_UNLIMITED)
			continue;
		for (int j = 0; j < n; j++)
		{
			int64		demand;

			if (existing[j] != 0)
				continue;
			if (strcmp(quota->job_column, "cpu_cores") == 0)
				demand = jobs[j].cpu_cores;
			else if (strcmp(quota->job_column, "gpus") == 0)
				demand = jobs[j].gpus;
			else
				elog(ERROR, "submit_jobs does not know the job column %s", quota->job_column);
			if (demand > usage->limit[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("jobs[%d]: job needs %lld %s but tenant \"%s\" may use at most %lld",
								j, (long long) demand, quota->unit, usage->name, (long long) usage->limit[i]),
						 errhint("%s", quota->hint)));
		}
	}
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		const QuotaCheck *quota = &ffrtmp_quota_checks[i];

		long long	room;

		if (!(quota->taken_at & QUOTA_AT_SUBMIT) || usage->limit[i] == FFRTMP_UNLIMITED ||
			usage->used[i] + fresh <= usage->limit[i])
			continue;
		room = Max(usage->limit[i] - usage->used[i], 0);
		/* A smaller batch is worth suggesting only when some of it fits. */
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_QUOTA_EXCEEDED),
				 errmsg("tenant \"%s\" has no room for %d more %s under its quota of %lld",
						usage->name, fresh, quota->unit, (long long) usage->limit[i]),
				 errdetail("%lld are taken; no job of the batch was submitted.", (long long) usage->used[i]),
				 room > 0 ? errhint("%s Or submit a smaller batch: %lld jobs fit now.", quota->hint, room)
				 : errhint("%s", quota->hint)));
	}
}

/* The insert statement: the usage row takes the batch, then the jobs and their events from arrays. */
static KeptQuery insert_batch = {
	.sql = "WITH u AS ("
	"  UPDATE ffrtmp_data.usage u SET"
	"    active_jobs = u.active_jobs + $2, queued_jobs = u.queued_jobs + $2,"
	"    jobs_submitted = u.jobs_submitted + $2,"
	"    hour_counts[$3 % 60 + 1] = CASE WHEN u.hour_minutes[$3 % 60 + 1] >= $3"
	"                                    THEN u.hour_counts[$3 % 60 + 1] + $2 ELSE $2 END,"
	"    hour_minutes[$3 % 60 + 1] = greatest(u.hour_minutes[$3 % 60 + 1], $3)"
	"  WHERE u.tenant_id = $1"
	"  RETURNING u.jobs_submitted - $2 AS base),"
	" j AS ("
	"  INSERT INTO ffrtmp_data.jobs (tenant_id, seq, queue, priority, input_url, output_url, preset,"
	"      params, cpu_cores, gpus, max_attempts, run_after, timeout, idempotency_key, state_reason,"
	"      retry_all_failures)"
	"  SELECT $1, u.base + b.n, b.queue, b.priority, b.input_url, b.output_url, b.preset, b.params,"
	"         b.cpu_cores, b.gpus, b.max_attempts, coalesce(b.run_after, now()), b.timeout,"
	"         b.idempotency_key, 'submitted', b.retry_all_failures"
	"    FROM u, unnest($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
	"            WITH ORDINALITY AS b (queue, priority, input_url, output_url, preset, params, cpu_cores,"
	"                                  gpus, max_attempts, run_after, timeout, idempotency_key,"
	"                                  retry_all_failures, n)"
	"   ORDER BY b.n"
	"  RETURNING id, seq, tenant_id, attempt),"
	" e AS ("
	"  INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, from_state, to_state, reason, actor)"
	"  SELECT id, tenant_id, attempt, NULL, '" JOB_QUEUED "', 'submitted', ffrtmp_data.actor() FROM j)"
	" SELECT id, seq FROM j",
	.nargs = 16,
	.argtypes = {UUIDOID, INT4OID, INT8OID, TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, JSONBARRAYOID, INT4ARRAYOID, INT4ARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTARRAYOID, BOOLARRAYOID},
};

/* The columns of the new jobs, one array each, in the order of the insert statement's $4... */
#define BATCH_COLUMNS 13
static const Oid column_types[BATCH_COLUMNS] = {
	TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT4OID, INT4OID, INT4OID,
	TIMESTAMPTZOID, INTERVALOID, TEXTOID, BOOLOID,
};

static Datum
nullable_text(const char *s, bool *isnull)
{
	*isnull = s == NULL;
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* Inserts the new jobs (existing[i] == 0) in input order; sets their ids and seqs. */
static void
insert_new_jobs(pg_uuid_t *tenant, JobRequest *jobs, Jsonb **params, int n, int fresh,
				int64 *ids, int64 *seqs)
{
	Datum	   *cells[BATCH_COLUMNS];
	bool	   *cell_nulls[BATCH_COLUMNS];
	Datum		values[16];
	int			row = 0;
	int		   *index_of = palloc(fresh * sizeof(int));
	int64		first_seq = PG_INT64_MAX;

	for (int c = 0; c < BATCH_COLUMNS; c++)
	{
		cells[c] = palloc(fresh * sizeof(Datum));
		cell_nulls[c] = palloc0(fresh * sizeof(bool));
	}
	for (int i = 0; i < n; i++)
	{
		JobRequest *r = &jobs[i];

		if (ids[i] != 0)
			continue;
		index_of[row] = i;
		cells[0][row] = CStringGetTextDatum(r->queue);
		cells[1][row] = Int32GetDatum(r->priority);
		cells[2][row] = CStringGetTextDatum(r->input_url);
		cells[3][row] = nullable_text(r->output_url, &cell_nulls[3][row]);
		cells[4][row] = nullable_text(r->preset, &cell_nulls[4][row]);
		cells[5][row] = JsonbPGetDatum(params[i]);
		cells[6][row] = Int32GetDatum(r->cpu_cores);
		cells[7][row] = Int32GetDatum(r->gpus);
		cells[8][row] = Int32GetDatum(r->max_attempts);
		cells[9][row] = TimestampTzGetDatum(r->run_after);
		cell_nulls[9][row] = !r->has_run_after;
		cells[10][row] = IntervalPGetDatum(r->timeout);
		cell_nulls[10][row] = r->timeout == NULL;
		cells[11][row] = nullable_text(r->idempotency_key, &cell_nulls[11][row]);
		cells[12][row] = BoolGetDatum(r->retry_all_failures);
		row++;
	}
	values[0] = UUIDPGetDatum(tenant);
	values[1] = Int32GetDatum(fresh);
	values[2] = Int64GetDatum(ffrtmp_current_minute());
	for (int c = 0; c < BATCH_COLUMNS; c++)
	{
		int16		typlen;
		bool		typbyval;
		char		typalign;
		int			dims[1] = {fresh};
		int			lbs[1] = {1};

		get_typlenbyvalalign(column_types[c], &typlen, &typbyval, &typalign);
		values[3 + c] = PointerGetDatum(construct_md_array(cells[c], cell_nulls[c], 1, dims, lbs,
														   column_types[c], typlen, typbyval, typalign));
	}
	ffrtmp_run(&insert_batch, values, NULL);
	if (SPI_processed != (uint64) fresh)
		elog(ERROR, "submit_jobs inserted %llu jobs, not %d", (unsigned long long) SPI_processed, fresh);

	/* seq is the usage row's count plus the job's place among the new ones. */
	for (uint64 k = 0; k < SPI_processed; k++)
	{
		bool		isnull;

		first_seq = Min(first_seq, DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2, &isnull)));
	}
	for (uint64 k = 0; k < SPI_processed; k++)
	{
		bool		isnull;
		int64		seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 2, &isnull));
		int			i = index_of[seq - first_seq];

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[k], SPI_tuptable->tupdesc, 1, &isnull));
		seqs[i] = seq;
	}
}

PG_FUNCTION_INFO_V1(ffrtmp_submit_jobs);
Datum
ffrtmp_submit_jobs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *batch;
	int			n;
	int			fresh;
	JobRequest *jobs;
	Jsonb	  **params;
	int64	   *ids;
	int64	   *seqs;
	bool	   *submitted;
	pg_uuid_t	tenant;
	TenantUsage usage;

	ffrtmp_require_arg(fcinfo, 0, "jobs");
	batch = PG_GETARG_JSONB_P(0);
	if (!JB_ROOT_IS_ARRAY(batch) || JB_ROOT_IS_SCALAR(batch))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("jobs must be a JSON array of job objects"),
				 errhint("Pass '[{\"input_url\": \"file:///media/a.mp4\"}, {\"input_url\": \"file:///media/b.mp4\"}]'.")));
	n = JB_ROOT_COUNT(batch);
	if (n > SUBMIT_JOBS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a batch may hold at most %d jobs, not %d", SUBMIT_JOBS_MAX, n),
				 errhint("Split the jobs into batches of up to %d.", SUBMIT_JOBS_MAX)));
	InitMaterializedSRF(fcinfo, 0);
	if (n == 0)
		return (Datum) 0;

	SPI_connect();
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 1));
	ffrtmp_require_active_now(&tenant, "submit jobs");
	ffrtmp_require_home_database("submit jobs");

	jobs = palloc(n * sizeof(JobRequest));
	params = palloc(n * sizeof(Jsonb *));
	ids = palloc0(n * sizeof(int64));
	seqs = palloc0(n * sizeof(int64));
	submitted = palloc(n * sizeof(bool));
	for (int i = 0; i < n; i++)
	{
		JsonbValue *element = getIthJsonbValueFromContainer(&batch->root, i);

		jobs[i] = read_job_at(element, i, &tenant, &params[i]);
	}
	refuse_repeated_keys(jobs, n);

	/* Everything from here runs under the tenant's usage row lock, as submit_job's insert. */
	usage = ffrtmp_lock_usage(&tenant);
	ffrtmp_require_active_tenant(usage.name, usage.status, "submit jobs");
	fresh = n - find_existing(jobs, params, n, &tenant, ids, seqs);
	for (int i = 0; i < n; i++)
		submitted[i] = ids[i] == 0;
	require_batch_quotas(&usage, jobs, ids, n, fresh);
	if (fresh > 0)
	{
		int64	   *new_ids = palloc(fresh * sizeof(int64));
		int			k = 0;

		insert_new_jobs(&tenant, jobs, params, n, fresh, ids, seqs);
		/*
		 * A row per new job, as submit_job writes (a job's history is found
		 * by its target), all in one statement.
		 */
		for (int i = 0; i < n; i++)
			if (submitted[i])
				new_ids[k++] = ids[i];
		ffrtmp_audit_submitted(new_ids, k);
		ffrtmp_wake_scheduler_at_commit();
	}

	for (int i = 0; i < n; i++)
	{
		Datum		values[4] = {Int32GetDatum(i), Int64GetDatum(ids[i]), Int64GetDatum(seqs[i]),
		BoolGetDatum(submitted[i])};
		bool		nulls[4] = {0};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
