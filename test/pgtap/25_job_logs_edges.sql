-- Job logs and job details at their edges: what a node must not be able to
-- store (C1 controls, more rows than the byte bound suggests), who may write
-- an attempt's lines, and progress shown to people that contradicts itself
-- (100.0 % of a job not done, time left for a job that stopped).
BEGIN;
SELECT plan(16);

\o /dev/null
SELECT ffrtmp.create_tenant('le', plan => 'pro');
SELECT ffrtmp.create_tenant('le-other', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('le-a', cpu_cores => 4, slots => 2, tenant => 'le') \gset
SELECT node_id AS other_node, session_token AS other_token FROM ffrtmp.register_node('le-b', cpu_cores => 4, slots => 2, tenant => 'le-other') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'le', max_attempts => 2) \gset
SELECT id AS other_job FROM ffrtmp.submit_job('testsrc://', tenant => 'le-other') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:job, 1, :node, :'token');
SELECT ffrtmp.start_job(:other_job, 1, :other_node, :'other_token');
\o

-- C1 controls are controls: U+0085 ends a line in many viewers, U+009B
-- starts a terminal escape sequence as ESC [ does.
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 jsonb_build_array(jsonb_build_object('line', 1, 'at', 1, 'level', 'info', 'source', 'libav', 'text', E'done\u0085error: forged')))$$,
                 :job, :node, :'token'), '22023', 'line 1 of the batch holds a control character', 'a C1 next-line (U+0085) is refused');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 jsonb_build_array(jsonb_build_object('line', 1, 'at', 1, 'level', 'info', 'source', 'libav', 'text', E'x\u009b2J')))$$,
                 :job, :node, :'token'), '22023', 'line 1 of the batch holds a control character', 'a C1 CSI (U+009B) is refused');
SELECT is(ffrtmp.append_job_log(:job, 1, :node, :'token',
          jsonb_build_array(jsonb_build_object('line', 1, 'at', 1, 'level', 'info', 'source', 'libav', 'text', E'caf\u00e9 \u00a0ok'))),
          1, 'characters from U+00A0 on are text');

-- Who writes: another node, another tenant's node, or an old attempt.
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L, '[]')$$, :job, :other_node, :'other_token'), 'PT409', NULL,
                 'another node cannot write the job''s lines');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L, '[]')$$, :other_job, :node, :'token'), 'PT409', NULL,
                 'nor a node another tenant''s job');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L, '[]')$$, :job, :node, :'other_token'), 'PT403', NULL,
                 'nor a node with another node''s token');

-- The row bound: 64 KiB of one-byte lines would be 32768 rows, each costing
-- far more than its byte; an attempt keeps at most 4096 lines.
\o /dev/null
SELECT ffrtmp.append_job_log(:job, 1, :node, :'token',
       (SELECT jsonb_agg(jsonb_build_object('line', 1000 * b + g, 'at', 1700000000, 'level', 'info', 'source', 'libav', 'text', 'x'))
          FROM generate_series(1, 1000) g))
  FROM generate_series(1, 6) b;
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.job_logs WHERE job_id = :job AND attempt = 1), 4096::bigint,
          'an attempt keeps at most 4096 lines, however short');
SELECT is((SELECT max(line) FROM ffrtmp_data.job_logs WHERE job_id = :job AND attempt = 1), 7000::bigint, 'the newest among them');

-- Progress for people: 99.96 % is not 100.0 % while time is left.
SELECT ok(ffrtmp.report_progress(:job, 1, :node, :'token', '{"percent": 99.96, "out_time": 600, "speed": 0.001}'), 'a progress report');
SELECT is((SELECT percent FROM ffrtmp.get_job(:job)), 99.9, '99.96 % shows as 99.9, not 100.0');
SELECT ok((SELECT eta FROM ffrtmp.get_job(:job)) > interval '0', 'beside time left');
SELECT ok(ffrtmp.report_progress(:job, 1, :node, :'token', '{"percent": 100.4, "out_time": 600, "speed": 1}'), 'a report past the end');
SELECT is((SELECT (percent, eta)::text FROM ffrtmp.get_job(:job)), '(100.0,00:00:00)', 'is 100.0 % with nothing left');

-- An old attempt writes nothing once the job has moved on to another
-- attempt, even on the same node.
\o /dev/null
SELECT ffrtmp.finish_job(:job, 1, :node, :'token', 'failed', error => 'boom', failure_reason => 'runtime_error');
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 second' WHERE id = :job;
SELECT ffrtmp_data.recover('1 hour');
SELECT ffrtmp.dispatch();
\o
SELECT is((SELECT state FROM ffrtmp.start_job(:job, 2, :node, :'token')), 'running', 'attempt 2 runs on the same node');
SELECT throws_ok(format($$SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
                 '[{"line": 9000, "at": 1, "level": "info", "source": "worker", "text": "late"}]')$$, :job, :node, :'token'),
                 'PT409', NULL, 'attempt 1 cannot write after the retry');

-- A job that stopped has no time left, whatever its last report said.
\o /dev/null
SELECT ffrtmp.report_progress(:job, 2, :node, :'token', '{"percent": 40, "out_time": 40, "speed": 1}');
SELECT ffrtmp.cancel_job(:job);
\o
SELECT is((SELECT (state, percent, eta)::text FROM ffrtmp.get_job(:job)), '(canceled,40.0,)',
          'a canceled job keeps how far it got but no time left');

SELECT * FROM finish();
ROLLBACK;
