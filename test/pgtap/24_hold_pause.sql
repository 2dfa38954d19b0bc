-- Holds and pauses.  hold_job keeps a queued or retrying job out of dispatch
-- with its place and its unit of quota, and release_job puts it back where it
-- was; pause_job keeps a running job's node and slot while its node stops the
-- process, resume_job continues it, and the paused time does not count
-- against the job's timeout.  Every change is an event with its actor; a
-- tenant reaches only its own jobs; other states are refused with PT409.
BEGIN;
SELECT plan(59);

\o /dev/null
SELECT ffrtmp.create_tenant('hp', plan => 'pro');
SELECT ffrtmp.create_tenant('hp-other', plan => 'pro');
CREATE ROLE hp_user LOGIN;
CREATE ROLE hp_other_user LOGIN;
SELECT ffrtmp.add_tenant_role('hp', 'hp_user');
SELECT ffrtmp.add_tenant_role('hp-other', 'hp_other_user');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('hp-1', cpu_cores => 8, slots => 1, tenant => 'hp') \gset

-- What the tenant's usage row says: active, queued, running.
CREATE FUNCTION pg_temp.usage_of(tenant text) RETURNS text LANGUAGE sql AS $$
    SELECT format('active=%s queued=%s running=%s', u.active_jobs, u.queued_jobs, u.running_jobs)
      FROM ffrtmp_data.current_usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id WHERE t.name = tenant
$$;
-- The hint a call is refused with.
CREATE FUNCTION pg_temp.hint_of(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    hint text;
BEGIN
    EXECUTE call;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END $$;
-- The last event of a job: from, to, reason, actor.
CREATE FUNCTION pg_temp.last_event(job bigint) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s->%s "%s" by %s', from_state, to_state, reason, actor)
      FROM ffrtmp_data.job_events WHERE job_id = job ORDER BY id DESC LIMIT 1
$$;
\o

-- 1. Hold and release a queued job: it keeps its place and its quota.
SET ROLE hp_user;
SELECT id AS older FROM ffrtmp.submit_job('testsrc://', tenant => 'hp') \gset
SELECT id AS newer FROM ffrtmp.submit_job('testsrc://', tenant => 'hp') \gset
RESET ROLE;
SELECT pg_temp.usage_of('hp') AS usage_before \gset
SET ROLE hp_user;
SELECT is((SELECT state FROM ffrtmp.hold_job(:older)), 'held', 'a tenant holds its own queued job');
RESET ROLE;
SELECT is(pg_temp.last_event(:older), 'queued->held "held by hp_user" by hp_user', 'the hold is an event with its actor');
SELECT is(pg_temp.usage_of('hp'), 'active=2 queued=1 running=0',
          'a held job keeps its unit of max_jobs and no longer counts as queued');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :older, :newer),
                  $$VALUES ('held'), ('assigned')$$, 'dispatch passes over the held job');
-- The newer job frees the node's one slot; the older is released and comes first again.
SELECT ffrtmp.cancel_job(:newer) IS NOT NULL AS canceled \gset
SELECT id AS newest FROM ffrtmp.submit_job('testsrc://', tenant => 'hp') \gset
SET ROLE hp_user;
SELECT is((SELECT state FROM ffrtmp.release_job(:older)), 'queued', 'release_job puts it back in the queue');
RESET ROLE;
SELECT is(pg_temp.last_event(:older), 'held->queued "released by hp_user" by hp_user', 'the release is an event with its actor');
SELECT is(pg_temp.usage_of('hp'), 'active=2 queued=2 running=0', 'released, it counts as queued again');
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :older, :newest),
                  $$VALUES ('assigned'), ('queued')$$, 'the released job kept its place ahead of a newer one');

-- 2. A held job counts against max_jobs: it cannot be used to queue more.
\o /dev/null
SELECT ffrtmp.create_tenant('hp-quota', plan => 'pro');
SELECT ffrtmp.update_tenant('hp-quota', quotas => '{"max_jobs": 1}');
SELECT id AS quota_job FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-quota') \gset
SELECT ffrtmp.hold_job(:quota_job);
\o
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hp-quota')$$, 'PT429', NULL,
                 'a held job keeps its quota unit: the next submit is refused');
SELECT is((SELECT state FROM ffrtmp.cancel_job(:quota_job)), 'canceled', 'a held job can be canceled');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'hp-quota')$$, 'canceling it frees the unit');

-- 3. A retrying job held before its backoff ends goes back to retrying; after, to queued.
\o /dev/null
SELECT id AS backoff FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other') \gset
SELECT id AS backoff_over FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other') \gset
UPDATE ffrtmp_data.jobs SET state = 'assigned' WHERE id IN (:backoff, :backoff_over);
UPDATE ffrtmp_data.jobs SET state = 'retrying', attempt = 2, run_after = now() + interval '1 hour' WHERE id = :backoff;
UPDATE ffrtmp_data.jobs SET state = 'retrying', attempt = 2, run_after = now() + interval '1 minute' WHERE id = :backoff_over;
\o
SELECT is((SELECT state FROM ffrtmp.hold_job(:backoff)), 'held', 'a retrying job can be held');
SELECT ffrtmp.hold_job(:backoff_over) IS NOT NULL AS held \gset
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 second' WHERE id = :backoff_over;
SELECT ffrtmp_data.recover(interval '1 hour') AS moved \gset
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :backoff_over), 'held', 'recovery does not queue a held job whose backoff ended');
SELECT results_eq(format('SELECT (ffrtmp.release_job(%s)).state UNION ALL SELECT (ffrtmp.release_job(%s)).state', :backoff, :backoff_over),
                  $$VALUES ('retrying'), ('queued')$$,
                  'released: back to retrying before run_after, queued once it has passed');
SELECT results_eq(format('SELECT attempt FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :backoff, :backoff_over),
                  $$VALUES (2), (2)$$, 'holding spends no attempt');

-- 4. Refusals: hold and release only where the state allows, with a hint.
SELECT throws_ok(format('SELECT ffrtmp.hold_job(%s)', :older), 'PT409',
                 format('job %s is assigned and cannot be held', :older), 'an assigned job cannot be held');
SELECT is(pg_temp.hint_of(format('SELECT ffrtmp.hold_job(%s)', :older)), 'Only queued or retrying jobs can be held.',
          'the refusal says which jobs can be held');
SELECT throws_ok(format('SELECT ffrtmp.release_job(%s)', :newest), 'PT409',
                 format('job %s is queued and cannot be released', :newest), 'a queued job cannot be released');
SELECT throws_ok(format('SELECT ffrtmp.hold_job(%s)', :newer), 'PT409',
                 format('job %s is canceled and cannot be held', :newer), 'a canceled job cannot be held');
SELECT throws_ok('SELECT ffrtmp.hold_job(NULL)', '22004', 'id must not be null', 'a null id is refused');
SELECT throws_ok('SELECT ffrtmp.hold_job(-1)', 'PT404', 'job -1 does not exist', 'a missing job is refused');

-- 5. Row-level security: another tenant's job does not exist for a tenant.
SET ROLE hp_other_user;
SELECT throws_ok(format('SELECT ffrtmp.hold_job(%s)', :newest), 'PT404',
                 format('job %s does not exist', :newest), 'a tenant cannot hold another tenant''s job');
SELECT throws_ok(format('SELECT ffrtmp.pause_job(%s)', :older), 'PT404',
                 format('job %s does not exist', :older), 'nor pause one');
RESET ROLE;
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :newest), 'queued', 'and the job is untouched');
SELECT is((SELECT state FROM ffrtmp.hold_job(:newest)), 'held', 'an administrator holds any tenant''s job');
SELECT is((SELECT state FROM ffrtmp.release_job(:newest)), 'queued', 'and releases it');

-- 6. Pause and resume a running job: it keeps its node and slot.
SELECT ffrtmp.start_job(:older, 1, :node, :'token') IS NOT NULL AS started \gset
SET ROLE hp_user;
SELECT is((SELECT state FROM ffrtmp.pause_job(:older)), 'paused', 'a tenant pauses its own running job');
RESET ROLE;
SELECT is(pg_temp.last_event(:older), 'running->paused "paused by hp_user" by hp_user', 'the pause is an event with its actor');
SELECT is(pg_temp.usage_of('hp'), 'active=2 queued=1 running=1', 'a paused job still holds its node slot');
SELECT ffrtmp.dispatch() AS dispatched \gset
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :newest), 'queued', 'its slot is not given to another job');
SELECT results_eq(format('SELECT job_id, attempt, state FROM ffrtmp.node_attempts(%s, %L)', :node, :'token'),
                  format($$VALUES (%s::bigint, 1, 'paused'::text)$$, :older), 'node_attempts tells the node it is paused');
SELECT is(ffrtmp.report_progress(:older, 1, :node, :'token', '{"percent": 40}'), true,
          'a progress report sent just before the pause is accepted');
SELECT is(ffrtmp.append_job_log(:older, 1, :node, :'token',
                                '[{"line": 1, "at": 1764441600.125, "level": "info", "source": "worker", "text": "attempt 1 paused"}]'),
          1, 'and so are the log lines the worker sends as it stops the process');
SELECT is(ffrtmp.node_heartbeat(:node, :'token', ARRAY[:older]::bigint[]), 'online', 'the node lists its paused job');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :older), 'paused', 'and keeps it');
SELECT throws_ok(format('SELECT ffrtmp.pause_job(%s)', :older), 'PT409',
                 format('job %s is paused and cannot be paused', :older), 'a paused job cannot be paused again');
SELECT throws_ok(format('SELECT ffrtmp.resume_job(%s)', :newest), 'PT409',
                 format('job %s is queued and cannot be resumed', :newest), 'a queued job cannot be resumed');
SELECT throws_ok(format('SELECT ffrtmp.pause_job(%s)', :newest), 'PT409',
                 format('job %s is queued and cannot be paused', :newest), 'a queued job cannot be paused');
SET ROLE hp_other_user;
SELECT throws_ok(format('SELECT ffrtmp.resume_job(%s)', :older), 'PT404',
                 format('job %s does not exist', :older), 'a tenant cannot resume another tenant''s job');
RESET ROLE;
SET ROLE hp_user;
SELECT is((SELECT state FROM ffrtmp.resume_job(:older)), 'running', 'resume_job runs it again');
RESET ROLE;
SELECT is(pg_temp.last_event(:older), 'paused->running "resumed by hp_user" by hp_user', 'the resume is an event with its actor');
SELECT results_eq(format('SELECT state FROM ffrtmp.node_attempts(%s, %L)', :node, :'token'),
                  $$VALUES ('running'::text)$$, 'node_attempts tells the node to continue it');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact');

-- 7. The paused time does not count against the timeout.
\o /dev/null
SELECT node_id AS node2, session_token AS token2 FROM ffrtmp.register_node('hp-2', cpu_cores => 8, slots => 8, tenant => 'hp-other') \gset
SELECT id AS paused_long FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other', timeout => '8 minutes', max_attempts => 1) \gset
SELECT id AS ran_long FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other', timeout => '8 minutes', max_attempts => 1) \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:paused_long, 1, :node2, :'token2');
SELECT ffrtmp.start_job(:ran_long, 1, :node2, :'token2');
SELECT ffrtmp.pause_job(:paused_long);
-- Both started ten minutes ago; one has been paused for the last six.
UPDATE ffrtmp_data.jobs SET started_at = now() - interval '10 minutes' WHERE id IN (:paused_long, :ran_long);
UPDATE ffrtmp_data.job_events SET at = now() - interval '6 minutes' WHERE job_id = :paused_long AND to_state = 'paused';
SELECT ffrtmp_data.recover(interval '1 hour');
\o
SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :paused_long, :ran_long),
                  $$VALUES ('paused'), ('timed_out')$$, 'a paused job past its timeout in wall time is not timed out');
SELECT is((SELECT started_at FROM ffrtmp.resume_job(:paused_long)), now() - interval '4 minutes',
          'resumed: started_at moves later by the six minutes paused');
SELECT ffrtmp_data.recover(interval '1 hour') AS moved \gset
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :paused_long), 'running', 'four minutes of running time: not timed out');

-- 8. A live input cannot be paused, and says so.
\o /dev/null
SELECT id AS live FROM ffrtmp.submit_job('rtmp://stream.example.com/live/in', output_url => 'live/out.mp4', tenant => 'hp-other') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:live, 1, :node2, :'token2');
\o
SELECT throws_ok(format('SELECT ffrtmp.pause_job(%s)', :live), 'PT409',
                 format('job %s reads a live input and cannot be paused', :live), 'a live input cannot be paused');
SELECT is(pg_temp.hint_of(format('SELECT ffrtmp.pause_job(%s)', :live)),
          'Cancel the job instead; jobs with file, HTTP or testsrc inputs can be paused.', 'the refusal says what to do');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :live), 'running', 'and it runs on');

-- 9. A paused job ends like a running one: canceled, finished, lost with its node.
\o /dev/null
SELECT id AS to_cancel FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other') \gset
SELECT id AS to_finish FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:to_cancel, 1, :node2, :'token2');
SELECT ffrtmp.start_job(:to_finish, 1, :node2, :'token2');
SELECT ffrtmp.pause_job(:to_cancel);
SELECT ffrtmp.pause_job(:to_finish);
SELECT ffrtmp.pause_job(:paused_long);
\o
SELECT is((SELECT state FROM ffrtmp.cancel_job(:to_cancel)), 'canceled', 'a paused job can be canceled');
SELECT is((SELECT state FROM ffrtmp.finish_job(:to_finish, 1, :node2, :'token2', 'completed', result => '{}')), 'completed',
          'an attempt that ends just as it is paused is recorded');
SELECT is(ffrtmp.node_heartbeat(:node2, :'token2', ARRAY[:live]::bigint[]), 'online', 'a heartbeat that leaves out a paused job');
SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :paused_long),
                  $$VALUES ('failed', 'platform_error')$$, 'ends its attempt like a running one''s');
\o /dev/null
SELECT id AS on_lost FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:on_lost, 1, :node2, :'token2');
SELECT ffrtmp.pause_job(:on_lost);
-- Gone silent: (a server up for less than node_timeout would give it time to come back.)
UPDATE ffrtmp_data.nodes SET state = 'offline' WHERE id = :node2;
SELECT ffrtmp_data.recover(interval '1 minute');
\o
SELECT results_eq(format('SELECT state, attempt, failure_reason FROM ffrtmp.jobs WHERE id = %s', :on_lost),
                  $$VALUES ('retrying', 2, 'platform_error')$$, 'a paused job whose node is lost is retried like a running one');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters are exact at the end');

-- 10. A paused attempt of a node's previous session, resumed after the node
-- registered again: resuming moves started_at later, past registered_at, yet
-- the attempt is still the old session's.  A heartbeat without a job list
-- vouches only for its own session's attempts, so it must end it.
\o /dev/null
SELECT node_id AS node3 FROM ffrtmp.register_node('hp-3', cpu_cores => 8, slots => 8, tenant => 'hp-other') \gset
SELECT id AS old_session FROM ffrtmp.submit_job('testsrc://', tenant => 'hp-other', max_attempts => 1) \gset
SELECT ffrtmp.dispatch();
SELECT session_token AS token3 FROM ffrtmp.register_node('hp-3', cpu_cores => 8, slots => 8, tenant => 'hp-other') \gset
SELECT ffrtmp.start_job(:old_session, 1, :node3, :'token3');
SELECT ffrtmp.pause_job(:old_session);
-- Started ten minutes ago, paused a minute later; the node registered again five minutes ago.
UPDATE ffrtmp_data.jobs SET started_at = now() - interval '10 minutes' WHERE id = :old_session;
UPDATE ffrtmp_data.job_events SET at = now() - interval '10 minutes' WHERE job_id = :old_session AND to_state = 'running';
UPDATE ffrtmp_data.job_events SET at = now() - interval '9 minutes' WHERE job_id = :old_session AND to_state = 'paused';
SELECT session_token AS token3 FROM ffrtmp.register_node('hp-3', cpu_cores => 8, slots => 8, tenant => 'hp-other') \gset
UPDATE ffrtmp_data.nodes SET registered_at = now() - interval '5 minutes' WHERE id = :node3;
\o
SELECT is((SELECT started_at FROM ffrtmp.resume_job(:old_session)), now() - interval '1 minute',
          'resumed by its tenant, it has run one minute');
SELECT is(ffrtmp.node_heartbeat(:node3, :'token3', NULL), 'online', 'the new session heartbeats without a job list');

SELECT results_eq(format('SELECT state, failure_reason FROM ffrtmp.jobs WHERE id = %s', :old_session),
                  $$VALUES ('failed', 'platform_error')$$,
                  'the previous session''s attempt ends all the same: no attempt without an owner');

SELECT * FROM finish();
ROLLBACK;
