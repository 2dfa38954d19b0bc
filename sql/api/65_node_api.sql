-- Nodes: registration and heartbeats (the worker's), draining and removal
-- (operators'), leaving (a worker that stops).  A node's heartbeat waits at
-- most lock_timeout = 1 s for a lock, like every worker call; its
-- reconciliation skips jobs whose rows are locked (see node_heartbeat in
-- nodes.c).  So does a registration, which locks the tenant's usage row for a
-- dedicated node.

CREATE OR REPLACE FUNCTION ffrtmp.register_node(
    name      text,
    cpu_cores integer,
    gpus      integer DEFAULT 0,
    memory_mb integer DEFAULT NULL,
    slots     integer DEFAULT 1,
    encoders  text[] DEFAULT '{}',
    labels    jsonb DEFAULT '{}',
    tenant    text DEFAULT NULL,
    session_bound boolean DEFAULT false,
    protocol_version integer DEFAULT NULL,
    OUT node_id bigint,
    OUT session_token text)
AS 'MODULE_PATHNAME', 'ffrtmp_register_node'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s';
ALTER FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    TO ffrtmp_admin, ffrtmp_tenant;
COMMENT ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer) IS
    'Registers (or re-registers) a worker node and returns its id and a new session token. Administrators register shared-pool nodes (tenant NULL) or any tenant''s; tenant users register their own tenant''s dedicated nodes, within max_workers. name: 1 to 128 of [A-Za-z0-9._-]; encoders: at most 256 names of 1 to 64 of [A-Za-z0-9._-]; labels: JSON object of at most 4 KiB and 2 levels; cpu_cores 1 to 4096, gpus 0 to 64, memory_mb 1 to 67108864, slots 1 to 1024. A new name recycles the oldest offline nodes of the tenant (or pool) beyond 32, and a tenant has at most 1000 nodes in all. session_bound: the node keeps this database session open, and goes offline as soon as it is gone (heartbeats move the binding to their session). protocol_version: the worker''s protocol (major * 100 + minor, see ffrtmp.contract()); a worker whose major number differs from the database''s is refused with PT426, and so is a worker of release 0.1, which sends none; NULL from any other session registers a node by hand. Waits at most 1 s for a lock, then fails with 55P03: call again.';

/*
 * What a heartbeat carries of the progress of the node's running jobs
 * (0.2): one call instead of a report_progress per job.  progress is a JSON array
 * of at most 1024 entries {"job_id": n, "attempt": n, "progress": {...}}
 * (4 MiB in all), each progress bounded as report_progress bounds it (an
 * object of at most 4 KiB and 4 levels, no control characters but newlines
 * and tabs).  A heartbeat refuses nothing for one job, so that a node never
 * looks dead for a report: an entry out of bounds, or for an attempt the
 * node no longer holds (running or paused), or for a job whose row another
 * transaction holds, is skipped (node_attempts tells the worker which
 * attempts it still holds); the rest are recorded as report_progress
 * records them, milestone webhooks included.  Called by node_heartbeat
 * (nodes.c) once the node's token was checked.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.record_node_progress(node bigint, progress jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r record;
    recorded integer := 0;
BEGIN
    PERFORM ffrtmp_data.check_json_batch(progress, 'progress', 'entries', 1024, 4194304,
        '[{"job_id": ..., "attempt": ..., "progress": {"percent": ...}}, ...]', advice => 'Send one entry per running job.');
    -- The last entry of an attempt counts; rows locked in tenant and id order, never waited for.
    -- The numbers are read under CASE: the planner orders a WHERE clause's
    -- conditions as it likes, so a cast guarded only by a condition beside
    -- it would meet a string.  A whole number may be written 7.0 or 70e-1.
    FOR r IN
        SELECT j AS job, e.p
          FROM (SELECT DISTINCT ON (x.id, x.att) x.id, x.att, x.p
                  FROM (SELECT n.id::bigint AS id, n.att::integer AS att, v -> 'progress' AS p, k
                          FROM jsonb_array_elements(progress) WITH ORDINALITY AS a(v, k)
                         CROSS JOIN LATERAL (SELECT
                             CASE WHEN jsonb_typeof(v -> 'job_id') = 'number' THEN (v -> 'job_id')::numeric END AS id,
                             CASE WHEN jsonb_typeof(v -> 'attempt') = 'number' THEN (v -> 'attempt')::numeric END AS att) n
                         WHERE jsonb_typeof(v) = 'object'
                           AND n.id BETWEEN 1 AND 9e18 AND n.id = trunc(n.id)
                           AND n.att BETWEEN 0 AND 2147483647 AND n.att = trunc(n.att)
                           AND jsonb_typeof(v -> 'progress') = 'object'
                           AND octet_length((v -> 'progress')::text) <= 4096
                           AND NOT ffrtmp_data.json_deeper_than(v -> 'progress', 4)
                           AND NOT ffrtmp_data.json_has_controls(v -> 'progress')) x
                 ORDER BY x.id, x.att, x.k DESC) e
          JOIN ffrtmp_data.jobs j ON j.id = e.id AND j.attempt = e.att
         WHERE j.node_id = record_node_progress.node AND j.state IN ('running', 'paused')
         ORDER BY j.tenant_id, j.id
           FOR SHARE OF j SKIP LOCKED
    LOOP
        INSERT INTO ffrtmp_data.job_progress (job_id, tenant_id, attempt, progress)
        VALUES ((r.job).id, (r.job).tenant_id, (r.job).attempt, r.p)
        ON CONFLICT ON CONSTRAINT job_progress_pkey
        DO UPDATE SET attempt = EXCLUDED.attempt, progress = EXCLUDED.progress, updated_at = now();
        PERFORM ffrtmp_data.queue_progress_events(r.job, r.p);
        recorded := recorded + 1;
    END LOOP;
    RETURN recorded;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.record_node_progress(bigint, jsonb) IS
    'The progress a heartbeat carries: a JSON array of at most 1024 entries {"job_id", "attempt", "progress": {...}} (4 MiB), each progress bounded as report_progress bounds it, recorded for the attempts the node holds; an entry out of bounds, for an attempt the node no longer holds, or for a job whose row another transaction holds is skipped. Returns how many were recorded.';
ALTER FUNCTION ffrtmp_data.record_node_progress(bigint, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.record_node_progress(bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.record_node_progress(bigint, jsonb) TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp.node_heartbeat(node_id bigint, session_token text, running_jobs bigint[] DEFAULT NULL,
                                              progress jsonb DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'ffrtmp_node_heartbeat'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s';
COMMENT ON FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[], jsonb) IS
    'Records that a node is alive and returns its state (online, draining or offline). A stale session token is refused. running_jobs, when given (at most 1024 ids), lists the jobs the node runs: a job the database has running there but the node does not list ends its attempt (platform_error) and is retried. Without running_jobs, only the attempts a previous session of the node started (before it registered again) end that way. Also ends the attempts of session-bound nodes whose database session is gone (ffrtmp_data.end_lost_sessions()), among the nodes the caller may see. progress, when given, carries the running jobs'' progress in one call instead of a report_progress each: a JSON array of at most 1024 entries {"job_id", "attempt", "progress": {...}} (4 MiB), each progress bounded as report_progress bounds it; an entry out of bounds, for an attempt the node no longer holds or for a job whose row another transaction holds is skipped, never refused.';
ALTER FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[], jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[], jsonb) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.node_pre_0_2_session(node bigint) RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_node_pre_0_2_session'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ffrtmp_data.node_pre_0_2_session(bigint) IS
    'Whether the node''s current session registered under release 0.1 (nodes.pre_0_2_session), read by the node''s key whoever asks: pause_job refuses such a node''s jobs.';
ALTER FUNCTION ffrtmp_data.node_pre_0_2_session(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.node_pre_0_2_session(bigint) FROM PUBLIC;

/*
 * Lost sessions.  A session-bound node (register_node(..., session_bound =>
 * true)) speaks only through its database session: once that session is
 * gone, nothing can finish the node's attempts.  Recovery ends them on the
 * scheduler's next pass; so do the worker calls that every live node makes
 * again and again (node_heartbeat, fetch_assigned, start_job), so that they
 * end also while no scheduler runs.  Reads (get_job, the views) never write.
 *
 * A session is gone when its backend (pid and start time) is no longer in the
 * server's table of backend status, looked up afresh: a session still there, even
 * one about to exit, counts as alive, so a live node is never taken for lost
 * (see src/node_sessions.c).  The node is locked as its session is judged
 * (judged again on the latest row when a heartbeat changed it meanwhile; a
 * row being changed is skipped), so a binding cannot move to a new session
 * under the check.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.session_alive(pid integer, started timestamptz) RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_session_alive'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ffrtmp_data.session_alive(integer, timestamptz) IS
    'Whether the database session with this backend pid and start time still exists, judged from the server''s backend status table whatever the caller''s privileges: a session missing from the transaction''s copy of it is looked up afresh, and a pid no process has is gone.';
REVOKE ALL ON FUNCTION ffrtmp_data.session_alive(integer, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.session_alive(integer, timestamptz) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * Session-bound nodes whose session is gone go offline, and their assigned
 * and running attempts end as platform_error (retried per max_attempts).
 * Returns how many attempts ended.  It sees what the caller may see: a
 * tenant's call ends its own dedicated nodes' attempts, an administrator's
 * (a shared-pool worker's) every node's.  Like recovery it never waits for a
 * lock: rows a tenant (or another call) holds are skipped, in id order, and
 * left for a later call.  An offline node of a gone session is looked at
 * again while it holds attempts (one skipped earlier).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.end_lost_sessions() RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    lost_nodes bigint[];
    ended integer := 0;
    lost record;
BEGIN
    WITH gone AS (
        SELECT n.id, n.state FROM ffrtmp_data.nodes n
         WHERE n.session_pid IS NOT NULL
           AND (n.state <> 'offline'
                OR EXISTS (SELECT 1 FROM ffrtmp_data.job_leases x WHERE x.node_id = n.id))
           AND NOT ffrtmp_data.session_alive(n.session_pid, n.session_started)
           -- A dedicated node going offline moves its tenant's worker count.
           AND (n.tenant_id IS NULL OR n.state = 'offline' OR ffrtmp_data.try_lock_usage(n.tenant_id))
         ORDER BY n.id FOR NO KEY UPDATE OF n SKIP LOCKED),
    offline AS (
        UPDATE ffrtmp_data.nodes n SET state = 'offline'
          FROM gone WHERE n.id = gone.id AND gone.state <> 'offline')
    SELECT array_agg(gone.id) INTO lost_nodes FROM gone;
    IF lost_nodes IS NULL THEN
        RETURN 0;
    END IF;
    -- The nodes stay locked to the end of the transaction: no new session
    -- can be bound to them before these attempts have ended.  Every row is
    -- locked before the first attempt ends: locked lazily (a loop fetches
    -- ten rows at a time), a tenant's usage row already changed by this
    -- call's first ending would have its later attempts skipped.
    FOR lost IN SELECT j.id, j.node_id FROM ffrtmp_data.jobs j
                 WHERE j.id = ANY (ARRAY(
                         SELECT l.id FROM ffrtmp_data.job_leases h
                           JOIN ffrtmp_data.jobs l ON l.id = h.job_id
                           JOIN ffrtmp_data.usage u ON u.tenant_id = l.tenant_id
                          WHERE h.node_id = ANY (lost_nodes)
                            AND l.node_id = ANY (lost_nodes) AND l.state IN ('assigned', 'running', 'paused')
                          ORDER BY l.id FOR NO KEY UPDATE OF l, u SKIP LOCKED))
                 ORDER BY j.id LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error',
                                         format('the database session of node %s ended', lost.node_id));
        ended := ended + 1;
    END LOOP;
    RETURN ended;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.end_lost_sessions() IS
    'Session-bound nodes whose database session is gone go offline and their assigned and running attempts end as platform_error (retried per max_attempts); returns how many ended. Sees the nodes the caller may see; skips rows others hold. Called by node_heartbeat, fetch_assigned and start_job; recovery judges sessions the same way.';
REVOKE ALL ON FUNCTION ffrtmp_data.end_lost_sessions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.end_lost_sessions() TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * Node state changes lock the node's row first (FOR UPDATE conflicts with the
 * KEY SHARE lock a dispatch pass holds on the nodes it fills, so they wait for
 * a running pass and later passes skip the node), then decide on the state
 * they find.
 */
CREATE OR REPLACE FUNCTION ffrtmp.drain_node(node_id bigint)
RETURNS ffrtmp.nodes
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n ffrtmp.nodes;
    before ffrtmp_data.nodes;
    after ffrtmp_data.nodes;
BEGIN
    SELECT * INTO before FROM ffrtmp_data.nodes d WHERE d.id = drain_node.node_id FOR UPDATE;
    UPDATE ffrtmp_data.nodes d SET state = 'draining' WHERE d.id = drain_node.node_id AND d.state = 'online'
    RETURNING * INTO after;
    IF after.id IS NOT NULL THEN
        PERFORM ffrtmp_data.audit_node('node.drain', before, after);
    END IF;
    SELECT * INTO n FROM ffrtmp.nodes v WHERE v.id = drain_node.node_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, name FROM ffrtmp.nodes lists the nodes you can see.';
    END IF;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.drain_node(bigint) IS
    'Stops giving a node new jobs; the jobs it runs finish. Its heartbeat answers draining, and the worker exits when idle.';
ALTER FUNCTION ffrtmp.drain_node(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.drain_node(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.drain_node(bigint) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * A worker that stops says so, rather than leave the scheduler assigning it
 * jobs until its heartbeats are missed: each such job would spend an attempt.
 * The node's row is locked first, so no pass assigns it a job meanwhile.
 */
CREATE OR REPLACE FUNCTION ffrtmp.leave_node(node_id bigint, session_token text, finished boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    handed_back integer;
    lost record;
    before ffrtmp_data.nodes;
    after ffrtmp_data.nodes;
BEGIN
    -- The jobs it gives up first, then the node's row: the order of the job
    -- calls (their job, then the node's row in hold_session), so that a call
    -- of this node's in flight is waited for, never deadlocked with.
    PERFORM 1 FROM ffrtmp_data.job_leases l JOIN ffrtmp_data.jobs j ON j.id = l.job_id
      WHERE l.node_id = node
        AND j.node_id = node AND (j.state = 'assigned' OR (finished AND j.state IN ('running', 'paused')))
      ORDER BY j.id FOR UPDATE OF j;
    -- Locked with the token still current: a session replaced while this call
    -- waited for the row (the node registered again) no longer speaks for
    -- the node, and must not take the new session's node offline.
    SELECT * INTO before FROM ffrtmp_data.nodes n
      WHERE n.id = node AND n.token_hash = sha256(convert_to(session_token, 'UTF8')) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ffrtmp_data.authenticated_node(node, session_token);
        RAISE EXCEPTION 'session token of node % is not current', node
            USING ERRCODE = 'PT403',
                  DETAIL = 'The node was registered again since this token was issued.',
                  HINT = 'Register the node again with ffrtmp.register_node() and use the new token.';
    END IF;
    -- Jobs given to it but not started go back to the queue at the same attempt.
    UPDATE ffrtmp_data.jobs SET state = 'queued', node_id = NULL, updated_at = now(),
           state_reason = format('node %s left before starting it', node)
     WHERE jobs.id = ANY (ARRAY(SELECT l.job_id FROM ffrtmp_data.job_leases l WHERE l.node_id = node))
       AND jobs.node_id = node AND state = 'assigned';
    GET DIAGNOSTICS handed_back = ROW_COUNT;
    -- A node that is gone cannot finish what it ran: those attempts end now.
    FOR lost IN SELECT j.id FROM ffrtmp_data.job_leases l JOIN ffrtmp_data.jobs j ON j.id = l.job_id
                 WHERE finished AND l.node_id = node
                   AND j.node_id = node AND j.state IN ('running', 'paused') ORDER BY j.id FOR UPDATE OF j LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error', format('node %s left while running it', node));
        handed_back := handed_back + 1;
    END LOOP;
    UPDATE ffrtmp_data.nodes SET state = CASE WHEN finished THEN 'offline' ELSE 'draining' END
     WHERE id = node AND state <> 'offline'
    RETURNING * INTO after;
    -- Audited like drain_node: a row when something changed (never the token).
    IF (after.id IS NOT NULL AND after.state <> before.state) OR handed_back > 0 THEN
        PERFORM ffrtmp_data.write_audit('node.leave', 'node:' || node, before.tenant_id,
            ffrtmp_data.audit_diff(jsonb_build_object('name', before.name, 'state', before.state),
                                   jsonb_build_object('name', before.name, 'state', coalesce(after.state, before.state)))
            || jsonb_build_object('jobs_handed_back', handed_back));
    END IF;
    RETURN handed_back;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.leave_node(bigint, text, boolean) IS
    'A worker leaves: finished => false (draining: no new jobs, running ones finish) or true (offline: running attempts end with platform_error and retry). Assigned jobs it had not started go back to the queue without spending an attempt. Returns how many jobs it handed back. Registering again brings the node back online. Waits at most 1 s for a lock, then fails with 55P03: call again.';
ALTER FUNCTION ffrtmp.leave_node(bigint, text, boolean) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.leave_node(bigint, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.leave_node(bigint, text, boolean) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.remove_node(node_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    gone ffrtmp_data.nodes;
BEGIN
    SELECT * INTO gone FROM ffrtmp_data.nodes n WHERE n.id = remove_node.node_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'node % does not exist', node_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, name FROM ffrtmp.nodes lists the nodes you can see.';
    END IF;
    -- Read after the lock: a pass that assigned it a job has committed by now.
    IF EXISTS (SELECT 1 FROM ffrtmp_data.job_leases l WHERE l.node_id = remove_node.node_id) THEN
        RAISE EXCEPTION 'node % still has jobs', node_id
            USING ERRCODE = 'PT409', HINT = 'Drain it with ffrtmp.drain_node() and remove it once its jobs are done.';
    END IF;
    DELETE FROM ffrtmp_data.nodes n WHERE n.id = remove_node.node_id;
    PERFORM ffrtmp_data.audit_node('node.remove', gone, NULL);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.remove_node(bigint) IS 'Removes a node that runs no job (drain it first).';
ALTER FUNCTION ffrtmp.remove_node(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.remove_node(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.remove_node(bigint) TO ffrtmp_admin, ffrtmp_tenant;
