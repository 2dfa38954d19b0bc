-- What ffrtmp-worker calls, and the leader's recovery pass.  Every call names
-- its node and session token, and every call about a job names the attempt it
-- holds: a worker that was cut off (its node timed out, its job given to
-- another) is refused instead of overwriting the newer attempt.

CREATE TABLE ffrtmp_data.job_progress (
    job_id     bigint PRIMARY KEY,
    tenant_id  uuid NOT NULL,
    attempt    integer NOT NULL,
    progress   jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE ffrtmp_data.job_progress IS 'Latest progress of running jobs, in its own narrow table so that frequent reports do not bloat jobs.';
COMMENT ON COLUMN ffrtmp_data.job_progress.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_progress.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_progress.attempt IS 'The attempt that reported.';
COMMENT ON COLUMN ffrtmp_data.job_progress.progress IS 'Frames, fps, speed, percent, bitrate... as the worker reports them.';
COMMENT ON COLUMN ffrtmp_data.job_progress.updated_at IS 'When reported.';
ALTER TABLE ffrtmp_data.job_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_progress FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ffrtmp_data.job_progress
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_progress IS 'A tenant sees its own jobs'' progress; administrators see all.';

/* The node a (node id, session token) pair proves, or an error saying why not. */
CREATE FUNCTION ffrtmp_data.authenticated_node(node bigint, token text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM ffrtmp_data.nodes n
                WHERE n.id = node AND n.token_hash = sha256(convert_to(token, 'UTF8'))) THEN
        RETURN node;
    END IF;
    IF EXISTS (SELECT 1 FROM ffrtmp_data.nodes n WHERE n.id = node) THEN
        RAISE EXCEPTION 'session token of node % is not current', node
            USING ERRCODE = 'PT403', HINT = 'Register the node again with ffrtmp.register_node() and use the new token.';
    END IF;
    RAISE EXCEPTION 'node % does not exist', node
        USING ERRCODE = 'PT404', HINT = 'Register the node with ffrtmp.register_node().';
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.authenticated_node(bigint, text) IS 'Checks a node''s session token; returns the node id.';

/* The job a worker may act on: assigned to this node, at this attempt, in one of the states. */
CREATE FUNCTION ffrtmp_data.held_job(job bigint, attempt_held integer, node bigint, states text[])
RETURNS ffrtmp_data.jobs
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs;
BEGIN
    SELECT * INTO j FROM ffrtmp_data.jobs WHERE id = job FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % does not exist', job
            USING ERRCODE = 'PT404', HINT = 'The job may have been pruned; drop it.';
    END IF;
    IF j.node_id IS DISTINCT FROM node OR j.attempt <> attempt_held OR NOT j.state = ANY (states) THEN
        RAISE EXCEPTION 'job % attempt % is no longer held by node %', job, attempt_held, node
            USING ERRCODE = 'PT409',
                  DETAIL = format('The job is %s at attempt %s on node %s.', j.state, j.attempt, coalesce(j.node_id::text, 'none')),
                  HINT = 'Stop working on it and discard its output; another attempt owns the job now.';
    END IF;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.held_job(bigint, integer, bigint, text[]) IS
    'Locks a job and checks that the calling node still holds it at the given attempt (fencing stale workers).';

/* Seconds to wait before attempt n + 1: 2^(n-1) * 2 s, at most 5 minutes, with +-25% jitter. */
CREATE FUNCTION ffrtmp_data.retry_backoff(attempts_made integer) RETURNS interval
LANGUAGE sql VOLATILE
RETURN make_interval(secs => least(300, 2 * power(2, greatest(attempts_made - 1, 0))) * (0.75 + random() / 2));
COMMENT ON FUNCTION ffrtmp_data.retry_backoff(integer) IS 'Exponential backoff with jitter before the next attempt.';

/*
 * Ends an attempt that did not succeed: retrying (next attempt, after a
 * backoff) while the run has attempts left, else the final state.
 */
CREATE FUNCTION ffrtmp_data.fail_attempt(job bigint, final_state text, reason text, message text)
RETURNS ffrtmp_data.jobs
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs;
BEGIN
    UPDATE ffrtmp_data.jobs
       SET state = CASE WHEN attempt - first_attempt + 1 < max_attempts THEN 'retrying' ELSE final_state END,
           attempt = CASE WHEN attempt - first_attempt + 1 < max_attempts THEN attempt + 1 ELSE attempt END,
           run_after = CASE WHEN attempt - first_attempt + 1 < max_attempts
                            THEN now() + ffrtmp_data.retry_backoff(attempt - first_attempt + 1) ELSE run_after END,
           finished_at = CASE WHEN attempt - first_attempt + 1 < max_attempts THEN NULL ELSE now() END,
           node_id = NULL, failure_reason = reason, error = message,
           state_reason = reason || ': ' || left(message, 200), updated_at = now()
     WHERE id = job
    RETURNING * INTO j;
    DELETE FROM ffrtmp_data.job_progress WHERE job_id = job;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.fail_attempt(bigint, text, text, text) IS
    'Moves a job whose attempt failed to retrying with backoff, or to its final state when the run has no attempts left.';

CREATE FUNCTION ffrtmp.fetch_assigned(node_id bigint, session_token text)
RETURNS SETOF ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
BEGIN
    RETURN QUERY SELECT * FROM ffrtmp.jobs j WHERE j.node_id = node AND j.state = 'assigned' ORDER BY j.priority DESC, j.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.fetch_assigned(bigint, text) IS 'The jobs assigned to this node and not yet started.';

CREATE FUNCTION ffrtmp.start_job(job_id bigint, attempt integer, node_id bigint, session_token text)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs := ffrtmp_data.held_job(job_id, attempt, node, '{assigned}');
BEGIN
    UPDATE ffrtmp_data.jobs SET state = 'running', started_at = now(), updated_at = now(),
           state_reason = 'started on node ' || node
     WHERE id = j.id RETURNING * INTO j;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) IS 'A worker starts the attempt it was assigned.';

CREATE FUNCTION ffrtmp.report_progress(job_id bigint, attempt integer, node_id bigint, session_token text, progress jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs;
BEGIN
    IF jsonb_typeof(progress) IS DISTINCT FROM 'object' OR octet_length(progress::text) > 4096 THEN
        RAISE EXCEPTION 'progress must be a JSON object of at most 4 KiB'
            USING ERRCODE = '22023', HINT = 'Report {"frames": ..., "fps": ..., "percent": ...}.';
    END IF;
    SELECT * INTO j FROM ffrtmp_data.jobs WHERE id = job_id;
    IF NOT FOUND OR j.node_id IS DISTINCT FROM node OR j.attempt <> report_progress.attempt OR j.state <> 'running' THEN
        RETURN false;    -- canceled, reassigned or gone: the worker stops
    END IF;
    INSERT INTO ffrtmp_data.job_progress (job_id, tenant_id, attempt, progress)
    VALUES (j.id, j.tenant_id, j.attempt, progress)
    ON CONFLICT ON CONSTRAINT job_progress_pkey
    DO UPDATE SET attempt = EXCLUDED.attempt, progress = EXCLUDED.progress, updated_at = now();
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) IS
    'Records a running attempt''s progress; returns false when the worker must stop (canceled, reassigned, gone).';

CREATE FUNCTION ffrtmp.finish_job(job_id bigint, attempt integer, node_id bigint, session_token text,
                                  outcome text, result jsonb DEFAULT NULL, error text DEFAULT NULL,
                                  failure_reason text DEFAULT NULL)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs;
BEGIN
    IF outcome NOT IN ('completed', 'failed', 'timed_out') THEN
        RAISE EXCEPTION 'unknown outcome "%"', outcome
            USING ERRCODE = '22023', HINT = 'Use completed, failed or timed_out.';
    END IF;
    j := ffrtmp_data.held_job(job_id, attempt, node, '{running}');
    IF outcome = 'completed' THEN
        UPDATE ffrtmp_data.jobs SET state = 'completed', result = finish_job.result, finished_at = now(),
               updated_at = now(), state_reason = 'completed on node ' || node
         WHERE id = j.id RETURNING * INTO j;
        DELETE FROM ffrtmp_data.job_progress WHERE job_progress.job_id = j.id;
    ELSE
        j := ffrtmp_data.fail_attempt(j.id, outcome,
                                      coalesce(finish_job.failure_reason, CASE outcome WHEN 'timed_out' THEN 'timeout' ELSE 'runtime_error' END),
                                      coalesce(finish_job.error, outcome));
    END IF;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) IS
    'A worker ends its attempt: completed (with result), or failed/timed_out (with error and failure reason), which retries while attempts are left.';

/*
 * The leader's recovery, once per pass: nodes silent for longer than
 * node_timeout go offline and their jobs are retried elsewhere; jobs past
 * their timeout end their attempt; retrying jobs whose backoff is over are
 * queued again.  Returns how many jobs it moved.
 */
CREATE FUNCTION ffrtmp_data.recover(node_timeout interval) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    moved integer := 0;
    lost record;
BEGIN
    UPDATE ffrtmp_data.nodes n SET state = 'offline'
     WHERE n.state <> 'offline'
       AND ((n.last_heartbeat < now() - node_timeout
             -- A server up for less than node_timeout gives workers that time to reconnect.
             AND pg_catalog.pg_postmaster_start_time() < now() - node_timeout)
            OR (n.session_pid IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = n.session_pid AND a.backend_start = n.session_started)));
    FOR lost IN SELECT j.id, j.node_id FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
                 WHERE n.state = 'offline' AND j.state IN ('assigned', 'running')
                 ORDER BY j.id FOR UPDATE OF j LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error',
                                         format('node %s stopped sending heartbeats', lost.node_id));
        moved := moved + 1;
    END LOOP;
    FOR lost IN SELECT j.id FROM ffrtmp_data.jobs j
                 WHERE j.state = 'running' AND j.timeout IS NOT NULL AND j.started_at + j.timeout < now()
                 ORDER BY j.id FOR UPDATE LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'timed_out', 'timeout', 'the attempt ran past its timeout');
        moved := moved + 1;
    END LOOP;
    UPDATE ffrtmp_data.jobs SET state = 'queued', state_reason = 'backoff over', updated_at = now()
     WHERE state = 'retrying' AND run_after <= now();
    -- Past expires_at a tenant already behaves as expired; this records it.
    UPDATE ffrtmp_data.tenants SET status = 'expired', updated_at = now()
     WHERE status = 'active' AND expires_at <= now() AND deleted_at IS NULL;
    RETURN moved;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.recover(interval) IS
    'Recovery pass: silent nodes (and session-bound nodes whose session is gone) go offline and their jobs retry; overdue attempts time out; retrying jobs past their backoff are queued; tenants past expires_at are marked expired.';

CREATE VIEW ffrtmp.job_progress WITH (security_invoker = true) AS
SELECT job_id, tenant_id, attempt, progress, updated_at FROM ffrtmp_data.job_progress;
COMMENT ON VIEW ffrtmp.job_progress IS 'Latest progress of running jobs.';
COMMENT ON COLUMN ffrtmp.job_progress.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.job_progress.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.job_progress.attempt IS 'Attempt reporting.';
COMMENT ON COLUMN ffrtmp.job_progress.progress IS 'Frames, fps, speed, percent, bitrate...';
COMMENT ON COLUMN ffrtmp.job_progress.updated_at IS 'When reported.';

CREATE INDEX jobs_retrying_idx ON ffrtmp_data.jobs (run_after) WHERE state = 'retrying';
CREATE INDEX jobs_running_timeout_idx ON ffrtmp_data.jobs (started_at) WHERE state = 'running' AND timeout IS NOT NULL;

-- Operators ------------------------------------------------------------------

CREATE FUNCTION ffrtmp.drain_node(node_id bigint)
RETURNS ffrtmp.nodes
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n ffrtmp.nodes;
BEGIN
    UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE id = node_id AND state = 'online';
    SELECT * INTO n FROM ffrtmp.nodes WHERE id = node_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, name FROM ffrtmp.nodes lists the nodes you can see.';
    END IF;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.drain_node(bigint) IS
    'Stops giving a node new jobs; the jobs it runs finish. Its heartbeat answers draining, and the worker exits when idle.';

/*
 * A worker that stops says so, rather than leave the scheduler assigning it
 * jobs until its heartbeats are missed: each such job would spend an attempt.
 */
CREATE FUNCTION ffrtmp.leave_node(node_id bigint, session_token text, finished boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    handed_back integer;
    lost record;
BEGIN
    UPDATE ffrtmp_data.nodes SET state = CASE WHEN finished THEN 'offline' ELSE 'draining' END
     WHERE id = node AND state <> 'offline';
    -- Jobs given to it but not started go back to the queue at the same attempt.
    UPDATE ffrtmp_data.jobs SET state = 'queued', node_id = NULL, updated_at = now(),
           state_reason = format('node %s left before starting it', node)
     WHERE jobs.node_id = node AND state = 'assigned';
    GET DIAGNOSTICS handed_back = ROW_COUNT;
    -- A node that is gone cannot finish what it ran: those attempts end now.
    FOR lost IN SELECT j.id FROM ffrtmp_data.jobs j
                 WHERE finished AND j.node_id = node AND j.state = 'running' ORDER BY j.id FOR UPDATE LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error', format('node %s left while running it', node));
        handed_back := handed_back + 1;
    END LOOP;
    RETURN handed_back;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.leave_node(bigint, text, boolean) IS
    'A worker leaves: finished => false (draining: no new jobs, running ones finish) or true (offline: running attempts end with platform_error and retry). Assigned jobs it had not started go back to the queue without spending an attempt. Returns how many jobs it handed back. Registering again brings the node back online.';

CREATE FUNCTION ffrtmp.remove_node(node_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ffrtmp_data.nodes WHERE id = node_id) THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, name FROM ffrtmp.nodes lists the nodes you can see.';
    END IF;
    IF EXISTS (SELECT 1 FROM ffrtmp_data.jobs j WHERE j.node_id = remove_node.node_id AND j.state IN ('assigned', 'running')) THEN
        RAISE EXCEPTION 'node % still has jobs', node_id
            USING ERRCODE = 'PT409', HINT = 'Drain it with ffrtmp.drain_node() and remove it once its jobs are done.';
    END IF;
    DELETE FROM ffrtmp_data.nodes WHERE id = node_id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.remove_node(bigint) IS 'Removes a node that runs no job (drain it first).';

CREATE FUNCTION ffrtmp.ready()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH h AS (SELECT ffrtmp.health() AS j),
         checks AS (
            SELECT 'no scheduler leads' AS problem FROM h WHERE (j ->> 'leader_pid') IS NULL
            UNION ALL
            SELECT 'the leader has not run a pass for ' || (j ->> 'seconds_since_last_pass') || ' s' FROM h
             WHERE (j ->> 'seconds_since_last_pass')::numeric
                   > 3 * extract(epoch FROM current_setting('ffrtmp.scheduler_interval')::interval) + 5
            UNION ALL
            SELECT 'the database is read-only' FROM h WHERE NOT (j ->> 'writable')::boolean
            UNION ALL
            SELECT 'no node is online' FROM h WHERE (j ->> 'online_nodes')::integer = 0)
    SELECT jsonb_build_object('ready', count(*) = 0,
                              'problems', coalesce(jsonb_agg(problem), '[]'::jsonb))
      FROM checks;
END;
COMMENT ON FUNCTION ffrtmp.ready() IS
    'Readiness as JSON: ready when a leader is present and ticking, the database is writable and a node is online; otherwise the problems.';

/* Finished jobs older than the retention go, with their history, in bounded batches. */
CREATE FUNCTION ffrtmp_data.prune(retention interval, batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    pruned bigint[];
BEGIN
    WITH old AS (
        SELECT j.id FROM ffrtmp_data.jobs j
         WHERE j.state IN ('completed', 'failed', 'timed_out', 'canceled', 'rejected')
           AND j.finished_at < now() - retention
         ORDER BY j.finished_at LIMIT batch FOR UPDATE SKIP LOCKED),
    gone AS (DELETE FROM ffrtmp_data.jobs j USING old WHERE j.id = old.id RETURNING j.id)
    SELECT coalesce(array_agg(id), '{}') INTO pruned FROM gone;
    DELETE FROM ffrtmp_data.job_events WHERE job_id = ANY (pruned);
    DELETE FROM ffrtmp_data.job_progress WHERE job_id = ANY (pruned);
    RETURN cardinality(pruned);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.prune(interval, integer) IS 'Deletes up to batch finished jobs older than retention, with their events.';

CREATE INDEX jobs_finished_idx ON ffrtmp_data.jobs (finished_at)
    WHERE state IN ('completed', 'failed', 'timed_out', 'canceled', 'rejected');
