-- Jobs: the trigger that keeps their state machine, history and usage
-- counters, who may see which rows, how the API reads them (see
-- 20_tenants.sql for why through functions), and the views that show them.

/*
 * Every UPDATE of jobs, whoever runs it, goes through this one statement-level
 * trigger: it refuses changes missing from job_transitions, records one event
 * per changed row and moves the usage counters by the net change per tenant,
 * so that a set-based dispatch of thousands of jobs costs three statements.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_after_update() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    bad record;
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

    UPDATE ffrtmp_data.usage u
       SET active_jobs    = u.active_jobs    + d.active,
           queued_jobs    = u.queued_jobs    + d.waiting,
           running_jobs   = u.running_jobs   + d.holding,
           cpu_cores_used = u.cpu_cores_used + d.cpu_cores,
           gpus_used      = u.gpus_used      + d.gpus
      FROM (SELECT n.tenant_id,
                   sum(ns.is_active::int  - os.is_active::int)  AS active,
                   sum(ns.is_waiting::int - os.is_waiting::int) AS waiting,
                   sum(ns.holds_node::int - os.holds_node::int) AS holding,
                   sum(ns.holds_node::int * n.cpu_cores - os.holds_node::int * o.cpu_cores) AS cpu_cores,
                   sum(ns.holds_node::int * n.gpus      - os.holds_node::int * o.gpus)      AS gpus
              FROM old_jobs o
              JOIN new_jobs n ON n.id = o.id
              JOIN ffrtmp_data.job_states os ON os.state = o.state
              JOIN ffrtmp_data.job_states ns ON ns.state = n.state
             WHERE o.state <> n.state
             GROUP BY n.tenant_id) d
     WHERE u.tenant_id = d.tenant_id
       AND (d.active, d.waiting, d.holding, d.cpu_cores, d.gpus) <> (0, 0, 0, 0, 0);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.jobs_after_update() IS
    'Enforces job_transitions and failure_reasons, records job_events, writes the webhook events the changes trigger to the outbox and keeps usage exact for every UPDATE of jobs.';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_after_update() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_after_update
    AFTER UPDATE ON ffrtmp_data.jobs
    REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.jobs_after_update();

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

-- Same columns, same order as the table: submit_job returns the inserted row as this type.
CREATE OR REPLACE VIEW ffrtmp.jobs WITH (security_invoker = true) AS
SELECT * FROM ffrtmp_data.read_jobs();
COMMENT ON VIEW ffrtmp.jobs IS 'Jobs the caller may see. Change them with submit_job, cancel_job and retry_job.';
COMMENT ON COLUMN ffrtmp.jobs.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp.jobs.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp.jobs.seq IS 'Per-tenant job number.';
COMMENT ON COLUMN ffrtmp.jobs.state IS 'queued, assigned, running, retrying, completed, failed, timed_out, canceled or rejected.';
COMMENT ON COLUMN ffrtmp.jobs.queue IS 'live, default or batch.';
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
COMMENT ON COLUMN ffrtmp.jobs.started_at IS 'Current attempt started at.';
COMMENT ON COLUMN ffrtmp.jobs.finished_at IS 'Reached a final state at.';
GRANT SELECT ON ffrtmp.jobs TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_events WITH (security_invoker = true) AS
SELECT id, job_id, tenant_id, attempt, from_state, to_state, reason, actor, at
FROM ffrtmp_data.read_job_events();
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
GRANT SELECT ON ffrtmp.job_events TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.job_progress WITH (security_invoker = true) AS
SELECT job_id, tenant_id, attempt, progress, updated_at FROM ffrtmp_data.read_job_progress();
COMMENT ON VIEW ffrtmp.job_progress IS 'Latest progress of running jobs.';
COMMENT ON COLUMN ffrtmp.job_progress.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.job_progress.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.job_progress.attempt IS 'Attempt reporting.';
COMMENT ON COLUMN ffrtmp.job_progress.progress IS 'Frames, fps, speed, percent, bitrate...';
COMMENT ON COLUMN ffrtmp.job_progress.updated_at IS 'When reported.';
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
