-- A lost session's attempts all end at the first call that finds them, however
-- many of one tenant's it ran.  (The sweep locks every job and usage row it
-- will change before it ends the first attempt: locked one by one, a tenant's
-- usage row, already changed by this call's first ending, would make it skip
-- the tenant's later attempts until another call.)
BEGIN;
SELECT plan(4);

\o /dev/null
SELECT ffrtmp.create_tenant('many', plan => 'pro');
SELECT ffrtmp.create_tenant('other', plan => 'pro');
SELECT node_id AS gone FROM ffrtmp.register_node('many-gone', cpu_cores => 64, slots => 30, session_bound => true) \gset
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'many')) FROM generate_series(1, 14);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'other')) FROM generate_series(1, 12);
SELECT ffrtmp.dispatch();
SELECT node_id AS pool, session_token AS pool_token FROM ffrtmp.register_node('many-pool', cpu_cores => 1) \gset
SELECT ffrtmp.drain_node(:pool);
\o

SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE node_id = :gone AND state = 'assigned'), 26::bigint,
          'the fixture: 26 attempts of two tenants on the node to lose');

-- Its session ends (its pid is now another session's).
UPDATE ffrtmp_data.nodes SET session_started = session_started - interval '1 hour' WHERE id = :gone;

SELECT is(ffrtmp.node_heartbeat(:pool, :'pool_token', '{}'), 'draining', 'another node heartbeats once');
SELECT results_eq($$SELECT t.name, j.state, count(*) FROM ffrtmp.jobs j JOIN ffrtmp.tenants t ON t.id = j.tenant_id
                     GROUP BY 1, 2 ORDER BY 1, 2$$,
                  $$VALUES ('many'::text, 'retrying'::text, 14::bigint), ('other', 'retrying', 12)$$,
                  'that one call ends every attempt of the lost session, of each tenant');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');

SELECT * FROM finish();
ROLLBACK;
