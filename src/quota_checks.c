/*
 * quota_checks.c: the one table of a tenant's quotas.
 *
 * A quota is a limit (a column of plans and tenant_limits, NULL meaning
 * unlimited) on a count kept in the tenant's usage row.  Some changes take
 * from it (taken_at): a submitted job takes one active job and one of the
 * hour's submissions, a dispatched job takes its cpu_cores and gpus, a
 * dedicated node coming online takes a worker.  Each such change refuses to
 * go past the limit:
 *
 *   room  at a change that takes the quota: used + demand <= limit, or the
 *         change is refused with PT429 (HTTP 429: wait, or raise the quota);
 *         dispatch instead leaves the job queued for a later pass;
 *   fit   at submit and at retry (whatever puts a job in the queue), for a
 *         quota taken later by dispatch: the job's own demand <= limit, or
 *         it could never run: 22023 (HTTP 400).
 *
 * The statements that enforce these are built once per backend, from the
 * constant identifiers and expressions of this table only (never from user
 * data), and then prepared and kept like every other statement.  Adding a
 * row here extends submit_job, its refusal explanation, dispatch, retry_job,
 * register_node, update_tenant's accepted keys and tenant_stats at once; the
 * schema side (the plans and tenant_limits columns, tenant_stats' row type)
 * needs its own SQL, and test/pgtap/11_quota_checks.sql fails until it agrees
 * with this table.
 */
#include "ffrtmp.h"
#include "quota_checks.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

/*
 * The order is the order of tenant_stats' summary, and the order in which a
 * refusal is explained (fit checks first: a job that can never run should
 * say so before "wait").
 */
const QuotaCheck ffrtmp_quota_checks[] = {
	{
		.key = "max_jobs", .unit = "active jobs",
		.used = "u.active_jobs", .job_column = NULL,
		.taken_at = QUOTA_AT_SUBMIT | QUOTA_AT_RETRY,
		.hint = "Wait for jobs to finish or cancel some; an administrator can raise max_jobs with ffrtmp.update_tenant().",
		.used_column = "active_jobs", .used_label = "Active Jobs",
		.available_column = "jobs_available", .available_label = "Jobs Available",
	},
	{
		.key = "max_workers", .unit = "workers",
		.used = "u.workers", .job_column = NULL,
		.taken_at = QUOTA_AT_NODE,
		.hint = "Remove an idle node, or ask an administrator to raise max_workers with ffrtmp.update_tenant().",
		.used_column = "active_workers", .used_label = "Active Workers",
		.available_column = "workers_available", .available_label = "Workers Available",
	},
	{
		.key = "max_cpu_cores", .unit = "cpu_cores",
		.used = "u.cpu_cores_used", .job_column = "cpu_cores",
		.taken_at = QUOTA_AT_DISPATCH,
		.hint = "Request fewer cpu_cores, or move the tenant to a larger plan.",
		.used_column = "cpu_cores_used", .used_label = "CPU Cores Used",
		.available_column = "cpu_cores_available", .available_label = "CPU Cores Available",
	},
	{
		.key = "max_gpus", .unit = "gpus",
		.used = "u.gpus_used", .job_column = "gpus",
		.taken_at = QUOTA_AT_DISPATCH,
		.hint = "Request fewer gpus, or move the tenant to a larger plan.",
		.used_column = "gpus_used", .used_label = "GPUs Used",
		.available_column = "gpus_available", .available_label = "GPUs Available",
	},
	{
		.key = "max_jobs_per_hour", .unit = "jobs per hour",
		.used = "ffrtmp_data.jobs_in_hour(u.hour_counts, u.hour_minutes, $2)", .job_column = NULL,
		.taken_at = QUOTA_AT_SUBMIT,
		.hint = "Submit again later: the hour is rolling, counted in one-minute steps.",
		.used_column = "jobs_this_hour", .used_label = "Jobs This Hour",
		.available_column = "jobs_this_hour_available", .available_label = "Jobs This Hour Available",
	},
};
const int	ffrtmp_quota_count = lengthof(ffrtmp_quota_checks);

StaticAssertDecl(lengthof(ffrtmp_quota_checks) <= FFRTMP_MAX_QUOTAS,
				 "raise FFRTMP_MAX_QUOTAS");

const QuotaCheck *
ffrtmp_find_quota(const char *key)
{
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (strcmp(ffrtmp_quota_checks[i].key, key) == 0)
			return &ffrtmp_quota_checks[i];
	return NULL;
}

/*
 * "max_jobs, max_workers and max_gpus": the keys update_tenant accepts, for
 * hints; the table's, then the REST API rate (api_requests.c), a quota kept
 * outside the table since it counts nothing in usage.
 */
char *
ffrtmp_quota_key_list(void)
{
	StringInfoData list;

	initStringInfo(&list);
	for (int i = 0; i < ffrtmp_quota_count; i++)
		appendStringInfo(&list, "%s, ", ffrtmp_quota_checks[i].key);
	list.len -= 2;
	list.data[list.len] = '\0';
	appendStringInfoString(&list, " and " FFRTMP_API_RATE_QUOTA);
	return list.data;
}

/* What one job (or node) takes of the quota, read from the jobs row named row. */
void
ffrtmp_quota_append_demand(StringInfo sql, const QuotaCheck *quota, const char *row)
{
	if (quota->job_column)
		appendStringInfo(sql, "%s.%s", row, quota->job_column);
	else
		appendStringInfoString(sql, "1");
}

/*
 * Whether a job must fit under the quota alone: dispatch takes the job's own
 * demand of it.  submit_job and retry_job, which put a job in the queue,
 * refuse a job that exceeds such a limit by itself (22023): dispatch would
 * leave it queued for ever, counting against max_jobs.
 */
bool
ffrtmp_quota_checked_for_fit(const QuotaCheck *quota)
{
	return quota->job_column != NULL && (quota->taken_at & QUOTA_AT_DISPATCH);
}

/* Whether submit_job checks the quota: it takes it (room) or a job must fit under it. */
bool
ffrtmp_quota_checked_at_submit(const QuotaCheck *quota)
{
	return (quota->taken_at & QUOTA_AT_SUBMIT) || ffrtmp_quota_checked_for_fit(quota);
}

/*
 * The submit condition of one quota, over the usage row u, the limits row l
 * and the request row r (a job's columns): true when the job may be
 * submitted.  Call only when ffrtmp_quota_checked_at_submit().
 */
void
ffrtmp_quota_append_submit_check(StringInfo sql, const QuotaCheck *quota)
{
	appendStringInfo(sql, "(l.%s IS NULL OR ", quota->key);
	if (quota->taken_at & QUOTA_AT_SUBMIT)
		appendStringInfo(sql, "%s + ", quota->used);	/* room */
	ffrtmp_quota_append_demand(sql, quota, "r");
	appendStringInfo(sql, " <= l.%s)", quota->key);
}

static const char *const event_names[] = {"submit", "retry", "dispatch", "node"};

/*
 * ffrtmp.quota_checks(): the table, for tests, documentation and
 * operators: which quotas exist, what they count, when they are checked and
 * which tenant_stats columns report them.
 */
PG_FUNCTION_INFO_V1(ffrtmp_quota_check_list);
Datum
ffrtmp_quota_check_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < ffrtmp_quota_count; i++)
	{
		const QuotaCheck *q = &ffrtmp_quota_checks[i];
		Datum		events[lengthof(event_names)];
		int			n = 0;
		Datum		values[8];
		bool		nulls[8] = {0};
		const char *submit = NULL;

		for (int e = 0; e < lengthof(event_names); e++)
			if (q->taken_at & (1 << e))
				events[n++] = CStringGetTextDatum(event_names[e]);
		if (ffrtmp_quota_checked_at_submit(q))
			submit = (q->taken_at & QUOTA_AT_SUBMIT) ? "PT429" : "22023";

		values[0] = CStringGetTextDatum(q->key);
		values[1] = CStringGetTextDatum(q->unit);
		values[2] = q->job_column ? CStringGetTextDatum(q->job_column) : (nulls[2] = true, (Datum) 0);
		values[3] = PointerGetDatum(construct_array(events, n, TEXTOID, -1, false, TYPALIGN_INT));
		values[4] = submit ? CStringGetTextDatum(submit) : (nulls[4] = true, (Datum) 0);
		values[5] = CStringGetTextDatum(q->hint);
		values[6] = CStringGetTextDatum(q->used_column);
		values[7] = CStringGetTextDatum(q->available_column);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
