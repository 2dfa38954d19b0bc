-- The narrow tables (job_queue, job_backoffs, job_leases) stay in step with
-- jobs whatever an operator does to jobs by hand: changes of the columns
-- they copy without a state change, MERGE, an UPDATE of no row, an UPDATE
-- that would give a job a new id, a TRUNCATE; a job with a timeout of
-- 300,000 years starts; and a pass survives a job_queue row whose job is
-- gone.  A row left behind in them
-- would keep a node's capacity taken, and the node unremovable, for good.

-- recover() gives nodes a timeout's grace after the control plane starts
-- (see 04_worker_calls.sql).
SELECT pg_sleep(greatest(0, 2.5 - extract(epoch FROM clock_timestamp() - ffrtmp_data.control_plane_started_at())));
BEGIN;
SELECT plan(28);

\o /dev/null
SELECT ffrtmp.create_tenant('edge-a', plan => 'pro');
SELECT ffrtmp.create_tenant('edge-b', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('edge-1', cpu_cores => 64, slots => 20) \gset
\o

\ir include/narrow_drift.sql

-- One job in each state that has a narrow row: running (with a timeout),
-- retrying, paused, assigned, queued.
\o /dev/null
SELECT id AS run FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a', timeout => '1 hour') \gset
SELECT id AS retry FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a', max_attempts => 3) \gset
SELECT id AS paused FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a') \gset
SELECT id AS assigned FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a', cpu_cores => 2) \gset
SELECT ffrtmp.dispatch();
SELECT id AS queued FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a') \gset
SELECT * FROM ffrtmp.start_jobs(:node, :'token', ARRAY[:run, :retry, :paused]::bigint[], ARRAY[1, 1, 1]);
SELECT ffrtmp.finish_job(:retry, 1, :node, :'token', 'failed', failure_reason => 'runtime_error', error => 'boom');
SELECT ffrtmp.pause_job(:paused);
\o
SELECT results_eq('SELECT state FROM ffrtmp_data.jobs ORDER BY id',
                  $$VALUES ('running'), ('retrying'), ('paused'), ('assigned'), ('queued')$$, 'setup: one job in each held or waiting state');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after the setup');

-- The copied columns changed by hand without a state change.
UPDATE ffrtmp_data.jobs SET timeout = '3 hours' WHERE id = :run;
UPDATE ffrtmp_data.jobs SET queue = 'batch', priority = 7, cpu_cores = 2, updated_at = now() WHERE id = :queued;
UPDATE ffrtmp_data.jobs SET cpu_cores = 4 WHERE id = :assigned;
UPDATE ffrtmp_data.jobs SET run_after = now() + interval '1 day' WHERE id = :retry;
SELECT is(pg_temp.drift(), 0::bigint, 'in step after a timeout, CPU cores, a queue and priority, and a backoff changed in place');
-- A state and a copied column changed in one UPDATE, both ways.
UPDATE ffrtmp_data.jobs SET state = 'held', priority = 8, updated_at = now() WHERE id = :queued;
UPDATE ffrtmp_data.jobs SET state = 'queued', priority = 7, cpu_cores = 2, updated_at = now() WHERE id = :queued;
SELECT is(pg_temp.drift(), 0::bigint, 'in step after a hold and a release that change the priority too');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'edge-b')
                          WHERE id = %s$$, :queued), 'PT409', NULL, 'a job cannot move to another tenant (its narrow row would not follow)');
UPDATE ffrtmp_data.jobs SET priority = 1 WHERE false;
SELECT is(pg_temp.drift(), 0::bigint, 'an UPDATE of no row changes nothing');
-- The assigned job's CPU cores changed by hand: usage counted the 2 it was
-- assigned with, and its end would give back 4.
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint,
          'the usage counters follow CPU cores changed on an assigned job');
MERGE INTO ffrtmp_data.jobs j USING (VALUES (:queued::bigint)) s(id) ON j.id = s.id
 WHEN MATCHED THEN UPDATE SET priority = 9, updated_at = now();
SELECT is((SELECT priority FROM ffrtmp_data.job_queue WHERE job_id = :queued), 9, 'a MERGE keeps job_queue in step');

-- A job keeps its id: SET id = DEFAULT (the one change of an identity
-- column GENERATED ALWAYS allows) is refused.  It was taken: the old id's
-- narrow row stayed behind, and with the id changed the state trigger could
-- not pair the old row with the new, so any state change got through
-- unchecked and uncounted.
SELECT throws_ok(format('UPDATE ffrtmp_data.jobs SET id = DEFAULT WHERE id = %s', :queued), 'PT409', NULL,
                 'a queued job''s id cannot change');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET id = DEFAULT, state = 'completed' WHERE id = %s$$, :assigned), 'PT409', NULL,
                 'nor an assigned job''s with a state change the transitions do not allow');
SELECT throws_ok(format($$MERGE INTO ffrtmp_data.jobs j USING (VALUES (%s::bigint)) s(id) ON j.id = s.id
                           WHEN MATCHED THEN UPDATE SET id = DEFAULT$$, :run), 'PT409', NULL,
                 'nor a running job''s by MERGE');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after the refused changes of id');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');

-- A job_queue row whose job is gone (a queued job deleted with the
-- triggers off: session_replication_role = replica) is no candidate: the
-- pass read it with NULL encoders and the server crashed (SIGSEGV) at every
-- pass of the tenant's while the row stayed.
\o /dev/null
SELECT id AS gone FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a', priority => 50) \gset
SET LOCAL session_replication_role = replica;
DELETE FROM ffrtmp_data.jobs WHERE id = :gone;
RESET session_replication_role;
SELECT id AS fresh FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a') \gset
\o
SELECT is(ffrtmp.dispatch(), 2, 'a pass with a job_queue row whose job is gone dispatches the queued jobs');
SELECT results_eq(format('SELECT state FROM ffrtmp_data.jobs WHERE id IN (%s, %s) ORDER BY id', :queued, :fresh),
                  $$VALUES ('assigned'), ('assigned')$$, 'both real jobs are assigned');
-- The query of docs/scheduler.md finds the row; a superuser removes it.
SELECT is((SELECT array_agg(q.job_id) FROM ffrtmp_data.job_queue q
            WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.jobs j WHERE j.id = q.job_id)), ARRAY[:gone::bigint],
          'the row whose job is gone is found');
DELETE FROM ffrtmp_data.job_queue WHERE job_id = :gone;

-- A timeout that no check bounds: 300,000 years.  A lease's deadline took
-- all of it, out of timestamptz's range, and the error refused the start of
-- the job, and of another tenant's job started in the same batch on the
-- shared node.  The deadline takes at most 1000 years of it.
\o /dev/null
SELECT id AS huge FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-a', timeout => '300000 years') \gset
SELECT id AS other FROM ffrtmp.submit_job('testsrc://', tenant => 'edge-b') \gset
\o
SELECT is(ffrtmp.dispatch(), 2, 'the job with a timeout of 300,000 years and another tenant''s job are dispatched');
SELECT lives_ok(format('SELECT * FROM ffrtmp.start_jobs(%s, %L, ARRAY[%s, %s]::bigint[], ARRAY[1, 1])', :node, :'token', :huge, :other),
                'a batch starting both lives');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE id IN (:huge, :other) AND state = 'running'), 2::bigint, 'both run');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after the start');
SELECT lives_ok($$SELECT ffrtmp_data.recover('15 seconds')$$, 'recovery runs with such a job running');

-- TRUNCATE of jobs (an operator starting afresh) empties the narrow
-- tables too: the node's capacity is free and the node can be removed.
\o /dev/null
SELECT ffrtmp.submit_job('testsrc://', tenant => 'edge-a', run_after => now() + interval '1 day');
\o
TRUNCATE ffrtmp_data.jobs RESTART IDENTITY;
SELECT is((SELECT count(*) FROM ffrtmp_data.job_queue) + (SELECT count(*) FROM ffrtmp_data.job_backoffs)
          + (SELECT count(*) FROM ffrtmp_data.job_leases), 0::bigint, 'TRUNCATE of jobs empties the narrow tables');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after TRUNCATE');
\o /dev/null
SELECT ffrtmp.repair_usage();
\o
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'repair_usage makes the counters exact again');
-- Ids start again at 1: a job_queue row left by a truncated job (the
-- delayed one) refused every new job of its id (23505 on job_queue_pkey).
SELECT lives_ok($$SELECT ffrtmp.submit_jobs((SELECT jsonb_agg(jsonb_build_object('input_url', 'testsrc://', 'run_after', now() + interval '1 day'))
                                               FROM generate_series(1, 20)), tenant => 'edge-a')$$,
                '20 delayed jobs submitted after TRUNCATE ... RESTART IDENTITY, with the truncated jobs'' ids, are queued');
\o /dev/null
SELECT ffrtmp.submit_job('testsrc://', tenant => 'edge-a', cpu_cores => 64);
\o
SELECT is(ffrtmp.dispatch(), 1, 'a job that takes every core of the node is dispatched: no core is held by a truncated job');
SELECT is(pg_temp.drift(), 0::bigint, 'in step after the dispatch');
TRUNCATE ffrtmp_data.jobs;
SELECT lives_ok(format('SELECT ffrtmp.remove_node(%s)', :node), 'the node holds no job after TRUNCATE and is removed');

SELECT * FROM finish();
ROLLBACK;
