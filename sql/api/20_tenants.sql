-- Tenants: their status and quotas in force, who may see which rows, how the
-- API reads them, and the views of schema ffrtmp that show them.

/*
 * The status in force: deleted beats everything, a passed expires_at makes an
 * active tenant expired at once, whether or not the scheduler has run.  Expiry
 * counts from each statement's start, not the transaction's, so a transaction
 * that began before expires_at cannot go on submitting after it.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.effective_status(status text, expires_at timestamptz, deleted_at timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
            WHEN status = 'active' AND expires_at <= pg_catalog.statement_timestamp() THEN 'expired'
            ELSE status END;
COMMENT ON FUNCTION ffrtmp_data.effective_status(text, timestamptz, timestamptz) IS
    'The tenant status in force: deleted, expired (also once expires_at has passed, as of the current statement), suspended or active.';
REVOKE ALL ON FUNCTION ffrtmp_data.effective_status(text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.effective_status(text, timestamptz, timestamptz) TO PUBLIC;

/* Tenants are only ever soft-deleted: rows that refer to them (jobs) rely on it. */
CREATE OR REPLACE FUNCTION ffrtmp_data.tenants_refuse_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION 'tenants are never deleted'
        USING ERRCODE = 'PT409', HINT = 'Use ffrtmp.delete_tenant(), which keeps the row and marks it deleted.';
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.tenants_refuse_delete() IS 'Refuses DELETE on tenants: they are soft-deleted only.';
REVOKE ALL ON FUNCTION ffrtmp_data.tenants_refuse_delete() FROM PUBLIC;
CREATE OR REPLACE TRIGGER tenants_refuse_delete BEFORE DELETE ON ffrtmp_data.tenants
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.tenants_refuse_delete();

/*
 * pg_dump carries the default tenant's row and its usage row like any other
 * (an administrator may change its plan, quotas and metadata, and its jobs
 * count in its usage row), but pg_restore runs CREATE EXTENSION first, which
 * has made both already.  A restored row is written over the made one
 * instead of failing on its key, so they come back as they were dumped, but
 * only when the rows are a restore's and the database is new:
 * - a restore loads rows with COPY (pg_dump's formats without --inserts), so
 *   an INSERT of that key (ON CONFLICT DO NOTHING included) is left alone and
 *   meets the key as usual;
 * - the database holds nothing but what CREATE EXTENSION made: the default
 *   tenant as seeded (sql/schema/20_tenants.sql), no jobs, no nodes, no other
 *   tenant but those this COPY wrote, and usage counters that, once the
 *   restored ones are written, agree with the jobs and nodes restored before
 *   them (pg_restore loads tenants, then jobs and nodes, then usage).
 * A COPY into a database with data is refused, whole, so that nothing of the
 * dump is written over or among the live rows.  TG_ARGV[0] names the key.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.restore_over_default() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    key text := TG_ARGV[0];
    columns text;
    written bigint;
    fresh boolean;
BEGIN
    IF pg_catalog.current_query() !~* '^\s*copy\s' THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'tenants' THEN
        -- age(xmin) = 0: written by this transaction, i.e. earlier in this COPY.
        SELECT EXISTS (SELECT 1 FROM ffrtmp_data.tenants t
                        WHERE t.id = '00000000-0000-0000-0000-000000000000'
                          AND (t.name, t.display_name, t.description, t.plan, t.quota_overrides,
                               t.status, t.expires_at, t.metadata, t.deleted_at)
                              IS NOT DISTINCT FROM
                              ('default', 'Default tenant',
                               'Serves callers that are mapped to no tenant. Cannot be deleted or suspended.',
                               'enterprise',
                               '{"max_jobs": null, "max_workers": null, "max_cpu_cores": null, "max_gpus": null, "max_jobs_per_hour": null}'::jsonb,
                               'active', NULL::timestamptz, '{}'::jsonb, NULL::timestamptz))
           AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.jobs)
           AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.nodes)
           AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.tenants t
                            WHERE t.id <> '00000000-0000-0000-0000-000000000000' AND pg_catalog.age(t.xmin) > 0)
          INTO fresh;
    ELSE
        SELECT EXISTS (SELECT 1 FROM ffrtmp_data.usage u
                        WHERE u.tenant_id = '00000000-0000-0000-0000-000000000000'
                          AND u.active_jobs = 0 AND u.queued_jobs = 0 AND u.running_jobs = 0
                          AND u.cpu_cores_used = 0 AND u.gpus_used = 0 AND u.workers = 0
                          AND u.jobs_submitted = 0 AND u.vtime = 0
                          AND u.hour_counts = pg_catalog.array_fill(0, ARRAY[60])
                          AND u.hour_minutes = pg_catalog.array_fill(0::bigint, ARRAY[60]))
          INTO fresh;
    END IF;
    IF NOT fresh THEN
        RAISE EXCEPTION 'the default tenant''s % row is not the one CREATE EXTENSION made: this database already holds data', TG_TABLE_NAME
            USING ERRCODE = '55000',
                  DETAIL = 'A restore writes the dumped default tenant over the one CREATE EXTENSION made, and only in a new database.',
                  HINT = 'Restore into a new, empty database (docs/operations.md).';
    END IF;
    SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO columns
      FROM pg_catalog.pg_attribute a
     WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> key;
    EXECUTE pg_catalog.format('UPDATE %I.%I t SET (%s) = (SELECT %s FROM (SELECT ($1).*) n) WHERE t.%I = ($1).%I',
                              TG_TABLE_SCHEMA, TG_TABLE_NAME, columns, columns, key, key)
        USING NEW;
    GET DIAGNOSTICS written = ROW_COUNT;
    IF written = 0 THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'usage' AND EXISTS (SELECT 1 FROM ffrtmp.verify_usage() v
                                            WHERE v.tenant_id = '00000000-0000-0000-0000-000000000000') THEN
        RAISE EXCEPTION 'the restored usage counters of the default tenant do not match its jobs and nodes: this database already holds data'
            USING ERRCODE = '55000',
                  HINT = 'Restore into a new, empty database (docs/operations.md).';
    END IF;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.restore_over_default() IS
    'Trigger: a COPY (pg_restore after CREATE EXTENSION) of the default tenant''s row (tenants, usage) updates the one CREATE EXTENSION made, only while the database holds nothing else (else 55000, and the COPY writes nothing); an INSERT of that key is left to the key as usual.';
REVOKE ALL ON FUNCTION ffrtmp_data.restore_over_default() FROM PUBLIC;
CREATE OR REPLACE TRIGGER tenants_restore_default BEFORE INSERT ON ffrtmp_data.tenants
    FOR EACH ROW WHEN (NEW.id = '00000000-0000-0000-0000-000000000000')
    EXECUTE FUNCTION ffrtmp_data.restore_over_default('id');
COMMENT ON TRIGGER tenants_restore_default ON ffrtmp_data.tenants IS
    'pg_restore into a new database brings the default tenant''s row back over the one CREATE EXTENSION made.';
CREATE OR REPLACE TRIGGER usage_restore_default BEFORE INSERT ON ffrtmp_data.usage
    FOR EACH ROW WHEN (NEW.tenant_id = '00000000-0000-0000-0000-000000000000')
    EXECUTE FUNCTION ffrtmp_data.restore_over_default('tenant_id');
COMMENT ON TRIGGER usage_restore_default ON ffrtmp_data.usage IS
    'pg_restore into a new database brings the default tenant''s usage counters back over the ones CREATE EXTENSION made.';

/*
 * Effective quotas: a key present in quota_overrides wins (its JSON null meaning
 * unlimited), otherwise the plan's value.  A view, so the planner inlines it
 * into the submit path's single locking query.
 */
CREATE OR REPLACE VIEW ffrtmp_data.tenant_limits WITH (security_invoker = true) AS
SELECT t.id AS tenant_id,
       t.name,
       ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) AS effective_status,
       CASE WHEN t.quota_overrides ? 'max_jobs'
            THEN (t.quota_overrides ->> 'max_jobs')::integer ELSE p.max_jobs END AS max_jobs,
       CASE WHEN t.quota_overrides ? 'max_workers'
            THEN (t.quota_overrides ->> 'max_workers')::integer ELSE p.max_workers END AS max_workers,
       CASE WHEN t.quota_overrides ? 'max_cpu_cores'
            THEN (t.quota_overrides ->> 'max_cpu_cores')::integer ELSE p.max_cpu_cores END AS max_cpu_cores,
       CASE WHEN t.quota_overrides ? 'max_gpus'
            THEN (t.quota_overrides ->> 'max_gpus')::integer ELSE p.max_gpus END AS max_gpus,
       CASE WHEN t.quota_overrides ? 'max_jobs_per_hour'
            THEN (t.quota_overrides ->> 'max_jobs_per_hour')::integer ELSE p.max_jobs_per_hour END AS max_jobs_per_hour,
       p.weight
FROM ffrtmp_data.tenants t
JOIN ffrtmp_data.plans p ON p.name = t.plan;
COMMENT ON VIEW ffrtmp_data.tenant_limits IS 'Quotas in force per tenant: overrides over plan defaults; NULL means unlimited.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.name IS 'Tenant name.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.effective_status IS 'Status in force.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.max_jobs IS 'Active jobs allowed at once.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.max_workers IS 'Dedicated nodes allowed online.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.max_cpu_cores IS 'CPU cores running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.max_gpus IS 'GPUs running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.max_jobs_per_hour IS 'Submissions allowed in a rolling hour.';
COMMENT ON COLUMN ffrtmp_data.tenant_limits.weight IS 'Fair-share weight of the plan.';
ALTER VIEW ffrtmp_data.tenant_limits OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.tenant_limits TO ffrtmp_admin, ffrtmp_scheduler;

/* Submissions in the rolling hour that ends in minute now_minute (C: it runs on every submit). */
CREATE OR REPLACE FUNCTION ffrtmp_data.jobs_in_hour(counts integer[], minutes bigint[], now_minute bigint)
RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_jobs_in_hour'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.jobs_in_hour(integer[], bigint[], bigint) IS
    'Jobs submitted in the 60 one-minute buckets ending at now_minute, and in any later one (filled by transactions that began after the caller''s).';
REVOKE ALL ON FUNCTION ffrtmp_data.jobs_in_hour(integer[], bigint[], bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.jobs_in_hour(integer[], bigint[], bigint) TO PUBLIC;

/* What is left under a quota: NULL when unlimited, never below zero. */
CREATE OR REPLACE FUNCTION ffrtmp_data.quota_left("limit" integer, used integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN "limit" IS NULL THEN NULL ELSE greatest("limit" - used, 0) END;
COMMENT ON FUNCTION ffrtmp_data.quota_left(integer, integer) IS
    'Room left under a quota: NULL (unlimited) when the limit is NULL, otherwise limit - used, at least 0.';
REVOKE ALL ON FUNCTION ffrtmp_data.quota_left(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.quota_left(integer, integer) TO PUBLIC;

-- Row-level security: ENABLEd and FORCEd on every table that holds tenants'
-- rows (sql/schema/), so that the owner (and so every SECURITY DEFINER API
-- function) is confined too.  Administrators see every tenant; everyone else
-- sees only current_tenant().
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.tenants;
CREATE POLICY tenant_isolation ON ffrtmp_data.tenants
    USING (ffrtmp.caller_is_admin() OR id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.tenants IS 'A tenant sees its own row; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.tenant_roles;
CREATE POLICY tenant_isolation ON ffrtmp_data.tenant_roles
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.tenant_roles IS 'A tenant sees its own role mappings; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.usage;
CREATE POLICY tenant_isolation ON ffrtmp_data.usage
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.usage IS 'A tenant sees its own counters; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.pending_usage;
CREATE POLICY tenant_isolation ON ffrtmp_data.pending_usage
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.pending_usage IS 'A tenant sees its own pending counter changes; administrators see all.';

/*
 * The usage counters as they are: each usage row plus the changes pending
 * for it (ffrtmp_data.pending_usage).  A reader that must be exact reads
 * this, in one snapshot; a fold moves rows from one table to the other in
 * one transaction, so no snapshot counts a change twice or misses it.
 */
CREATE OR REPLACE VIEW ffrtmp_data.current_usage WITH (security_invoker = true) AS
SELECT u.tenant_id,
       u.active_jobs + coalesce(p.active_jobs, 0) AS active_jobs,
       u.queued_jobs + coalesce(p.queued_jobs, 0) AS queued_jobs,
       u.running_jobs + coalesce(p.running_jobs, 0) AS running_jobs,
       u.cpu_cores_used + coalesce(p.cpu_cores_used, 0) AS cpu_cores_used,
       u.gpus_used + coalesce(p.gpus_used, 0) AS gpus_used,
       u.workers, u.jobs_submitted, u.hour_counts, u.hour_minutes, u.vtime
  FROM ffrtmp_data.usage u
  LEFT JOIN (SELECT d.tenant_id, sum(d.active_jobs)::integer AS active_jobs,
                    sum(d.queued_jobs)::integer AS queued_jobs, sum(d.running_jobs)::integer AS running_jobs,
                    sum(d.cpu_cores_used)::integer AS cpu_cores_used, sum(d.gpus_used)::integer AS gpus_used
               FROM ffrtmp_data.pending_usage d GROUP BY d.tenant_id) p ON p.tenant_id = u.tenant_id;
COMMENT ON VIEW ffrtmp_data.current_usage IS 'The usage counters with the changes pending for them added: what usage holds once folded.';
COMMENT ON COLUMN ffrtmp_data.current_usage.tenant_id IS 'The tenant counted.';
COMMENT ON COLUMN ffrtmp_data.current_usage.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused.';
COMMENT ON COLUMN ffrtmp_data.current_usage.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp_data.current_usage.running_jobs IS 'Jobs assigned, running or paused on a node.';
COMMENT ON COLUMN ffrtmp_data.current_usage.cpu_cores_used IS 'CPU cores held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.current_usage.gpus_used IS 'GPUs held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.current_usage.workers IS 'Dedicated nodes online or draining.';
COMMENT ON COLUMN ffrtmp_data.current_usage.jobs_submitted IS 'Jobs ever submitted; the last per-tenant job number.';
COMMENT ON COLUMN ffrtmp_data.current_usage.hour_counts IS 'Submissions per minute, a ring of 60 buckets indexed by minute % 60.';
COMMENT ON COLUMN ffrtmp_data.current_usage.hour_minutes IS 'The minute (since the epoch) each hour_counts bucket holds.';
COMMENT ON COLUMN ffrtmp_data.current_usage.vtime IS 'Fair-share virtual time.';
ALTER VIEW ffrtmp_data.current_usage OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.current_usage TO ffrtmp_admin, ffrtmp_scheduler;

/*
 * Folds the pending changes of the given tenants into their usage rows,
 * which the caller must hold locked: its statement then reads a snapshot
 * taken under the locks, and no other fold of those tenants can run until
 * the caller commits.  Returns how many usage rows changed.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.fold_pending_usage(tenants uuid[]) RETURNS integer
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH p AS (
        DELETE FROM ffrtmp_data.pending_usage p WHERE p.tenant_id = ANY (fold_pending_usage.tenants)
        RETURNING p.tenant_id, p.active_jobs, p.queued_jobs, p.running_jobs, p.cpu_cores_used, p.gpus_used),
    s AS (
        SELECT p.tenant_id, sum(p.active_jobs)::integer AS active_jobs, sum(p.queued_jobs)::integer AS queued_jobs,
               sum(p.running_jobs)::integer AS running_jobs, sum(p.cpu_cores_used)::integer AS cpu_cores_used,
               sum(p.gpus_used)::integer AS gpus_used
          FROM p GROUP BY p.tenant_id),
    folded AS (
        UPDATE ffrtmp_data.usage u
           SET active_jobs = u.active_jobs + s.active_jobs, queued_jobs = u.queued_jobs + s.queued_jobs,
               running_jobs = u.running_jobs + s.running_jobs, cpu_cores_used = u.cpu_cores_used + s.cpu_cores_used,
               gpus_used = u.gpus_used + s.gpus_used
          FROM s WHERE u.tenant_id = s.tenant_id
        RETURNING 1)
    SELECT count(*)::integer FROM folded;
END;
COMMENT ON FUNCTION ffrtmp_data.fold_pending_usage(uuid[]) IS
    'Moves the pending usage changes of the given tenants, whose usage rows the caller holds locked, into those rows; returns how many rows changed.';
ALTER FUNCTION ffrtmp_data.fold_pending_usage(uuid[]) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.fold_pending_usage(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.fold_pending_usage(uuid[]) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * Reads without side channels.  Row-level security filters rows after the
 * scan, and EXPLAIN ANALYZE shows the caller every scan's row counts ("Rows
 * Removed by Filter", heap fetches, loops, memory), its estimates and, through
 * pg_stats, the columns' most common values: a tenant that may SELECT a shared
 * table learns the existence, count and content of other tenants' rows.
 *
 * So tenant principals (ffrtmp_tenant and every role mapped to a tenant) get
 * no privilege at all on a table or view that holds tenant rows.  They read
 * through the views of schema ffrtmp, which call the SECURITY DEFINER
 * set-returning functions ffrtmp_data.read_*(): EXPLAIN shows the caller a
 * Function Scan that returns its own rows and nothing of the scan inside.
 * Inside, a tenant's scan is confined to its tenant by an index condition on
 * tenant_id (so its cost is that of the tenant's own rows), an administrator's
 * reads every row, and FORCEd row-level security stays as the second wall.
 * Lookup tables without tenant rows (plans, job_states, job_transitions,
 * failure_reasons) stay directly readable.
 *
 * Each reader is one UNION ALL of two branches of which one-time filters run
 * exactly one: every row for an administrator, else the rows whose tenant_id
 * equals the caller's tenant (an index condition).  They are SECURITY DEFINER
 * (so not inlined: the caller's plan shows a Function Scan only) and STABLE
 * (one snapshot, like a view).
 */

/* The row of ffrtmp.tenants: a tenant with the quotas in force, for the owner's own reads. */
CREATE OR REPLACE VIEW ffrtmp_data.tenant_rows WITH (security_invoker = true) AS
SELECT t.id, t.name, t.display_name, t.description, t.plan, t.status,
       ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) AS effective_status,
       t.expires_at, t.quota_overrides,
       l.max_jobs, l.max_workers, l.max_cpu_cores, l.max_gpus, l.max_jobs_per_hour,
       t.metadata, t.created_at, t.updated_at, t.deleted_at
FROM ffrtmp_data.tenants t
JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = t.id;
COMMENT ON VIEW ffrtmp_data.tenant_rows IS 'Tenants with their quotas in force: what ffrtmp.tenants shows, for the API functions (tenant roles read ffrtmp.tenants).';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.id IS 'Tenant id.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.name IS 'Unique slug.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.display_name IS 'Name shown to people.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.description IS 'Free text.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.plan IS 'Plan.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.status IS 'Status as set.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.effective_status IS 'Status in force.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.expires_at IS 'When the tenant expires.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.quota_overrides IS 'Quotas set for this tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_jobs IS 'Active jobs allowed at once.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_workers IS 'Dedicated nodes allowed online.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_cpu_cores IS 'CPU cores running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_gpus IS 'GPUs running jobs may hold.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.max_jobs_per_hour IS 'Submissions allowed in a rolling hour.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.metadata IS 'Caller-defined JSON object.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.created_at IS 'When created.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.updated_at IS 'When last changed.';
COMMENT ON COLUMN ffrtmp_data.tenant_rows.deleted_at IS 'When soft-deleted.';
ALTER VIEW ffrtmp_data.tenant_rows OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.tenant_rows TO ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_tenants() RETURNS SETOF ffrtmp_data.tenant_rows
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.tenant_rows t WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.tenant_rows t WHERE NOT ffrtmp.caller_is_admin() AND t.id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_tenants() IS 'The tenants the caller may see (all for administrators, else its own), read without showing the caller the scan: behind ffrtmp.tenants.';
ALTER FUNCTION ffrtmp_data.read_tenants() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_tenants() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_tenant_roles() RETURNS SETOF ffrtmp_data.tenant_roles
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM ffrtmp_data.tenant_roles r WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT * FROM ffrtmp_data.tenant_roles r WHERE NOT ffrtmp.caller_is_admin() AND r.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_tenant_roles() IS 'The role mappings the caller may see, read without showing the caller the scan: behind ffrtmp.tenant_roles.';
ALTER FUNCTION ffrtmp_data.read_tenant_roles() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_tenant_roles() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_tenant_roles() TO ffrtmp_admin, ffrtmp_tenant;

-- The API views: security_invoker, so that nothing runs with the view owner's rights.
CREATE OR REPLACE VIEW ffrtmp.tenants WITH (security_invoker = true) AS
SELECT id, name, display_name, description, plan, status, effective_status, expires_at, quota_overrides,
       max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, metadata, created_at, updated_at, deleted_at
FROM ffrtmp_data.read_tenants();
COMMENT ON VIEW ffrtmp.tenants IS 'Tenants the caller may see, with their quotas in force (NULL = unlimited).';
COMMENT ON COLUMN ffrtmp.tenants.id IS 'Tenant id.';
COMMENT ON COLUMN ffrtmp.tenants.name IS 'Unique slug.';
COMMENT ON COLUMN ffrtmp.tenants.display_name IS 'Name shown to people.';
COMMENT ON COLUMN ffrtmp.tenants.description IS 'Free text.';
COMMENT ON COLUMN ffrtmp.tenants.plan IS 'free, basic, pro or enterprise.';
COMMENT ON COLUMN ffrtmp.tenants.status IS 'Status as set: active, suspended or expired.';
COMMENT ON COLUMN ffrtmp.tenants.effective_status IS 'Status in force: deleted, expired (also past expires_at), suspended or active. Only active tenants may submit.';
COMMENT ON COLUMN ffrtmp.tenants.expires_at IS 'When the tenant expires.';
COMMENT ON COLUMN ffrtmp.tenants.quota_overrides IS 'Quotas set for this tenant, replacing the plan''s.';
COMMENT ON COLUMN ffrtmp.tenants.max_jobs IS 'Active jobs allowed at once.';
COMMENT ON COLUMN ffrtmp.tenants.max_workers IS 'Dedicated nodes allowed online.';
COMMENT ON COLUMN ffrtmp.tenants.max_cpu_cores IS 'CPU cores running jobs may hold.';
COMMENT ON COLUMN ffrtmp.tenants.max_gpus IS 'GPUs running jobs may hold.';
COMMENT ON COLUMN ffrtmp.tenants.max_jobs_per_hour IS 'Submissions allowed in a rolling hour.';
COMMENT ON COLUMN ffrtmp.tenants.metadata IS 'Caller-defined JSON object.';
COMMENT ON COLUMN ffrtmp.tenants.created_at IS 'When created.';
COMMENT ON COLUMN ffrtmp.tenants.updated_at IS 'When last changed.';
COMMENT ON COLUMN ffrtmp.tenants.deleted_at IS 'When soft-deleted; NULL while it exists.';
GRANT SELECT ON ffrtmp.tenants TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.tenant_roles WITH (security_invoker = true) AS
SELECT tenant_id, role_name, created_at FROM ffrtmp_data.read_tenant_roles();
COMMENT ON VIEW ffrtmp.tenant_roles IS 'Database roles and the tenant each acts for.';
COMMENT ON COLUMN ffrtmp.tenant_roles.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.tenant_roles.role_name IS 'Database role.';
COMMENT ON COLUMN ffrtmp.tenant_roles.created_at IS 'Mapped at.';
GRANT SELECT ON ffrtmp.tenant_roles TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE VIEW ffrtmp.plans WITH (security_invoker = true) AS
SELECT name, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, weight, description,
       max_api_requests_per_minute
FROM ffrtmp_data.plans;
COMMENT ON VIEW ffrtmp.plans IS 'Plans and their default quotas (NULL = unlimited).';
COMMENT ON COLUMN ffrtmp.plans.name IS 'Plan name.';
COMMENT ON COLUMN ffrtmp.plans.max_jobs IS 'Active jobs at once.';
COMMENT ON COLUMN ffrtmp.plans.max_workers IS 'Dedicated nodes online.';
COMMENT ON COLUMN ffrtmp.plans.max_cpu_cores IS 'CPU cores in use.';
COMMENT ON COLUMN ffrtmp.plans.max_gpus IS 'GPUs in use.';
COMMENT ON COLUMN ffrtmp.plans.max_jobs_per_hour IS 'Submissions per rolling hour.';
COMMENT ON COLUMN ffrtmp.plans.weight IS 'Fair-share weight.';
COMMENT ON COLUMN ffrtmp.plans.description IS 'Description.';
COMMENT ON COLUMN ffrtmp.plans.max_api_requests_per_minute IS 'REST API requests a minute (HTTP 429 past it; 0: none allowed).';
GRANT SELECT ON ffrtmp.plans TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;
