-- Edges of queues, pauses and fairness found by trying to break them.
-- 1. A queue (or any word of a closed list) is one word: "live default" is
--    not a queue, though it is two of them, and is refused everywhere.
-- 2. A tenant whose jobs were held by a dispatch pause, or that had none,
--    earns no burst when it waits again (docs/scheduler.md, "idling earns
--    no burst").
-- 3. A job waiting longer than ffrtmp.queue_max_wait goes before its
--    tenant's other jobs, oldest first, whatever its queue and priority,
--    even when newer jobs of higher priority fill its queue.
-- 4. The queue column holds live, default or batch only.
BEGIN;
SELECT plan(13);

\o /dev/null
SELECT ffrtmp.create_tenant('e-a', plan => 'pro');
SELECT ffrtmp.create_tenant('e-b', plan => 'pro');
SELECT ffrtmp.update_tenant(t, quotas => '{"max_cpu_cores": null, "max_jobs": null}') FROM unnest(ARRAY['e-a', 'e-b']) t;
UPDATE ffrtmp_data.nodes SET state = 'draining';
SELECT ffrtmp.register_node('edge-2', cpu_cores => 64, slots => 2);
\o
SET LOCAL ffrtmp.live_reserve = 0;
CREATE FUNCTION pg_temp.finish_assigned() RETURNS void LANGUAGE sql AS $$
    UPDATE ffrtmp_data.jobs SET state = 'running' WHERE state = 'assigned';
    UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE state = 'running';
$$;
-- Which tenants the next n passes dispatch to, one string per pass.
CREATE FUNCTION pg_temp.passes(n integer) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    result text[] := '{}';
BEGIN
    FOR i IN 1 .. n LOOP
        PERFORM ffrtmp.dispatch();
        result := result || (SELECT coalesce(string_agg(t.name, ',' ORDER BY t.name), '') FROM ffrtmp_data.jobs j
                               JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE j.state = 'assigned');
        PERFORM pg_temp.finish_assigned();
    END LOOP;
    RETURN result;
END $$;

-- 1. Two queue names with a space between them are no queue.
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'live default')$$,
                 '22023', 'unknown queue "live default"',
                 'submit_job refuses queue "live default" (else the job waits in a queue dispatch never reads)');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'default batch')$$,
                 '22023', NULL, 'and "default batch"');
SELECT throws_ok($$SELECT ffrtmp.pause_dispatch('e-a', 'live default')$$, '22023', 'unknown queue "live default"',
                 'pause_dispatch refuses it with 22023, not a check violation');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'e-a', params => '{"video_codec": "h264 h265"}')$$,
                 '22023', NULL, 'a params choice is one word too: video_codec "h264 h265" is refused');
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';

-- 2. A pause earns no burst.  Tenant e-a's batch jobs are paused while e-b
-- runs 4 passes of the 2 slots; once resumed, the two share the slots (equal
-- weights) instead of e-a taking every slot until its virtual time catches up.
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'batch')) FROM generate_series(1, 12);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-b')) FROM generate_series(1, 12);
SELECT ffrtmp.pause_dispatch('e-a', 'batch');
SELECT is(pg_temp.passes(4), ARRAY['e-b,e-b', 'e-b,e-b', 'e-b,e-b', 'e-b,e-b'], 'while e-a''s batch queue is paused, e-b gets the slots');
SELECT ffrtmp.resume_dispatch('e-a', 'batch');
SELECT is(pg_temp.passes(2), ARRAY['e-a,e-b', 'e-a,e-b'], 'resumed after a queue pause, e-a shares the slots with e-b');
-- The same with a pause of the whole tenant (e-b with work for every pass).
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-b')) FROM generate_series(1, 12);
SELECT ffrtmp.pause_dispatch('e-a');
SELECT is(pg_temp.passes(4), ARRAY['e-b,e-b', 'e-b,e-b', 'e-b,e-b', 'e-b,e-b'], 'while e-a is paused, e-b gets the slots');
SELECT ffrtmp.resume_dispatch('e-a');
SELECT is(pg_temp.passes(2), ARRAY['e-a,e-b', 'e-a,e-b'], 'resumed after a pause of the tenant, e-a shares the slots with e-b');
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';
-- And idling earns none: e-a has no jobs while e-b runs 4 passes.
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-b')) FROM generate_series(1, 12);
SELECT pg_temp.passes(4);
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-a')) FROM generate_series(1, 12);
SELECT is(pg_temp.passes(2), ARRAY['e-a,e-b', 'e-a,e-b'], 'back from idling, e-a shares the slots with e-b');
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';

-- 3. Aged jobs rank with live jobs by age, whatever their priority.
SET LOCAL ffrtmp.queue_max_wait = '10min';
UPDATE ffrtmp_data.nodes SET slots = 1 WHERE name = 'edge-2';
SELECT ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'default', priority => -100);
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE state = 'queued';
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'live')) FROM generate_series(1, 3);
SELECT ffrtmp.dispatch();
SELECT is((SELECT queue FROM ffrtmp_data.jobs WHERE state = 'assigned'), 'default',
          'a default job of low priority that waited an hour goes before newer live jobs');
SELECT pg_temp.finish_assigned();
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';
-- The aged batch job of low priority is behind newer batch jobs of higher
-- priority, and a pass reads only as many of a queue's jobs as it has slots.
SELECT ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'batch', priority => -100);
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 hour', updated_at = now() - interval '1 hour' WHERE state = 'queued';
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'e-a', queue => 'batch')) FROM generate_series(1, 3);
SELECT ffrtmp.dispatch();
SELECT is((SELECT priority FROM ffrtmp_data.jobs WHERE state = 'assigned'), -100,
          'a batch job of low priority that waited an hour goes before newer batch jobs');
SELECT pg_temp.finish_assigned();

-- 4. The column itself holds only the three queues, whatever writes it.
SELECT throws_ok($$UPDATE ffrtmp_data.jobs SET queue = 'urgent' WHERE id = (SELECT max(id) FROM ffrtmp_data.jobs)$$,
                 '23514', NULL, 'ffrtmp_data.jobs.queue refuses a word that is no queue');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');

SELECT * FROM finish();
ROLLBACK;
