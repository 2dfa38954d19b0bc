-- Job history from another system (`ffrtmp import sqlite`, docs/cli.md):
-- one finished job as it ended there, kept under the original's id.

/* submit_job's rules for a job's URLs (src/validate.c), for import_job. */
CREATE OR REPLACE FUNCTION ffrtmp_data.check_job_urls(input_url text, output_url text) RETURNS void
    AS 'MODULE_PATHNAME', 'ffrtmp_check_job_urls'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION ffrtmp_data.check_job_urls(text, text) IS
    'Refuses (22023) an input_url or output_url that submit_job would refuse (scheme, length, control characters, output path grammar); a NULL output_url is none, a NULL input_url is refused.';
ALTER FUNCTION ffrtmp_data.check_job_urls(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_job_urls(text, text) FROM PUBLIC;

/*
 * A job that already finished elsewhere becomes an ffrtmp job in that final
 * state, with the original's timestamps.  It takes the tenant's next job
 * number, and nothing else of usage: it never was active here, so no quota
 * unit, per-hour count or webhook event belongs to it.  Its idempotency key
 * is 'import:' || original_id, so importing it again returns the job that
 * exists (imported false) and changes nothing.  Its one event records the
 * import; the audit row says who imported it.  Every argument is checked
 * before that lookup, with submit_job's rules for the URLs and finish_job's
 * bounds for a result for original (kept as result.original), so a repeat
 * with a bad value is refused, not answered with the earlier job.  The error
 * is stored as finish_job stores one (ffrtmp_data.bounded_error): a long
 * ffmpeg message is cut, not a reason to lose the job's history.
 */
CREATE OR REPLACE FUNCTION ffrtmp.import_job(
    original_id    text,
    state          text,
    input_url      text,
    created_at     timestamptz,
    finished_at    timestamptz,
    tenant         text DEFAULT NULL,
    started_at     timestamptz DEFAULT NULL,
    output_url     text DEFAULT NULL,
    queue          text DEFAULT 'default',
    priority       ffrtmp.priority DEFAULT 0,
    attempt        integer DEFAULT 1,
    failure_reason text DEFAULT NULL,
    error          text DEFAULT NULL,
    original       jsonb DEFAULT NULL)
RETURNS TABLE (id bigint, seq bigint, imported boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    t uuid;
    key text := 'import:' || import_job.original_id;
    j ffrtmp_data.jobs;
    -- original is kept as the job's result; finish_job's bounds for a result apply.
    stored_result jsonb := CASE WHEN import_job.original IS NOT NULL
                                THEN jsonb_build_object('original', import_job.original) END;
BEGIN
    IF import_job.original_id IS NULL OR octet_length(key) > 255 OR key ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'original_id must be 1 to 248 bytes without control characters'
            USING ERRCODE = '22023', HINT = 'Pass the job''s id in the system it comes from.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ffrtmp_data.job_states s WHERE s.state = import_job.state AND NOT s.is_active) THEN
        RAISE EXCEPTION 'state "%" is not a final state', left(import_job.state, 40)
            USING ERRCODE = '22023',
                  HINT = 'Only finished jobs are imported: SELECT state FROM ffrtmp.job_states WHERE NOT is_active lists their states.';
    END IF;
    IF import_job.input_url IS NULL OR import_job.created_at IS NULL OR import_job.finished_at IS NULL THEN
        RAISE EXCEPTION 'input_url, created_at and finished_at must not be null'
            USING ERRCODE = '22023', HINT = 'Pass the job''s input and when it was submitted and finished.';
    END IF;
    IF import_job.finished_at < import_job.created_at
       OR import_job.started_at NOT BETWEEN import_job.created_at AND import_job.finished_at THEN
        RAISE EXCEPTION 'the job''s times are out of order'
            USING ERRCODE = '22023', HINT = 'created_at <= started_at <= finished_at.';
    END IF;
    IF import_job.queue IS NULL OR import_job.queue NOT IN ('live', 'default', 'batch') THEN
        RAISE EXCEPTION 'queue "%" is not live, default or batch', left(import_job.queue, 40)
            USING ERRCODE = '22023', HINT = 'Pass queue => ''default'' for a system without queues.';
    END IF;
    IF import_job.attempt IS NULL OR import_job.attempt < 1 THEN
        RAISE EXCEPTION 'attempt must be 1 or more'
            USING ERRCODE = '22023', HINT = 'attempt is how many times the job ran: 1 plus its retries.';
    END IF;
    IF import_job.failure_reason IS NOT NULL AND (import_job.state NOT IN ('failed', 'timed_out', 'rejected')
       OR NOT EXISTS (SELECT 1 FROM ffrtmp_data.failure_reasons r WHERE r.reason = import_job.failure_reason)) THEN
        RAISE EXCEPTION 'failure reason "%" does not fit a % job', left(import_job.failure_reason, 40), import_job.state
            USING ERRCODE = '22023',
                  HINT = 'Failed, timed out and rejected jobs take one of ffrtmp.failure_reasons; others none.';
    END IF;
    PERFORM ffrtmp_data.check_job_urls(import_job.input_url, import_job.output_url);
    IF octet_length(stored_result::text) > 65536 THEN
        RAISE EXCEPTION 'original is too large: % bytes of JSON as stored, at most 65536', octet_length(stored_result::text)
            USING ERRCODE = '22023', HINT = 'Keep the original''s record (its settings, outcome, ids), not its logs or media.';
    END IF;
    IF ffrtmp_data.json_deeper_than(stored_result, 16) THEN
        RAISE EXCEPTION 'original is nested too deeply: at most 15 levels'
            USING ERRCODE = '22023', HINT = 'Keep the original''s record as a shallow object.';
    END IF;
    IF ffrtmp_data.json_has_controls(import_job.original) THEN
        RAISE EXCEPTION 'original holds a control character'
            USING ERRCODE = '22023', HINT = 'Keys and strings may hold newlines and tabs but no other control characters.';
    END IF;
    t := ffrtmp_data.find_tenant(coalesce(import_job.tenant, ffrtmp.current_tenant()::text));
    IF t IS NULL THEN
        RAISE EXCEPTION 'no tenant named'
            USING ERRCODE = '22023', HINT = 'Pass tenant => name.';
    END IF;

    -- The usage row's lock orders this with submits, which take job numbers from it too.
    PERFORM 1 FROM ffrtmp_data.usage u WHERE u.tenant_id = t FOR UPDATE;
    SELECT * INTO j FROM ffrtmp_data.jobs x WHERE x.tenant_id = t AND x.idempotency_key = key;
    IF FOUND THEN
        RETURN QUERY SELECT j.id, j.seq, false;
        RETURN;
    END IF;
    UPDATE ffrtmp_data.usage u SET jobs_submitted = u.jobs_submitted + 1 WHERE u.tenant_id = t;
    INSERT INTO ffrtmp_data.jobs AS x (tenant_id, seq, state, queue, priority, input_url, output_url, attempt,
                                       max_attempts, run_after, idempotency_key, state_reason, failure_reason,
                                       error, result, created_at, updated_at, started_at, finished_at)
    SELECT t, u.jobs_submitted, import_job.state, import_job.queue, import_job.priority, import_job.input_url,
           import_job.output_url, import_job.attempt, import_job.attempt, import_job.created_at, key,
           'imported', import_job.failure_reason, ffrtmp_data.bounded_error(import_job.error), stored_result,
           import_job.created_at, import_job.finished_at, import_job.started_at, import_job.finished_at
      FROM ffrtmp_data.usage u WHERE u.tenant_id = t
    RETURNING * INTO j;
    INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, from_state, to_state, reason, actor)
    VALUES (j.id, t, j.attempt, NULL, j.state, 'imported', ffrtmp_data.actor());
    PERFORM ffrtmp_data.audit_job('job.import', j.id);
    RETURN QUERY SELECT j.id, j.seq, true;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.import_job(text, text, text, timestamptz, timestamptz, text, timestamptz, text, text, ffrtmp.priority, integer, text, text, jsonb) IS
    'Records a job that finished in another system (administrators): final state, original timestamps, the tenant''s next job number; no quota, per-hour count or webhook. Idempotent by original_id (its key is import:<original_id>): a second call returns the job with imported false and changes nothing. Every argument is checked first (22023): the URLs by submit_job''s rules, original at most 64 KiB and 15 levels of JSON, kept as result.original. error is kept to 4096 characters, as finish_job keeps it.';
ALTER FUNCTION ffrtmp.import_job(text, text, text, timestamptz, timestamptz, text, timestamptz, text, text, ffrtmp.priority, integer, text, text, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.import_job(text, text, text, timestamptz, timestamptz, text, timestamptz, text, text, ffrtmp.priority, integer, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.import_job(text, text, text, timestamptz, timestamptz, text, timestamptz, text, text, ffrtmp.priority, integer, text, text, jsonb) TO ffrtmp_admin;
