-- Who is calling, and for which tenant.  These functions are what every
-- row-level security policy evaluates, so they are in C and cached per
-- transaction.

CREATE FUNCTION ffrtmp.current_tenant() RETURNS uuid
    AS 'MODULE_PATHNAME', 'ffrtmp_current_tenant'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.current_tenant() IS
    'The tenant the caller acts for: the tenant its database role is mapped to (add_tenant_role), else the default tenant. Cannot be changed with SET or set_config.';

CREATE FUNCTION ffrtmp.caller_is_admin() RETURNS boolean
    AS 'MODULE_PATHNAME', 'ffrtmp_caller_is_admin'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.caller_is_admin() IS
    'True when the caller is a superuser or a member of ffrtmp_admin, and so may see and manage every tenant.';

CREATE FUNCTION ffrtmp_data.actor() RETURNS text
    AS 'MODULE_PATHNAME', 'ffrtmp_actor'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.actor() IS
    'The role that called the API (outside any SECURITY DEFINER function), recorded in job events.';

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

CREATE FUNCTION ffrtmp_data.priority_from_int(integer) RETURNS ffrtmp.priority
    AS 'MODULE_PATHNAME', 'ffrtmp_priority_from_int' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.priority_in(cstring) IS 'Input function of ffrtmp.priority.';
COMMENT ON FUNCTION ffrtmp_data.priority_out(ffrtmp.priority) IS 'Output function of ffrtmp.priority.';
COMMENT ON FUNCTION ffrtmp_data.priority_from_int(integer) IS 'Range-checked cast from integer to ffrtmp.priority.';

CREATE CAST (integer AS ffrtmp.priority)
    WITH FUNCTION ffrtmp_data.priority_from_int(integer) AS IMPLICIT;
CREATE CAST (ffrtmp.priority AS integer) WITHOUT FUNCTION AS ASSIGNMENT;
