-- What ffrtmp-worker calls about its jobs.  Every call names its node and
-- session token, and every call about a job names the attempt it holds: a
-- worker that was cut off (its node timed out, its job given to another) is
-- refused instead of overwriting the newer attempt.
--
-- The lock contract.  A worker call never waits for long on a lock a tenant
-- can hold (its job rows after cancel_job or retry_job, its usage row after
-- any of its calls, its dedicated nodes' rows) in a transaction it keeps
-- open: each call waits at most lock_timeout = 1 s, then fails with SQLSTATE
-- 55P03 (lock_not_available), and the worker tries the same call again later.
-- Nothing was changed by the failed call.  Calls about another tenant's jobs
-- do not touch the holding tenant's rows and are not delayed at all.
--
-- Bounds: result is at most 64 KiB of JSON nested at most 16 levels, progress
-- a JSON object of at most 4 KiB and 4 levels, a session token at most 128
-- bytes, and no control characters but newlines and tabs in result or
-- progress (all refused with 22023 naming the field); an error message is kept
-- to its first 4096 characters (cut on a character boundary, never refused,
-- so that a worker can always end its attempt).
--
-- The fences: one helper for each, the same refusal wherever it is hit.
--
--   node token    ffrtmp_data.authenticated_node(node, token): every worker
--                 call (fetch_assigned, start_job, report_progress,
--                 finish_job, leave_node, node_heartbeat) proves its node
--                 with the session token of the node's last registration;
--                 else PT403 (PT404 for a node that does not exist).  Held
--                 to commit by ffrtmp_data.hold_session(node, token) in the
--                 calls that write for an attempt, so that no old session's
--                 write commits after a new registration.
--   job attempt   ffrtmp_data.held_job(job, attempt, node, states): every
--                 call about a job (start_job, report_progress, finish_job)
--                 names the attempt it runs; the job row is locked and must
--                 still be at that attempt, on that node, in the expected
--                 state; else PT409 (PT404 for a job that is gone).
--   leader epoch  in C (ffrtmp_require_epoch in scheduler.c): every pass
--                 (the leader's, ffrtmp.dispatch(), dispatch_pass(epoch))
--                 share-locks the ffrtmp_data.scheduler_state table and runs only while
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
REVOKE ALL ON FUNCTION ffrtmp_data.authenticated_node(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.authenticated_node(bigint, text) TO ffrtmp_owner;

/*
 * The node-token fence held to commit: the last wait of each worker call that
 * writes for an attempt (start_job, report_progress, finish_job).
 * authenticated_node() checks the token on the call's snapshot, and a
 * registration committed after that check would let the old session's write
 * commit after the new session exists: start an attempt nobody owns.  This
 * key-share-locks the node's row while the token is still current, and
 * register_node locks that row FOR UPDATE first: a call that meets a
 * registration in progress waits for it and is then refused (PT403), and a
 * registration that comes later waits until the call has committed
 * (register_node stamps registered_at once it holds the row, so an old
 * session's attempt always started before it).  A key share lock, not a
 * share lock: a heartbeat, which changes no key of the row, never waits for
 * job calls (with a share lock it waits for every one under way, for seconds
 * when a node's calls overlap).  Taken after the call's waits for rows a
 * tenant can hold.  (0.2)
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.hold_session(node bigint, token text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM 1 FROM ffrtmp_data.nodes n
      WHERE n.id = node AND n.token_hash = sha256(convert_to(token, 'UTF8'))
        FOR KEY SHARE OF n;
    IF NOT FOUND THEN
        -- Read again on a new snapshot, which sees the registration: refused as everywhere.
        PERFORM ffrtmp_data.authenticated_node(node, token);
        RAISE EXCEPTION 'session token of node % is not current', node
            USING ERRCODE = 'PT403',
                  DETAIL = 'The node was registered again since this token was issued.',
                  HINT = 'Register the node again with ffrtmp.register_node() and use the new token.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.hold_session(bigint, text) IS
    'The node-token fence held to commit, taken by start_job, report_progress and finish_job after their waits for rows a tenant can hold: key-share-locks the node''s row while the token is current, so a registration in progress (which locks the row FOR UPDATE) is waited for and refuses the call (PT403), and a later one waits for the call''s commit; heartbeats do not wait for it.';
REVOKE ALL ON FUNCTION ffrtmp_data.hold_session(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.hold_session(bigint, text) TO ffrtmp_owner;

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
REVOKE ALL ON FUNCTION ffrtmp_data.held_job(bigint, integer, bigint, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.held_job(bigint, integer, bigint, text[]) TO ffrtmp_owner;

/* True when a JSON value nests deeper than max_depth levels (the value itself is level 0). */
CREATE OR REPLACE FUNCTION ffrtmp_data.json_deeper_than(value jsonb, max_depth integer) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.jsonb_path_exists(value, ('strict $.**{' || max_depth + 1 || '}')::pg_catalog.jsonpath);
COMMENT ON FUNCTION ffrtmp_data.json_deeper_than(jsonb, integer) IS
    'Whether a JSON value has anything nested deeper than max_depth levels below it.';
ALTER FUNCTION ffrtmp_data.json_deeper_than(jsonb, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.json_deeper_than(jsonb, integer) FROM PUBLIC;

/*
 * The bound of every batch a worker call takes as JSON (append_job_log's
 * lines, finish_jobs's finishes, a heartbeat's progress): a JSON array of at
 * most max_entries entries and max_bytes bytes of JSON text, else 22023
 * naming the argument (subject: what the size error calls it, the argument
 * by default) and the entries.  The entries' own bounds are each call's.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.check_json_batch(batch jsonb, name text, entries text, max_entries integer,
                                                        max_bytes integer, example text, subject text DEFAULT NULL,
                                                        advice text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n integer;
    bytes integer;
BEGIN
    IF jsonb_typeof(batch) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION '% must be a JSON array', name
            USING ERRCODE = '22023', HINT = format('Send %s.', example);
    END IF;
    n := jsonb_array_length(batch);
    bytes := octet_length(batch::text);
    IF n > max_entries OR bytes > max_bytes THEN
        RAISE EXCEPTION '% is too large: % %, % bytes of JSON, at most % and %',
                        coalesce(subject, name), n, entries, bytes, max_entries, max_bytes
            USING ERRCODE = '22023', HINT = coalesce(advice, format('Send the %s in smaller batches.', entries));
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.check_json_batch(jsonb, text, text, integer, integer, text, text, text) IS
    'The bound of a batch a worker call takes as JSON: a JSON array of at most max_entries entries and max_bytes bytes of JSON text, else 22023 naming the argument and the entries.';
ALTER FUNCTION ffrtmp_data.check_json_batch(jsonb, text, text, integer, integer, text, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_json_batch(jsonb, text, text, integer, integer, text, text, text) FROM PUBLIC;

/* Whether a JSON value's keys or strings hold control characters (C1 too) other than newlines and tabs. */
CREATE OR REPLACE FUNCTION ffrtmp_data.json_has_controls(value jsonb) RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_json_has_controls'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.json_has_controls(jsonb) IS
    'Whether a JSON value''s keys or strings hold a control character other than a newline or a tab, carriage returns and C1 controls included (refused in what nodes store).';
ALTER FUNCTION ffrtmp_data.json_has_controls(jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.json_has_controls(jsonb) FROM PUBLIC;

/*
 * A failed attempt's error as stored: at most 4096 characters, marked when
 * cut; a CR or a C1 control (U+009B is a terminal's CSI) would rewrite the
 * line or the screen of whoever prints it, so they become ? like the others.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.bounded_error(message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.regexp_replace(
           CASE WHEN pg_catalog.length(message) <= 4096 THEN message
                ELSE pg_catalog.left(message, 4096 - 12) || ' [truncated]' END,
           E'[\\x01-\\x08\\x0b-\\x1f\\x7f-\\x9f]', '?', 'g');
COMMENT ON FUNCTION ffrtmp_data.bounded_error(text) IS
    'An error message cut to at most 4096 characters on a character boundary, ending in [truncated] when cut, with control characters other than newlines and tabs (carriage returns and C1 controls included) shown as ?.';
ALTER FUNCTION ffrtmp_data.bounded_error(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.bounded_error(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.bounded_error(text) TO ffrtmp_scheduler, ffrtmp_admin;

/* Seconds to wait before attempt n + 1: 2^(n-1) * 2 s, at most 5 minutes, with +-25% jitter. */
CREATE OR REPLACE FUNCTION ffrtmp_data.retry_backoff(attempts_made integer) RETURNS interval
LANGUAGE sql VOLATILE
RETURN make_interval(secs => least(300, 2 * power(2, greatest(attempts_made - 1, 0))) * (0.75 + random() / 2));
COMMENT ON FUNCTION ffrtmp_data.retry_backoff(integer) IS 'Exponential backoff with jitter before the next attempt.';
REVOKE ALL ON FUNCTION ffrtmp_data.retry_backoff(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.retry_backoff(integer) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * Ends an attempt that did not succeed: retrying (next attempt, after a
 * backoff) while the run has attempts left and the failure's class is
 * retryable (ffrtmp_data.failure_reasons), else the final state: a
 * deterministic failure (a missing input, bad settings) would fail the same
 * way again, so it costs no more forks on shared nodes.  A job submitted
 * with retry_all_failures (an input that is still being uploaded, say)
 * retries every class.  The row keeps the
 * last failure while retrying (what the next attempt is up against);
 * finish_job clears it when an attempt completes.  The message is bounded.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.fail_attempt(job bigint, final_state text, reason text, message text)
RETURNS ffrtmp_data.jobs
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs;
    bounded text := ffrtmp_data.bounded_error(message);
    retry boolean := coalesce((SELECT r.retryable FROM ffrtmp_data.failure_reasons r
                                WHERE r.reason = fail_attempt.reason), true);
BEGIN
    UPDATE ffrtmp_data.jobs
       SET state = CASE WHEN (retry OR retry_all_failures) AND attempt - first_attempt + 1 < max_attempts THEN 'retrying' ELSE final_state END,
           attempt = CASE WHEN (retry OR retry_all_failures) AND attempt - first_attempt + 1 < max_attempts THEN attempt + 1 ELSE attempt END,
           run_after = CASE WHEN (retry OR retry_all_failures) AND attempt - first_attempt + 1 < max_attempts
                            THEN now() + ffrtmp_data.retry_backoff(attempt - first_attempt + 1) ELSE run_after END,
           finished_at = CASE WHEN (retry OR retry_all_failures) AND attempt - first_attempt + 1 < max_attempts THEN NULL ELSE now() END,
           node_id = NULL, failure_reason = reason, error = bounded,
           state_reason = reason || ': ' || left(bounded, 200), updated_at = now()
     WHERE id = job
    RETURNING * INTO j;
    DELETE FROM ffrtmp_data.job_progress WHERE job_id = job;
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.fail_attempt(bigint, text, text, text) IS
    'Moves a job whose attempt failed to retrying with backoff when the failure''s class is retryable (or the job has retry_all_failures) and the run has attempts left, else to its final state. The message is kept to 4096 characters.';
REVOKE ALL ON FUNCTION ffrtmp_data.fail_attempt(bigint, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.fail_attempt(bigint, text, text, text) TO ffrtmp_owner, ffrtmp_scheduler;

-- The worker's fetch reads the table, not the view: the view would read every
-- job the caller may see (all of them for a shared-pool worker) to keep a few.
CREATE OR REPLACE FUNCTION ffrtmp.fetch_assigned(node_id bigint, session_token text)
RETURNS SETOF ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
BEGIN
    -- Before the read: no assigned job of a lost session is handed out.
    PERFORM ffrtmp_data.end_lost_sessions();
    RETURN QUERY SELECT j.* FROM ffrtmp_data.job_leases l JOIN ffrtmp_data.jobs j ON j.id = l.job_id
                  WHERE l.node_id = node AND j.node_id = node AND j.state = 'assigned'
                  ORDER BY j.priority DESC, j.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.fetch_assigned(bigint, text) IS
    'The jobs assigned to this node and not yet started. First ends the attempts of session-bound nodes whose database session is gone (ffrtmp_data.end_lost_sessions()), among the nodes the caller may see.';
ALTER FUNCTION ffrtmp.fetch_assigned(bigint, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.fetch_assigned(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.fetch_assigned(bigint, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.start_job(job_id bigint, attempt integer, node_id bigint, session_token text)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs := ffrtmp_data.held_job(job_id, attempt, node, '{assigned}');
BEGIN
    -- The clock, not the transaction's start: a registration that follows
    -- stamps a later registered_at (see hold_session).
    UPDATE ffrtmp_data.jobs SET state = 'running', started_at = clock_timestamp(), updated_at = now(),
           state_reason = 'started on node ' || node
     WHERE id = j.id RETURNING * INTO j;
    PERFORM ffrtmp_data.hold_session(node, session_token);
    -- Lost sessions' attempts end after every wait of this call: what it
    -- locks there (their tenants' usage rows) must not be held while it waits
    -- for its job, which a tenant can hold (a tenant's cancel, which locks its
    -- job and then its usage row, would deadlock with it).  Ending them
    -- waits for nothing.  Should this node be one of them (called from a new
    -- session before a heartbeat moved its binding), its attempt has just
    -- ended: refused as a late start.
    PERFORM ffrtmp_data.end_lost_sessions();
    RETURN ffrtmp_data.held_job(job_id, attempt, node, '{running}');
END
$fn$;
COMMENT ON FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) IS
    'A worker starts the attempt it was assigned. Refused (PT403) if the node registers again before the start commits. Then ends the attempts of session-bound nodes whose database session is gone (ffrtmp_data.end_lost_sessions()), among the nodes the caller may see, without waiting for any of their rows. Waits at most 1 s for a lock, then fails with 55P03: call again.';
ALTER FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) TO ffrtmp_admin, ffrtmp_tenant;

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
    -- A report sent just before its job was paused is still the node's.
    j := ffrtmp_data.held_job(job_id, attempt, node, '{running,paused}');
    INSERT INTO ffrtmp_data.job_progress (job_id, tenant_id, attempt, progress)
    VALUES (j.id, j.tenant_id, j.attempt, progress)
    ON CONFLICT ON CONSTRAINT job_progress_pkey
    DO UPDATE SET attempt = EXCLUDED.attempt, progress = EXCLUDED.progress, updated_at = now();
    PERFORM ffrtmp_data.queue_progress_events(j, progress);
    PERFORM ffrtmp_data.hold_session(node, session_token);
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) IS
    'Records a running attempt''s progress (a JSON object of at most 4 KiB and 4 levels) and returns true; a percent that reaches a milestone (25, 50, 75) queues the progress webhook events that ask for it, once per job. An attempt the node no longer holds (canceled, reassigned) is refused with PT409, a job that is gone with PT404: the worker stops it. Refused (PT403) if the node registers again before the report commits. Waits at most 1 s for a lock, then fails with 55P03: call again.';
ALTER FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * A running attempt's new log lines, sent in batches beside its progress
 * reports.  The bounds hold here whatever a node sends: a batch is a JSON
 * array of at most 1000 lines and 256 KiB; a line is
 *   {"line": <number from 1>, "at": <unix seconds>, "level": "info|warning|error",
 *    "source": "worker|libav", "text": "<at most 1024 bytes, no control characters>"}
 * and the attempt keeps at most 64 KiB of lines (bytes + 1 each) and at most
 * 4096 lines, the oldest dropped first.  A line number already stored is
 * skipped, so a batch sent again after a lost answer is stored once.
 */
CREATE OR REPLACE FUNCTION ffrtmp.append_job_log(job_id bigint, attempt integer, node_id bigint, session_token text, lines jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs;
    l jsonb;
    i integer := 0;
    stored integer;
BEGIN
    PERFORM ffrtmp_data.check_json_batch(lines, 'lines', 'lines', 1000, 262144,
        '[{"line": 1, "at": ..., "level": "info", "source": "worker", "text": "..."}, ...]');
    FOR l IN SELECT e FROM jsonb_array_elements(lines) e LOOP
        i := i + 1;
        IF jsonb_typeof(l) IS DISTINCT FROM 'object'
           OR jsonb_typeof(l -> 'line') IS DISTINCT FROM 'number'
           OR (l -> 'line')::numeric NOT BETWEEN 1 AND 9e18 OR (l -> 'line')::numeric <> trunc((l -> 'line')::numeric)
           OR jsonb_typeof(l -> 'at') IS DISTINCT FROM 'number'
           OR (l -> 'at')::numeric NOT BETWEEN 0 AND 1e11
           OR jsonb_typeof(l -> 'text') IS DISTINCT FROM 'string'
           OR NOT coalesce(l ->> 'level' IN ('info', 'warning', 'error'), false)
           OR NOT coalesce(l ->> 'source' IN ('worker', 'libav'), false) THEN
            RAISE EXCEPTION 'line % of the batch is not a log line', i
                USING ERRCODE = '22023',
                      HINT = 'Each line is {"line": n >= 1, "at": unix seconds, "level": "info|warning|error", "source": "worker|libav", "text": "..."}.';
        END IF;
        IF octet_length(l ->> 'text') > 1024 THEN
            RAISE EXCEPTION 'line % of the batch is too long: % bytes, at most 1024', i, octet_length(l ->> 'text')
                USING ERRCODE = '22023', HINT = 'Cut each line to 1024 bytes.';
        END IF;
        -- The ASCII controls, as everywhere nodes store text (bounds.c), whatever the
        -- locale, and the C1 controls too: a log line is shown as it is, and U+0085
        -- ends a line and U+009B starts a terminal's escape sequence as \n and ESC [ do.
        IF (l ->> 'text') ~ '[\u0001-\u001f\u007f-\u009f]' THEN
            RAISE EXCEPTION 'line % of the batch holds a control character', i
                USING ERRCODE = '22023', HINT = 'Send one line per element, without control characters.';
        END IF;
    END LOOP;
    -- Canceled, reassigned or gone: refused as report_progress refuses it.
    -- A paused attempt still sends what it logged up to the pause.
    j := ffrtmp_data.held_job(job_id, attempt, node, '{running,paused}');
    INSERT INTO ffrtmp_data.job_logs (job_id, attempt, line, tenant_id, logged_at, level, source, message)
    SELECT j.id, j.attempt, (e -> 'line')::numeric::bigint, j.tenant_id,
           LEAST(to_timestamp((e ->> 'at')::double precision), now()), e ->> 'level', e ->> 'source', e ->> 'text'
      FROM jsonb_array_elements(lines) e
    ON CONFLICT ON CONSTRAINT job_logs_pkey DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;
    -- The bound: keep the newest lines that fit in 64 KiB, and at most 4096 of
    -- them: a row costs far more than its text, so 64 KiB of one-byte lines
    -- would be 65536 rows (9 MB) to store, and to sort on every call.
    DELETE FROM ffrtmp_data.job_logs d
     WHERE d.job_id = j.id AND d.attempt = j.attempt
       AND d.line < (SELECT min(k.line)
                       FROM (SELECT s.line, sum(octet_length(s.message) + 1) OVER (ORDER BY s.line DESC) AS newer,
                                    row_number() OVER (ORDER BY s.line DESC) AS newer_lines
                               FROM ffrtmp_data.job_logs s
                              WHERE s.job_id = j.id AND s.attempt = j.attempt) k
                      WHERE k.newer <= 65536 AND k.newer_lines <= 4096);
    RETURN stored;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.append_job_log(bigint, integer, bigint, text, jsonb) IS
    'Stores a running or paused attempt''s new log lines (a JSON array of at most 1000 lines and 256 KiB; each {"line", "at", "level", "source", "text"}, text at most 1024 bytes without control characters, C1 ones included) and returns how many were new; the attempt keeps its newest 64 KiB, at most 4096 lines. Refused like report_progress: PT409 for an attempt the node no longer holds, PT404 for a job that is gone, 55P03 after 1 s waiting for a lock.';
ALTER FUNCTION ffrtmp.append_job_log(bigint, integer, bigint, text, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.append_job_log(bigint, integer, bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.append_job_log(bigint, integer, bigint, text, jsonb) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.finish_job(job_id bigint, attempt integer, node_id bigint, session_token text,
                                             outcome text, result jsonb DEFAULT NULL, error text DEFAULT NULL,
                                             failure_reason text DEFAULT NULL)
RETURNS ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    j ffrtmp_data.jobs;
BEGIN
    IF outcome IS NULL OR outcome NOT IN ('completed', 'failed', 'timed_out') THEN
        RAISE EXCEPTION 'unknown outcome "%"', left(outcome, 40)
            USING ERRCODE = '22023', HINT = 'Use completed, failed or timed_out.';
    END IF;
    IF octet_length(finish_job.result::text) > 65536 THEN
        RAISE EXCEPTION 'result is too large: % bytes of JSON, at most 65536', octet_length(finish_job.result::text)
            USING ERRCODE = '22023', HINT = 'Report what was produced (duration, size, codecs, resolution), not the media itself.';
    END IF;
    IF ffrtmp_data.json_deeper_than(finish_job.result, 16) THEN
        RAISE EXCEPTION 'result is nested too deeply: at most 16 levels'
            USING ERRCODE = '22023', HINT = 'Report what was produced (duration, size, codecs, resolution) as a shallow object.';
    END IF;
    IF ffrtmp_data.json_has_controls(finish_job.result) THEN
        RAISE EXCEPTION 'result holds a control character'
            USING ERRCODE = '22023', HINT = 'Keys and strings may hold newlines and tabs but no other control characters.';
    END IF;
    IF finish_job.failure_reason IS NOT NULL AND NOT EXISTS (
           SELECT 1 FROM ffrtmp_data.failure_reasons r WHERE r.reason = finish_job.failure_reason) THEN
        RAISE EXCEPTION 'unknown failure_reason "%"', left(finish_job.failure_reason, 40)
            USING ERRCODE = '22023', HINT = 'The failure reasons are listed in ffrtmp.failure_reasons.';
    END IF;
    -- An attempt may end just as it is paused, before its node has stopped it.
    j := ffrtmp_data.held_job(job_id, attempt, node, '{running,paused}');
    IF outcome = 'completed' THEN
        -- The row describes the outcome: an earlier attempt's failure is
        -- history, kept in job_events.
        UPDATE ffrtmp_data.jobs SET state = 'completed', result = finish_job.result, finished_at = now(),
               failure_reason = NULL, error = NULL,
               updated_at = now(), state_reason = 'completed on node ' || node
         WHERE id = j.id RETURNING * INTO j;
        DELETE FROM ffrtmp_data.job_progress WHERE job_progress.job_id = j.id;
    ELSE
        j := ffrtmp_data.fail_attempt(j.id, outcome,
                                      coalesce(finish_job.failure_reason, CASE outcome WHEN 'timed_out' THEN 'timeout' ELSE 'runtime_error' END),
                                      coalesce(finish_job.error, outcome));
    END IF;
    PERFORM ffrtmp_data.hold_session(node, session_token);
    RETURN j;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) IS
    'A worker ends its attempt: completed (with result, at most 64 KiB of JSON and 16 levels), or failed/timed_out (with error, kept to 4096 characters, and failure reason), which retries while attempts are left if the failure reason is retryable. A completed job shows no earlier attempt''s failure (job_events keeps it). Refused (PT403) if the node registers again before the finish commits. Waits at most 1 s for a lock, then fails with 55P03: call again.';
ALTER FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) TO ffrtmp_admin, ffrtmp_tenant;


/*
 * The batched calls (0.2): one call, one transaction and one commit for many
 * jobs of one node, where the single calls cost one each (their commits
 * wait on WAL writes: under load the dominant wait).  The node-token fence
 * holds for the whole batch (PT403/PT404 refuse it all, as they refuse every
 * call of that session); the job-attempt fence holds for each job on its
 * own: a job that is stale, gone, another node's, listed twice, out of
 * bounds or locked by another transaction is refused in its row of the
 * answer with the SQLSTATE and message its single call would raise (22023
 * for a job listed again, 55P03 for a locked one), and the others go ahead.
 * Each changed job writes one job_event as its single call does (one
 * statement changes them all: the statement trigger sees each row once).
 *
 * Bounds: at most 1000 jobs a batch; null ids or attempts are refused in
 * their row (22004).  Rows are locked in one order, tenant then id, and
 * without waiting (SKIP LOCKED): two nodes' batches cannot deadlock on
 * jobs, and a job a tenant holds in an open transaction costs its own row a
 * 55P03 refusal (call again later), not the batch a wait.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.held_jobs(node bigint, job_ids bigint[], attempts integer[], states text[])
RETURNS TABLE (pos integer, job_id bigint, attempt integer, sqlstate text, message text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
#variable_conflict use_column
DECLARE
    locked bigint[];
BEGIN
    IF job_ids IS NULL OR attempts IS NULL THEN
        RAISE EXCEPTION 'the batch''s job ids and attempts must not be null'
            USING ERRCODE = '22004', HINT = 'Pass an array of job ids and an array of their attempts, empty for no job.';
    END IF;
    IF array_ndims(job_ids) > 1 OR array_ndims(attempts) > 1 OR cardinality(job_ids) <> cardinality(attempts) THEN
        RAISE EXCEPTION 'the batch has % job ids and % attempts', cardinality(job_ids), cardinality(attempts)
            USING ERRCODE = '22023', HINT = 'Pass one-dimensional arrays of the same length: the nth attempt is the nth job''s.';
    END IF;
    IF cardinality(job_ids) > 1000 THEN
        RAISE EXCEPTION 'the batch is too large: % jobs, at most 1000', cardinality(job_ids)
            USING ERRCODE = '22023', HINT = 'Send at most 1000 jobs in one call.';
    END IF;
    -- Only the node's own jobs are locked, in one order, without waiting.
    locked := ARRAY(SELECT j.id FROM ffrtmp_data.jobs j
                     WHERE j.id = ANY (job_ids) AND j.node_id = node
                     ORDER BY j.tenant_id, j.id FOR UPDATE OF j SKIP LOCKED);
    RETURN QUERY
    SELECT b.pos::integer, b.id, b.att, v.code, v.msg
      FROM (SELECT u.id, u.att, u.pos, row_number() OVER (PARTITION BY u.id ORDER BY u.pos) > 1 AS dup
              FROM unnest(job_ids, attempts) WITH ORDINALITY AS u(id, att, pos)) b
      LEFT JOIN ffrtmp_data.jobs j ON j.id = b.id
      CROSS JOIN LATERAL (SELECT
          CASE WHEN b.id IS NULL OR b.att IS NULL THEN '22004'
               WHEN b.dup THEN '22023'
               WHEN j.id IS NULL THEN 'PT404'
               WHEN j.node_id = node AND NOT j.id = ANY (locked) THEN '55P03'
               WHEN j.node_id IS DISTINCT FROM node OR j.attempt IS DISTINCT FROM b.att OR NOT j.state = ANY (states) THEN 'PT409'
          END AS code) c
      CROSS JOIN LATERAL (SELECT c.code,
          CASE c.code
               WHEN '22004' THEN 'job_id and attempt must not be null'
               WHEN '22023' THEN format('job %s is listed more than once in the batch', b.id)
               WHEN 'PT404' THEN format('job %s does not exist', b.id)
               WHEN '55P03' THEN format('job %s is locked by another transaction', b.id)
               WHEN 'PT409' THEN format('job %s attempt %s is no longer held by node %s', b.id, b.att, node)
          END AS msg) v
     ORDER BY b.pos;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.held_jobs(bigint, bigint[], integer[], text[]) IS
    'The job-attempt fence of the batched worker calls, job by job: locks the node''s listed jobs (at most 1000) in tenant and id order without waiting, and returns one row per listed job in the batch''s order with a null sqlstate when the node holds it at that attempt in one of the states, else the refusal its single call would raise: PT409 (not held), PT404 (gone), 55P03 (locked by another transaction), 22023 (listed again), 22004 (null).';
REVOKE ALL ON FUNCTION ffrtmp_data.held_jobs(bigint, bigint[], integer[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.held_jobs(bigint, bigint[], integer[], text[]) TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp.start_jobs(node_id bigint, session_token text, job_ids bigint[], attempts integer[])
RETURNS TABLE (job_id bigint, attempt integer, state text, sqlstate text, message text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
#variable_conflict use_column
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    ids bigint[];
    atts integer[];
    codes text[];
    msgs text[];
    held bigint[];
    lost bigint;
BEGIN
    SELECT array_agg(h.job_id ORDER BY h.pos), array_agg(h.attempt ORDER BY h.pos),
           array_agg(h.sqlstate ORDER BY h.pos), array_agg(h.message ORDER BY h.pos),
           coalesce(array_agg(h.job_id) FILTER (WHERE h.sqlstate IS NULL), '{}')
      INTO ids, atts, codes, msgs, held
      FROM ffrtmp_data.held_jobs(node, job_ids, attempts, '{assigned}') h;
    -- One statement for the batch: one trigger run, one event per job.
    UPDATE ffrtmp_data.jobs j SET state = 'running', started_at = clock_timestamp(), updated_at = now(),
           state_reason = 'started on node ' || node
     WHERE j.id = ANY (held);
    PERFORM ffrtmp_data.hold_session(node, session_token);
    -- As in start_job: lost sessions' attempts end after every wait, and an
    -- attempt of this node ended there refuses the batch as a late start.
    PERFORM ffrtmp_data.end_lost_sessions();
    lost := (SELECT min(j.id) FROM ffrtmp_data.jobs j
              WHERE j.id = ANY (held) AND (j.state <> 'running' OR j.node_id IS DISTINCT FROM node));
    IF lost IS NOT NULL THEN
        PERFORM ffrtmp_data.held_job(lost, (SELECT j.attempt FROM ffrtmp_data.jobs j WHERE j.id = lost), node, '{running}');
    END IF;
    RETURN QUERY
    SELECT u.id, u.att, CASE WHEN u.code IS NULL THEN 'running' END, u.code, u.msg
      FROM unnest(ids, atts, codes, msgs) WITH ORDINALITY AS u(id, att, code, msg, pos)
     ORDER BY u.pos;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.start_jobs(bigint, text, bigint[], integer[]) IS
    'A worker starts many assigned attempts in one transaction: job_ids[i] at attempts[i], at most 1000. Returns one row per listed job, in the batch''s order: state running, or a null state and the sqlstate and message its start_job would raise (PT409 not held, PT404 gone, 55P03 locked by another transaction: call again, 22023 listed more than once); one refused job does not stop the others. A stale session token refuses the batch (PT403), as start_job. Locks the jobs in tenant and id order without waiting for them.';
ALTER FUNCTION ffrtmp.start_jobs(bigint, text, bigint[], integer[]) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.start_jobs(bigint, text, bigint[], integer[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.start_jobs(bigint, text, bigint[], integer[]) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * finishes: a JSON array of at most 1000 objects and 4 MiB,
 *   {"job_id": n, "attempt": n, "outcome": "completed|failed|timed_out",
 *    "result": {...}, "error": "...", "failure_reason": "..."}
 * result, error and failure_reason optional (JSON null is absent), each
 * bounded as finish_job bounds it; an entry that breaks a bound is refused
 * in its row (22023) like a stale one.  Completions are one statement; a
 * failure goes through fail_attempt (retry or final state) job by job.
 */
CREATE OR REPLACE FUNCTION ffrtmp.finish_jobs(node_id bigint, session_token text, finishes jsonb)
RETURNS TABLE (job_id bigint, attempt integer, state text, sqlstate text, message text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s' AS $fn$
#variable_conflict use_column
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
    i bigint;
    ids bigint[];
    atts integer[];
    bad_msgs text[];
    codes text[];
    msgs text[];
    done bigint[];
    f record;
BEGIN
    IF finishes IS NULL THEN
        RAISE EXCEPTION 'finishes must not be null'
            USING ERRCODE = '22004', HINT = 'Pass a JSON array of finishes, [] for none.';
    END IF;
    PERFORM ffrtmp_data.check_json_batch(finishes, 'finishes', 'finishes', 1000, 4194304,
        '[{"job_id": ..., "attempt": ..., "outcome": "completed", "result": {...}}, ...]', subject => 'the batch');
    -- Each entry's shape first (the first bad one refuses the batch), then
    -- its bounds, finish_job's, refused in the entry's row: one statement
    -- each for the whole batch, and the nesting of a result walked only
    -- where it can nest (an object or an array).
    i := (SELECT min(x.i) FROM jsonb_array_elements(finishes) WITH ORDINALITY AS x(e, i)
           WHERE CASE WHEN jsonb_typeof(x.e) IS DISTINCT FROM 'object'
                        OR jsonb_typeof(x.e -> 'job_id') IS DISTINCT FROM 'number'
                        OR jsonb_typeof(x.e -> 'attempt') IS DISTINCT FROM 'number' THEN true
                      WHEN (x.e -> 'job_id')::numeric NOT BETWEEN 1 AND 9e18
                        OR (x.e -> 'job_id')::numeric <> trunc((x.e -> 'job_id')::numeric)
                        OR (x.e -> 'attempt')::numeric NOT BETWEEN 0 AND 2147483647
                        OR (x.e -> 'attempt')::numeric <> trunc((x.e -> 'attempt')::numeric)
                        OR coalesce(jsonb_typeof(x.e -> 'error'), 'null') NOT IN ('string', 'null')
                        OR coalesce(jsonb_typeof(x.e -> 'failure_reason'), 'null') NOT IN ('string', 'null') THEN true
                      ELSE false END);
    IF i IS NOT NULL THEN
        RAISE EXCEPTION 'finish % of the batch is not a finish', i
            USING ERRCODE = '22023',
                  HINT = 'Each finish is {"job_id": n, "attempt": n, "outcome": "completed|failed|timed_out", "result": {...}, "error": "...", "failure_reason": "..."}.';
    END IF;
    -- Through numeric: a whole number may be written 7.0 or 70e-1.
    SELECT coalesce(array_agg((x.e -> 'job_id')::numeric::bigint ORDER BY x.i), '{}'),
           coalesce(array_agg((x.e -> 'attempt')::numeric::integer ORDER BY x.i), '{}'),
           coalesce(array_agg(m.msg ORDER BY x.i), '{}')
      INTO ids, atts, bad_msgs
      FROM jsonb_array_elements(finishes) WITH ORDINALITY AS x(e, i)
     CROSS JOIN LATERAL (SELECT CASE
            WHEN coalesce(x.e ->> 'outcome', '') NOT IN ('completed', 'failed', 'timed_out')
                THEN format('unknown outcome "%s"', left(x.e ->> 'outcome', 40))
            WHEN octet_length((x.e -> 'result')::text) > 65536
                THEN format('result is too large: %s bytes of JSON, at most 65536', octet_length((x.e -> 'result')::text))
            WHEN jsonb_typeof(x.e -> 'result') IN ('object', 'array') AND ffrtmp_data.json_deeper_than(x.e -> 'result', 16)
                THEN 'result is nested too deeply: at most 16 levels'
            WHEN ffrtmp_data.json_has_controls(x.e -> 'result') THEN 'result holds a control character'
            WHEN x.e ->> 'failure_reason' IS NOT NULL AND NOT EXISTS (
                     SELECT 1 FROM ffrtmp_data.failure_reasons r WHERE r.reason = x.e ->> 'failure_reason')
                THEN format('unknown failure_reason "%s"', left(x.e ->> 'failure_reason', 40))
            END AS msg) m;
    SELECT array_agg(CASE WHEN bad_msgs[h.pos] IS NOT NULL THEN '22023' ELSE h.sqlstate END ORDER BY h.pos),
           array_agg(coalesce(bad_msgs[h.pos], h.message) ORDER BY h.pos)
      INTO codes, msgs
      FROM ffrtmp_data.held_jobs(node, ids, atts, '{running,paused}') h;
    -- Completions: one statement, one trigger run, one event per job.
    done := ARRAY(SELECT ids[k] FROM generate_subscripts(ids, 1) k
                   WHERE codes[k] IS NULL AND finishes -> (k - 1) ->> 'outcome' = 'completed');
    UPDATE ffrtmp_data.jobs j
       SET state = 'completed', result = CASE WHEN jsonb_typeof(x.v -> 'result') <> 'null' THEN x.v -> 'result' END,
           finished_at = now(), failure_reason = NULL, error = NULL,
           updated_at = now(), state_reason = 'completed on node ' || node
      FROM (SELECT ids[k] AS id, finishes -> (k - 1) AS v FROM generate_subscripts(ids, 1) k
             WHERE codes[k] IS NULL AND finishes -> (k - 1) ->> 'outcome' = 'completed') x
     WHERE j.id = x.id;
    DELETE FROM ffrtmp_data.job_progress p WHERE p.job_id = ANY (done);
    -- Failures: each retried or ended as finish_job ends it, in lock order.
    FOR f IN SELECT j.id, x.v FROM ffrtmp_data.jobs j
               JOIN (SELECT ids[k] AS id, finishes -> (k - 1) AS v FROM generate_subscripts(ids, 1) k
                      WHERE codes[k] IS NULL AND finishes -> (k - 1) ->> 'outcome' <> 'completed') x ON x.id = j.id
              ORDER BY j.tenant_id, j.id LOOP
        PERFORM ffrtmp_data.fail_attempt(f.id, f.v ->> 'outcome',
                                         coalesce(f.v ->> 'failure_reason',
                                                  CASE f.v ->> 'outcome' WHEN 'timed_out' THEN 'timeout' ELSE 'runtime_error' END),
                                         coalesce(f.v ->> 'error', f.v ->> 'outcome'));
    END LOOP;
    PERFORM ffrtmp_data.hold_session(node, session_token);
    RETURN QUERY
    SELECT u.id, u.att, CASE WHEN u.code IS NULL THEN j.state END, u.code, u.msg
      FROM unnest(ids, atts, codes, msgs) WITH ORDINALITY AS u(id, att, code, msg, pos)
      LEFT JOIN ffrtmp_data.jobs j ON j.id = u.id AND u.code IS NULL
     ORDER BY u.pos;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.finish_jobs(bigint, text, jsonb) IS
    'A worker ends many attempts in one transaction: finishes is a JSON array of at most 1000 objects and 4 MiB, each {"job_id", "attempt", "outcome": completed|failed|timed_out, "result", "error", "failure_reason"} bounded as finish_job bounds them. Returns one row per finish, in the batch''s order: the job''s new state (completed, retrying, failed, timed_out), or a null state and the sqlstate and message its finish_job would raise (PT409 not held, PT404 gone, 22023 out of bounds or listed more than once, 55P03 locked by another transaction: call again); one refused finish does not stop the others. A stale session token refuses the batch (PT403). Locks its jobs in tenant order and no usage row: the quota they give back waits in ffrtmp_data.pending_usage.';
ALTER FUNCTION ffrtmp.finish_jobs(bigint, text, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.finish_jobs(bigint, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.finish_jobs(bigint, text, jsonb) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * What a node's jobs should be doing, read after each heartbeat and on each
 * notification: the attempts it holds that have started, running or paused.
 * The worker stops the process of a paused attempt, continues a running one
 * it had stopped, and ends the process of an attempt not listed (canceled or
 * reassigned) as a refused progress report would.  Reads only: no lock.
 */
CREATE OR REPLACE FUNCTION ffrtmp.node_attempts(node_id bigint, session_token text)
RETURNS TABLE (job_id bigint, attempt integer, state text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
BEGIN
    RETURN QUERY SELECT j.id, j.attempt, j.state FROM ffrtmp_data.job_leases l JOIN ffrtmp_data.jobs j ON j.id = l.job_id
                  WHERE l.node_id = node AND j.node_id = node AND j.state IN ('running', 'paused') ORDER BY j.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.node_attempts(bigint, text) IS
    'The started attempts a node holds and whether each runs or is paused: the worker stops paused ones, continues resumed ones and ends those no longer listed (canceled, reassigned).';
ALTER FUNCTION ffrtmp.node_attempts(bigint, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.node_attempts(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.node_attempts(bigint, text) TO ffrtmp_admin, ffrtmp_tenant;
