-- Failure classes decide retries: a failed attempt of a retryable class is
-- retried while attempts are left, one of a deterministic class ends the job
-- failed at once.  Every row of failure_reasons is tried, so a new class is
-- covered without editing this file.  And a job that completes on a later
-- attempt shows no earlier attempt's failure; job_events keeps each one.
BEGIN;
SELECT plan((SELECT count(*)::integer FROM ffrtmp_data.failure_reasons) + 14);

SELECT ffrtmp.create_tenant('rc', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('rc-a', cpu_cores => 4, slots => 1, tenant => 'rc') \gset

-- Submits a 3-attempt job, runs attempt 1 on the node and fails it with the
-- class; returns the job.
CREATE FUNCTION pg_temp.fail_once(reason text, node bigint, token text) RETURNS ffrtmp.jobs LANGUAGE plpgsql AS $$
DECLARE
    j ffrtmp.jobs;
BEGIN
    SELECT * INTO j FROM ffrtmp.submit_job('testsrc://', tenant => 'rc', max_attempts => 3);
    PERFORM ffrtmp.dispatch();
    PERFORM ffrtmp.start_job(j.id, 1, node, token);
    RETURN ffrtmp.finish_job(j.id, 1, node, token, 'failed', error => reason || ' on attempt 1', failure_reason => reason);
END $$;

-- 1. Each class, as its retryable column says.
SELECT is(format('%s attempt %s', f.state, f.attempt),
          CASE WHEN r.retryable THEN 'retrying attempt 2' ELSE 'failed attempt 1' END,
          format('%s (retryable %s) on attempt 1 of 3: %s', r.reason, r.retryable,
                 CASE WHEN r.retryable THEN 'retried' ELSE 'failed at once' END))
  FROM ffrtmp_data.failure_reasons r
 CROSS JOIN LATERAL pg_temp.fail_once(r.reason, :node, :'token') f
 ORDER BY r.reason;

SELECT results_eq($$SELECT reason FROM ffrtmp.failure_reasons WHERE NOT retryable ORDER BY reason$$,
                  $$VALUES ('capability_mismatch'), ('input_error'), ('user_error')$$,
                  'the deterministic classes: the input, the settings, what no node offers');
SELECT results_eq(format($$SELECT state, failure_reason, error, finished_at IS NOT NULL, node_id
                             FROM ffrtmp.jobs WHERE tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'rc')
                              AND failure_reason = 'input_error'$$),
                  $$VALUES ('failed', 'input_error', 'input_error on attempt 1', true, NULL::bigint)$$,
                  'a missing input ends the job failed, finished, with its class and error');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE state = 'retrying' AND failure_reason = 'runtime_error'
                                            AND error = 'runtime_error on attempt 1'), 1::bigint,
          'a retrying job shows the failure the next attempt is up against');
-- The rare deterministic failure that can pass (an input still being
-- uploaded): retry_job starts a new run of the failed job.
SELECT results_eq(format($$SELECT state, attempt, first_attempt FROM ffrtmp.retry_job(
                             (SELECT id FROM ffrtmp.jobs WHERE failure_reason = 'input_error'))$$),
                  $$VALUES ('queued', 2, 2)$$, 'retry_job runs a job that failed deterministically again');
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued';
-- The failed jobs hold nothing and do not count as active.
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are exact');

-- 2. Attempt 1 fails (runtime_error), attempt 2 completes: the row shows the outcome only.
SELECT id AS job FROM pg_temp.fail_once('runtime_error', :node, :'token') \gset
UPDATE ffrtmp_data.jobs SET state = 'queued', run_after = now() WHERE id = :job;
UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'queued' AND id <> :job;
SELECT is(ffrtmp.dispatch(), 1, 'attempt 2 is dispatched');
SELECT ffrtmp.start_job(:job, 2, :node, :'token');
SELECT results_eq(format($$SELECT state, attempt, failure_reason, error, result
                             FROM ffrtmp.finish_job(%s, 2, %s, %L, 'completed', result => '{"duration": 10}')$$,
                         :job, :node, :'token'),
                  $$VALUES ('completed', 2, NULL::text, NULL::text, '{"duration": 10}'::jsonb)$$,
                  'finish_job returns the completed job without attempt 1''s failure');
SELECT results_eq(format('SELECT failure_reason, error FROM ffrtmp.get_job(%s)', :job),
                  $$VALUES (NULL::text, NULL::text)$$, 'get_job shows none');
SELECT results_eq(format('SELECT failure_reason, error FROM ffrtmp.jobs WHERE id = %s', :job),
                  $$VALUES (NULL::text, NULL::text)$$, 'nor does the jobs view');
SELECT results_eq(format($$SELECT from_state, to_state, reason FROM ffrtmp.job_events
                            WHERE job_id = %s AND from_state = 'running' ORDER BY id$$, :job),
                  format($$VALUES ('running', 'retrying', 'runtime_error: runtime_error on attempt 1'),
                                  ('running', 'completed', 'completed on node %s')$$, :node),
                  'job_events keeps attempt 1''s failure and the completion');

-- 3. A lost node's platform_error on attempt 1, completed on attempt 2: the same.
SELECT id AS lost FROM ffrtmp.submit_job('testsrc://', tenant => 'rc', max_attempts => 3) \gset
SELECT is(ffrtmp.dispatch(), 1, 'the next job is dispatched');
SELECT ffrtmp.start_job(:lost, 1, :node, :'token');
SELECT ffrtmp.node_heartbeat(:node, :'token', '{}');
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :lost),
                  $$VALUES ('retrying', 'platform_error')$$, 'a heartbeat without the job retries it as platform_error');
UPDATE ffrtmp_data.jobs SET state = 'queued', run_after = now() WHERE id = :lost;
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:lost, 2, :node, :'token');
SELECT results_eq(format($$SELECT state, failure_reason, error FROM ffrtmp.finish_job(%s, 2, %s, %L, 'completed')$$,
                         :lost, :node, :'token'),
                  $$VALUES ('completed', NULL::text, NULL::text)$$, 'the completed job shows no platform_error');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE job_id = :lost AND from_state = 'running' AND to_state = 'retrying'
                                               AND reason LIKE 'platform_error: %'), 1::bigint,
          'which job_events keeps');

SELECT * FROM finish();
ROLLBACK;
