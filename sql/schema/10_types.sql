-- Types.  A base type is made with its input and output functions, so those
-- live here with it; its casts are in sql/api/11_priority.sql.

/*
 * Job priority: a number from -1000 to 1000, or one of the words low (-100),
 * medium (0) and high (100).  A type of its own lets psql callers write either
 * priority => 5 or priority => 'high', and PostgREST send either in JSON.
 */
CREATE TYPE ffrtmp.priority;
CREATE FUNCTION ffrtmp_data.priority_in(cstring) RETURNS ffrtmp.priority
    AS 'MODULE_PATHNAME', 'ffrtmp_priority_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION ffrtmp_data.priority_out(ffrtmp.priority) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ffrtmp_priority_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE ffrtmp.priority (
    INPUT = ffrtmp_data.priority_in,
    OUTPUT = ffrtmp_data.priority_out,
    INTERNALLENGTH = 4,
    PASSEDBYVALUE,
    ALIGNMENT = int4
);
COMMENT ON TYPE ffrtmp.priority IS
    'Job priority: an integer from -1000 to 1000, or low (-100), medium (0), high (100). Higher runs first.';

COMMENT ON FUNCTION ffrtmp_data.priority_in(cstring) IS 'Input function of ffrtmp.priority.';
COMMENT ON FUNCTION ffrtmp_data.priority_out(ffrtmp.priority) IS 'Output function of ffrtmp.priority.';
-- Like every function: no privilege but those granted next to it (here, everyone's).
REVOKE ALL ON FUNCTION ffrtmp_data.priority_in(cstring), ffrtmp_data.priority_out(ffrtmp.priority) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.priority_in(cstring), ffrtmp_data.priority_out(ffrtmp.priority) TO PUBLIC;

/* What ffrtmp.tenant_stats() returns. */
CREATE TYPE ffrtmp.tenant_stats AS (
    tenant_id                uuid,
    tenant_name              text,
    active_jobs              integer,
    queued_jobs              integer,
    running_jobs             integer,
    active_workers           integer,
    cpu_cores_used           integer,
    gpus_used                integer,
    jobs_this_hour           integer,
    jobs_available           integer,
    workers_available        integer,
    cpu_cores_available      integer,
    gpus_available           integer,
    jobs_this_hour_available integer,
    summary                  text
);
