-- Per-attempt job logs: what a node may store (the bounds hold in the
-- database, whatever a node sends), what a tenant reads (its own jobs'
-- lines only, every attempt or one), and that pruning takes them.
BEGIN;
SELECT plan(27);

\o /dev/null
SELECT ffrtmp.create_tenant('lg', plan => 'pro');
SELECT ffrtmp.create_tenant('lg-other', plan => 'pro');
CREATE ROLE lg_user;
CREATE ROLE lg_other_user;
SELECT ffrtmp.add_tenant_role('lg', 'lg_user');
SELECT ffrtmp.add_tenant_role('lg-other', 'lg_other_user');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('lg-a', cpu_cores => 4, slots => 2, tenant => 'lg') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'lg', max_attempts => 2) \gset
\o
SELECT is(ffrtmp.dispatch(), 1, 'the job is dispatched');
SELECT is((SELECT state FROM ffrtmp.start_job(:job, 1, :node, :'token')), 'running', 'attempt 1 runs');

-- A batch of lines is stored, and sent again it is stored once.
\set batch '''[{"line": 1, "at": 1700000000.5, "level": "info", "source": "worker", "text": "started attempt 1"}, {"line": 2, "at": 1700000001, "level": "error", "source": "libav", "text": "mov: moov atom not found"}]'''
SELECT is(ffrtmp.append_job_log(:job, 1, :node, :'token', :batch), 2, 'two new lines are stored');
SELECT is(ffrtmp.append_job_log(:job, 1, :node, :'token', :batch), 0, 'the same batch again stores nothing new');
SELECT results_eq(format('SELECT attempt_no, line, level, source, message FROM ffrtmp.job_logs(%s)', :job),
                  $$VALUES (1, 1::bigint, 'info', 'worker', 'started attempt 1'), (1, 2::bigint, 'error', 'libav', 'mov: moov atom not found')$$,
                  'job_logs returns the lines in order');
SELECT is((SELECT logged_at FROM ffrtmp.job_logs(:job) WHERE line = 1), to_timestamp(1700000000.5), 'the worker''s time is kept');

-- What a node cannot store.
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L, '{}')$$, :job, :node, :'token'), '22023',
                 'lines must be a JSON array', 'lines that are not an array are refused');
SELECT throws_like(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                   jsonb_build_array(jsonb_build_object('line', 3, 'at', 1, 'level', 'info', 'source', 'worker', 'text', repeat('x', 1025))))$$,
                   :job, :node, :'token'), '%too long: 1025 bytes%', 'a line over 1024 bytes is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 jsonb_build_array(jsonb_build_object('line', 3, 'at', 1, 'level', 'info', 'source', 'worker', 'text', E'a\nb')))$$,
                 :job, :node, :'token'), '22023', 'line 1 of the batch holds a control character', 'a newline inside a line is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 jsonb_build_array(jsonb_build_object('line', 3, 'at', 1, 'level', 'info', 'source', 'worker', 'text', E'a\tb\x7f')))$$,
                 :job, :node, :'token'), '22023', 'line 1 of the batch holds a control character', 'a tab or DEL too');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 jsonb_build_array(jsonb_build_object('line', 3, 'at', 1, 'level', 'debug', 'source', 'worker', 'text', 'x')))$$,
                 :job, :node, :'token'), '22023', 'line 1 of the batch is not a log line', 'an unknown level is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 (SELECT jsonb_agg(jsonb_build_object('line', g, 'at', 1, 'level', 'info', 'source', 'worker', 'text', 'x')) FROM generate_series(1, 1001) g))$$,
                 :job, :node, :'token'), '22023', NULL, 'a batch of more than 1000 lines is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 2, %s, %L, '[]')$$, :job, :node, :'token'), 'PT409', NULL,
                 'an attempt the node does not hold is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, 'guess', '[]')$$, :job, :node), 'PT403', NULL,
                 'a wrong token is refused');

-- The bound: 300 batches of 10 lines of 100 bytes (303 KiB) leave the newest 64 KiB.
\o /dev/null
SELECT ffrtmp.append_job_log(:job, 1, :node, :'token',
       (SELECT jsonb_agg(jsonb_build_object('line', 10 * b + g, 'at', 1700000000, 'level', 'info', 'source', 'libav',
                                            'text', lpad((10 * b + g)::text, 99, '.')))
          FROM generate_series(1, 10) g))
  FROM generate_series(1, 300) b;
\o
SELECT ok((SELECT sum(octet_length(message) + 1) FROM ffrtmp.job_logs(:job, 1)) <= 65536,
          'an attempt keeps at most 64 KiB of lines');
SELECT ok((SELECT sum(octet_length(message) + 1) FROM ffrtmp.job_logs(:job, 1)) > 65536 - 100,
          'and as many as fit');
SELECT is((SELECT max(line) FROM ffrtmp.job_logs(:job, 1)), 3010::bigint, 'the newest line is kept');
SELECT is((SELECT count(*) FROM ffrtmp.job_logs(:job, 1) WHERE line <= 2), 0::bigint, 'the oldest lines are dropped first');

-- A second attempt has its own lines; the attempt filter picks one.
\o /dev/null
SELECT ffrtmp.finish_job(:job, 1, :node, :'token', 'failed', error => 'boom', failure_reason => 'runtime_error');
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 second' WHERE id = :job;
SELECT ffrtmp_data.recover('1 hour');
\o
SELECT is(ffrtmp.dispatch(), 1, 'attempt 2 is dispatched');
SELECT is((SELECT state FROM ffrtmp.start_job(:job, 2, :node, :'token')), 'running', 'attempt 2 runs');
SELECT is(ffrtmp.append_job_log(:job, 2, :node, :'token',
       '[{"line": 1, "at": 1700000100, "level": "info", "source": "worker", "text": "started attempt 2"}]'), 1, 'attempt 2 stores its first line');
SELECT is((SELECT array_agg(DISTINCT attempt_no) FROM ffrtmp.job_logs(:job)), ARRAY[1, 2], 'NULL attempt: every attempt''s lines');
SELECT results_eq(format('SELECT attempt_no, line, message FROM ffrtmp.job_logs(%s, 2)', :job),
                  $$VALUES (2, 1::bigint, 'started attempt 2')$$, 'attempt => 2: that attempt''s lines only');

-- Row-level security: the tenant reads its lines, another tenant nothing.
SET ROLE lg_user;
SELECT ok((SELECT count(*) FROM ffrtmp.job_logs(:job)) > 0, 'the job''s tenant reads its lines');
SET ROLE lg_other_user;
SELECT is((SELECT count(*) FROM ffrtmp.job_logs(:job)), 0::bigint, 'another tenant reads none');
SELECT throws_ok('SELECT count(*) FROM ffrtmp_data.job_logs', '42501', NULL, 'nor the table itself');
RESET ROLE;

-- Pruning a finished job takes its lines.
\o /dev/null
SELECT ffrtmp.cancel_job(:job);
UPDATE ffrtmp_data.jobs SET finished_at = now() - interval '400 days' WHERE id = :job;
SELECT ffrtmp_data.prune(interval '1 day', 100);
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.job_logs WHERE job_id = :job), 0::bigint, 'pruning the job deletes its lines');

SELECT * FROM finish();
ROLLBACK;
