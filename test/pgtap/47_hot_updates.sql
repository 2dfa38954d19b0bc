-- jobs' indexes hold no column that dispatch, start, pause or resume change,
-- so those updates are heap-only (HOT): they write no index entry.  What the
-- scheduler finds jobs by lives in narrow tables (job_queue, job_backoffs,
-- job_leases) that the jobs triggers keep in step with every state change,
-- whatever makes it: each API path, recovery, an operator's set-based UPDATE.

-- recover() gives nodes a timeout's grace after the control plane starts
-- (see 04_worker_calls.sql).
SELECT pg_sleep(greatest(0, 2.5 - extract(epoch FROM clock_timestamp() - ffrtmp_data.control_plane_started_at())));
BEGIN;
SELECT plan(32);

\o /dev/null
SELECT ffrtmp.create_tenant('hot-a', plan => 'pro');
SELECT ffrtmp.create_tenant('hot-b', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('hot-1', cpu_cores => 64, slots => 20) \gset
\o

\ir include/narrow_drift.sql

-- Updates of jobs in this transaction so far, and how many of them were HOT.
CREATE FUNCTION pg_temp.updates() RETURNS bigint LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_tuples_updated('ffrtmp_data.jobs'::regclass)
$$;
CREATE FUNCTION pg_temp.hot_updates() RETURNS bigint LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_tuples_hot_updated('ffrtmp_data.jobs'::regclass)
$$;

-- 1. What jobs is indexed by: nothing an assign, start, pause or resume changes.
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'ffrtmp_data.jobs'::regclass),
          ARRAY['jobs_finished_idx', 'jobs_pkey', 'jobs_tenant_idempotency_key', 'jobs_tenant_seq_key'],
          'jobs has four indexes: its key, (tenant_id, seq), the idempotency key and finished_at');
SELECT is((SELECT count(*) FROM pg_index i CROSS JOIN LATERAL unnest(ARRAY['state', 'node_id', 'updated_at', 'started_at', 'run_after']) k(col)
            WHERE i.indrelid = 'ffrtmp_data.jobs'::regclass
              AND pg_get_indexdef(i.indexrelid) ~ ('\m' || k.col || '\M')),
          0::bigint, 'no index of jobs names state, node_id, updated_at, started_at or run_after, in a column or a predicate');

-- 2. Submitted: single and in a batch, one delayed and one with a timeout.
\o /dev/null
SELECT id AS a1 FROM ffrtmp.submit_job('testsrc://', tenant => 'hot-a', timeout => '1 hour') \gset
SELECT id AS a2 FROM ffrtmp.submit_job('testsrc://', tenant => 'hot-a', priority => 100, queue => 'live') \gset
SELECT id AS a3 FROM ffrtmp.submit_job('testsrc://', tenant => 'hot-a', max_attempts => 3) \gset
SELECT id AS late FROM ffrtmp.submit_job('testsrc://', tenant => 'hot-a', run_after => now() + interval '1 hour') \gset
SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "cpu_cores": 2}, {"input_url": "testsrc://", "timeout": "1 hour"}]', tenant => 'hot-b');
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.job_queue), 6::bigint, 'every submitted job is in job_queue');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after submit_job and submit_jobs');

-- 3. Dispatch: every assign is a HOT update.
SELECT pg_temp.updates() AS u0, pg_temp.hot_updates() AS h0 \gset
SELECT is(ffrtmp.dispatch(), 5, 'the five runnable jobs are dispatched');
SELECT is(pg_temp.updates() - :u0, 5::bigint, 'five updates of jobs');
SELECT is(pg_temp.hot_updates() - :h0, 5::bigint, 'and all five are HOT');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after dispatch');
SELECT is((SELECT array_agg(job_id ORDER BY job_id) FROM ffrtmp_data.job_queue), ARRAY[:late::bigint],
          'only the delayed job is left in job_queue');

-- 4. Started, by start_job and start_jobs: HOT too.
SELECT id AS b1 FROM ffrtmp_data.jobs WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'hot-b') ORDER BY id LIMIT 1 \gset
SELECT id AS b2 FROM ffrtmp_data.jobs WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'hot-b') ORDER BY id DESC LIMIT 1 \gset
SELECT pg_temp.updates() AS u0, pg_temp.hot_updates() AS h0 \gset
\o /dev/null
SELECT ffrtmp.start_job(:a1, 1, :node, :'token');
SELECT * FROM ffrtmp.start_jobs(:node, :'token', ARRAY[:a2, :a3, :b1, :b2]::bigint[], ARRAY[1, 1, 1, 1]);
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'running'), 5::bigint, 'five jobs run');
SELECT is(pg_temp.hot_updates() - :h0, pg_temp.updates() - :u0, 'every start was a HOT update');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after start_job and start_jobs (a deadline for the jobs with a timeout)');

-- 5. Paused and resumed: HOT.
SELECT pg_temp.updates() AS u0, pg_temp.hot_updates() AS h0 \gset
\o /dev/null
SELECT ffrtmp.pause_job(:a1);
\o
SELECT is(pg_temp.drift(), 0::bigint, 'in step after pause_job (no deadline while paused)');
\o /dev/null
SELECT ffrtmp.resume_job(:a1);
\o
SELECT is(pg_temp.hot_updates() - :h0, 2::bigint, 'pause and resume were HOT updates');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after resume_job');

-- 6. Finished: completed by finish_job, failed with attempts left by finish_jobs.
\o /dev/null
SELECT ffrtmp.finish_job(:a2, 1, :node, :'token', 'completed');
SELECT * FROM ffrtmp.finish_jobs(:node, :'token', jsonb_build_array(
    jsonb_build_object('job_id', :a3, 'attempt', 1, 'outcome', 'failed', 'failure_reason', 'runtime_error', 'error', 'boom')));
\o
SELECT is((SELECT state FROM ffrtmp_data.jobs WHERE id = :a3), 'retrying', 'the failed job waits for its backoff');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after finish_job and finish_jobs (the retrying job in job_backoffs)');

-- 7. Recovery: the backoff ends, an attempt times out.
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 second' WHERE id = :a3;
SELECT is(pg_temp.drift(), 0::bigint, 'in step after an UPDATE of a retrying job''s run_after');
UPDATE ffrtmp_data.jobs SET started_at = now() - interval '2 hours' WHERE id = :a1;
SELECT is(pg_temp.drift(), 0::bigint, 'in step after an UPDATE of a running job''s started_at (its deadline moves)');
SELECT is(ffrtmp_data.recover('15 seconds'), 1, 'recover times the overdue attempt out');
SELECT results_eq(format('SELECT state FROM ffrtmp_data.jobs WHERE id IN (%s, %s) ORDER BY id', :a1, :a3),
                  $$VALUES ('retrying'), ('queued')$$, 'the overdue attempt retries and the backoff that ended is queued');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after recovery');

-- 8. Hold and release, cancel.
\o /dev/null
SELECT ffrtmp.hold_job(:late);
\o
SELECT is(pg_temp.drift(), 0::bigint, 'in step after hold_job');
\o /dev/null
SELECT ffrtmp.release_job(:late);
SELECT ffrtmp.cancel_job(:b1);
\o
SELECT is(pg_temp.drift(), 0::bigint, 'in step after release_job and cancel_job');

-- 9. The node is lost: its attempts end, retried later.
\o /dev/null
SELECT ffrtmp.dispatch();
\o
UPDATE ffrtmp_data.nodes SET last_heartbeat = now() - interval '1 minute' WHERE id = :node;
SELECT cmp_ok(ffrtmp_data.recover('2 seconds'), '>', 0, 'recover ends the silent node''s attempts');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_leases), 0::bigint, 'the offline node holds nothing');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after a lost node');

-- 10. An operator's set-based UPDATEs: a priority change of many queued
-- jobs, then every active job canceled at once.
UPDATE ffrtmp_data.jobs SET state = 'queued', state_reason = 'by hand', updated_at = now() WHERE state = 'retrying';
UPDATE ffrtmp_data.jobs SET priority = priority + 1, updated_at = now() WHERE state = 'queued';
SELECT is(pg_temp.drift(), 0::bigint, 'in step after set-based UPDATEs of queued jobs');
UPDATE ffrtmp_data.jobs SET state = 'canceled', state_reason = 'by hand', finished_at = now(), updated_at = now()
 WHERE state IN ('queued', 'retrying', 'held');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_queue) + (SELECT count(*) FROM ffrtmp_data.job_backoffs), 0::bigint,
          'a set-based cancel empties job_queue and job_backoffs');

-- 11. A tenant deleted and restored.
\o /dev/null
SELECT ffrtmp.submit_job('testsrc://', tenant => 'hot-b');
SELECT ffrtmp.delete_tenant('hot-b');
\o
SELECT is(pg_temp.drift(), 0::bigint, 'in step after delete_tenant');
\o /dev/null
SELECT ffrtmp.restore_tenant('hot-b');
\o
SELECT is(pg_temp.drift(), 0::bigint, 'in step after restore_tenant');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'counters exact');

SELECT * FROM finish();
ROLLBACK;
