-- Plans, tenants, their role mappings and their usage counters.  Tables belong
-- to ffrtmp_owner, which has no BYPASSRLS, so FORCEd row-level security
-- confines the API functions that run as it.  Callers get SELECT (filtered by
-- row-level security) at most, never INSERT, UPDATE or DELETE: every change
-- goes through the API.  Tables holding tenants' rows are marked for pg_dump,
-- the default tenant's rows included: CREATE EXTENSION makes them again on
-- restore, and a trigger writes the restored ones over them
-- (ffrtmp_data.restore_over_default, sql/api/20_tenants.sql).

CREATE TABLE ffrtmp_data.plans (
    name              text PRIMARY KEY,
    max_jobs          integer CHECK (max_jobs >= 0),
    max_workers       integer CHECK (max_workers >= 0),
    max_cpu_cores     integer CHECK (max_cpu_cores >= 0),
    max_gpus          integer CHECK (max_gpus >= 0),
    max_jobs_per_hour integer CHECK (max_jobs_per_hour >= 0),
    weight            integer NOT NULL DEFAULT 1 CHECK (weight > 0),
    description       text NOT NULL DEFAULT '',
    max_api_requests_per_minute integer CHECK (max_api_requests_per_minute >= 0)
);
COMMENT ON TABLE ffrtmp_data.plans IS 'Subscription plans and their default quotas; NULL means unlimited.';
COMMENT ON COLUMN ffrtmp_data.plans.name IS 'Plan name: free, basic, pro or enterprise.';
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs IS 'Most active (queued, assigned, running, retrying, held or paused) jobs a tenant may have at once.';
COMMENT ON COLUMN ffrtmp_data.plans.max_workers IS 'Most online dedicated worker nodes a tenant may have.';
COMMENT ON COLUMN ffrtmp_data.plans.max_cpu_cores IS 'Most CPU cores a tenant''s running jobs may hold at once; also the largest single job.';
COMMENT ON COLUMN ffrtmp_data.plans.max_gpus IS 'Most GPUs a tenant''s running jobs may hold at once; also the largest single job.';
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs_per_hour IS 'Most jobs a tenant may submit in a rolling hour (counted in one-minute buckets).';
COMMENT ON COLUMN ffrtmp_data.plans.max_api_requests_per_minute IS 'REST API requests a tenant may make: a bucket of this many requests, refilled at this many a minute (so at most twice as many in any one minute; ffrtmp_data.count_api_request); 0 refuses every request; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp_data.plans.weight IS 'Fair-share weight used by the scheduler.';
COMMENT ON COLUMN ffrtmp_data.plans.description IS 'Human description of the plan.';
ALTER TABLE ffrtmp_data.plans OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.plans TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

INSERT INTO ffrtmp_data.plans
    (name, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, weight, description, max_api_requests_per_minute)
VALUES
    ('free',         10,    2,    4,    0,  100, 1, 'Evaluation: small jobs, no GPUs',   60),
    ('basic',        50,    5,   20,    1,  500, 2, 'Small teams',                     300),
    ('pro',         200,   20,  100,    5, 2000, 4, 'Production workloads',           1200),
    ('enterprise', NULL, NULL, NULL, NULL, NULL, 8, 'Unlimited',                      NULL);

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
COMMENT ON COLUMN ffrtmp_data.tenants.display_name IS 'Name shown to people: one line, at most 200 characters, no control characters.';
COMMENT ON COLUMN ffrtmp_data.tenants.description IS 'Free text: at most 4000 characters; newlines and tabs allowed, no other control characters.';
COMMENT ON COLUMN ffrtmp_data.tenants.plan IS 'Plan giving the default quotas.';
COMMENT ON COLUMN ffrtmp_data.tenants.quota_overrides IS 'Per-tenant quotas replacing the plan''s: {"max_jobs": 500, "max_gpus": null} (null means unlimited).';
COMMENT ON COLUMN ffrtmp_data.tenants.status IS 'active, suspended or expired, as set; see ffrtmp.tenants.effective_status for the status in force.';
COMMENT ON COLUMN ffrtmp_data.tenants.expires_at IS 'When the tenant expires; from then on it behaves as expired.';
COMMENT ON COLUMN ffrtmp_data.tenants.metadata IS 'Caller-defined JSON object, at most 16 KiB and 8 levels deep.';
COMMENT ON COLUMN ffrtmp_data.tenants.created_at IS 'When the tenant was created.';
COMMENT ON COLUMN ffrtmp_data.tenants.updated_at IS 'When the tenant was last changed.';
COMMENT ON COLUMN ffrtmp_data.tenants.deleted_at IS 'When the tenant was soft-deleted; NULL while it exists.';
ALTER TABLE ffrtmp_data.tenants OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.tenants FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.tenants TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.tenants TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.tenants', '');

-- The default tenant serves callers that name no tenant.  Its id is the nil UUID.
INSERT INTO ffrtmp_data.tenants (id, name, display_name, description, plan, quota_overrides)
VALUES ('00000000-0000-0000-0000-000000000000', 'default', 'Default tenant',
        'Serves callers that are mapped to no tenant. Cannot be deleted or suspended.',
        'enterprise',
        '{"max_jobs": null, "max_workers": null, "max_cpu_cores": null, "max_gpus": null, "max_jobs_per_hour": null}');

CREATE TABLE ffrtmp_data.tenant_roles (
    role_name  name PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    role_oid   oid
);
CREATE INDEX tenant_roles_tenant_idx ON ffrtmp_data.tenant_roles (tenant_id);
COMMENT ON TABLE ffrtmp_data.tenant_roles IS 'Database roles mapped to the one tenant they act for.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.role_name IS 'The mapped role, by name; a role acts for at most one tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.tenant_id IS 'The tenant the role acts for.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.created_at IS 'When the mapping was made.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.role_oid IS 'The OID the role had when it was mapped: PostgreSQL tells no extension of DROP ROLE, so a mapping whose role of that name has another OID (dropped and created again, or a restore into another cluster) is no mapping until it is made again; ffrtmp.ready() lists it. NULL (a 0.1 mapping of a role gone before the update) never matches.';
ALTER TABLE ffrtmp_data.tenant_roles OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.tenant_roles FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.tenant_roles TO ffrtmp_admin;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.tenant_roles', '');

/*
 * One row per tenant, changed in the same transaction as the jobs and nodes it
 * counts, so that quota checks read one locked row instead of counting.  No
 * CHECK constraints: the row is updated on every submit, and
 * ffrtmp.verify_usage() recounts it instead.  fillfactor 10: a row version
 * placed on another page gets a page of its own (the table is one row per
 * tenant), so its next versions fit beside it as heap-only tuples and add
 * no index entry.  Each new entry for a key makes the unique check visit
 * every version the key's entries point to, and the versions one
 * transaction writes (a statement submitting many jobs) cannot be pruned
 * before it ends.
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
) WITH (fillfactor = 10);
COMMENT ON TABLE ffrtmp_data.usage IS 'Per-tenant counters kept exact by the transactions that change jobs and nodes.';
COMMENT ON COLUMN ffrtmp_data.usage.tenant_id IS 'The tenant counted.';
COMMENT ON COLUMN ffrtmp_data.usage.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused.';
COMMENT ON COLUMN ffrtmp_data.usage.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp_data.usage.running_jobs IS 'Jobs assigned, running or paused on a node.';
COMMENT ON COLUMN ffrtmp_data.usage.cpu_cores_used IS 'CPU cores held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.gpus_used IS 'GPUs held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.workers IS 'Dedicated nodes online or draining.';
COMMENT ON COLUMN ffrtmp_data.usage.jobs_submitted IS 'Jobs ever submitted; the last per-tenant job number.';
COMMENT ON COLUMN ffrtmp_data.usage.hour_counts IS 'Submissions per minute, a ring of 60 buckets indexed by minute % 60.';
COMMENT ON COLUMN ffrtmp_data.usage.hour_minutes IS 'The minute (since the epoch) each hour_counts bucket holds.';
COMMENT ON COLUMN ffrtmp_data.usage.vtime IS 'Fair-share virtual time: jobs dispatched divided by weight, never behind the least-served waiting tenant.';
ALTER TABLE ffrtmp_data.usage OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.usage FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.usage TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.usage TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.usage', '');

INSERT INTO ffrtmp_data.usage (tenant_id) VALUES ('00000000-0000-0000-0000-000000000000');

/*
 * Changes to the job counters of usage not yet folded into it: the jobs
 * trigger inserts one row per tenant and statement for a change that takes
 * no quota (a job finishing, failing, canceled, waiting again), so that a
 * node finishing work never waits for, nor locks, a tenant's usage row.
 * Whoever holds a usage row may fold its rows into it (a scheduler pass, a
 * quota check before it refuses); what is exact is the row plus its pending
 * rows (ffrtmp_data.current_usage).  Named to sort before usage: pg_restore
 * loads it first, so the check of a restored usage row counts it.
 */
CREATE TABLE ffrtmp_data.pending_usage (
    tenant_id       uuid NOT NULL,
    active_jobs     integer NOT NULL,
    queued_jobs     integer NOT NULL,
    running_jobs    integer NOT NULL,
    cpu_cores_used  integer NOT NULL,
    gpus_used       integer NOT NULL
);
CREATE INDEX pending_usage_tenant_idx ON ffrtmp_data.pending_usage (tenant_id);
COMMENT ON TABLE ffrtmp_data.pending_usage IS 'Changes to the job counters of usage that take no quota, not yet folded into usage (ffrtmp_data.current_usage adds them).';
COMMENT ON COLUMN ffrtmp_data.pending_usage.tenant_id IS 'The tenant counted.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.active_jobs IS 'Change to usage.active_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.queued_jobs IS 'Change to usage.queued_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.running_jobs IS 'Change to usage.running_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.cpu_cores_used IS 'Change to usage.cpu_cores_used.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.gpus_used IS 'Change to usage.gpus_used.';
ALTER TABLE ffrtmp_data.pending_usage OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.pending_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.pending_usage FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.pending_usage TO ffrtmp_admin;
GRANT SELECT, INSERT, DELETE ON ffrtmp_data.pending_usage TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.pending_usage', '');
