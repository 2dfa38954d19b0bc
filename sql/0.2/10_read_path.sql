-- Reads without side channels.  Row-level security filters rows after the
-- scan, and EXPLAIN ANALYZE shows the caller every scan's row counts ("Rows
-- Removed by Filter", heap fetches, loops, memory), its estimates and, through
-- pg_stats, the columns' most common values: a tenant that may SELECT a shared
-- table learns the existence, count and content of other tenants' rows.
--
-- So tenant principals (ffrtmp_tenant and every role mapped to a tenant) get
-- no privilege at all on a table or view that holds tenant rows.  They read
-- through the views of schema ffrtmp, which are now calls of the SECURITY
-- DEFINER set-returning functions below: EXPLAIN shows the caller a Function
-- Scan that returns its own rows and nothing of the scan inside.  Inside, a
-- tenant's scan is confined to its tenant by an index condition on tenant_id
-- (so its cost is that of the tenant's own rows), an administrator's reads
-- every row, and FORCEd row-level security stays as the second wall.
-- Lookup tables without tenant rows (plans, job_states, job_transitions,
-- failure_reasons) stay directly readable.

-- A tenant's job history and job progress are read by tenant, too.
CREATE INDEX job_events_tenant_idx ON ffrtmp_data.job_events (tenant_id, id);
CREATE INDEX job_progress_tenant_idx ON ffrtmp_data.job_progress (tenant_id);

/* The row of ffrtmp.tenants: a tenant with the quotas in force, for the owner's own reads. */
CREATE VIEW ffrtmp_data.tenant_rows WITH (security_invoker = true) AS
SELECT t.id, t.name, t.display_name, t.description, t.plan, t.status,
       ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) AS effective_status,
       t.expires_at, t.quota_overrides,
       l.max_jobs, l.max_workers, l.max_cpu_cores, l.max_gpus, l.max_jobs_per_hour,
       t.metadata, t.created_at, t.updated_at, t.deleted_at
FROM ffrtmp_data.tenants t
JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = t.id;
COMMENT ON VIEW ffrtmp_data.tenant_rows IS 'Tenants with their quotas in force: what ffrtmp.tenants shows, for the API functions (tenant roles read ffrtmp.tenants).';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.id IS 'Tenant id.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.name IS 'Unique slug.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.display_name IS 'Name shown to people.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.description IS 'Free text.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.plan IS 'Plan.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.status IS 'Status as set.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.effective_status IS 'Status in force.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.expires_at IS 'When the tenant expires.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.quota_overrides IS 'Quotas set for this tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_jobs IS 'Active jobs allowed at once.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_workers IS 'Dedicated nodes allowed online.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_cpu_cores IS 'CPU cores running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_gpus IS 'GPUs running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_jobs_per_hour IS 'Submissions allowed in a rolling hour.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.metadata IS 'Caller-defined JSON object.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.created_at IS 'When created.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.updated_at IS 'When last changed.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.deleted_at IS 'When soft-deleted.';
ALTER VIEW ffrtmp_data.tenant_rows OWNER TO ffrtmp_owner;

/*
 * The readers.  Each is one UNION ALL of two branches of which one-time
 * filters run exactly one: every row for an administrator, else the rows
 * whose tenant_id equals the caller's tenant (an index condition).  They are
 * SECURITY DEFINER (so not inlined: the caller's plan shows a Function Scan
 * only) and STABLE (one snapshot, like the views they replace).
 */
CREATE FUNCTION ffrtmp_data.read_tenants() RETURNS SETOF ffrtmp_data.tenant_rows
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.tenant_rows t WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.tenant_rows t WHERE NOT ffrtmp.caller_is_admin() AND t.id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_tenants() IS 'The tenants the caller may see (all for administrators, else its own), read without showing the caller the scan: behind ffrtmp.tenants.';

CREATE FUNCTION ffrtmp_data.read_jobs() RETURNS SETOF ffrtmp_data.jobs
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.jobs j WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.jobs j WHERE NOT ffrtmp.caller_is_admin() AND j.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_jobs() IS 'The jobs the caller may see, read without showing the caller the scan: behind ffrtmp.jobs.';

CREATE FUNCTION ffrtmp_data.read_job_events() RETURNS SETOF ffrtmp_data.job_events
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.job_events e WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.job_events e WHERE NOT ffrtmp.caller_is_admin() AND e.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_events() IS 'The job history the caller may see, read without showing the caller the scan: behind ffrtmp.job_events.';

CREATE FUNCTION ffrtmp_data.read_job_progress() RETURNS SETOF ffrtmp_data.job_progress
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.job_progress p WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.job_progress p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_job_progress() IS 'The progress reports the caller may see, read without showing the caller the scan: behind ffrtmp.job_progress.';

CREATE FUNCTION ffrtmp_data.read_tenant_roles() RETURNS SETOF ffrtmp_data.tenant_roles
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.tenant_roles r WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.tenant_roles r WHERE NOT ffrtmp.caller_is_admin() AND r.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_tenant_roles() IS 'The role mappings the caller may see, read without showing the caller the scan: behind ffrtmp.tenant_roles.';

-- Built-in presets (tenant_id NULL) are everyone's.
CREATE FUNCTION ffrtmp_data.read_presets() RETURNS SETOF ffrtmp_data.presets
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.presets p WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.presets p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id IS NULL
    UNION ALL
    SELECT * FROM ffrtmp_data.presets p WHERE NOT ffrtmp.caller_is_admin() AND p.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_presets() IS 'The built-in presets and the caller''s own (all for administrators), read without showing the caller the scan: behind ffrtmp.presets.';

-- Session tokens' hashes and session pids are never returned.
CREATE FUNCTION ffrtmp_data.read_nodes()
RETURNS TABLE (id bigint, tenant_id uuid, name text, state text, cpu_cores integer, memory_mb integer,
               gpus integer, slots integer, encoders text[], labels jsonb,
               last_heartbeat timestamptz, registered_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT n.id, n.tenant_id, n.name, n.state, n.cpu_cores, n.memory_mb, n.gpus, n.slots, n.encoders,
           n.labels, n.last_heartbeat, n.registered_at
      FROM ffrtmp_data.nodes n WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT n.id, n.tenant_id, n.name, n.state, n.cpu_cores, n.memory_mb, n.gpus, n.slots, n.encoders,
           n.labels, n.last_heartbeat, n.registered_at
      FROM ffrtmp_data.nodes n WHERE NOT ffrtmp.caller_is_admin() AND n.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_nodes() IS 'The nodes the caller may see (a tenant: its dedicated nodes), without tokens, read without showing the caller the scan: behind ffrtmp.nodes.';

ALTER FUNCTION ffrtmp_data.read_tenants() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_jobs() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_job_events() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_job_progress() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_tenant_roles() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_presets() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp_data.read_nodes() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_tenants(), ffrtmp_data.read_jobs(), ffrtmp_data.read_job_events(),
    ffrtmp_data.read_job_progress(), ffrtmp_data.read_tenant_roles(), ffrtmp_data.read_presets(),
    ffrtmp_data.read_nodes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_tenants(), ffrtmp_data.read_jobs(), ffrtmp_data.read_job_events(),
    ffrtmp_data.read_job_progress(), ffrtmp_data.read_tenant_roles(), ffrtmp_data.read_presets(),
    ffrtmp_data.read_nodes() TO ffrtmp_admin, ffrtmp_tenant;

-- The API views keep their names, columns and comments; they now call the readers.
CREATE OR REPLACE VIEW ffrtmp.tenants WITH (security_invoker = true) AS
SELECT id, name, display_name, description, plan, status, effective_status, expires_at, quota_overrides,
       max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, metadata, created_at, updated_at, deleted_at
FROM ffrtmp_data.read_tenants();
CREATE OR REPLACE VIEW ffrtmp.jobs WITH (security_invoker = true) AS
SELECT * FROM ffrtmp_data.read_jobs();
CREATE OR REPLACE VIEW ffrtmp.job_events WITH (security_invoker = true) AS
SELECT id, job_id, tenant_id, attempt, from_state, to_state, reason, actor, at
FROM ffrtmp_data.read_job_events();
CREATE OR REPLACE VIEW ffrtmp.job_progress WITH (security_invoker = true) AS
SELECT job_id, tenant_id, attempt, progress, updated_at FROM ffrtmp_data.read_job_progress();
CREATE OR REPLACE VIEW ffrtmp.tenant_roles WITH (security_invoker = true) AS
SELECT tenant_id, role_name, created_at FROM ffrtmp_data.read_tenant_roles();
CREATE OR REPLACE VIEW ffrtmp.presets WITH (security_invoker = true) AS
SELECT tenant_id, name, params, description FROM ffrtmp_data.read_presets();
CREATE OR REPLACE VIEW ffrtmp.nodes WITH (security_invoker = true) AS
SELECT id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels, last_heartbeat, registered_at
FROM ffrtmp_data.read_nodes();

-- Tenant principals lose every privilege on what holds tenant rows (column
-- privileges on nodes go with the table's).  Administrators keep theirs.
REVOKE ALL ON ffrtmp_data.tenants, ffrtmp_data.tenant_roles, ffrtmp_data.usage, ffrtmp_data.presets,
    ffrtmp_data.jobs, ffrtmp_data.job_events, ffrtmp_data.nodes, ffrtmp_data.job_progress,
    ffrtmp_data.tenant_limits
    FROM ffrtmp_tenant;
GRANT SELECT ON ffrtmp_data.tenant_rows TO ffrtmp_admin;

-- The worker's fetch reads the table, not the view: the view would read every
-- job the caller may see (all of them for a shared-pool worker) to keep a few.
CREATE OR REPLACE FUNCTION ffrtmp.fetch_assigned(node_id bigint, session_token text)
RETURNS SETOF ffrtmp.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    node bigint := ffrtmp_data.authenticated_node(node_id, session_token);
BEGIN
    RETURN QUERY SELECT * FROM ffrtmp_data.jobs j WHERE j.node_id = node AND j.state = 'assigned' ORDER BY j.priority DESC, j.id;
END
$fn$;

/*
 * One job's history by the job's index: the job_events view reads all the
 * caller's events (an administrator's: everyone's) before a WHERE job_id
 * applies.  Another tenant's job, like a missing one, has no history.
 */
CREATE FUNCTION ffrtmp.job_history(job_id bigint) RETURNS SETOF ffrtmp.job_events
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT e.id, e.job_id, e.tenant_id, e.attempt, e.from_state, e.to_state, e.reason, e.actor, e.at
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
