-- ffrtmp: what a fresh install creates once, at the current version.  The
-- parts of sql/schema/ hold the stored state (roles, schemas, types, tables,
-- indexes, seed rows, with each table's owner, privileges, row-level security
-- and pg_dump marking next to it); sql/api/ follows them with everything that
-- is defined again on every update.  A change to what is here goes into the
-- current delta in sql/updates/ as well (see docs/upgrading.md).
\echo Use "CREATE EXTENSION ffrtmp" to load this file. \quit

/*
 * Roles are cluster-wide, so they survive DROP EXTENSION and are created only
 * when missing.  None of them but PostgREST's authenticator (below) can log
 * in: people and programs get their own login roles and are granted one of
 * these.
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

/*
 * PostgREST's roles (docs/rest.md).  PostgREST logs in as the authenticator
 * and, for each request, switches to the anonymous role (no credentials) or
 * to the role a verified JWT names; the pre-request function switches an
 * API-key request to ffrtmp_api.  NOINHERIT: the authenticator itself has no
 * privilege of the roles it may become.  It has no password here: the
 * administrator sets one (or a pg_hba.conf rule) for PostgREST's db-uri.
 */
DO $rest_roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_authenticator') THEN
        CREATE ROLE ffrtmp_authenticator LOGIN NOINHERIT NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_anon') THEN
        CREATE ROLE ffrtmp_anon NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_api') THEN
        CREATE ROLE ffrtmp_api NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_api_admin') THEN
        CREATE ROLE ffrtmp_api_admin NOLOGIN NOBYPASSRLS;
    END IF;
END
$rest_roles$;
COMMENT ON ROLE ffrtmp_authenticator IS
    'PostgREST logs in as this role (NOINHERIT: no privilege of its own) and becomes ffrtmp_anon, a JWT''s role or ffrtmp_api for each request; request claims and headers are trusted only when it is the session user.';
COMMENT ON ROLE ffrtmp_anon IS
    'PostgREST''s anonymous role: may authenticate (the pre-request function) and nothing else.';
COMMENT ON ROLE ffrtmp_api IS
    'The role a request authenticated with an API key runs as: the key decides its tenant and permissions (ffrtmp.authenticate).';
GRANT ffrtmp_anon, ffrtmp_api TO ffrtmp_authenticator;
-- The key's user or role decides what it may do; the group gives the
-- EXECUTE privileges a tenant's API calls need.
GRANT ffrtmp_tenant TO ffrtmp_api;
COMMENT ON ROLE ffrtmp_api_admin IS
    'The role a request with the JWT of a superadmin (not narrowed below superadmin by ffrtmp_role) runs as, switched to by the pre-request function: ffrtmp_api''s privileges and ffrtmp_admin''s, so that the administrators'' functions may be executed.';
-- A superadmin's JWT: the database privileges follow the claims' user now
-- (ffrtmp.pre_request switches to it only while that user is a superadmin).
GRANT ffrtmp_api, ffrtmp_admin TO ffrtmp_api_admin;
GRANT ffrtmp_api_admin TO ffrtmp_authenticator;

-- add_tenant_role() grants ffrtmp_tenant to mapped roles while running as the owner.
GRANT ffrtmp_tenant TO ffrtmp_owner WITH ADMIN OPTION;
-- The scheduler's passes see every session in pg_stat_activity (session-bound nodes).
GRANT pg_read_all_stats TO ffrtmp_scheduler;

COMMENT ON SCHEMA ffrtmp IS
    'ffrtmp API: functions and security_invoker views; the schema PostgREST serves.';
GRANT USAGE ON SCHEMA ffrtmp TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner, ffrtmp_scheduler, ffrtmp_anon, ffrtmp_api;
-- PostgREST sets the role a verified JWT claims without comparing it with
-- the authenticator (v12.2.9, Query.hs setPgLocals), so a token claiming
-- ffrtmp_authenticator runs the pre-request function as the authenticator:
-- USAGE lets it reach ffrtmp.pre_request, which refuses that claim with 401
-- invalid_token.  It adds nothing: the authenticator may become ffrtmp_api,
-- which has USAGE, at any time, and NOINHERIT keeps every other privilege.
GRANT USAGE ON SCHEMA ffrtmp TO ffrtmp_authenticator;

CREATE SCHEMA ffrtmp_data;
COMMENT ON SCHEMA ffrtmp_data IS
    'ffrtmp internals: tables under FORCEd row-level security and helper functions. Use the ffrtmp schema instead.';
ALTER SCHEMA ffrtmp_data OWNER TO ffrtmp_owner;
GRANT USAGE ON SCHEMA ffrtmp_data TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

/*
 * Monitoring (docs/metrics.md).  ffrtmp_monitor is the group a metrics
 * scraper's login role joins (prometheus-postgres-exporter's): it may call
 * ffrtmp.metrics(), ffrtmp.health(), ffrtmp.ready() and the metric readers
 * of deploy/prometheus/queries.yaml, and nothing else.  The readers
 * aggregate across tenants for a caller mapped to no tenant, so they run as
 * ffrtmp_metrics_reader: BYPASSRLS, SELECT on the few tables they count, no
 * login, granted to no one.
 */
DO $monitor_roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_monitor') THEN
        CREATE ROLE ffrtmp_monitor NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_metrics_reader') THEN
        CREATE ROLE ffrtmp_metrics_reader NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$monitor_roles$;
COMMENT ON ROLE ffrtmp_monitor IS
    'Metrics scrapers: may execute ffrtmp.metrics(), ffrtmp.health(), ffrtmp.ready() and the metric readers (ffrtmp_data.metric_*) and nothing else; GRANT it to the exporter''s login role.';
COMMENT ON ROLE ffrtmp_metrics_reader IS
    'Owns the metric readers (ffrtmp_data.metric_*), which count across tenants for ffrtmp_monitor: BYPASSRLS with SELECT on tenants, plans, usage (with pending_usage, and the views tenant_limits and current_usage over them), jobs (with job_queue, its queued jobs) and nodes only; no login, granted to no one.';
