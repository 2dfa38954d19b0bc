-- Edges of the job lifecycle of release 0.2 (failure classes, no stale
-- failure, the run_after bound), each found by trying to break it:
--   1. a canceled job's row describes the cancel, not an earlier attempt's
--      failure (which job_events keeps), as a completed job's row does;
--   2. run_after => now() + interval '365 days' is accepted in every time
--      zone: the bound counts days of the caller's calendar, as the interval
--      does, not 365 periods of 24 hours (a daylight-saving change between
--      now and then makes them differ by an hour);
--   3. an av1 job is dispatched to the node that has the encoder, so no
--      node reports capability_mismatch for what another node has;
--   4. neighbours that hold: a retryable failure on the last attempt ends
--      the job; retry_job's new run still ends at once on a deterministic
--      failure; a heartbeat that lists another node's job changes nothing of
--      that node's.
BEGIN;
SELECT plan(18);

\o /dev/null
SELECT ffrtmp.create_tenant('edge', plan => 'pro');
SELECT node_id AS node, session_token AS token
  FROM ffrtmp.register_node('edge-a', cpu_cores => 4, slots => 4, tenant => 'edge') \gset

-- Runs attempt 1 of a 3-attempt job on the node and fails it (retryable).
CREATE FUNCTION pg_temp.failed_once(node bigint, token text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    j ffrtmp.jobs;
BEGIN
    SELECT * INTO j FROM ffrtmp.submit_job('testsrc://', tenant => 'edge', max_attempts => 3);
    PERFORM ffrtmp.dispatch();
    PERFORM ffrtmp.start_job(j.id, 1, node, token);
    PERFORM ffrtmp.finish_job(j.id, 1, node, token, 'failed', error => 'the decoder crashed', failure_reason => 'runtime_error');
    RETURN j.id;
END $$;
\o

-- 1. Canceled after a failed attempt.
SELECT pg_temp.failed_once(:node, :'token') AS waiting \gset
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :waiting), 'retrying', 'attempt 1 failed: the job is retrying');
SELECT results_eq(format('SELECT state, failure_reason, error FROM ffrtmp.cancel_job(%s)', :waiting),
                  $$VALUES ('canceled', NULL::text, NULL::text)$$,
                  'canceled while retrying: the row shows the cancel, not attempt 1''s failure');
SELECT is((SELECT count(*) FROM ffrtmp.job_events
            WHERE job_id = :waiting AND to_state = 'retrying' AND reason LIKE 'runtime_error: the decoder crashed%'),
          1::bigint, 'job_events keeps attempt 1''s failure');

\o /dev/null
SELECT pg_temp.failed_once(:node, :'token') AS running \gset
UPDATE ffrtmp_data.jobs SET run_after = now(), state = 'queued' WHERE id = :running;
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:running, 2, :node, :'token');
\o
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :running),
                  $$VALUES ('running', 'runtime_error')$$, 'attempt 2 runs, the row still shows attempt 1''s failure');
SELECT results_eq(format('SELECT state, failure_reason, error FROM ffrtmp.cancel_job(%s)', :running),
                  $$VALUES ('canceled', NULL::text, NULL::text)$$,
                  'canceled while running attempt 2: no stale failure either');
SELECT is((SELECT count(*) FROM ffrtmp.jobs
            WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'edge') AND failure_reason IS NOT NULL),
          0::bigint, 'so no canceled job counts in a tally of failures by class');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');

-- 2. The run_after bound in a time zone whose clocks move by an hour between
-- now and 365 days from now.  A POSIX rule with such a change is searched
-- for, as today's date decides which rules have one.
CREATE FUNCTION pg_temp.zone_with_a_change() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    z text;
BEGIN
    FOR m IN 1..12 LOOP FOR w IN 1..5 LOOP FOR d IN 0..6 LOOP
        FOREACH z IN ARRAY ARRAY[format('BRK0BRS,J1/0,M%s.%s.%s/0', m, w, d),
                                 format('BRK0BRS1,M%s.%s.%s/0,J365/23', m, w, d)] LOOP
            PERFORM set_config('TimeZone', z, true);
            IF extract(epoch FROM now() + interval '365 days') - extract(epoch FROM now()) > 365 * 86400 THEN
                RETURN z;
            END IF;
        END LOOP;
    END LOOP; END LOOP; END LOOP;
    RESET TimeZone;
    RETURN NULL;
END $$;
SELECT pg_temp.zone_with_a_change() AS zone \gset
SELECT isnt(:'zone'::text, NULL, 'a time zone where 365 days from now are 365 days and an hour');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'edge', run_after => now() + interval '365 days')$$,
                'there, run_after => now() + interval ''365 days'' is accepted');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'edge', run_after => now() + interval '365 days 1 second')$$,
                 '22023', 'run_after must be a time at most 365 days ahead', 'and a second more is refused');
RESET TimeZone;
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'edge', run_after => now() + interval '365 days 1 second')$$,
                 '22023', 'run_after must be a time at most 365 days ahead', 'and in the default time zone too');

-- 3. A node without the job's encoder.  Dispatch matches encoders, so an av1
-- job goes to the node of the pool whose libavcodec has libsvtav1, never to
-- one that would report capability_mismatch (a class that is not retried:
-- nodes of one pool are expected to be configured alike, see
-- docs/protocol.md; submit_job's retry_all_failures is for pools that are not).
\o /dev/null
SELECT node_id AS small, session_token AS small_token
  FROM ffrtmp.register_node('edge-small', cpu_cores => 16, slots => 1, encoders => '{libx264,aac}', tenant => 'edge') \gset
SELECT node_id AS big FROM ffrtmp.register_node('edge-av1', cpu_cores => 2, slots => 1, encoders => '{libx264,libsvtav1,aac}', tenant => 'edge') \gset
UPDATE ffrtmp_data.nodes SET state = 'offline' WHERE id = :node;
SELECT id AS av1 FROM ffrtmp.submit_job('testsrc://', tenant => 'edge', params => '{"video_codec": "av1"}', max_attempts => 3) \gset
SELECT ffrtmp.dispatch();
\o
SELECT is((SELECT node_id FROM ffrtmp.jobs WHERE id = :av1), :big::bigint,
          'an av1 job goes to the node that offers libsvtav1, not to a larger one without it');


-- 4. Neighbours that hold.
\o /dev/null
UPDATE ffrtmp_data.nodes SET state = 'offline' WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'edge');
SELECT node_id AS n1, session_token AS t1 FROM ffrtmp.register_node('edge-1', cpu_cores => 4, slots => 1, tenant => 'edge') \gset
SELECT id AS last FROM ffrtmp.submit_job('testsrc://', tenant => 'edge', max_attempts => 2) \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:last, 1, :n1, :'t1');
SELECT ffrtmp.finish_job(:last, 1, :n1, :'t1', 'failed', error => 'reset by peer', failure_reason => 'network_error');
UPDATE ffrtmp_data.jobs SET run_after = now(), state = 'queued' WHERE id = :last;
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:last, 2, :n1, :'t1');
\o
SELECT results_eq(format($$SELECT state, attempt, failure_reason, finished_at IS NOT NULL
                             FROM ffrtmp.finish_job(%s, 2, %s, %L, 'failed', error => 'reset again', failure_reason => 'network_error')$$,
                         :last, :n1, :'t1'),
                  $$VALUES ('failed', 2, 'network_error', true)$$,
                  'a retryable failure on the last attempt ends the job failed, with its class');
SELECT results_eq(format('SELECT state, attempt, first_attempt, failure_reason FROM ffrtmp.retry_job(%s)', :last),
                  $$VALUES ('queued', 3, 3, NULL::text)$$, 'retry_job starts a new run of two attempts, no failure shown');
\o /dev/null
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:last, 3, :n1, :'t1');
\o
SELECT results_eq(format($$SELECT state, attempt FROM ffrtmp.finish_job(%s, 3, %s, %L, 'failed', error => 'gone', failure_reason => 'input_error')$$,
                         :last, :n1, :'t1'),
                  $$VALUES ('failed', 3)$$, 'a deterministic failure ends the new run on its first attempt');

\o /dev/null
SELECT node_id AS n2, session_token AS t2 FROM ffrtmp.register_node('edge-2', cpu_cores => 4, slots => 1, tenant => 'edge') \gset
SELECT id AS on1 FROM ffrtmp.submit_job('testsrc://', tenant => 'edge') \gset
SELECT id AS on2 FROM ffrtmp.submit_job('testsrc://', tenant => 'edge') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(j.id, 1, j.node_id, CASE j.node_id WHEN :n1 THEN :'t1' ELSE :'t2' END)
  FROM ffrtmp_data.jobs j WHERE j.id IN (:on1, :on2);
SELECT id AS job1 FROM ffrtmp_data.jobs WHERE id IN (:on1, :on2) AND node_id = :n1 \gset
SELECT id AS job2 FROM ffrtmp_data.jobs WHERE id IN (:on1, :on2) AND node_id = :n2 \gset
\o
SELECT is(ffrtmp.node_heartbeat(:n2, :'t2', ARRAY[:job1]::bigint[]), 'online', 'node 2 heartbeats listing node 1''s job only');
SELECT results_eq(format('SELECT id, state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id = %s', :job1, :job2, :job2),
                  format('VALUES (%s::bigint, %L), (%s, %L)', :job1, 'running', :job2, 'retrying'),
                  'node 1''s job runs on; node 2''s own unlisted job ends');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters stay exact');

SELECT * FROM finish();
ROLLBACK;
