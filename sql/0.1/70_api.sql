-- The API's write side and lookups: C functions over SPI.  Each is SECURITY
-- DEFINER as ffrtmp_owner (not a superuser, so FORCEd row-level security still
-- confines it to the caller's tenant) with search_path pinned.

-- Tenants (administrators) ---------------------------------------------------

CREATE FUNCTION ffrtmp.create_tenant(
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
    'Creates a tenant (administrators only). name: unique slug; plan: free, basic, pro or enterprise; metadata: JSON object up to 16 KiB and 8 levels.';

CREATE FUNCTION ffrtmp.get_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_get_tenant'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.get_tenant(text) IS 'One tenant by id or name; tenant users see only their own.';

CREATE FUNCTION ffrtmp.list_tenants(active_only boolean DEFAULT false)
RETURNS SETOF ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_list_tenants'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.list_tenants(boolean) IS 'Tenants the caller may see, by name; active_only keeps those whose effective status is active.';

CREATE FUNCTION ffrtmp.update_tenant(
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
    'Changes a tenant (administrators only); NULL arguments leave a field as it is. expires_at => ''infinity'' removes the expiry; '''' clears display_name or description; metadata replaces the object; quotas merges into the overrides: a number sets a quota, null makes it unlimited, "default" returns it to the plan''s.';

CREATE FUNCTION ffrtmp.delete_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_delete_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.delete_tenant(text) IS
    'Soft-deletes a tenant (administrators only): keeps every row, blocks its users and its submissions. The default tenant cannot be deleted.';

CREATE FUNCTION ffrtmp.restore_tenant(tenant text)
RETURNS ffrtmp.tenants
AS 'MODULE_PATHNAME', 'ffrtmp_restore_tenant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.restore_tenant(text) IS 'Undoes delete_tenant (administrators only).';

CREATE FUNCTION ffrtmp.add_tenant_role(tenant text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_add_tenant_role'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.add_tenant_role(text, text) IS
    'Maps a database role to a tenant and grants it ffrtmp_tenant (administrators only). A role acts for one tenant at most.';

CREATE FUNCTION ffrtmp.remove_tenant_role(tenant text, role_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_remove_tenant_role'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.remove_tenant_role(text, text) IS
    'Removes a role''s mapping to a tenant and revokes ffrtmp_tenant from it (administrators only).';

-- Tenant views of usage, jobs and nodes --------------------------------------

CREATE FUNCTION ffrtmp.tenant_stats(tenant text DEFAULT NULL)
RETURNS ffrtmp.tenant_stats
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_stats'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_stats(text) IS
    'Active, queued and running jobs, online workers, CPU cores and GPUs in use, jobs in the last hour, and what is left under each quota. tenant defaults to the caller''s.';

CREATE FUNCTION ffrtmp.tenant_jobs(tenant text DEFAULT NULL, state text DEFAULT NULL)
RETURNS SETOF ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_jobs'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_jobs(text, text) IS 'A tenant''s jobs, newest first, optionally in one state. tenant defaults to the caller''s.';

CREATE FUNCTION ffrtmp.tenant_nodes(tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp.nodes
AS 'MODULE_PATHNAME', 'ffrtmp_tenant_nodes'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.tenant_nodes(text) IS 'A tenant''s dedicated nodes. tenant defaults to the caller''s.';

-- Jobs -----------------------------------------------------------------------

CREATE FUNCTION ffrtmp.submit_job(
    input_url       text,
    output_url      text DEFAULT NULL,
    preset          text DEFAULT NULL,
    params          jsonb DEFAULT '{}',
    priority        ffrtmp.priority DEFAULT 0,
    max_attempts    integer DEFAULT 3,
    run_after       timestamptz DEFAULT NULL,
    timeout         interval DEFAULT NULL,
    cpu_cores       integer DEFAULT 1,
    gpus            integer DEFAULT 0,
    idempotency_key text DEFAULT NULL,
    tenant          text DEFAULT NULL,
    queue           text DEFAULT 'default')
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_submit_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text) IS
    'Queues a transcoding job for the caller''s tenant (or, for administrators, tenant => id or name) within its quotas, and returns it. Repeating an idempotency_key with the same arguments returns the same job.';

CREATE FUNCTION ffrtmp.get_job(id bigint)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_get_job'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.get_job(bigint) IS 'One job by id.';

CREATE FUNCTION ffrtmp.cancel_job(id bigint)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_cancel_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.cancel_job(bigint) IS 'Cancels a queued, assigned, running or retrying job.';

CREATE FUNCTION ffrtmp.retry_job(id bigint)
RETURNS ffrtmp.jobs
AS 'MODULE_PATHNAME', 'ffrtmp_retry_job'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.retry_job(bigint) IS
    'Queues a failed, timed-out, canceled or rejected job again with a fresh set of max_attempts attempts, within the max_jobs quota.';

-- Nodes ----------------------------------------------------------------------

CREATE FUNCTION ffrtmp.register_node(
    name      text,
    cpu_cores integer,
    gpus      integer DEFAULT 0,
    memory_mb integer DEFAULT NULL,
    slots     integer DEFAULT 1,
    encoders  text[] DEFAULT '{}',
    labels    jsonb DEFAULT '{}',
    tenant    text DEFAULT NULL,
    session_bound boolean DEFAULT false,
    OUT node_id bigint,
    OUT session_token text)
AS 'MODULE_PATHNAME', 'ffrtmp_register_node'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean) IS
    'Registers (or re-registers) a worker node and returns its id and a new session token. Administrators register shared-pool nodes (tenant NULL) or any tenant''s; tenant users register their own tenant''s dedicated nodes, within max_workers. session_bound: the node keeps this database session open, and goes offline as soon as it is gone (heartbeats move the binding to their session).';

CREATE FUNCTION ffrtmp.node_heartbeat(node_id bigint, session_token text, running_jobs bigint[] DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'ffrtmp_node_heartbeat'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[]) IS
    'Records that a node is alive and returns its state (online, draining or offline). A stale session token is refused. running_jobs, when given, lists the jobs the node runs: a job the database has running there but the node does not list ends its attempt (platform_error) and is retried.';

-- Operations -----------------------------------------------------------------

/* What every usage counter should be, recounted from jobs and nodes (slow: for checks and repairs). */
CREATE VIEW ffrtmp_data.usage_recount WITH (security_invoker = true) AS
SELECT t.id AS tenant_id,
       count(j.id) FILTER (WHERE s.is_active) AS active_jobs,
       count(j.id) FILTER (WHERE s.is_waiting) AS queued_jobs,
       count(j.id) FILTER (WHERE s.holds_node) AS running_jobs,
       coalesce(sum(j.cpu_cores) FILTER (WHERE s.holds_node), 0) AS cpu_cores_used,
       coalesce(sum(j.gpus) FILTER (WHERE s.holds_node), 0) AS gpus_used,
       (SELECT count(*) FROM ffrtmp_data.nodes n WHERE n.tenant_id = t.id AND n.state <> 'offline') AS workers,
       coalesce(max(j.seq), 0) AS max_seq
  FROM ffrtmp_data.tenants t
  LEFT JOIN ffrtmp_data.jobs j ON j.tenant_id = t.id
  LEFT JOIN ffrtmp_data.job_states s ON s.state = j.state
 GROUP BY t.id;
COMMENT ON VIEW ffrtmp_data.usage_recount IS 'Usage counters recounted from jobs and nodes: what ffrtmp_data.usage should hold.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.active_jobs IS 'Jobs queued, assigned, running or retrying.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.queued_jobs IS 'Jobs queued or retrying.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.running_jobs IS 'Jobs assigned or running.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.cpu_cores_used IS 'CPU cores of assigned and running jobs.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.gpus_used IS 'GPUs of assigned and running jobs.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.workers IS 'Dedicated nodes not offline.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.max_seq IS 'Highest job number.';

CREATE FUNCTION ffrtmp.verify_usage()
RETURNS TABLE (tenant_id uuid, counter text, recorded bigint, actual bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT u.tenant_id, c.counter, c.recorded, c.actual
      FROM ffrtmp_data.usage u
      JOIN ffrtmp_data.usage_recount a ON a.tenant_id = u.tenant_id
     CROSS JOIN LATERAL (VALUES
            ('active_jobs',    u.active_jobs::bigint,    a.active_jobs),
            ('queued_jobs',    u.queued_jobs::bigint,    a.queued_jobs),
            ('running_jobs',   u.running_jobs::bigint,   a.running_jobs),
            ('cpu_cores_used', u.cpu_cores_used::bigint, a.cpu_cores_used),
            ('gpus_used',      u.gpus_used::bigint,      a.gpus_used),
            ('workers',        u.workers::bigint,        a.workers),
            ('jobs_submitted', u.jobs_submitted,         greatest(a.max_seq, u.jobs_submitted))
          ) AS c(counter, recorded, actual)
     WHERE c.recorded IS DISTINCT FROM c.actual
     ORDER BY u.tenant_id, c.counter;
END;
COMMENT ON FUNCTION ffrtmp.verify_usage() IS
    'Recounts every usage counter from jobs and nodes and lists those that differ; an empty result means the counters are exact.';

/*
 * Recounting locks every usage row first, so that no submit or state change
 * can slip between the recount and the fix; each statement of a volatile SQL
 * function then reads a fresh snapshot.
 */
CREATE FUNCTION ffrtmp.repair_usage()
RETURNS integer
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT count(*) FROM (SELECT 1 FROM ffrtmp_data.usage FOR UPDATE) locked;
    WITH fixed AS (
        UPDATE ffrtmp_data.usage u
           SET active_jobs = a.active_jobs, queued_jobs = a.queued_jobs, running_jobs = a.running_jobs,
               cpu_cores_used = a.cpu_cores_used, gpus_used = a.gpus_used, workers = a.workers,
               jobs_submitted = greatest(u.jobs_submitted, a.max_seq)
          FROM ffrtmp_data.usage_recount a
         WHERE u.tenant_id = a.tenant_id
           AND ((u.active_jobs, u.queued_jobs, u.running_jobs, u.cpu_cores_used, u.gpus_used, u.workers)
                IS DISTINCT FROM (a.active_jobs::integer, a.queued_jobs::integer, a.running_jobs::integer,
                                  a.cpu_cores_used::integer, a.gpus_used::integer, a.workers::integer)
                OR u.jobs_submitted < a.max_seq)
        RETURNING 1)
    SELECT count(*)::integer FROM fixed;
END;
COMMENT ON FUNCTION ffrtmp.repair_usage() IS
    'Recounts every usage counter from jobs and nodes and fixes those that differ (administrators; run after restoring a dump). Returns the number of tenants fixed.';

