-- Dispatch: weighted fairness, hard quotas, dedicated nodes and GPUs.
BEGIN;
SELECT plan(11);

-- Ten tenants: five pro (weight 4) and five basic (weight 2), 1000 jobs each,
-- quotas lifted so that only fairness decides; 20 slots in the shared pool.
SELECT count(ffrtmp.create_tenant('fair-' || g, plan => CASE WHEN g <= 5 THEN 'pro' ELSE 'basic' END))
FROM generate_series(1, 10) g;
SELECT count(ffrtmp.update_tenant('fair-' || g, quotas => '{"max_jobs": null, "max_cpu_cores": null, "max_jobs_per_hour": null}'))
FROM generate_series(1, 10) g;
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'fair-' || g)) FROM generate_series(1, 10) g, generate_series(1, 1000);
SELECT ffrtmp.register_node('pool-20', cpu_cores => 40, slots => 20);

CREATE TEMP TABLE dispatched (round integer, tenant text, n integer);
CREATE FUNCTION pg_temp.run_rounds(rounds integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR r IN 1 .. rounds LOOP
        PERFORM ffrtmp.dispatch();
        INSERT INTO dispatched
        SELECT r, t.name, count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
         WHERE j.state = 'assigned' GROUP BY t.name;
        -- The workers finish everything they were given.
        UPDATE ffrtmp_data.jobs SET state = 'running' WHERE state = 'assigned';
        UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE state = 'running';
    END LOOP;
END $$;
SELECT pg_temp.run_rounds(200);

SELECT is((SELECT sum(n)::integer FROM dispatched WHERE round = 1), 20, 'a pass fills every free slot');
-- Every tenant still has work after 200 passes (4000 dispatched: 5 x 533 +
-- 5 x 267), and at every pass each tenant's cumulative share stays within 2
-- jobs of weight / total weight.
SELECT is((SELECT max(abs(d.total - d.expected)) <= 2
             FROM (SELECT r.round, t.tenant,
                          (SELECT coalesce(sum(n), 0) FROM dispatched x WHERE x.tenant = t.tenant AND x.round <= r.round) AS total,
                          r.round * 20.0 * CASE WHEN t.tenant IN ('fair-1','fair-2','fair-3','fair-4','fair-5') THEN 4 ELSE 2 END / 30 AS expected
                     FROM generate_series(1, 200) r(round), (SELECT DISTINCT tenant FROM dispatched) t) d), true,
          'every tenant''s share of dispatched jobs stays within 2 jobs of its weighted share at every pass');
SELECT is((SELECT count(DISTINCT tenant) FROM dispatched WHERE round = 200), 10::bigint, 'no tenant starves');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters stay exact through 200 passes');

-- Hard quotas: a free tenant (4 cores) never holds more than 4 cores, whatever is free.
SELECT ffrtmp.create_tenant('capped');
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'capped', cpu_cores => 2)) FROM generate_series(1, 5);
SELECT ffrtmp.register_node('pool-big', cpu_cores => 64, slots => 50);
SELECT ffrtmp.dispatch();
SELECT is((SELECT cpu_cores_used FROM ffrtmp.tenant_stats('capped')), 4, 'a tenant at its CPU quota gets no more');
SELECT ffrtmp.dispatch();
SELECT is((SELECT running_jobs FROM ffrtmp.tenant_stats('capped')), 2, 'not even on a later pass');

-- Dedicated nodes run their tenant's jobs only; GPU jobs go to GPU nodes only.
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE name IN ('pool-20', 'pool-big');
-- Alone: the tenants above, still backlogged, would share these nodes fairly.
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';
SELECT ffrtmp.create_tenant('owner', plan => 'pro');
SELECT ffrtmp.create_tenant('other', plan => 'pro');
SELECT ffrtmp.register_node('owner-1', cpu_cores => 8, slots => 8, tenant => 'owner');
SELECT ffrtmp.register_node('pool-cpu', cpu_cores => 8, slots => 8);
SELECT ffrtmp.register_node('pool-gpu', cpu_cores => 8, gpus => 1, slots => 8);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'other')) FROM generate_series(1, 4);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'other', gpus => 1)) FROM generate_series(1, 2);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'owner')) FROM generate_series(1, 3);
SELECT ffrtmp.dispatch();
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
            WHERE n.tenant_id IS NOT NULL AND n.tenant_id <> j.tenant_id), 0::bigint,
          'no job ever runs on another tenant''s dedicated node');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
            WHERE j.gpus > 0 AND n.gpus = 0), 0::bigint, 'no GPU job lands on a CPU node');
SELECT is((SELECT string_agg(n.name, ',' ORDER BY j.id) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
            JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'other' AND j.gpus > 0 AND j.state = 'assigned'),
          'pool-gpu', 'one GPU job runs on the GPU node, the second waits for its GPU');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
            JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'owner' AND n.name = 'owner-1'), 3::bigint,
          'a tenant''s jobs go to its own node first');

-- Work spreads over nodes alike: a node fetches and starts its new jobs one
-- call after another, so a job waits least on the node with the most free slots.
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE name IN ('owner-1', 'pool-cpu', 'pool-gpu');
SELECT ffrtmp.create_tenant('spread', plan => 'enterprise');
SELECT ffrtmp.register_node('spread-a', cpu_cores => 8, slots => 4);
SELECT ffrtmp.register_node('spread-b', cpu_cores => 8, slots => 4);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'spread')) FROM generate_series(1, 4);
SELECT ffrtmp.dispatch();
SELECT is((SELECT string_agg(n.name || ': ' || x.jobs, ', ' ORDER BY n.name)
             FROM (SELECT j.node_id, count(*) AS jobs FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
                    WHERE t.name = 'spread' AND j.state = 'assigned' GROUP BY j.node_id) x
             JOIN ffrtmp_data.nodes n ON n.id = x.node_id),
          'spread-a: 2, spread-b: 2', 'four jobs on two idle nodes alike go two to each');

SELECT * FROM finish();
ROLLBACK;
