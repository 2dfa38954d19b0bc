-- The batched worker calls: start_jobs and finish_jobs start and end many
-- jobs of a node in one transaction, fence each job on its own (a stale,
-- foreign, missing, duplicate or out-of-bounds job is refused in its row,
-- the others go ahead), write one job_event per change, and keep usage exact.
BEGIN;
SELECT plan(34);

SELECT NULL FROM ffrtmp.create_tenant('bat-a', plan => 'pro');
SELECT NULL FROM ffrtmp.create_tenant('bat-b', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('bat-pool', cpu_cores => 64, slots => 20) \gset
SELECT id AS a1 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-a') \gset
SELECT id AS a2 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-a') \gset
SELECT id AS a3 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-a', max_attempts => 3) \gset
SELECT id AS b1 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-b') \gset
SELECT id AS b2 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-b') \gset
SELECT id AS b3 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-b') \gset
SELECT is(ffrtmp.dispatch(), 6, 'six jobs of two tenants are dispatched to the pool node');

-- A second node gets one job: the first node's batch may not touch it.
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE id = :node;
SELECT node_id AS other, session_token AS other_token FROM ffrtmp.register_node('bat-other', cpu_cores => 8, slots => 2) \gset
SELECT id AS x1 FROM ffrtmp.submit_job('testsrc://', tenant => 'bat-b') \gset
SELECT is(ffrtmp.dispatch(), 1, 'one job goes to the other node');
UPDATE ffrtmp_data.nodes SET state = 'online' WHERE id = :node;

SELECT is((SELECT count(*) FROM ffrtmp.start_jobs(:node, :'token', '{}', '{}')), 0::bigint, 'an empty batch starts nothing');
SELECT is((SELECT count(*) FROM ffrtmp.finish_jobs(:node, :'token', '[]')), 0::bigint, 'an empty finish batch ends nothing');
SELECT throws_ok(format('SELECT * FROM ffrtmp.start_jobs(%s, %L, ARRAY[%s], ARRAY[1])', :node, 'stale', :a1),
                 'PT403', NULL, 'a stale session token refuses the whole batch');
SELECT throws_ok(format('SELECT * FROM ffrtmp.start_jobs(%s, %L, (SELECT array_agg(g::bigint) FROM generate_series(1, 1001) g), array_fill(1, ARRAY[1001]))', :node, :'token'),
                 '22023', 'the batch is too large: 1001 jobs, at most 1000', 'a batch over 1000 jobs is refused whole');
SELECT throws_ok(format('SELECT * FROM ffrtmp.start_jobs(%s, %L, ARRAY[%s, %s], ARRAY[1])', :node, :'token', :a1, :a2),
                 '22023', 'the batch has 2 job ids and 1 attempts', 'job ids and attempts must pair up');
SELECT throws_ok(format($$SELECT * FROM ffrtmp.finish_jobs(%s, %L, (SELECT jsonb_agg(jsonb_build_object('job_id', g, 'attempt', 1, 'outcome', 'completed')) FROM generate_series(1, 1001) g))$$, :node, :'token'),
                 '22023', NULL, 'a finish batch over 1000 is refused whole');
SELECT throws_ok(format($$SELECT * FROM ffrtmp.finish_jobs(%s, %L, '[{"job_id": "x"}]')$$, :node, :'token'),
                 '22023', 'finish 1 of the batch is not a finish', 'a malformed finish is refused whole');
SELECT throws_ok(format($$SELECT * FROM ffrtmp.finish_jobs(%s, %L, '[{"job_id": %s, "attempt": 1, "outcome": "completed"}, {"job_id": 1.5, "attempt": 1}]')$$, :node, :'token', :a1),
                 '22023', 'finish 2 of the batch is not a finish', 'the first malformed finish is named by its place in the batch');
-- Each bound of a finish is refused in its row, whatever the result's shape.
SELECT results_eq(
    format($$SELECT job_id, sqlstate, message FROM ffrtmp.finish_jobs(%s, %L, jsonb_build_array(
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', (repeat('[', 20) || '1' || repeat(']', 20))::jsonb),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', jsonb_build_object('x', E'a\u009bb')),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', to_jsonb(E'a\u0007b'::text)),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'failed', 'failure_reason', 'gremlins'),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', '"plain"'::jsonb)))$$,
           :node, :'token', :a1, :a2, :a3, :b1, :b2),
    format($$VALUES (%s::bigint, '22023', 'result is nested too deeply: at most 16 levels'),
                    (%s, '22023', 'result holds a control character'),
                    (%s, '22023', 'result holds a control character'),
                    (%s, '22023', 'unknown failure_reason "gremlins"'),
                    (%s, 'PT409', 'job %s attempt 1 is no longer held by node %s')$$,
           :a1, :a2, :a3, :b1, :b2, :b2, :node),
    'each bound of a finish is refused in its row: nesting, control characters in an object or a string, unknown failure reasons');

-- Nothing changed by the refused batches.
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE id IN (:a1, :a2, :a3, :b1, :b2, :b3) AND state = 'assigned'), 6::bigint,
          'the refused batches changed nothing');

-- The good jobs start; a stale attempt, another node's job, a missing job and a duplicate are refused in their rows.
SELECT results_eq(
    format('SELECT job_id, attempt, state, sqlstate, message FROM ffrtmp.start_jobs(%s, %L, ARRAY[%s, %s, %s, %s, %s, %s, %s, %s, %s]::bigint[], ARRAY[1, 1, 2, 1, 1, 1, 1, 1, 1])',
           :node, :'token', :b2, :a1, :a3, :x1, 999999999, :b1, :a2, :a1, :b3),
    format($$VALUES (%1$s::bigint, 1, 'running', NULL, NULL),
                    (%2$s, 1, 'running', NULL, NULL),
                    (%3$s, 2, NULL, 'PT409', 'job %3$s attempt 2 is no longer held by node %10$s'),
                    (%4$s, 1, NULL, 'PT409', 'job %4$s attempt 1 is no longer held by node %10$s'),
                    (999999999, 1, NULL, 'PT404', 'job 999999999 does not exist'),
                    (%6$s, 1, 'running', NULL, NULL),
                    (%7$s, 1, 'running', NULL, NULL),
                    (%2$s, 1, NULL, '22023', 'job %2$s is listed more than once in the batch'),
                    (%9$s, 1, 'running', NULL, NULL)$$,
           :b2, :a1, :a3, :x1, 0, :b1, :a2, 0, :b3, :node),
    'start_jobs starts the held jobs and refuses each other one with its single call''s sqlstate and message');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :x1), 'assigned', 'the other node''s job is untouched');
SELECT is((SELECT array_agg(state ORDER BY id) FROM ffrtmp.jobs WHERE id IN (:a1, :a2, :a3, :b1, :b2, :b3)),
          ARRAY['running', 'running', 'assigned', 'running', 'running', 'running'], 'the started jobs run, the refused one waits');
SELECT is((SELECT state FROM ffrtmp.start_jobs(:node, :'token', ARRAY[:a3]::bigint[], ARRAY[1])), 'running',
          'the refused job starts in a later batch at its right attempt');
SELECT results_eq(format($$SELECT job_id, count(*) FROM ffrtmp_data.job_events
                            WHERE job_id IN (%s, %s, %s, %s, %s, %s) AND from_state = 'assigned' AND to_state = 'running'
                            GROUP BY job_id ORDER BY job_id$$, :a1, :a2, :a3, :b1, :b2, :b3),
                  format('VALUES (%s::bigint, 1::bigint), (%s, 1), (%s, 1), (%s, 1), (%s, 1), (%s, 1)', :a1, :a2, :a3, :b1, :b2, :b3),
                  'each start wrote exactly one job event');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'usage is exact after the start batches');
SELECT results_eq($$SELECT t.name, u.running_jobs FROM ffrtmp_data.current_usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id
                     WHERE t.name IN ('bat-a', 'bat-b') ORDER BY t.name$$,
                  $$VALUES ('bat-a'::text, 3), ('bat-b', 4)$$, 'each tenant holds its started jobs'' slots (and x1''s, assigned)');

-- Finishes: completions, a retried failure, a final failure, and refusals in their rows.
SELECT NULL FROM ffrtmp.report_progress(:a1, 1, :node, :'token', '{"percent": 50}');
SELECT results_eq(
    format($$SELECT job_id, attempt, state, sqlstate, message FROM ffrtmp.finish_jobs(%s, %L, jsonb_build_array(
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', '{"duration": 1}'::jsonb),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed'),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'failed', 'error', 'decoder exploded', 'failure_reason', 'runtime_error'),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'failed', 'error', 'no such input', 'failure_reason', 'input_error'),
                 jsonb_build_object('job_id', %s, 'attempt', 7, 'outcome', 'completed'),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'exploded'),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed', 'result', jsonb_build_object('x', repeat('y', 70000))),
                 jsonb_build_object('job_id', %s, 'attempt', 1, 'outcome', 'completed')))$$,
           :node, :'token', :a1, :b1, :a3, :b2, :a2, :b3, :b3, :a1),
    format($$VALUES (%s::bigint, 1, 'completed', NULL, NULL),
                    (%s, 1, 'completed', NULL, NULL),
                    (%s, 1, 'retrying', NULL, NULL),
                    (%s, 1, 'failed', NULL, NULL),
                    (%s, 7, NULL, 'PT409', 'job %s attempt 7 is no longer held by node %s'),
                    (%s, 1, NULL, '22023', 'unknown outcome "exploded"'),
                    (%s, 1, NULL, '22023', 'result is too large: 70009 bytes of JSON, at most 65536'),
                    (%s, 1, NULL, '22023', 'job %s is listed more than once in the batch')$$,
           :a1, :b1, :a3, :b2, :a2, :a2, :node, :b3, :b3, :a1, :a1),
    'finish_jobs ends the held attempts as finish_job would and refuses each other one in its row');
SELECT results_eq(format('SELECT id, state, result, error, failure_reason FROM ffrtmp.jobs WHERE id IN (%s, %s, %s, %s) ORDER BY id', :a1, :b1, :a3, :b2),
                  format($$VALUES (%s::bigint, 'completed', '{"duration": 1}'::jsonb, NULL, NULL),
                                  (%s, 'retrying', NULL, 'decoder exploded', 'runtime_error'),
                                  (%s, 'completed', NULL, NULL, NULL),
                                  (%s, 'failed', NULL, 'no such input', 'input_error')$$,
                         :a1, :a3, :b1, :b2),
                  'the rows read as finish_job leaves them');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_progress WHERE job_id = :a1), 0::bigint, 'a completed job''s progress is gone');
SELECT is((SELECT array_agg(state ORDER BY id) FROM ffrtmp.jobs WHERE id IN (:a2, :b3)), ARRAY['running', 'running'],
          'the refused finishes left their jobs running');
SELECT results_eq(format($$SELECT job_id, to_state, count(*) FROM ffrtmp_data.job_events
                            WHERE job_id IN (%s, %s, %s, %s) AND from_state = 'running'
                            GROUP BY job_id, to_state ORDER BY job_id$$, :a1, :a3, :b1, :b2),
                  format($$VALUES (%s::bigint, 'completed', 1::bigint), (%s, 'retrying', 1), (%s, 'completed', 1), (%s, 'failed', 1)$$,
                         :a1, :a3, :b1, :b2),
                  'each finish wrote exactly one job event');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'usage is exact after the finish batch');
SELECT results_eq($$SELECT t.name, u.running_jobs, u.active_jobs FROM ffrtmp_data.current_usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id
                     WHERE t.name IN ('bat-a', 'bat-b') ORDER BY t.name$$,
                  $$VALUES ('bat-a'::text, 1, 2), ('bat-b', 2, 2)$$,
                  'the finished jobs released their slots: a2 and b3 run, x1 is assigned, a3 retries');
SELECT is((SELECT count(*) FROM ffrtmp.finish_jobs(:node, :'token',
               format('[{"job_id": %s, "attempt": 1, "outcome": "completed"}, {"job_id": %s, "attempt": 1, "outcome": "timed_out"}]', :a2, :b3)::jsonb)
            WHERE sqlstate IS NULL), 2::bigint, 'the rest finish in a later batch');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'usage is still exact');

-- Heartbeats carry the progress of the node's running jobs.
SELECT is((SELECT state FROM ffrtmp.start_jobs(:other, :'other_token', ARRAY[:x1]::bigint[], ARRAY[1])), 'running', 'x1 starts on the other node');
SELECT is(ffrtmp.node_heartbeat(:other, :'other_token', ARRAY[:x1]::bigint[],
              jsonb_build_array(jsonb_build_object('job_id', :x1, 'attempt', 1, 'progress', '{"percent": 10}'::jsonb),
                                jsonb_build_object('job_id', :x1, 'attempt', 1, 'progress', '{"percent": 30}'::jsonb),
                                jsonb_build_object('job_id', :x1, 'attempt', 5, 'progress', '{"percent": 99}'::jsonb),
                                jsonb_build_object('job_id', :x1, 'attempt', 1, 'progress', jsonb_build_object('x', repeat('y', 5000))),
                                jsonb_build_object('job_id', :a1, 'attempt', 1, 'progress', '{"percent": 77}'::jsonb),
                                jsonb_build_object('job_id', 999999999, 'attempt', 1, 'progress', '{"percent": 77}'::jsonb),
                                jsonb_build_object('job_id', :x1, 'attempt', 1, 'progress', '[1]'::jsonb))),
          'online', 'a heartbeat with progress answers the node''s state');
SELECT results_eq(format('SELECT job_id, attempt, progress FROM ffrtmp.job_progress WHERE job_id IN (%s, %s) ORDER BY job_id', :x1, :a1),
                  format($$VALUES (%s::bigint, 1, '{"percent": 30}'::jsonb)$$, :x1),
                  'it records the last good report of the attempt the node holds and skips the stale, foreign, oversized and malformed ones');
SELECT throws_ok(format($$SELECT ffrtmp.node_heartbeat(%s, %L, NULL, progress => (SELECT jsonb_agg(jsonb_build_object('job_id', g, 'attempt', 1, 'progress', '{}'::jsonb)) FROM generate_series(1, 1025) g))$$,
                        :other, :'other_token'),
                 '22023', 'progress is too large: 1025 entries, 48093 bytes of JSON, at most 1024 and 4194304', 'more than 1024 progress entries are refused');
SELECT throws_ok(format($$SELECT ffrtmp.node_heartbeat(%s, %L, NULL, '{}')$$, :other, :'other_token'),
                 '22023', 'progress must be a JSON array', 'progress must be an array');
SELECT throws_ok(format($$SELECT ffrtmp.node_heartbeat(%s, %L, NULL, '[]')$$, :other, 'stale'),
                 'PT403', NULL, 'a stale token refuses the heartbeat, progress and all');

SELECT * FROM finish();
ROLLBACK;
