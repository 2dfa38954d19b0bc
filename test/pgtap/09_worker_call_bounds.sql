-- What a worker stores is bounded: result (64 KiB of JSON), progress (a JSON
-- object of 4 KiB), error (kept to 4096 characters, cut on a character
-- boundary and never refused, so a worker can always end its attempt).
-- Refusals name the field.  Every worker call waits at most 1 s for a lock.
BEGIN;
SELECT plan(17);

SELECT ffrtmp.create_tenant('bounds', plan => 'pro');
SELECT node_id AS node, session_token AS token
  FROM ffrtmp.register_node('bounds-1', cpu_cores => 8, slots => 4, tenant => 'bounds') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'bounds', max_attempts => 1) \gset
SELECT id AS job2 FROM ffrtmp.submit_job('testsrc://', tenant => 'bounds', max_attempts => 1) \gset
SELECT is(ffrtmp_data.dispatch_pass(0), 2, 'both jobs are dispatched');
SELECT ffrtmp.start_job(:job, 1, :node, :'token');
SELECT ffrtmp.start_job(:job2, 1, :node, :'token');

-- progress
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, '"fast"')$$, :job, :node, :'token'),
                 '22023', 'progress must be a JSON object', 'progress that is not an object is refused');
SELECT throws_like(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, jsonb_build_object('log', repeat('x', 5000)))$$,
                          :job, :node, :'token'),
                   'progress is too large: % bytes of JSON, at most 4096', 'progress over 4 KiB is refused, naming progress');
SELECT is(ffrtmp.report_progress(:job, 1, :node, :'token', jsonb_build_object('log', repeat('x', 4000))), true,
          'progress just under 4 KiB is kept');

-- result
SELECT throws_like(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'completed', result => jsonb_build_object('blob', repeat('x', 19000000)))$$,
                          :job, :node, :'token'),
                   'result is too large: % bytes of JSON, at most 65536', 'a 19 MB result is refused, naming result');
SELECT throws_like(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'completed', result => jsonb_build_object('blob', repeat('x', 65530)))$$,
                          :job, :node, :'token'),
                   'result is too large%', 'so is one just over 64 KiB');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'running', 'a refused finish changes nothing');

-- outcome and failure_reason: refused, echoing at most 40 characters
SELECT throws_ok(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, repeat('y', 1000000))$$, :job, :node, :'token'),
                 '22023', format('unknown outcome "%s"', repeat('y', 40)), 'an unknown outcome is refused with a short echo');
SELECT throws_ok(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, NULL)$$, :job, :node, :'token'),
                 '22023', NULL, 'a null outcome is refused');
SELECT throws_ok(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'failed', failure_reason => repeat('z', 1000000))$$,
                        :job, :node, :'token'),
                 '22023', format('unknown failure_reason "%s"', repeat('z', 40)), 'an unknown failure_reason is refused, naming the field');

-- error: cut, never refused; multibyte characters stay whole
SELECT is((SELECT state FROM ffrtmp.finish_job(:job, 1, :node, :'token', 'failed', error => repeat('é€', 5000000))),
          'failed', 'a 25 MB error message does not stop the worker ending its attempt');
SELECT results_eq(format('SELECT length(error), right(error, 12), left(error, 4) FROM ffrtmp.jobs WHERE id = %s', :job),
                  $$VALUES (4096, ' [truncated]', 'é€é€')$$, 'the error is kept to 4096 characters, marked as cut');
SELECT is((SELECT convert_from(convert_to(error, 'UTF8'), 'UTF8') = error FROM ffrtmp.jobs WHERE id = :job), true,
          'and is still valid text');
SELECT is((SELECT length(state_reason) <= 250 FROM ffrtmp.jobs WHERE id = :job), true, 'so is the state reason');
SELECT is((SELECT error FROM ffrtmp.finish_job(:job2, 1, :node, :'token', 'failed', error => repeat('a', 4096))),
          repeat('a', 4096), 'an error of exactly 4096 characters is kept whole');

-- Every worker call bounds its lock waits (the contract: 55P03, call again).
SELECT is(array_agg(p.proname::text ORDER BY p.proname), NULL, 'every worker call waits at most 1 s for a lock')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ffrtmp'
   AND p.proname IN ('start_job', 'start_jobs', 'report_progress', 'append_job_log', 'finish_job', 'finish_jobs',
                     'leave_node', 'node_heartbeat', 'register_node')
   AND NOT coalesce('lock_timeout=1s' = ANY (p.proconfig), false);
SELECT is(count(*), 9::bigint, 'nine worker calls are checked')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'ffrtmp'
   AND p.proname IN ('start_job', 'start_jobs', 'report_progress', 'append_job_log', 'finish_job', 'finish_jobs',
                     'leave_node', 'node_heartbeat', 'register_node');

SELECT * FROM finish();
ROLLBACK;
