-- No attempt without an owner, whoever calls.  A session-bound node speaks
-- only through its database session; once that session is gone its attempts
-- have no owner.  With no scheduler running (as here), the worker calls that
-- every live node makes (node_heartbeat, fetch_assigned, start_job) end them
-- as platform_error, retried per max_attempts.  Reads never write.  A node
-- whose session lives keeps its attempts; a tenant's call touches its own
-- tenant's nodes only.  test/t/037_lost_session.pl kills a real session.
BEGIN;
SELECT plan(20);

\o /dev/null
SELECT ffrtmp.create_tenant('lost', plan => 'pro');
SELECT ffrtmp.create_tenant('bystander', plan => 'pro');
CREATE ROLE tap_lost_worker LOGIN;
CREATE ROLE tap_bystander_worker LOGIN;
SELECT ffrtmp.add_tenant_role('lost', 'tap_lost_worker');
SELECT ffrtmp.add_tenant_role('bystander', 'tap_bystander_worker');

-- Node gone: session-bound, two slots, one attempt running and one assigned.
SELECT node_id AS gone, session_token AS gone_token
  FROM ffrtmp.register_node('lost-gone', cpu_cores => 2, slots => 2, tenant => 'lost', session_bound => true) \gset
SELECT id AS running FROM ffrtmp.submit_job('testsrc://', tenant => 'lost') \gset
SELECT id AS assigned FROM ffrtmp.submit_job('testsrc://', tenant => 'lost', max_attempts => 1) \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:running, 1, :gone, :'gone_token');
-- Node alive: session-bound to this session, which lives; one attempt running.
SELECT node_id AS alive, session_token AS alive_token
  FROM ffrtmp.register_node('lost-alive', cpu_cores => 2, slots => 1, tenant => 'lost', session_bound => true) \gset
SELECT id AS kept FROM ffrtmp.submit_job('testsrc://', tenant => 'lost') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:kept, 1, :alive, :'alive_token');
-- The callers: plain nodes, one of the pool, one of each tenant.
SELECT node_id AS pool, session_token AS pool_token FROM ffrtmp.register_node('lost-pool', cpu_cores => 1) \gset
SELECT ffrtmp.drain_node(:pool);
\o

SELECT results_eq(format('SELECT node_id FROM ffrtmp.jobs WHERE id IN (%s, %s, %s) ORDER BY id', :running, :assigned, :kept),
                  format('VALUES (%s::bigint), (%s), (%s)', :gone, :gone, :alive), 'the fixture: two attempts on the node to lose, one on the live one');

-- The session of node gone ends: the backend with its pid is now another
-- session (a pid the system reused), which is what a dead session looks like.
UPDATE ffrtmp_data.nodes SET session_started = session_started - interval '1 hour' WHERE id = :gone;

-- Reads see it and change nothing.
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :running, :assigned),
                  $$VALUES ('running'), ('assigned')$$, 'the jobs view only reads');
SELECT is((ffrtmp.get_job(:running)).state, 'running', 'and so does get_job');

CREATE FUNCTION pg_temp.ended() RETURNS SETOF text LANGUAGE sql AS $$
    SELECT state || ' ' || attempt || ' ' || coalesce(failure_reason, '-') || ' ' || coalesce(node_id::text, '-')
      FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'lost') ORDER BY id
$$;

-- Each worker call of another node ends them (each tried from the same start).
SAVEPOINT before;
SELECT is(ffrtmp.node_heartbeat(:pool, :'pool_token', '{}'), 'draining', 'another node heartbeats');
SELECT results_eq('SELECT * FROM pg_temp.ended()',
                  format($$VALUES ('retrying 2 platform_error -'), ('failed 1 platform_error -'), ('running 1 - %s')$$, :alive),
                  'its heartbeat ends the lost session''s attempts: retried, or failed on the last attempt; the live node keeps its own');
SELECT is((SELECT state FROM ffrtmp.nodes WHERE id = :gone), 'offline', 'the lost node is offline');
SELECT is((SELECT state FROM ffrtmp.nodes WHERE id = :alive), 'online', 'the live one is online');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE job_id IN (:running, :assigned)
             AND reason LIKE '%database session of node ' || :gone || ' ended%'),
          2::bigint, 'job_events say why each attempt ended');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');
SELECT count(*) AS events FROM ffrtmp.job_events WHERE job_id IN (:running, :assigned) \gset
SELECT is(ffrtmp.node_heartbeat(:pool, :'pool_token', '{}'), 'draining', 'a second heartbeat');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE job_id IN (:running, :assigned)), :events::bigint,
          'ends nothing twice');
SELECT results_eq('SELECT * FROM pg_temp.ended()',
                  format($$VALUES ('retrying 2 platform_error -'), ('failed 1 platform_error -'), ('running 1 - %s')$$, :alive),
                  'the states stay as they were');
ROLLBACK TO SAVEPOINT before;

SAVEPOINT before;
SELECT is((SELECT count(*) FROM ffrtmp.fetch_assigned(:pool, :'pool_token')), 0::bigint, 'another node fetches its assigned jobs');
SELECT results_eq('SELECT * FROM pg_temp.ended()',
                  format($$VALUES ('retrying 2 platform_error -'), ('failed 1 platform_error -'), ('running 1 - %s')$$, :alive),
                  'fetch_assigned ends them too');
ROLLBACK TO SAVEPOINT before;

SAVEPOINT before;
\o /dev/null
SELECT id AS other FROM ffrtmp.submit_job('testsrc://', tenant => 'bystander') \gset
UPDATE ffrtmp_data.nodes SET state = 'online' WHERE id = :pool;
SELECT ffrtmp.dispatch();
\o
SELECT is((ffrtmp.start_job(:other, 1, :pool, :'pool_token')).state, 'running', 'another node starts a job');
SELECT results_eq('SELECT * FROM pg_temp.ended()',
                  format($$VALUES ('retrying 2 platform_error -'), ('failed 1 platform_error -'), ('running 1 - %s')$$, :alive),
                  'start_job ends them too');
ROLLBACK TO SAVEPOINT before;

-- Under row-level security: another tenant's call does not see these nodes
-- and changes nothing; the tenant's own call does.
SAVEPOINT before;
\o /dev/null
SELECT node_id AS by_node, session_token AS by_token
  FROM ffrtmp.register_node('by-1', cpu_cores => 1, tenant => 'bystander') \gset
SELECT node_id AS own_node, session_token AS own_token
  FROM ffrtmp.register_node('own-1', cpu_cores => 1, tenant => 'lost') \gset
\o
SET LOCAL ROLE tap_bystander_worker;
SELECT is(ffrtmp.node_heartbeat(:by_node, :'by_token', '{}'), 'online', 'another tenant''s node heartbeats');
RESET ROLE;
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :running, :assigned),
                  $$VALUES ('running'), ('assigned')$$, 'and ends nothing of this tenant');
SET LOCAL ROLE tap_lost_worker;
SELECT is(ffrtmp.node_heartbeat(:own_node, :'own_token', '{}'), 'online', 'a node of the tenant heartbeats');
RESET ROLE;
SELECT results_eq('SELECT * FROM pg_temp.ended()',
                  format($$VALUES ('retrying 2 platform_error -'), ('failed 1 platform_error -'), ('running 1 - %s')$$, :alive),
                  'and ends them');
ROLLBACK TO SAVEPOINT before;

SELECT * FROM finish();
ROLLBACK;
