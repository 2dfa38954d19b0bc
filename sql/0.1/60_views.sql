-- The API's read side: security_invoker views, so row-level security applies
-- to the caller, never to the view's owner.

CREATE VIEW ffrtmp.tenants WITH (security_invoker = true) AS
SELECT t.id, t.name, t.display_name, t.description, t.plan, t.status,
       ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) AS effective_status,
       t.expires_at, t.quota_overrides,
       l.max_jobs, l.max_workers, l.max_cpu_cores, l.max_gpus, l.max_jobs_per_hour,
       t.metadata, t.created_at, t.updated_at, t.deleted_at
FROM ffrtmp_data.tenants t
JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = t.id;
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

-- Same columns, same order as the table: submit_job returns the inserted row as this type.
CREATE VIEW ffrtmp.jobs WITH (security_invoker = true) AS
SELECT * FROM ffrtmp_data.jobs;
COMMENT ON VIEW ffrtmp.jobs IS 'Jobs the caller may see. Change them with submit_job, cancel_job and retry_job.';
COMMENT ON COLUMN ffrtmp.jobs.id IS 'Global job id.';
COMMENT ON COLUMN ffrtmp.jobs.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp.jobs.seq IS 'Per-tenant job number.';
COMMENT ON COLUMN ffrtmp.jobs.state IS 'queued, assigned, running, retrying, completed, failed, timed_out, canceled or rejected.';
COMMENT ON COLUMN ffrtmp.jobs.queue IS 'live, default or batch.';
COMMENT ON COLUMN ffrtmp.jobs.priority IS 'Higher runs first within a tenant.';
COMMENT ON COLUMN ffrtmp.jobs.input_url IS 'Input URL.';
COMMENT ON COLUMN ffrtmp.jobs.output_url IS 'Output path or URL.';
COMMENT ON COLUMN ffrtmp.jobs.preset IS 'Preset used, if any.';
COMMENT ON COLUMN ffrtmp.jobs.params IS 'Encode parameters in force.';
COMMENT ON COLUMN ffrtmp.jobs.cpu_cores IS 'CPU cores needed.';
COMMENT ON COLUMN ffrtmp.jobs.gpus IS 'GPUs needed.';
COMMENT ON COLUMN ffrtmp.jobs.attempt IS 'Attempt number (only grows).';
COMMENT ON COLUMN ffrtmp.jobs.first_attempt IS 'Attempt number at which the current run began.';
COMMENT ON COLUMN ffrtmp.jobs.max_attempts IS 'Attempts allowed per run.';
COMMENT ON COLUMN ffrtmp.jobs.run_after IS 'Earliest dispatch time.';
COMMENT ON COLUMN ffrtmp.jobs.timeout IS 'Longest an attempt may run.';
COMMENT ON COLUMN ffrtmp.jobs.node_id IS 'Node assigned.';
COMMENT ON COLUMN ffrtmp.jobs.idempotency_key IS 'Caller''s idempotency key.';
COMMENT ON COLUMN ffrtmp.jobs.state_reason IS 'Why the job is in its state.';
COMMENT ON COLUMN ffrtmp.jobs.failure_reason IS 'Failure class.';
COMMENT ON COLUMN ffrtmp.jobs.error IS 'Last error message.';
COMMENT ON COLUMN ffrtmp.jobs.result IS 'Output description.';
COMMENT ON COLUMN ffrtmp.jobs.created_at IS 'Submitted at.';
COMMENT ON COLUMN ffrtmp.jobs.updated_at IS 'Last changed at.';
COMMENT ON COLUMN ffrtmp.jobs.started_at IS 'Current attempt started at.';
COMMENT ON COLUMN ffrtmp.jobs.finished_at IS 'Reached a final state at.';

CREATE VIEW ffrtmp.job_events WITH (security_invoker = true) AS
SELECT id, job_id, tenant_id, attempt, from_state, to_state, reason, actor, at
FROM ffrtmp_data.job_events;
COMMENT ON VIEW ffrtmp.job_events IS 'Job history: every state change with its reason and actor.';
COMMENT ON COLUMN ffrtmp.job_events.id IS 'Event id.';
COMMENT ON COLUMN ffrtmp.job_events.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.job_events.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.job_events.attempt IS 'Attempt after the change.';
COMMENT ON COLUMN ffrtmp.job_events.from_state IS 'State before (NULL at submission).';
COMMENT ON COLUMN ffrtmp.job_events.to_state IS 'State after.';
COMMENT ON COLUMN ffrtmp.job_events.reason IS 'Why.';
COMMENT ON COLUMN ffrtmp.job_events.actor IS 'Who.';
COMMENT ON COLUMN ffrtmp.job_events.at IS 'When.';

CREATE VIEW ffrtmp.nodes WITH (security_invoker = true) AS
SELECT id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels,
       last_heartbeat, registered_at
FROM ffrtmp_data.nodes;
COMMENT ON VIEW ffrtmp.nodes IS 'Worker nodes the caller may see (session tokens are never shown).';
COMMENT ON COLUMN ffrtmp.nodes.id IS 'Node id.';
COMMENT ON COLUMN ffrtmp.nodes.tenant_id IS 'Dedicated tenant; NULL for the shared pool.';
COMMENT ON COLUMN ffrtmp.nodes.name IS 'Node name.';
COMMENT ON COLUMN ffrtmp.nodes.state IS 'online, draining or offline.';
COMMENT ON COLUMN ffrtmp.nodes.cpu_cores IS 'CPU cores offered.';
COMMENT ON COLUMN ffrtmp.nodes.memory_mb IS 'Memory offered, MiB.';
COMMENT ON COLUMN ffrtmp.nodes.gpus IS 'GPUs offered.';
COMMENT ON COLUMN ffrtmp.nodes.slots IS 'Concurrent jobs.';
COMMENT ON COLUMN ffrtmp.nodes.encoders IS 'Encoders available.';
COMMENT ON COLUMN ffrtmp.nodes.labels IS 'Labels.';
COMMENT ON COLUMN ffrtmp.nodes.last_heartbeat IS 'Last heartbeat.';
COMMENT ON COLUMN ffrtmp.nodes.registered_at IS 'Registered at.';

CREATE VIEW ffrtmp.tenant_roles WITH (security_invoker = true) AS
SELECT r.tenant_id, r.role_name, r.created_at
FROM ffrtmp_data.tenant_roles r;
COMMENT ON VIEW ffrtmp.tenant_roles IS 'Database roles and the tenant each acts for.';
COMMENT ON COLUMN ffrtmp.tenant_roles.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.tenant_roles.role_name IS 'Database role.';
COMMENT ON COLUMN ffrtmp.tenant_roles.created_at IS 'Mapped at.';

CREATE VIEW ffrtmp.plans WITH (security_invoker = true) AS
SELECT name, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, weight, description
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

CREATE VIEW ffrtmp.presets WITH (security_invoker = true) AS
SELECT tenant_id, name, params, description FROM ffrtmp_data.presets;
COMMENT ON VIEW ffrtmp.presets IS 'Encode presets usable by the caller: built-in (tenant_id NULL) and its own.';
COMMENT ON COLUMN ffrtmp.presets.tenant_id IS 'Owning tenant; NULL for built-in.';
COMMENT ON COLUMN ffrtmp.presets.name IS 'Preset name, for submit_job(preset => ...).';
COMMENT ON COLUMN ffrtmp.presets.params IS 'Encode parameters.';
COMMENT ON COLUMN ffrtmp.presets.description IS 'Description.';

CREATE VIEW ffrtmp.job_states WITH (security_invoker = true) AS
SELECT state, is_active, is_waiting, holds_node, description FROM ffrtmp_data.job_states;
COMMENT ON VIEW ffrtmp.job_states IS 'Job states and what each counts towards.';
COMMENT ON COLUMN ffrtmp.job_states.state IS 'State.';
COMMENT ON COLUMN ffrtmp.job_states.is_active IS 'Counts against max_jobs.';
COMMENT ON COLUMN ffrtmp.job_states.is_waiting IS 'Waiting for a node.';
COMMENT ON COLUMN ffrtmp.job_states.holds_node IS 'Holds a node slot, CPU cores and GPUs.';
COMMENT ON COLUMN ffrtmp.job_states.description IS 'Meaning.';

CREATE VIEW ffrtmp.job_transitions WITH (security_invoker = true) AS
SELECT from_state, to_state FROM ffrtmp_data.job_transitions;
COMMENT ON VIEW ffrtmp.job_transitions IS 'The allowed job state changes.';
COMMENT ON COLUMN ffrtmp.job_transitions.from_state IS 'From.';
COMMENT ON COLUMN ffrtmp.job_transitions.to_state IS 'To.';

CREATE VIEW ffrtmp.failure_reasons WITH (security_invoker = true) AS
SELECT reason, counts_against, description FROM ffrtmp_data.failure_reasons;
COMMENT ON VIEW ffrtmp.failure_reasons IS 'Failure classes and who they count against.';
COMMENT ON COLUMN ffrtmp.failure_reasons.reason IS 'Class.';
COMMENT ON COLUMN ffrtmp.failure_reasons.counts_against IS 'platform or input.';
COMMENT ON COLUMN ffrtmp.failure_reasons.description IS 'What it covers.';

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
COMMENT ON TYPE ffrtmp.tenant_stats IS 'Usage of one tenant and what is left under each quota (NULL available = unlimited).';
