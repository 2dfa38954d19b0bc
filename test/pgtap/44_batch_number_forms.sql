-- The batched worker calls read job ids, attempts and line numbers out of
-- JSON, where a number may be written 7, 7.0 or 70e-1: the same integer.
-- What their checks accept as a whole number the calls must also use; what
-- they do not accept (a string, a fraction) is refused as documented: a
-- heartbeat skips the entry (it refuses nothing for one job, so that a node
-- never looks dead for a report), finish_jobs refuses the batch with 22023
-- naming the finish.  None of them may fail with a cast error instead.
BEGIN;
SELECT plan(14);

SELECT NULL FROM ffrtmp.create_tenant('num-a', plan => 'pro');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('num-pool', cpu_cores => 64, slots => 8) \gset
SELECT id AS j1 FROM ffrtmp.submit_job('testsrc://', tenant => 'num-a') \gset
SELECT id AS j2 FROM ffrtmp.submit_job('testsrc://', tenant => 'num-a') \gset
SELECT id AS j3 FROM ffrtmp.submit_job('testsrc://', tenant => 'num-a') \gset
SELECT is(ffrtmp.dispatch(), 3, 'three jobs are dispatched to the node');
SELECT is((SELECT count(*) FROM ffrtmp.start_jobs(:node, :'token', ARRAY[:j1, :j2, :j3]::bigint[], ARRAY[1, 1, 1]) WHERE state = 'running'),
          3::bigint, 'the node starts them');

-- Heartbeats: entries whose ids are strings are skipped, whole numbers
-- written with a fraction part or an exponent are the numbers they are.
SELECT lives_ok(format($q$SELECT ffrtmp.node_heartbeat(%s, %L, ARRAY[%s, %s, %s]::bigint[],
              format('[{"job_id": "%%1$s", "attempt": 1, "progress": {"percent": 90}},
                       {"job_id": %%1$s, "attempt": "1", "progress": {"percent": 91}},
                       {"job_id": %%1$s, "attempt": 1.5, "progress": {"percent": 92}},
                       {"job_id": true, "attempt": 1, "progress": {"percent": 93}},
                       {"job_id": %%1$s.0, "attempt": 1, "progress": {"percent": 10}},
                       {"job_id": %%2$s, "attempt": 1.0, "progress": {"percent": 20}},
                       {"job_id": %%3$s0e-1, "attempt": 10e-1, "progress": {"percent": 30}}]', %s, %s, %s)::jsonb)$q$,
                        :node, :'token', :j1, :j2, :j3, :j1, :j2, :j3),
               'a heartbeat with ids written as strings or as 7.0 is not refused');
SELECT results_eq(format('SELECT job_id, progress FROM ffrtmp.job_progress WHERE job_id IN (%s, %s, %s) ORDER BY job_id', :j1, :j2, :j3),
                  format($$VALUES (%s::bigint, '{"percent": 10}'::jsonb), (%s, '{"percent": 20}'), (%s, '{"percent": 30}')$$, :j1, :j2, :j3),
                  'the whole numbers are recorded, the strings, booleans and fractions skipped');
SELECT lives_ok(format($q$SELECT ffrtmp.node_heartbeat(%s, %L, NULL, '[{"job_id": "x", "attempt": 1, "progress": {}}, 7, [1], null]')$q$,
                        :node, :'token'),
               'entries that are not objects, or ids that are not numbers, are skipped');

-- finish_jobs: the same numbers finish their jobs; a string or a fraction
-- refuses the batch with 22023, naming the finish.
CREATE TEMP TABLE finished (job_id bigint, attempt integer, state text, sqlstate text);
SELECT lives_ok(format($q$INSERT INTO finished SELECT job_id, attempt, state, sqlstate FROM ffrtmp.finish_jobs(%s, %L,
               '[{"job_id": %s.0, "attempt": 1, "outcome": "completed"}, {"job_id": %s, "attempt": 1.00, "outcome": "completed"}]')$q$,
                        :node, :'token', :j1, :j2),
               'finish_jobs takes a job id and an attempt written 7.0');
SELECT results_eq('SELECT job_id, attempt, state, sqlstate FROM finished',
                  format($$VALUES (%s::bigint, 1, 'completed', NULL::text), (%s, 1, 'completed', NULL)$$, :j1, :j2),
                  'and reads them as the whole numbers they are');
SELECT throws_ok(format($$SELECT * FROM ffrtmp.finish_jobs(%s, %L, '[{"job_id": %s, "attempt": "1", "outcome": "completed"}]')$$,
                        :node, :'token', :j3),
                 '22023', 'finish 1 of the batch is not a finish', 'an attempt written as a string refuses the batch as documented');
SELECT throws_ok(format($$SELECT * FROM ffrtmp.finish_jobs(%s, %L, '[{"job_id": %s, "attempt": 1.5, "outcome": "completed"}]')$$,
                        :node, :'token', :j3),
                 '22023', 'finish 1 of the batch is not a finish', 'a fractional attempt refuses the batch as documented');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :j3), 'running', 'the refused batches left the job running');

-- append_job_log: a line number written 2.0 is line 2.
CREATE TEMP TABLE logged (n integer);
SELECT lives_ok(format($q$INSERT INTO logged SELECT ffrtmp.append_job_log(%s, 1, %s, %L,
              '[{"line": 1, "at": 1700000000, "level": "info", "source": "worker", "text": "one"},
                {"line": 2.0, "at": 1700000001, "level": "info", "source": "worker", "text": "two"}]')$q$,
                        :j3, :node, :'token'),
               'append_job_log takes a line numbered 2.0');
SELECT is((SELECT n FROM logged), 2, 'and stores it as line 2');
SELECT is((SELECT ffrtmp.append_job_log(:j3, 1, :node, :'token',
              '[{"line": 20e-1, "at": 1700000001, "level": "info", "source": "worker", "text": "two"}]')),
          0, 'and the same line sent again as 20e-1 is not stored twice');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'usage is exact');

SELECT * FROM finish();
ROLLBACK;
