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
    pre_0_2_session boolean NOT NULL DEFAULT false,
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
COMMENT ON COLUMN ffrtmp_data.nodes.encoders IS 'Encoders the node''s libavcodec offers (libx264, h264_nvenc...): at most 256 names of at most 64 bytes.';
COMMENT ON COLUMN ffrtmp_data.nodes.labels IS 'Free-form labels: a JSON object of at most 4 KiB and 2 levels.';
COMMENT ON COLUMN ffrtmp_data.nodes.token_hash IS 'SHA-256 of the node''s current session token; the token itself is never stored.';
COMMENT ON COLUMN ffrtmp_data.nodes.last_heartbeat IS 'When the node last reported.';
COMMENT ON COLUMN ffrtmp_data.nodes.session_pid IS 'For a session-bound node, the backend of its database session: when that session is gone, the node goes offline at once.';
COMMENT ON COLUMN ffrtmp_data.nodes.session_started IS 'Start of that session (a reused pid is another session).';
COMMENT ON COLUMN ffrtmp_data.nodes.registered_at IS 'When the node (last) registered.';
COMMENT ON COLUMN ffrtmp_data.nodes.pre_0_2_session IS 'The node''s current session registered under release 0.1: its worker may be one of 0.1, which knows nothing of pauses (pause_job refuses its jobs) until it registers again.';
-- Every worker call of every node looks for session-bound nodes whose session
-- is gone (ffrtmp_data.end_lost_sessions()): it reads those nodes only.
CREATE INDEX nodes_session_bound_idx ON ffrtmp_data.nodes (id) WHERE session_pid IS NOT NULL;
ALTER TABLE ffrtmp_data.nodes OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.nodes ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.nodes FORCE ROW LEVEL SECURITY;
-- Administrators read every column but the token's hash and the session's.
GRANT SELECT (id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels,
              last_heartbeat, registered_at)
    ON ffrtmp_data.nodes TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.nodes TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.nodes', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.nodes_id_seq', '');
