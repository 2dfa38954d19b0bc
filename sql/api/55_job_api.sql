-- The jobs' API: submit, look up, cancel, retry, and one job's history.

CREATE OR REPLACE FUNCTION ffrtmp.submit_job(
    input_url       text,
    output_url      text DEFAULT NULL,
    preset          text DEFAULT NULL,
    params          jsonb DEFAULT '{}',
    priority        ffrtmp.priority DEFAULT 0,
    max_attempts    integer DEFAULT 3,
    run_after       timestamptz DEFAULT NULL,
    timeout         interval DEFAULT NULL,
    cpu_cores       integer DEFAULT 1,
    gpus            integer DEFAULT 0,
    idempotency_key text DEFAULT NULL,
    tenant          text DEFAULT NULL,
    queue           text DEFAULT 'default',
    retry_all_failures boolean DEFAULT false)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_submit_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text, boolean) IS
    'Queues a transcoding job for the caller''s tenant (or, for administrators, tenant => id or name) within its quotas, and returns it. Repeating an idempotency_key with the same arguments returns the same job. A failed attempt is retried only when its failure class is retryable (ffrtmp.failure_reasons), unless retry_all_failures is true.';
ALTER FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text, boolean) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text, boolean) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.get_job(id bigint)
RETURNS ffrtmp.job_details
AS 'MODULE_PATHNAME', 'ffrtmp_get_job'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.get_job(bigint) IS
    'One job by id (ffrtmp.job_id(seq) gives the id of a per-tenant number), with its tenant''s name and the latest progress of its current attempt, rounded for people.';
ALTER FUNCTION ffrtmp.get_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.get_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.get_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.cancel_job(id bigint)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_cancel_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.cancel_job(bigint) IS 'Cancels a queued, assigned, running, retrying, held or paused job; the node of a running or paused one stops it.';
ALTER FUNCTION ffrtmp.cancel_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.cancel_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.cancel_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.retry_job(id bigint)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_retry_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.retry_job(bigint) IS
    'Queues a failed, timed-out, canceled or rejected job again with a fresh set of max_attempts attempts, within the max_jobs quota. A job that alone asks for more cpu_cores or gpus than the tenant may now use (the limit was lowered since it was submitted) is refused with 22023, as submit_job refuses it.';
ALTER FUNCTION ffrtmp.retry_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.retry_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.retry_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * One job's history by the job's index: the job_events view reads all the
 * caller's events (an administrator's: everyone's) before a WHERE job_id
 * applies.  Another tenant's job, like a missing one, has no history.
 */
CREATE OR REPLACE FUNCTION ffrtmp.job_history(job_id bigint) RETURNS SETOF ffrtmp.job_events
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT e.id, e.job_id, e.tenant_id, e.attempt, e.from_state, e.to_state, e.reason, e.actor, e.at,
           (SELECT t.name FROM ffrtmp_data.tenants t WHERE t.id = e.tenant_id)
      FROM ffrtmp_data.job_events e
     WHERE e.job_id = job_history.job_id
       AND (ffrtmp.caller_is_admin() OR e.tenant_id = ffrtmp.current_tenant())
     ORDER BY e.id;
END;
COMMENT ON FUNCTION ffrtmp.job_history(bigint) IS
    'One job''s state changes, oldest first, with their reasons and actors; empty for a job the caller cannot see.';
ALTER FUNCTION ffrtmp.job_history(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.job_history(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.job_history(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * The per-tenant job number people type, turned into the job id every
 * function takes: ffrtmp.cancel_job(ffrtmp.job_id(42)).  A tenant principal
 * resolves its own tenant's numbers; an administrator names the tenant.
 * Another tenant's number reads exactly like a number never used.
 */
CREATE OR REPLACE FUNCTION ffrtmp.job_id(seq bigint, tenant text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'ffrtmp_job_id'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.job_id(bigint, text) IS
    'The id of the job with per-tenant number seq, for any function that takes a job id: SELECT ffrtmp.cancel_job(ffrtmp.job_id(42)). Tenant principals resolve their own tenant''s numbers; administrators must name the tenant (22023 otherwise). A number that is not the tenant''s is PT404.';
ALTER FUNCTION ffrtmp.job_id(bigint, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.job_id(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.job_id(bigint, text) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * One job's log lines by the job's key: every attempt's, or one attempt's,
 * oldest first.  Another tenant's job, like a missing one, has no lines.
 * (The result columns are attempt_no and line, not attempt: an argument and
 * a result column cannot share a name.)
 */
CREATE OR REPLACE FUNCTION ffrtmp.job_logs(job bigint, attempt integer DEFAULT NULL)
RETURNS TABLE (attempt_no integer, line bigint, logged_at timestamptz, level text, source text, message text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT l.attempt, l.line, l.logged_at, l.level, l.source, l.message
      FROM ffrtmp_data.job_logs l
     WHERE l.job_id = job_logs.job
       AND (job_logs.attempt IS NULL OR l.attempt = job_logs.attempt)
       AND (ffrtmp.caller_is_admin() OR l.tenant_id = ffrtmp.current_tenant())
     ORDER BY l.attempt, l.line;
END;
COMMENT ON FUNCTION ffrtmp.job_logs(bigint, integer) IS
    'The last lines (at most 64 KiB per attempt, oldest dropped first) of a job''s worker and libav log, of every attempt or of one, oldest first: attempt_no, line number, when logged, level (info, warning, error), source (worker, libav), message. Empty for a job the caller cannot see.';
ALTER FUNCTION ffrtmp.job_logs(bigint, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.job_logs(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.job_logs(bigint, integer) TO ffrtmp_admin, ffrtmp_tenant;
CREATE OR REPLACE FUNCTION ffrtmp.submit_jobs(jobs jsonb, tenant text DEFAULT NULL)
RETURNS TABLE (job_index integer, id bigint, seq bigint, submitted boolean)
AS 'MODULE_PATHNAME', 'ffrtmp_submit_jobs'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.submit_jobs(jsonb, text) IS
    'Queues up to 1000 jobs for one tenant (the caller''s, or for administrators tenant => id or name) in one call, all or nothing: jobs is a JSON array of objects whose keys are submit_job''s arguments (tenant apart). Returns one row per job in input order: its index in the array (from 0), id, seq, and submitted (false when an earlier job with the same idempotency_key was returned). A bad job is refused naming it as jobs[i]; a batch that does not fit the quotas is refused whole (PT429); a key may appear once per batch.';
ALTER FUNCTION ffrtmp.submit_jobs(jsonb, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.submit_jobs(jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.submit_jobs(jsonb, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.wait_for_job(id bigint, timeout interval DEFAULT '60 seconds')
RETURNS ffrtmp.job_details
AS 'MODULE_PATHNAME', 'ffrtmp_wait_for_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.wait_for_job(bigint, interval) IS
    'Waits until the job is in a final state (completed, failed, timed_out, canceled, rejected) or the timeout (0 to 600 seconds; NULL: 60 seconds) has passed, then returns the job as get_job shows it: check its state. Sleeps without polling and sees commits of other sessions; refuses to wait under REPEATABLE READ or SERIALIZABLE. Cancel ends the wait; one that would outlast statement_timeout returns just before it.';
ALTER FUNCTION ffrtmp.wait_for_job(bigint, interval) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.wait_for_job(bigint, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.wait_for_job(bigint, interval) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * Holds and pauses.  Each call locks the job (so the state it decides on is
 * the state it changes), refuses a change job_transitions does not have, and
 * lets the jobs trigger record the event with its actor and move the usage
 * counters: a held job keeps its unit of max_jobs and stops counting as
 * queued; a paused job keeps its node's slot, cores and GPUs.  A tenant
 * principal reaches only its own jobs (row-level security: another tenant's
 * job does not exist for it); administrators reach every job.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.lock_job_for(job bigint, target text, change text, allowed text[])
RETURNS ffrtmp_data.jobs
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs;
BEGIN
    IF job IS NULL THEN
        RAISE EXCEPTION 'id must not be null'
            USING ERRCODE = '22004', HINT = 'Pass the id of one of your jobs.';
    END IF;
    SELECT * INTO j FROM ffrtmp_data.jobs WHERE id = job FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % does not exist', job
            USING ERRCODE = 'PT404', HINT = 'SELECT id, state FROM ffrtmp.jobs lists the jobs you can see.';
    END IF;
    -- job_transitions alone is not enough: it also holds the scheduler's and
    -- retry_job's moves to the same target (assigned -> running, canceled ->
    -- queued), which these calls must not make.
    IF j.state <> ALL (allowed)
       OR NOT EXISTS (SELECT 1 FROM ffrtmp_data.job_transitions t WHERE t.from_state = j.state AND t.to_state = target) THEN
        RAISE EXCEPTION 'job % is % and cannot be %', job, j.state, change
            USING ERRCODE = 'PT409', HINT = pg_catalog.format('Only %s jobs can be %s.', pg_catalog.array_to_string(allowed, ' or '), change);
    END IF;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.lock_job_for(bigint, text, text, text[]) IS
    'Locks a job the caller can see and checks that it is in one of the allowed states and that job_transitions lets it go to target; PT404 when there is no such job, PT409 (naming the states that can) when its state cannot.';
REVOKE ALL ON FUNCTION ffrtmp_data.lock_job_for(bigint, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.lock_job_for(bigint, text, text, text[]) TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp.hold_job(id bigint)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs := ffrtmp_data.lock_job_for(hold_job.id, 'held', 'held', ARRAY['queued', 'retrying']);
    before jsonb := ffrtmp_data.audit_job_fields(j);
BEGIN
    UPDATE ffrtmp_data.jobs SET state = 'held', updated_at = now(), state_reason = 'held by ' || ffrtmp_data.actor()
     WHERE jobs.id = j.id RETURNING * INTO j;
    PERFORM ffrtmp_data.audit_job('job.hold', j.id, before);
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.hold_job(bigint) IS
    'Holds a queued or retrying job: it is not dispatched until release_job, and keeps its place (priority and age) and its unit of the max_jobs quota. PT409 for a job in another state.';
ALTER FUNCTION ffrtmp.hold_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.hold_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.hold_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * A released job goes back to what it was held from: retrying while its
 * backoff (run_after) has not passed, else queued, where its id and priority
 * give it the place it had.
 */
CREATE OR REPLACE FUNCTION ffrtmp.release_job(id bigint)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs := ffrtmp_data.lock_job_for(release_job.id, 'queued', 'released', ARRAY['held']);
    before jsonb := ffrtmp_data.audit_job_fields(j);
    held_from text := (SELECT e.from_state FROM ffrtmp_data.job_events e
                        WHERE e.job_id = j.id AND e.to_state = 'held' ORDER BY e.id DESC LIMIT 1);
BEGIN
    UPDATE ffrtmp_data.jobs
       SET state = CASE WHEN held_from = 'retrying' AND j.run_after > now() THEN 'retrying' ELSE 'queued' END,
           updated_at = now(), state_reason = 'released by ' || ffrtmp_data.actor()
     WHERE jobs.id = j.id RETURNING * INTO j;
    PERFORM ffrtmp_data.audit_job('job.release', j.id, before);
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.release_job(bigint) IS
    'Releases a held job: back to queued in the place it had, or to retrying when it was held while retrying and its backoff has not passed. PT409 for a job that is not held.';
ALTER FUNCTION ffrtmp.release_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.release_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.release_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * The node learns of a pause or a resume from a notification on its channel
 * (empty, like dispatch's) and, should that be lost, from its next heartbeat
 * (ffrtmp.node_attempts); until then the process runs on, as it may.
 */
CREATE OR REPLACE FUNCTION ffrtmp.pause_job(id bigint)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs := ffrtmp_data.lock_job_for(pause_job.id, 'paused', 'paused', ARRAY['running']);
    before jsonb := ffrtmp_data.audit_job_fields(j);
BEGIN
    IF j.input_url ~* '^rtmps?://' THEN
        RAISE EXCEPTION 'job % reads a live input and cannot be paused', j.id
            USING ERRCODE = 'PT409',
                  DETAIL = 'A live stream does not wait: its source keeps sending while the job is stopped.',
                  HINT = 'Cancel the job instead; jobs with file, HTTP or testsrc inputs can be paused.';
    END IF;
    IF ffrtmp_data.node_pre_0_2_session(j.node_id) THEN
        RAISE EXCEPTION 'job % runs on node %, whose worker registered before the update to 0.2', j.id, j.node_id
            USING ERRCODE = 'PT409',
                  DETAIL = 'A worker of release 0.1 knows nothing of pauses: its process would run on while the job shows paused.',
                  HINT = 'Upgrade and restart the node''s worker (docs/upgrading.md), then pause its jobs; or cancel the job.';
    END IF;
    UPDATE ffrtmp_data.jobs SET state = 'paused', updated_at = now(), state_reason = 'paused by ' || ffrtmp_data.actor()
     WHERE jobs.id = j.id RETURNING * INTO j;
    PERFORM ffrtmp_data.audit_job('job.pause', j.id, before);
    PERFORM pg_catalog.pg_notify('ffrtmp_node_' || j.node_id, '');
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.pause_job(bigint) IS
    'Pauses a running job: its node stops the job''s process and keeps its slot; the time paused does not count against the job''s timeout. A job with a live (rtmp:// or rtmps://) input cannot be paused (PT409), nor a job that is not running, nor one on a node whose worker registered before the update to 0.2.';
ALTER FUNCTION ffrtmp.pause_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.pause_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.pause_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * timeout counts running time only: started_at moves later by the time the
 * attempt spent paused (since its last pause event), so the scheduler's
 * check (started_at + timeout) stays one comparison.  A pause is recorded at
 * its transaction's start, which may come before the start_job it waited
 * for: the time paused counts from whichever is later, so that started_at
 * never moves past now().
 */
CREATE OR REPLACE FUNCTION ffrtmp.resume_job(id bigint)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs := ffrtmp_data.lock_job_for(resume_job.id, 'running', 'resumed', ARRAY['paused']);
    before jsonb := ffrtmp_data.audit_job_fields(j);
    paused_at timestamptz := (SELECT max(e.at) FROM ffrtmp_data.job_events e
                               WHERE e.job_id = j.id AND e.to_state = 'paused' AND e.attempt = j.attempt);
BEGIN
    UPDATE ffrtmp_data.jobs
       SET state = 'running', updated_at = now(), state_reason = 'resumed by ' || ffrtmp_data.actor(),
           started_at = started_at + greatest(now() - greatest(coalesce(paused_at, now()), started_at), interval '0')
     WHERE jobs.id = j.id RETURNING * INTO j;
    PERFORM ffrtmp_data.audit_job('job.resume', j.id, before);
    PERFORM pg_catalog.pg_notify('ffrtmp_node_' || j.node_id, '');
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.resume_job(bigint) IS
    'Resumes a paused job: its node continues the job''s process. started_at moves later by the time paused, so timeout counts running time only. PT409 for a job that is not paused.';
ALTER FUNCTION ffrtmp.resume_job(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.resume_job(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.resume_job(bigint) TO ffrtmp_admin, ffrtmp_tenant;
