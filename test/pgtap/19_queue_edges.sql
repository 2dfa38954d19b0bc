-- Edges of queues, pauses and fairness found by trying to break them.
-- 1. A queue (or any word of a closed list) is one word: "live default" is
--    not a queue, though it is two of them, and is refused everywhere.
BEGIN;
SELECT plan(5);

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

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');

SELECT * FROM finish();
ROLLBACK;
