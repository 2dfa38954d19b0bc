-- Operators' calls: drain and remove nodes, readiness, tenant expiry, pruning.
BEGIN;
SELECT plan(15);

SELECT ffrtmp.create_tenant('ops', plan => 'pro');
SELECT node_id AS n1, session_token AS t1 FROM ffrtmp.register_node('ops-1', cpu_cores => 4, slots => 2, tenant => 'ops') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'ops') \gset
SELECT ffrtmp.dispatch();
SELECT is((SELECT state FROM ffrtmp.drain_node(:n1)), 'draining', 'drain_node stops new work');
SELECT is(ffrtmp.node_heartbeat(:n1, :'t1'), 'draining', 'and the node hears it in its heartbeat');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'ops');
SELECT is(ffrtmp.dispatch(), 0, 'a draining node gets no new job');
SELECT throws_ok(format('SELECT ffrtmp.remove_node(%s)', :n1), 'PT409', format('node %s still has jobs', :n1), 'a node with jobs cannot be removed');
SELECT ffrtmp.start_job(:job, 1, :n1, :'t1');
SELECT ffrtmp.finish_job(:job, 1, :n1, :'t1', 'completed');
SELECT lives_ok(format('SELECT ffrtmp.remove_node(%s)', :n1), 'once idle it can');
SELECT is((SELECT active_workers FROM ffrtmp.tenant_stats('ops')), 0, 'and it no longer counts as a worker');
SELECT throws_ok('SELECT ffrtmp.remove_node(-5)', 'PT404', NULL, 'removing a missing node is not found');

-- Readiness names what is missing (here at least: no node is online).
SELECT is((SELECT ffrtmp.ready() -> 'ready'), 'false'::jsonb, 'not ready without an online node');
SELECT ok((SELECT ffrtmp.ready() -> 'problems' ? 'no node is online'), 'and says why');

-- Expiry is recorded by the recovery pass.
SELECT ffrtmp.update_tenant('ops', expires_at => now() - interval '1 second');
SELECT ffrtmp_data.recover('15 seconds');
SELECT is((SELECT status FROM ffrtmp.tenants WHERE name = 'ops'), 'expired', 'a tenant past expires_at is marked expired');

-- Pruning removes old finished jobs with their history, and nothing else.
UPDATE ffrtmp_data.jobs SET finished_at = now() - interval '30 days' WHERE id = :job;
SELECT is(ffrtmp_data.prune('7 days', 1000), 1, 'one finished job is older than the retention');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_events WHERE job_id = :job), 0::bigint, 'its history went with it');

-- Drifted counters are found and repaired.
UPDATE ffrtmp_data.usage SET active_jobs = active_jobs + 5, workers = 7
 WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'ops');
SELECT results_eq($$SELECT counter, recorded - actual FROM ffrtmp.verify_usage() ORDER BY counter$$,
                  $$VALUES ('active_jobs', 5::bigint), ('workers', 7::bigint)$$, 'verify_usage names the drifted counters');
SELECT is(ffrtmp.repair_usage(), 1, 'repair_usage fixes the one tenant');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'after which they agree with a recount');

SELECT * FROM finish();
ROLLBACK;
