/*
 * usage.c: per-tenant counters and the quotas checked against them.
 *
 * Quota checks read one row of ffrtmp_data.usage, locked FOR UPDATE, and the
 * change that consumes the quota updates that same row in the same
 * transaction.  Concurrent submitters of one tenant therefore queue on the row
 * lock and each sees the count its predecessor committed: the limit is exact,
 * and the check is O(1) whatever the number of jobs.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "access/xact.h"
#include "utils/array.h"
#include "utils/builtins.h"
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
 * buckets whose minute lies in the hour ending at now_minute.
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
		if (minute[i] > now_minute - 60 && minute[i] <= now_minute)
			total += count[i];
	PG_RETURN_INT32((int32) Min(total, PG_INT32_MAX));
}

static int64
limit_column(int column)
{
	bool		isnull;
	int32		value = ffrtmp_get_int32(column, &isnull);

	return isnull ? FFRTMP_UNLIMITED : value;
}

TenantUsage
ffrtmp_lock_usage(pg_uuid_t *tenant)
{
	static KeptQuery lock = {
		.sql = "SELECT l.name, l.effective_status,"
		"       l.max_jobs, l.max_workers, l.max_cpu_cores, l.max_gpus, l.max_jobs_per_hour,"
		"       u.active_jobs, u.workers,"
		"       ffrtmp_data.jobs_in_hour(u.hour_counts, u.hour_minutes, $2)"
		"  FROM ffrtmp_data.usage u"
		"  JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id"
		" WHERE u.tenant_id = $1"
		"   FOR UPDATE OF u",
		.nargs = 2, .argtypes = {UUIDOID, INT8OID},
	};
	TenantUsage usage;
	Datum		values[2];
	bool		isnull;

	values[0] = UUIDPGetDatum(tenant);
	values[1] = Int64GetDatum(ffrtmp_current_minute());
	ffrtmp_run(&lock, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant has no usage row");
	usage.name = ffrtmp_get_text(1);
	usage.status = ffrtmp_get_text(2);
	usage.max_jobs = limit_column(3);
	usage.max_workers = limit_column(4);
	usage.max_cpu_cores = limit_column(5);
	usage.max_gpus = limit_column(6);
	usage.max_jobs_per_hour = limit_column(7);
	usage.active_jobs = ffrtmp_get_int32(8, &isnull);
	usage.workers = ffrtmp_get_int32(9, &isnull);
	usage.jobs_this_hour = ffrtmp_get_int32(10, &isnull);
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

PG_FUNCTION_INFO_V1(ffrtmp_tenant_stats);
Datum
ffrtmp_tenant_stats(PG_FUNCTION_ARGS)
{
	static KeptQuery stats = {
		.sql = "SELECT s.*, format("
		"  E'Active Jobs: %s  Active Workers: %s  CPU Cores Used: %s  GPUs Used: %s  Jobs This Hour: %s\\n"
		"Jobs Available: %s  Workers Available: %s  CPU Cores Available: %s  GPUs Available: %s',"
		"  s.active_jobs, s.active_workers, s.cpu_cores_used, s.gpus_used, s.jobs_this_hour,"
		"  coalesce(s.jobs_available::text, 'unlimited'), coalesce(s.workers_available::text, 'unlimited'),"
		"  coalesce(s.cpu_cores_available::text, 'unlimited'), coalesce(s.gpus_available::text, 'unlimited'))"
		" FROM (SELECT u.tenant_id, t.name, u.active_jobs, u.queued_jobs, u.running_jobs,"
		"              u.workers AS active_workers, u.cpu_cores_used, u.gpus_used, h.n AS jobs_this_hour,"
		"              ffrtmp_data.quota_left(l.max_jobs, u.active_jobs) AS jobs_available,"
		"              ffrtmp_data.quota_left(l.max_workers, u.workers) AS workers_available,"
		"              ffrtmp_data.quota_left(l.max_cpu_cores, u.cpu_cores_used) AS cpu_cores_available,"
		"              ffrtmp_data.quota_left(l.max_gpus, u.gpus_used) AS gpus_available,"
		"              ffrtmp_data.quota_left(l.max_jobs_per_hour, h.n) AS jobs_this_hour_available"
		"         FROM ffrtmp_data.usage u"
		"         JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id"
		"         JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id,"
		"         LATERAL (SELECT ffrtmp_data.jobs_in_hour(u.hour_counts, u.hour_minutes, $2) AS n) h"
		"        WHERE u.tenant_id = $1) s",
		.nargs = 2, .argtypes = {UUIDOID, INT8OID},
	};
	pg_uuid_t	tenant;
	Datum		values[2];

	SPI_connect();
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
	values[0] = UUIDPGetDatum(&tenant);
	values[1] = Int64GetDatum(ffrtmp_current_minute());
	ffrtmp_run(&stats, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant has no usage row");
	PG_RETURN_DATUM(ffrtmp_return_row(fcinfo));
}
