-- The contract between the database and the worker (src/common/): the
-- vocabulary and protocol version the library was built with, which the tests
-- hold the seed rows of failure_reasons and job_states against.

CREATE OR REPLACE FUNCTION ffrtmp.contract()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ffrtmp_contract'
LANGUAGE C STABLE PARALLEL SAFE;
ALTER FUNCTION ffrtmp.contract() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.contract() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.contract() TO ffrtmp_admin;
COMMENT ON FUNCTION ffrtmp.contract() IS
    'The contract between the database and its workers, as this library was built (administrators only): protocol_version (major * 100 + minor; a worker is served when its major number is the same), library_version, the notification channel prefix (a node listens on ffrtmp_node_<id>), the scheduler''s advisory-lock keys, failure_reasons and job_states (which ffrtmp_data''s seed rows must equal), node_states, and sqlstates with the HTTP status PostgREST answers each with.';
