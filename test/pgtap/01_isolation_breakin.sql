-- Attempts to break tenant isolation.  Each must fail closed, with a clear error.
BEGIN;
SELECT plan(65);

-- Two tenants, a role for each, a job and a node for each.
SELECT id AS a_id FROM ffrtmp.create_tenant('tap-a', plan => 'pro') \gset
SELECT id AS b_id FROM ffrtmp.create_tenant('tap-b', plan => 'pro') \gset
CREATE ROLE tap_alice LOGIN;
CREATE ROLE tap_bob LOGIN;
CREATE ROLE tap_nobody LOGIN;
SELECT ffrtmp.add_tenant_role('tap-a', 'tap_alice');
SELECT ffrtmp.add_tenant_role('tap-b', 'tap_bob');
SELECT id AS b_job FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key', tenant => 'tap-b') \gset
SELECT id AS a_job FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key', tenant => 'tap-a') \gset
SELECT node_id AS b_node, session_token AS b_token FROM ffrtmp.register_node('node-1', cpu_cores => 4, tenant => 'tap-b') \gset

SET ROLE tap_alice;
SELECT is(ffrtmp.current_tenant(), :'a_id'::uuid, 'a mapped role acts for its tenant');
SELECT is(ffrtmp.caller_is_admin(), false, 'a tenant role is not an administrator');

-- Reading B through tables and views.
SELECT is((SELECT count(*) FROM ffrtmp_data.tenants WHERE id = :'b_id'), 0::bigint, 'table tenants hides B');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE tenant_id = :'b_id'), 0::bigint, 'table jobs hides B');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_events WHERE tenant_id = :'b_id'), 0::bigint, 'table job_events hides B');
SELECT is((SELECT count(*) FROM ffrtmp_data.usage WHERE tenant_id = :'b_id'), 0::bigint, 'table usage hides B');
SELECT is((SELECT count(*) FROM ffrtmp_data.tenant_roles WHERE tenant_id = :'b_id'), 0::bigint, 'table tenant_roles hides B');
SELECT is((SELECT count(*) FROM ffrtmp_data.tenant_limits WHERE tenant_id = :'b_id'), 0::bigint, 'view tenant_limits hides B');
SELECT is((SELECT count(*) FROM ffrtmp.tenants), 1::bigint, 'view tenants shows only A');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id <> :'a_id'), 0::bigint, 'view jobs shows only A');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE tenant_id <> :'a_id'), 0::bigint, 'view job_events shows only A');
SELECT is((SELECT count(*) FROM ffrtmp.nodes), 0::bigint, 'view nodes shows neither B''s nor pool nodes');
SELECT is((SELECT count(*) FROM ffrtmp.tenant_roles), 1::bigint, 'view tenant_roles shows only A''s mapping');
SELECT throws_ok($$SELECT token_hash FROM ffrtmp_data.nodes$$, '42501', NULL, 'node token hashes are not readable');

-- Reading and acting on B through every function.
SELECT throws_ok($$SELECT * FROM ffrtmp.get_tenant('tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'get_tenant of B');
SELECT throws_ok(format('SELECT * FROM ffrtmp.get_tenant(%L)', :'b_id'), '42501', NULL, 'get_tenant of B by id');
SELECT throws_ok($$SELECT * FROM ffrtmp.get_tenant('no-such-tenant')$$, '42501', 'permission denied for tenant "no-such-tenant"', 'a missing tenant looks the same as another one');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_stats('tap-b')$$, '42501', NULL, 'tenant_stats of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_jobs('tap-b')$$, '42501', NULL, 'tenant_jobs of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_nodes('tap-b')$$, '42501', NULL, 'tenant_nodes of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-b')$$, '42501', NULL, 'submit_job for B');
SELECT throws_ok($$SELECT * FROM ffrtmp.register_node('evil', cpu_cores => 1, tenant => 'tap-b')$$, '42501', NULL, 'register_node for B');
SELECT throws_ok(format('SELECT * FROM ffrtmp.get_job(%s)', :b_job), 'PT404', format('job %s does not exist', :b_job), 'get_job of B: not found');
SELECT throws_ok('SELECT * FROM ffrtmp.get_job(999999999)', 'PT404', 'job 999999999 does not exist', 'a missing job reads the same');
SELECT throws_ok(format('SELECT * FROM ffrtmp.cancel_job(%s)', :b_job), 'PT404', NULL, 'cancel_job of B');
SELECT throws_ok(format('SELECT * FROM ffrtmp.retry_job(%s)', :b_job), 'PT404', NULL, 'retry_job of B');
SELECT throws_ok(format('SELECT ffrtmp.node_heartbeat(%s, %L)', :b_node, :'b_token'), 'PT404', NULL, 'node_heartbeat of B''s node, even with its token');
SELECT node_id AS a_node FROM ffrtmp.register_node('a-node', cpu_cores => 1) \gset
SELECT is((SELECT tenant_id FROM ffrtmp.nodes WHERE id = :a_node), :'a_id'::uuid,
          'a tenant role''s node is dedicated to its own tenant, never the shared pool');

-- Direct writes and administrator functions.
SELECT throws_ok($$INSERT INTO ffrtmp_data.jobs (tenant_id, seq, input_url) VALUES (ffrtmp.current_tenant(), 99, 'testsrc://')$$, '42501', NULL, 'no INSERT on jobs');
SELECT throws_ok($$UPDATE ffrtmp_data.jobs SET priority = 1000$$, '42501', NULL, 'no UPDATE on jobs');
SELECT throws_ok($$DELETE FROM ffrtmp_data.jobs$$, '42501', NULL, 'no DELETE on jobs');
SELECT throws_ok($$UPDATE ffrtmp_data.usage SET active_jobs = 0$$, '42501', NULL, 'no UPDATE on usage');
SELECT throws_ok($$UPDATE ffrtmp_data.tenants SET plan = 'enterprise'$$, '42501', NULL, 'no UPDATE on tenants');
SELECT throws_ok($$INSERT INTO ffrtmp_data.tenant_roles (role_name, tenant_id) SELECT rolname, id FROM pg_roles, ffrtmp.tenants LIMIT 1$$, '42501', NULL, 'no INSERT on tenant_roles');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('mine')$$, '42501', NULL, 'create_tenant is for administrators');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-a', plan => 'enterprise')$$, '42501', NULL, 'update_tenant, even of its own tenant');
SELECT throws_ok($$SELECT ffrtmp.delete_tenant('tap-b')$$, '42501', NULL, 'delete_tenant');
SELECT throws_ok($$SELECT ffrtmp.restore_tenant('tap-a')$$, '42501', NULL, 'restore_tenant');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-b', 'tap_alice')$$, '42501', NULL, 'add_tenant_role');
SELECT throws_ok($$SELECT ffrtmp.remove_tenant_role('tap-a', 'tap_alice')$$, '42501', NULL, 'remove_tenant_role');
SELECT throws_ok($$SELECT * FROM ffrtmp.verify_usage()$$, '42501', NULL, 'verify_usage');

-- Spoofing the context.
SELECT throws_ok($$SET ffrtmp.tenant = 'tap-b'$$, '42602', NULL, 'SET of an ffrtmp.* setting is refused');
SELECT throws_ok(format('SELECT set_config(%L, %L, false)', 'ffrtmp.tenant_id', :'b_id'), '42602', NULL, 'set_config of an ffrtmp.* setting is refused');
SELECT set_config('request.jwt.claims', json_build_object('tenant_id', :'b_id', 'role', 'tap_bob')::text, false);
SELECT set_config('request.headers', json_build_object('x-tenant-id', :'b_id')::text, false);
SELECT is(ffrtmp.current_tenant(), :'a_id'::uuid, 'PostgREST-style claims from an untrusted session change nothing');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id = :'b_id'), 0::bigint, 'and B stays invisible');

-- Shadowing with temporary objects against the SECURITY DEFINER functions.
CREATE TEMP TABLE usage (tenant_id uuid, active_jobs int, workers int);
CREATE TEMP TABLE jobs (id bigint, tenant_id uuid);
CREATE TEMP TABLE tenants (id uuid, name text);
INSERT INTO pg_temp.tenants VALUES (:'b_id', 'tap-a');
SELECT is((SELECT seq FROM ffrtmp.submit_job('testsrc://')), 2::bigint, 'submit_job ignores temp tables named like its own');
SELECT is((SELECT active_jobs FROM ffrtmp.tenant_stats()), 2, 'tenant_stats reads the real counters');
SELECT is((SELECT count(*) FROM pg_temp.jobs), 0::bigint, 'the temp tables were not touched');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef
             AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)), 0::bigint,
          'every SECURITY DEFINER function pins search_path to pg_catalog, pg_temp');

-- Keys scoped by tenant: no constraint error reveals the other tenant.
SELECT is((SELECT count(DISTINCT tenant_id) FROM ffrtmp_data.jobs WHERE idempotency_key = 'same-key'), 2::bigint,
          'both tenants use idempotency key same-key');
SELECT is((SELECT count(*) FROM ffrtmp.register_node('node-1', cpu_cores => 2, tenant => 'tap-a')), 1::bigint,
          'both tenants have a node named node-1');
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM ffrtmp_data.jobs WHERE tenant_id = :'b_id'), ARRAY[1::bigint],
          'job numbers are per tenant');

-- FORCE: the owner of the tables is confined too.
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'ffrtmp_data'
             AND c.relname IN ('tenants', 'tenant_roles', 'usage', 'jobs', 'job_events', 'job_progress', 'nodes', 'presets')
             AND c.relrowsecurity AND c.relforcerowsecurity AND pg_get_userbyid(c.relowner) = 'ffrtmp_owner'), 8::bigint,
          'row-level security is enabled and forced on every tenant-owned table, owned by ffrtmp_owner');
SELECT is((SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'ffrtmp_owner'), false,
          'the owner is neither superuser nor BYPASSRLS');
SET ROLE ffrtmp_owner;
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE tenant_id IN (:'a_id', :'b_id')), 0::bigint,
          'the table owner sees no tenant''s jobs but the default tenant''s');
RESET ROLE;

-- Hostile strings.
SELECT throws_ok($$SELECT ffrtmp.create_tenant('''; DROP TABLE ffrtmp_data.jobs; --')$$, '22023', NULL, 'SQL in a name is just a bad name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(repeat('é', 10000))$$, '22023', NULL, '10 KB of unicode as a name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', description => repeat('ü', 10000))$$, '22023', 'description is too long (10000 characters)', '10 KB of unicode as a description');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(E'nul\\u0000byte')$$, NULL, NULL, 'a NUL byte never reaches the extension');
SELECT has_table('ffrtmp_data', 'jobs', 'the jobs table is still there');

-- Blocked tenants.
SELECT ffrtmp.delete_tenant('tap-a');
SET ROLE tap_alice;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, 'PT403', 'tenant "tap-a" has been deleted', 'a deleted tenant''s users cannot read');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'PT403', 'tenant "tap-a" has been deleted', 'nor submit');
RESET ROLE;
SELECT ffrtmp.restore_tenant('tap-a');
SET ROLE tap_alice;
SELECT is((SELECT count(*) FROM ffrtmp.jobs), 2::bigint, 'after restore_tenant they can again');
RESET ROLE;

-- Callers with no grant at all.
SET ROLE tap_nobody;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, '42501', NULL, 'an ungranted role cannot read the views');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, '42501', NULL, 'nor call the API');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
