-- The lifecycle calls together: hold/release and pause/resume make only
-- their own moves, not the scheduler's or retry_job's that job_transitions
-- also allows (a canceled job released back into the queue past max_jobs, an
-- assigned job "resumed" to running before its node started it); webhooks,
-- submit_jobs, job_id and the usage counters across holds and pauses.
BEGIN;
SELECT plan(26);

\o /dev/null
SELECT ffrtmp.create_tenant('li', plan => 'pro');
SELECT ffrtmp.update_tenant('li', quotas => '{"max_jobs": 3}');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('li-1', cpu_cores => 8, slots => 4, tenant => 'li') \gset
SELECT id AS hook FROM ffrtmp.create_webhook('http://127.0.0.1:9/li', 'li-secret-li-secret',
       ARRAY['completed', 'failed', 'timed_out', 'canceled', 'rejected'], tenant => 'li') \gset
-- The events a job's webhook deliveries carry, in order.
CREATE FUNCTION pg_temp.events_of(job bigint) RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(event, ',' ORDER BY id), '') FROM ffrtmp_data.webhook_deliveries WHERE job_id = job
$$;
\o

-- 1. release_job releases held jobs only: not a canceled job (which would
-- come back past max_jobs without retry_job's checks), nor an assigned one
-- (whose node holds it), nor a retrying one (whose backoff would be skipped).
SELECT id AS canceled_job FROM ffrtmp.submit_job('testsrc://', tenant => 'li') \gset
SELECT state AS s FROM ffrtmp.cancel_job(:canceled_job) \gset
SELECT throws_ok(format('SELECT ffrtmp.release_job(%s)', :canceled_job), 'PT409',
                 format('job %s is canceled and cannot be released', :canceled_job),
                 'a canceled job cannot be released');
SELECT id AS assigned_job FROM ffrtmp.submit_job('testsrc://', tenant => 'li') \gset
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :assigned_job), 'assigned', 'dispatched to the node');
SELECT throws_ok(format('SELECT ffrtmp.release_job(%s)', :assigned_job), 'PT409',
                 format('job %s is assigned and cannot be released', :assigned_job),
                 'an assigned job cannot be released');
-- 2. resume_job resumes paused jobs only: an assigned job stays assigned
-- until its node calls start_job.
SELECT throws_ok(format('SELECT ffrtmp.resume_job(%s)', :assigned_job), 'PT409',
                 format('job %s is assigned and cannot be resumed', :assigned_job),
                 'an assigned job cannot be resumed');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :assigned_job), 'assigned', 'and it is still assigned');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');

-- 3. A held job canceled sends one canceled event; holds, releases, pauses
-- and resumes send none.
SELECT id AS held_job FROM ffrtmp.submit_job('testsrc://', tenant => 'li') \gset
SELECT state AS s FROM ffrtmp.hold_job(:held_job) \gset
SELECT state AS s FROM ffrtmp.release_job(:held_job) \gset
SELECT state AS s FROM ffrtmp.hold_job(:held_job) \gset
SELECT is(pg_temp.events_of(:held_job), '', 'hold and release send no event');
SELECT is((SELECT state FROM ffrtmp.cancel_job(:held_job)), 'canceled', 'a held job is canceled');
SELECT is(pg_temp.events_of(:held_job), 'canceled', 'with one canceled event');
SELECT ffrtmp.start_job(:assigned_job, 1, :node, :'token') IS NOT NULL AS started \gset
SELECT state AS s FROM ffrtmp.pause_job(:assigned_job) \gset
SELECT state AS s FROM ffrtmp.resume_job(:assigned_job) \gset
SELECT state AS s FROM ffrtmp.pause_job(:assigned_job) \gset
SELECT is(pg_temp.events_of(:assigned_job), '', 'pause and resume send no event');
SELECT is((SELECT state FROM ffrtmp.finish_job(:assigned_job, 1, :node, :'token', 'completed', '{}')), 'completed',
          'a paused job''s node can still finish it');
SELECT is(pg_temp.events_of(:assigned_job), 'completed', 'with one completed event');

-- 4. retry_all_failures: a failure that is not otherwise retried sends no
-- event while attempts are left, one failed at the end.
SELECT id AS retried FROM ffrtmp.submit_job('testsrc://', tenant => 'li', max_attempts => 2, retry_all_failures => true) \gset
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT ffrtmp.start_job(:retried, 1, :node, :'token') IS NOT NULL AS started \gset
SELECT is((SELECT state FROM ffrtmp.finish_job(:retried, 1, :node, :'token', 'failed', NULL, 'bad input', 'input_error')),
          'retrying', 'the first input_error is retried');
SELECT is(pg_temp.events_of(:retried), '', 'and sends no event');
UPDATE ffrtmp_data.jobs SET state = 'queued', run_after = now() WHERE id = :retried;
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT ffrtmp.start_job(:retried, 2, :node, :'token') IS NOT NULL AS started \gset
SELECT is((SELECT state FROM ffrtmp.finish_job(:retried, 2, :node, :'token', 'failed', NULL, 'bad input', 'input_error')),
          'failed', 'the last attempt fails the job');
SELECT is(pg_temp.events_of(:retried), 'failed', 'with one failed event');

-- 5. submit_jobs counts a held job against max_jobs for the whole batch, and
-- job_id(seq) finds each job it returns.
SELECT id AS held_again FROM ffrtmp.submit_job('testsrc://', tenant => 'li') \gset
SELECT state AS s FROM ffrtmp.hold_job(:held_again) \gset
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://", "queue": "batch"}, {"input_url": "testsrc://"}]', tenant => 'li')$$,
                 'PT429', NULL, 'a batch that does not fit beside the held job is refused whole');
SELECT is((SELECT bool_and(ffrtmp.job_id(s.seq, 'li') = s.id) FROM ffrtmp.submit_jobs(
              '[{"input_url": "testsrc://", "queue": "batch"}, {"input_url": "testsrc://", "queue": "live"}]', tenant => 'li') s),
          true, 'job_id(seq) finds each job submit_jobs returns');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');
-- Full now (the held job takes the third unit): no smaller batch fits, and
-- the hint does not offer one.
CREATE FUNCTION pg_temp.hint_of(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    EXECUTE call;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END $$;
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'li')$$,
                 'PT429', NULL, 'a full tenant''s batch is refused');
SELECT unalike(pg_temp.hint_of($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'li')$$),
               '%smaller batch%', 'and the hint does not suggest a smaller batch when none fits');

-- 6. Encoder matching: a batch job no node can encode is rejected with a
-- rejected event; a held one is not (it is not waiting for a node) and,
-- released, waits its full time again.
\o /dev/null
SELECT ffrtmp.create_tenant('li-enc', plan => 'pro');
SELECT ffrtmp.create_webhook('http://127.0.0.1:9/li-enc', 'li-secret-li-secret', '{rejected}', tenant => 'li-enc');
SELECT ffrtmp.register_node('li-x264', cpu_cores => 8, slots => 4, encoders => ARRAY['libx264', 'aac']);
\o
SELECT s.id AS av1_batch FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "params": {"video_codec": "av1", "format": "mkv"}}]',
                                                 tenant => 'li-enc') s \gset
SELECT id AS av1_held FROM ffrtmp.submit_job('testsrc://', params => '{"video_codec": "av1", "format": "mkv"}', tenant => 'li-enc') \gset
SELECT state AS s FROM ffrtmp.hold_job(:av1_held) \gset
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '2 hours', updated_at = now() - interval '2 hours'
 WHERE id IN (:av1_batch, :av1_held);
SELECT is(ffrtmp_data.reject_unrunnable('1 hour'), 1, 'the batch job no node can encode is rejected');
SELECT is(pg_temp.events_of(:av1_batch), 'rejected', 'with a rejected event');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :av1_held), 'held', 'the held job is not rejected');
SELECT state AS s FROM ffrtmp.release_job(:av1_held) \gset
SELECT is(ffrtmp_data.reject_unrunnable('1 hour'), 0, 'released, it waits its full time again');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact at the end');

SELECT * FROM finish();
ROLLBACK;
