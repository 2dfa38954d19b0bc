/*
 * usage.c: per-tenant counters and the quotas checked against them.
 *
 * Quota checks read one row of ffrtmp_data.usage, locked FOR UPDATE, and the
 * change that consumes the quota updates that same row in the same
 * transaction.  Concurrent submitters of one tenant therefore queue on the row
 * lock and each sees the count its predecessor committed: the limit is exact,
 * and the check is O(1) whatever the number of jobs.  Changes that give quota
 * back (a job ending) wait in ffrtmp_data.pending_usage instead of locking the
 * row, so the row alone never counts less than is used; a check that would
 * refuse folds them in first, under the lock (ffrtmp_fold_usage).  Which
 * quotas exist, what they count and when they are taken is declared once, in
 * quota_checks.c; the statements here are built from that table.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "access/xact.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* Minutes since the Unix epoch at transaction start: the hour window's bucket clock. */
int64
ffrtmp_current_minute(void)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	int64		unix_seconds = now / USECS_PER_SEC +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;

	return unix_seconds / 60;
}

/*
 * ffrtmp_data.jobs_in_hour(counts, minutes, now_minute): the sum of the ring
 * buckets whose minute lies in the hour ending at now_minute, or later.
 * now_minute is the caller's transaction's start: a transaction kept open
 * for an hour sees buckets that younger transactions filled after it began,
 * and they count (the tenant used them), as a bucket's minute never moves
 * back (the submits' statements keep the later minute and add to it), so
 * that an old transaction neither overlooks nor erases the hour's submits.
 */
PG_FUNCTION_INFO_V1(ffrtmp_jobs_in_hour);
Datum
ffrtmp_jobs_in_hour(PG_FUNCTION_ARGS)
{
	ArrayType  *counts = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *minutes = PG_GETARG_ARRAYTYPE_P(1);
	int64		now_minute = PG_GETARG_INT64(2);
	int			n = ArrayGetNItems(ARR_NDIM(counts), ARR_DIMS(counts));
	int32	   *count = (int32 *) ARR_DATA_PTR(counts);
	int64	   *minute = (int64 *) ARR_DATA_PTR(minutes);
	int64		total = 0;

	if (ARR_HASNULL(counts) || ARR_HASNULL(minutes) ||
		n != ArrayGetNItems(ARR_NDIM(minutes), ARR_DIMS(minutes)))
		elog(ERROR, "hour buckets are malformed");
	for (int i = 0; i < n; i++)
		if (minute[i] > now_minute - 60)
			total += count[i];
	PG_RETURN_INT32((int32) Min(total, PG_INT32_MAX));
}

/* A statement built once per backend, in memory that lives as long as its kept plan. */
char *
ffrtmp_kept_sql(StringInfo sql)
{
	char	   *kept = MemoryContextStrdup(TopMemoryContext, sql->data);

	pfree(sql->data);
	return kept;
}

/*
 * The tenant's name, status, and each quota's limit and usage in the order
 * of the table, with the usage row locked.
 */
static char *
lock_usage_sql(void)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT l.name, l.effective_status");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&sql, ", l.%s, %s", ffrtmp_quota_checks[i].key, ffrtmp_quota_checks[i].used);
	appendStringInfoString(&sql,
						   "  FROM ffrtmp_data.usage u"
						   "  JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id"
						   " WHERE u.tenant_id = $1"
						   "   FOR UPDATE OF u");
	return ffrtmp_kept_sql(&sql);
}

/*
 * Folds the tenant's pending usage changes into its usage row, which the
 * caller holds locked: the fold's statement takes its snapshot after the
 * lock, so it sees every change committed before, and no other fold of the
 * tenant runs until this transaction ends.  Returns whether the row changed.
 */
bool
ffrtmp_fold_usage(pg_uuid_t *tenant)
{
	static KeptQuery fold = {
		.sql = "SELECT ffrtmp_data.fold_pending_usage(ARRAY[$1])",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	Datum		value = UUIDPGetDatum(tenant);
	bool		isnull;

	/* Release 0.1's trigger updates the row itself: nothing is ever pending. */
	if (!ffrtmp_sql_is_0_2())
		return false;
	ffrtmp_run(&fold, &value, NULL);
	return ffrtmp_get_int32(1, &isnull) > 0;
}

static TenantUsage
read_locked_usage(pg_uuid_t *tenant)
{
	static KeptQuery lock = {.nargs = 2, .argtypes = {UUIDOID, INT8OID}};
	TenantUsage usage;
	Datum		values[2];
	bool		isnull;

	if (lock.sql == NULL)
		lock.sql = lock_usage_sql();
	values[0] = UUIDPGetDatum(tenant);
	values[1] = Int64GetDatum(ffrtmp_current_minute());
	ffrtmp_run(&lock, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant has no usage row");
	usage.name = ffrtmp_get_text(1);
	usage.status = ffrtmp_get_text(2);
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		int32		limit = ffrtmp_get_int32(3 + 2 * i, &isnull);

		usage.limit[i] = isnull ? FFRTMP_UNLIMITED : limit;
		usage.used[i] = ffrtmp_get_int32(4 + 2 * i, &isnull);
	}
	return usage;
}

/*
 * Locks the tenant's usage row and reads it with what was given back
 * folded in: exact until this transaction ends.
 */
TenantUsage
ffrtmp_lock_usage(pg_uuid_t *tenant)
{
	TenantUsage usage = read_locked_usage(tenant);

	if (ffrtmp_fold_usage(tenant))
		usage = read_locked_usage(tenant);
	return usage;
}

/* Refuses one more of something when used has reached the limit. */
void
ffrtmp_require_room(const TenantUsage *usage, const char *what, int64 used, int64 limit,
					const char *hint)
{
	if (limit != FFRTMP_UNLIMITED && used >= limit)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_QUOTA_EXCEEDED),
				 errmsg("tenant \"%s\" has reached its quota of %lld %s",
						usage->name, (long long) limit, what),
				 errhint("%s", hint)));
}

/*
 * The refusal of a change that the quota does not allow: PT429 where the
 * change takes from the quota (there is no room now), 22023 where the quota
 * is taken later and the job's own demand exceeds it (it could never run).
 */
void
ffrtmp_refuse_quota(const char *tenant, const QuotaCheck *quota, int64 demand, int64 limit)
{
	if (quota->taken_at & (QUOTA_AT_SUBMIT | QUOTA_AT_RETRY | QUOTA_AT_NODE))
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_QUOTA_EXCEEDED),
				 errmsg("tenant \"%s\" has reached its quota of %lld %s",
						tenant, (long long) limit, quota->unit),
				 errhint("%s", quota->hint)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("job needs %lld %s but tenant \"%s\" may use at most %lld",
					(long long) demand, quota->unit, tenant, (long long) limit),
			 errhint("%s", quota->hint)));
}

/*
 * Refuses the change event when a quota it takes one of is full.  The quotas
 * taken at retry and at node registration count one per job or node (the
 * pgTAP test of the table checks that no job_column is set for them).
 */
void
ffrtmp_require_quotas(const TenantUsage *usage, QuotaEvent event)
{
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		const QuotaCheck *quota = &ffrtmp_quota_checks[i];

		Assert(event == QUOTA_AT_SUBMIT || !(quota->taken_at & event) || quota->job_column == NULL);
		if ((quota->taken_at & event) && usage->limit[i] != FFRTMP_UNLIMITED &&
			usage->used[i] + 1 > usage->limit[i])
			ffrtmp_refuse_quota(usage->name, quota, 1, usage->limit[i]);
	}
}

/* What the job takes of each quota (one column per row of the table, in order). */
static char *
job_demands_sql(void)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, ", ");
		ffrtmp_quota_append_demand(&sql, &ffrtmp_quota_checks[i], "j");
		appendStringInfoString(&sql, "::bigint");
	}
	appendStringInfoString(&sql, " FROM ffrtmp_data.jobs j WHERE j.id = $1");
	return ffrtmp_kept_sql(&sql);
}

/*
 * Refuses to queue job job_id again (retry_job) when it alone exceeds one of
 * the tenant's limits that dispatch takes, as submit_job refuses such a job:
 * the limit may have been lowered since the job was submitted.
 */
void
ffrtmp_require_job_fits(const TenantUsage *usage, int64 job_id)
{
	static KeptQuery demands = {.nargs = 1, .argtypes = {INT8OID}};
	Datum		id = Int64GetDatum(job_id);
	bool		isnull;

	if (demands.sql == NULL)
		demands.sql = job_demands_sql();
	ffrtmp_run(&demands, &id, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "job %lld has no row", (long long) job_id);
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		const QuotaCheck *quota = &ffrtmp_quota_checks[i];
		int64		demand = DatumGetInt64(ffrtmp_get_datum(i + 1, &isnull));

		if (ffrtmp_quota_checked_for_fit(quota) && usage->limit[i] != FFRTMP_UNLIMITED &&
			demand > usage->limit[i])
			ffrtmp_refuse_quota(usage->name, quota, demand, usage->limit[i]);
	}
}

/*
 * tenant_stats: the counters, then for each quota its usage and what is left
 * (quota_left: NULL when unlimited), and a summary of both, all named after
 * the table's columns; the row is matched to ffrtmp.tenant_stats by name.
 */
static char *
tenant_stats_sql(bool pending)
{
	StringInfoData sql;
	StringInfoData summary;

	initStringInfo(&sql);
	initStringInfo(&summary);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < ffrtmp_quota_count; i++)
			appendStringInfo(&summary, "%s%s: %%s", i == 0 ? (pass == 0 ? "" : "\n") : "  ",
							 pass == 0 ? ffrtmp_quota_checks[i].used_label : ffrtmp_quota_checks[i].available_label);
	appendStringInfo(&sql, "SELECT s.*, format(%s", quote_literal_cstr(summary.data));
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&sql, ", s.%s", ffrtmp_quota_checks[i].used_column);
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&sql, ", coalesce(s.%s::text, 'unlimited')", ffrtmp_quota_checks[i].available_column);
	appendStringInfoString(&sql, ") AS summary FROM (SELECT q.*");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&sql, ", ffrtmp_data.quota_left(q.limit_%d, q.%s) AS %s",
						 i, ffrtmp_quota_checks[i].used_column, ffrtmp_quota_checks[i].available_column);
	appendStringInfoString(&sql, " FROM (SELECT u.tenant_id, t.name AS tenant_name, u.queued_jobs, u.running_jobs");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&sql, ", %s AS %s, l.%s AS limit_%d", ffrtmp_quota_checks[i].used,
						 ffrtmp_quota_checks[i].used_column, ffrtmp_quota_checks[i].key, i);
	appendStringInfoString(&sql,
						   pending ? "  FROM ffrtmp_data.current_usage u" : "  FROM ffrtmp_data.usage u");
	appendStringInfoString(&sql,
						   "  JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id"
						   "  JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id"
						   " WHERE u.tenant_id = $1) q) s");
	pfree(summary.data);
	return ffrtmp_kept_sql(&sql);
}

PG_FUNCTION_INFO_V1(ffrtmp_tenant_stats);
Datum
ffrtmp_tenant_stats(PG_FUNCTION_ARGS)
{
	/* Release 0.1's SQL has no pending changes (nor current_usage). */
	static KeptQuery kept[2] = {
		{.nargs = 2, .argtypes = {UUIDOID, INT8OID}},
		{.nargs = 2, .argtypes = {UUIDOID, INT8OID}},
	};
	KeptQuery  *stats;
	pg_uuid_t	tenant;
	Datum		values[2];

	SPI_connect();
	stats = &kept[ffrtmp_sql_is_0_2()];
	if (stats->sql == NULL)
		stats->sql = tenant_stats_sql(ffrtmp_sql_is_0_2());
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int64GetDatum(ffrtmp_current_minute());
	ffrtmp_run(stats, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant has no usage row");
	PG_RETURN_DATUM(ffrtmp_return_named_row(fcinfo));
}
