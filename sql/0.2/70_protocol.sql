-- The contract between the database and the worker (src/common/): the
-- protocol version register_node checks, and ffrtmp.contract(), the
-- vocabulary the library was built with, which the tests hold the seed rows
-- of failure_reasons and job_states against.

-- register_node takes the worker's protocol version.  A new argument changes
-- the signature, so the old one goes and the new one comes with its owner,
-- grants and comment (the C symbol is the same: the library serves both).
DROP FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean);
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
    protocol_version integer DEFAULT NULL,
    OUT node_id bigint,
    OUT session_token text)
AS 'MODULE_PATHNAME', 'ffrtmp_register_node'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '1s';
ALTER FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)
    TO ffrtmp_admin, ffrtmp_tenant;
COMMENT ON FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer) IS
    'Registers (or re-registers) a worker node and returns its id and a new session token. Administrators register shared-pool nodes (tenant NULL) or any tenant''s; tenant users register their own tenant''s dedicated nodes, within max_workers. name: 1 to 128 of [A-Za-z0-9._-]; encoders: at most 256 names of 1 to 64 of [A-Za-z0-9._-]; labels: JSON object of at most 4 KiB and 2 levels; cpu_cores 1 to 4096, gpus 0 to 64, memory_mb 1 to 67108864, slots 1 to 1024. A new name recycles the oldest offline nodes of the tenant (or pool) beyond 32, and a tenant has at most 1000 nodes in all. session_bound: the node keeps this database session open, and goes offline as soon as it is gone (heartbeats move the binding to their session). protocol_version: the worker''s protocol (major * 100 + minor, see ffrtmp.contract()); a worker whose major number differs from the database''s is refused with PT426, and so is a worker of release 0.1, which sends none; NULL from any other session registers a node by hand. Waits at most 1 s for a lock, then fails with 55P03: call again.';

CREATE FUNCTION ffrtmp.contract()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ffrtmp_contract'
LANGUAGE C STABLE PARALLEL SAFE;
ALTER FUNCTION ffrtmp.contract() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.contract() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.contract() TO ffrtmp_admin;
COMMENT ON FUNCTION ffrtmp.contract() IS
    'The contract between the database and its workers, as this library was built (administrators only): protocol_version (major * 100 + minor; a worker is served when its major number is the same), library_version, the notification channel prefix (a node listens on ffrtmp_node_<id>), the scheduler''s advisory-lock keys, failure_reasons and job_states (which ffrtmp_data''s seed rows must equal), node_states, and sqlstates with the HTTP status PostgREST answers each with.';
