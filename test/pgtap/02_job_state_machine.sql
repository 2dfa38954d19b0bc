-- The job state machine as a table of cases, and quotas at their edges.
BEGIN;
SELECT plan(202);

\o /dev/null
SELECT id AS sm_id FROM ffrtmp.create_tenant('tap-sm', plan => 'enterprise') \gset
CREATE ROLE tap_sm_user LOGIN;
SELECT ffrtmp.add_tenant_role('tap-sm', 'tap_sm_user');

-- A job of tap-sm brought to a given state along allowed transitions.
CREATE FUNCTION pg_temp.job_in(target text, cores integer DEFAULT 1) RETURNS bigint LANGUAGE plpgsql AS $fn$
DECLARE
    job bigint := (SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-sm', cpu_cores => cores));
    path text[] := CASE target
        WHEN 'queued'    THEN '{}'
        WHEN 'assigned'  THEN '{assigned}'
        WHEN 'running'   THEN '{assigned,running}'
        WHEN 'retrying'  THEN '{assigned,retrying}'
        WHEN 'completed' THEN '{assigned,running,completed}'
        WHEN 'failed'    THEN '{failed}'
        WHEN 'timed_out' THEN '{assigned,running,timed_out}'
        WHEN 'canceled'  THEN '{canceled}'
        WHEN 'rejected'  THEN '{rejected}'
        WHEN 'held'      THEN '{held}'
        WHEN 'paused'    THEN '{assigned,running,paused}' END;
    step text;
BEGIN
    IF path IS NULL THEN
        RAISE EXCEPTION 'no path to %', target;
    END IF;
    FOREACH step IN ARRAY path LOOP
        UPDATE ffrtmp_data.jobs SET state = step, state_reason = 'test walks to ' || target WHERE id = job;
    END LOOP;
    RETURN job;
END
$fn$;

-- What a refused call must leave unchanged: the tenant's jobs, events and usage row.
CREATE FUNCTION pg_temp.footprint(tenant text) RETURNS text LANGUAGE sql AS $fn$
    SELECT format('jobs=%s events=%s usage=%s',
                  (SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = tenant),
                  (SELECT count(*) FROM ffrtmp_data.job_events e JOIN ffrtmp_data.tenants t ON t.id = e.tenant_id WHERE t.name = tenant),
                  (SELECT row(u.active_jobs, u.queued_jobs, u.running_jobs, u.cpu_cores_used, u.gpus_used, u.workers,
                              u.jobs_submitted, u.hour_counts, u.hour_minutes)::text
                     FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id WHERE t.name = tenant))
$fn$;

-- Every allowed transition, made by a direct UPDATE, is recorded with from,
-- to, reason and actor, and leaves the usage counters exact.
CREATE FUNCTION pg_temp.every_allowed_transition() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
    t record;
    job bigint;
    ev record;
    events_before bigint;
BEGIN
    FOR t IN SELECT from_state, to_state FROM ffrtmp.job_transitions ORDER BY 1, 2 LOOP
        job := pg_temp.job_in(t.from_state);
        events_before := (SELECT count(*) FROM ffrtmp.job_events WHERE job_id = job);
        UPDATE ffrtmp_data.jobs SET state = t.to_state, state_reason = 'case ' || t.from_state || '->' || t.to_state
         WHERE id = job;
        SELECT from_state, to_state, reason, actor INTO ev FROM ffrtmp.job_events WHERE job_id = job ORDER BY id DESC LIMIT 1;
        RETURN NEXT is(format('%s->%s reason "%s" by %s; %s new event; job is %s; %s counters off',
                              ev.from_state, ev.to_state, ev.reason, ev.actor,
                              (SELECT count(*) FROM ffrtmp.job_events WHERE job_id = job) - events_before,
                              (SELECT state FROM ffrtmp.jobs WHERE id = job),
                              (SELECT count(*) FROM ffrtmp.verify_usage())),
                       format('%s->%s reason "case %s->%s" by %s; 1 new event; job is %s; 0 counters off',
                              t.from_state, t.to_state, t.from_state, t.to_state, current_user, t.to_state),
                       format('%s -> %s is allowed, recorded and counted', t.from_state, t.to_state));
    END LOOP;
END
$fn$;

-- Every other change of state is refused with PT409 and its own message.
CREATE FUNCTION pg_temp.every_refused_transition() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
    t record;
    job bigint;
BEGIN
    FOR t IN SELECT f.state AS from_state, o.state AS to_state
               FROM ffrtmp.job_states f CROSS JOIN ffrtmp.job_states o
              WHERE f.state <> o.state
                AND NOT EXISTS (SELECT 1 FROM ffrtmp.job_transitions x WHERE x.from_state = f.state AND x.to_state = o.state)
              ORDER BY 1, 2 LOOP
        job := pg_temp.job_in(t.from_state);
        RETURN NEXT throws_ok(format('UPDATE ffrtmp_data.jobs SET state = %L WHERE id = %s', t.to_state, job), 'PT409',
                              format('job %s cannot go from %s to %s', job, t.from_state, t.to_state),
                              format('%s -> %s is refused', t.from_state, t.to_state));
    END LOOP;
END
$fn$;
\o

-- 1. The table of transitions: 33 allowed (recorded, counted), 77 refused.
SELECT is((SELECT count(*) FROM ffrtmp.job_states), 11::bigint, 'eleven job states');
SELECT is((SELECT count(*) FROM ffrtmp.job_transitions), 33::bigint, '33 allowed transitions');
SELECT * FROM pg_temp.every_allowed_transition();
SELECT * FROM pg_temp.every_refused_transition();
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'after every transition the usage counters are exact');

-- 2. A sample of refusals by hand, and what they leave behind.
SELECT pg_temp.job_in('completed') AS done_job \gset
SELECT pg_temp.job_in('canceled') AS canceled_job \gset
SELECT pg_temp.job_in('queued') AS queued_job \gset
SELECT pg_temp.job_in('failed') AS failed_job \gset
SELECT pg_temp.footprint('tap-sm') AS sm_before \gset
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'queued' WHERE id = %s$$, :done_job), 'PT409',
                 format('job %s cannot go from completed to queued', :done_job), 'completed -> queued is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = %s$$, :canceled_job), 'PT409',
                 format('job %s cannot go from canceled to running', :canceled_job), 'canceled -> running is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE id = %s$$, :queued_job), 'PT409',
                 format('job %s cannot go from queued to completed', :queued_job), 'queued -> completed is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = %s$$, :failed_job), 'PT409',
                 format('job %s cannot go from failed to running', :failed_job), 'failed -> running is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'vanished' WHERE id = %s$$, :queued_job), 'PT409',
                 format('job %s cannot go from queued to vanished', :queued_job), 'an unknown state is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id IN (%s, %s)$$, :queued_job, :failed_job), 'PT409', NULL,
                 'one bad row refuses the whole statement');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET tenant_id = '00000000-0000-0000-0000-000000000000' WHERE id = %s$$, :queued_job),
                 'PT409', format('job %s cannot change tenant', :queued_job), 'a job cannot move to another tenant');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET tenant_id = '00000000-0000-0000-0000-000000000000', state = 'assigned' WHERE id = %s$$, :queued_job),
                 'PT409', format('job %s cannot change tenant', :queued_job), 'not even along with an allowed transition');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'failed', failure_reason = 'bad_luck' WHERE id = %s$$, :queued_job),
                 '22023', format('job %s cannot have failure reason "bad_luck"', :queued_job), 'an unknown failure reason is refused');
SELECT is(pg_temp.footprint('tap-sm'), :'sm_before', 'the refused changes left jobs, events and counters as they were');
SELECT results_eq(format('SELECT state, tenant_id FROM ffrtmp.jobs WHERE id = %s', :queued_job),
                  format('VALUES (%L, %L::uuid)', 'queued', :'sm_id'), 'the job is still queued and still tap-sm''s');
UPDATE ffrtmp_data.jobs SET state = 'queued', priority = 5 WHERE id = :queued_job;
SELECT is(pg_temp.footprint('tap-sm'), :'sm_before', 'an UPDATE that keeps the state records no event and moves no counter');
SELECT throws_ok(format($$DELETE FROM ffrtmp_data.jobs WHERE id = %s$$, :queued_job), 'PT409',
                 format('job %s is queued and cannot be deleted', :queued_job), 'an active job cannot be deleted');
SELECT throws_ok(format($$DELETE FROM ffrtmp_data.jobs WHERE id = %s$$, pg_temp.job_in('running')), 'PT409', NULL,
                 'nor a running one');
SELECT lives_ok(format($$DELETE FROM ffrtmp_data.jobs WHERE id = %s$$, :done_job), 'a finished job can be deleted (pruned)');
SELECT throws_ok($$DELETE FROM ffrtmp_data.tenants WHERE name = 'tap-sm'$$, 'PT409', 'tenants are never deleted', 'tenants cannot be deleted for real');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'the counters are still exact');

-- 3. Counters follow the jobs that hold a node.
SELECT ffrtmp.create_tenant('tap-count', plan => 'pro') IS NOT NULL AS created \gset
SELECT id AS c1 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 3, gpus => 1) \gset
SELECT id AS c2 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 2) \gset
SELECT id AS c3 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 4) \gset
SELECT id AS c4 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 5, gpus => 2) \gset
SELECT results_eq($$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used FROM ffrtmp.tenant_stats('tap-count')$$,
                  $$VALUES (4, 4, 0, 0, 0)$$, 'four queued jobs hold nothing');
UPDATE ffrtmp_data.jobs SET state = 'assigned' WHERE id IN (:c1, :c2, :c4);
UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = :c1;
UPDATE ffrtmp_data.jobs SET state = 'retrying' WHERE id = :c4;
SELECT results_eq($$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used FROM ffrtmp.tenant_stats('tap-count')$$,
                  $$VALUES (4, 2, 2, 5, 1)$$, 'running and assigned jobs hold their CPU cores and GPUs; retrying ones wait');
SELECT is((SELECT cpu_cores_used FROM ffrtmp.tenant_stats('tap-count')),
          (SELECT sum(j.cpu_cores)::integer FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
            WHERE t.name = 'tap-count' AND j.state IN ('assigned', 'running')),
          'cpu_cores_used is the sum of the cores of assigned and running jobs');
SELECT is((SELECT cpu_cores_available FROM ffrtmp.tenant_stats('tap-count')), 95, 'and the pro plan''s 100 cores less that are available');
UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE id = :c1;
SELECT results_eq($$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used, cpu_cores_available, gpus_available
                      FROM ffrtmp.tenant_stats('tap-count')$$,
                  $$VALUES (3, 2, 1, 2, 0, 98, 5)$$, 'a completed job gives them back');
UPDATE ffrtmp_data.jobs SET state = 'queued' WHERE id IN (:c2, :c4);
SELECT results_eq($$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used FROM ffrtmp.tenant_stats('tap-count')$$,
                  $$VALUES (3, 3, 0, 0)$$, 'jobs sent back to the queue from assigned and retrying');
UPDATE ffrtmp_data.jobs SET state = 'assigned' WHERE id IN (:c2, :c3, :c4);
SELECT results_eq($$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used FROM ffrtmp.tenant_stats('tap-count')$$,
                  $$VALUES (3, 0, 3, 11, 2)$$, 'one statement assigning three jobs moves the counters by all three');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'the counters match a recount');

-- 4. cancel_job and retry_job.
SELECT pg_temp.job_in('queued') AS q_job \gset
SELECT results_eq(format('SELECT state, state_reason, finished_at IS NOT NULL FROM ffrtmp.cancel_job(%s)', :q_job),
                  $$VALUES ('canceled', 'canceled by ' || (current_user::text COLLATE "default"), true)$$, 'a queued job can be canceled');
SELECT results_eq(format('SELECT from_state, to_state, reason, actor FROM ffrtmp.job_events WHERE job_id = %s ORDER BY id DESC LIMIT 1', :q_job),
                  $$VALUES ('queued', 'canceled', 'canceled by ' || (current_user::text COLLATE "default"), (current_user::text COLLATE "default"))$$,
                  'and the cancellation is recorded');
SELECT is((SELECT state FROM ffrtmp.cancel_job(:c2)), 'canceled', 'an assigned job can be canceled');
SELECT is((SELECT state FROM ffrtmp.cancel_job(pg_temp.job_in('running'))), 'canceled', 'a running job can be canceled');
SELECT is((SELECT state FROM ffrtmp.cancel_job(pg_temp.job_in('retrying'))), 'canceled', 'a retrying job can be canceled');
SELECT throws_ok(format('SELECT ffrtmp.cancel_job(%s)', :c1), 'PT409', format('job %s is completed and cannot be canceled', :c1),
                 'a completed job cannot be canceled');
SELECT throws_ok(format('SELECT ffrtmp.cancel_job(%s)', :q_job), 'PT409', format('job %s is canceled and cannot be canceled', :q_job),
                 'nor a canceled one');
SELECT throws_ok(format('SELECT ffrtmp.cancel_job(%s)', :failed_job), 'PT409', format('job %s is failed and cannot be canceled', :failed_job),
                 'nor a failed one');
SELECT throws_ok('SELECT ffrtmp.cancel_job(999999999)', 'PT404', 'job 999999999 does not exist', 'nor a missing one');

UPDATE ffrtmp_data.jobs SET attempt = 3, failure_reason = 'runtime_error', error = 'boom' WHERE id = :failed_job;
SELECT jobs_this_hour AS sm_hour FROM ffrtmp.tenant_stats('tap-sm') \gset
SELECT results_eq(format('SELECT state, attempt, first_attempt, node_id, failure_reason, error FROM ffrtmp.retry_job(%s)', :failed_job),
                  $$VALUES ('queued', 4, 4, NULL::bigint, NULL::text, NULL::text)$$,
                  'retry_job queues a failed job as a new run: attempt + 1, first_attempt = attempt, failure cleared');
SELECT results_eq(format('SELECT from_state, to_state, attempt, reason FROM ffrtmp.job_events WHERE job_id = %s ORDER BY id DESC LIMIT 1', :failed_job),
                  $$VALUES ('failed', 'queued', 4, 'retried by ' || (current_user::text COLLATE "default"))$$, 'the retry is recorded');
SELECT is((SELECT jobs_this_hour FROM ffrtmp.tenant_stats('tap-sm')), :sm_hour, 'a retry is not a new submission for the hourly quota');
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :failed_job), 'PT409', format('job %s is queued and cannot be retried', :failed_job),
                 'a queued job cannot be retried');
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :c1), 'PT409', format('job %s is completed and cannot be retried', :c1),
                 'nor a completed one');
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :c3), 'PT409', format('job %s is assigned and cannot be retried', :c3),
                 'nor an assigned one');
SELECT throws_ok('SELECT ffrtmp.retry_job(999999999)', 'PT404', 'job 999999999 does not exist', 'nor a missing one');
SELECT is((SELECT state FROM ffrtmp.retry_job(pg_temp.job_in('timed_out'))), 'queued', 'a timed-out job can be retried');
SELECT is((SELECT state FROM ffrtmp.retry_job(pg_temp.job_in('canceled'))), 'queued', 'a canceled job can be retried');
SELECT is((SELECT state FROM ffrtmp.retry_job(pg_temp.job_in('rejected'))), 'queued', 'a rejected job can be retried');

-- The actor is the tenant's role when it acts through the API.
SET ROLE tap_sm_user;
SELECT id AS u_job FROM ffrtmp.submit_job('testsrc://') \gset
SELECT is((SELECT actor FROM ffrtmp.job_events WHERE job_id = :u_job AND from_state IS NULL), 'tap_sm_user', 'the submission names its role');
SELECT is((SELECT state_reason FROM ffrtmp.cancel_job(:u_job)), 'canceled by tap_sm_user', 'a tenant cancels its own job');
SELECT is((SELECT state_reason FROM ffrtmp.retry_job(:u_job)), 'retried by tap_sm_user', 'and retries it');
SELECT results_eq(format('SELECT to_state, actor FROM ffrtmp.job_events WHERE job_id = %s ORDER BY id', :u_job),
                  $$VALUES ('queued', 'tap_sm_user'), ('canceled', 'tap_sm_user'), ('queued', 'tap_sm_user')$$,
                  'its history names the tenant''s role, not the functions'' owner');
RESET ROLE;
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'counters exact after cancels and retries');

-- 5. Quotas at their edges: the free plan allows 10 active jobs, 4 cores, no GPU, 100 jobs an hour.
SELECT ffrtmp.create_tenant('tap-free') IS NOT NULL AS created \gset
SELECT results_eq($$SELECT max_jobs, max_cpu_cores, max_gpus, max_jobs_per_hour FROM ffrtmp.get_tenant('tap-free')$$,
                  $$VALUES (10, 4, 0, 100)$$, 'a new tenant is on the free plan');
SELECT pg_temp.footprint('tap-free') AS free_before \gset
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', cpu_cores => 5)$$, '22023',
                 'job needs 5 cpu_cores but tenant "tap-free" may use at most 4', 'a job with more cores than the plan is refused');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', gpus => 1)$$, '22023',
                 'job needs 1 gpus but tenant "tap-free" may use at most 0', 'the free plan has no GPUs');
SELECT is(pg_temp.footprint('tap-free'), :'free_before', 'the refused submissions left no job, event or counter');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', cpu_cores => 4)$$, 'a job of exactly the plan''s cores fits');
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'tap-free')) FROM generate_series(1, 9)), 9::bigint, 'ten jobs fit');
SELECT results_eq($$SELECT active_jobs, jobs_available, jobs_this_hour FROM ffrtmp.tenant_stats('tap-free')$$,
                  $$VALUES (10, 0, 10)$$, 'and use up max_jobs');
SELECT pg_temp.footprint('tap-free') AS free_full \gset
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 10 active jobs', 'the eleventh is refused with PT429');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', idempotency_key => 'k-11')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 10 active jobs', 'with an idempotency key too');
SELECT is(pg_temp.footprint('tap-free'), :'free_full', 'the refused submissions left no job, event or counter');
SELECT is((SELECT max(seq) FROM ffrtmp.tenant_jobs('tap-free')), 10::bigint, 'and used up no job number');

SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": 12}') IS NOT NULL AS raised \gset
SELECT is((SELECT max_jobs FROM ffrtmp.get_tenant('tap-free')), 12, 'an override replaces the plan''s quota');
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'tap-free')) FROM generate_series(1, 2)), 2::bigint,
          'and makes room for two more');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 12 active jobs', 'up to the override');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": "default"}') IS NOT NULL AS reset \gset
SELECT results_eq($$SELECT max_jobs, quota_overrides FROM ffrtmp.get_tenant('tap-free')$$, $$VALUES (10, '{}'::jsonb)$$,
                  '"default" returns to the plan''s quota');
SELECT is((SELECT jobs_available FROM ffrtmp.tenant_stats('tap-free')), 0, 'with 12 active jobs nothing is available (never below 0)');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 10 active jobs', 'so submissions are refused again');
SELECT id AS free_canceled FROM ffrtmp.cancel_job((SELECT max(j.id) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
                                                    WHERE t.name = 'tap-free')) \gset
SELECT pg_temp.footprint('tap-free') AS free_over \gset
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :free_canceled), 'PT429',
                 'tenant "tap-free" has reached its quota of 10 active jobs', 'retry_job respects max_jobs too');
SELECT is(pg_temp.footprint('tap-free'), :'free_over', 'the refused retry changed nothing');
SELECT is((SELECT state FROM ffrtmp.get_job(:free_canceled)), 'canceled', 'the job stays canceled');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": null}') IS NOT NULL AS unlimited \gset
SELECT results_eq($$SELECT max_jobs, jobs_available FROM ffrtmp.tenant_stats('tap-free') s, ffrtmp.get_tenant('tap-free') t$$,
                  $$VALUES (NULL::integer, NULL::integer)$$, 'null makes max_jobs unlimited');
SELECT is((SELECT state FROM ffrtmp.retry_job(:free_canceled)), 'queued', 'so the retry now fits');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'and so does a new job');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": 0}') IS NOT NULL AS zero \gset
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 0 active jobs', 'a quota of 0 allows nothing');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobz": 1}')$$, '22023', 'unknown quota "max_jobz"', 'an unknown quota');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": -1}')$$, '22023', 'invalid value for quota "max_jobs"', 'a negative quota');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": 1.5}')$$, '22023', 'invalid value for quota "max_jobs"', 'a fractional quota');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": "lots"}')$$, '22023', 'invalid value for quota "max_jobs"', 'a word other than default');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('tap-free', quotas => '[1]')$$, '22023', 'quotas must be a JSON object', 'quotas that are not an object');

-- The hourly quota: canceled jobs still count, retries do not.
SELECT ffrtmp.create_tenant('tap-hour') IS NOT NULL AS created \gset
SELECT ffrtmp.update_tenant('tap-hour', quotas => '{"max_jobs_per_hour": 3}') IS NOT NULL AS hourly \gset
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'tap-hour')) FROM generate_series(1, 3)), 3::bigint, 'three jobs fit the hour');
SELECT results_eq($$SELECT jobs_this_hour, jobs_this_hour_available FROM ffrtmp.tenant_stats('tap-hour')$$, $$VALUES (3, 0)$$,
                  'and use up the hourly quota');
SELECT pg_temp.footprint('tap-hour') AS hour_full \gset
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-hour')$$, 'PT429',
                 'tenant "tap-hour" has reached its quota of 3 jobs per hour', 'the fourth in the hour is refused');
SELECT is(pg_temp.footprint('tap-hour'), :'hour_full', 'leaving no trace');
SELECT is((SELECT count(ffrtmp.cancel_job(id)) FROM ffrtmp.tenant_jobs('tap-hour')), 3::bigint, 'all three are canceled');
SELECT results_eq($$SELECT active_jobs, jobs_this_hour FROM ffrtmp.tenant_stats('tap-hour')$$, $$VALUES (0, 3)$$,
                  'canceled jobs are no longer active but still count against the hour');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-hour')$$, 'PT429',
                 'tenant "tap-hour" has reached its quota of 3 jobs per hour', 'so a new job is still refused');
SELECT is((SELECT state FROM ffrtmp.retry_job((SELECT min(id) FROM ffrtmp.tenant_jobs('tap-hour')))), 'queued',
          'but a retry is not a submission and fits');
SELECT is((SELECT jobs_this_hour FROM ffrtmp.tenant_stats('tap-hour')), 3, 'and leaves the hour''s count alone');
SELECT ffrtmp.update_tenant('tap-hour', quotas => '{"max_jobs_per_hour": "default"}') IS NOT NULL AS back \gset
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-hour')$$, 'back on the plan''s 100 an hour it can submit again');

SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'after everything the usage counters are still exact');

SELECT * FROM finish();
ROLLBACK;
