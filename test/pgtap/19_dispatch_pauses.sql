-- Dispatch pauses: pause_dispatch(tenant, queue) and resume_dispatch(...).
-- A paused tenant or queue keeps its jobs queued, in their place and quota;
-- running jobs go on; resuming dispatches them.  Administrators pause any
-- tenant, a queue or everything; a tenant principal its own tenant only.
BEGIN;
SELECT plan(44);

\o /dev/null
SELECT ffrtmp.create_tenant('p-a', plan => 'pro');
SELECT ffrtmp.create_tenant('p-b', plan => 'pro');
CREATE ROLE tap_pause_a LOGIN;
SELECT ffrtmp.add_tenant_role('p-a', 'tap_pause_a');
SELECT ffrtmp.register_node('pause-pool', cpu_cores => 64, slots => 50);
UPDATE ffrtmp_data.nodes SET state = 'draining' WHERE name <> 'pause-pool';
\o
CREATE FUNCTION pg_temp.states(tenant text, queue text DEFAULT NULL) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(DISTINCT j.state ORDER BY j.state), '{}') FROM ffrtmp_data.jobs j
      JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
     WHERE t.name = tenant AND (states.queue IS NULL OR j.queue = states.queue)
$$;
CREATE FUNCTION pg_temp.submit(tenant text, queue text, n integer) RETURNS void LANGUAGE sql AS $$
    SELECT count(ffrtmp.submit_job('testsrc://', tenant => tenant, queue => queue)) FROM generate_series(1, n);
$$;

-- 1. An administrator pauses a tenant: its jobs stay queued, the other's run.
SELECT pg_temp.submit('p-a', 'default', 2);
SELECT pg_temp.submit('p-b', 'default', 2);
SELECT ok(ffrtmp.pause_dispatch('p-a'), 'pause_dispatch(tenant) pauses and says it did');
SELECT ok(NOT ffrtmp.pause_dispatch('p-a'), 'again: nothing changes, no error (idempotent)');
SELECT is(ffrtmp.dispatch(), 2, 'a pass dispatches only the unpaused tenant''s jobs');
SELECT is(pg_temp.states('p-a'), ARRAY['queued'], 'the paused tenant''s jobs stay queued');
SELECT is((SELECT queued_jobs FROM ffrtmp.tenant_stats('p-a')), 2, 'and keep their quota (still counted as queued)');
SELECT is((SELECT count(*) FROM ffrtmp.dispatch_pauses WHERE tenant_name = 'p-a' AND queue IS NULL), 1::bigint,
          'ffrtmp.dispatch_pauses shows the pause');
SELECT is(ffrtmp.health() -> 'dispatch_pauses', '[{"tenant": "p-a", "queue": null}]'::jsonb, 'health() lists it');
SELECT ok((SELECT bool_or(w LIKE 'dispatch is paused%tenant p-a, every queue%')
             FROM jsonb_array_elements_text(ffrtmp.ready() -> 'warnings') w), 'ready() warns about it');
SELECT ok(ffrtmp.resume_dispatch('p-a'), 'resume_dispatch(tenant) resumes');
SELECT ok(NOT ffrtmp.resume_dispatch('p-a'), 'again: nothing to resume, no error');
SELECT is(ffrtmp.dispatch(), 2, 'after the resume the jobs are dispatched');
SELECT is(pg_temp.states('p-a'), ARRAY['assigned'], 'all of them');

-- 2. Running jobs are untouched by a pause.
UPDATE ffrtmp_data.jobs SET state = 'running' WHERE state = 'assigned';
SELECT ffrtmp.pause_dispatch();
SELECT is(pg_temp.states('p-a'), ARRAY['running'], 'a pause leaves running jobs running');

-- 3. A pause of everything (administrators: tenant => NULL) and of one queue.
SELECT pg_temp.submit('p-a', 'live', 1);
SELECT pg_temp.submit('p-b', 'batch', 1);
SELECT is(ffrtmp.dispatch(), 0, 'with dispatch paused for everyone, nothing is dispatched');
SELECT ffrtmp.resume_dispatch();
SELECT ffrtmp.pause_dispatch(queue => 'batch');
SELECT is(ffrtmp.dispatch(), 1, 'with the batch queue paused, the live job is dispatched');
SELECT is(pg_temp.states('p-b', 'batch'), ARRAY['queued'], 'and the batch job stays queued');
SELECT ffrtmp.resume_dispatch(queue => 'batch');
SELECT is(ffrtmp.dispatch(), 1, 'resumed, the batch job goes');
-- One tenant's one queue.
SELECT pg_temp.submit('p-a', 'batch', 1);
SELECT pg_temp.submit('p-a', 'live', 1);
SELECT ffrtmp.pause_dispatch('p-a', 'batch');
SELECT is(ffrtmp.dispatch(), 1, 'with one tenant''s batch queue paused, its live job goes');
SELECT is(pg_temp.states('p-a', 'batch'), ARRAY['queued'], 'and its batch job waits');

-- 4. Errors: an unknown queue or tenant.
SELECT throws_ok($$SELECT ffrtmp.pause_dispatch(queue => 'urgent')$$, '22023', 'unknown queue "urgent"',
                 'an unknown queue is refused with 22023');
SELECT throws_ok($$SELECT ffrtmp.resume_dispatch('no-such-tenant')$$, 'PT404', 'tenant "no-such-tenant" does not exist',
                 'an unknown tenant is refused as everywhere in the API');

-- 5. A tenant principal: its own tenant only.
SELECT ffrtmp.resume_dispatch('p-a', 'batch');
SET ROLE tap_pause_a;
SELECT ok(ffrtmp.pause_dispatch(), 'a tenant principal pauses (tenant => NULL: its own tenant)');
SELECT throws_ok($$SELECT ffrtmp.pause_dispatch('p-b')$$, '42501', NULL, 'but not another tenant');
SELECT throws_ok($$SELECT ffrtmp.resume_dispatch('p-b', 'batch')$$, '42501', NULL, 'nor resume one');
SELECT is((SELECT array_agg(tenant_name) FROM ffrtmp.dispatch_pauses), ARRAY['p-a'], 'it sees its own pause');
RESET ROLE;
SELECT is((SELECT array_agg(t.name) FROM ffrtmp_data.dispatch_pauses p JOIN ffrtmp_data.tenants t ON t.id = p.tenant_id
            WHERE p.queue IS NULL), ARRAY['p-a'],
          'a tenant''s pause with tenant => NULL is of its own tenant, never of every tenant');
SELECT pg_temp.submit('p-b', 'default', 1);
SELECT is(ffrtmp.dispatch(), 1, 'so another tenant''s job is still dispatched');
SELECT ffrtmp.pause_dispatch('p-b');
SELECT ffrtmp.pause_dispatch(queue => 'live');
SET ROLE tap_pause_a;
SELECT is((SELECT array_agg(coalesce(tenant_name, '<every>') || '/' || coalesce(queue, '<every>') ORDER BY tenant_name NULLS FIRST)
             FROM ffrtmp.dispatch_pauses),
          ARRAY['<every>/live', 'p-a/<every>'], 'and the pauses of every tenant, never another tenant''s');
SELECT ok(NOT ffrtmp.resume_dispatch(queue => 'live'), 'resuming with tenant => NULL is its own tenant''s scope: the pause of every tenant stays');
SELECT throws_ok($$DELETE FROM ffrtmp_data.dispatch_pauses$$, '42501', NULL, 'the table itself is not writable');
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.dispatch_pauses), 3::bigint, 'the three pauses are all in force');
SET ROLE tap_pause_a;
SELECT ok(ffrtmp.resume_dispatch(), 'the tenant principal resumes its own tenant');
RESET ROLE;
SELECT ffrtmp.resume_dispatch(queue => 'live');
SELECT is(ffrtmp.dispatch(), 1, 'its queued batch job is dispatched');

-- 6. An administrator's pause binds the tenant: its principal cannot end it,
-- and does not learn the administrator's role name.
SELECT ffrtmp.pause_dispatch('p-a', 'batch');
SET ROLE tap_pause_a;
SELECT throws_ok($$SELECT ffrtmp.resume_dispatch(queue => 'batch')$$, '42501', 'an administrator paused this dispatch',
                 'a tenant principal cannot end an administrator''s pause of its tenant');
SELECT is((SELECT paused_by FROM ffrtmp.dispatch_pauses WHERE queue = 'batch'), 'administrator',
          'it sees "administrator" as who paused, not the role');
SELECT ok(ffrtmp.pause_dispatch(queue => 'default'), 'it pauses its default queue');
SELECT is((SELECT paused_by FROM ffrtmp.dispatch_pauses WHERE queue = 'default'), 'tap_pause_a', 'and sees its own role there');
RESET ROLE;
CREATE FUNCTION pg_temp.hint_as(who text, sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    hint text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', who);
    EXECUTE sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
    RETURN hint;
END $f$;
SELECT alike(pg_temp.hint_as('tap_pause_a', $$SELECT ffrtmp.resume_dispatch(queue => 'batch')$$), '%administrator%',
            'the refusal hints whom to ask');
RESET ROLE;
SELECT is((SELECT paused_by FROM ffrtmp.dispatch_pauses WHERE queue = 'batch'), current_user::text,
          'an administrator sees the role that paused');
SELECT ok(NOT ffrtmp.pause_dispatch('p-a', 'default'), 'an administrator pausing what the tenant paused: already in force');
SET ROLE tap_pause_a;
SELECT throws_ok($$SELECT ffrtmp.resume_dispatch(queue => 'default')$$, '42501', NULL,
                 'but now it is the administrator''s pause: the tenant cannot end it');
RESET ROLE;
SELECT ok(ffrtmp.resume_dispatch('p-a', 'batch') AND ffrtmp.resume_dispatch('p-a', 'default'), 'an administrator ends both');
SELECT is((SELECT count(*) FROM ffrtmp.dispatch_pauses WHERE tenant_name = 'p-a'), 0::bigint, 'no pause of p-a is left');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the usage counters stay exact');

SELECT * FROM finish();
ROLLBACK;
