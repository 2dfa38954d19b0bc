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

-- Queues mean something to dispatch (src/dispatch.c): it reads each tenant's
-- queued jobs queue by queue, in priority order.
DROP INDEX ffrtmp_data.jobs_queued_idx;
CREATE INDEX jobs_queued_idx ON ffrtmp_data.jobs (tenant_id, queue, priority DESC, id) WHERE state = 'queued';
-- And in the order they began waiting, for the jobs past ffrtmp.queue_max_wait.
CREATE INDEX jobs_queued_since_idx ON ffrtmp_data.jobs (tenant_id, queue, greatest(run_after, updated_at), id) WHERE state = 'queued';
-- A queue is live, default or batch.  Release 0.1 stored any word a caller
-- gave: such a job would wait in a queue dispatch never reads, so it moves
-- to 'default', the queue it was given by default, before the column refuses
-- other words.  Only the queue changes (no state, so no event or counter).
UPDATE ffrtmp_data.jobs SET queue = 'default' WHERE queue NOT IN ('live', 'default', 'batch');
ALTER TABLE ffrtmp_data.jobs ADD CONSTRAINT jobs_queue_check CHECK (queue IN ('live', 'default', 'batch'));
COMMENT ON COLUMN ffrtmp_data.jobs.queue IS 'live, default or batch: within its tenant''s share, dispatch takes live before default before batch; batch leaves ffrtmp.live_reserve free slots of the shared pool (docs/scheduler.md).';

-- Dispatch paused for a tenant, a queue, or both, or for everything.
CREATE TABLE ffrtmp_data.dispatch_pauses (
    tenant_id  uuid REFERENCES ffrtmp_data.tenants (id),
    queue      text CHECK (queue IN ('live', 'default', 'batch')),
    paused_by  text NOT NULL,
    by_admin   boolean NOT NULL DEFAULT false,
    paused_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT dispatch_pauses_scope_key UNIQUE NULLS NOT DISTINCT (tenant_id, queue)
);
COMMENT ON TABLE ffrtmp_data.dispatch_pauses IS 'Dispatch pauses (ffrtmp.pause_dispatch): no queued job they match is assigned to a node; queued jobs keep their place and quota, running ones go on.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.tenant_id IS 'The tenant whose jobs wait; NULL: every tenant.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.queue IS 'The queue whose jobs wait (live, default or batch); NULL: every queue.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_by IS 'The role that paused.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.by_admin IS 'Made by an administrator: only an administrator ends it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_at IS 'When the pause began.';
ALTER TABLE ffrtmp_data.dispatch_pauses OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.dispatch_pauses ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.dispatch_pauses FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.dispatch_pauses TO ffrtmp_admin, ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.dispatch_pauses', '');

-- The fair-share clock (src/dispatch.c): the virtual time a tenant starts
-- from when it begins waiting again, so that idling or a pause earns no burst.
CREATE TABLE ffrtmp_data.dispatch_clock (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    vtime  double precision NOT NULL DEFAULT 0
);
COMMENT ON TABLE ffrtmp_data.dispatch_clock IS 'The system virtual time of fair-share dispatch: one row, moved by each pass to the least virtual time of the tenants it found runnable; a tenant that starts waiting again starts from it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.vtime IS 'Least virtual time of the runnable tenants at the last pass; never goes back.';
ALTER TABLE ffrtmp_data.dispatch_clock OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.dispatch_clock TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.dispatch_clock TO ffrtmp_scheduler;
-- Not dumped (like scheduler_state): CREATE EXTENSION on restore inserts the
-- row again, and the first pass moves it to the restored tenants' times.
INSERT INTO ffrtmp_data.dispatch_clock DEFAULT VALUES;
