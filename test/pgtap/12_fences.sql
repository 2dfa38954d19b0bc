-- The three fences, each tried from every entry point that checks it: a
-- stale node token on every worker call, an old attempt on every call about
-- a job, a deposed epoch on a dispatch pass.  Every entry point refuses with
-- the same SQLSTATE, message, detail and hint, and nothing is written.  The
-- lists of entry points are checked against the catalog, so a new worker call
-- cannot be left out.
BEGIN;
SELECT plan(75);

-- What a call is refused with, 'SQLSTATE: message / detail / hint'; NULL when it is not.
CREATE FUNCTION pg_temp.refusal(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    code text;
    message text;
    detail text;
    hint text;
BEGIN
    EXECUTE call;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN code || ': ' || message || ' / ' || detail || ' / ' || hint;
END $$;

-- What a worker call could write: jobs, progress, events, nodes, the epoch.
CREATE FUNCTION pg_temp.written() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' | ',
        (SELECT string_agg(concat_ws(',', id, state, attempt, node_id, started_at, finished_at, result, error), ';' ORDER BY id)
           FROM ffrtmp_data.jobs),
        (SELECT string_agg(concat_ws(',', job_id, attempt, progress), ';' ORDER BY job_id) FROM ffrtmp_data.job_progress),
        (SELECT count(*) FROM ffrtmp_data.job_events),
        (SELECT string_agg(concat_ws(',', id, state, xmin, session_pid), ';' ORDER BY id) FROM ffrtmp_data.nodes),
        (SELECT epoch FROM ffrtmp_data.scheduler_state))
$$;

-- Every function of the API that takes the argument, for the coverage checks.
CREATE FUNCTION pg_temp.api_taking(arg text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT p.proname::text FROM pg_proc p
     WHERE p.pronamespace = 'ffrtmp'::regnamespace
       AND EXISTS (SELECT 1 FROM unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[coalesce(cardinality(p.proargnames), 0)])))
                                  AS a(name, mode)
                    WHERE a.name = arg AND a.mode IN ('i', 'b'))
$$;

SELECT ffrtmp.create_tenant('fence', plan => 'pro');
SELECT node_id AS node_a, session_token AS stale FROM ffrtmp.register_node('fence-a', cpu_cores => 4, slots => 2, tenant => 'fence') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'fence', max_attempts => 3) \gset
SELECT ffrtmp_data.dispatch_pass(0);
SELECT ffrtmp.start_job(:job, 1, :node_a, :'stale');
-- Node a's worker comes back with a new session: its old token is stale.
SELECT session_token AS token_a FROM ffrtmp.register_node('fence-a', cpu_cores => 4, slots => 2, tenant => 'fence') \gset

-- 1. The node token: every worker call, with a stale, an unknown, a null and an oversized token.
CREATE TEMP TABLE token_calls (entry text, call text);
INSERT INTO token_calls VALUES
    ('fetch_assigned',  'SELECT ffrtmp.fetch_assigned(%s, %s)'),
    ('start_job',       format('SELECT ffrtmp.start_job(%s, 1, %%s, %%s)', :job)),
    ('report_progress', format($$SELECT ffrtmp.report_progress(%s, 1, %%s, %%s, '{"percent": 50}')$$, :job)),
    ('append_job_log',  format($$SELECT ffrtmp.append_job_log(%s, 1, %%s, %%s, '[]')$$, :job)),
    ('finish_job',      format($$SELECT ffrtmp.finish_job(%s, 1, %%s, %%s, 'completed', result => '{}')$$, :job)),
    ('start_jobs',      format('SELECT ffrtmp.start_jobs(%%s, %%s, ARRAY[%s]::bigint[], ARRAY[1])', :job)),
    ('finish_jobs',     format($$SELECT ffrtmp.finish_jobs(%%s, %%s, '[{"job_id": %s, "attempt": 1, "outcome": "completed"}]')$$, :job)),
    ('leave_node',      'SELECT ffrtmp.leave_node(%s, %s)'),
    ('node_heartbeat',  'SELECT ffrtmp.node_heartbeat(%s, %s, ARRAY[]::bigint[])'),
    ('node_attempts',   'SELECT ffrtmp.node_attempts(%s, %s)');
SELECT set_eq('SELECT entry FROM token_calls', 'SELECT pg_temp.api_taking(''session_token'')',
              'every API function that takes a session_token is tried');

SELECT pg_temp.written() AS before \gset
SELECT is(pg_temp.refusal(format(call, :node_a, quote_literal(:'stale'))),
          format('PT403: session token of node %s is not current / The node was registered again since this token was issued. / '
                 'Register the node again with ffrtmp.register_node() and use the new token.', :node_a),
          entry || ' refuses a stale token')
  FROM token_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, -1, quote_literal(:'token_a'))),
          'PT404: node -1 does not exist /  / Register the node with ffrtmp.register_node().',
          entry || ' refuses an unknown node')
  FROM token_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, :node_a, 'NULL')),
          '22004: node_id and session_token must not be null /  / Pass the node_id and session_token that ffrtmp.register_node() returned.',
          entry || ' refuses a null token')
  FROM token_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, :node_a, quote_literal(repeat('f', 129)))),
          '22023: session_token is too long (129 bytes) /  / Use at most 128 bytes for session_token.',
          entry || ' refuses an oversized token')
  FROM token_calls ORDER BY entry;
SELECT is(pg_temp.written(), :'before', 'no refused call wrote anything');
-- (Listing the job the old session started, as a worker that registered again does.)
SELECT is(ffrtmp.node_heartbeat(:node_a, :'token_a', ARRAY[:job]::bigint[]), 'online', 'the current token still works');

-- 2. The job attempt: attempt 1 failed on node a, attempt 2 runs on node b;
-- node a's late calls for attempt 1 are refused, whichever call it is.
SELECT ffrtmp.finish_job(:job, 1, :node_a, :'token_a', 'failed', error => 'lost its input');
UPDATE ffrtmp_data.jobs SET run_after = now() WHERE id = :job;
SELECT ffrtmp_data.recover('15 seconds');
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE id = :node_a;
SELECT node_id AS node_b, session_token AS token_b FROM ffrtmp.register_node('fence-b', cpu_cores => 4, slots => 1, tenant => 'fence') \gset
SELECT is(ffrtmp_data.dispatch_pass(0), 1, 'attempt 2 is dispatched');
SELECT results_eq(format('SELECT state, attempt, node_id FROM ffrtmp.start_job(%s, 2, %s, %L)', :job, :node_b, :'token_b'),
                  format('VALUES (%L, 2, %s::bigint)', 'running', :node_b), 'and runs on node b');

CREATE TEMP TABLE attempt_calls (entry text, call text);
INSERT INTO attempt_calls VALUES
    ('start_job',       'SELECT ffrtmp.start_job(%s, %s, %s, %L)'),
    ('report_progress', $$SELECT ffrtmp.report_progress(%s, %s, %s, %L, '{"percent": 99}')$$),
    ('append_job_log',  $$SELECT ffrtmp.append_job_log(%s, %s, %s, %L, '[]')$$),
    ('finish_job',      $$SELECT ffrtmp.finish_job(%s, %s, %s, %L, 'completed', result => '{"late": true}')$$);
-- (job_logs takes an attempt too, but only reads, as a tenant: no fence.)
SELECT set_eq('SELECT entry FROM attempt_calls',
              'SELECT pg_temp.api_taking(''attempt'') INTERSECT SELECT pg_temp.api_taking(''session_token'')',
              'every worker call that takes an attempt is tried');

SELECT pg_temp.written() AS before \gset
SELECT is(pg_temp.refusal(format(call, :job, 1, :node_a, :'token_a')),
          format('PT409: job %s attempt 1 is no longer held by node %s / The job is running at attempt 2 on node %s. / '
                 'Stop working on it and discard its output: the job was canceled, finished or moved to another attempt.',
                 :job, :node_a, :node_b),
          entry || ' refuses a late call of the previous attempt')
  FROM attempt_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, :job, 2, :node_a, :'token_a')),
          format('PT409: job %s attempt 2 is no longer held by node %s / The job is running at attempt 2 on node %s. / '
                 'Stop working on it and discard its output: the job was canceled, finished or moved to another attempt.',
                 :job, :node_a, :node_b),
          entry || ' refuses the current attempt from another node')
  FROM attempt_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, :job, 'NULL', :node_b, :'token_b')),
          format('PT409: job %s attempt <NULL> is no longer held by node %s / The job is running at attempt 2 on node %s. / '
                 'Stop working on it and discard its output: the job was canceled, finished or moved to another attempt.',
                 :job, :node_b, :node_b),
          entry || ' refuses a null attempt, even from the node that holds the job')
  FROM attempt_calls ORDER BY entry;
SELECT is(pg_temp.refusal(format(call, -1, 1, :node_b, :'token_b')),
          'PT404: job -1 does not exist /  / The job may have been pruned; drop it.',
          entry || ' refuses a job that is gone')
  FROM attempt_calls ORDER BY entry;
SELECT is(pg_temp.written(), :'before', 'no refused call wrote anything');
SELECT is(ffrtmp.report_progress(:job, 2, :node_b, :'token_b', '{"percent": 10}'), true, 'the holder''s progress is kept');
SELECT results_eq(format('SELECT attempt, progress FROM ffrtmp.job_progress WHERE job_id = %s', :job),
                  $$VALUES (2, '{"percent": 10}'::jsonb)$$, 'and only the holder''s');

-- A canceled attempt's next report is refused the same way: the worker stops it.
SELECT ffrtmp.cancel_job(:job);
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 2, %s, %L, '{"percent": 11}')$$, :job, :node_b, :'token_b'),
                 'PT409', format('job %s attempt 2 is no longer held by node %s', :job, :node_b),
                 'progress of a canceled attempt is refused');

-- 3. The leader epoch: a leader took epoch 7, so a pass of epoch 6 (or any other) is refused.
UPDATE ffrtmp_data.scheduler_state SET epoch = 7;
SELECT ffrtmp.register_node('fence-c', cpu_cores => 4, slots => 2, tenant => 'fence');
SELECT id AS queued FROM ffrtmp.submit_job('testsrc://', tenant => 'fence') \gset
SELECT pg_temp.written() AS before \gset
SELECT is(pg_temp.refusal(format('SELECT ffrtmp_data.dispatch_pass(%s)', e)),
          format('PT409: scheduler epoch %s is not current / Epoch 7 began since; a pass of an earlier epoch writes nothing. / '
                 'This process no longer leads: the current leader runs the passes, and ffrtmp.dispatch() runs one now.', e),
          format('a pass of epoch %s is refused', e))
  FROM unnest(ARRAY[6, 1, 8]) AS e;
SELECT is(pg_temp.written(), :'before', 'and writes nothing');
SELECT is(ffrtmp_data.dispatch_pass(7), 1, 'a pass of the current epoch assigns the job');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :queued), 'assigned', 'assigned');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'fence');
SELECT is(ffrtmp.dispatch(), 1, 'ffrtmp.dispatch() passes under the current epoch');
SELECT is((SELECT epoch FROM ffrtmp_data.scheduler_state), 7::bigint, 'which it leaves as it is');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters are exact after all of it');

SELECT * FROM finish();
ROLLBACK;
