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
COMMENT ON TYPE ffrtmp.tenant_stats IS
    'Usage of one tenant and what is left under each quota (NULL available = unlimited); ffrtmp.quota_checks() names the used and available column of each quota. summary: the same, in the operators'' two-line format.';
COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_id IS 'The tenant''s id.';
COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_name IS 'The tenant''s name.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_jobs IS 'Jobs queued, assigned, running or retrying: what max_jobs limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp.tenant_stats.running_jobs IS 'Jobs assigned or running on a node.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_workers IS 'Dedicated nodes online or draining: what max_workers limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_used IS 'CPU cores held by assigned and running jobs: what max_cpu_cores limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_used IS 'GPUs held by assigned and running jobs: what max_gpus limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour IS 'Jobs submitted in the last 60 minutes (one-minute buckets): what max_jobs_per_hour limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_available IS 'Active jobs left under max_jobs; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.workers_available IS 'Dedicated nodes left under max_workers; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_available IS 'CPU cores left under max_cpu_cores; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_available IS 'GPUs left under max_gpus; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour_available IS 'Submissions left under max_jobs_per_hour in the rolling hour; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.summary IS 'The same numbers as two lines of text, for people (unlimited spelt out).';
