-- No attempt without an owner.  A node that registers again gets a new
-- session token; its previous session can no longer call (the node-token
-- fence), so the attempts that session started have an owner only if the new
-- session lists them in its heartbeat.  A heartbeat without a list vouches
-- for its own session's attempts only: the previous session's running
-- attempts end as platform_error and are retried per max_attempts.
BEGIN;
SELECT plan(13);

\o /dev/null
SELECT ffrtmp.create_tenant('own', plan => 'pro');
SELECT node_id AS node, session_token AS old_token
  FROM ffrtmp.register_node('own-1', cpu_cores => 4, slots => 2, tenant => 'own') \gset
SELECT id AS orphan FROM ffrtmp.submit_job('testsrc://', tenant => 'own') \gset
SELECT id AS last_try FROM ffrtmp.submit_job('testsrc://', tenant => 'own', max_attempts => 1) \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:orphan, 1, :node, :'old_token');
SELECT ffrtmp.start_job(:last_try, 1, :node, :'old_token');
-- The old session started them a while ago (one transaction has one now()).
UPDATE ffrtmp_data.jobs SET started_at = now() - interval '1 minute' WHERE id IN (:orphan, :last_try);
UPDATE ffrtmp_data.nodes SET registered_at = now() - interval '2 minutes' WHERE id = :node;
-- The node registers again: same node, a new session.
SELECT node_id AS node_again, session_token AS new_token
  FROM ffrtmp.register_node('own-1', cpu_cores => 4, slots => 2, tenant => 'own') \gset
\o

SELECT is(:node_again::bigint, :node::bigint, 'registering again keeps the node');
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :orphan, :last_try),
                  $$VALUES ('running'), ('running')$$, 'registering alone ends nothing (a worker that lists its jobs keeps them)');
SELECT throws_ok(format('SELECT ffrtmp.finish_job(%s, 1, %s, %L, %L)', :orphan, :node, :'old_token', 'completed'),
                 'PT403', NULL, 'the old session can no longer finish its attempt');

-- A heartbeat of the new session without a job list.
SELECT is(ffrtmp.node_heartbeat(:node, :'new_token', NULL), 'online', 'the new session heartbeats without a list');
SELECT results_eq(format('SELECT state, attempt, failure_reason FROM ffrtmp.jobs WHERE id = %s', :orphan),
                  $$VALUES ('retrying', 2, 'platform_error')$$, 'the old session''s attempt ends and is retried');
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :last_try),
                  $$VALUES ('failed', 'platform_error')$$, 'one with no attempts left fails');
SELECT is((SELECT count(*) FROM ffrtmp.job_events
            WHERE job_id IN (:orphan, :last_try) AND from_state = 'running'
              AND reason LIKE '%registered again%'),
          2::bigint, 'job_events record why each attempt ended');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');

-- The new session's own attempts are its own: a heartbeat without a list keeps them.
\o /dev/null
SELECT id AS fresh FROM ffrtmp.submit_job('testsrc://', tenant => 'own') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:fresh, 1, :node, :'new_token');
\o
SELECT is(ffrtmp.node_heartbeat(:node, :'new_token', NULL), 'online', 'another heartbeat without a list');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :fresh), 'running', 'keeps the attempt its own session started');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are still exact');

-- A list that leaves out two running jobs of one tenant ends both in one heartbeat.
\o /dev/null
SELECT id AS second FROM ffrtmp.submit_job('testsrc://', tenant => 'own') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:second, 1, :node, :'new_token');
SELECT ffrtmp.node_heartbeat(:node, :'new_token', '{}');
\o
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :fresh, :second),
                  $$VALUES ('retrying', 'platform_error'), ('retrying', 'platform_error')$$,
                  'a heartbeat ends every unlisted attempt of a tenant at once');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'and the counters stay exact');

SELECT * FROM finish();
ROLLBACK;
