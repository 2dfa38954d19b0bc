-- Operations: checking and repairing the usage counters, and readiness.

/* What every usage counter should be, recounted from jobs and nodes (slow: for checks and repairs). */
CREATE OR REPLACE VIEW ffrtmp_data.usage_recount WITH (security_invoker = true) AS
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
COMMENT ON COLUMN ffrtmp_data.usage_recount.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.queued_jobs IS 'Jobs queued or retrying.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.running_jobs IS 'Jobs assigned, running or paused.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.cpu_cores_used IS 'CPU cores of assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.gpus_used IS 'GPUs of assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.workers IS 'Dedicated nodes not offline.';
COMMENT ON COLUMN ffrtmp_data.usage_recount.max_seq IS 'Highest job number.';
ALTER VIEW ffrtmp_data.usage_recount OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.usage_recount TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp.verify_usage()
RETURNS TABLE (tenant_id uuid, counter text, recorded bigint, actual bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT u.tenant_id, c.counter, c.recorded, c.actual
      FROM ffrtmp_data.current_usage u
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
    'Recounts every usage counter from jobs and nodes and lists those that differ (the recorded value counts the changes not yet folded); an empty result means the counters are exact.';
REVOKE ALL ON FUNCTION ffrtmp.verify_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.verify_usage() TO ffrtmp_admin;

/*
 * The audit row of a repair: the tenants whose counters were fixed (plpgsql,
 * so that it may be defined before the writer).  Returns how many.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_usage_repair(tenants uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM ffrtmp_data.write_audit('usage.repair', 'usage', NULL,
        jsonb_build_object('tenants_fixed', to_jsonb(coalesce(audit_usage_repair.tenants, '{}'))));
    RETURN coalesce(cardinality(audit_usage_repair.tenants), 0);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.audit_usage_repair(uuid[]) IS 'Writes the audit row of ffrtmp.repair_usage() (platform chain) naming the tenants whose counters it fixed; returns their number.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_usage_repair(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_usage_repair(uuid[]) TO ffrtmp_owner;

/*
 * Recounting locks every usage row first, so that no submit or state change
 * can slip between the recount and the fix, and folds the pending changes
 * into them; each statement of a volatile SQL function then reads a fresh
 * snapshot.  SECURITY DEFINER: administrators
 * only read usage (every write to it is the extension's own), so run as the
 * invoker this worked for superusers alone.
 */
CREATE OR REPLACE FUNCTION ffrtmp.repair_usage()
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT count(*) FROM (SELECT 1 FROM ffrtmp_data.usage FOR UPDATE) locked;
    SELECT ffrtmp_data.fold_pending_usage(ARRAY(SELECT u.tenant_id FROM ffrtmp_data.usage u));
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
        RETURNING u.tenant_id)
    SELECT ffrtmp_data.audit_usage_repair(array_agg(tenant_id ORDER BY tenant_id)) FROM fixed;
END;
COMMENT ON FUNCTION ffrtmp.repair_usage() IS
    'Recounts every usage counter from jobs and nodes and fixes those that differ (administrators; when ffrtmp.verify_usage() returns rows). Returns the number of tenants fixed.';
ALTER FUNCTION ffrtmp.repair_usage() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.repair_usage() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.repair_usage() TO ffrtmp_admin;

-- Tenant principals create nothing.  A function that tenant A's role creates
-- runs, when tenant B's role calls it (by mistake, or through a name that
-- shadows another on B's search_path), as A's code acting for tenant B: it
-- could read B's rows through the API and copy them into a table A owns.  So
-- add_tenant_role refuses a role that may create objects anywhere, and ready()
-- reports a mapped role that has since been given that right, or the right to
-- read a table holding tenant rows directly.

CREATE OR REPLACE FUNCTION ffrtmp_data.create_right(role oid) RETURNS text
AS 'MODULE_PATHNAME', 'ffrtmp_create_right'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ffrtmp_data.create_right(oid) IS
    'Where the role may create objects ("schema x", or "database y" for new schemas), itself, through a role it may become, through ffrtmp_tenant or through PUBLIC; NULL if nowhere. Temporary schemas, private to each session, do not count.';
ALTER FUNCTION ffrtmp_data.create_right(oid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.create_right(oid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.create_right(oid) TO ffrtmp_admin;

/* What is wrong with the roles acting for tenants (ffrtmp_tenant and every mapped role). */
CREATE OR REPLACE FUNCTION ffrtmp_data.tenant_role_problems() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH principals AS (
        SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r
         WHERE r.rolname = 'ffrtmp_tenant'
            OR r.rolname IN (SELECT m.role_name FROM ffrtmp_data.tenant_roles m))
    SELECT problem FROM (
        -- Mappings kept by name whose role was dropped (and maybe created
        -- again): they map nothing until made again.
        SELECT m.role_name::text, 0, format('role mapping "%s" names a role that was dropped%s: it acts for no tenant until mapped again with ffrtmp.map_user_role(user, role_name) or ffrtmp.add_tenant_role(tenant, role_name), or removed with ffrtmp.remove_tenant_role(tenant, role_name)',
                                            m.role_name, CASE WHEN r.oid IS NOT NULL THEN ' and created again' ELSE '' END)
          FROM ffrtmp_data.tenant_roles m
          LEFT JOIN pg_catalog.pg_roles r ON r.rolname = m.role_name
         WHERE m.role_oid IS DISTINCT FROM r.oid OR r.oid IS NULL
        UNION ALL
        SELECT u.db_role::text, 0, format('user %s is mapped to role "%s", which was dropped%s: it acts as no user until mapped again with ffrtmp.map_user_role(%L, %L), or unmapped with ffrtmp.map_user_role(%L, NULL)',
                                          coalesce(u.email, u.id::text), u.db_role,
                                          CASE WHEN r.oid IS NOT NULL THEN ' and created again' ELSE '' END, u.id, u.db_role, u.id)
          FROM ffrtmp_data.users u
          LEFT JOIN pg_catalog.pg_roles r ON r.rolname = u.db_role
         WHERE u.db_role IS NOT NULL AND u.deleted_at IS NULL AND (u.db_role_oid IS DISTINCT FROM r.oid OR r.oid IS NULL)
        UNION ALL
        SELECT p.rolname, 1, format('role "%s" acts for a tenant and may create objects in %s',
                                    p.rolname, ffrtmp_data.create_right(p.oid))
          FROM principals p
         WHERE ffrtmp_data.create_right(p.oid) IS NOT NULL
        UNION ALL
        SELECT p.rolname, 2, format('role "%s" acts for a tenant and may read %s directly', p.rolname, c.oid::regclass)
          FROM principals p, pg_catalog.pg_class c
         WHERE c.relnamespace = 'ffrtmp_data'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
           AND (c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                             WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
           AND (has_table_privilege(p.oid, c.oid, 'SELECT') OR has_any_column_privilege(p.oid, c.oid, 'SELECT'))
        UNION ALL
        -- The global id sequences count every tenant's jobs, events and nodes.
        SELECT p.rolname, 3, format('role "%s" acts for a tenant and may read sequence %s', p.rolname, c.oid::regclass)
          FROM principals p, pg_catalog.pg_class c
         WHERE c.relnamespace = 'ffrtmp_data'::regnamespace AND c.relkind = 'S'
           -- (CASE: has_sequence_privilege fails on anything but a sequence)
           AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(p.oid, c.oid, 'SELECT, USAGE, UPDATE') END
    ) x(rolname, kind, problem)
    ORDER BY x.rolname, x.kind, x.problem;
END;
COMMENT ON FUNCTION ffrtmp_data.tenant_role_problems() IS
    'Roles acting for tenants that may create objects somewhere, read a table holding tenant rows directly or read an id sequence: each is a way around tenant isolation; and role mappings (tenant_roles, users.db_role) whose role was dropped, perhaps created again: they map nothing until made again.';
ALTER FUNCTION ffrtmp_data.tenant_role_problems() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.tenant_role_problems() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.tenant_role_problems() TO ffrtmp_admin;

-- The operator's detail; ffrtmp.ready() below answers it to administrators.
CREATE OR REPLACE FUNCTION ffrtmp_data.operator_readiness()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH h AS (SELECT ffrtmp_data.operator_health() AS j),
         checks AS (
            SELECT 'no scheduler leads' AS problem FROM h WHERE (j ->> 'leader_pid') IS NULL
            UNION ALL
            SELECT 'the leader has not run a pass for ' || (j ->> 'seconds_since_last_pass') || ' s' FROM h
             WHERE (j ->> 'seconds_since_last_pass')::numeric
                   > 3 * extract(epoch FROM current_setting('ffrtmp.scheduler_interval')::interval) + 5
            UNION ALL
            SELECT 'the database is read-only' FROM h WHERE NOT (j ->> 'writable')::boolean
            UNION ALL
            SELECT 'no node is online' FROM h WHERE (j ->> 'online_nodes')::integer = 0
            UNION ALL
            -- A copy of the database (CREATE DATABASE ... TEMPLATE) carries the
            -- extension where no scheduler will ever dispatch.
            SELECT format('the scheduler runs in database %I, not in this one (%I): jobs submitted here are never dispatched',
                          current_setting('ffrtmp.database'), current_database())
             WHERE current_database() <> current_setting('ffrtmp.database')
            UNION ALL
            SELECT p FROM ffrtmp_data.tenant_role_problems() p)
    SELECT jsonb_build_object('ready', count(*) = 0,
                              'problems', coalesce(jsonb_agg(problem), '[]'::jsonb),
                              -- Not a readiness problem (one tenant's job must not take
                              -- the service out of rotation), but worth a look.
                              -- The setting is read here, as the leader reads it: 0 never rejects.
                              'warnings', (SELECT coalesce(jsonb_agg(w), '[]'::jsonb) FROM (
                                  SELECT format('%s queued jobs ask for CPU cores, GPUs or encoders that no online or draining node they may use offers (ids %s); %s',
                                                j ->> 'unrunnable_jobs', j ->> 'unrunnable_job_ids',
                                                CASE WHEN current_setting('ffrtmp.reject_unrunnable_after')::interval > interval '0'
                                                     THEN format('they are rejected after ffrtmp.reject_unrunnable_after (%s) without a capable node',
                                                                 current_setting('ffrtmp.reject_unrunnable_after'))
                                                     ELSE 'they wait for a capable node (ffrtmp.reject_unrunnable_after = 0 never rejects them)' END) AS w
                                    FROM h WHERE (j ->> 'unrunnable_jobs')::bigint > 0
                                  UNION ALL
                                  SELECT format('dispatch is paused (ffrtmp.dispatch_pauses): %s',
                                                (SELECT string_agg(coalesce('tenant ' || (p ->> 'tenant'), 'every tenant') || ', '
                                                                   || coalesce('queue ' || (p ->> 'queue'), 'every queue'), '; ')
                                                   FROM jsonb_array_elements(j -> 'dispatch_pauses') p))
                                    FROM h WHERE jsonb_array_length(j -> 'dispatch_pauses') > 0) ws))
      FROM checks;
END;
COMMENT ON FUNCTION ffrtmp_data.operator_readiness() IS
    'ffrtmp.ready()''s answer to administrators: readiness as JSON: ready when a leader is present and ticking, the database is writable and is the one ffrtmp.database names, a node is online, and no role acting for a tenant may create objects or read tables holding tenant rows directly; otherwise the problems. warnings: what does not make the service unready, such as queued jobs no node they may use can run, and dispatch pauses in force.';
ALTER FUNCTION ffrtmp_data.operator_readiness() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.operator_readiness() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.operator_readiness() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;

-- What anyone may know without credentials (a load balancer's probe through
-- PostgREST as ffrtmp_anon): that the database answers and is writable, and
-- whether the control plane is ready (a scheduler leads and ticks, in this
-- database), never why: no count, no id and no name, which are tenants'
-- data.  Nodes and tenant roles are read under row-level security, which
-- answers no anonymous caller, so they are the operator's part of
-- readiness only.
CREATE OR REPLACE FUNCTION ffrtmp_data.anonymous_probe()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'writable', NOT pg_is_in_recovery(),
        'ready', s.leader_pid IS NOT NULL
                 AND clock_timestamp() - s.last_pass
                     <= 3 * current_setting('ffrtmp.scheduler_interval')::interval + interval '5 s'
                 AND NOT pg_is_in_recovery()
                 AND current_database() = current_setting('ffrtmp.database'))
      FROM ffrtmp_data.scheduler_shared() s;
END;
COMMENT ON FUNCTION ffrtmp_data.anonymous_probe() IS
    'ffrtmp.health() and ffrtmp.ready() for a caller that is no administrator: writable, and ready when a scheduler leads and ticks in this database, which is writable; no counts, ids or names.';
ALTER FUNCTION ffrtmp_data.anonymous_probe() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.anonymous_probe() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.anonymous_probe() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;

-- Liveness and readiness: the operator's detail for administrators (the
-- permission platform.view is theirs alone), the probe's for anyone else
-- allowed to call, ffrtmp_anon and ffrtmp_api: PostgREST answers GET /rpc/health and
-- /rpc/ready without credentials or with any.  Only the branch taken runs; both
-- functions are executable by both roles, as the executor checks that of
-- every function of a statement before it starts.
CREATE OR REPLACE FUNCTION ffrtmp.health()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE WHEN pg_has_role('ffrtmp_admin', 'USAGE') THEN ffrtmp_data.operator_health()
                ELSE jsonb_build_object('live', true, 'writable', ffrtmp_data.anonymous_probe() -> 'writable') END;
END;
COMMENT ON FUNCTION ffrtmp.health() IS
    'Liveness as JSON.  To administrators: leader pid and epoch, seconds since its last pass, schedulers, queue depth, online nodes, queued jobs that no online or draining node they may use can run (count and the first 20 ids; rejected after ffrtmp.reject_unrunnable_after), dispatch pauses in force (tenant and queue names, null for every), database writable.  To anonymous callers (ffrtmp_anon, no credentials through PostgREST): only live and writable.';
REVOKE ALL ON FUNCTION ffrtmp.health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.health() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;

CREATE OR REPLACE FUNCTION ffrtmp.ready()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE WHEN pg_has_role('ffrtmp_admin', 'USAGE') THEN ffrtmp_data.operator_readiness()
                ELSE jsonb_build_object('ready', ffrtmp_data.anonymous_probe() -> 'ready') END;
END;
COMMENT ON FUNCTION ffrtmp.ready() IS
    'Readiness as JSON.  To administrators: ready when a leader is present and ticking, the database is writable and is the one ffrtmp.database names, a node is online, and no role acting for a tenant may create objects or read tables holding tenant rows directly; otherwise the problems; warnings: what does not make the service unready, such as queued jobs no node they may use can run, and dispatch pauses in force.  To anonymous callers (ffrtmp_anon): only ready, by the first of those conditions (leader, writable, database), not nodes or roles.';
REVOKE ALL ON FUNCTION ffrtmp.ready() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.ready() TO ffrtmp_admin, ffrtmp_anon, ffrtmp_api;
