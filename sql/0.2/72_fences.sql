-- The fences (0.2): one helper for each, the same refusal wherever it is hit.
--
--   node token    ffrtmp_data.authenticated_node(node, token): every worker
--                 call (fetch_assigned, start_job, report_progress,
--                 finish_job, leave_node, node_heartbeat) proves its node
--                 with the session token of the node's last registration;
--                 else PT403 (PT404 for a node that does not exist).
--   job attempt   ffrtmp_data.held_job(job, attempt, node, states): every
--                 call about a job (start_job, report_progress, finish_job)
--                 names the attempt it runs; the job row is locked and must
--                 still be at that attempt, on that node, in the expected
--                 state; else PT409 (PT404 for a job that is gone).
--   leader epoch  in C (ffrtmp_require_epoch in scheduler.c): every pass
--                 (the leader's, ffrtmp.dispatch(), dispatch_pass(epoch))
--                 share-locks ffrtmp_data.scheduler_state and runs only while
--                 its epoch is current; else PT409.
--
-- A refused call changes nothing.  docs/fences.md describes the three.

/*
 * The node a (node id, session token) pair proves, or an error saying why not.
 * (0.2: a token longer than any register_node hands out is refused before it
 * is hashed, worded like every other bound; null arguments are refused as
 * such; node_heartbeat, written in C, calls this too, so a stale token reads
 * the same from every call.)
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.authenticated_node(node bigint, token text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF node IS NULL OR token IS NULL THEN
        RAISE EXCEPTION 'node_id and session_token must not be null'
            USING ERRCODE = '22004', HINT = 'Pass the node_id and session_token that ffrtmp.register_node() returned.';
    END IF;
    IF octet_length(token) > 128 THEN
        RAISE EXCEPTION 'session_token is too long (% bytes)', octet_length(token)
            USING ERRCODE = '22023', HINT = 'Use at most 128 bytes for session_token.';
    END IF;
    IF EXISTS (SELECT 1 FROM ffrtmp_data.nodes n
                WHERE n.id = node AND n.token_hash = sha256(convert_to(token, 'UTF8'))) THEN
        RETURN node;
    END IF;
    IF EXISTS (SELECT 1 FROM ffrtmp_data.nodes n WHERE n.id = node) THEN
        RAISE EXCEPTION 'session token of node % is not current', node
            USING ERRCODE = 'PT403',
                  DETAIL = 'The node was registered again since this token was issued.',
                  HINT = 'Register the node again with ffrtmp.register_node() and use the new token.';
    END IF;
    RAISE EXCEPTION 'node % does not exist', node
        USING ERRCODE = 'PT404', HINT = 'Register the node with ffrtmp.register_node().';
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.authenticated_node(bigint, text) IS
    'The node-token fence of every worker call: checks a node''s session token (at most 128 bytes) and returns the node id; PT403 when the node registered again since, PT404 when it does not exist.';

/*
 * The job a worker may act on: locked, assigned to this node, at this
 * attempt, in one of the states.  (0.2: a null attempt or node no longer
 * slips through the comparison; report_progress calls this too, so a late
 * report of an old attempt is refused like a late start or finish.)
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.held_job(job bigint, attempt_held integer, node bigint, states text[])
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
    IF j.node_id IS DISTINCT FROM node OR j.attempt IS DISTINCT FROM attempt_held OR NOT j.state = ANY (states) THEN
        RAISE EXCEPTION 'job % attempt % is no longer held by node %', job, attempt_held, node
            USING ERRCODE = 'PT409',
                  DETAIL = format('The job is %s at attempt %s on node %s.', j.state, j.attempt, coalesce(j.node_id::text, 'none')),
                  HINT = 'Stop working on it and discard its output: the job was canceled, finished or moved to another attempt.';
    END IF;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.held_job(bigint, integer, bigint, text[]) IS
    'The job-attempt fence of every worker call about a job: locks the job and checks that the calling node still holds it at the given attempt and in one of the states; PT409 when it does not, PT404 when the job is gone.';

CREATE OR REPLACE FUNCTION ffrtmp.report_progress(job_id bigint, attempt integer, node_id bigint, session_token text, progress jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs;
BEGIN
    IF jsonb_typeof(progress) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'progress must be a JSON object'
            USING ERRCODE = '22023', HINT = 'Report {"frames": ..., "fps": ..., "percent": ...}.';
    END IF;
    IF octet_length(progress::text) > 4096 THEN
        RAISE EXCEPTION 'progress is too large: % bytes of JSON, at most 4096', octet_length(progress::text)
            USING ERRCODE = '22023', HINT = 'Report a few numbers such as frames, fps and percent.';
    END IF;
    IF ffrtmp_data.json_deeper_than(progress, 4) THEN
        RAISE EXCEPTION 'progress is nested too deeply: at most 4 levels'
            USING ERRCODE = '22023', HINT = 'Report a few numbers such as frames, fps and percent.';
    END IF;
    IF ffrtmp_data.json_has_controls(progress) THEN
        RAISE EXCEPTION 'progress holds a control character'
            USING ERRCODE = '22023', HINT = 'Keys and strings may hold newlines and tabs but no other control characters.';
    END IF;
    -- Canceled, reassigned or gone: refused as start_job and finish_job refuse it.
    j := ffrtmp_data.held_job(job_id, attempt, node, '{running}');
    INSERT INTO ffrtmp_data.job_progress (job_id, tenant_id, attempt, progress)
    VALUES (j.id, j.tenant_id, j.attempt, progress)
    ON CONFLICT ON CONSTRAINT job_progress_pkey
    DO UPDATE SET attempt = EXCLUDED.attempt, progress = EXCLUDED.progress, updated_at = now();
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) IS
    'Records a running attempt''s progress (a JSON object of at most 4 KiB and 4 levels) and returns true. An attempt the node no longer holds (canceled, reassigned) is refused with PT409, a job that is gone with PT404: the worker stops it. Waits at most 1 s for a lock, then fails with 55P03: call again.';

COMMENT ON FUNCTION ffrtmp_data.dispatch_pass(bigint) IS
    'Runs one dispatch pass in the caller''s transaction under leadership term epoch (0: no term) and returns the number of jobs assigned; 0 at once when another pass is running. An epoch that is no longer current is refused with PT409 and nothing is assigned; the scheduler_state row stays share-locked to the end of the transaction, so no new term begins under the pass.';
