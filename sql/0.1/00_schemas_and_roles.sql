-- ffrtmp 0.1: schemas and the roles that the row-level security policies name.
\echo Use "CREATE EXTENSION ffrtmp" to load this file. \quit

/*
 * Roles are cluster-wide, so they survive DROP EXTENSION and are created only
 * when missing.  None of them can log in: people and programs get their own
 * login roles and are granted one of these.
 *
 *   ffrtmp_owner   owns every table and SECURITY DEFINER function.  It is not a
 *                  superuser and has no BYPASSRLS, so FORCEd row-level security
 *                  applies even inside the API functions.
 *   ffrtmp_admin   administrators: see and manage every tenant.
 *   ffrtmp_tenant  tenant users: see and act for exactly one tenant, the one
 *                  their role is mapped to with ffrtmp.add_tenant_role().
 *   ffrtmp_scheduler  the privileges the scheduler's passes run with: only
 *                  what recovery, dispatch and pruning need.
 */
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_owner') THEN
        CREATE ROLE ffrtmp_owner NOLOGIN NOINHERIT NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_admin') THEN
        CREATE ROLE ffrtmp_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_tenant') THEN
        CREATE ROLE ffrtmp_tenant NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_scheduler') THEN
        CREATE ROLE ffrtmp_scheduler NOLOGIN NOBYPASSRLS;
    END IF;
END
$roles$;

-- add_tenant_role() grants ffrtmp_tenant to mapped roles while running as the owner.
GRANT ffrtmp_tenant TO ffrtmp_owner WITH ADMIN OPTION;

COMMENT ON SCHEMA ffrtmp IS
    'ffrtmp API: functions and security_invoker views; the schema PostgREST serves.';

CREATE SCHEMA ffrtmp_data;
COMMENT ON SCHEMA ffrtmp_data IS
    'ffrtmp internals: tables under FORCEd row-level security and helper functions. Use the ffrtmp schema instead.';
