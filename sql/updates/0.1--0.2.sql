-- ffrtmp 0.1 -> 0.2: what this release changes in stored state.  An update
-- runs the deltas from the installed version on, then every part of sql/api/
-- (functions, views, policies, triggers and casts as they are now), so only
-- what sql/api/ cannot redefine is here: indexes, privileges on tables, the
-- comments of table columns.  Once released, never edited (see
-- docs/upgrading.md).
\echo Use "ALTER EXTENSION ffrtmp UPDATE" to load this file. \quit

-- register_node takes the worker's protocol version (sql/api/65_node_api.sql):
-- a new argument is a new signature, so the old one goes.  What users made
-- on the old one would go with it without a word: a privilege granted by hand
-- (sql/api/ grants the new one to the extension's roles only), or an object
-- of theirs that depends on it (PostgreSQL's own refusal would hint at a
-- CASCADE that ALTER EXTENSION cannot take).  The update refuses instead,
-- naming them and what to do, and changes nothing.
DO $keep$
DECLARE
    old_name CONSTANT text := 'ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean)';
    old_signature CONSTANT pg_catalog.regprocedure := old_name;
    granted text;
    dependents text;
BEGIN
    -- PUBLIC (grantee 0) is no role: a grant to it counts too.
    SELECT pg_catalog.string_agg(DISTINCT coalesce(pg_catalog.quote_ident(r.rolname), 'PUBLIC'), ', ') INTO granted
      FROM pg_catalog.pg_proc p
     CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
     WHERE p.oid = old_signature AND a.grantee <> p.proowner
       AND (a.grantee = 0 OR r.rolname NOT IN ('ffrtmp_owner', 'ffrtmp_admin', 'ffrtmp_tenant'));
    IF granted IS NOT NULL THEN
        RAISE EXCEPTION 'ffrtmp.register_node has privileges granted by hand, to %', granted
            USING ERRCODE = '2BP01',
                  DETAIL = 'Release 0.2 replaces register_node with a new signature (it takes protocol_version); the update would lose these privileges.',
                  HINT = pg_catalog.format('Run REVOKE EXECUTE ON FUNCTION %s FROM %s; then ALTER EXTENSION ffrtmp UPDATE; then GRANT EXECUTE ON FUNCTION ffrtmp.register_node TO %s.',
                                           old_name, granted, granted);
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO dependents
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = old_signature
       AND d.deptype = 'n';
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION 'objects depend on ffrtmp.register_node: %', dependents
            USING ERRCODE = '2BP01',
                  DETAIL = 'Release 0.2 replaces register_node with a new signature (it takes protocol_version); the update cannot drop the old one under them.',
                  HINT = 'Drop these objects, run ALTER EXTENSION ffrtmp UPDATE, then create them again (a call that names only the old arguments calls the new register_node).';
    END IF;
END
$keep$;
DROP FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean);

-- A tenant's job history and job progress are read by tenant, too.
CREATE INDEX job_events_tenant_idx ON ffrtmp_data.job_events (tenant_id, id);
CREATE INDEX job_progress_tenant_idx ON ffrtmp_data.job_progress (tenant_id);

-- Tenant principals lose every privilege on what holds tenant rows (column
-- privileges on nodes go with the table's): they read through the views of
-- schema ffrtmp, which call SECURITY DEFINER readers (sql/api/20_tenants.sql).
-- Administrators keep theirs.
REVOKE ALL ON ffrtmp_data.tenants, ffrtmp_data.tenant_roles, ffrtmp_data.usage, ffrtmp_data.presets,
    ffrtmp_data.jobs, ffrtmp_data.job_events, ffrtmp_data.nodes, ffrtmp_data.job_progress,
    ffrtmp_data.tenant_limits
    FROM ffrtmp_tenant;

-- Bounds on what a tenant or a node can store (checked in C): the columns'
-- descriptions say them.
COMMENT ON COLUMN ffrtmp_data.tenants.display_name IS 'Name shown to people: one line, at most 200 characters, no control characters.';
COMMENT ON COLUMN ffrtmp_data.tenants.description IS 'Free text: at most 4000 characters; newlines and tabs allowed, no other control characters.';
COMMENT ON COLUMN ffrtmp_data.nodes.encoders IS 'Encoders the node''s libavcodec offers (libx264, h264_nvenc...): at most 256 names of at most 64 bytes.';
COMMENT ON COLUMN ffrtmp_data.nodes.labels IS 'Free-form labels: a JSON object of at most 4 KiB and 2 levels.';
COMMENT ON COLUMN ffrtmp_data.jobs.idempotency_key IS 'Caller key (1 to 255 bytes, no control characters): repeating a submit with the same key and parameters returns this job.';

-- Retryability is a property of each failure class (sql/schema/30_jobs.sql):
-- a deterministic failure (the input, the job's settings, what no node
-- offers) ends the job at once instead of using every attempt.  Jobs of 0.1
-- are left as they are: a completed job's row may still show the failure of
-- an earlier attempt (0.2 clears it on completion), but that failure is
-- also in job_events, and rewriting finished rows would move updated_at and
-- fire the jobs trigger for no change of state.
ALTER TABLE ffrtmp_data.failure_reasons ADD COLUMN retryable boolean NOT NULL DEFAULT true;
COMMENT ON TABLE ffrtmp_data.failure_reasons IS 'Classes of job failure, whether the platform or the input is to blame, and whether another attempt is made.';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.retryable IS 'Whether another attempt may succeed: false for deterministic failures, which end the job failed at once.';
UPDATE ffrtmp_data.failure_reasons SET retryable = false
 WHERE reason IN ('capability_mismatch', 'user_error', 'input_error');

-- get_job and tenant_jobs return ffrtmp.job_details (the job with its
-- tenant's name and its latest progress, sql/api/30_jobs.sql) instead of
-- ffrtmp.jobs: a new result type is a new function, so the old ones go, with
-- the same refusal as register_node's above for what users made on them.
DO $keep$
DECLARE
    old_name text;
    old_signature pg_catalog.regprocedure;
    granted text;
    dependents text;
BEGIN
    FOREACH old_name IN ARRAY ARRAY['ffrtmp.get_job(bigint)', 'ffrtmp.tenant_jobs(text, text)'] LOOP
        old_signature := old_name::pg_catalog.regprocedure;
        -- PUBLIC (grantee 0) is no role: a grant to it counts too.
        SELECT pg_catalog.string_agg(DISTINCT coalesce(pg_catalog.quote_ident(r.rolname), 'PUBLIC'), ', ') INTO granted
          FROM pg_catalog.pg_proc p
         CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
         WHERE p.oid = old_signature AND a.grantee <> p.proowner
           AND (a.grantee = 0 OR r.rolname NOT IN ('ffrtmp_owner', 'ffrtmp_admin', 'ffrtmp_tenant'));
        IF granted IS NOT NULL THEN
            RAISE EXCEPTION '% has privileges granted by hand, to %', old_name, granted
                USING ERRCODE = '2BP01',
                      DETAIL = 'Release 0.2 replaces it with one that returns ffrtmp.job_details; the update would lose these privileges.',
                      HINT = pg_catalog.format('Run REVOKE EXECUTE ON FUNCTION %s FROM %s; then ALTER EXTENSION ffrtmp UPDATE; then GRANT EXECUTE ON FUNCTION %s TO %s.',
                                               old_name, granted, old_name, granted);
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO dependents
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = old_signature
           AND d.deptype = 'n';
        IF dependents IS NOT NULL THEN
            RAISE EXCEPTION 'objects depend on %: %', old_name, dependents
                USING ERRCODE = '2BP01',
                      DETAIL = 'Release 0.2 replaces it with one that returns ffrtmp.job_details; the update cannot drop the old one under them.',
                      HINT = 'Drop these objects, run ALTER EXTENSION ffrtmp UPDATE, then create them again.';
        END IF;
    END LOOP;
END
$keep$;
DROP FUNCTION ffrtmp.get_job(bigint);
DROP FUNCTION ffrtmp.tenant_jobs(text, text);

/*
 * The last lines of each attempt's worker and libav log, as the worker sends
 * them with its progress (ffrtmp.append_job_log): at most 64 KiB per attempt
 * (each line's bytes plus one, as in a log file), the oldest lines dropped
 * first; a line is at most 1024 bytes, without control characters, and the
 * worker has replaced host paths by placeholders.  Deleted with the job when
 * it is pruned.
 */
CREATE TABLE ffrtmp_data.job_logs (
    job_id    bigint NOT NULL,
    attempt   integer NOT NULL,
    line      bigint NOT NULL,
    tenant_id uuid NOT NULL,
    logged_at timestamptz NOT NULL,
    level     text NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    source    text NOT NULL CHECK (source IN ('worker', 'libav')),
    message   text NOT NULL,
    PRIMARY KEY (job_id, attempt, line)
);
COMMENT ON TABLE ffrtmp_data.job_logs IS 'The last lines (at most 64 KiB per attempt, oldest dropped first) of each attempt''s worker and libav log.';
COMMENT ON COLUMN ffrtmp_data.job_logs.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_logs.attempt IS 'The attempt that logged the line.';
COMMENT ON COLUMN ffrtmp_data.job_logs.line IS 'The line''s number in the attempt''s log, from 1; a gap is lines the worker dropped.';
COMMENT ON COLUMN ffrtmp_data.job_logs.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_logs.logged_at IS 'When the worker logged the line (never later than when it arrived).';
COMMENT ON COLUMN ffrtmp_data.job_logs.level IS 'info, warning or error.';
COMMENT ON COLUMN ffrtmp_data.job_logs.source IS 'worker (ffrtmp-worker''s own lines about the job) or libav (the libraries'' messages).';
COMMENT ON COLUMN ffrtmp_data.job_logs.message IS 'The line: at most 1024 bytes, no control characters, host paths shown as <input>, <output> or <path>.';
ALTER TABLE ffrtmp_data.job_logs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_logs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_logs TO ffrtmp_admin;
GRANT SELECT, DELETE ON ffrtmp_data.job_logs TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_logs', '');
