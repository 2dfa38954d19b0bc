-- Who ends a lost session's attempts (docs/fences.md): the scheduler, and
-- the worker calls node_heartbeat, fetch_assigned and start_job of any node
-- that may see the lost node.  A tenant's calls never write rows outside
-- their tenant, so neither a tenant's submit nor its own dedicated worker's
-- heartbeat touches a lost shared-pool node (row-level security hides the
-- pool from tenants); the next call of any shared-pool worker (an
-- administrator, who sees every node) ends the attempt.
BEGIN;
SELECT plan(5);

\o /dev/null
SELECT ffrtmp.create_tenant('stuck', plan => 'pro');
CREATE ROLE tap_stuck_user LOGIN;
SELECT ffrtmp.add_tenant_role('stuck', 'tap_stuck_user');
-- The shared pool's only node, session-bound, runs the tenant's job.
SELECT node_id AS gone, session_token AS gone_token
  FROM ffrtmp.register_node('stuck-pool', cpu_cores => 2, session_bound => true) \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'stuck') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:job, 1, :gone, :'gone_token');
-- The tenant's own dedicated node, full, so that it takes no job.
SELECT node_id AS own, session_token AS own_token
  FROM ffrtmp.register_node('stuck-own', cpu_cores => 1, tenant => 'stuck') \gset
SELECT ffrtmp.drain_node(:own);
\o

SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'running', 'the fixture: the tenant''s job runs on the pool node');
-- The pool node's session ends (its pid is now another session's).
UPDATE ffrtmp_data.nodes SET session_started = session_started - interval '1 hour' WHERE id = :gone;

SET LOCAL ROLE tap_stuck_user;
\o /dev/null
SELECT ffrtmp.submit_job('testsrc://', tenant => 'stuck');
\o
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'running', 'a tenant''s submit writes nothing outside its tenant');
SELECT is(ffrtmp.node_heartbeat(:own, :'own_token', '{}'), 'draining', 'the tenant''s own worker heartbeats');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'running', 'and does not see the shared pool''s lost node');
RESET ROLE;
\o /dev/null
SELECT node_id AS pool, session_token AS pool_token
  FROM ffrtmp.register_node('stuck-pool-2', cpu_cores => 1, slots => 1, session_bound => true) \gset
SELECT ffrtmp.node_heartbeat(:pool, :'pool_token', '{}');
\o
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'retrying', 'another shared-pool worker''s heartbeat ends the lost attempt');

SELECT * FROM finish();
ROLLBACK;
