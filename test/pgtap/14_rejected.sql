-- Rejection: a queued job that no node it may use can run (more CPU cores or
-- GPUs than any offers) is reported by health() and ready(), and rejected
-- with capability_mismatch once it has waited ffrtmp.reject_unrunnable_after
-- with no capable node; a capable node that appears in time saves it.
-- The passes are driven by hand: ffrtmp_data.reject_unrunnable(after) is the
-- leader's step (src/scheduler.c), ffrtmp.dispatch() the dispatch pass.
BEGIN;
SELECT plan(21);

SELECT ffrtmp.create_tenant('big', plan => 'pro');
SELECT ffrtmp.create_tenant('owner', plan => 'pro');
SELECT ffrtmp.update_tenant(t, quotas => '{"max_cpu_cores": null, "max_gpus": null}') FROM unnest(ARRAY['big', 'owner']) t;
SELECT ffrtmp.register_node('pool-8', cpu_cores => 8, slots => 4);
SELECT ffrtmp.register_node('owner-32', cpu_cores => 32, slots => 4, tenant => 'owner');

CREATE TEMP TABLE j (name text PRIMARY KEY, id bigint);
INSERT INTO j VALUES
    ('cores', (ffrtmp.submit_job('testsrc://', tenant => 'big', cpu_cores => 64)).id),
    ('gpus',  (ffrtmp.submit_job('testsrc://', tenant => 'big', gpus => 2)).id),
    ('fits',  (ffrtmp.submit_job('testsrc://', tenant => 'big', cpu_cores => 4)).id),
    -- 16 cores: only the owner's dedicated node offers them.
    ('owner16', (ffrtmp.submit_job('testsrc://', tenant => 'owner', cpu_cores => 16)).id),
    ('other16', (ffrtmp.submit_job('testsrc://', tenant => 'big', cpu_cores => 16)).id),
    -- 4 GPUs: only a node last heard from before the server started offers them.
    ('restart', (ffrtmp.submit_job('testsrc://', tenant => 'big', gpus => 4)).id);
SELECT ffrtmp.register_node('pool-4gpu', cpu_cores => 8, gpus => 4, slots => 4);
UPDATE ffrtmp_data.nodes SET state = 'offline', last_heartbeat = now() - interval '3 days' WHERE name = 'pool-4gpu';
CREATE FUNCTION pg_temp.job(name text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM j WHERE j.name = job.name $$;
CREATE FUNCTION pg_temp.state(name text) RETURNS text LANGUAGE sql AS
    $$ SELECT state FROM ffrtmp_data.jobs WHERE id = pg_temp.job(name) $$;

-- Reported while they wait.
SELECT is((ffrtmp.health() ->> 'unrunnable_jobs')::integer, 4, 'health() counts the queued jobs no online node can run');
SELECT is(ffrtmp.health() -> 'unrunnable_job_ids',
          jsonb_build_array(pg_temp.job('cores'), pg_temp.job('gpus'), pg_temp.job('other16'), pg_temp.job('restart')),
          'and names them: too many cores, GPUs no online node has, cores only another tenant''s node has, GPUs only an offline node has');
SELECT is(jsonb_array_length(ffrtmp.ready() -> 'warnings'), 1, 'ready() warns about them');
SELECT ok((ffrtmp.ready() -> 'warnings' ->> 0) LIKE '4 queued jobs ask for CPU cores, GPUs or encoders%', 'with the count');
SELECT ok(NOT (ffrtmp.ready() -> 'problems')::text LIKE '%queued jobs%', 'which is no readiness problem');

-- Before the time nothing is rejected.
SELECT is(ffrtmp_data.reject_unrunnable('1 hour'), 0, 'a job that has waited less than the setting is not rejected');
SELECT is(pg_temp.state('cores'), 'queued', 'it stays queued');

-- Two hours later (the jobs' clocks are moved back), with a GPU node that
-- appeared and went offline again half an hour ago.
UPDATE ffrtmp_data.jobs SET run_after = now() - interval '2 hours', updated_at = now() - interval '2 hours'
 WHERE state = 'queued';
SELECT ffrtmp.register_node('pool-gpu', cpu_cores => 8, gpus => 2, slots => 4);
UPDATE ffrtmp_data.nodes SET state = 'offline', last_heartbeat = now() - interval '30 minutes' WHERE name = 'pool-gpu';
-- The owner's 32-core node drains meanwhile: it may come back, so it still counts.
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE name = 'owner-32';
SELECT is(ffrtmp_data.reject_unrunnable('0'), 0, 'a setting of 0 rejects nothing');
SELECT is(ffrtmp_data.reject_unrunnable('1 hour'), 2, 'past the setting, the jobs no node offered to run are rejected');
SELECT is(ARRAY[pg_temp.state('cores'), pg_temp.state('other16')], ARRAY['rejected', 'rejected'],
          'too many cores, and cores only another tenant''s dedicated node offers: rejected');
SELECT is((SELECT failure_reason FROM ffrtmp_data.jobs WHERE id = pg_temp.job('cores')), 'capability_mismatch',
          'with failure_reason capability_mismatch');
SELECT is((SELECT error FROM ffrtmp_data.jobs WHERE id = pg_temp.job('cores')),
          'the job asks for 64 CPU cores and 0 GPUs, and no node it may use has offered that for 01:00:00: the most any online one offers is 8 CPU cores and 0 GPUs',
          'the error says what was asked and what the nodes offer');
SELECT ok((SELECT finished_at IS NOT NULL FROM ffrtmp_data.jobs WHERE id = pg_temp.job('cores')), 'and it is finished');
SELECT is((SELECT count(*) FROM ffrtmp_data.job_events
            WHERE job_id = pg_temp.job('cores') AND from_state = 'queued' AND to_state = 'rejected'), 1::bigint,
          'the rejection is in the job''s history');
SELECT is(ARRAY[pg_temp.state('gpus'), pg_temp.state('fits'), pg_temp.state('owner16')], ARRAY['queued', 'queued', 'queued'],
          'a GPU node heard from within the setting saves the GPU job, a draining dedicated node its tenant''s job; runnable jobs are untouched');
SELECT is(pg_temp.state('restart'), 'queued',
          'a capable node silent since before a server start that is more recent than the setting saves its job too');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');
SELECT is((ffrtmp.health() ->> 'unrunnable_jobs')::integer, 2, 'health() still counts the jobs whose nodes are offline');

-- The GPU node comes back: the saved job is dispatched to it.
UPDATE ffrtmp_data.nodes SET state = 'online', last_heartbeat = now() WHERE name = 'pool-gpu';
SELECT ffrtmp.dispatch();
SELECT is((SELECT n.name FROM ffrtmp_data.jobs x JOIN ffrtmp_data.nodes n ON n.id = x.node_id
            WHERE x.id = pg_temp.job('gpus') AND x.state = 'assigned'), 'pool-gpu', 'the saved job is dispatched');
SELECT is(ffrtmp.health() -> 'unrunnable_job_ids', jsonb_build_array(pg_temp.job('restart')),
          'and health() no longer counts it');

-- A rejected job can be retried once a capable node exists.
SELECT ffrtmp.retry_job(pg_temp.job('other16'));
SELECT is(pg_temp.state('other16'), 'queued', 'retry_job queues a rejected job again');

SELECT * FROM finish();
ROLLBACK;
