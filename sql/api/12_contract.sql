-- The contract between the database and the worker (src/common/): the
-- vocabulary and protocol version the library was built with, which the tests
-- hold the seed rows of failure_reasons and job_states against.

CREATE OR REPLACE FUNCTION ffrtmp.contract()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'ffrtmp_contract'
LANGUAGE C STABLE PARALLEL RESTRICTED;  -- checked in the leader only: docs/access-control.md#views
ALTER FUNCTION ffrtmp.contract() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.contract() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.contract() TO ffrtmp_admin;
COMMENT ON FUNCTION ffrtmp.contract() IS
    'The contract between the database and its workers, as this library was built (administrators only): protocol_version (major * 100 + minor; a worker is served when its major number is the same), library_version, the notification channel prefix (a node listens on ffrtmp_node_<id>), the scheduler''s advisory-lock keys, failure_reasons and job_states (which ffrtmp_data''s seed rows must equal), node_states, and sqlstates with the HTTP status PostgREST answers each with.';

-- The encoders a job needs, by the rule the worker encodes by
-- (src/common/job_params.c): dispatch gives a job only to a node offering
-- them all, and jobs no node offers them to are rejected.
CREATE OR REPLACE FUNCTION ffrtmp_data.job_encoders(params jsonb, output_url text, gpus integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'ffrtmp_job_encoders'
LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION ffrtmp_data.job_encoders(jsonb, text, integer) IS
    'The libavcodec encoders a job with these params, output_url and gpus needs: its video encoder, then its audio encoder, none for a stream copied or dropped (e.g. {libx264,aac}, or {h264_nvenc,aac} with gpus).';
ALTER FUNCTION ffrtmp_data.job_encoders(jsonb, text, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.job_encoders(jsonb, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.job_encoders(jsonb, text, integer) TO ffrtmp_scheduler, ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp_data.any_job_encoders(gpus integer)
RETURNS text[]
AS 'MODULE_PATHNAME', 'ffrtmp_any_job_encoders'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.any_job_encoders(integer) IS
    'Every encoder ffrtmp_data.job_encoders can name for a job with gpus GPUs: a node offering them all can encode any such job.';
ALTER FUNCTION ffrtmp_data.any_job_encoders(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.any_job_encoders(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.any_job_encoders(integer) TO ffrtmp_scheduler, ffrtmp_admin;
