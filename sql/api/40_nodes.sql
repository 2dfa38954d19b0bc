-- Worker nodes: the trigger that counts dedicated ones, who may see which
-- rows, how the API reads them (without tokens) and the view that shows them.

/* Keeps usage.workers equal to the dedicated nodes that are online or draining. */
CREATE OR REPLACE FUNCTION ffrtmp_data.nodes_count_workers() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    was_counted boolean := TG_OP <> 'INSERT' AND OLD.tenant_id IS NOT NULL AND OLD.state <> 'offline';
    is_counted  boolean := TG_OP <> 'DELETE' AND NEW.tenant_id IS NOT NULL AND NEW.state <> 'offline';
BEGIN
    IF was_counted AND (NOT is_counted OR OLD.tenant_id <> NEW.tenant_id) THEN
        UPDATE ffrtmp_data.usage SET workers = workers - 1 WHERE tenant_id = OLD.tenant_id;
    END IF;
    IF is_counted AND (NOT was_counted OR OLD.tenant_id <> NEW.tenant_id) THEN
        UPDATE ffrtmp_data.usage SET workers = workers + 1 WHERE tenant_id = NEW.tenant_id;
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.nodes_count_workers() IS 'Keeps usage.workers exact as nodes come, go and change state.';
REVOKE ALL ON FUNCTION ffrtmp_data.nodes_count_workers() FROM PUBLIC;
CREATE OR REPLACE TRIGGER nodes_count_workers
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, state ON ffrtmp_data.nodes
    FOR EACH ROW EXECUTE FUNCTION ffrtmp_data.nodes_count_workers();

/*
 * A registration (a new session token) under 0.2's SQL is a worker of 0.2 or
 * later, or a call by hand: register_node refuses 0.1 workers (PT426).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.nodes_registered() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    NEW.pre_0_2_session := false;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.nodes_registered() IS 'Clears pre_0_2_session when a node registers again (its token changes).';
REVOKE ALL ON FUNCTION ffrtmp_data.nodes_registered() FROM PUBLIC;
CREATE OR REPLACE TRIGGER nodes_registered
    BEFORE UPDATE OF token_hash ON ffrtmp_data.nodes
    FOR EACH ROW WHEN (OLD.pre_0_2_session AND NEW.token_hash IS DISTINCT FROM OLD.token_hash)
    EXECUTE FUNCTION ffrtmp_data.nodes_registered();

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.nodes;
CREATE POLICY tenant_isolation ON ffrtmp_data.nodes
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.nodes IS 'A tenant sees its dedicated nodes; administrators see all, shared pool included.';

-- Session tokens' hashes and session pids are never returned.
CREATE OR REPLACE FUNCTION ffrtmp_data.read_nodes()
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
ALTER FUNCTION ffrtmp_data.read_nodes() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_nodes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_nodes() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.nodes WITH (security_invoker = true) AS
SELECT id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels, last_heartbeat, registered_at
FROM ffrtmp_data.read_nodes();
COMMENT ON VIEW ffrtmp.nodes IS 'Worker nodes the caller may see (session tokens are never shown).';
COMMENT ON COLUMN ffrtmp.nodes.id IS 'Node id.';
COMMENT ON COLUMN ffrtmp.nodes.tenant_id IS 'Dedicated tenant; NULL for the shared pool.';
COMMENT ON COLUMN ffrtmp.nodes.name IS 'Node name.';
COMMENT ON COLUMN ffrtmp.nodes.state IS 'online, draining or offline.';
COMMENT ON COLUMN ffrtmp.nodes.cpu_cores IS 'CPU cores offered.';
COMMENT ON COLUMN ffrtmp.nodes.memory_mb IS 'Memory offered, MiB.';
COMMENT ON COLUMN ffrtmp.nodes.gpus IS 'GPUs offered.';
COMMENT ON COLUMN ffrtmp.nodes.slots IS 'Concurrent jobs.';
COMMENT ON COLUMN ffrtmp.nodes.encoders IS 'Encoders available.';
COMMENT ON COLUMN ffrtmp.nodes.labels IS 'Labels.';
COMMENT ON COLUMN ffrtmp.nodes.last_heartbeat IS 'Last heartbeat.';
COMMENT ON COLUMN ffrtmp.nodes.registered_at IS 'Registered at.';
GRANT SELECT ON ffrtmp.nodes TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;
