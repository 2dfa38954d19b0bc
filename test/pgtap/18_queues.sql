-- Queues in dispatch: within a tenant's fair share live jobs go before
-- default before batch (the queue ranks above priority); tenants still share
-- by weight; batch jobs leave ffrtmp.live_reserve free slots of the shared
-- pool; a job waiting longer than ffrtmp.queue_max_wait ranks with live jobs.
-- Passes are driven by hand with ffrtmp.dispatch(); the workers "finish"
-- what they were given by updating the rows.
BEGIN;
SELECT plan(15);

CREATE FUNCTION pg_temp.finish_assigned() RETURNS void LANGUAGE sql AS $$
    UPDATE ffrtmp_data.jobs SET state = 'running' WHERE state = 'assigned';
    UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE state = 'running';
$$;
CREATE FUNCTION pg_temp.assigned_queues(tenant text) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(j.queue ORDER BY j.queue), '{}') FROM ffrtmp_data.jobs j
      JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
     WHERE t.name = tenant AND j.state = 'assigned'
$$;
-- Only one section's nodes are online at a time.
CREATE FUNCTION pg_temp.only_online(prefix text) RETURNS void LANGUAGE sql AS $$
    UPDATE ffrtmp_data.nodes SET state = CASE WHEN name LIKE prefix || '%' THEN 'online' ELSE 'draining' END;
$$;
SET LOCAL ffrtmp.live_reserve = 0;

-- 1. Within a tenant the queue ranks above priority: a high-priority batch job
-- and a default job waits behind live jobs of low priority.
SELECT ffrtmp.create_tenant('q-order', plan => 'pro');
SELECT ffrtmp.update_tenant('q-order', quotas => '{"max_cpu_cores": null}');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'batch', priority => 100);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'default', priority => 50);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'live', priority => -100);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'batch', priority => 100);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'default', priority => 0);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-order', queue => 'live', priority => -100);
SELECT ffrtmp.register_node('order-3', cpu_cores => 8, slots => 3);
SELECT pg_temp.only_online('order-');
SELECT is(ffrtmp.dispatch(), 3, 'a pass fills the three slots');
SELECT is(pg_temp.assigned_queues('q-order'), ARRAY['default', 'live', 'live'],
          'both live jobs go first, whatever their priority, then the default job');
SELECT is((SELECT priority FROM ffrtmp_data.jobs WHERE state = 'assigned' AND queue = 'default'), 50,
          'within a queue, priority still decides');
SELECT pg_temp.finish_assigned();
SELECT ffrtmp.dispatch();
SELECT is(pg_temp.assigned_queues('q-order'), ARRAY['batch', 'batch', 'default'], 'batch comes last');
SELECT pg_temp.finish_assigned();

-- 2. Fairness with mixed queues: a pro tenant (weight 4) and a basic one
-- (weight 2), 12 jobs each, batch submitted first, then default, then live
-- (so age alone would run batch first), on a shared node of 6 slots.
SELECT ffrtmp.create_tenant('q-pro', plan => 'pro');
SELECT ffrtmp.create_tenant('q-basic', plan => 'basic');
SELECT ffrtmp.update_tenant(t, quotas => '{"max_cpu_cores": null, "max_jobs": null}') FROM unnest(ARRAY['q-pro', 'q-basic']) t;
SELECT count(ffrtmp.submit_job('testsrc://', tenant => t, queue => q))
  FROM unnest(ARRAY['batch', 'default', 'live']) WITH ORDINALITY AS qs(q, n), unnest(ARRAY['q-pro', 'q-basic']) t,
       generate_series(1, 4)
 GROUP BY ();
SELECT ffrtmp.register_node('fair-6', cpu_cores => 64, slots => 6);
SELECT pg_temp.only_online('fair-');
CREATE TEMP TABLE rounds (round integer, tenant text, queue text, job bigint);
DO $$
BEGIN
    FOR r IN 1 .. 4 LOOP
        PERFORM ffrtmp.dispatch();
        INSERT INTO rounds
        SELECT r, t.name, j.queue, j.id FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
         WHERE j.state = 'assigned' AND t.name IN ('q-pro', 'q-basic');
        PERFORM pg_temp.finish_assigned();
    END LOOP;
END $$;
SELECT is((SELECT array_agg(n ORDER BY round) FROM (SELECT round, count(*) AS n FROM rounds WHERE tenant = 'q-pro' GROUP BY round) x),
          ARRAY[4, 4, 4]::bigint[], 'the pro tenant gets 4 of the 6 slots at every pass until its 12 jobs are done');
SELECT is((SELECT count(*) FROM rounds WHERE tenant = 'q-basic' AND round <= 3), 6::bigint,
          'the basic tenant 2 of them: tenants share by weight, queues do not change the shares');
SELECT is((SELECT array_agg(DISTINCT queue) FROM rounds WHERE round = 1), ARRAY['live'],
          'the first pass gives each tenant its live jobs, though its batch jobs are older');
SELECT is((SELECT count(*) FROM rounds a JOIN rounds b ON a.tenant = b.tenant
            WHERE array_position(ARRAY['live', 'default', 'batch'], a.queue) < array_position(ARRAY['live', 'default', 'batch'], b.queue)
              AND a.round > b.round), 0::bigint,
          'no tenant''s job of a later queue is dispatched on an earlier pass than one of an earlier queue');

-- 3. The live reserve: batch jobs leave 2 free slots of the shared pool.
SET LOCAL ffrtmp.live_reserve = 2;
SELECT ffrtmp.create_tenant('q-reserve', plan => 'pro');
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'q-reserve', queue => 'batch')) FROM generate_series(1, 4);
SELECT ffrtmp.register_node('reserve-4', cpu_cores => 16, slots => 4);
SELECT pg_temp.only_online('reserve-');
SELECT is(ffrtmp.dispatch(), 2, 'batch jobs take only the slots beyond the reserve of 2');
SELECT ffrtmp.dispatch();
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'assigned'), 2::bigint, 'not even on a later pass');
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'q-reserve', queue => 'live')) FROM generate_series(1, 2);
SELECT ffrtmp.dispatch();
SELECT is(pg_temp.assigned_queues('q-reserve'), ARRAY['batch', 'batch', 'live', 'live'],
          'live jobs that arrive later find the reserved slots free');
-- A tenant's dedicated node is its own: no reserve there.
SELECT ffrtmp.register_node('reserve-own', cpu_cores => 16, slots => 2, tenant => 'q-reserve');
SELECT is(ffrtmp.dispatch(), 2, 'batch jobs fill the tenant''s dedicated node');
SELECT pg_temp.finish_assigned();

-- 4. No queue starves for ever: a job runnable for longer than
-- ffrtmp.queue_max_wait ranks with live jobs (by age among them), and a batch
-- job so promoted may use the reserve.
SET LOCAL ffrtmp.live_reserve = 0;
SET LOCAL ffrtmp.queue_max_wait = 0;
SELECT ffrtmp.create_tenant('q-aged', plan => 'pro');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-aged', queue => 'batch');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-aged', queue => 'live');
SELECT ffrtmp.register_node('aged-1', cpu_cores => 8, slots => 1);
SELECT pg_temp.only_online('aged-');
SELECT ffrtmp.dispatch();
SELECT is(pg_temp.assigned_queues('q-aged'), ARRAY['live'], 'the older batch job waits behind the live job');
SELECT pg_temp.finish_assigned();
SET LOCAL ffrtmp.live_reserve = 1;
SET LOCAL ffrtmp.queue_max_wait = '10min';
SELECT ffrtmp.submit_job('testsrc://', tenant => 'q-aged', queue => 'live');
UPDATE ffrtmp_data.jobs j SET run_after = now() - interval '1 hour', updated_at = now() - interval '1 hour'
  FROM ffrtmp_data.tenants t WHERE t.id = j.tenant_id AND t.name = 'q-aged' AND j.queue = 'batch';
SELECT ffrtmp.dispatch();
SELECT is(pg_temp.assigned_queues('q-aged'), ARRAY['batch'],
          'once it has waited an hour it goes before the newer live job, into the last (reserved) slot');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');

SELECT * FROM finish();
ROLLBACK;
