-- The tenants' API: C functions over SPI.  Each is SECURITY DEFINER as
-- ffrtmp_owner (not a superuser, so FORCEd row-level security still confines
-- it to the caller's tenant) with search_path pinned.

-- Tenants (administrators) ---------------------------------------------------

CREATE OR REPLACE FUNCTION ffrtmp.create_tenant(
    name         text,
    plan         text DEFAULT 'free',
    display_name text DEFAULT NULL,
    description  text DEFAULT NULL,
    expires_at   timestamptz DEFAULT NULL,
    metadata     jsonb DEFAULT '{}')
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_create_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) IS
    'Creates a tenant (administrators only). name: unique slug; plan: free, basic, pro or enterprise; display_name: one line of at most 200 characters; description: at most 4000 characters (newlines and tabs allowed, no other control characters); metadata: JSON object up to 16 KiB and 8 levels.';
ALTER FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.get_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_get_tenant'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.get_tenant(text) IS 'One tenant by id or name; tenant users see only their own.';
ALTER FUNCTION ffrtmp.get_tenant(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.get_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.get_tenant(text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.list_tenants(active_only boolean DEFAULT false)
RETURNS SETOF ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_list_tenants'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.list_tenants(boolean) IS 'Tenants the caller may see, by name; active_only keeps those whose effective status is active.';
ALTER FUNCTION ffrtmp.list_tenants(boolean) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.list_tenants(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.list_tenants(boolean) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.update_tenant(
    tenant       text,
    plan         text DEFAULT NULL,
    status       text DEFAULT NULL,
    display_name text DEFAULT NULL,
    description  text DEFAULT NULL,
    expires_at   timestamptz DEFAULT NULL,
    metadata     jsonb DEFAULT NULL,
    quotas       jsonb DEFAULT NULL)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_update_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) IS
    'Changes a tenant (administrators only); NULL arguments leave a field as it is. expires_at => ''infinity'' removes the expiry; '''' clears display_name or description (bounded as in create_tenant); metadata replaces the object; quotas (a flat object of at most 1 KiB) merges into the overrides: a number sets a quota, null makes it unlimited, "default" returns it to the plan''s.';
ALTER FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.delete_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_delete_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.delete_tenant(text) IS
    'Soft-deletes a tenant (administrators only): keeps every row, blocks its users and its submissions. The default tenant cannot be deleted.';
ALTER FUNCTION ffrtmp.delete_tenant(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.delete_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.delete_tenant(text) TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.restore_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_restore_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.restore_tenant(text) IS 'Undoes delete_tenant (administrators only).';
ALTER FUNCTION ffrtmp.restore_tenant(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.restore_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.restore_tenant(text) TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.add_tenant_role(tenant text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_add_tenant_role'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.add_tenant_role(text, text) IS
    'Maps a database role to a tenant and grants it ffrtmp_tenant (administrators only). A role acts for one tenant at most.';
ALTER FUNCTION ffrtmp.add_tenant_role(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.add_tenant_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.add_tenant_role(text, text) TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.remove_tenant_role(tenant text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_remove_tenant_role'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.remove_tenant_role(text, text) IS
    'Removes a role''s mapping to a tenant and revokes ffrtmp_tenant from it (administrators only); the mapping of a role since dropped is removed by its name.';
ALTER FUNCTION ffrtmp.remove_tenant_role(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.remove_tenant_role(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.remove_tenant_role(text, text) TO ffrtmp_admin;

-- Tenant views of usage, jobs and nodes --------------------------------------

CREATE OR REPLACE FUNCTION ffrtmp.tenant_stats(tenant text DEFAULT NULL)
RETURNS ffrtmp.tenant_stats
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_stats'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_stats(text) IS
    'Active, queued and running jobs, online workers, CPU cores and GPUs in use, jobs in the last hour, and what is left under each quota. tenant defaults to the caller''s.';
ALTER FUNCTION ffrtmp.tenant_stats(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.tenant_stats(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.tenant_stats(text) TO ffrtmp_admin, ffrtmp_tenant;
-- The row it returns (the type is created once, in sql/schema/10_types.sql).
COMMENT ON TYPE ffrtmp.tenant_stats IS
    'Usage of one tenant and what is left under each quota (NULL available = unlimited); ffrtmp.quota_checks() names the used and available column of each quota. summary: the same, in the operators'' two-line format.';
COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_id IS 'The tenant''s id.';
COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_name IS 'The tenant''s name.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused: what max_jobs limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp.tenant_stats.running_jobs IS 'Jobs assigned, running or paused on a node.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_workers IS 'Dedicated nodes online or draining: what max_workers limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_used IS 'CPU cores held by assigned, running and paused jobs: what max_cpu_cores limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_used IS 'GPUs held by assigned, running and paused jobs: what max_gpus limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour IS 'Jobs submitted in the last 60 minutes (one-minute buckets): what max_jobs_per_hour limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_available IS 'Active jobs left under max_jobs; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.workers_available IS 'Dedicated nodes left under max_workers; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_available IS 'CPU cores left under max_cpu_cores; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_available IS 'GPUs left under max_gpus; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour_available IS 'Submissions left under max_jobs_per_hour in the rolling hour; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.summary IS 'The same numbers as two lines of text, for people (unlimited spelt out).';

CREATE OR REPLACE FUNCTION ffrtmp.tenant_jobs(tenant text DEFAULT NULL, state text DEFAULT NULL)
RETURNS SETOF ffrtmp.job_details
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_jobs'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_jobs(text, text) IS 'A tenant''s jobs, newest first, optionally in one state, with the tenant''s name and each job''s latest progress. tenant defaults to the caller''s.';
ALTER FUNCTION ffrtmp.tenant_jobs(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.tenant_jobs(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.tenant_jobs(text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.tenant_nodes(tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp.nodes
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_nodes'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_nodes(text) IS 'A tenant''s dedicated nodes. tenant defaults to the caller''s.';
ALTER FUNCTION ffrtmp.tenant_nodes(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.tenant_nodes(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.tenant_nodes(text) TO ffrtmp_admin, ffrtmp_tenant;
