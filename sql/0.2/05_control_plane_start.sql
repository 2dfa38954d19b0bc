-- When the control plane last started: the server's start or its last crash
-- restart (pg_postmaster_start_time() keeps the first start across crash
-- restarts, so it cannot tell recovery how long workers have had to return).

CREATE FUNCTION ffrtmp_data.control_plane_started_at() RETURNS timestamptz
AS 'MODULE_PATHNAME', 'ffrtmp_control_plane_started_at'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.control_plane_started_at() IS
    'When the server last initialised shared memory: at start, and again after every crash restart (unlike pg_postmaster_start_time()).';
ALTER FUNCTION ffrtmp_data.control_plane_started_at() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.control_plane_started_at() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.control_plane_started_at() TO ffrtmp_owner, ffrtmp_scheduler, ffrtmp_admin;
