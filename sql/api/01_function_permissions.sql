-- The permission each API function and view requires (docs/access-control.md),
-- checked before the function's body by the extension's fmgr hook: one
-- place, which a function cannot forget, since a function of the ffrtmp
-- schema missing here is refused to everyone (a view missing here fails
-- test/pgtap/29_role_matrix.sql).  Written first, so that the
-- rest of sql/api may call the API.

CREATE OR REPLACE FUNCTION ffrtmp_data.function_permissions_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'ffrtmp_function_permissions_changed'
    LANGUAGE C;
COMMENT ON FUNCTION ffrtmp_data.function_permissions_changed() IS
    'Trigger: makes every session read function_permissions again after a change commits.';
ALTER FUNCTION ffrtmp_data.function_permissions_changed() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.function_permissions_changed() FROM PUBLIC;

CREATE OR REPLACE TRIGGER function_permissions_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ffrtmp_data.function_permissions
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.function_permissions_changed();
COMMENT ON TRIGGER function_permissions_changed ON ffrtmp_data.function_permissions IS
    'Sends the invalidation that a row change does not: the check''s per-session cache follows the table.';

DELETE FROM ffrtmp_data.function_permissions;
INSERT INTO ffrtmp_data.function_permissions (function, permission) VALUES
    -- The tenant context: row-level security calls these on every row.
    ('current_tenant', NULL), ('caller_is_admin', NULL), ('caller_role', NULL), ('has_permission', NULL),
    -- The webhook delivery daemon's calls, granted to ffrtmp_webhook_sender alone.
    ('claim_webhook_deliveries', NULL), ('finish_webhook_delivery', NULL),
    -- Tenants.
    ('get_tenant', 'tenants.view'), ('list_tenants', 'tenants.view'), ('tenant_stats', 'tenants.view'),
    ('quota_checks', 'tenants.view'),
    ('create_tenant', 'tenants.manage'), ('update_tenant', 'tenants.manage'),
    ('delete_tenant', 'tenants.manage'), ('restore_tenant', 'tenants.manage'),
    ('add_tenant_role', 'tenants.manage'), ('remove_tenant_role', 'tenants.manage'),
    ('repair_usage', 'tenants.manage'), ('dispatch', 'tenants.manage'),
    -- Job history from another system: platform administrators, like creating tenants.
    ('import_job', 'tenants.manage'),
    -- API keys (docs/security.md#api-keys); authenticate is how a program
    -- becomes a caller at all, so it needs none.
    ('authenticate', NULL),
    -- PostgREST's pre-request function: it authenticates, so it needs none.
    ('pre_request', NULL),
    ('create_api_key', 'keys.manage'), ('list_api_keys', 'keys.manage'),
    ('rotate_api_key', 'keys.manage'), ('revoke_api_key', 'keys.manage'),
    -- The audit log's chain check reads every tenant's chain: platform administrators.
    ('verify_audit_chain', 'platform.view'),
    -- Reading the audit log a page at a time (the view ffrtmp.audit_log checks audit.view in its reader).
    ('audit_events', 'audit.view'),
    -- Users.
    ('create_user', 'users.manage'), ('get_user', 'users.manage'), ('list_users', 'users.manage'),
    ('update_user', 'users.manage'), ('disable_user', 'users.manage'), ('delete_user', 'users.manage'),
    ('restore_user', 'users.manage'),
    -- Invitations; the token is accept_invitation's credential, so it needs none.
    ('invite_user', 'users.manage'), ('list_invitations', 'users.manage'), ('revoke_invitation', 'users.manage'),
    ('accept_invitation', NULL),
    -- Database roles are shared by every tenant: platform administrators map them.
    ('map_user_role', 'tenants.manage'),
    -- Jobs.
    ('get_job', 'jobs.view'), ('job_id', 'jobs.view'), ('job_history', 'jobs.view'),
    ('job_logs', 'jobs.view'), ('tenant_jobs', 'jobs.view'), ('wait_for_job', 'jobs.view'),
    ('submit_job', 'jobs.create'), ('submit_jobs', 'jobs.create'),
    ('cancel_job', 'jobs.cancel'), ('hold_job', 'jobs.cancel'), ('release_job', 'jobs.cancel'),
    ('pause_job', 'jobs.cancel'), ('resume_job', 'jobs.cancel'), ('retry_job', 'jobs.cancel'),
    -- Nodes: what an operator sees, what a worker calls, what an administrator of nodes does.
    ('tenant_nodes', 'nodes.view'),
    ('register_node', 'nodes.work'), ('node_heartbeat', 'nodes.work'), ('fetch_assigned', 'nodes.work'),
    ('start_job', 'nodes.work'), ('report_progress', 'nodes.work'), ('append_job_log', 'nodes.work'),
    ('finish_job', 'nodes.work'), ('leave_node', 'nodes.work'), ('node_attempts', 'nodes.work'),
    ('start_jobs', 'nodes.work'), ('finish_jobs', 'nodes.work'),
    ('drain_node', 'nodes.manage'), ('remove_node', 'nodes.manage'),
    ('pause_dispatch', 'nodes.manage'), ('resume_dispatch', 'nodes.manage'),
    -- Webhooks.
    ('create_webhook', 'webhooks.manage'), ('delete_webhook', 'webhooks.manage'),
    ('list_webhooks', 'webhooks.manage'), ('webhook_deliveries', 'webhooks.manage'),
    -- The platform's health: liveness and readiness are anyone's (a probe
    -- without credentials, as ffrtmp_anon), in detail only administrators'
    -- (sql/api/80_operations.sql).
    ('health', NULL), ('ready', NULL), ('scheduler_status', 'platform.view'),
    ('verify_usage', 'platform.view'), ('contract', 'platform.view'),
    -- REST API requests counted per tenant and endpoint (src/api_requests.c).
    ('api_request_counts', 'metrics.view'),
    -- Prometheus metrics: ffrtmp_monitor (mapped to no tenant) and administrators
    -- hold EXECUTE (sql/api/90_metrics.sql); it shows no tenant's rows.
    ('metrics', NULL),
    -- The views of schema ffrtmp.  One with tenant rows reads them through a
    -- reader, declared here by its qualified name and checked like an API
    -- function, so that SELECT on a view needs what the function listing the
    -- same rows needs.  One showing only lookup rows, the same for everyone,
    -- is declared by its own qualified name with no permission.
    ('ffrtmp_data.read_tenants', 'tenants.view'), ('ffrtmp_data.read_tenant_roles', 'tenants.view'),
    ('ffrtmp_data.read_jobs', 'jobs.view'), ('ffrtmp_data.read_job_details', 'jobs.view'),
    ('ffrtmp_data.read_job_events', 'jobs.view'), ('ffrtmp_data.read_job_progress', 'jobs.view'),
    ('ffrtmp_data.read_presets', 'jobs.view'), ('ffrtmp_data.read_job_tenants', 'jobs.view'),
    ('ffrtmp_data.read_nodes', 'nodes.view'), ('ffrtmp_data.read_dispatch_pauses', 'jobs.view'),
    ('ffrtmp_data.read_webhooks', 'webhooks.manage'), ('ffrtmp_data.read_webhook_deliveries', 'webhooks.manage'),
    ('ffrtmp_data.read_users', 'users.manage'),
    ('ffrtmp_data.read_audit_log', 'audit.view'),
    ('ffrtmp.plans', NULL), ('ffrtmp.job_states', NULL), ('ffrtmp.job_transitions', NULL),
    ('ffrtmp.failure_reasons', NULL), ('ffrtmp.webhook_event_types', NULL), ('ffrtmp.role_permissions', NULL);
