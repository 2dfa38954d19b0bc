-- Quota given back waits in pending_usage (docs/quotas.md, "How the checks
-- stay exact"): a job finishing leaves the tenant's usage row alone, the
-- counters read through current_usage, tenant_stats and verify_usage count
-- it at once, a submit at the limit folds it in before it would refuse, and
-- a dispatch pass folds it in before it reads the CPU quota.
BEGIN;
SELECT plan(16);

\o /dev/null
SELECT ffrtmp.create_tenant('pu', plan => 'pro');
SELECT ffrtmp.update_tenant('pu', quotas => '{"max_jobs": 2, "max_cpu_cores": 2}');
SELECT id AS tenant FROM ffrtmp_data.tenants WHERE name = 'pu' \gset
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('pu-1', cpu_cores => 8, slots => 4) \gset
SELECT id AS j1 FROM ffrtmp.submit_job('testsrc://', tenant => 'pu', cpu_cores => 2) \gset
SELECT id AS j2 FROM ffrtmp.submit_job('testsrc://', tenant => 'pu', cpu_cores => 2) \gset
\o

-- The usage row itself (active, CPU cores) and the rows pending for it.
CREATE FUNCTION pg_temp.row_of(t uuid) RETURNS text LANGUAGE sql AS $$
    SELECT format('active=%s cores=%s', u.active_jobs, u.cpu_cores_used) FROM ffrtmp_data.usage u WHERE u.tenant_id = t
$$;
CREATE FUNCTION pg_temp.pending_of(t uuid) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM ffrtmp_data.pending_usage p WHERE p.tenant_id = t
$$;
CREATE FUNCTION pg_temp.stats_of(t text) RETURNS text LANGUAGE sql AS $$
    SELECT format('active=%s cores=%s', s.active_jobs, s.cpu_cores_used) FROM ffrtmp.tenant_stats(t) s
$$;

SELECT is(ffrtmp_data.dispatch_pass(0), 1, 'the CPU quota lets one 2-core job run');
SELECT is((SELECT state FROM ffrtmp.start_job(:j1, 1, :node, :'token')), 'running', 'it starts');
SELECT is(pg_temp.row_of(:'tenant'), 'active=2 cores=2', 'a start gives nothing back');

SELECT is((SELECT state FROM ffrtmp.finish_job(:j1, 1, :node, :'token', 'completed')), 'completed', 'it finishes');
SELECT is(pg_temp.row_of(:'tenant'), 'active=2 cores=2', 'finishing leaves the usage row alone');
SELECT is(pg_temp.pending_of(:'tenant'), 1::bigint, 'what it gave back waits in pending_usage');
SELECT is(pg_temp.stats_of('pu'), 'active=1 cores=0', 'tenant_stats counts it at once');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'verify_usage finds the counters exact');

-- max_jobs: the row says 2 of 2, but one was given back.
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'pu', cpu_cores => 2)$$,
                'a submit at the limit of the row succeeds: it folds what was given back before it refuses');
SELECT is(pg_temp.pending_of(:'tenant'), 0::bigint, 'the submit folded the pending change into the row');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'pu')$$, 'PT429', NULL,
                 'at the limit counted exactly, the next submit is refused');

-- max_cpu_cores: j2 runs and finishes; the row still holds its 2 cores.
\o /dev/null
SELECT ffrtmp_data.dispatch_pass(0);
SELECT ffrtmp.start_job(:j2, 1, :node, :'token');
SELECT ffrtmp.finish_job(:j2, 1, :node, :'token', 'completed');
\o
SELECT is(pg_temp.row_of(:'tenant'), 'active=2 cores=2', 'the row still holds the finished job''s cores');
SELECT is(ffrtmp_data.dispatch_pass(0), 1, 'a pass folds them back before it reads the CPU quota, and dispatches the third job');
SELECT is(pg_temp.pending_of(:'tenant'), 0::bigint, 'nothing is left pending');
SELECT is(pg_temp.row_of(:'tenant'), 'active=1 cores=2', 'the row is exact again');
SELECT is(ffrtmp.repair_usage(), 0, 'repair_usage finds nothing to fix');

SELECT * FROM finish();
ROLLBACK;
