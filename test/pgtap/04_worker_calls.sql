-- The calls a worker makes, fenced by node token and attempt, and the
-- leader's recovery of lost nodes, overdue attempts and backoffs.

-- recover() gives nodes a timeout's grace after the control plane starts, and
-- reads the clock at the start of the transaction: begin it once the server
-- has been up longer than the 2 s timeout used below, even when this file
-- runs alone right after the server started.
SELECT pg_sleep(greatest(0, 2.5 - extract(epoch FROM clock_timestamp() - ffrtmp_data.control_plane_started_at())));
BEGIN;
SELECT plan(37);

SELECT ffrtmp.create_tenant('wk', plan => 'pro');
SELECT node_id AS node_a, session_token AS token_a FROM ffrtmp.register_node('wk-a', cpu_cores => 4, slots => 1, tenant => 'wk') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'wk', max_attempts => 2) \gset
SELECT is(ffrtmp.dispatch(), 1, 'the job is dispatched');
SELECT is((SELECT array_agg(id) FROM ffrtmp.fetch_assigned(:node_a, :'token_a')), ARRAY[:job::bigint], 'fetch_assigned returns it to its node');
SELECT throws_ok(format('SELECT ffrtmp.fetch_assigned(%s, %L)', :node_a, 'wrong'), 'PT403', NULL, 'a wrong token is refused');
SELECT throws_ok(format('SELECT ffrtmp.start_job(%s, 2, %s, %L)', :job, :node_a, :'token_a'), 'PT409',
                 format('job %s attempt 2 is no longer held by node %s', :job, :node_a), 'a wrong attempt is refused');
SELECT is((SELECT state FROM ffrtmp.start_job(:job, 1, :node_a, :'token_a')), 'running', 'start_job runs it');
SELECT is(ffrtmp.report_progress(:job, 1, :node_a, :'token_a', '{"frames": 120, "percent": 40}'), true, 'progress is accepted');
SELECT is((SELECT progress ->> 'percent' FROM ffrtmp.job_progress WHERE job_id = :job), '40', 'and visible');
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, '[1]')$$, :job, :node_a, :'token_a'), '22023', NULL,
                 'progress must be an object');

-- The worker fails its first attempt: retried after a backoff, on attempt 2.
SELECT results_eq(format($$SELECT state, attempt, node_id, failure_reason, run_after > now()
                             FROM ffrtmp.finish_job(%s, 1, %s, %L, 'failed', error => 'decoder exploded', failure_reason => 'runtime_error')$$,
                         :job, :node_a, :'token_a'),
                  $$VALUES ('retrying', 2, NULL::bigint, 'runtime_error', true)$$, 'a failed attempt of a retryable class with attempts left is retried after a backoff');
SELECT is(ffrtmp.dispatch(), 0, 'not before its backoff is over');
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 second' WHERE id = :job;
SELECT is(ffrtmp_data.recover('15 seconds'), 0, 'recover moves no lost job');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job), 'queued', 'but queues the job whose backoff is over');

-- The node goes silent mid-job: it goes offline, the job moves on, its late writes are refused.
SELECT node_id AS node_b, session_token AS token_b FROM ffrtmp.register_node('wk-b', cpu_cores => 4, slots => 1, tenant => 'wk') \gset
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE id = :node_b;
SELECT is(ffrtmp.dispatch(), 1, 'attempt 2 is dispatched');
SELECT is((SELECT state FROM ffrtmp.start_job(:job, 2, :node_a, :'token_a')), 'running', 'and started on node a');
UPDATE ffrtmp_data.nodes SET last_heartbeat = now() - interval '1 minute' WHERE id = :node_a;
UPDATE ffrtmp_data.nodes SET state = 'online' WHERE id = :node_b;
UPDATE ffrtmp_data.jobs SET max_attempts = 3 WHERE id = :job;
-- (A timeout shorter than the server's uptime: a server up for less than the
-- timeout gives nodes that long to come back first.)
SELECT is(ffrtmp_data.recover('2 seconds'), 1, 'recover finds the job of the silent node');
SELECT results_eq(format('SELECT n.state, j.state, j.attempt FROM ffrtmp.nodes n, ffrtmp.jobs j WHERE n.id = %s AND j.id = %s', :node_a, :job),
                  $$VALUES ('offline', 'retrying', 3)$$, 'the node is offline and the job waits for attempt 3');
UPDATE ffrtmp_data.jobs SET run_after = now() WHERE id = :job;
SELECT ffrtmp_data.recover('15 seconds');
SELECT is(ffrtmp.dispatch(), 1, 'attempt 3 is dispatched');
SELECT is((SELECT node_id FROM ffrtmp.jobs WHERE id = :job), :node_b::bigint, 'to the node that is alive');
SELECT throws_ok(format($$SELECT ffrtmp.finish_job(%s, 2, %s, %L, 'completed')$$, :job, :node_a, :'token_a'), 'PT409', NULL,
                 'the lost node''s late finish is refused');
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 2, %s, %L, '{}')$$, :job, :node_a, :'token_a'), 'PT409',
                 format('job %s attempt 2 is no longer held by node %s', :job, :node_a),
                 'and so is its progress, which tells it to stop');
SELECT ffrtmp.start_job(:job, 3, :node_b, :'token_b');
SELECT results_eq(format($$SELECT state, result FROM ffrtmp.finish_job(%s, 3, %s, %L, 'completed', result => '{"duration": 10}')$$, :job, :node_b, :'token_b'),
                  $$VALUES ('completed', '{"duration": 10}'::jsonb)$$, 'node b completes it, once');
SELECT is((SELECT count(*) FROM ffrtmp.job_events WHERE job_id = :job AND to_state = 'completed'), 1::bigint, 'one completion in the history');

-- Attempts exhausted: the job fails for good (dead letter); an overdue attempt times out.
SELECT id AS doomed FROM ffrtmp.submit_job('testsrc://', tenant => 'wk', max_attempts => 1, timeout => '1 second') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:doomed, 1, :node_b, :'token_b');
UPDATE ffrtmp_data.jobs SET started_at = now() - interval '1 minute' WHERE id = :doomed;
SELECT is(ffrtmp_data.recover('15 seconds'), 1, 'recover finds the overdue attempt');
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :doomed),
                  $$VALUES ('timed_out', 'timeout')$$, 'with no attempts left it ends timed out');
-- A heartbeat that no longer lists a running job ends that attempt.
SELECT id AS forgotten FROM ffrtmp.submit_job('testsrc://', tenant => 'wk') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:forgotten, 1, :node_b, :'token_b');
SELECT is(ffrtmp.node_heartbeat(:node_b, :'token_b', ARRAY[:forgotten]::bigint[]), 'online', 'a heartbeat listing the job keeps it');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :forgotten), 'running', 'running');
SELECT ffrtmp.node_heartbeat(:node_b, :'token_b', '{}');
SELECT results_eq(format('SELECT state, attempt, failure_reason FROM ffrtmp.jobs WHERE id = %s', :forgotten),
                  $$VALUES ('retrying', 2, 'platform_error')$$, 'a heartbeat without it retries the job elsewhere');

-- A session-bound node goes offline as soon as its database session is gone.
SELECT node_id AS bound FROM ffrtmp.register_node('wk-bound', cpu_cores => 2, tenant => 'wk', session_bound => true) \gset
SELECT ffrtmp_data.recover('15 seconds');
SELECT is((SELECT state FROM ffrtmp.nodes WHERE id = :bound), 'online', 'a session-bound node stays online while its session lives');
UPDATE ffrtmp_data.nodes SET session_started = session_started - interval '1 second' WHERE id = :bound;  -- as if the pid were reused
SELECT ffrtmp_data.recover('15 seconds');
SELECT is((SELECT state FROM ffrtmp.nodes WHERE id = :bound), 'offline', 'and goes offline once that session is gone, without waiting for the timeout');

-- A worker that stops says so: first draining, then gone.
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE id = :node_b;
SELECT node_id AS node_c, session_token AS token_c FROM ffrtmp.register_node('wk-c', cpu_cores => 4, slots => 2, tenant => 'wk') \gset
SELECT id AS started FROM ffrtmp.submit_job('testsrc://', tenant => 'wk') \gset
SELECT id AS waiting FROM ffrtmp.submit_job('testsrc://', tenant => 'wk') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:started, 1, :node_c, :'token_c');
SELECT throws_ok(format('SELECT ffrtmp.leave_node(%s, %L)', :node_c, 'wrong'), 'PT403', NULL, 'leave_node needs the node''s token');
SELECT is(ffrtmp.leave_node(:node_c, :'token_c', finished => false), 1, 'a draining node hands back the job it had not started');
SELECT results_eq(format('SELECT state, attempt, node_id FROM ffrtmp.jobs WHERE id = %s', :waiting),
                  $$VALUES ('queued', 1, NULL::bigint)$$, 'which is queued again without spending an attempt');
SELECT results_eq(format('SELECT (SELECT state FROM ffrtmp.nodes WHERE id = %s), state FROM ffrtmp.jobs WHERE id = %s', :node_c, :started),
                  $$VALUES ('draining', 'running')$$, 'the node drains and its running job goes on');
SELECT is(ffrtmp.dispatch(), 0, 'a draining node gets no new job');
SELECT is(ffrtmp.leave_node(:node_c, :'token_c'), 1, 'a node that leaves for good gives up its running job');
SELECT results_eq(format('SELECT (SELECT state FROM ffrtmp.nodes WHERE id = %s), state, attempt, failure_reason FROM ffrtmp.jobs WHERE id = %s', :node_c, :started),
                  $$VALUES ('offline', 'retrying', 2, 'platform_error')$$, 'the node is offline and that job retries on attempt 2');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are exact after all of it');

SELECT * FROM finish();
ROLLBACK;
