-- Ownership and privileges.  Tables belong to ffrtmp_owner, which has no
-- BYPASSRLS, and FORCEd row-level security applies to it; the API functions run
-- as that owner.  Callers get SELECT (filtered by RLS) and EXECUTE, never
-- INSERT, UPDATE or DELETE: every change goes through the API.

ALTER SCHEMA ffrtmp_data OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.plans           OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.tenants         OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.tenant_roles    OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.usage           OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_states      OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_transitions OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.failure_reasons OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.presets         OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.jobs            OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_events      OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.nodes           OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.scheduler_state OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_progress    OWNER TO ffrtmp_owner;

ALTER FUNCTION ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.get_tenant(text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.list_tenants(boolean) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.delete_tenant(text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.restore_tenant(text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.add_tenant_role(text, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.remove_tenant_role(text, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.tenant_stats(text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.tenant_jobs(text, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.tenant_nodes(text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.get_job(bigint) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.cancel_job(bigint) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.retry_job(bigint) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[]) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.dispatch() OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.fetch_assigned(bigint, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.start_job(bigint, integer, bigint, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.report_progress(bigint, integer, bigint, text, jsonb) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.drain_node(bigint) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.leave_node(bigint, text, boolean) OWNER TO ffrtmp_owner;
ALTER FUNCTION ffrtmp.remove_node(bigint) OWNER TO ffrtmp_owner;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ffrtmp FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ffrtmp_data FROM PUBLIC;

-- Used by policies, views, casts and triggers: harmless to anyone.
GRANT EXECUTE ON FUNCTION ffrtmp.current_tenant(), ffrtmp.caller_is_admin(), ffrtmp_data.actor(),
    ffrtmp_data.effective_status(text, timestamptz, timestamptz),
    ffrtmp_data.jobs_in_hour(integer[], bigint[], bigint),
    ffrtmp_data.quota_left(integer, integer),
    ffrtmp_data.priority_in(cstring), ffrtmp_data.priority_out(ffrtmp.priority),
    ffrtmp_data.priority_from_int(integer)
    TO PUBLIC;

GRANT USAGE ON SCHEMA ffrtmp, ffrtmp_data TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;
-- Helpers the worker calls run as the owner.
GRANT EXECUTE ON FUNCTION ffrtmp_data.authenticated_node(bigint, text),
    ffrtmp_data.held_job(bigint, integer, bigint, text[]),
    ffrtmp_data.retry_backoff(integer),
    ffrtmp_data.fail_attempt(bigint, text, text, text),
    ffrtmp_data.recover(interval),
    ffrtmp_data.prune(interval, integer)
    TO ffrtmp_owner;
ALTER VIEW ffrtmp_data.tenant_limits OWNER TO ffrtmp_owner;
ALTER VIEW ffrtmp_data.usage_recount OWNER TO ffrtmp_owner;

-- security_invoker views read the tables as the caller; RLS filters the rows.
GRANT SELECT ON ffrtmp_data.plans, ffrtmp_data.tenants, ffrtmp_data.tenant_roles, ffrtmp_data.usage,
    ffrtmp_data.job_states, ffrtmp_data.job_transitions, ffrtmp_data.failure_reasons,
    ffrtmp_data.presets, ffrtmp_data.jobs, ffrtmp_data.job_events, ffrtmp_data.tenant_limits,
    ffrtmp_data.job_progress
    TO ffrtmp_admin, ffrtmp_tenant;
GRANT SELECT (id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels,
              last_heartbeat, registered_at)
    ON ffrtmp_data.nodes TO ffrtmp_admin, ffrtmp_tenant;
GRANT SELECT ON ALL TABLES IN SCHEMA ffrtmp TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

GRANT EXECUTE ON FUNCTION
    ffrtmp.get_tenant(text),
    ffrtmp.list_tenants(boolean),
    ffrtmp.tenant_stats(text),
    ffrtmp.tenant_jobs(text, text),
    ffrtmp.tenant_nodes(text),
    ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text),
    ffrtmp.get_job(bigint),
    ffrtmp.cancel_job(bigint),
    ffrtmp.retry_job(bigint),
    ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean),
    ffrtmp.node_heartbeat(bigint, text, bigint[]),
    ffrtmp.fetch_assigned(bigint, text),
    ffrtmp.start_job(bigint, integer, bigint, text),
    ffrtmp.report_progress(bigint, integer, bigint, text, jsonb),
    ffrtmp.finish_job(bigint, integer, bigint, text, text, jsonb, text, text),
    ffrtmp.drain_node(bigint),
    ffrtmp.leave_node(bigint, text, boolean),
    ffrtmp.remove_node(bigint)
    TO ffrtmp_admin, ffrtmp_tenant;

GRANT EXECUTE ON FUNCTION
    ffrtmp.create_tenant(text, text, text, text, timestamptz, jsonb),
    ffrtmp.update_tenant(text, text, text, text, text, timestamptz, jsonb, jsonb),
    ffrtmp.delete_tenant(text),
    ffrtmp.restore_tenant(text),
    ffrtmp.add_tenant_role(text, text),
    ffrtmp.remove_tenant_role(text, text),
    ffrtmp.verify_usage(),
    ffrtmp.repair_usage(),
    ffrtmp.scheduler_status(),
    ffrtmp.dispatch(),
    ffrtmp.health(),
    ffrtmp.ready(),
    ffrtmp_data.scheduler_shared()
    TO ffrtmp_admin;
GRANT SELECT ON ffrtmp_data.scheduler_state, ffrtmp_data.usage_recount TO ffrtmp_admin;

-- The scheduler's passes run as ffrtmp_scheduler (see scheduler.c): the
-- tables and calls of recovery, dispatch and pruning, and the right to see
-- every session in pg_stat_activity (session-bound nodes).
GRANT USAGE ON SCHEMA ffrtmp, ffrtmp_data TO ffrtmp_scheduler;
GRANT SELECT ON ffrtmp_data.plans, ffrtmp_data.job_states, ffrtmp_data.job_transitions,
    ffrtmp_data.failure_reasons, ffrtmp_data.tenant_limits, ffrtmp_data.presets
    TO ffrtmp_scheduler;
GRANT SELECT, UPDATE ON ffrtmp_data.tenants, ffrtmp_data.usage, ffrtmp_data.nodes,
    ffrtmp_data.scheduler_state TO ffrtmp_scheduler;
GRANT SELECT, UPDATE, DELETE ON ffrtmp_data.jobs TO ffrtmp_scheduler;
GRANT SELECT, INSERT, DELETE ON ffrtmp_data.job_events TO ffrtmp_scheduler;
GRANT SELECT, DELETE ON ffrtmp_data.job_progress TO ffrtmp_scheduler;
GRANT EXECUTE ON FUNCTION ffrtmp_data.recover(interval), ffrtmp_data.prune(interval, integer),
    ffrtmp_data.fail_attempt(bigint, text, text, text), ffrtmp_data.retry_backoff(integer)
    TO ffrtmp_scheduler;
GRANT pg_read_all_stats TO ffrtmp_scheduler;
