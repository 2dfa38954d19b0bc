-- Plans, tenants, their role mappings and their usage counters.

CREATE TABLE ffrtmp_data.plans (
    name              text PRIMARY KEY,
    max_jobs          integer CHECK (max_jobs >= 0),
    max_workers       integer CHECK (max_workers >= 0),
    max_cpu_cores     integer CHECK (max_cpu_cores >= 0),
    max_gpus          integer CHECK (max_gpus >= 0),
    max_jobs_per_hour integer CHECK (max_jobs_per_hour >= 0),
    weight            integer NOT NULL DEFAULT 1 CHECK (weight > 0),
    description       text NOT NULL DEFAULT ''
);
COMMENT ON TABLE ffrtmp_data.plans IS 'Subscription plans and their default quotas; NULL means unlimited.';
COMMENT ON COLUMN ffrtmp_data.plans.name IS 'Plan name: free, basic, pro or enterprise.';
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs IS 'Most active (queued, assigned, running or retrying) jobs a tenant may have at once.';
COMMENT ON COLUMN ffrtmp_data.plans.max_workers IS 'Most online dedicated worker nodes a tenant may have.';
COMMENT ON COLUMN ffrtmp_data.plans.max_cpu_cores IS 'Most CPU cores a tenant''s running jobs may hold at once; also the largest single job.';
COMMENT ON COLUMN ffrtmp_data.plans.max_gpus IS 'Most GPUs a tenant''s running jobs may hold at once; also the largest single job.';
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs_per_hour IS 'Most jobs a tenant may submit in a rolling hour (counted in one-minute buckets).';
COMMENT ON COLUMN ffrtmp_data.plans.weight IS 'Fair-share weight used by the scheduler.';
COMMENT ON COLUMN ffrtmp_data.plans.description IS 'Human description of the plan.';

INSERT INTO ffrtmp_data.plans
    (name, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, weight, description)
VALUES
    ('free',         10,    2,    4,    0,  100, 1, 'Evaluation: small jobs, no GPUs'),
    ('basic',        50,    5,   20,    1,  500, 2, 'Small teams'),
    ('pro',         200,   20,  100,    5, 2000, 4, 'Production workloads'),
    ('enterprise', NULL, NULL, NULL, NULL, NULL, 8, 'Unlimited');

CREATE TABLE ffrtmp_data.tenants (
    id              uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    name            text NOT NULL,
    display_name    text,
    description     text,
    plan            text NOT NULL REFERENCES ffrtmp_data.plans (name),
    quota_overrides jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'suspended', 'expired')),
    expires_at      timestamptz,
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deleted_at      timestamptz,
    CONSTRAINT tenants_name_key UNIQUE (name),
    CONSTRAINT tenants_name_is_slug CHECK (name ~ '^[a-z][a-z0-9-]{0,61}[a-z0-9]$' OR name ~ '^[a-z]$'),
    CONSTRAINT tenants_quota_overrides_is_object CHECK (pg_catalog.jsonb_typeof(quota_overrides) = 'object'),
    CONSTRAINT tenants_metadata_is_object CHECK (pg_catalog.jsonb_typeof(metadata) = 'object')
);
COMMENT ON TABLE ffrtmp_data.tenants IS 'Tenants: the unit of isolation, quota and billing. Rows are never deleted, only marked deleted_at.';
COMMENT ON COLUMN ffrtmp_data.tenants.id IS 'Generated tenant id.';
COMMENT ON COLUMN ffrtmp_data.tenants.name IS 'Unique slug: lower-case letters, digits and hyphens, 1 to 63 characters, starting with a letter.';
COMMENT ON COLUMN ffrtmp_data.tenants.display_name IS 'Name shown to people.';
COMMENT ON COLUMN ffrtmp_data.tenants.description IS 'Free text.';
COMMENT ON COLUMN ffrtmp_data.tenants.plan IS 'Plan giving the default quotas.';
COMMENT ON COLUMN ffrtmp_data.tenants.quota_overrides IS 'Per-tenant quotas replacing the plan''s: {"max_jobs": 500, "max_gpus": null} (null means unlimited).';
COMMENT ON COLUMN ffrtmp_data.tenants.status IS 'active, suspended or expired, as set; see ffrtmp.tenants.effective_status for the status in force.';
COMMENT ON COLUMN ffrtmp_data.tenants.expires_at IS 'When the tenant expires; from then on it behaves as expired.';
COMMENT ON COLUMN ffrtmp_data.tenants.metadata IS 'Caller-defined JSON object, at most 16 KiB and 8 levels deep.';
COMMENT ON COLUMN ffrtmp_data.tenants.created_at IS 'When the tenant was created.';
COMMENT ON COLUMN ffrtmp_data.tenants.updated_at IS 'When the tenant was last changed.';
COMMENT ON COLUMN ffrtmp_data.tenants.deleted_at IS 'When the tenant was soft-deleted; NULL while it exists.';

/* Tenants are only ever soft-deleted: rows that refer to them (jobs) rely on it. */
CREATE FUNCTION ffrtmp_data.tenants_refuse_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    RAISE EXCEPTION 'tenants are never deleted'
        USING ERRCODE = 'PT409', HINT = 'Use ffrtmp.delete_tenant(), which keeps the row and marks it deleted.';
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.tenants_refuse_delete() IS 'Refuses DELETE on tenants: they are soft-deleted only.';
CREATE TRIGGER tenants_refuse_delete BEFORE DELETE ON ffrtmp_data.tenants
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.tenants_refuse_delete();

-- The default tenant serves callers that name no tenant.  Its id is the nil UUID.
INSERT INTO ffrtmp_data.tenants (id, name, display_name, description, plan, quota_overrides)
VALUES ('00000000-0000-0000-0000-000000000000', 'default', 'Default tenant',
        'Serves callers that are mapped to no tenant. Cannot be deleted or suspended.',
        'enterprise',
        '{"max_jobs": null, "max_workers": null, "max_cpu_cores": null, "max_gpus": null, "max_jobs_per_hour": null}');

/*
 * The status in force: deleted beats everything, a passed expires_at makes an
 * active tenant expired at once, whether or not the scheduler has run.
 */
CREATE FUNCTION ffrtmp_data.effective_status(status text, expires_at timestamptz, deleted_at timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
            WHEN status = 'active' AND expires_at <= pg_catalog.now() THEN 'expired'
            ELSE status END;
COMMENT ON FUNCTION ffrtmp_data.effective_status(text, timestamptz, timestamptz) IS
    'The tenant status in force: deleted, expired (also once expires_at has passed), suspended or active.';

/*
 * Effective quotas: a key present in quota_overrides wins (its JSON null meaning
 * unlimited), otherwise the plan's value.  A view, so the planner inlines it
 * into the submit path's single locking query.
 */
CREATE VIEW ffrtmp_data.tenant_limits WITH (security_invoker = true) AS
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

CREATE TABLE ffrtmp_data.tenant_roles (
    role_name  name PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX tenant_roles_tenant_idx ON ffrtmp_data.tenant_roles (tenant_id);
COMMENT ON TABLE ffrtmp_data.tenant_roles IS 'Database roles mapped to the one tenant they act for.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.role_name IS 'The mapped role, by name (so that a dump restored elsewhere maps the same roles); a role acts for at most one tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.tenant_id IS 'The tenant the role acts for.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.created_at IS 'When the mapping was made.';

/*
 * One row per tenant, changed in the same transaction as the jobs and nodes it
 * counts, so that quota checks read one locked row instead of counting.  No
 * CHECK constraints: the row is updated on every submit, and
 * ffrtmp.verify_usage() recounts it instead.
 */
CREATE TABLE ffrtmp_data.usage (
    tenant_id       uuid PRIMARY KEY REFERENCES ffrtmp_data.tenants (id),
    active_jobs     integer NOT NULL DEFAULT 0,
    queued_jobs     integer NOT NULL DEFAULT 0,
    running_jobs    integer NOT NULL DEFAULT 0,
    cpu_cores_used  integer NOT NULL DEFAULT 0,
    gpus_used       integer NOT NULL DEFAULT 0,
    workers         integer NOT NULL DEFAULT 0,
    jobs_submitted  bigint  NOT NULL DEFAULT 0,
    hour_counts     integer[] NOT NULL DEFAULT pg_catalog.array_fill(0, ARRAY[60]),
    hour_minutes    bigint[]  NOT NULL DEFAULT pg_catalog.array_fill(0::bigint, ARRAY[60]),
    vtime           double precision NOT NULL DEFAULT 0
);
COMMENT ON TABLE ffrtmp_data.usage IS 'Per-tenant counters kept exact by the transactions that change jobs and nodes.';
COMMENT ON COLUMN ffrtmp_data.usage.tenant_id IS 'The tenant counted.';
COMMENT ON COLUMN ffrtmp_data.usage.active_jobs IS 'Jobs queued, assigned, running or retrying.';
COMMENT ON COLUMN ffrtmp_data.usage.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp_data.usage.running_jobs IS 'Jobs assigned or running on a node.';
COMMENT ON COLUMN ffrtmp_data.usage.cpu_cores_used IS 'CPU cores held by assigned and running jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.gpus_used IS 'GPUs held by assigned and running jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.workers IS 'Dedicated nodes online or draining.';
COMMENT ON COLUMN ffrtmp_data.usage.jobs_submitted IS 'Jobs ever submitted; the last per-tenant job number.';
COMMENT ON COLUMN ffrtmp_data.usage.hour_counts IS 'Submissions per minute, a ring of 60 buckets indexed by minute % 60.';
COMMENT ON COLUMN ffrtmp_data.usage.hour_minutes IS 'The minute (since the epoch) each hour_counts bucket holds.';
COMMENT ON COLUMN ffrtmp_data.usage.vtime IS 'Fair-share virtual time: jobs dispatched divided by weight, never behind the least-served waiting tenant.';

INSERT INTO ffrtmp_data.usage (tenant_id) VALUES ('00000000-0000-0000-0000-000000000000');

/* Submissions in the rolling hour that ends in minute now_minute (C: it runs on every submit). */
CREATE FUNCTION ffrtmp_data.jobs_in_hour(counts integer[], minutes bigint[], now_minute bigint)
RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_jobs_in_hour'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.jobs_in_hour(integer[], bigint[], bigint) IS
    'Jobs submitted in the 60 one-minute buckets ending at now_minute.';

/* What is left under a quota: NULL when unlimited, never below zero. */
CREATE FUNCTION ffrtmp_data.quota_left("limit" integer, used integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN "limit" IS NULL THEN NULL ELSE greatest("limit" - used, 0) END;
COMMENT ON FUNCTION ffrtmp_data.quota_left(integer, integer) IS
    'Room left under a quota: NULL (unlimited) when the limit is NULL, otherwise limit - used, at least 0.';
