-- The per-job override of the failure classes' retryability:
-- submit_job(retry_all_failures => true) retries a deterministic failure
-- (an input still being uploaded) while attempts are left; without it the
-- class decides (13_retry_classes.sql).  The flag is part of what an idempotency
-- key repeats, is visible on the job, and submit_job has one signature.
BEGIN;
SELECT plan(10);

SELECT ffrtmp.create_tenant('ro', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('ro-a', cpu_cores => 4, slots => 1, tenant => 'ro') \gset

-- Runs the job's current attempt on the node and fails it with the class.
CREATE FUNCTION pg_temp.fail_attempt(job bigint, reason text, node bigint, token text) RETURNS ffrtmp.jobs LANGUAGE plpgsql AS $$
DECLARE
    a integer := (SELECT attempt FROM ffrtmp.jobs WHERE id = job);
BEGIN
    UPDATE ffrtmp_data.jobs SET state = 'queued', run_after = now() WHERE id = job AND state = 'retrying';
    PERFORM ffrtmp.dispatch();
    PERFORM ffrtmp.start_job(job, a, node, token);
    RETURN ffrtmp.finish_job(job, a, node, token, 'failed', error => reason || ' on attempt ' || a, failure_reason => reason);
END $$;

SELECT id AS job FROM ffrtmp.submit_job('file:///media/ro/upload.mp4', tenant => 'ro', max_attempts => 3,
                                        retry_all_failures => true) \gset
SELECT is((SELECT retry_all_failures FROM ffrtmp.jobs WHERE id = :job), true, 'the job shows its override');
SELECT results_eq(format($$SELECT state, attempt FROM pg_temp.fail_attempt(%s, 'input_error', %s, %L)$$, :job, :node, :'token'),
                  $$VALUES ('retrying', 2)$$, 'an input_error of a job with retry_all_failures is retried');
SELECT results_eq(format($$SELECT state, attempt FROM pg_temp.fail_attempt(%s, 'user_error', %s, %L)$$, :job, :node, :'token'),
                  $$VALUES ('retrying', 3)$$, 'and so is a user_error');
SELECT results_eq(format($$SELECT state, attempt, failure_reason FROM pg_temp.fail_attempt(%s, 'input_error', %s, %L)$$, :job, :node, :'token'),
                  $$VALUES ('failed', 3, 'input_error')$$, 'until max_attempts is spent');

SELECT id AS plain FROM ffrtmp.submit_job('file:///media/ro/missing.mp4', tenant => 'ro', max_attempts => 3) \gset
SELECT results_eq(format($$SELECT state, attempt FROM pg_temp.fail_attempt(%s, 'input_error', %s, %L)$$, :plain, :node, :'token'),
                  $$VALUES ('failed', 1)$$, 'without the override the class decides: failed at once');
SELECT is((SELECT retry_all_failures FROM ffrtmp.jobs WHERE id = :plain), false, 'the default is false');

-- An idempotency key repeats the override too.
SELECT id AS keyed FROM ffrtmp.submit_job('testsrc://', tenant => 'ro', idempotency_key => 'ro-1', retry_all_failures => true) \gset
SELECT is((SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'ro', idempotency_key => 'ro-1', retry_all_failures => true)),
          :keyed::bigint, 'the same key with the same override returns the job');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'ro', idempotency_key => 'ro-1')$$,
                 'PT409', 'idempotency key "ro-1" was already used for a different job',
                 'the same key without the override is another job: a conflict');

SELECT is(array_agg(p.oid::regprocedure::text),
          ARRAY['ffrtmp.submit_job(text,text,text,jsonb,ffrtmp.priority,integer,timestamp with time zone,interval,integer,integer,text,text,text,boolean)'],
          'submit_job has one signature, the new one')
  FROM pg_proc p WHERE p.pronamespace = 'ffrtmp'::regnamespace AND p.proname = 'submit_job';
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are exact');

SELECT * FROM finish();
ROLLBACK;
