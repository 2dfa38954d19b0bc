-- The scheduler: status and health, and what its leader runs on every pass
-- (recovery, dispatch, pruning).  The passes run as ffrtmp_scheduler (see
-- scheduler.c): the functions below are granted to it one by one.

CREATE OR REPLACE FUNCTION ffrtmp_data.scheduler_shared(OUT leader_pid integer, OUT epoch bigint, OUT last_pass timestamptz)
AS 'MODULE_PATHNAME', 'ffrtmp_scheduler_shared'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.scheduler_shared() IS 'What the scheduler leader last published in shared memory.';
REVOKE ALL ON FUNCTION ffrtmp_data.scheduler_shared() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.scheduler_shared() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;

/*
 * Queued jobs that no node they may use can take: no node of the shared pool
 * or of the job's tenant offers the job's CPU cores and GPUs and every encoder
 * it needs (ffrtmp_data.job_encoders: the test dispatch makes,
 * src/dispatch.c), counting online and draining nodes, and offline ones heard
 * from at seen_since or later (or whose last word came before the server's
 * last start, when that start is that recent).  Jobs are grouped by the
 * cores and GPUs they ask first, so that a deep queue costs one node lookup
 * per demand; a group that some capable node serves whatever its encoders
 * (it offers every encoder such a job may need, or listed none) costs no
 * per-job look at params, which only the other groups' jobs get.
 * waiting_since: when the job last became runnable (queued, or run_after).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.unrunnable_jobs(seen_since timestamptz DEFAULT 'infinity')
RETURNS TABLE (id bigint, tenant_id uuid, seq bigint, cpu_cores integer, gpus integer, encoders text[],
               waiting_since timestamptz)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH demand AS (
        SELECT DISTINCT q.tenant_id, q.cpu_cores, q.gpus FROM ffrtmp_data.job_queue q),
    capable AS MATERIALIZED (
        SELECT d.tenant_id, d.cpu_cores, d.gpus, n.encoders FROM demand d
          JOIN ffrtmp_data.nodes n
            ON (n.tenant_id IS NULL OR n.tenant_id = d.tenant_id)
           AND n.cpu_cores >= d.cpu_cores AND n.gpus >= d.gpus
           -- Every node is presumed heard from at the server's start:
           -- after a long outage, workers get the setting's time to return.
           AND (n.state <> 'offline'
                OR greatest(n.last_heartbeat, ffrtmp_data.control_plane_started_at()) >= seen_since)),
    open AS MATERIALIZED (
        SELECT d.tenant_id, d.cpu_cores, d.gpus FROM demand d
         WHERE NOT EXISTS (SELECT 1 FROM capable c
                            WHERE c.tenant_id = d.tenant_id AND c.cpu_cores = d.cpu_cores AND c.gpus = d.gpus
                              -- A node registered without its encoders (by hand) is not asked for them.
                              AND (cardinality(c.encoders) = 0 OR c.encoders @> ffrtmp_data.any_job_encoders(d.gpus)))),
    -- The other groups' jobs, with the encoders each needs, checked once per distinct need.
    needs AS MATERIALIZED (
        SELECT j.id, j.tenant_id, j.seq, j.cpu_cores, j.gpus,
               ffrtmp_data.job_encoders(j.params, j.output_url, j.gpus) AS encoders,
               q.ready_at AS waiting_since
          FROM open o
          JOIN ffrtmp_data.job_queue q ON q.tenant_id = o.tenant_id AND q.cpu_cores = o.cpu_cores AND q.gpus = o.gpus
          JOIN ffrtmp_data.jobs j ON j.id = q.job_id),
    unmet AS MATERIALIZED (
        SELECT n.tenant_id, n.cpu_cores, n.gpus, n.encoders
          FROM (SELECT DISTINCT x.tenant_id, x.cpu_cores, x.gpus, x.encoders FROM needs x) n
         WHERE NOT EXISTS (SELECT 1 FROM capable c
                            WHERE c.tenant_id = n.tenant_id AND c.cpu_cores = n.cpu_cores AND c.gpus = n.gpus
                              AND c.encoders @> n.encoders))
    -- Driven by the (usually no) unmet needs, never by a sort of every job.
    SELECT j.id, j.tenant_id, j.seq, j.cpu_cores, j.gpus, j.encoders, j.waiting_since
      FROM unmet m
     CROSS JOIN LATERAL (SELECT * FROM needs x
                          WHERE x.tenant_id = m.tenant_id AND x.cpu_cores = m.cpu_cores AND x.gpus = m.gpus
                            AND x.encoders = m.encoders) j
     ORDER BY j.id;
END;
COMMENT ON FUNCTION ffrtmp_data.unrunnable_jobs(timestamptz) IS
    'Queued jobs whose CPU cores, GPUs and encoders (ffrtmp_data.job_encoders) no node they may use offers (shared pool or their tenant''s dedicated nodes; online, draining, or offline but heard from at seen_since or later, a server start counting as hearing from every node), with when each became runnable.';
REVOKE ALL ON FUNCTION ffrtmp_data.unrunnable_jobs(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.unrunnable_jobs(timestamptz) TO ffrtmp_owner, ffrtmp_scheduler, ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.scheduler_status()
RETURNS TABLE (pid integer, name text, leader boolean, backend_start timestamptz, state text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT a.pid, a.backend_type::text || coalesce(' (' || a.wait_event || ')', ''),
           EXISTS (SELECT 1 FROM pg_locks l
                    WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objsubid = 3 AND l.granted),
           a.backend_start, a.state
      FROM pg_stat_activity a
     WHERE a.backend_type = 'ffrtmp scheduler'
     ORDER BY a.pid;
END;
COMMENT ON FUNCTION ffrtmp.scheduler_status() IS 'Every scheduler process, and which one leads (holds the leader lock).';
REVOKE ALL ON FUNCTION ffrtmp.scheduler_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.scheduler_status() TO ffrtmp_admin;

-- The operator's detail; ffrtmp.health() (80_operations.sql) answers it to
-- administrators and a reduced answer to anonymous callers.
CREATE OR REPLACE FUNCTION ffrtmp_data.operator_health()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'leader_pid', s.leader_pid,
        'epoch', s.epoch,
        'seconds_since_last_pass', round(extract(epoch FROM clock_timestamp() - s.last_pass)::numeric, 3),
        'schedulers', (SELECT count(*) FROM ffrtmp.scheduler_status()),
        'queue_depth', (SELECT coalesce(sum(queued_jobs), 0) FROM ffrtmp_data.current_usage),
        'online_nodes', (SELECT count(*) FROM ffrtmp_data.nodes WHERE state = 'online'),
        'unrunnable_jobs', (SELECT count(*) FROM ffrtmp_data.unrunnable_jobs()),
        'unrunnable_job_ids', (SELECT coalesce(jsonb_agg(u.id), '[]') FROM
                                 (SELECT x.id FROM ffrtmp_data.unrunnable_jobs() x ORDER BY x.id LIMIT 20) u),
        'dispatch_pauses', (SELECT coalesce(jsonb_agg(jsonb_build_object('tenant', p.tenant_name, 'queue', p.queue)
                                                      ORDER BY p.tenant_name NULLS FIRST, p.queue NULLS FIRST), '[]')
                              FROM ffrtmp_data.read_dispatch_pauses() p),
        'writable', NOT pg_is_in_recovery())
      FROM ffrtmp_data.scheduler_shared() s;
END;
COMMENT ON FUNCTION ffrtmp_data.operator_health() IS
    'ffrtmp.health()''s answer to administrators: liveness as JSON: leader pid and epoch, seconds since its last pass, schedulers, queue depth, online nodes, queued jobs that no online or draining node they may use can run (count and the first 20 ids; rejected after ffrtmp.reject_unrunnable_after), dispatch pauses in force (tenant and queue names, null for every), database writable.';
ALTER FUNCTION ffrtmp_data.operator_health() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.operator_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.operator_health() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;

/*
 * Locks a tenant's usage row unless someone else holds it; returns whether it
 * is now locked.  For the scheduler's passes, which skip what a tenant holds
 * (after the caller's other conditions, so that only needed rows are locked).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.try_lock_usage(tenant uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM 1 FROM ffrtmp_data.usage u WHERE u.tenant_id = tenant FOR NO KEY UPDATE SKIP LOCKED;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.try_lock_usage(uuid) IS
    'Locks a tenant''s usage row without waiting; false when another transaction holds it.';
ALTER FUNCTION ffrtmp_data.try_lock_usage(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.try_lock_usage(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.try_lock_usage(uuid) TO ffrtmp_scheduler, ffrtmp_admin;

/*
 * The leader's recovery, once per pass: nodes silent for longer than
 * node_timeout go offline and their jobs are retried elsewhere; jobs past
 * their timeout end their attempt; retrying jobs whose backoff is over are
 * queued again.  Returns how many jobs it moved.  The grace after a start
 * counts from the last crash restart too.
 *
 * It never waits for a lock a tenant can hold: a tenant's open transaction
 * may hold its usage row (after a submit, cancel or retry), its job rows
 * (after a cancel or retry), its dedicated nodes' rows and its tenant row.
 * Every row recovery changes is taken with SKIP LOCKED, in id order, together
 * with the usage row the state trigger will update; what is locked waits for
 * the next pass instead of stalling every tenant.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.recover(node_timeout interval) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    moved integer := 0;
    lost record;
BEGIN
    WITH silent AS (
        SELECT n.id FROM ffrtmp_data.nodes n
         WHERE n.state <> 'offline'
           AND ((n.last_heartbeat < now() - node_timeout
                 -- A server up for less than node_timeout (since its start or its
                 -- last crash restart) gives workers that time to reconnect.
                 AND ffrtmp_data.control_plane_started_at() < now() - node_timeout)
                -- A session-bound node's session is judged as the worker calls
                -- judge it (ffrtmp_data.end_lost_sessions()): never taken for gone
                -- on a copy read earlier in the transaction.
                OR (n.session_pid IS NOT NULL
                    AND NOT ffrtmp_data.session_alive(n.session_pid, n.session_started)))
           -- A dedicated node going offline moves its tenant's worker count.
           AND (n.tenant_id IS NULL OR ffrtmp_data.try_lock_usage(n.tenant_id))
         ORDER BY n.id FOR NO KEY UPDATE OF n SKIP LOCKED)
    UPDATE ffrtmp_data.nodes n SET state = 'offline' FROM silent WHERE n.id = silent.id;
    -- The jobs are found in job_leases and read by their key: jobs has no
    -- index by node, state or deadline (sql/schema/30_jobs.sql).
    FOR lost IN SELECT j.id, j.node_id FROM ffrtmp_data.jobs j
                  JOIN ffrtmp_data.nodes n ON n.id = j.node_id
                  JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id
                 WHERE j.id = ANY (ARRAY(SELECT l.job_id FROM ffrtmp_data.job_leases l
                                          JOIN ffrtmp_data.nodes o ON o.id = l.node_id
                                         WHERE o.state = 'offline'))
                   AND n.state = 'offline' AND j.state IN ('assigned', 'running', 'paused')
                 ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error',
                                         format('node %s stopped sending heartbeats', lost.node_id));
        moved := moved + 1;
    END LOOP;
    FOR lost IN SELECT j.id FROM ffrtmp_data.jobs j
                  JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id
                 WHERE j.id = ANY (ARRAY(SELECT l.job_id FROM ffrtmp_data.job_leases l WHERE l.deadline < now()))
                   AND j.state = 'running' AND j.timeout IS NOT NULL
                   AND j.started_at + least(j.timeout, interval '1000 years') < now()
                 ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'timed_out', 'timeout', 'the attempt ran past its timeout');
        moved := moved + 1;
    END LOOP;
    -- retrying -> queued moves no usage counter: only the job rows are locked.
    WITH due AS (
        SELECT j.id FROM ffrtmp_data.jobs j
         WHERE j.id = ANY (ARRAY(SELECT b.job_id FROM ffrtmp_data.job_backoffs b WHERE b.run_after <= now()))
           AND j.state = 'retrying' AND j.run_after <= now()
         ORDER BY j.id FOR NO KEY UPDATE OF j SKIP LOCKED)
    UPDATE ffrtmp_data.jobs j SET state = 'queued', state_reason = 'backoff over', updated_at = now()
      FROM due WHERE j.id = due.id;
    -- Past expires_at a tenant already behaves as expired; this records it.
    WITH expired AS (
        SELECT t.id FROM ffrtmp_data.tenants t
         WHERE t.status = 'active' AND t.expires_at <= now() AND t.deleted_at IS NULL
         ORDER BY t.id FOR NO KEY UPDATE OF t SKIP LOCKED)
    UPDATE ffrtmp_data.tenants t SET status = 'expired', updated_at = now()
      FROM expired WHERE t.id = expired.id;
    RETURN moved;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.recover(interval) IS
    'Recovery pass: silent nodes (and session-bound nodes whose session is gone) go offline and their jobs retry; overdue attempts time out; retrying jobs past their backoff are queued; tenants past expires_at are marked expired. Rows locked by others are left for the next pass.';
REVOKE ALL ON FUNCTION ffrtmp_data.recover(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.recover(interval) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * The leader's rejection step, in its upkeep (at most every sixtieth of
 * ffrtmp.reject_unrunnable_after, src/scheduler.c):
 * a queued job that has been runnable for longer than after, while no node it
 * may use has offered its CPU cores, GPUs and encoders during that time (none online or
 * draining now, none heard from since now() - after), is rejected with
 * capability_mismatch.  A capable node that registers or heartbeats in time
 * saves it; so does a capable node's row while the server has been up for
 * less than after (its worker may still be on its way back).  Rows are taken as recovery takes them: SKIP LOCKED, in id order,
 * with the usage row the state trigger moves.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.reject_unrunnable(after interval) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    rejected integer;
BEGIN
    IF after IS NULL OR after <= interval '0' THEN
        RETURN 0;
    END IF;
    WITH due AS (
        SELECT j.id, x.encoders FROM ffrtmp_data.jobs j
          JOIN ffrtmp_data.unrunnable_jobs(now() - after) x ON x.id = j.id
          JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id
         WHERE j.state = 'queued' AND greatest(j.run_after, j.updated_at) < now() - after
         ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED),
    offer AS (
        SELECT d.id, d.encoders, max(n.cpu_cores) AS cores, max(n.gpus) AS gpus
          FROM due d JOIN ffrtmp_data.jobs j ON j.id = d.id
          LEFT JOIN ffrtmp_data.nodes n ON (n.tenant_id IS NULL OR n.tenant_id = j.tenant_id) AND n.state = 'online'
         GROUP BY d.id, d.encoders),
    msg AS (
        SELECT o.id,
               CASE WHEN o.cores >= j.cpu_cores AND o.gpus >= j.gpus
                    -- Cores and GPUs are offered: what is missing is an encoder.
                    THEN format('the job needs the encoders %s with %s CPU cores and %s GPUs, and no node it may use has offered that for %s: none of the online ones that have the cores and GPUs offers every one of those encoders',
                                array_to_string(o.encoders, ', '), j.cpu_cores, j.gpus, after)
                    ELSE format('the job asks for %s CPU cores and %s GPUs, and no node it may use has offered that for %s: %s',
                                j.cpu_cores, j.gpus, after,
                                CASE WHEN o.cores IS NULL THEN 'none is online'
                                     ELSE format('the most any online one offers is %s CPU cores and %s GPUs', o.cores, o.gpus) END)
               END AS error
          FROM offer o JOIN ffrtmp_data.jobs j ON j.id = o.id)
    UPDATE ffrtmp_data.jobs j
       SET state = 'rejected', failure_reason = 'capability_mismatch', error = msg.error,
           state_reason = 'capability_mismatch: no capable node', finished_at = now(), updated_at = now()
      FROM msg WHERE j.id = msg.id;
    GET DIAGNOSTICS rejected = ROW_COUNT;
    RETURN rejected;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.reject_unrunnable(interval) IS
    'Rejects (capability_mismatch) every queued job runnable for longer than after while no node it may use offered its CPU cores, GPUs and encoders in that time; returns how many. after <= 0 or NULL rejects nothing. Rows locked by others are left for the next pass.';
REVOKE ALL ON FUNCTION ffrtmp_data.reject_unrunnable(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.reject_unrunnable(interval) TO ffrtmp_owner, ffrtmp_scheduler;

-- Dispatch: the pass body as its own function.  A pass locks, in one order,
-- the pass lock (one pass at a time), then with SKIP LOCKED the usage rows of
-- waiting tenants, the nodes it fills and the jobs it assigns, each set in key
-- order: it never waits long for a lock a tenant can hold and cannot deadlock
-- with another pass.  See src/dispatch.c.
CREATE OR REPLACE FUNCTION ffrtmp_data.dispatch_pass(epoch bigint) RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_dispatch_epoch_pass'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ffrtmp_data.dispatch_pass(bigint) IS
    'Runs one dispatch pass in the caller''s transaction under leadership term epoch (0: no term) and returns the number of jobs assigned; 0 at once when another pass is running. An epoch that is no longer current is refused with PT409 and nothing is assigned; the scheduler_state table stays share-locked to the end of the transaction, so no new term begins under the pass.';
ALTER FUNCTION ffrtmp_data.dispatch_pass(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.dispatch_pass(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.dispatch_pass(bigint) TO ffrtmp_scheduler;

-- A pass by hand never runs beside the leader's: with a leader, the leader
-- runs it (under its epoch); without one, the caller holds the leader lock
-- for its transaction and writes under the current epoch.
CREATE OR REPLACE FUNCTION ffrtmp.dispatch()
RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_dispatch_fenced'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.dispatch() IS
    'Runs one dispatch pass now and returns the number of jobs assigned (administrators). While a scheduler leads, the leader runs the pass (it sees committed work only); otherwise the caller runs it under the leader lock, held to the end of its transaction.';
ALTER FUNCTION ffrtmp.dispatch() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.dispatch() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.dispatch() TO ffrtmp_admin;

/* Finished jobs older than the retention go, with their history, in bounded batches. */
CREATE OR REPLACE FUNCTION ffrtmp_data.prune(retention interval, batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pruned bigint[];
BEGIN
    WITH old AS (
        SELECT j.id FROM ffrtmp_data.jobs j
         WHERE j.finished_at < now() - retention
           AND j.state IN ('completed', 'failed', 'timed_out', 'canceled', 'rejected')
         ORDER BY j.finished_at LIMIT batch FOR UPDATE SKIP LOCKED),
    gone AS (DELETE FROM ffrtmp_data.jobs j USING old WHERE j.id = old.id RETURNING j.id)
    SELECT coalesce(array_agg(id), '{}') INTO pruned FROM gone;
    DELETE FROM ffrtmp_data.job_events WHERE job_id = ANY (pruned);
    DELETE FROM ffrtmp_data.job_progress WHERE job_id = ANY (pruned);
    DELETE FROM ffrtmp_data.job_logs WHERE job_id = ANY (pruned);
    DELETE FROM ffrtmp_data.webhook_deliveries WHERE job_id = ANY (pruned);
    -- Webhook deliveries also age out on their own once finished, so that a
    -- job kept long does not keep its delivery log past the retention.
    DELETE FROM ffrtmp_data.webhook_deliveries d
     WHERE d.id IN (SELECT x.id FROM ffrtmp_data.webhook_deliveries x
                     WHERE x.delivery_state <> 'pending' AND x.finished_at < now() - retention
                     ORDER BY x.finished_at LIMIT batch);
    RETURN cardinality(pruned);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.prune(interval, integer) IS 'Deletes up to batch finished jobs older than retention, with their events, progress, logs and webhook deliveries, and up to batch webhook deliveries finished before retention.';
REVOKE ALL ON FUNCTION ffrtmp_data.prune(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.prune(interval, integer) TO ffrtmp_owner, ffrtmp_scheduler;

-- Every install and update wakes the scheduler launcher when it commits, so
-- that the schedulers start at once rather than at the launcher's next retry.
CREATE OR REPLACE FUNCTION ffrtmp_data.start_schedulers() RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_start_schedulers'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.start_schedulers() IS
    'Asks the scheduler launcher to start the scheduler workers as soon as the calling transaction commits (the install calls it).';
ALTER FUNCTION ffrtmp_data.start_schedulers() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.start_schedulers() FROM PUBLIC;
SELECT ffrtmp_data.start_schedulers();
