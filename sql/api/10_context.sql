-- Who is calling, and for which tenant.  These functions are what every
-- row-level security policy evaluates, so they are in C and cached per
-- transaction.

CREATE OR REPLACE FUNCTION ffrtmp.current_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'ffrtmp_current_tenant'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.current_tenant() IS
    'The tenant the caller acts for: the tenant its role is mapped to (add_tenant_role), else the tenant of a mapped group role whose privileges it has; administrators mapped to nothing act for the default tenant, anyone else is refused (42501). Read afresh for each statement; cannot be changed with SET or set_config.';
REVOKE ALL ON FUNCTION ffrtmp.current_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.current_tenant() TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.caller_is_admin() RETURNS boolean
    AS 'MODULE_PATHNAME', 'ffrtmp_caller_is_admin'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.caller_is_admin() IS
    'True when the caller is a superuser or a member of ffrtmp_admin, and so may see and manage every tenant.';
REVOKE ALL ON FUNCTION ffrtmp.caller_is_admin() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.caller_is_admin() TO PUBLIC;

-- The one way API functions written in SQL find a tenant named by a caller.
CREATE OR REPLACE FUNCTION ffrtmp_data.find_tenant(tenant text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'ffrtmp_find_tenant_sql'
    LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ffrtmp_data.find_tenant(text) IS
    'The id of the tenant named by name or id, as the 0.1 tenant functions find it: over 63 bytes is 22023; one the caller cannot see is PT404 for an administrator and 42501 "permission denied for tenant" for a tenant principal, whether or not it exists. NULL for NULL.';
ALTER FUNCTION ffrtmp_data.find_tenant(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.find_tenant(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.actor() RETURNS text
    AS 'MODULE_PATHNAME', 'ffrtmp_actor'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.actor() IS
    'The role that called the API (outside any SECURITY DEFINER function), recorded in job events.';
REVOKE ALL ON FUNCTION ffrtmp_data.actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.actor() TO PUBLIC;

-- When the control plane last started: the server's start or its last crash
-- restart (pg_postmaster_start_time() keeps the first start across crash
-- restarts, so it cannot tell recovery how long workers have had to return).

CREATE OR REPLACE FUNCTION ffrtmp_data.control_plane_started_at() RETURNS timestamptz
AS 'MODULE_PATHNAME', 'ffrtmp_control_plane_started_at'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.control_plane_started_at() IS
    'When the server last began to serve as a primary: after its start, after every crash restart (unlike pg_postmaster_start_time()), and when a standby is promoted; until the scheduler launcher first starts (or with ffrtmp.schedulers = 0), when shared memory was initialised.';
ALTER FUNCTION ffrtmp_data.control_plane_started_at() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.control_plane_started_at() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.control_plane_started_at() TO ffrtmp_scheduler, ffrtmp_admin;
