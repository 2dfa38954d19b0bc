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
    SELECT pg_catalog.string_agg(DISTINCT pg_catalog.quote_ident(r.rolname), ', ') INTO granted
      FROM pg_catalog.pg_proc p
     CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
      JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
     WHERE p.oid = old_signature AND a.grantee <> p.proowner
       AND r.rolname NOT IN ('ffrtmp_owner', 'ffrtmp_admin', 'ffrtmp_tenant');
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

-- Holds and pauses (sql/schema/30_jobs.sql): held keeps a queued or retrying
-- job out of dispatch with its place and its unit of quota; paused keeps a
-- running job's node and slot while its process is stopped.  A paused job
-- holds its node, so the index of the jobs each node holds covers it.
INSERT INTO ffrtmp_data.job_states VALUES
    ('held',      true,  false, false, 'Held by hold_job: not dispatched until release_job; keeps its place and its unit of quota'),
    ('paused',    true,  false, true,  'Paused by pause_job: its process is stopped on its node, which it keeps, until resume_job');
INSERT INTO ffrtmp_data.job_transitions VALUES
    ('queued',    'held'),     ('retrying', 'held'),
    ('held',      'queued'),   ('held',     'retrying'), ('held',    'canceled'),
    ('running',   'paused'),   ('paused',   'running'),  ('paused',  'canceled'),
    ('paused',    'completed'), ('paused',  'failed'),   ('paused',  'timed_out'), ('paused', 'retrying');
DROP INDEX ffrtmp_data.jobs_node_idx;
CREATE INDEX jobs_node_idx ON ffrtmp_data.jobs (node_id) WHERE state IN ('assigned', 'running', 'paused');
COMMENT ON COLUMN ffrtmp_data.jobs.started_at IS 'When the current attempt started running, moved later by the time it spent paused: timeout counts running time only.';
-- Held and paused jobs are active (max_jobs); paused ones hold their node.
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs IS 'Most active (queued, assigned, running, retrying, held or paused) jobs a tenant may have at once.';
COMMENT ON COLUMN ffrtmp_data.usage.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused.';
COMMENT ON COLUMN ffrtmp_data.usage.running_jobs IS 'Jobs assigned, running or paused on a node.';
COMMENT ON COLUMN ffrtmp_data.usage.cpu_cores_used IS 'CPU cores held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.gpus_used IS 'GPUs held by assigned, running and paused jobs.';
