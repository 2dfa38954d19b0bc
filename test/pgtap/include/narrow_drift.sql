-- Included by 47_hot_updates.sql and 48_narrow_tables_edges.sql (\ir): the
-- rows the narrow tables (job_queue, job_backoffs, job_leases) should hold,
-- from jobs, against the rows they hold: pg_temp.drift() counts the rows in
-- one and not the other, 0 when in step.  A running job's deadline is its
-- start plus its timeout, at most 1000 years of it (as the triggers write it).
CREATE FUNCTION pg_temp.drift() RETURNS bigint LANGUAGE sql AS $$
    WITH want AS (
        SELECT 'queue' AS t, j.id, j.tenant_id, j.queue, j.priority, j.cpu_cores, j.gpus, j.run_after,
               greatest(j.run_after, j.updated_at) AS ready_at, NULL::bigint AS node_id,
               NULL::integer AS attempt, NULL::timestamptz AS deadline
          FROM ffrtmp_data.jobs j WHERE j.state = 'queued'
        UNION ALL
        SELECT 'backoff', j.id, j.tenant_id, NULL, NULL, NULL, NULL, j.run_after, NULL, NULL, NULL, NULL
          FROM ffrtmp_data.jobs j WHERE j.state = 'retrying'
        UNION ALL
        SELECT 'lease', j.id, j.tenant_id, NULL, NULL, j.cpu_cores, j.gpus, NULL, NULL, j.node_id, j.attempt,
               CASE WHEN j.state = 'running' AND j.timeout IS NOT NULL THEN j.started_at + least(j.timeout, interval '1000 years') END
          FROM ffrtmp_data.jobs j WHERE j.state IN ('assigned', 'running', 'paused')),
    have AS (
        SELECT 'queue' AS t, q.job_id, q.tenant_id, q.queue, q.priority, q.cpu_cores, q.gpus, q.run_after,
               q.ready_at, NULL::bigint, NULL::integer, NULL::timestamptz
          FROM ffrtmp_data.job_queue q
        UNION ALL
        SELECT 'backoff', b.job_id, b.tenant_id, NULL, NULL, NULL, NULL, b.run_after, NULL, NULL, NULL, NULL
          FROM ffrtmp_data.job_backoffs b
        UNION ALL
        SELECT 'lease', l.job_id, l.tenant_id, NULL, NULL, l.cpu_cores, l.gpus, NULL, NULL, l.node_id, l.attempt,
               l.deadline
          FROM ffrtmp_data.job_leases l)
    SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT ALL SELECT * FROM have) a)
         + (SELECT count(*) FROM (SELECT * FROM have EXCEPT ALL SELECT * FROM want) b)
$$;
