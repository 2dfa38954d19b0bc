-- ffrtmp.import_job (docs/cli.md#importing-from-the-original-system): a job
-- that finished in another system, as job history.  Final states only, the
-- original's times, the tenant's next job number and nothing else of usage,
-- one event and one audit row, idempotent by the original's id; what it
-- refuses, and who may call it.  The importer that calls it:
-- test/t/080_cli_import.pl.
BEGIN;
SELECT * FROM no_plan();

\o /dev/null
SELECT ffrtmp.create_tenant('imp-a', plan => 'pro');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'imp-a');
\o
CREATE TEMP TABLE usage_before AS
    SELECT u.* FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id WHERE t.name = 'imp-a';

SELECT results_eq($$SELECT seq, imported FROM ffrtmp.import_job('old-1', 'failed', 'file:///in.mp4',
                      created_at => '2025-01-01 10:00+00', started_at => '2025-01-01 10:01+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a', attempt => 3,
                      failure_reason => 'runtime_error', error => 'exit 1', priority => 'high', queue => 'batch',
                      original => '{"scenario": "720p"}')$$,
                  $$VALUES (2::bigint, true)$$, 'a finished job is imported with the tenant''s next number');
SELECT results_eq($$SELECT state, input_url, queue, priority, attempt, failure_reason, error, created_at, started_at,
                           finished_at, updated_at, idempotency_key, result, state_reason
                      FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:old-1'$$,
                  $$VALUES ('failed', 'file:///in.mp4', 'batch', 100, 3, 'runtime_error', 'exit 1',
                            '2025-01-01 10:00+00'::timestamptz, '2025-01-01 10:01+00'::timestamptz,
                            '2025-01-01 10:05+00'::timestamptz, '2025-01-01 10:05+00'::timestamptz,
                            'import:old-1', '{"original": {"scenario": "720p"}}'::jsonb, 'imported')$$,
                  'with its state, times, attempts, reason and the original''s record');
SELECT results_eq($$SELECT from_state, to_state, reason FROM ffrtmp_data.job_events e
                      JOIN ffrtmp_data.jobs j ON j.id = e.job_id WHERE j.idempotency_key = 'import:old-1'$$,
                  $$VALUES (NULL::text, 'failed', 'imported')$$, 'one event, the import');
SELECT results_eq($$SELECT u.active_jobs, u.queued_jobs, u.running_jobs, u.hour_counts, u.jobs_submitted
                      FROM ffrtmp_data.usage u JOIN usage_before b USING (tenant_id)$$,
                  $$SELECT active_jobs, queued_jobs, running_jobs, hour_counts, jobs_submitted + 1 FROM usage_before$$,
                  'no quota or per-hour counter moves; the job number is taken');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'usage stays exact');

SELECT results_eq($$SELECT seq, imported FROM ffrtmp.import_job('old-1', 'failed', 'file:///in.mp4',
                      created_at => '2025-01-01 10:00+00', finished_at => '2025-01-01 10:05+00', tenant => 'imp-a')$$,
                  $$VALUES (2::bigint, false)$$, 'the same original id again returns the job, not imported');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:old-1'), 1::bigint, 'and adds none');
SELECT is((SELECT u.jobs_submitted FROM ffrtmp_data.usage u JOIN usage_before b USING (tenant_id)),
          (SELECT jobs_submitted + 1 FROM usage_before), 'nor takes a number');
SELECT is((SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'imp-a')), 3::bigint,
          'a job submitted later takes the next number');

SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'running', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'imp-a')$$,
                 '22023', 'state "running" is not a final state', 'a job that has not finished is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'completed', 'testsrc://', created_at => now(), finished_at => now() - interval '1 hour', tenant => 'imp-a')$$,
                 '22023', 'the job''s times are out of order', 'a job finished before it was created is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'failed', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'imp-a', failure_reason => 'disk_full')$$,
                 '22023', 'failure reason "disk_full" does not fit a failed job', 'an unknown failure reason is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'completed', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'imp-a', failure_reason => 'timeout')$$,
                 '22023', 'failure reason "timeout" does not fit a completed job', 'a completed job with a failure reason is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'completed', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'imp-a', queue => 'gpu')$$,
                 '22023', 'queue "gpu" is not live, default or batch', 'an unknown queue is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-2', 'completed', 'testsrc://', created_at => now(), finished_at => now(), tenant => 'no-such-tenant')$$,
                 'PT404', NULL, 'an unknown tenant is refused');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:old-2'), 0::bigint, 'a refused import writes nothing');

-- Every argument is checked before the original id is looked up: a repeat
-- with a value a first import would be refused for is refused too, naming it,
-- not answered with the job that exists.
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', 'failed', 'ftp://host/in.mp4', created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a')$$,
                 '22023', 'unsupported input_url scheme "ftp"', 'a repeat with an input_url submit_job refuses is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', 'failed', 'file:///' || repeat('x', 1048576), created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a')$$,
                 '22023', 'input_url must be 1 to 4096 bytes long', 'a repeat with a 1 MB input_url is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', 'failed', 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a', output_url => '../escape.mp4')$$,
                 '22023', 'invalid output_url "../escape.mp4"', 'a repeat with an output_url outside the tenant''s directory is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', 'failed', 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a',
                      original => (SELECT jsonb_object_agg('k' || i, repeat('v', 100)) FROM generate_series(1, 10000) i))$$,
                 '22023', NULL, 'a repeat with a 1 MB original is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', 'failed', 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a',
                      original => (repeat('{"a": ', 100) || '1' || repeat('}', 100))::jsonb)$$,
                 '22023', 'original is nested too deeply: at most 15 levels', 'a repeat with an original nested 100 deep is refused');
SELECT throws_ok($$SELECT ffrtmp.import_job('old-1', repeat('x', 1048576), 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                      finished_at => '2025-01-01 10:05+00', tenant => 'imp-a')$$,
                 '22023', 'state "' || repeat('x', 40) || '" is not a final state', 'a 1 MB state is echoed in part only');

-- What is stored keeps finish_job's bounds: the error without control characters.
\o /dev/null
SELECT ffrtmp.import_job('old-3', 'failed', 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                         finished_at => '2025-01-01 10:05+00', tenant => 'imp-a', error => E'exit 1\r\x1b[2Jdone');
\o
SELECT is((SELECT error FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:old-3'),
          E'exit 1??[2Jdone', 'an imported error''s control characters are stored as ?');
\o /dev/null
SELECT ffrtmp.import_job('old-4', 'failed', 'file:///in.mp4', created_at => '2025-01-01 10:00+00',
                         finished_at => '2025-01-01 10:05+00', tenant => 'imp-a', error => repeat('x', 1048576));
\o
SELECT is((SELECT length(error) || ' ' || right(error, 12) FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:old-4'),
          '4096  [truncated]', 'a 1 MB error is stored cut to 4096 characters, marked');

SELECT * FROM finish();
ROLLBACK;
