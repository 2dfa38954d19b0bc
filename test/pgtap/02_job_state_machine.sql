-- The job state machine as a table of cases, and quotas at their edges.
BEGIN;
SELECT plan(57);

SELECT id AS sm_id FROM ffrtmp.create_tenant('tap-sm', plan => 'enterprise') \gset

-- A job brought to a given state along allowed transitions.
CREATE FUNCTION pg_temp.job_in(target text, cores integer DEFAULT 1) RETURNS bigint LANGUAGE plpgsql AS $$
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
        WHEN 'rejected'  THEN '{rejected}' END;
    step text;
BEGIN
    FOREACH step IN ARRAY path LOOP
        UPDATE ffrtmp_data.jobs SET state = step, state_reason = 'test walks to ' || target WHERE id = job;
    END LOOP;
    RETURN job;
END $$;

-- Every allowed transition works and is recorded with its reason and actor.
CREATE FUNCTION pg_temp.every_transition() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    t record;
    job bigint;
    ev record;
BEGIN
    FOR t IN SELECT from_state, to_state FROM ffrtmp.job_transitions ORDER BY 1, 2 LOOP
        job := pg_temp.job_in(t.from_state);
        UPDATE ffrtmp_data.jobs SET state = t.to_state, state_reason = 'case ' || t.from_state || '->' || t.to_state
         WHERE id = job;
        SELECT from_state, to_state, reason, actor INTO ev FROM ffrtmp.job_events WHERE job_id = job ORDER BY id DESC LIMIT 1;
        RETURN NEXT is(ev.from_state || '->' || ev.to_state || ' ' || ev.reason || ' by ' || ev.actor,
                       t.from_state || '->' || t.to_state || ' case ' || t.from_state || '->' || t.to_state || ' by ' || current_user,
                       format('%s -> %s is allowed and recorded', t.from_state, t.to_state));
    END LOOP;
END $$;
SELECT * FROM pg_temp.every_transition();
SELECT is((SELECT count(*) FROM ffrtmp.job_transitions), 21::bigint, 'the table has 21 allowed transitions');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'after every transition the usage counters are exact');

-- Transitions that are not in the table are refused, and change nothing.
SELECT pg_temp.job_in('completed') AS done_job \gset
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'queued' WHERE id = %s$$, :done_job), 'PT409',
                 format('job %s cannot go from completed to queued', :done_job), 'completed -> queued is refused');
SELECT pg_temp.job_in('canceled') AS canceled_job \gset
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = %s$$, :canceled_job), 'PT409', NULL, 'canceled -> running is refused');
SELECT pg_temp.job_in('queued') AS queued_job \gset
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE id = %s$$, :queued_job), 'PT409', NULL, 'queued -> completed is refused');
SELECT pg_temp.job_in('failed') AS failed_job \gset
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = %s$$, :failed_job), 'PT409', NULL, 'failed -> running is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'vanished' WHERE id = %s$$, :queued_job), 'PT409', NULL, 'an unknown state is refused');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET tenant_id = '00000000-0000-0000-0000-000000000000' WHERE id = %s$$, :queued_job),
                 'PT409', format('job %s cannot change tenant', :queued_job), 'a job cannot move to another tenant');
SELECT throws_ok(format($$UPDATE ffrtmp_data.jobs SET state = 'failed', failure_reason = 'bad_luck' WHERE id = %s$$, :queued_job),
                 '22023', NULL, 'an unknown failure reason is refused');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :queued_job), 'queued', 'the refused changes left the job as it was');
SELECT throws_ok(format($$DELETE FROM ffrtmp_data.jobs WHERE id = %s$$, :queued_job), 'PT409', NULL, 'an active job cannot be deleted');
SELECT throws_ok($$DELETE FROM ffrtmp_data.tenants WHERE name = 'tap-sm'$$, 'PT409', 'tenants are never deleted', 'tenants cannot be deleted for real');

-- Counters follow jobs that hold a node.
SELECT ffrtmp.create_tenant('tap-count', plan => 'pro');
SELECT id AS c1 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 3, gpus => 1) \gset
SELECT id AS c2 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 2) \gset
SELECT id AS c3 FROM ffrtmp.submit_job('testsrc://', tenant => 'tap-count', cpu_cores => 4) \gset
UPDATE ffrtmp_data.jobs SET state = 'assigned' WHERE id IN (:c1, :c2);
UPDATE ffrtmp_data.jobs SET state = 'running' WHERE id = :c1;
SELECT results_eq(
    $$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used FROM ffrtmp.tenant_stats('tap-count')$$,
    $$VALUES (3, 1, 2, 5, 1)$$, 'running and assigned jobs hold their CPU cores and GPUs');
UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE id = :c1;
SELECT results_eq(
    $$SELECT active_jobs, queued_jobs, running_jobs, cpu_cores_used, gpus_used, cpu_cores_available FROM ffrtmp.tenant_stats('tap-count')$$,
    $$VALUES (2, 1, 1, 2, 0, 98)$$, 'a completed job gives them back');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'counters match a recount');

-- cancel_job and retry_job.
SELECT is((SELECT state FROM ffrtmp.cancel_job(:c2)), 'canceled', 'an assigned job can be canceled');
SELECT throws_ok(format('SELECT ffrtmp.cancel_job(%s)', :c1), 'PT409', format('job %s is completed and cannot be canceled', :c1), 'a completed job cannot');
SELECT results_eq(format('SELECT state, attempt, first_attempt, node_id FROM ffrtmp.retry_job(%s)', :failed_job),
                  $$VALUES ('queued', 2, 2, NULL::bigint)$$, 'retry_job queues a failed job as a new run');
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :failed_job), 'PT409', NULL, 'a queued job cannot be retried');
SELECT throws_ok(format('SELECT ffrtmp.retry_job(%s)', :c1), 'PT409', NULL, 'a completed job cannot be retried');

-- Quotas at their edges: the free plan allows 10 active jobs, 4 cores, no GPU, 100 jobs an hour.
SELECT ffrtmp.create_tenant('tap-free');
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'tap-free')) FROM generate_series(1, 10)), 10::bigint, 'ten jobs fit');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 10 active jobs', 'the eleventh is refused with 429');
SELECT is((SELECT seq FROM ffrtmp.tenant_jobs('tap-free') LIMIT 1), 10::bigint, 'the refused submission left no job behind');
SELECT is((SELECT active_jobs FROM ffrtmp.tenant_stats('tap-free')), 10, 'nor a counter');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', cpu_cores => 5)$$, '22023',
                 'job needs 5 cpu_cores but tenant "tap-free" may use at most 4', 'a job larger than the plan is refused');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free', gpus => 1)$$, '22023', NULL, 'the free plan has no GPUs');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": 12}');
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'tap-free')) FROM generate_series(1, 2)), 2::bigint, 'an override makes room');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429', NULL, 'up to the override');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": "default"}');
SELECT is((SELECT max_jobs FROM ffrtmp.get_tenant('tap-free')), 10, '"default" returns to the plan''s quota');
SELECT throws_ok((SELECT format('SELECT ffrtmp.retry_job(%s)', id) FROM ffrtmp.cancel_job(
                    (SELECT id FROM ffrtmp.tenant_jobs('tap-free') LIMIT 1))), 'PT429', NULL,
                 'retry_job respects max_jobs too');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs": null}');
SELECT is((SELECT jobs_available FROM ffrtmp.tenant_stats('tap-free')), NULL::integer, 'null makes it unlimited');
SELECT ffrtmp.update_tenant('tap-free', quotas => '{"max_jobs_per_hour": 13}');
SELECT is((SELECT jobs_this_hour FROM ffrtmp.tenant_stats('tap-free')), 12, 'twelve submissions this hour');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'the thirteenth fits the hourly quota');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'tap-free')$$, 'PT429',
                 'tenant "tap-free" has reached its quota of 13 jobs per hour', 'the fourteenth is refused');
SELECT is((SELECT jobs_this_hour FROM ffrtmp.tenant_stats('tap-free')), 13, 'canceled jobs still count against the hour');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'and the counters are still exact');

SELECT * FROM finish();
ROLLBACK;
