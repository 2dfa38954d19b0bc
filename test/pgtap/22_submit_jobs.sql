-- ffrtmp.submit_jobs: many jobs in one call, all or nothing.  Each job is
-- read and checked as submit_job reads and checks its arguments; a bad job is
-- refused naming its index and field, and nothing is written; the quotas are
-- checked for the whole batch; idempotency keys are honoured per job.
BEGIN;
SELECT plan(35);

SELECT ffrtmp.create_tenant('sj', plan => 'pro');
SELECT id AS sj_id FROM ffrtmp.tenants WHERE name = 'sj' \gset
SELECT ffrtmp.create_tenant('sj-small');
SELECT ffrtmp.update_tenant('sj-small', quotas => '{"max_jobs": 5, "max_cpu_cores": 2}');
SELECT ffrtmp.create_tenant('sj-hourly', plan => 'enterprise');
SELECT ffrtmp.update_tenant('sj-hourly', quotas => '{"max_jobs_per_hour": 3}');
CREATE ROLE sj_alice LOGIN;
SELECT ffrtmp.add_tenant_role('sj', 'sj_alice');

-- What a tenant has: jobs, events and the counters, to show nothing was written.
CREATE FUNCTION pg_temp.written(tenant text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s jobs, %s events, %s submitted',
                  (SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = tenant),
                  (SELECT count(*) FROM ffrtmp_data.job_events e JOIN ffrtmp_data.tenants t ON t.id = e.tenant_id WHERE t.name = tenant),
                  (SELECT u.jobs_submitted FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id WHERE t.name = tenant))
$$;

-- 1. A batch: one row per job, in input order, with consecutive seqs.
CREATE TEMP TABLE first AS
SELECT * FROM ffrtmp.submit_jobs($$[
    {"input_url": "file:///media/sj/a.mp4", "preset": "720p30-test", "output_url": "sj/a.mp4"},
    {"input_url": "testsrc://640x360@25?duration=5", "params": {"crf": 23}, "priority": "high",
     "max_attempts": 5, "cpu_cores": 2, "queue": "batch", "timeout": "30 minutes",
     "run_after": "2000-01-01 00:00:00+00", "retry_all_failures": true},
    {"input_url": "testsrc://", "priority": -5, "gpus": null}
]$$, tenant => 'sj');
SELECT results_eq('SELECT job_index, seq, submitted FROM first ORDER BY job_index',
                  $$VALUES (0, 1::bigint, true), (1, 2::bigint, true), (2, 3::bigint, true)$$,
                  'three jobs: their index, seq 1 to 3, all submitted');
SELECT results_eq($$SELECT j.id, j.seq FROM ffrtmp.jobs j WHERE j.tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'sj') ORDER BY j.seq$$,
                  'SELECT id, seq FROM first ORDER BY job_index', 'the ids returned are the jobs'' ids');
SELECT results_eq($$SELECT j.input_url, j.output_url, j.preset, j.params ->> 'size', j.params ->> 'crf', j.priority,
                           j.max_attempts, j.cpu_cores, j.gpus, j.queue, j.timeout, j.run_after <= now(), j.retry_all_failures, j.state
                      FROM first f JOIN ffrtmp.jobs j ON j.id = f.id ORDER BY f.job_index$$,
                  $$VALUES ('file:///media/sj/a.mp4', 'sj/a.mp4', '720p30-test', '1280x720', NULL, 0, 3, 1, 0, 'default', NULL::interval, true, false, 'queued'),
                           ('testsrc://640x360@25?duration=5', NULL, NULL, NULL, '23', 100, 5, 2, 0, 'batch', '30 minutes'::interval, true, true, 'queued'),
                           ('testsrc://', NULL, NULL, NULL, NULL, -5, 3, 1, 0, 'default', NULL, true, false, 'queued')$$,
                  'each field as submit_job would have stored it (preset merged, defaults for the rest)');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_events e JOIN first f ON f.id = e.job_id
            WHERE e.from_state IS NULL AND e.to_state = 'queued' AND e.reason = 'submitted'), 3::bigint,
          'each job has its submission event');
SELECT is((SELECT count(*) FROM ffrtmp.submit_jobs('[]', tenant => 'sj')), 0::bigint, 'an empty batch submits nothing');

-- 2. A bad job: the whole batch is refused, naming the job and the field.
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://", "max_attempts": 0}]', tenant => 'sj')$$,
                 '22023', 'jobs[1]: max_attempts must be between 1 and 100, not 0', 'a bad value names the job and the field');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}, {"inptu_url": "testsrc://"}]', tenant => 'sj')$$,
                 '22023', 'jobs[2]: unknown field "inptu_url"', 'an unknown field');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"output_url": "a.mp4"}]', tenant => 'sj')$$,
                 '22004', 'jobs[0]: input_url must not be null', 'a job without input_url');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "ftp://x/a.mp4"}]', tenant => 'sj')$$,
                 '22023', 'jobs[0]: unsupported input_url scheme "ftp"', 'the input URL rules of submit_job');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "cpu_cores": 1.5}]', tenant => 'sj')$$,
                 '22023', 'jobs[0]: cpu_cores must be a whole number', 'a fraction where a whole number belongs');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": 7}]', tenant => 'sj')$$,
                 '22023', 'jobs[0]: input_url must be a string', 'a number where a string belongs');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "params": {"crf": "best"}}]', tenant => 'sj')$$,
                 '22023', NULL, 'bad params (the common parameter rules)');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "preset": "nope"}]', tenant => 'sj')$$,
                 '22023', 'jobs[0]: preset "nope" does not exist', 'an unknown preset');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "run_after": "soon"}]', tenant => 'sj')$$,
                 '22007', NULL, 'a run_after that is no time');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "tenant": "sj"}]', tenant => 'sj')$$,
                 '22023', 'jobs[0]: tenant is not a field of a job: a batch is for one tenant', 'tenant is the batch''s argument');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, "testsrc://"]', tenant => 'sj')$$,
                 '22023', 'jobs[1]: a job must be a JSON object', 'a job that is not an object');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('{"input_url": "testsrc://"}', tenant => 'sj')$$,
                 '22023', 'jobs must be a JSON array of job objects', 'jobs must be an array');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs((SELECT jsonb_agg(jsonb_build_object('input_url', 'testsrc://')) FROM generate_series(1, 1001)), tenant => 'sj')$$,
                 '22023', 'a batch may hold at most 1000 jobs, not 1001', 'at most 1000 jobs per batch');
SELECT is(pg_temp.written('sj'), '3 jobs, 3 events, 3 submitted', 'none of the refused batches wrote anything');

-- 3. Quotas for the whole batch.
SELECT is((SELECT count(*) FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}, {"input_url": "testsrc://"}]',
                                                   tenant => 'sj-small')), 3::bigint, 'sj-small (max_jobs 5) takes 3 jobs');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'sj-small')$$,
                 'PT429', 'tenant "sj-small" has no room for 3 more active jobs under its quota of 5',
                 'a batch of 3 more, of which 2 would fit, is refused whole');
CREATE FUNCTION pg_temp.hint_of(statement text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END
$fn$;
SELECT alike(pg_temp.hint_of($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'sj-small')$$),
            '% Or submit a smaller batch: 2 jobs fit now.', 'and the hint says how many would');
SELECT is(pg_temp.written('sj-small'), '3 jobs, 3 events, 3 submitted', 'and nothing of it was written');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://", "cpu_cores": 4}]', tenant => 'sj-small')$$,
                 '22023', 'jobs[1]: job needs 4 cpu_cores but tenant "sj-small" may use at most 2',
                 'a job that alone exceeds max_cpu_cores is named');
SELECT is((SELECT count(*) FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'sj-small')),
          2::bigint, 'a batch of the 2 that fit is accepted');
SELECT is((SELECT count(*) FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'sj-hourly')),
          2::bigint, 'sj-hourly (3 per hour) takes 2');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'sj-hourly')$$,
                 'PT429', 'tenant "sj-hourly" has no room for 2 more jobs per hour under its quota of 3',
                 'the hourly quota counts the whole batch too');

-- 4. Idempotency keys per job.
SELECT id AS keyed FROM ffrtmp.submit_job('testsrc://', tenant => 'sj', idempotency_key => 'sj-k1') \gset
CREATE TEMP TABLE second AS
SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "idempotency_key": "sj-k2"}, {"input_url": "testsrc://", "idempotency_key": "sj-k1"}]',
                                 tenant => 'sj');
SELECT results_eq('SELECT job_index, seq, submitted FROM second ORDER BY job_index',
                  $$VALUES (0, 5::bigint, true), (1, 4::bigint, false)$$,
                  'a key used before returns that job (submitted false); a new key, a new job');
SELECT is((SELECT id FROM second WHERE job_index = 1), :keyed::bigint, 'the job of the earlier submit_job');
SELECT results_eq($$SELECT id, submitted FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "idempotency_key": "sj-k2"}, {"input_url": "testsrc://", "idempotency_key": "sj-k1"}]', tenant => 'sj') ORDER BY job_index$$,
                  $$SELECT id, false FROM second ORDER BY job_index$$, 'the same batch again submits nothing');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://", "idempotency_key": "sj-k1", "priority": 5}]', tenant => 'sj')$$,
                 'PT409', 'jobs[1]: idempotency key "sj-k1" was already used for a different job', 'a key used for another job is a conflict');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "idempotency_key": "sj-k9"}, {"input_url": "testsrc://", "idempotency_key": "sj-k9"}]', tenant => 'sj')$$,
                 '22023', 'jobs[1]: idempotency_key "sj-k9" is also the key of jobs[0]', 'a key may appear once per batch');

-- 5. A tenant principal submits for its own tenant only.
SET ROLE sj_alice;
SELECT is((SELECT seq FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]')), 6::bigint, 'a tenant principal submits for its tenant');
SELECT throws_ok($$SELECT * FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'sj-small')$$,
                 '42501', NULL, 'and not for another');
RESET ROLE;

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are exact');

SELECT * FROM finish();
ROLLBACK;
