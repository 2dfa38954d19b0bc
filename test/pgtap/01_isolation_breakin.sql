-- Attempts to break tenant isolation.  Every one must fail closed: an error
-- with a clear SQLSTATE and message, or no rows of anyone else.
BEGIN;
SELECT plan(199);

-- Setup, as the superuser: two tenants with a login role each, a job and a
-- node for each of them, a job of the default tenant, a private preset of B,
-- a role granted nothing, and a group role mapped to a third tenant.
\o /dev/null
SELECT id AS a_id FROM ffrtmp.create_tenant('tap-a', plan => 'pro') \gset
SELECT id AS b_id FROM ffrtmp.create_tenant('tap-b', plan => 'pro') \gset
SELECT id AS g_id FROM ffrtmp.create_tenant('tap-g', plan => 'pro') \gset
CREATE ROLE tap_alice LOGIN;
CREATE ROLE tap_bob LOGIN;
CREATE ROLE tap_nobody LOGIN;
CREATE ROLE tap_group NOLOGIN;
CREATE ROLE tap_member LOGIN IN ROLE tap_group;
SELECT ffrtmp.add_tenant_role('tap-a', 'tap_alice');
SELECT ffrtmp.add_tenant_role('tap-b', 'tap_bob');
SELECT ffrtmp.add_tenant_role('tap-g', 'tap_group');
SELECT id AS d_job FROM ffrtmp.submit_job('testsrc://') \gset
INSERT INTO ffrtmp_data.presets (tenant_id, name, params) VALUES (:'b_id', 'b-secret', '{"format": "mp4"}');

-- Runs q as role target inside a subtransaction that is always rolled back
-- (so the SET ROLE and anything q did are undone) and returns q's single
-- value as text, or 'error <SQLSTATE>' when the SET ROLE or q failed.
CREATE FUNCTION pg_temp.as_role(target text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    result text;
BEGIN
    BEGIN
        EXECUTE format('SET ROLE %I', target);
        EXECUTE q INTO result;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = coalesce(result, '<null>');
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'PTRES' THEN
            RETURN SQLERRM;
        END IF;
        RETURN 'error ' || SQLSTATE;
    END;
END
$fn$;
-- One value of q, or 'error <SQLSTATE>' when q fails (in the caller's role).
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    result text;
BEGIN
    EXECUTE q INTO result;
    RETURN coalesce(result, '<null>');
EXCEPTION WHEN OTHERS THEN
    RETURN 'error ' || SQLSTATE;
END
$fn$;

SET ROLE tap_bob;
SELECT id AS b_job FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key') \gset
SELECT node_id AS b_node, session_token AS b_token FROM ffrtmp.register_node('node-1', cpu_cores => 4) \gset
RESET ROLE;
\o

SELECT is((SELECT tenant_id FROM ffrtmp_data.jobs WHERE id = :b_job), :'b_id'::uuid, 'setup: B''s role submitted for B');

-- 1. Who am I; keys that are per tenant.
SET ROLE tap_alice;
SELECT is(ffrtmp.current_tenant(), :'a_id'::uuid, 'a mapped role acts for its tenant');
SELECT is(ffrtmp.caller_is_admin(), false, 'a tenant role is not an administrator');
SELECT is((SELECT seq FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key')), 1::bigint,
          'A may use the idempotency key B used, and its job numbers start at 1 too');
SELECT id AS a_job FROM ffrtmp.jobs WHERE idempotency_key = 'same-key' \gset
SELECT is((SELECT id FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key')), :a_job::bigint,
          'repeating the key finds A''s own job, never B''s');
SELECT isnt(:a_job::bigint, :b_job::bigint, 'the two same-key jobs are different jobs');
SELECT node_id AS a_node, session_token AS a_token FROM ffrtmp.register_node('node-1', cpu_cores => 2) \gset
SELECT isnt(:a_node::bigint, :b_node::bigint, 'A registers its own node-1 without touching B''s node-1');
SELECT is((SELECT tenant_id FROM ffrtmp.nodes WHERE id = :a_node), :'a_id'::uuid,
          'a tenant role''s node is dedicated to its own tenant, never the shared pool');

-- 2. Reading B through the tables: no table or view holding tenant rows is
-- readable at all, not even A's own rows (row-level security filters after the
-- scan, so EXPLAIN would count B's rows: see 07_side_channels).
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.tenants$$, '42501', 'permission denied for table tenants', 'table tenants is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.jobs$$, '42501', 'permission denied for table jobs', 'table jobs is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.job_events$$, '42501', 'permission denied for table job_events', 'table job_events is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.usage$$, '42501', 'permission denied for table usage', 'table usage is not readable');
SELECT throws_ok($$SELECT id FROM ffrtmp_data.nodes$$, '42501', 'permission denied for table nodes', 'no column of table nodes is readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.tenant_roles$$, '42501', 'permission denied for table tenant_roles', 'table tenant_roles is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.presets$$, '42501', 'permission denied for table presets', 'table presets is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.job_progress$$, '42501', 'permission denied for table job_progress', 'table job_progress is not readable');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.tenant_limits$$, '42501', 'permission denied for view tenant_limits', 'view tenant_limits is not readable');
SELECT throws_ok($$EXPLAIN (ANALYZE) SELECT * FROM ffrtmp_data.tenants WHERE name = 'tap-b'$$, '42501', 'permission denied for table tenants',
                 'nor explainable');
SELECT throws_ok($$SELECT token_hash FROM ffrtmp_data.nodes$$, '42501', 'permission denied for table nodes',
                 'node token hashes are not readable, not even A''s own');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE id = :b_job), 0::bigint, 'view jobs hides B''s job by id');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE job_id = :b_job), 0::bigint, 'view job_events hides B''s history');
SELECT is((SELECT count(*) FROM ffrtmp.nodes WHERE id = :b_node), 0::bigint, 'view nodes hides B''s node by id');
SELECT is((SELECT count(*) FROM ffrtmp.tenant_roles WHERE role_name = 'tap_bob'), 0::bigint, 'view tenant_roles hides B''s role');
SELECT is((SELECT count(*) FROM ffrtmp.job_progress WHERE tenant_id <> :'a_id'), 0::bigint, 'view job_progress shows A only');

-- 3. Reading B through the views.
SELECT is((SELECT count(*) FROM ffrtmp.tenants WHERE id <> :'a_id'), 0::bigint, 'view tenants shows A only');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id <> :'a_id'), 0::bigint, 'view jobs shows A only');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE tenant_id <> :'a_id'), 0::bigint, 'view job_events shows A only');
SELECT is((SELECT count(*) FROM ffrtmp.nodes WHERE tenant_id IS DISTINCT FROM :'a_id'), 0::bigint, 'view nodes shows A only');
SELECT is((SELECT count(*) FROM ffrtmp.tenant_roles WHERE tenant_id <> :'a_id'), 0::bigint, 'view tenant_roles shows A only');
SELECT is((SELECT count(*) FROM ffrtmp.presets WHERE name = 'b-secret'), 0::bigint, 'view presets hides B''s preset');
SELECT is((SELECT array_agg(name) FROM ffrtmp.list_tenants()), ARRAY['tap-a'], 'list_tenants lists A only');

-- 4. Reading and acting on B through the API: 42501 for a tenant, and
-- "does not exist" for a job or node, exactly as for a missing one.
SELECT throws_ok($$SELECT * FROM ffrtmp.get_tenant('tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'get_tenant of B by name');
SELECT throws_ok(format('SELECT * FROM ffrtmp.get_tenant(%L)', :'b_id'), '42501', format('permission denied for tenant "%s"', :'b_id'), 'get_tenant of B by id');
SELECT throws_ok($$SELECT * FROM ffrtmp.get_tenant('no-such-tenant')$$, '42501', 'permission denied for tenant "no-such-tenant"', 'a missing tenant reads the same as B');
SELECT throws_ok($$SELECT * FROM ffrtmp.get_tenant('default')$$, '42501', 'permission denied for tenant "default"', 'get_tenant of the default tenant');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_stats('tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'tenant_stats of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_jobs('tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'tenant_jobs of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_nodes('tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'tenant_nodes of B');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'submit_job for B');
SELECT throws_ok(format('SELECT * FROM ffrtmp.submit_job(%L, tenant => %L)', 'testsrc://', :'b_id'), '42501', NULL, 'submit_job for B by id');
SELECT throws_ok($$SELECT * FROM ffrtmp.register_node('evil', cpu_cores => 1, tenant => 'tap-b')$$, '42501', 'permission denied for tenant "tap-b"', 'register_node for B');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_job('testsrc://', preset => 'b-secret')$$, '22023', 'preset "b-secret" does not exist', 'B''s preset does not exist for A');
SELECT throws_ok(format('SELECT * FROM ffrtmp.get_job(%s)', :b_job), 'PT404', format('job %s does not exist', :b_job), 'get_job of B''s job: does not exist');
SELECT throws_ok('SELECT * FROM ffrtmp.get_job(999999999)', 'PT404', 'job 999999999 does not exist', 'a missing job reads the same');
SELECT throws_ok(format('SELECT * FROM ffrtmp.get_job(%s)', :d_job), 'PT404', format('job %s does not exist', :d_job), 'get_job of the default tenant''s job');
SELECT throws_ok(format('SELECT * FROM ffrtmp.cancel_job(%s)', :b_job), 'PT404', format('job %s does not exist', :b_job), 'cancel_job of B''s job');
SELECT throws_ok(format('SELECT * FROM ffrtmp.retry_job(%s)', :b_job), 'PT404', format('job %s does not exist', :b_job), 'retry_job of B''s job');
SELECT throws_ok(format('SELECT ffrtmp.node_heartbeat(%s, %L)', :b_node, :'b_token'), 'PT404', format('node %s does not exist', :b_node),
                 'node_heartbeat of B''s node, even with its token');
SELECT throws_ok(format('SELECT * FROM ffrtmp.fetch_assigned(%s, %L)', :b_node, :'b_token'), 'PT404', format('node %s does not exist', :b_node),
                 'fetch_assigned as B''s node');
SELECT throws_ok(format('SELECT * FROM ffrtmp.start_job(%s, 1, %s, %L)', :b_job, :a_node, :'a_token'), 'PT404', format('job %s does not exist', :b_job),
                 'start_job of B''s job from A''s own node');
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, '{"percent": 50}')$$, :b_job, :a_node, :'a_token'), 'PT404',
                 format('job %s does not exist', :b_job), 'report_progress on B''s job from A''s own node');
SELECT throws_ok(format('SELECT * FROM ffrtmp.finish_job(%s, 1, %s, %L, %L)', :b_job, :a_node, :'a_token', 'completed'), 'PT404',
                 format('job %s does not exist', :b_job), 'finish_job of B''s job from A''s own node');
SELECT throws_ok(format('SELECT * FROM ffrtmp.drain_node(%s)', :b_node), 'PT404', format('node %s does not exist', :b_node), 'drain_node of B''s node');
SELECT throws_ok(format('SELECT ffrtmp.remove_node(%s)', :b_node), 'PT404', format('node %s does not exist', :b_node), 'remove_node of B''s node');
RESET ROLE;
SELECT results_eq(format('SELECT state, attempt FROM ffrtmp_data.jobs WHERE id = %s', :b_job), $$VALUES ('queued', 1)$$,
                  'B''s job is untouched');
SELECT results_eq(format('SELECT state, tenant_id FROM ffrtmp_data.nodes WHERE id = %s', :b_node), format('VALUES (%L, %L::uuid)', 'online', :'b_id'),
                  'B''s node is untouched');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE tenant_id = :'b_id'), 1::bigint, 'B has still just its one job');
SET ROLE tap_alice;

-- 5. Direct writes and DDL.
SELECT throws_ok($$INSERT INTO ffrtmp_data.jobs (tenant_id, seq, input_url) VALUES (ffrtmp.current_tenant(), 99, 'testsrc://')$$,
                 '42501', 'permission denied for table jobs', 'no INSERT on jobs');
SELECT throws_ok($$UPDATE ffrtmp_data.jobs SET priority = 1000$$, '42501', 'permission denied for table jobs', 'no UPDATE on jobs');
SELECT throws_ok($$DELETE FROM ffrtmp_data.jobs$$, '42501', 'permission denied for table jobs', 'no DELETE on jobs');
SELECT throws_ok(format('INSERT INTO ffrtmp_data.tenants (name, plan) VALUES (%L, %L)', 'mine', 'enterprise'),
                 '42501', 'permission denied for table tenants', 'no INSERT on tenants');
SELECT throws_ok($$UPDATE ffrtmp_data.tenants SET plan = 'enterprise'$$, '42501', 'permission denied for table tenants', 'no UPDATE on tenants');
SELECT throws_ok($$DELETE FROM ffrtmp_data.tenants$$, '42501', 'permission denied for table tenants', 'no DELETE on tenants');
SELECT throws_ok(format('INSERT INTO ffrtmp_data.usage (tenant_id) VALUES (%L)', :'b_id'), '42501', 'permission denied for table usage', 'no INSERT on usage');
SELECT throws_ok($$UPDATE ffrtmp_data.usage SET active_jobs = 0, jobs_submitted = 0$$, '42501', 'permission denied for table usage', 'no UPDATE on usage');
SELECT throws_ok($$DELETE FROM ffrtmp_data.usage$$, '42501', 'permission denied for table usage', 'no DELETE on usage');
SELECT throws_ok(format('INSERT INTO ffrtmp_data.tenant_roles (role_name, tenant_id) VALUES (%L, %L)', 'tap_alice', :'b_id'),
                 '42501', 'permission denied for table tenant_roles', 'no INSERT on tenant_roles');
SELECT throws_ok($$UPDATE ffrtmp_data.tenant_roles SET tenant_id = tenant_id$$, '42501', 'permission denied for table tenant_roles', 'no UPDATE on tenant_roles');
SELECT throws_ok($$INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, to_state, actor) VALUES (1, ffrtmp.current_tenant(), 1, 'completed', 'x')$$,
                 '42501', 'permission denied for table job_events', 'no INSERT on job_events');
SELECT throws_ok($$UPDATE ffrtmp_data.nodes SET state = 'offline'$$, '42501', 'permission denied for table nodes', 'no UPDATE on nodes');
SELECT throws_ok($$INSERT INTO ffrtmp_data.presets (tenant_id, name, params) VALUES (ffrtmp.current_tenant(), 'p', '{}')$$,
                 '42501', 'permission denied for table presets', 'no INSERT on presets');
SELECT throws_ok($$ALTER TABLE ffrtmp_data.jobs NO FORCE ROW LEVEL SECURITY$$, '42501', 'must be owner of table jobs', 'no turning off FORCE');
SELECT throws_ok($$ALTER TABLE ffrtmp_data.jobs DISABLE ROW LEVEL SECURITY$$, '42501', 'must be owner of table jobs', 'no disabling row-level security');
SELECT throws_ok($$CREATE POLICY mine ON ffrtmp_data.jobs USING (true)$$, '42501', 'must be owner of table jobs', 'no extra permissive policy');
SELECT throws_ok($$DROP POLICY tenant_isolation ON ffrtmp_data.jobs$$, '42501', 'must be owner of relation jobs', 'no dropping the policy');
SELECT throws_ok($$CREATE TABLE ffrtmp_data.evil (x int)$$, '42501', 'permission denied for schema ffrtmp_data', 'no creating objects in ffrtmp_data');
SELECT throws_ok($$CREATE FUNCTION ffrtmp.current_tenant(x int) RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid'$$,
                 '42501', 'permission denied for schema ffrtmp', 'no creating functions in ffrtmp');
SET row_security = off;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, '42501', 'query would be affected by row-level security policy for table "jobs"',
                 'row_security = off fails closed instead of showing every row');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_job('testsrc://')$$, '42501', NULL, 'and the API fails closed under row_security = off too');
RESET row_security;

-- 6. Administrator-only functions and roles.
SELECT throws_ok($$SELECT ffrtmp.create_tenant('mine')$$, '42501', 'permission denied for function create_tenant', 'create_tenant');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-a', plan => 'enterprise')$$, '42501', 'permission denied for function update_tenant', 'update_tenant, even of its own tenant');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-a', quotas => '{"max_jobs": null}')$$, '42501', NULL, 'update_tenant to lift its own quotas');
SELECT throws_ok($$SELECT ffrtmp.delete_tenant('tap-b')$$, '42501', 'permission denied for function delete_tenant', 'delete_tenant');
SELECT throws_ok($$SELECT ffrtmp.restore_tenant('tap-a')$$, '42501', 'permission denied for function restore_tenant', 'restore_tenant');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-b', 'tap_alice')$$, '42501', 'permission denied for function add_tenant_role', 'add_tenant_role');
SELECT throws_ok($$SELECT ffrtmp.remove_tenant_role('tap-a', 'tap_alice')$$, '42501', 'permission denied for function remove_tenant_role', 'remove_tenant_role');
SELECT throws_ok($$SELECT * FROM ffrtmp.verify_usage()$$, '42501', 'permission denied for function verify_usage', 'verify_usage');
SELECT throws_ok($$SELECT ffrtmp.repair_usage()$$, '42501', 'permission denied for function repair_usage', 'repair_usage');
SELECT throws_ok($$SELECT ffrtmp.dispatch()$$, '42501', 'permission denied for function dispatch', 'dispatch');
-- SET ROLE is checked against the session user, so log in as A for these.
RESET ROLE;
SET SESSION AUTHORIZATION tap_alice;
SELECT throws_ok($$SET ROLE tap_bob$$, '42501', 'permission denied to set role "tap_bob"', 'A cannot become B''s role');
SELECT throws_ok($$SET ROLE ffrtmp_admin$$, '42501', 'permission denied to set role "ffrtmp_admin"', 'nor an administrator');
SELECT throws_ok($$SET ROLE ffrtmp_owner$$, '42501', 'permission denied to set role "ffrtmp_owner"', 'nor the owner');
SELECT throws_ok($$SET ROLE postgres$$, '42501', 'permission denied to set role "postgres"', 'nor a superuser');
RESET SESSION AUTHORIZATION;
SET ROLE tap_alice;

-- 7. Spoofing the context with settings.
SELECT throws_ok($$SET ffrtmp.tenant = 'tap-b'$$, '42602', 'invalid configuration parameter name "ffrtmp.tenant"', 'SET of an ffrtmp.* setting is refused');
SELECT throws_ok(format('SELECT set_config(%L, %L, false)', 'ffrtmp.tenant_id', :'b_id'), '42602',
                 'invalid configuration parameter name "ffrtmp.tenant_id"', 'set_config of an ffrtmp.* setting is refused');
SELECT throws_ok(format('SET LOCAL ffrtmp.role = %L', 'tap_bob'), '42602', NULL, 'SET LOCAL of an ffrtmp.* setting is refused');
SELECT lives_ok(format('SELECT set_config(%L, %L, false)', 'request.jwt.claims',
                       json_build_object('tenant_id', :'b_id', 'role', 'tap_bob', 'tenant', 'tap-b')::text),
                'PostgREST-style claims can be set by anyone');
SELECT lives_ok(format('SELECT set_config(%L, %L, false)', 'request.headers', json_build_object('x-tenant-id', :'b_id')::text),
                'and so can request headers');
SELECT lives_ok(format('SELECT set_config(%L, %L, false)', 'request.jwt.claim.tenant_id', :'b_id'), 'and single claims');
SELECT is(ffrtmp.current_tenant(), :'a_id'::uuid, 'but claims from an untrusted session change nothing');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id = :'b_id'), 0::bigint, 'B stays invisible');
SELECT is((SELECT tenant_id FROM ffrtmp.submit_job('testsrc://')), :'a_id'::uuid, 'and submissions still go to A');
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS cleared \gset

-- 8. Shadowing with temporary objects against the SECURITY DEFINER functions.
SELECT active_jobs AS a_active_before, jobs_this_hour AS a_hour_before FROM ffrtmp.tenant_stats() \gset
SELECT max(seq) AS a_seq_before FROM ffrtmp.jobs \gset
CREATE TEMP TABLE usage (tenant_id uuid, active_jobs int, queued_jobs int, running_jobs int, cpu_cores_used int,
                         gpus_used int, workers int, jobs_submitted bigint, hour_counts int[], hour_minutes bigint[]);
INSERT INTO pg_temp.usage VALUES (:'b_id', 0, 0, 0, 0, 0, 0, 0, '{}', '{}');
CREATE TEMP TABLE jobs (id bigint, tenant_id uuid, seq bigint, state text);
CREATE TEMP VIEW tenants AS SELECT :'b_id'::uuid AS id, 'tap-a'::text AS name, 'enterprise'::text AS plan;
SELECT is((SELECT seq FROM ffrtmp.submit_job('testsrc://')), :a_seq_before::bigint + 1,
          'submit_job ignores temp tables named like its own: the next real job number');
SELECT results_eq('SELECT active_jobs, jobs_this_hour FROM ffrtmp.tenant_stats()',
                  format('VALUES (%s, %s)', :a_active_before + 1, :a_hour_before + 1),
                  'tenant_stats reads and the submission moved the real counters');
SELECT is((SELECT id FROM ffrtmp.get_tenant('tap-a')), :'a_id'::uuid, 'get_tenant ignores a temp view named tenants');
SELECT is((SELECT count(*) FROM ffrtmp.tenants), 1::bigint, 'as does the tenants view');
SELECT is((SELECT count(*) FROM pg_temp.jobs), 0::bigint, 'the temp jobs table was not written');
SELECT results_eq('SELECT active_jobs, jobs_submitted FROM pg_temp.usage', 'VALUES (0, 0::bigint)', 'nor the temp usage table');
DROP VIEW pg_temp.tenants;
DROP TABLE pg_temp.usage, pg_temp.jobs;

-- 9. Escaping the mapping through the ffrtmp_tenant group role A was granted.
-- Logged in as A (SET ROLE is checked against the session user).
RESET ROLE;
SET SESSION AUTHORIZATION tap_alice;
SELECT matches(pg_temp.as_role('ffrtmp_tenant', format('SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id <> %L', :'a_id')), '^(0|error .*)$',
          'SET ROLE ffrtmp_tenant does not let A see any other tenant''s (e.g. the default tenant''s) jobs');
SELECT isnt(pg_temp.as_role('ffrtmp_tenant', $$SELECT tenant_id FROM ffrtmp.submit_job('testsrc://')$$), '00000000-0000-0000-0000-000000000000',
            'SET ROLE ffrtmp_tenant does not let A submit for the default tenant (unlimited quotas)');
RESET SESSION AUTHORIZATION;
-- A member of a mapped group role acts for the group's tenant, never the default tenant.
SET SESSION AUTHORIZATION tap_member;
SELECT matches(pg_temp.try(format('SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id <> %L', :'g_id')), '^(0|error .*)$',
          'a member of a mapped group role sees no other tenant''s (e.g. the default tenant''s) jobs');
SELECT matches(pg_temp.try('SELECT name FROM ffrtmp.tenants WHERE id = ffrtmp.current_tenant()'), '^(tap-g|error 42501)$',
          'a member of a mapped group role acts for the group''s tenant (or is refused)');
RESET SESSION AUTHORIZATION;

-- 10. Catalog guarantees.
SELECT cmp_ok((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef), '>=', 20::bigint,
              'the API has SECURITY DEFINER functions');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef
                    AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)$$,
                'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
-- The one exception: the metric readers (sql/api/90_metrics.sql) count
-- across tenants for a monitoring role mapped to none, as
-- ffrtmp_metrics_reader (BYPASSRLS); they take no argument, so nothing a
-- caller passes can steer them.
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef
                    AND pg_get_userbyid(p.proowner) <> 'ffrtmp_owner'
                    AND NOT (pg_get_userbyid(p.proowner) = 'ffrtmp_metrics_reader' AND n.nspname = 'ffrtmp_data'
                             AND p.proname LIKE 'metric\_%' AND p.pronargs = 0)$$,
                'every SECURITY DEFINER function runs as ffrtmp_owner, never a superuser (but the argument-free metric readers)');
SELECT is_empty($$SELECT c.relname || ' ' || x.privilege_type FROM pg_class c
                   CROSS JOIN LATERAL aclexplode(c.relacl) x
                  WHERE x.grantee = 'ffrtmp_metrics_reader'::regrole
                    AND (x.privilege_type <> 'SELECT'
                         OR c.relname NOT IN ('tenants', 'plans', 'usage', 'pending_usage', 'current_usage',
                                              'jobs', 'job_queue', 'nodes', 'tenant_limits'))$$,
                'the metric readers'' owner may only SELECT tenants, plans, usage (with its pending changes), jobs (with the queued ones'' job_queue), nodes and tenant_limits');
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef
                    AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
                'no SECURITY DEFINER function is executable by PUBLIC');
SELECT results_eq($$SELECT c.relname::text COLLATE "default", c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)::text COLLATE "default"
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'ffrtmp_data'
                       AND c.relname IN ('tenants', 'tenant_roles', 'usage', 'jobs', 'job_events', 'nodes', 'presets')
                     ORDER BY 1$$,
                  $$VALUES ('job_events', true, true, 'ffrtmp_owner'), ('jobs', true, true, 'ffrtmp_owner'),
                           ('nodes', true, true, 'ffrtmp_owner'), ('presets', true, true, 'ffrtmp_owner'),
                           ('tenant_roles', true, true, 'ffrtmp_owner'), ('tenants', true, true, 'ffrtmp_owner'),
                           ('usage', true, true, 'ffrtmp_owner')$$,
                  'row-level security is enabled and forced on every tenant-owned table, and ffrtmp_owner owns it');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
                  WHERE n.nspname = 'ffrtmp_data' AND c.relkind = 'r'
                    AND NOT (c.relrowsecurity AND c.relforcerowsecurity)$$,
                'every table in ffrtmp_data with a tenant_id column has forced row-level security');
-- Not every tenant's row says tenant_id: the audit's seals and chain heads
-- name a tenant's chain.  A table with any uuid column (a tenant's, a user's
-- or an event's id) has forced row-level security, or no privilege for any
-- role but its owner, which reaches it only through the API's functions.
SELECT is_empty($$SELECT DISTINCT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_attribute a ON a.attrelid = c.oid AND a.atttypid = 'uuid'::regtype AND a.attnum > 0 AND NOT a.attisdropped
                  WHERE n.nspname = 'ffrtmp_data' AND c.relkind IN ('r', 'p')
                    AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
                    AND EXISTS (SELECT 1 FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) x
                                 WHERE x.grantee <> c.relowner)$$,
                'every table in ffrtmp_data holding ids of tenants, users or events has forced row-level security or is its owner''s alone');
SELECT is_empty($$SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'ffrtmp' AND c.relkind = 'v'
                    AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
                'every view in ffrtmp is security_invoker');
SELECT results_eq($$SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'ffrtmp_owner'$$,
                  $$VALUES (false, false, false)$$, 'the owner is not a superuser, has no BYPASSRLS and cannot log in');
SELECT is((SELECT count(*) FROM pg_roles WHERE rolname IN ('ffrtmp_admin', 'ffrtmp_tenant') AND (rolbypassrls OR rolsuper)),
          0::bigint, 'neither API role bypasses row-level security');
-- The owner acts for no tenant, so FORCEd row-level security refuses it outright.
SET ROLE ffrtmp_owner;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.jobs$$, '42501', 'role "ffrtmp_owner" acts for no tenant',
                 'the table owner reads no tenant''s jobs, not even the default tenant''s');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.tenants$$, '42501', NULL, 'nor any tenant');
RESET ROLE;

-- Planner statistics do not leak other tenants' values.
ANALYZE ffrtmp_data.jobs;
SELECT cmp_ok((SELECT count(*) FROM pg_stats WHERE schemaname = 'ffrtmp_data' AND tablename = 'jobs'), '>', 0::bigint,
              'the superuser sees statistics of jobs');
SET ROLE tap_alice;
SELECT is((SELECT count(*) FROM pg_stats WHERE schemaname = 'ffrtmp_data' AND tablename IN ('jobs', 'tenants', 'usage', 'nodes')),
          0::bigint, 'a tenant role sees no statistics (most common values) of tables under row-level security');
RESET ROLE;

-- 11. Hostile strings.
SELECT count(*) AS jobs_before FROM ffrtmp_data.jobs \gset
SELECT throws_ok($$SELECT ffrtmp.create_tenant('''; DROP TABLE ffrtmp_data.jobs; --')$$, '22023',
                 'invalid tenant name "''; DROP TABLE ffrtmp_data.jobs; --"', 'SQL in a name is just a bad name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('x''); DROP TABLE ffrtmp_data.jobs; --', display_name => '''); DROP TABLE ffrtmp_data.jobs; --')$$,
                 '22023', NULL, 'SQL in a name and a display name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(repeat('é', 10000))$$, '22023',
                 'invalid tenant name "' || repeat('é', 20) || '..."', '10 KB of unicode as a name (echoed only in part)');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('Upper')$$, '22023', 'invalid tenant name "Upper"', 'upper case in a name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('1st')$$, '22023', 'invalid tenant name "1st"', 'a leading digit');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('trailing-')$$, '22023', 'invalid tenant name "trailing-"', 'a trailing hyphen');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('')$$, '22023', 'invalid tenant name ""', 'an empty name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('tap b')$$, '22023', 'invalid tenant name "tap b"', 'a space in a name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('tëst')$$, '22023', 'invalid tenant name "tëst"', 'a non-ASCII letter in a name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('a' || repeat('b', 63))$$, '22023', NULL, 'a 64-character name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('abcdef00-0000-0000-0000-000000000000')$$, '22023',
                 'invalid tenant name "abcdef00-0000-0000-0000-000000000000"', 'a name that reads as a tenant id');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('tap-a')$$, 'PT409', 'tenant name "tap-a" is already taken', 'a taken name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', display_name => repeat('é', 10000))$$, '22023',
                 'display_name is too long (10000 characters)', '10000 unicode characters as a display name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', description => repeat('ü', 10000))$$, '22023',
                 'description is too long (10000 characters)', '10000 unicode characters as a description');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(E'nul\u0000byte')$$, NULL, NULL, 'a NUL byte in a literal never reaches the extension');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(convert_from('\x6e756c006279746500'::bytea, 'UTF8'))$$, NULL, NULL,
                 'nor a NUL byte made with convert_from');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', metadata => jsonb_build_object('blob', repeat('x', 20480)))$$, '22023', NULL,
                 '20 KB of metadata');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', metadata => '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}}')$$, '22023',
                 'metadata is nested too deeply (9 levels)', 'metadata nested 9 levels deep');
SELECT lives_ok($$SELECT ffrtmp.create_tenant('ok-deep', metadata => '{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}}')$$,
                'metadata nested 8 levels deep is fine');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', metadata => '[1, 2]')$$, '22023', 'metadata must be a JSON object', 'metadata that is not an object');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('ok-name', plan => 'free''; DROP TABLE ffrtmp_data.jobs; --')$$, '22023', NULL, 'SQL in a plan');
SELECT throws_ok($$SELECT ffrtmp.get_tenant('''; DROP TABLE ffrtmp_data.jobs; --')$$, 'PT404', NULL, 'SQL in a tenant lookup is just a missing tenant');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', idempotency_key => repeat('k', 256))$$, '22023',
                 'idempotency_key must be 1 to 255 bytes long', 'a 256-byte idempotency key');
SELECT has_table('ffrtmp_data', 'jobs', 'the jobs table is still there');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs), :jobs_before::bigint, 'with all its rows');

-- 12. Blocked tenants: deleted, suspended, expired.
SELECT ffrtmp.delete_tenant('tap-a') IS NOT NULL AS deleted \gset
SET ROLE tap_alice;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, 'PT403', 'tenant "tap-a" has been deleted', 'a deleted tenant''s users cannot read the views');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.job_events$$, 'PT403', 'tenant "tap-a" has been deleted', 'nor the job history');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'PT403', 'tenant "tap-a" has been deleted', 'nor submit');
SELECT throws_ok($$SELECT * FROM ffrtmp.tenant_stats()$$, 'PT403', 'tenant "tap-a" has been deleted', 'nor read their stats');
SELECT throws_ok(format('SELECT * FROM ffrtmp.cancel_job(%s)', :a_job), 'PT403', 'tenant "tap-a" has been deleted', 'nor cancel');
SELECT throws_ok(format('SELECT ffrtmp.node_heartbeat(%s, %L)', :a_node, :'a_token'), 'PT403', 'tenant "tap-a" has been deleted', 'nor send heartbeats');
RESET ROLE;
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-a', plan => 'enterprise')$$, 'PT409', 'tenant "tap-a" is deleted', 'a deleted tenant cannot be changed');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('tap-a')$$, 'PT409', 'tenant name "tap-a" is already taken', 'nor its name reused');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-a')$$, 'PT403', 'tenant "tap-a" is deleted and cannot submit jobs',
                 'an administrator cannot submit for it either');
SELECT is((SELECT effective_status FROM ffrtmp.get_tenant('tap-a')), 'deleted', 'its effective status is deleted');
SELECT ffrtmp.restore_tenant('tap-a') IS NOT NULL AS restored \gset
SET ROLE tap_alice;
SELECT is((SELECT count(*) FROM ffrtmp.jobs), (SELECT count(*) FROM ffrtmp.tenant_jobs()),
          'after restore_tenant A reads again');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'and submits again');
RESET ROLE;

SELECT ffrtmp.update_tenant('tap-a', status => 'suspended') IS NOT NULL AS suspended \gset
SET ROLE tap_alice;
SELECT is((SELECT effective_status FROM ffrtmp.tenants), 'suspended', 'a suspended tenant sees its status');
SELECT cmp_ok((SELECT count(*) FROM ffrtmp.jobs), '>', 0::bigint, 'and can still read its jobs');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'PT403', 'tenant "tap-a" is suspended and cannot submit jobs', 'but cannot submit');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', idempotency_key => 'same-key')$$, 'PT403',
                 'tenant "tap-a" is suspended and cannot submit jobs', 'not even by repeating an idempotency key');
SELECT throws_ok($$SELECT ffrtmp.register_node('node-2', cpu_cores => 1)$$, 'PT403', 'tenant "tap-a" is suspended and cannot register nodes',
                 'nor register nodes');
RESET ROLE;
SELECT ffrtmp.update_tenant('tap-a', status => 'active') IS NOT NULL AS reactivated \gset

SELECT throws_ok($$SELECT ffrtmp.create_tenant('tap-past', expires_at => now() - interval '1 second')$$, '22023',
                 'expires_at is in the past', 'create_tenant refuses an expiry in the past');
SELECT ffrtmp.update_tenant('tap-a', expires_at => now() + interval '1 day') IS NOT NULL AS expiring \gset
SET ROLE tap_alice;
SELECT is((SELECT effective_status FROM ffrtmp.tenants), 'active', 'a tenant with a future expiry is active');
RESET ROLE;
SELECT ffrtmp.update_tenant('tap-a', expires_at => now() - interval '1 second') IS NOT NULL AS expired \gset
SET ROLE tap_alice;
SELECT is((SELECT effective_status FROM ffrtmp.tenants), 'expired', 'once expires_at has passed the tenant is expired at once');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'PT403', 'tenant "tap-a" is expired and cannot submit jobs', 'and cannot submit');
RESET ROLE;
SELECT ffrtmp.update_tenant('tap-a', expires_at => 'infinity') IS NOT NULL AS unexpired \gset
SET ROLE tap_alice;
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, 'removing the expiry lets it submit again');
RESET ROLE;

-- 13. The default tenant.
SELECT throws_ok($$SELECT ffrtmp.delete_tenant('default')$$, 'PT409', 'the default tenant cannot be deleted', 'the default tenant cannot be deleted');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('default', status => 'suspended')$$, 'PT409', 'the default tenant cannot be suspended', 'nor suspended');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('default', status => 'expired')$$, 'PT409', 'the default tenant cannot be expired', 'nor expired');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('default', expires_at => now() + interval '1 day')$$, 'PT409',
                 'the default tenant cannot be given an expiry time', 'nor given an expiry time');
SELECT is((SELECT effective_status FROM ffrtmp.get_tenant('default')), 'active', 'the default tenant stays active');

-- 14. Mapping rules.
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-b', 'tap_alice')$$, 'PT409', 'role "tap_alice" already acts for another tenant',
                 'a role acts for one tenant only');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'postgres')$$, '22023', 'role "postgres" cannot be confined to a tenant',
                 'a superuser cannot be mapped (it would bypass row-level security)');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'ffrtmp_owner')$$, '22023', 'role "ffrtmp_owner" cannot be confined to a tenant',
                 'nor the extension''s own roles');
-- Past row-level security too: BYPASSRLS, replication, PostgreSQL's pg_*
-- roles and the members of pg_read_all_data / pg_write_all_data (a NOINHERIT
-- member included: it may SET ROLE to it at any time).
CREATE ROLE tap_bypass NOLOGIN BYPASSRLS;
CREATE ROLE tap_repl NOLOGIN REPLICATION;
CREATE ROLE tap_reader NOLOGIN IN ROLE pg_read_all_data;
CREATE ROLE tap_reader_noinherit NOLOGIN NOINHERIT IN ROLE pg_read_all_data;
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_bypass')$$, '22023', 'role "tap_bypass" cannot be confined to a tenant',
                 'nor a BYPASSRLS role');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_repl')$$, '22023', 'role "tap_repl" cannot be confined to a tenant',
                 'nor a replication role');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'pg_read_all_data')$$, '22023', 'role "pg_read_all_data" cannot be confined to a tenant',
                 'nor pg_read_all_data');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'pg_write_all_data')$$, '22023', 'role "pg_write_all_data" cannot be confined to a tenant',
                 'nor pg_write_all_data');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'pg_monitor')$$, '22023', 'role "pg_monitor" cannot be confined to a tenant',
                 'nor another of PostgreSQL''s built-in roles');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_reader')$$, '22023', 'role "tap_reader" cannot be confined to a tenant',
                 'nor a member of pg_read_all_data');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_reader_noinherit')$$, '22023', 'role "tap_reader_noinherit" cannot be confined to a tenant',
                 'nor a NOINHERIT member of it');
CREATE FUNCTION pg_temp.detail_of(sql text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE d text;
BEGIN
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    RETURN d;
END
$fn$;
SELECT is(pg_temp.detail_of($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_bypass')$$),
          'Superusers and roles with BYPASSRLS bypass row-level security.', 'the detail names the reason: BYPASSRLS');
SELECT is(pg_temp.detail_of($$SELECT ffrtmp.add_tenant_role('tap-a', 'tap_reader')$$),
          'Members of pg_read_all_data or pg_write_all_data read or write every table, those without row-level security included.',
          '... membership of pg_read_all_data');
SELECT id AS tap_mapped_user FROM ffrtmp.create_user('tap-mapped@example.com', 'viewer', tenant => 'tap-a') \gset
SELECT throws_ok(format($$SELECT ffrtmp.map_user_role(%L, 'tap_bypass')$$, :'tap_mapped_user'), '22023',
                 'role "tap_bypass" cannot be confined to a tenant', 'map_user_role refuses the same roles');

-- 15. Roles granted nothing.
SET ROLE tap_nobody;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, '42501', 'permission denied for schema ffrtmp', 'an ungranted role cannot read the views');
SELECT throws_ok($$SELECT count(*) FROM ffrtmp_data.jobs$$, '42501', 'permission denied for schema ffrtmp_data', 'nor the tables');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, '42501', 'permission denied for schema ffrtmp', 'nor call the API');
SELECT throws_ok($$SELECT ffrtmp.current_tenant()$$, '42501', NULL, 'nor ask for a tenant');
RESET ROLE;
SELECT ffrtmp.remove_tenant_role('tap-b', 'tap_bob') IS NULL AS unmapped \gset
SELECT is(pg_has_role('tap_bob', 'ffrtmp_tenant', 'MEMBER'), false, 'remove_tenant_role revokes ffrtmp_tenant');
SET ROLE tap_bob;
SELECT throws_ok($$SELECT count(*) FROM ffrtmp.jobs$$, '42501', NULL, 'an unmapped role loses access at once');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, '42501', NULL, 'and cannot submit, not even for the default tenant');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
