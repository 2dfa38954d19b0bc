-- Worker nodes: the machines running ffrtmp-worker.

CREATE TABLE ffrtmp_data.nodes (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      uuid REFERENCES ffrtmp_data.tenants (id),
    name           text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    state          text NOT NULL DEFAULT 'online' CHECK (state IN ('online', 'draining', 'offline')),
    cpu_cores      integer NOT NULL CHECK (cpu_cores BETWEEN 1 AND 4096),
    memory_mb      integer CHECK (memory_mb > 0),
    gpus           integer NOT NULL DEFAULT 0 CHECK (gpus BETWEEN 0 AND 64),
    slots          integer NOT NULL DEFAULT 1 CHECK (slots BETWEEN 1 AND 1024),
    encoders       text[] NOT NULL DEFAULT '{}',
    labels         jsonb NOT NULL DEFAULT '{}' CHECK (pg_catalog.jsonb_typeof(labels) = 'object'),
    token_hash     bytea NOT NULL,
    last_heartbeat timestamptz NOT NULL DEFAULT pg_catalog.now(),
    session_pid    integer,
    session_started timestamptz,
    registered_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT nodes_tenant_name_key UNIQUE NULLS NOT DISTINCT (tenant_id, name)
);
COMMENT ON TABLE ffrtmp_data.nodes IS 'Worker nodes: dedicated to one tenant, or in the shared pool (tenant_id NULL).';
COMMENT ON COLUMN ffrtmp_data.nodes.id IS 'Node id; the worker listens on channel ffrtmp_node_<id>.';
COMMENT ON COLUMN ffrtmp_data.nodes.tenant_id IS 'Tenant the node is dedicated to; NULL for the shared pool.';
COMMENT ON COLUMN ffrtmp_data.nodes.name IS 'Node name (usually the host name), unique per tenant and in the pool.';
COMMENT ON COLUMN ffrtmp_data.nodes.state IS 'online, draining (finishes its jobs, takes no new ones) or offline.';
COMMENT ON COLUMN ffrtmp_data.nodes.cpu_cores IS 'CPU cores the node offers.';
COMMENT ON COLUMN ffrtmp_data.nodes.memory_mb IS 'Memory the node offers, in MiB.';
COMMENT ON COLUMN ffrtmp_data.nodes.gpus IS 'GPUs the node offers.';
COMMENT ON COLUMN ffrtmp_data.nodes.slots IS 'Jobs the node runs at once.';
COMMENT ON COLUMN ffrtmp_data.nodes.encoders IS 'Encoders the node''s libavcodec offers (libx264, h264_nvenc...).';
COMMENT ON COLUMN ffrtmp_data.nodes.labels IS 'Free-form labels.';
COMMENT ON COLUMN ffrtmp_data.nodes.token_hash IS 'SHA-256 of the node''s current session token; the token itself is never stored.';
COMMENT ON COLUMN ffrtmp_data.nodes.last_heartbeat IS 'When the node last reported.';
COMMENT ON COLUMN ffrtmp_data.nodes.session_pid IS 'For a session-bound node, the backend of its database session: when that session is gone, the node goes offline at once.';
COMMENT ON COLUMN ffrtmp_data.nodes.session_started IS 'Start of that session (a reused pid is another session).';
COMMENT ON COLUMN ffrtmp_data.nodes.registered_at IS 'When the node (last) registered.';

/* Keeps usage.workers equal to the dedicated nodes that are online or draining. */
CREATE FUNCTION ffrtmp_data.nodes_count_workers() RETURNS trigger
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
CREATE TRIGGER nodes_count_workers
    AFTER INSERT OR DELETE OR UPDATE OF tenant_id, state ON ffrtmp_data.nodes
    FOR EACH ROW EXECUTE FUNCTION ffrtmp_data.nodes_count_workers();
