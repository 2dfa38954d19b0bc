/*
 * dispatch_sql.c: the statements of a dispatch pass (dispatch.c), built once
 * per backend for the installed SQL: the candidates, fairest first (step 2
 * of a pass), and the assignment of the matched jobs (step 4).  Each comes
 * in two forms, chosen by "pauses": release 0.2's SQL, with dispatch pauses,
 * the narrow queue table job_queue and the fair-share clock, and release
 * 0.1's, still installed until ALTER EXTENSION ffrtmp UPDATE
 * (ffrtmp_sql_is_0_2).  Every lock they take is SKIP LOCKED, in key order
 * (dispatch.c says why).
 */
#include "ffrtmp.h"
#include "dispatch.h"

/* The condition that a dispatch pause holds a job of tenant in queue (SQL expressions). */
void
ffrtmp_dispatch_append_paused(StringInfo sql, bool pauses, const char *tenant, const char *queue)
{
	if (!pauses)
		appendStringInfoString(sql, "false");
	else
		appendStringInfo(sql, "EXISTS (SELECT 1 FROM ffrtmp_data.dispatch_pauses p"
						 " WHERE (p.tenant_id IS NULL OR p.tenant_id = %s)"
						 " AND (p.queue IS NULL OR p.queue = %s))", tenant, queue);
}

/*
 * The jobs of tenant t in queue qs.name that a pass reads: the first t.reads
 * in priority order, and, when $4 > 0, the first t.reads of those waiting
 * longer than $4 seconds in the order they became ready (each by its index:
 * job_queue_priority_idx and job_queue_ready_idx; with release 0.1's SQL,
 * which has no job_queue, jobs_queued_idx and jobs_queued_since_idx), so
 * that an aged job behind many of higher priority is still read.  A job in
 * both lists comes twice; the caller keeps one.  A paused queue's jobs are
 * not read at all.  Each row has id, tenant_id, priority, cpu_cores, gpus
 * and ready_at.
 */
static void
append_queue_reads(StringInfo sql, bool pauses)
{
	for (int aged = 0; aged <= 1; aged++)
	{
		appendStringInfoString(sql, aged ? " UNION ALL (" : "(");
		appendStringInfoString(sql, pauses
							   ? "SELECT q.job_id AS id, q.tenant_id, q.priority, q.cpu_cores, q.gpus, q.ready_at"
							   "   FROM ffrtmp_data.job_queue q"
							   "  WHERE q.tenant_id = t.tenant_id AND q.queue = qs.name AND q.run_after <= now() AND NOT "
							   : "SELECT q.id, q.tenant_id, q.priority, q.cpu_cores, q.gpus,"
							   "        greatest(q.run_after, q.updated_at) AS ready_at"
							   "   FROM ffrtmp_data.jobs q"
							   "  WHERE q.tenant_id = t.tenant_id AND q.queue = qs.name"
							   "    AND q.state = '" JOB_QUEUED "' AND q.run_after <= now() AND NOT ");
		ffrtmp_dispatch_append_paused(sql, pauses, "t.tenant_id", "qs.name");
		if (aged)
			appendStringInfoString(sql, pauses
								   ? " AND $4 > 0 AND q.ready_at < now() - make_interval(secs => $4)"
								   : " AND $4 > 0 AND greatest(q.run_after, q.updated_at) < now() - make_interval(secs => $4)");

		/*
		 * A job that alone exceeds a limit (lowered since it was submitted)
		 * can never run: it stays queued, out of the ranking, so that its
		 * demand does not hold up every job of the tenant ranked after it.
		 */
		for (int i = 0; i < ffrtmp_quota_count; i++)
			if (ffrtmp_quota_checked_for_fit(&ffrtmp_quota_checks[i]))
			{
				appendStringInfo(sql, " AND (t.limit_%d IS NULL OR ", i);
				ffrtmp_quota_append_demand(sql, &ffrtmp_quota_checks[i], "q");
				appendStringInfo(sql, " <= t.limit_%d)", i);
			}
		if (!aged)
			appendStringInfoString(sql, pauses ? " ORDER BY q.priority DESC, q.job_id LIMIT t.reads)"
								   : " ORDER BY q.priority DESC, q.id LIMIT t.reads)");
		else
			appendStringInfoString(sql, pauses ? " ORDER BY q.ready_at, q.job_id LIMIT t.reads)"
								   : " ORDER BY greatest(q.run_after, q.updated_at), q.id LIMIT t.reads)");
	}
}

/*
 * The candidates, fairest first.  A tenant's runnable jobs are ranked: first
 * those waiting longer than $4 seconds, oldest first, whatever their queue
 * and priority (they rank as live: queue rank 0, and waiting_since set); then
 * by queue, then by priority, then age.  At most t.reads of each queue's jobs
 * are read in priority order and t.reads in waiting order
 * (append_queue_reads), and t.reads of the tenant's jobs are ranked: twice a
 * fair share of the $3 candidates (at least $5, at most $1), so that a pass
 * reads about as many jobs with 1,000 tenants waiting as with 10.  A tenant
 * cut there has its (t.reads + 1)-th job's fairness key in next_key: the
 * caller reads again with every tenant's $1 jobs when one of those could
 * have ranked before a candidate it used (see ffrtmp_dispatch).  The
 * quotas a dispatch takes (the quota table's QUOTA_AT_DISPATCH rows: CPU
 * cores, GPUs) leave out every job whose running total, with what the tenant
 * already holds, would go past the limit, and a job that alone exceeds a
 * limit is not ranked at all.  Each candidate comes with its queue rank and
 * the encoders it needs.
 * Each carries its tenant's weight, virtual time and usage from t, and the
 * floor is computed once (MATERIALIZED): joining t again, whose estimate is
 * one row, made a nested loop that rescanned t and recomputed the floor for
 * every candidate, a cost of tenants times candidates.  The floor is the
 * fair-share clock (ffrtmp_data.dispatch_clock, read by its key: a
 * sequential scan, disabled in a pass, would cost enough to make the
 * statement JIT-compiled, a second a pass); with release 0.1's SQL, which
 * has none, the least virtual time of the waiting tenants.
 * $1: jobs per tenant at most, $2: the current minute, $3: candidates in
 * all, $4: ffrtmp.queue_max_wait in seconds (0: never promote), $5: jobs per
 * tenant at least.
 */
char *
ffrtmp_dispatch_candidates_sql(bool pauses)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "WITH t AS (SELECT u.tenant_id, l.weight, u.vtime");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (ffrtmp_quota_checks[i].taken_at & QUOTA_AT_DISPATCH)
			appendStringInfo(&sql, ", %s AS used_%d, l.%s AS limit_%d",
							 ffrtmp_quota_checks[i].used, i, ffrtmp_quota_checks[i].key, i);
	appendStringInfoString(&sql,
						   "    FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id"
						   "   WHERE u.queued_jobs > 0 AND l.effective_status = 'active' AND NOT ");
	/* A tenant paused as a whole is not waiting: it sets no floor and locks nothing. */
	ffrtmp_dispatch_append_paused(&sql, pauses, "u.tenant_id", "NULL");
	appendStringInfoString(&sql,
						   "   ORDER BY u.tenant_id FOR NO KEY UPDATE OF u SKIP LOCKED),"
						   " r AS (SELECT t.*, least($1, greatest($5, ceil(2.0 * $3 / count(*) OVER ())::integer)) AS reads FROM t),");
	appendStringInfoString(&sql, pauses
						   ? " f AS MATERIALIZED (SELECT vtime AS floor FROM ffrtmp_data.dispatch_clock WHERE id = true),"
						   : " f AS MATERIALIZED (SELECT min(vtime) AS floor FROM t),");
	appendStringInfoString(&sql,
						   " c AS ("
						   "  SELECT j.id, j.tenant_id, j.cpu_cores, j.gpus, j.priority, j.qrank,"
						   "         t.weight, t.vtime, row_number() OVER w AS rank, t.reads,"
						   "         count(*) OVER (PARTITION BY j.tenant_id) >= t.reads AND t.reads < $1 AS cut");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (ffrtmp_quota_checks[i].taken_at & QUOTA_AT_DISPATCH)
		{
			appendStringInfo(&sql, ", t.used_%d, t.limit_%d, sum(", i, i);
			ffrtmp_quota_append_demand(&sql, &ffrtmp_quota_checks[i], "j");
			appendStringInfo(&sql, ") OVER w AS taken_%d", i);
		}
	appendStringInfoString(&sql,
						   "    FROM r t CROSS JOIN LATERAL ("
						   "     SELECT q.id, q.tenant_id, q.cpu_cores, q.gpus, q.priority,"
						   "            CASE WHEN a.waiting_since IS NOT NULL THEN " CppAsString2(QUEUE_RANK_LIVE) " ELSE q.rank END AS qrank,"
						   "            a.waiting_since"
						   "       FROM (SELECT DISTINCT ON (q.id) q.*, qs.rank"
						   "               FROM (VALUES ('live', 0), ('default', 1), ('batch', 2)) qs(name, rank)"
						   "               CROSS JOIN LATERAL (");
	append_queue_reads(&sql, pauses);
	appendStringInfoString(&sql,
						   "               ) q ORDER BY q.id) q"
						   "       CROSS JOIN LATERAL (SELECT CASE WHEN $4 > 0 AND q.ready_at < now() - make_interval(secs => $4)"
						   "                                       THEN q.ready_at END AS waiting_since) a"
						   "      ORDER BY qrank, a.waiting_since NULLS LAST, q.priority DESC, q.id LIMIT t.reads) j"
						   "  WINDOW w AS (PARTITION BY j.tenant_id ORDER BY j.qrank, j.waiting_since NULLS LAST, j.priority DESC, j.id))"
						   " SELECT c.id, c.tenant_id, c.cpu_cores, c.gpus, f.floor, c.qrank, ");
	/* The job's own row is read for the candidates only, by its key. */
	appendStringInfoString(&sql, pauses
						   ? "(SELECT ffrtmp_data.job_encoders(x.params, x.output_url, c.gpus) FROM ffrtmp_data.jobs x WHERE x.id = c.id)"
						   : "'{}'::text[]");
	appendStringInfoString(&sql,
						   ", greatest(c.vtime, f.floor) + c.rank::float8 / c.weight,"
						   " CASE WHEN c.cut THEN greatest(c.vtime, f.floor) + (c.reads + 1)::float8 / c.weight END"
						   "   FROM c CROSS JOIN f"
						   "  WHERE true");
	for (int i = 0; i < ffrtmp_quota_count; i++)
		if (ffrtmp_quota_checks[i].taken_at & QUOTA_AT_DISPATCH)
			appendStringInfo(&sql, " AND (c.limit_%d IS NULL OR c.used_%d + c.taken_%d <= c.limit_%d)",
							 i, i, i, i);
	appendStringInfoString(&sql,
						   "  ORDER BY greatest(c.vtime, f.floor) + c.rank::float8 / c.weight, c.priority DESC, c.id"
						   "  LIMIT $3");
	return ffrtmp_kept_sql(&sql);
}

/*
 * The assignment of jobs $1 to nodes $2: each job still queued, locked
 * unless someone holds it, and not held by a pause (checked again in this
 * statement's snapshot: a pause committed since the candidates were read
 * holds), goes to its node.  Returns the jobs assigned and their nodes.
 */
char *
ffrtmp_dispatch_assign_sql(bool pauses)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "WITH a AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) AS a(job, node)),"
						   " locked AS ("
						   "  SELECT q.id, a.node FROM ffrtmp_data.jobs q JOIN a ON a.job = q.id"
						   "   WHERE q.state = '" JOB_QUEUED "' AND NOT ");
	ffrtmp_dispatch_append_paused(&sql, pauses, "q.tenant_id", "q.queue");
	appendStringInfoString(&sql,
						   "   ORDER BY q.id FOR NO KEY UPDATE OF q SKIP LOCKED)"
						   " UPDATE ffrtmp_data.jobs j"
						   "   SET state = '" JOB_ASSIGNED "', node_id = locked.node, state_reason = 'dispatched', updated_at = now()"
						   "  FROM locked"
						   " WHERE j.id = locked.id"
						   " RETURNING j.id, j.node_id");
	return ffrtmp_kept_sql(&sql);
}
