-- Jobs: the trigger that keeps their state machine, history and usage
-- counters, who may see which rows, how the API reads them (see
-- 20_tenants.sql for why through functions), and the views that show them.

/*
 * Every UPDATE of jobs, whoever runs it, goes through this one statement-level
 * trigger: it refuses changes missing from job_transitions, records one event
 * per changed row and moves the usage counters by the net change per tenant
 * (taken quotas in the usage row, everything else as pending changes), so
 * that a set-based dispatch of thousands of jobs costs three statements.
 *
 * Its statements are planned once per session, with the sizes of the
 * transition tables of the first UPDATE: one row, for nested loops that
 * then compare every old row with every new one.  Without nested loops the
 * joins hash or merge, and a change of 200,000 rows costs in proportion.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_after_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_nestloop = off AS $fn$
DECLARE
    bad record;
    queue_moves boolean;
    backoff_moves boolean;
    lease_moves boolean;
BEGIN
    SELECT o.id, o.state AS from_state, n.state AS to_state,
           o.tenant_id IS DISTINCT FROM n.tenant_id AS moved
      INTO bad
      FROM old_jobs o JOIN new_jobs n ON n.id = o.id
     WHERE o.tenant_id IS DISTINCT FROM n.tenant_id
        OR (o.state <> n.state AND NOT EXISTS (
              SELECT 1 FROM ffrtmp_data.job_transitions t
               WHERE t.from_state = o.state AND t.to_state = n.state))
     LIMIT 1;
    IF FOUND AND bad.moved THEN
        RAISE EXCEPTION 'job % cannot change tenant', bad.id
            USING ERRCODE = 'PT409', HINT = 'Submit a new job for the other tenant.';
    ELSIF FOUND THEN
        RAISE EXCEPTION 'job % cannot go from % to %', bad.id, bad.from_state, bad.to_state
            USING ERRCODE = 'PT409',
                  HINT = 'The allowed state changes are listed in ffrtmp.job_transitions.';
    END IF;

    SELECT n.id, n.failure_reason INTO bad
      FROM new_jobs n
     WHERE n.failure_reason IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.failure_reasons r WHERE r.reason = n.failure_reason)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'job % cannot have failure reason "%"', bad.id, bad.failure_reason
            USING ERRCODE = '22023', HINT = 'The failure reasons are listed in ffrtmp.failure_reasons.';
    END IF;

    INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, from_state, to_state, reason, actor)
    SELECT n.id, n.tenant_id, n.attempt, o.state, n.state, n.state_reason, ffrtmp_data.actor()
      FROM old_jobs o JOIN new_jobs n ON n.id = o.id
     WHERE o.state <> n.state
     ORDER BY n.id;

    -- The webhook outbox (sql/api/57_webhooks.sql): one delivery per change
    -- to a state a webhook of the job's tenant asks for, in this transaction;
    -- recorded as dropped when the webhook's backlog is at its bound.
    INSERT INTO ffrtmp_data.webhook_deliveries (tenant_id, webhook_id, job_id, event, event_id, payload,
                                                delivery_state, last_error, finished_at)
    SELECT e.tenant_id, e.webhook_id, e.job_id, e.event, e.event_id,
           ffrtmp_data.webhook_payload(e.event_id, e.event, e.job),
           CASE WHEN e.dropped IS NULL THEN 'pending' ELSE 'failed' END, e.dropped,
           CASE WHEN e.dropped IS NOT NULL THEN now() END
      FROM (SELECT n.tenant_id, w.id AS webhook_id, n.id AS job_id, n.state AS event,
                   gen_random_uuid() AS event_id, ROW(n.*)::ffrtmp_data.jobs AS job,
                   ffrtmp_data.webhook_drop_reason(w.id) AS dropped
              FROM old_jobs o
              JOIN new_jobs n ON n.id = o.id
              JOIN ffrtmp_data.webhooks w ON w.tenant_id = n.tenant_id AND n.state = ANY (w.events)
             WHERE o.state <> n.state) e
     ORDER BY e.job_id, e.webhook_id;

    -- The usage counters move by the net change per tenant.  A change that
    -- takes a quota (a job active again, CPU cores or GPUs taken) updates
    -- the usage row, which its caller checked the quota under: the rows are
    -- locked first, in tenant order, so that two statements changing several
    -- tenants' jobs cannot deadlock.  Any other change (jobs finishing,
    -- failing, canceled, waiting again) is only inserted into pending_usage:
    -- it locks no usage row, waits for no submit, and is folded into the row
    -- by whoever holds it next (docs/quotas.md).
    WITH d AS MATERIALIZED (
        SELECT n.tenant_id,
               sum(ns.is_active::int  - os.is_active::int)::integer  AS active,
               sum(ns.is_waiting::int - os.is_waiting::int)::integer AS waiting,
               sum(ns.holds_node::int - os.holds_node::int)::integer AS holding,
               sum(ns.holds_node::int * n.cpu_cores - os.holds_node::int * o.cpu_cores)::integer AS cpu_cores,
               sum(ns.holds_node::int * n.gpus      - os.holds_node::int * o.gpus)::integer      AS gpus
          FROM old_jobs o
          JOIN new_jobs n ON n.id = o.id
          JOIN ffrtmp_data.job_states os ON os.state = o.state
          JOIN ffrtmp_data.job_states ns ON ns.state = n.state
         -- A held job's CPU cores or GPUs changed by hand move the counters too.
         WHERE o.state <> n.state OR o.cpu_cores <> n.cpu_cores OR o.gpus <> n.gpus
         GROUP BY n.tenant_id),
    takes AS MATERIALIZED (
        SELECT u.tenant_id FROM ffrtmp_data.usage u
         WHERE u.tenant_id IN (SELECT d.tenant_id FROM d WHERE d.active > 0 OR d.cpu_cores > 0 OR d.gpus > 0)
         ORDER BY u.tenant_id FOR NO KEY UPDATE OF u),
    taken AS (
        UPDATE ffrtmp_data.usage u
           SET active_jobs    = u.active_jobs    + d.active,
               queued_jobs    = u.queued_jobs    + d.waiting,
               running_jobs   = u.running_jobs   + d.holding,
               cpu_cores_used = u.cpu_cores_used + d.cpu_cores,
               gpus_used      = u.gpus_used      + d.gpus
          FROM d JOIN takes t ON t.tenant_id = d.tenant_id
         WHERE u.tenant_id = d.tenant_id)
    INSERT INTO ffrtmp_data.pending_usage (tenant_id, active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used)
    SELECT d.tenant_id, d.active, d.waiting, d.holding, d.cpu_cores, d.gpus
      FROM d
     WHERE NOT (d.active > 0 OR d.cpu_cores > 0 OR d.gpus > 0)
       AND (d.active, d.waiting, d.holding, d.cpu_cores, d.gpus) <> (0, 0, 0, 0, 0)
     ORDER BY d.tenant_id;

    -- The narrow tables follow (sql/schema/30_jobs.sql): a job leaves the
    -- one of its old state, enters the one of its new state, or has its copy
    -- there updated when a column it copies changed.  A lease's deadline
    -- takes at most 1000 years of the timeout, which no check bounds: the
    -- full sum of a timeout of 300,000 years is out of timestamptz's range,
    -- and the error refused the start of the job (and of every job started
    -- with it in one start_jobs).  Only the tables a
    -- change concerns are written, and so locked: the start of a job without
    -- a timeout touches none.  Rows are taken by their key (= ANY, not a
    -- join: joins hash here, which would read a whole table).
    SELECT coalesce(bool_or(((o.state = 'queued') <> (n.state = 'queued')
                       OR (n.state = 'queued'
                           AND (o.queue, o.priority, o.cpu_cores, o.gpus, o.run_after, o.updated_at)
                               IS DISTINCT FROM (n.queue, n.priority, n.cpu_cores, n.gpus, n.run_after, n.updated_at)))), false),
           coalesce(bool_or(((o.state = 'retrying') <> (n.state = 'retrying')
                       OR (n.state = 'retrying' AND o.run_after IS DISTINCT FROM n.run_after))), false),
           coalesce(bool_or(((o.state IN ('assigned', 'running', 'paused')) <> (n.state IN ('assigned', 'running', 'paused'))
                       OR (n.state IN ('assigned', 'running', 'paused')
                           AND (o.node_id, o.attempt, o.cpu_cores, o.gpus,
                                CASE WHEN o.state = 'running' AND o.timeout IS NOT NULL THEN o.started_at + least(o.timeout, interval '1000 years') END)
                               IS DISTINCT FROM (n.node_id, n.attempt, n.cpu_cores, n.gpus,
                                                 CASE WHEN n.state = 'running' AND n.timeout IS NOT NULL THEN n.started_at + least(n.timeout, interval '1000 years') END)))), false)
      INTO queue_moves, backoff_moves, lease_moves
      FROM old_jobs o JOIN new_jobs n ON n.id = o.id;
    IF queue_moves THEN
        WITH c AS MATERIALIZED (
            SELECT n.* FROM old_jobs o JOIN new_jobs n ON n.id = o.id
             WHERE ((o.state = 'queued') <> (n.state = 'queued')
                        OR (n.state = 'queued'
                            AND (o.queue, o.priority, o.cpu_cores, o.gpus, o.run_after, o.updated_at)
                                IS DISTINCT FROM (n.queue, n.priority, n.cpu_cores, n.gpus, n.run_after, n.updated_at)))),
        gone AS (
            DELETE FROM ffrtmp_data.job_queue q
             WHERE q.job_id = ANY (ARRAY(SELECT c.id FROM c WHERE c.state <> 'queued')))
        INSERT INTO ffrtmp_data.job_queue AS q (job_id, tenant_id, queue, priority, cpu_cores, gpus, run_after, ready_at)
        SELECT c.id, c.tenant_id, c.queue, c.priority, c.cpu_cores, c.gpus, c.run_after, greatest(c.run_after, c.updated_at)
          FROM c WHERE c.state = 'queued' ORDER BY c.id
        ON CONFLICT (job_id) DO UPDATE
           SET queue = EXCLUDED.queue, priority = EXCLUDED.priority, cpu_cores = EXCLUDED.cpu_cores,
               gpus = EXCLUDED.gpus, run_after = EXCLUDED.run_after, ready_at = EXCLUDED.ready_at;
    END IF;
    IF backoff_moves THEN
        WITH c AS MATERIALIZED (
            SELECT n.* FROM old_jobs o JOIN new_jobs n ON n.id = o.id
             WHERE ((o.state = 'retrying') <> (n.state = 'retrying')
                        OR (n.state = 'retrying' AND o.run_after IS DISTINCT FROM n.run_after))),
        gone AS (
            DELETE FROM ffrtmp_data.job_backoffs b
             WHERE b.job_id = ANY (ARRAY(SELECT c.id FROM c WHERE c.state <> 'retrying')))
        INSERT INTO ffrtmp_data.job_backoffs (job_id, tenant_id, run_after)
        SELECT c.id, c.tenant_id, c.run_after FROM c WHERE c.state = 'retrying' ORDER BY c.id
        ON CONFLICT (job_id) DO UPDATE SET run_after = EXCLUDED.run_after;
    END IF;
    IF lease_moves THEN
        WITH c AS MATERIALIZED (
            SELECT n.* FROM old_jobs o JOIN new_jobs n ON n.id = o.id
             WHERE ((o.state IN ('assigned', 'running', 'paused')) <> (n.state IN ('assigned', 'running', 'paused'))
                        OR (n.state IN ('assigned', 'running', 'paused')
                            AND (o.node_id, o.attempt, o.cpu_cores, o.gpus,
                                 CASE WHEN o.state = 'running' AND o.timeout IS NOT NULL THEN o.started_at + least(o.timeout, interval '1000 years') END)
                                IS DISTINCT FROM (n.node_id, n.attempt, n.cpu_cores, n.gpus,
                                                  CASE WHEN n.state = 'running' AND n.timeout IS NOT NULL THEN n.started_at + least(n.timeout, interval '1000 years') END)))),
        gone AS (
            DELETE FROM ffrtmp_data.job_leases l
             WHERE l.job_id = ANY (ARRAY(SELECT c.id FROM c WHERE c.state NOT IN ('assigned', 'running', 'paused'))))
        INSERT INTO ffrtmp_data.job_leases (job_id, tenant_id, node_id, attempt, cpu_cores, gpus, deadline)
        SELECT c.id, c.tenant_id, c.node_id, c.attempt, c.cpu_cores, c.gpus,
               CASE WHEN c.state = 'running' AND c.timeout IS NOT NULL THEN c.started_at + least(c.timeout, interval '1000 years') END
          FROM c WHERE c.state IN ('assigned', 'running', 'paused') ORDER BY c.id
        ON CONFLICT (job_id) DO UPDATE
           SET node_id = EXCLUDED.node_id, attempt = EXCLUDED.attempt, cpu_cores = EXCLUDED.cpu_cores,
               gpus = EXCLUDED.gpus, deadline = EXCLUDED.deadline;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_after_update() IS
    'Enforces job_transitions and failure_reasons, records job_events, writes the webhook events the changes trigger to the outbox, keeps usage exact and keeps job_queue, job_backoffs and job_leases in step for every UPDATE of jobs.';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_after_update() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_after_update
    AFTER UPDATE ON ffrtmp_data.jobs
    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.jobs_after_update();

/*
 * Every INSERT of jobs (submit_job, submit_jobs, import_job, a restore) puts
 * the new jobs in the narrow table of their state, as jobs_after_update
 * keeps them there.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_after_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    queued boolean;
    backing_off boolean;
    held boolean;
BEGIN
    -- Only the tables the new jobs go to are written, and so locked: a
    -- submit touches job_queue alone.  A deadline as jobs_after_update
    -- computes it.
    SELECT coalesce(bool_or(n.state = 'queued'), false), coalesce(bool_or(n.state = 'retrying'), false),
           coalesce(bool_or(n.state IN ('assigned', 'running', 'paused')), false)
      INTO queued, backing_off, held
      FROM new_jobs n;
    IF queued THEN
        INSERT INTO ffrtmp_data.job_queue (job_id, tenant_id, queue, priority, cpu_cores, gpus, run_after, ready_at)
        SELECT n.id, n.tenant_id, n.queue, n.priority, n.cpu_cores, n.gpus, n.run_after, greatest(n.run_after, n.updated_at)
          FROM new_jobs n WHERE n.state = 'queued' ORDER BY n.id;
    END IF;
    IF backing_off THEN
        INSERT INTO ffrtmp_data.job_backoffs (job_id, tenant_id, run_after)
        SELECT n.id, n.tenant_id, n.run_after FROM new_jobs n WHERE n.state = 'retrying' ORDER BY n.id;
    END IF;
    IF held THEN
        INSERT INTO ffrtmp_data.job_leases (job_id, tenant_id, node_id, attempt, cpu_cores, gpus, deadline)
        SELECT n.id, n.tenant_id, n.node_id, n.attempt, n.cpu_cores, n.gpus,
               CASE WHEN n.state = 'running' AND n.timeout IS NOT NULL THEN n.started_at + least(n.timeout, interval '1000 years') END
          FROM new_jobs n WHERE n.state IN ('assigned', 'running', 'paused') ORDER BY n.id;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_after_insert() IS
    'Puts every job inserted into jobs in job_queue, job_backoffs or job_leases, as its state asks.';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_after_insert() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_after_insert
    AFTER INSERT ON ffrtmp_data.jobs
    REFERENCING NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.jobs_after_insert();

/*
 * A job that reaches a final state wakes the sessions in ffrtmp.wait_for_job
 * once the transaction commits (src/job_waits.c decides which states are
 * final, from the shared list of states).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.wake_job_waiters() RETURNS trigger
AS 'MODULE_PATHNAME', 'ffrtmp_wake_job_waiters'
LANGUAGE C;
COMMENT ON FUNCTION ffrtmp_data.wake_job_waiters() IS
    'Wakes the callers of ffrtmp.wait_for_job at the commit of a transaction that moved a job to a final state.';
REVOKE ALL ON FUNCTION ffrtmp_data.wake_job_waiters() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_wake_waiters
    AFTER UPDATE OF state ON ffrtmp_data.jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION ffrtmp_data.wake_job_waiters();

/*
 * A job that leaves a node slot (finished, failed, canceled, its attempt
 * ended) or becomes queued (released, retried) wakes the scheduler leader
 * when the transaction commits (src/wake.c): the slot is filled at once,
 * not at the next tick of ffrtmp.scheduler_interval.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.wake_scheduler_on_job_change() RETURNS trigger
AS 'MODULE_PATHNAME', 'ffrtmp_wake_scheduler_on_job_change'
LANGUAGE C;
COMMENT ON FUNCTION ffrtmp_data.wake_scheduler_on_job_change() IS
    'Wakes the scheduler leader at the commit of a transaction that freed a node slot or queued a job.';
REVOKE ALL ON FUNCTION ffrtmp_data.wake_scheduler_on_job_change() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_wake_scheduler
    AFTER UPDATE OF state ON ffrtmp_data.jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION ffrtmp_data.wake_scheduler_on_job_change();

/* Rows leave jobs only by pruning; a DELETE of an active job would corrupt usage. */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_before_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF (SELECT is_active FROM ffrtmp_data.job_states WHERE state = OLD.state) THEN
        RAISE EXCEPTION 'job % is % and cannot be deleted', OLD.id, OLD.state
            USING ERRCODE = 'PT409', HINT = 'Cancel the job first; finished jobs are pruned after the retention period.';
    END IF;
    RETURN OLD;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_before_delete() IS 'Refuses to delete active jobs, which usage still counts.';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_before_delete() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_before_delete BEFORE DELETE ON ffrtmp_data.jobs
    FOR EACH ROW EXECUTE FUNCTION ffrtmp_data.jobs_before_delete();

/*
 * A job keeps its id.  SET id = DEFAULT is the one change of it that an
 * identity column GENERATED ALWAYS lets through, and jobs_after_update pairs
 * a job's old and new rows by id: a job given a new id would have its state
 * changed unchecked and uncounted, and its old id's row left in job_queue,
 * job_backoffs or job_leases.  Fires only for an UPDATE that names id.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_refuse_new_id() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION 'job % cannot change its id', OLD.id
        USING ERRCODE = 'PT409', HINT = 'A job keeps the id it was submitted with; submit a new job instead.';
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_refuse_new_id() IS 'Refuses an UPDATE that gives a job a new id (PT409).';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_refuse_new_id() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_refuse_new_id BEFORE UPDATE OF id ON ffrtmp_data.jobs
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION ffrtmp_data.jobs_refuse_new_id();
COMMENT ON TRIGGER jobs_refuse_new_id ON ffrtmp_data.jobs IS 'A job keeps its id: the state trigger pairs old and new rows by it.';

/*
 * TRUNCATE of jobs (an operator starting afresh) fires no row or UPDATE
 * trigger: the narrow tables go with it, or their rows would keep nodes'
 * capacity taken and the nodes unremovable for good.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_after_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    TRUNCATE ffrtmp_data.job_queue, ffrtmp_data.job_backoffs, ffrtmp_data.job_leases;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_after_truncate() IS 'Empties job_queue, job_backoffs and job_leases when jobs is truncated.';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_after_truncate() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_after_truncate AFTER TRUNCATE ON ffrtmp_data.jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.jobs_after_truncate();
COMMENT ON TRIGGER jobs_after_truncate ON ffrtmp_data.jobs IS 'The narrow tables are emptied with jobs.';

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.jobs;
CREATE POLICY tenant_isolation ON ffrtmp_data.jobs
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.jobs IS 'A tenant sees its own jobs; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_events;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_events
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_events IS 'A tenant sees its own job history; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_progress;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_progress
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_progress IS 'A tenant sees its own jobs'' progress; administrators see all.';
-- The narrow tables: written by the jobs triggers as whoever changes the job.
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_queue;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_queue
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_queue IS 'A tenant''s own queued jobs; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_backoffs;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_backoffs
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_backoffs IS 'A tenant''s own retrying jobs; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_leases;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_leases
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_leases IS 'The jobs of the tenant''s own that nodes hold; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.job_logs;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_logs
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_logs IS 'A tenant sees its own jobs'' logs; administrators see all.';
-- Built-in presets (tenant_id NULL) are readable by all but writable by administrators only.
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.presets;
CREATE POLICY tenant_isolation ON ffrtmp_data.presets
    USING (tenant_id IS NULL OR ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant())
    WITH CHECK (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.presets IS 'Everyone sees the built-in presets; a tenant sees its own as well.';

CREATE OR REPLACE FUNCTION ffrtmp_data.read_jobs() RETURNS SETOF ffrtmp_data.jobs
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.jobs j WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.jobs j WHERE NOT ffrtmp.caller_is_admin() AND j.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_jobs() IS 'The jobs the caller may see, read without showing the caller the scan: behind ffrtmp.jobs.';
ALTER FUNCTION ffrtmp_data.read_jobs() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_jobs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_jobs() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_job_events() RETURNS SETOF ffrtmp_data.job_events
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.job_events e WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.job_events e WHERE NOT ffrtmp.caller_is_admin() AND e.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_events() IS 'The job history the caller may see, read without showing the caller the scan: behind ffrtmp.job_events.';
ALTER FUNCTION ffrtmp_data.read_job_events() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_job_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_job_events() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_job_progress() RETURNS SETOF ffrtmp_data.job_progress
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.job_progress p WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.job_progress p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_progress() IS 'The progress reports the caller may see, read without showing the caller the scan: behind ffrtmp.job_progress.';
ALTER FUNCTION ffrtmp_data.read_job_progress() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_job_progress() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_job_progress() TO ffrtmp_admin, ffrtmp_tenant;

-- Built-in presets (tenant_id NULL) are everyone's.
CREATE OR REPLACE FUNCTION ffrtmp_data.read_presets() RETURNS SETOF ffrtmp_data.presets
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.presets p WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.presets p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id IS NULL
    UNION ALL
    SELECT * FROM ffrtmp_data.presets p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_presets() IS 'The built-in presets and the caller''s own (all for administrators), read without showing the caller the scan: behind ffrtmp.presets.';
ALTER FUNCTION ffrtmp_data.read_presets() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_presets() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_presets() TO ffrtmp_admin, ffrtmp_tenant;

-- The tenant names job_events and job_progress show, read with jobs.view
-- (01_function_permissions.sql) so that these job views need jobs.view
-- alone, as ffrtmp.tenants' reader would add tenants.view.
CREATE OR REPLACE FUNCTION ffrtmp_data.read_job_tenants() RETURNS TABLE (id uuid, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.id, t.name FROM ffrtmp_data.tenants t WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT t.id, t.name FROM ffrtmp_data.tenants t WHERE NOT ffrtmp.caller_is_admin() AND t.id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_tenants() IS 'The ids and names of the tenants the caller may see (all for administrators, else its own): the tenant names of ffrtmp.job_events and ffrtmp.job_progress.';
ALTER FUNCTION ffrtmp_data.read_job_tenants() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_job_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_job_tenants() TO ffrtmp_admin, ffrtmp_tenant;

/* A number the worker reported under key, or NULL when it is missing or not a number. */
CREATE OR REPLACE FUNCTION ffrtmp_data.progress_number(progress jsonb, key text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pg_catalog.jsonb_typeof(progress -> key) = 'number' THEN (progress -> key)::numeric END;
COMMENT ON FUNCTION ffrtmp_data.progress_number(jsonb, text) IS
    'A number of a progress report, or NULL when the key is missing or holds no number.';
ALTER FUNCTION ffrtmp_data.progress_number(jsonb, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.progress_number(jsonb, text) FROM PUBLIC;

/*
 * A progress report rounded for people: whole frames, fps to 1 decimal,
 * speed (1.25 = 1.25 times real time) to 2, percent cut to 1, and the time left
 * at that speed (the output's remaining seconds over speed) to whole seconds.
 * A value the worker did not report, or that makes no sense (negative, not
 * a number, absurdly large), is NULL rather than an error: a person reads
 * this, and get_job must never fail on a report.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.progress_for_people(progress jsonb,
    OUT frames bigint, OUT fps numeric, OUT speed numeric, OUT percent numeric, OUT eta interval)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE WHEN n.frames >= 0 AND n.frames < 1e15 THEN pg_catalog.trunc(n.frames)::bigint END,
           CASE WHEN n.fps >= 0 AND n.fps < 1e9 THEN pg_catalog.round(n.fps, 1) END,
           CASE WHEN n.speed >= 0 AND n.speed < 1e9 THEN pg_catalog.round(n.speed, 2) END,
           -- Cut, not rounded: 99.96 is not yet 100.0.
           CASE WHEN n.percent >= 0 THEN pg_catalog.trunc(LEAST(n.percent, 100), 1) END,
           CASE WHEN n.percent >= 100 THEN '0'::interval
                WHEN n.percent > 0 AND n.speed > 0 AND n.out_time > 0
                 AND n.out_time * (100 - n.percent) / n.percent / n.speed < 1e8
                THEN pg_catalog.make_interval(secs => pg_catalog.round(n.out_time * (100 - n.percent) / n.percent / n.speed)::double precision)
           END
      FROM (SELECT ffrtmp_data.progress_number(progress, 'frames') AS frames,
                   ffrtmp_data.progress_number(progress, 'fps') AS fps,
                   ffrtmp_data.progress_number(progress, 'speed') AS speed,
                   ffrtmp_data.progress_number(progress, 'percent') AS percent,
                   ffrtmp_data.progress_number(progress, 'out_time') AS out_time) n;
END;
COMMENT ON FUNCTION ffrtmp_data.progress_for_people(jsonb) IS
    'A progress report rounded for people: frames, fps (1 decimal), speed (2 decimals, 1.25 = 1.25x real time), percent (cut to 1 decimal: 100.0 only when done) and the time left (whole seconds); NULL for what was not reported or makes no sense.';
ALTER FUNCTION ffrtmp_data.progress_for_people(jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.progress_for_people(jsonb) FROM PUBLIC;

/*
 * A job as people read it: the job, its tenant's name, and the latest
 * progress of its current attempt, rounded.  Read as its owner, so row-level
 * security on jobs, tenants and job_progress decides what a caller sees;
 * behind get_job, tenant_jobs and the ffrtmp.job_details view.
 */
CREATE OR REPLACE VIEW ffrtmp_data.job_details AS
SELECT j.id, j.seq, j.tenant_id, t.name AS tenant_name, j.state, j.queue, j.priority, j.input_url, j.output_url,
       j.preset, j.params, j.cpu_cores, j.gpus, j.attempt, j.first_attempt, j.max_attempts, j.run_after,
       j.timeout, j.node_id, j.idempotency_key, j.state_reason, j.failure_reason, j.error, j.result,
       j.created_at, j.updated_at, j.started_at, j.finished_at, j.retry_all_failures,
       h.frames, h.fps, h.speed,
       CASE WHEN j.state = 'completed' THEN 100.0 ELSE h.percent END AS percent,  -- all of the input was done
       CASE WHEN j.state = 'running' THEN h.eta END AS eta,  -- nothing is left of a job that stopped
       p.updated_at AS progress_at
  FROM ffrtmp_data.jobs j
  JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
  LEFT JOIN ffrtmp_data.job_progress p ON p.job_id = j.id AND p.attempt = j.attempt
  LEFT JOIN LATERAL ffrtmp_data.progress_for_people(p.progress) h ON true;
COMMENT ON VIEW ffrtmp_data.job_details IS
    'Jobs with their tenant''s name and the latest progress of the current attempt, under the tables'' row-level security: behind get_job, tenant_jobs, wait_for_job and ffrtmp.job_details.';
COMMENT ON COLUMN ffrtmp_data.job_details.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp_data.job_details.seq IS 'Per-tenant job number (ffrtmp.job_id(seq) turns it into the id).';
COMMENT ON COLUMN ffrtmp_data.job_details.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp_data.job_details.tenant_name IS 'Owning tenant''s name.';
COMMENT ON COLUMN ffrtmp_data.job_details.state IS 'The job''s state (ffrtmp.job_states).';
COMMENT ON COLUMN ffrtmp_data.job_details.queue IS 'live, default or batch.';
COMMENT ON COLUMN ffrtmp_data.job_details.priority IS 'Higher runs first within a tenant.';
COMMENT ON COLUMN ffrtmp_data.job_details.input_url IS 'Input URL.';
COMMENT ON COLUMN ffrtmp_data.job_details.output_url IS 'Output path or URL.';
COMMENT ON COLUMN ffrtmp_data.job_details.preset IS 'Preset used, if any.';
COMMENT ON COLUMN ffrtmp_data.job_details.params IS 'Encode parameters in force.';
COMMENT ON COLUMN ffrtmp_data.job_details.cpu_cores IS 'CPU cores needed.';
COMMENT ON COLUMN ffrtmp_data.job_details.gpus IS 'GPUs needed.';
COMMENT ON COLUMN ffrtmp_data.job_details.attempt IS 'Attempt number (only grows).';
COMMENT ON COLUMN ffrtmp_data.job_details.first_attempt IS 'Attempt number at which the current run began.';
COMMENT ON COLUMN ffrtmp_data.job_details.max_attempts IS 'Attempts allowed per run.';
COMMENT ON COLUMN ffrtmp_data.job_details.run_after IS 'Earliest dispatch time.';
COMMENT ON COLUMN ffrtmp_data.job_details.timeout IS 'Longest an attempt may run.';
COMMENT ON COLUMN ffrtmp_data.job_details.node_id IS 'Node assigned.';
COMMENT ON COLUMN ffrtmp_data.job_details.idempotency_key IS 'Caller''s idempotency key.';
COMMENT ON COLUMN ffrtmp_data.job_details.state_reason IS 'Why the job is in its state.';
COMMENT ON COLUMN ffrtmp_data.job_details.failure_reason IS 'Failure class.';
COMMENT ON COLUMN ffrtmp_data.job_details.error IS 'Last error message.';
COMMENT ON COLUMN ffrtmp_data.job_details.result IS 'Output description.';
COMMENT ON COLUMN ffrtmp_data.job_details.created_at IS 'Submitted at.';
COMMENT ON COLUMN ffrtmp_data.job_details.updated_at IS 'Last changed at.';
COMMENT ON COLUMN ffrtmp_data.job_details.started_at IS 'Current attempt started at.';
COMMENT ON COLUMN ffrtmp_data.job_details.finished_at IS 'Reached a final state at.';
COMMENT ON COLUMN ffrtmp_data.job_details.retry_all_failures IS 'Retry every failed attempt while attempts are left, whatever failure_reasons.retryable says of its class (submit_job''s per-job override).';
COMMENT ON COLUMN ffrtmp_data.job_details.frames IS 'Frames encoded so far by the current attempt (its latest progress report).';
COMMENT ON COLUMN ffrtmp_data.job_details.fps IS 'Frames encoded per second, 1 decimal.';
COMMENT ON COLUMN ffrtmp_data.job_details.speed IS 'Output seconds per second of work, 2 decimals: 1.25 is 1.25x real time.';
COMMENT ON COLUMN ffrtmp_data.job_details.percent IS 'Share of the input done, cut to 1 decimal: 100.0 for a completed job (and only then); NULL when the input''s length is unknown (a live input) or nothing was reported.';
COMMENT ON COLUMN ffrtmp_data.job_details.eta IS 'Time left at the current speed, in whole seconds, as of progress_at; NULL unless the job is running.';
COMMENT ON COLUMN ffrtmp_data.job_details.progress_at IS 'When the current attempt last reported progress.';
ALTER VIEW ffrtmp_data.job_details OWNER TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_job_details() RETURNS SETOF ffrtmp_data.job_details
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.job_details d WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.job_details d WHERE NOT ffrtmp.caller_is_admin() AND d.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_details() IS 'The job details the caller may see, read without showing the caller the scan: behind ffrtmp.job_details.';
ALTER FUNCTION ffrtmp_data.read_job_details() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_job_details() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_job_details() TO ffrtmp_admin, ffrtmp_tenant;

-- Same columns, same order as the table: submit_job returns the inserted row as this type.
CREATE OR REPLACE VIEW ffrtmp.jobs WITH (security_invoker = true) AS
SELECT * FROM ffrtmp_data.read_jobs();
COMMENT ON VIEW ffrtmp.jobs IS 'Jobs the caller may see, as stored (the row type the job functions return); ffrtmp.job_details adds the tenant''s name and the latest progress. Change them with submit_job, cancel_job, retry_job, hold_job, release_job, pause_job and resume_job.';
COMMENT ON COLUMN ffrtmp.jobs.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp.jobs.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp.jobs.seq IS 'Per-tenant job number.';
COMMENT ON COLUMN ffrtmp.jobs.state IS 'queued, assigned, running, retrying, held, paused, completed, failed, timed_out, canceled or rejected.';
COMMENT ON COLUMN ffrtmp.jobs.queue IS 'live, default or batch: within its tenant''s share dispatch takes live before default before batch, above priority (docs/scheduler.md).';
COMMENT ON COLUMN ffrtmp.jobs.priority IS 'Higher runs first within a tenant.';
COMMENT ON COLUMN ffrtmp.jobs.input_url IS 'Input URL.';
COMMENT ON COLUMN ffrtmp.jobs.output_url IS 'Output path or URL.';
COMMENT ON COLUMN ffrtmp.jobs.preset IS 'Preset used, if any.';
COMMENT ON COLUMN ffrtmp.jobs.params IS 'Encode parameters in force.';
COMMENT ON COLUMN ffrtmp.jobs.cpu_cores IS 'CPU cores needed.';
COMMENT ON COLUMN ffrtmp.jobs.gpus IS 'GPUs needed.';
COMMENT ON COLUMN ffrtmp.jobs.attempt IS 'Attempt number (only grows).';
COMMENT ON COLUMN ffrtmp.jobs.first_attempt IS 'Attempt number at which the current run began.';
COMMENT ON COLUMN ffrtmp.jobs.max_attempts IS 'Attempts allowed per run.';
COMMENT ON COLUMN ffrtmp.jobs.run_after IS 'Earliest dispatch time.';
COMMENT ON COLUMN ffrtmp.jobs.timeout IS 'Longest an attempt may run.';
COMMENT ON COLUMN ffrtmp.jobs.node_id IS 'Node assigned.';
COMMENT ON COLUMN ffrtmp.jobs.idempotency_key IS 'Caller''s idempotency key.';
COMMENT ON COLUMN ffrtmp.jobs.state_reason IS 'Why the job is in its state.';
COMMENT ON COLUMN ffrtmp.jobs.failure_reason IS 'Failure class.';
COMMENT ON COLUMN ffrtmp.jobs.error IS 'Last error message.';
COMMENT ON COLUMN ffrtmp.jobs.result IS 'Output description.';
COMMENT ON COLUMN ffrtmp.jobs.created_at IS 'Submitted at.';
COMMENT ON COLUMN ffrtmp.jobs.updated_at IS 'Last changed at.';
COMMENT ON COLUMN ffrtmp.jobs.started_at IS 'Current attempt started at, moved later by the time it spent paused.';
COMMENT ON COLUMN ffrtmp.jobs.finished_at IS 'Reached a final state at.';
COMMENT ON COLUMN ffrtmp.jobs.retry_all_failures IS 'Failed attempts are retried whatever their class (submit_job(retry_all_failures => true)).';
GRANT SELECT ON ffrtmp.jobs TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_details WITH (security_invoker = true) AS
SELECT * FROM ffrtmp_data.read_job_details();
COMMENT ON VIEW ffrtmp.job_details IS 'Jobs the caller may see as people read them: each job with its tenant''s name and the latest progress of its current attempt, rounded (what get_job, tenant_jobs and wait_for_job return).';
COMMENT ON COLUMN ffrtmp.job_details.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp.job_details.seq IS 'Per-tenant job number (ffrtmp.job_id(seq) turns it into the id).';
COMMENT ON COLUMN ffrtmp.job_details.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp.job_details.tenant_name IS 'Owning tenant''s name.';
COMMENT ON COLUMN ffrtmp.job_details.state IS 'The job''s state (ffrtmp.job_states).';
COMMENT ON COLUMN ffrtmp.job_details.queue IS 'live, default or batch.';
COMMENT ON COLUMN ffrtmp.job_details.priority IS 'Higher runs first within a tenant.';
COMMENT ON COLUMN ffrtmp.job_details.input_url IS 'Input URL.';
COMMENT ON COLUMN ffrtmp.job_details.output_url IS 'Output path or URL.';
COMMENT ON COLUMN ffrtmp.job_details.preset IS 'Preset used, if any.';
COMMENT ON COLUMN ffrtmp.job_details.params IS 'Encode parameters in force.';
COMMENT ON COLUMN ffrtmp.job_details.cpu_cores IS 'CPU cores needed.';
COMMENT ON COLUMN ffrtmp.job_details.gpus IS 'GPUs needed.';
COMMENT ON COLUMN ffrtmp.job_details.attempt IS 'Attempt number (only grows).';
COMMENT ON COLUMN ffrtmp.job_details.first_attempt IS 'Attempt number at which the current run began.';
COMMENT ON COLUMN ffrtmp.job_details.max_attempts IS 'Attempts allowed per run.';
COMMENT ON COLUMN ffrtmp.job_details.run_after IS 'Earliest dispatch time.';
COMMENT ON COLUMN ffrtmp.job_details.timeout IS 'Longest an attempt may run.';
COMMENT ON COLUMN ffrtmp.job_details.node_id IS 'Node assigned.';
COMMENT ON COLUMN ffrtmp.job_details.idempotency_key IS 'Caller''s idempotency key.';
COMMENT ON COLUMN ffrtmp.job_details.state_reason IS 'Why the job is in its state.';
COMMENT ON COLUMN ffrtmp.job_details.failure_reason IS 'Failure class.';
COMMENT ON COLUMN ffrtmp.job_details.error IS 'Last error message.';
COMMENT ON COLUMN ffrtmp.job_details.result IS 'Output description.';
COMMENT ON COLUMN ffrtmp.job_details.created_at IS 'Submitted at.';
COMMENT ON COLUMN ffrtmp.job_details.updated_at IS 'Last changed at.';
COMMENT ON COLUMN ffrtmp.job_details.started_at IS 'Current attempt started at.';
COMMENT ON COLUMN ffrtmp.job_details.finished_at IS 'Reached a final state at.';
COMMENT ON COLUMN ffrtmp.job_details.retry_all_failures IS 'Retry every failed attempt while attempts are left, whatever failure_reasons.retryable says of its class (submit_job''s per-job override).';
COMMENT ON COLUMN ffrtmp.job_details.frames IS 'Frames encoded so far by the current attempt (its latest progress report).';
COMMENT ON COLUMN ffrtmp.job_details.fps IS 'Frames encoded per second, 1 decimal.';
COMMENT ON COLUMN ffrtmp.job_details.speed IS 'Output seconds per second of work, 2 decimals: 1.25 is 1.25x real time.';
COMMENT ON COLUMN ffrtmp.job_details.percent IS 'Share of the input done, cut to 1 decimal: 100.0 for a completed job (and only then); NULL when the input''s length is unknown (a live input) or nothing was reported.';
COMMENT ON COLUMN ffrtmp.job_details.eta IS 'Time left at the current speed, in whole seconds, as of progress_at; NULL unless the job is running.';
COMMENT ON COLUMN ffrtmp.job_details.progress_at IS 'When the current attempt last reported progress.';
GRANT SELECT ON ffrtmp.job_details TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

-- tenant_name last: a column added to a view goes at its end (0.2 added it).
CREATE OR REPLACE VIEW ffrtmp.job_events WITH (security_invoker = true) AS
SELECT e.id, e.job_id, e.tenant_id, e.attempt, e.from_state, e.to_state, e.reason, e.actor, e.at, t.name AS tenant_name
FROM ffrtmp_data.read_job_events() e LEFT JOIN ffrtmp_data.read_job_tenants() t ON t.id = e.tenant_id;
COMMENT ON VIEW ffrtmp.job_events IS 'Job history: every state change with its reason and actor.';
COMMENT ON COLUMN ffrtmp.job_events.id IS 'Event id.';
COMMENT ON COLUMN ffrtmp.job_events.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.job_events.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.job_events.attempt IS 'Attempt after the change.';
COMMENT ON COLUMN ffrtmp.job_events.from_state IS 'State before (NULL at submission).';
COMMENT ON COLUMN ffrtmp.job_events.to_state IS 'State after.';
COMMENT ON COLUMN ffrtmp.job_events.reason IS 'Why.';
COMMENT ON COLUMN ffrtmp.job_events.actor IS 'Who.';
COMMENT ON COLUMN ffrtmp.job_events.at IS 'When.';
COMMENT ON COLUMN ffrtmp.job_events.tenant_name IS 'Tenant''s name.';
GRANT SELECT ON ffrtmp.job_events TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_progress WITH (security_invoker = true) AS
SELECT p.job_id, p.tenant_id, p.attempt, p.progress, p.updated_at, t.name AS tenant_name
FROM ffrtmp_data.read_job_progress() p LEFT JOIN ffrtmp_data.read_job_tenants() t ON t.id = p.tenant_id;
COMMENT ON VIEW ffrtmp.job_progress IS 'Latest progress of running jobs.';
COMMENT ON COLUMN ffrtmp.job_progress.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.job_progress.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.job_progress.attempt IS 'Attempt reporting.';
COMMENT ON COLUMN ffrtmp.job_progress.progress IS 'Frames, fps, speed, percent, bitrate...';
COMMENT ON COLUMN ffrtmp.job_progress.updated_at IS 'When reported.';
COMMENT ON COLUMN ffrtmp.job_progress.tenant_name IS 'Tenant''s name.';
GRANT SELECT ON ffrtmp.job_progress TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.presets WITH (security_invoker = true) AS
SELECT tenant_id, name, params, description FROM ffrtmp_data.read_presets();
COMMENT ON VIEW ffrtmp.presets IS 'Encode presets usable by the caller: built-in (tenant_id NULL) and its own.';
COMMENT ON COLUMN ffrtmp.presets.tenant_id IS 'Owning tenant; NULL for built-in.';
COMMENT ON COLUMN ffrtmp.presets.name IS 'Preset name, for submit_job(preset => ...).';
COMMENT ON COLUMN ffrtmp.presets.params IS 'Encode parameters.';
COMMENT ON COLUMN ffrtmp.presets.description IS 'Description.';
GRANT SELECT ON ffrtmp.presets TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_states WITH (security_invoker = true) AS
SELECT state, is_active, is_waiting, holds_node, description FROM ffrtmp_data.job_states;
COMMENT ON VIEW ffrtmp.job_states IS 'Job states and what each counts towards.';
COMMENT ON COLUMN ffrtmp.job_states.state IS 'State.';
COMMENT ON COLUMN ffrtmp.job_states.is_active IS 'Counts against max_jobs.';
COMMENT ON COLUMN ffrtmp.job_states.is_waiting IS 'Waiting for a node.';
COMMENT ON COLUMN ffrtmp.job_states.holds_node IS 'Holds a node slot, CPU cores and GPUs.';
COMMENT ON COLUMN ffrtmp.job_states.description IS 'Meaning.';
GRANT SELECT ON ffrtmp.job_states TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_transitions WITH (security_invoker = true) AS
SELECT from_state, to_state FROM ffrtmp_data.job_transitions;
COMMENT ON VIEW ffrtmp.job_transitions IS 'The allowed job state changes.';
COMMENT ON COLUMN ffrtmp.job_transitions.from_state IS 'From.';
COMMENT ON COLUMN ffrtmp.job_transitions.to_state IS 'To.';
GRANT SELECT ON ffrtmp.job_transitions TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.failure_reasons WITH (security_invoker = true) AS
SELECT reason, counts_against, description, retryable FROM ffrtmp_data.failure_reasons;
COMMENT ON VIEW ffrtmp.failure_reasons IS 'Failure classes, who they count against and whether they are retried.';
COMMENT ON COLUMN ffrtmp.failure_reasons.reason IS 'Class.';
COMMENT ON COLUMN ffrtmp.failure_reasons.counts_against IS 'platform or input.';
COMMENT ON COLUMN ffrtmp.failure_reasons.description IS 'What it covers.';
COMMENT ON COLUMN ffrtmp.failure_reasons.retryable IS 'Whether a failed attempt of this class is retried while attempts are left; false ends the job failed at once.';
GRANT SELECT ON ffrtmp.failure_reasons TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;
