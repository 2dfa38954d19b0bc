-- The role x function matrix, generated from the permission table: every
-- API function is called as every role and must be refused (42501) exactly
-- when ffrtmp.role_permissions says the role lacks the function's permission.
-- A new API function must be declared (or it is refused to everyone) and
-- given a sample call here (or this test fails).  Every view of schema
-- ffrtmp, from the catalog, is read the same way: it needs what the declared
-- readers it calls need, or is declared itself as needing nothing.
BEGIN;
CREATE TEMP VIEW view_permissions AS
SELECT v.relname AS view, r.permission
  FROM pg_class v
  LEFT JOIN LATERAL (
        SELECT DISTINCT f.permission
          FROM pg_rewrite w
          JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
                          AND d.refclassid = 'pg_proc'::regclass
          JOIN pg_proc p ON p.oid = d.refobjid
          JOIN ffrtmp_data.function_permissions f
            ON f.function = p.pronamespace::regnamespace::text || '.' || p.proname
         WHERE w.ev_class = v.oid) r ON true
 WHERE v.relnamespace = 'ffrtmp'::regnamespace AND v.relkind = 'v';
SELECT plan(19 + 6 * (SELECT count(*)::int FROM ffrtmp_data.function_permissions WHERE permission IS NOT NULL)
               + 6 * (SELECT count(*)::int FROM view_permissions WHERE permission IS NOT NULL)
               + (SELECT count(*)::int FROM ffrtmp_data.function_permissions WHERE function LIKE 'ffrtmp.%'));

\o /dev/null
SELECT ffrtmp.create_tenant('matrix-a', plan => 'pro');
CREATE ROLE tap_m_viewer LOGIN;
CREATE ROLE tap_m_operator LOGIN;
CREATE ROLE tap_m_tenant_admin LOGIN;
CREATE ROLE tap_m_mapped LOGIN;
CREATE ROLE tap_m_superadmin LOGIN IN ROLE ffrtmp_admin;
SELECT ffrtmp.map_user_role(u.id, 'tap_m_' || r)
  FROM unnest(ARRAY['viewer', 'operator', 'tenant_admin']) r,
       LATERAL ffrtmp.create_user(r || '@matrix.example', r, tenant => 'matrix-a') u;
-- A role mapped as release 0.1 mapped them, with no user: tenant_admin.
SELECT ffrtmp.add_tenant_role('matrix-a', 'tap_m_mapped');
-- A program's login, mapped to nothing, with a tenant_admin service key
-- whose scopes narrow it to jobs.view.
CREATE ROLE tap_m_scoped LOGIN IN ROLE ffrtmp_tenant;
SELECT api_key AS scoped_key
  FROM ffrtmp.create_api_key('matrix-scoped', tenant => 'matrix-a', role => 'tenant_admin', scopes => '{jobs.view}') \gset

-- The principals of the matrix, and the role each acts with.
CREATE TEMP TABLE principals (login text, role text);
INSERT INTO principals VALUES ('tap_m_viewer', 'viewer'), ('tap_m_operator', 'operator'),
    ('tap_m_tenant_admin', 'tenant_admin'), ('tap_m_mapped', 'tenant_admin'), ('tap_m_superadmin', 'superadmin');
GRANT SELECT ON principals TO PUBLIC;

-- One call of each API function: arguments that name nothing that exists
-- where they can, so that an allowed call fails late or does little.
CREATE TEMP TABLE sample_calls (function name PRIMARY KEY, call text NOT NULL);
INSERT INTO sample_calls VALUES
    ('get_tenant', $$ffrtmp.get_tenant('matrix-a')$$),
    ('create_api_key', $$ffrtmp.create_api_key('matrix-key')$$),
    ('list_api_keys', $$ffrtmp.list_api_keys()$$),
    ('rotate_api_key', $$ffrtmp.rotate_api_key('0000000000000000')$$),
    ('revoke_api_key', $$ffrtmp.revoke_api_key('0000000000000000')$$),
    ('verify_audit_chain', $$ffrtmp.verify_audit_chain()$$),
    ('audit_events', $$ffrtmp.audit_events()$$),
    ('list_tenants', $$ffrtmp.list_tenants(false)$$),
    ('tenant_stats', $$ffrtmp.tenant_stats(NULL)$$),
    ('quota_checks', $$ffrtmp.quota_checks()$$),
    ('api_request_counts', $$ffrtmp.api_request_counts()$$),
    ('create_tenant', $$ffrtmp.create_tenant('matrix-new')$$),
    ('update_tenant', $$ffrtmp.update_tenant('matrix-a')$$),
    ('delete_tenant', $$ffrtmp.delete_tenant('matrix-none')$$),
    ('restore_tenant', $$ffrtmp.restore_tenant('matrix-none')$$),
    ('add_tenant_role', $$ffrtmp.add_tenant_role('matrix-a', 'tap_m_none')$$),
    ('remove_tenant_role', $$ffrtmp.remove_tenant_role('matrix-a', 'tap_m_none')$$),
    ('repair_usage', $$ffrtmp.repair_usage()$$),
    ('import_job', $$ffrtmp.import_job('matrix-old', 'completed', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'matrix-a')$$),
    ('dispatch', $$ffrtmp.dispatch()$$),
    ('create_user', $$ffrtmp.create_user('new@matrix.example', 'viewer')$$),
    ('get_user', $$ffrtmp.get_user('00000000-0000-0000-0000-000000000001')$$),
    ('list_users', $$ffrtmp.list_users()$$),
    ('update_user', $$ffrtmp.update_user('00000000-0000-0000-0000-000000000001')$$),
    ('disable_user', $$ffrtmp.disable_user('00000000-0000-0000-0000-000000000001')$$),
    ('delete_user', $$ffrtmp.delete_user('00000000-0000-0000-0000-000000000001')$$),
    ('restore_user', $$ffrtmp.restore_user('00000000-0000-0000-0000-000000000001')$$),
    ('map_user_role', $$ffrtmp.map_user_role('00000000-0000-0000-0000-000000000001', NULL)$$),
    ('invite_user', $$ffrtmp.invite_user('new@matrix.example', 'viewer')$$),
    ('list_invitations', $$ffrtmp.list_invitations()$$),
    ('revoke_invitation', $$ffrtmp.revoke_invitation('00000000-0000-0000-0000-000000000001')$$),
    ('get_job', $$ffrtmp.get_job(-1)$$),
    ('job_id', $$ffrtmp.job_id(-1, NULL)$$),
    ('job_history', $$ffrtmp.job_history(-1)$$),
    ('job_logs', $$ffrtmp.job_logs(-1, NULL)$$),
    ('tenant_jobs', $$ffrtmp.tenant_jobs(NULL, NULL)$$),
    ('wait_for_job', $$ffrtmp.wait_for_job(-1, '0 s')$$),
    ('submit_job', $$ffrtmp.submit_job('testsrc://')$$),
    ('submit_jobs', $$ffrtmp.submit_jobs('[]', NULL)$$),
    ('cancel_job', $$ffrtmp.cancel_job(-1)$$),
    ('hold_job', $$ffrtmp.hold_job(-1)$$),
    ('release_job', $$ffrtmp.release_job(-1)$$),
    ('pause_job', $$ffrtmp.pause_job(-1)$$),
    ('resume_job', $$ffrtmp.resume_job(-1)$$),
    ('retry_job', $$ffrtmp.retry_job(-1)$$),
    ('tenant_nodes', $$ffrtmp.tenant_nodes(NULL)$$),
    ('register_node', $$ffrtmp.register_node('matrix-node', 1)$$),
    ('node_heartbeat', $$ffrtmp.node_heartbeat(-1, 'x', NULL)$$),
    ('fetch_assigned', $$ffrtmp.fetch_assigned(-1, 'x')$$),
    ('start_job', $$ffrtmp.start_job(-1, 1, 1, 'x')$$),
    ('report_progress', $$ffrtmp.report_progress(-1, 1, 1, 'x', '{}')$$),
    ('append_job_log', $$ffrtmp.append_job_log(-1, 1, 1, 'x', '{}')$$),
    ('finish_job', $$ffrtmp.finish_job(-1, 1, 1, 'x', 'completed', NULL, NULL, NULL)$$),
    ('start_jobs', $$ffrtmp.start_jobs(-1, 'x', '{}', '{}')$$),
    ('finish_jobs', $$ffrtmp.finish_jobs(-1, 'x', '[]')$$),
    ('leave_node', $$ffrtmp.leave_node(-1, 'x', false)$$),
    ('node_attempts', $$ffrtmp.node_attempts(-1, 'x')$$),
    ('drain_node', $$ffrtmp.drain_node(-1)$$),
    ('remove_node', $$ffrtmp.remove_node(-1)$$),
    ('pause_dispatch', $$ffrtmp.pause_dispatch(NULL, NULL)$$),
    ('resume_dispatch', $$ffrtmp.resume_dispatch(NULL, NULL)$$),
    ('create_webhook', $$ffrtmp.create_webhook('https://example.com/hook', '0123456789abcdef0123', ARRAY['completed'])$$),
    ('delete_webhook', $$ffrtmp.delete_webhook(-1)$$),
    ('list_webhooks', $$ffrtmp.list_webhooks(NULL)$$),
    ('webhook_deliveries', $$ffrtmp.webhook_deliveries(-1, NULL, NULL, NULL, NULL)$$),
    ('health', $$ffrtmp.health()$$),
    ('ready', $$ffrtmp.ready()$$),
    ('metrics', $$ffrtmp.metrics()$$),
    ('scheduler_status', $$ffrtmp.scheduler_status()$$),
    ('verify_usage', $$ffrtmp.verify_usage()$$),
    ('contract', $$ffrtmp.contract()$$),
    ('ffrtmp_data.read_tenants', $$count(*) FROM ffrtmp_data.read_tenants()$$),
    ('ffrtmp_data.read_tenant_roles', $$count(*) FROM ffrtmp_data.read_tenant_roles()$$),
    ('ffrtmp_data.read_jobs', $$count(*) FROM ffrtmp_data.read_jobs()$$),
    ('ffrtmp_data.read_job_details', $$count(*) FROM ffrtmp_data.read_job_details()$$),
    ('ffrtmp_data.read_job_events', $$count(*) FROM ffrtmp_data.read_job_events()$$),
    ('ffrtmp_data.read_job_progress', $$count(*) FROM ffrtmp_data.read_job_progress()$$),
    ('ffrtmp_data.read_job_tenants', $$count(*) FROM ffrtmp_data.read_job_tenants()$$),
    ('ffrtmp_data.read_presets', $$count(*) FROM ffrtmp_data.read_presets()$$),
    ('ffrtmp_data.read_nodes', $$count(*) FROM ffrtmp_data.read_nodes()$$),
    ('ffrtmp_data.read_dispatch_pauses', $$count(*) FROM ffrtmp_data.read_dispatch_pauses()$$),
    ('ffrtmp_data.read_webhooks', $$count(*) FROM ffrtmp_data.read_webhooks()$$),
    ('ffrtmp_data.read_webhook_deliveries', $$count(*) FROM ffrtmp_data.read_webhook_deliveries()$$),
    ('ffrtmp_data.read_users', $$count(*) FROM ffrtmp_data.read_users()$$),
    ('ffrtmp_data.read_audit_log', $$count(*) FROM ffrtmp_data.read_audit_log()$$);

-- Runs call as login inside a subtransaction that is always rolled back;
-- returns 'ok', or the SQLSTATE and message of its error.
CREATE FUNCTION pg_temp.call_as(login text, call text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        EXECUTE format('SET ROLE %I', login);
        -- Every row, every column: an unused output could be planned away, call and check with it.
        EXECUTE 'SELECT ' || call;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = 'ok';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'PTRES' THEN
            RETURN SQLERRM;
        END IF;
        RETURN SQLSTATE || ' ' || SQLERRM;
    END;
END
$fn$;
-- Likewise, authenticated with api_key first.
CREATE FUNCTION pg_temp.call_with_key(api_key text, call text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        SET ROLE tap_m_scoped;
        PERFORM ffrtmp.authenticate(api_key);
        EXECUTE 'SELECT ' || call;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = 'ok';
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'PTRES' THEN
            RETURN SQLERRM;
        END IF;
        RETURN SQLSTATE || ' ' || SQLERRM;
    END;
END
$fn$;
\o

-- The table covers the API: every function of the ffrtmp schema is declared
-- (undeclared ones are refused to everyone), has a sample call, and is not
-- overloaded (declarations are by name).
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p
     WHERE p.pronamespace = 'ffrtmp'::regnamespace
       AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.function_permissions f WHERE f.function = p.proname)$$,
    'every function of the ffrtmp schema declares its permission');
SELECT is_empty($$
    SELECT f.function FROM ffrtmp_data.function_permissions f
     WHERE f.permission IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sample_calls s WHERE s.function = f.function)$$,
    'every function needing a permission has a sample call in this test');
SELECT is_empty($$
    SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'ffrtmp'::regnamespace
     GROUP BY p.proname HAVING count(*) > 1$$,
    'no API function is overloaded');
SELECT is((SELECT count(DISTINCT role)::int FROM ffrtmp.role_permissions), 4, 'the four roles hold permissions');

-- Every view is declared: through the readers it calls, or by its own row
-- (a view of lookup rows only, needing nothing), never both, with one
-- permission; and every declaration names a function or view that exists.
SELECT is_empty($$
    SELECT v.view FROM view_permissions v
     WHERE v.permission IS NULL
       AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.function_permissions f
                        WHERE f.function = 'ffrtmp.' || v.view AND f.permission IS NULL)$$,
    'every view of the ffrtmp schema declares its permission');
SELECT is_empty($$
    SELECT v.view FROM view_permissions v WHERE v.permission IS NOT NULL
       AND EXISTS (SELECT 1 FROM ffrtmp_data.function_permissions f WHERE f.function = 'ffrtmp.' || v.view)
    UNION ALL
    SELECT v.view FROM view_permissions v GROUP BY v.view HAVING count(*) > 1$$,
    'a view is declared once, with one permission');
SELECT is_empty($$
    SELECT f.function FROM ffrtmp_data.function_permissions f
     WHERE f.function LIKE '%.%'
       AND NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = 'ffrtmp_data'::regnamespace
                          AND 'ffrtmp_data.' || p.proname = f.function)
       AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = 'ffrtmp'::regnamespace AND c.relkind = 'v'
                          AND 'ffrtmp.' || c.relname = f.function)$$,
    'every qualified declaration names a reader of ffrtmp_data or a view of ffrtmp');
-- Parallel workers do not know the key the leader authenticated: nothing
-- checked may run in one.
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN ffrtmp_data.function_permissions f
        ON f.function = CASE WHEN p.pronamespace = 'ffrtmp'::regnamespace THEN p.proname::text
                             ELSE p.pronamespace::regnamespace::text || '.' || p.proname END
     WHERE f.permission IS NOT NULL AND p.proparallel = 's'$$,
    'no function needing a permission is PARALLEL SAFE');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'ffrtmp'::regnamespace AND p.proparallel = 's'$$,
    'no function of the ffrtmp schema is PARALLEL SAFE (an undeclared one is refused, in the leader)');

-- The matrix itself.  Allowed means refused neither by the check nor by an
-- EXECUTE grant: the grants agree with the table (another error, like a job
-- that does not exist, is fine).
SELECT CASE WHEN expected_allowed
            THEN ok(result !~ '^42501 permission denied(: | for function )',
                    format('%s may call %s (%s): %s', p.login, f.function, f.permission, result))
            ELSE ok(result ~ '^42501 ',
                    format('%s is refused %s (%s): %s', p.login, f.function, f.permission, result))
       END
  FROM ffrtmp_data.function_permissions f
  JOIN sample_calls s USING (function)
 CROSS JOIN principals p
 CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM ffrtmp.role_permissions rp
                                     WHERE rp.role = p.role AND rp.permission = f.permission)) e(expected_allowed)
 CROSS JOIN LATERAL pg_temp.call_as(p.login, s.call) c(result)
 WHERE f.permission IS NOT NULL
 ORDER BY f.function, p.login;

-- Scopes narrow a key: under a tenant_admin key scoped to jobs.view, every
-- function is refused but those needing jobs.view (or nothing).
SELECT CASE WHEN f.permission = 'jobs.view'
            THEN ok(result !~ '^42501 ', format('a jobs.view key may call %s (%s): %s', f.function, f.permission, result))
            ELSE ok(result ~ '^42501 ', format('a jobs.view key is refused %s (%s): %s', f.function, f.permission, result))
       END
  FROM ffrtmp_data.function_permissions f
  JOIN sample_calls s USING (function)
 CROSS JOIN LATERAL pg_temp.call_with_key(:'scoped_key', s.call) c(result)
 WHERE f.permission IS NOT NULL
 ORDER BY f.function;

-- The views: reading one is refused (42501, as the function listing the
-- same rows is, rather than an empty result that would read as "there is
-- none") exactly when the role lacks what its readers need.
SELECT CASE WHEN expected_allowed
            THEN ok(result !~ '^42501 ', format('%s may read ffrtmp.%s (%s): %s', p.login, v.view, v.permission, result))
            ELSE ok(result ~ '^42501 ', format('%s is refused ffrtmp.%s (%s): %s', p.login, v.view, v.permission, result))
       END
  FROM view_permissions v
 CROSS JOIN principals p
 CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM ffrtmp.role_permissions rp
                                     WHERE rp.role = p.role AND rp.permission = v.permission)) e(expected_allowed)
 CROSS JOIN LATERAL pg_temp.call_as(p.login, format('count(*) FROM ffrtmp.%I', v.view)) c(result)
 WHERE v.permission IS NOT NULL
 ORDER BY v.view, p.login;
SELECT CASE WHEN v.permission = 'jobs.view'
            THEN ok(result !~ '^42501 ', format('a jobs.view key may read ffrtmp.%s (%s): %s', v.view, v.permission, result))
            ELSE ok(result ~ '^42501 ', format('a jobs.view key is refused ffrtmp.%s (%s): %s', v.view, v.permission, result))
       END
  FROM view_permissions v
 CROSS JOIN LATERAL pg_temp.call_with_key(:'scoped_key', format('count(*) FROM ffrtmp.%I', v.view)) c(result)
 WHERE v.permission IS NOT NULL
 ORDER BY v.view;
-- A view of lookup rows is read by everyone, under any key.
SELECT is(pg_temp.call_with_key(:'scoped_key', format('count(*) FROM %s', f.function)), 'ok',
          format('%s needs no permission', f.function))
  FROM ffrtmp_data.function_permissions f
 WHERE f.function LIKE 'ffrtmp.%'
 ORDER BY f.function;
-- The readers' own ordering in the issue: an operator is refused the
-- webhooks' URLs, a nodes.view key the jobs and the tenants.
SELECT is(pg_temp.call_as('tap_m_operator', 'url FROM ffrtmp.webhooks'),
          '42501 permission denied: webhooks.manage', 'an operator is refused ffrtmp.webhooks as list_webhooks');
SELECT api_key AS nodes_key
  FROM ffrtmp.create_api_key('matrix-nodes', tenant => 'matrix-a', role => 'tenant_admin', scopes => '{nodes.view}') \gset
SELECT is(pg_temp.call_with_key(:'nodes_key', 'count(*) FROM ffrtmp.jobs'),
          '42501 permission denied: jobs.view', 'a nodes.view key is refused ffrtmp.jobs as tenant_jobs');
SELECT is(pg_temp.call_with_key(:'nodes_key', 'count(*) FROM ffrtmp.tenants'),
          '42501 permission denied: tenants.view', 'and ffrtmp.tenants');

-- The check cannot be forgotten, nor planned away, and follows the table.
CREATE FUNCTION ffrtmp.tap_undeclared() RETURNS integer LANGUAGE sql AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION ffrtmp.tap_undeclared() TO ffrtmp_tenant;
SELECT is(pg_temp.call_as('tap_m_tenant_admin', 'ffrtmp.tap_undeclared()'),
          '42501 function ffrtmp.tap_undeclared declares no permission',
          'a function of the ffrtmp schema missing from the table is refused');
SELECT is(pg_temp.call_as('tap_m_superadmin', 'ffrtmp.tap_undeclared()'),
          '42501 function ffrtmp.tap_undeclared declares no permission',
          'to everyone, administrators included');
INSERT INTO ffrtmp_data.function_permissions VALUES ('tap_undeclared', 'users.manage');
SELECT is(pg_temp.call_as('tap_m_operator', 'ffrtmp.tap_undeclared()'),
          '42501 permission denied: users.manage',
          'declared, the simple SQL function is checked, not inlined past the check, and the change counts at once');
SELECT is(pg_temp.call_as('tap_m_tenant_admin', 'ffrtmp.tap_undeclared()'), 'ok',
          'and runs for a role holding the permission');


-- A parallel worker does not know the leader's key: under a jobs.view key,
-- quota_checks (tenants.view) is refused even when the planner may move it
-- into a worker, where the session's role (here an administrator) would pass.
-- The wall behind that: a function declared later as PARALLEL SAFE is
-- refused in a worker ("cannot be checked in a parallel worker"), or, when
-- no worker is free, by the check in the leader: 42501 either way.
CREATE FUNCTION ffrtmp.tap_parallel_safe() RETURNS integer LANGUAGE sql PARALLEL SAFE AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION ffrtmp.tap_parallel_safe() TO ffrtmp_admin;
INSERT INTO ffrtmp_data.function_permissions VALUES ('tap_parallel_safe', 'tenants.view');
CREATE ROLE tap_m_scoped_admin LOGIN IN ROLE ffrtmp_admin;
SET ROLE tap_m_scoped_admin;
SELECT ffrtmp.authenticate(:'scoped_key') \g /dev/null
SET LOCAL force_parallel_mode = on;
SELECT throws_ok('SELECT count(*) FROM ffrtmp.quota_checks()', '42501', 'permission denied: tenants.view',
                 'a parallel plan runs the check where the key is known');
SELECT throws_ok('SELECT count(*) FROM ffrtmp.tenants', '42501',
                 'permission denied: tenants.view', 'and so does a view''s reader');
SELECT throws_ok('SELECT ffrtmp.tap_parallel_safe() FROM generate_series(1, 10)', '42501', NULL,
                 'a PARALLEL SAFE function needing a permission is not run unchecked in a worker');
RESET force_parallel_mode;
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
