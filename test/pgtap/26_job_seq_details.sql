-- Jobs as people read them: a job addressed by its per-tenant number
-- (ffrtmp.job_id) in any function that takes a job id, without telling a
-- tenant anything about another tenant's numbers; get_job, tenant_jobs and
-- ffrtmp.job_details with the tenant's name and the latest progress, rounded.
BEGIN;
SELECT plan(32);

\o /dev/null
SELECT id AS sq_id FROM ffrtmp.create_tenant('sq', plan => 'pro') \gset
SELECT ffrtmp.create_tenant('sq-other', plan => 'pro');
CREATE ROLE sq_user;
CREATE ROLE sq_other_user;
SELECT ffrtmp.add_tenant_role('sq', 'sq_user');
SELECT ffrtmp.add_tenant_role('sq-other', 'sq_other_user');
SELECT id AS job1 FROM ffrtmp.submit_job('testsrc://', tenant => 'sq') \gset
SELECT id AS job2 FROM ffrtmp.submit_job('testsrc://', tenant => 'sq') \gset
SELECT id AS job3 FROM ffrtmp.submit_job('testsrc://', tenant => 'sq') \gset
SELECT id AS other1 FROM ffrtmp.submit_job('testsrc://', tenant => 'sq-other') \gset
\o

-- Seq addressing.
SELECT is(ffrtmp.job_id(2, tenant => 'sq'), :job2::bigint, 'an administrator resolves a tenant''s number, naming the tenant');
SELECT is(ffrtmp.job_id(1, tenant => 'sq-other'), :other1::bigint, 'numbers are per tenant');
SELECT throws_ok('SELECT ffrtmp.job_id(2)', '22023', 'job number 2 names no tenant',
                 'an administrator must name the tenant');
SELECT throws_ok($$SELECT ffrtmp.job_id(99, tenant => 'sq')$$, 'PT404', 'job number 99 does not exist', 'an unknown number is PT404');
SELECT throws_ok($$SELECT ffrtmp.job_id(NULL)$$, '22004', NULL, 'a null number is refused');
SET ROLE sq_user;
SELECT is(ffrtmp.job_id(3), :job3::bigint, 'a tenant principal resolves its own numbers');
SELECT is(ffrtmp.job_id(3, tenant => 'sq'), :job3::bigint, 'naming its own tenant too');
SELECT is((ffrtmp.cancel_job(ffrtmp.job_id(3))).state, 'canceled', 'cancel_job(job_id(seq)) cancels that job');
SELECT is((ffrtmp.get_job(ffrtmp.job_id(1))).id, :job1::bigint, 'get_job(job_id(seq))');
SELECT is((SELECT count(*) FROM ffrtmp.job_history(ffrtmp.job_id(3))), 2::bigint, 'job_history(job_id(seq))');
RESET ROLE;
-- The other tenant has number 1 only: its 2 and its 99 read the same.
SET ROLE sq_other_user;
SELECT is(ffrtmp.job_id(1), :other1::bigint, 'the other tenant resolves its own number 1');
SELECT throws_ok('SELECT ffrtmp.job_id(2)', 'PT404', 'job number 2 does not exist',
                 'another tenant''s number does not resolve');
SELECT throws_ok('SELECT ffrtmp.job_id(99)', 'PT404', 'job number 99 does not exist',
                 'and reads exactly like a number nobody has');
SELECT throws_ok($$SELECT ffrtmp.job_id(2, tenant => 'sq')$$, '42501', NULL,
                 'naming another tenant is refused as for any tenant argument');
RESET ROLE;

-- Progress for people: rounded, with the time left.
\o /dev/null
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('sq-a', cpu_cores => 4, slots => 2, tenant => 'sq') \gset
SELECT ffrtmp.dispatch();
SELECT ffrtmp.start_job(:job1, 1, :node, :'token');
SELECT ffrtmp.report_progress(:job1, 1, :node, :'token',
       '{"frames": 1234, "fps": 59.876, "speed": 1.2549, "percent": 40.04, "out_time": 40.04}');
\o
SELECT results_eq(format('SELECT tenant_name, frames, fps, speed, percent, eta FROM ffrtmp.get_job(%s)', :job1),
                  $$VALUES ('sq', 1234::bigint, 59.9, 1.25, 40.0, interval '48 seconds')$$,
                  'get_job shows the tenant''s name and the latest progress rounded (eta = 60 s of output left at 1.25x)');
SELECT ok((ffrtmp.get_job(:job1)).progress_at IS NOT NULL, 'and when it was reported');
SELECT results_eq(format('SELECT tenant_name, frames, fps, percent FROM ffrtmp.job_details WHERE id = %s', :job1),
                  $$VALUES ('sq', 1234::bigint, 59.9, 40.0)$$, 'the job_details view shows the same');
SELECT results_eq(format('SELECT tenant_name, frames FROM ffrtmp.tenant_jobs(%L) WHERE id = %s', 'sq', :job1),
                  $$VALUES ('sq', 1234::bigint)$$, 'tenant_jobs too');
SELECT is((SELECT frames FROM ffrtmp.get_job(:job2)), NULL, 'a job without progress has none');
-- A report that makes no sense is NULL for people, never an error.
\o /dev/null
SELECT ffrtmp.report_progress(:job1, 1, :node, :'token', '{"frames": "many", "fps": -1, "speed": 0, "percent": 250}');
\o
SELECT results_eq(format('SELECT frames, fps, speed, percent, eta FROM ffrtmp.get_job(%s)', :job1),
                  $$VALUES (NULL::bigint, NULL::numeric, 0.00, 100.0, interval '0')$$,
                  'nonsense in a report reads as NULL, a percent over 100 as 100');
SELECT is((ffrtmp_data.progress_for_people('{"percent": 50, "speed": 2, "out_time": 3600}')).eta, interval '00:30:00',
          'the time left is the output left over the speed');
SELECT is((ffrtmp_data.progress_for_people('{"percent": 50}')).eta, NULL, 'without a speed there is no time left');
SELECT is((ffrtmp_data.progress_for_people('{"fps": 1e300}')).fps, NULL, 'an absurd number is NULL');

-- Tenant names beside tenant ids where people read jobs.
SELECT is((SELECT DISTINCT tenant_name FROM ffrtmp.job_history(:job1)), 'sq', 'job_history names the tenant');
SELECT is((SELECT DISTINCT tenant_name FROM ffrtmp.job_events WHERE job_id = :job1), 'sq', 'so does job_events');
SELECT is((SELECT tenant_name FROM ffrtmp.job_progress WHERE job_id = :job1), 'sq', 'and job_progress');
SET ROLE sq_user;
SELECT is((SELECT array_agg(DISTINCT tenant_name) FROM ffrtmp.job_events), ARRAY['sq'], 'a tenant reads its own name there');
RESET ROLE;

-- Under row-level security.
SET ROLE sq_other_user;
SELECT throws_ok(format('SELECT ffrtmp.get_job(%s)', :job1), 'PT404', NULL, 'another tenant cannot get the job');
SELECT is((SELECT count(*) FROM ffrtmp.job_details WHERE tenant_name = 'sq'), 0::bigint, 'nor see it in job_details');
SELECT is((SELECT array_agg(tenant_name) FROM ffrtmp.job_details), ARRAY['sq-other'], 'it sees its own, with its name');
RESET ROLE;
SET ROLE sq_user;
SELECT is((SELECT percent FROM ffrtmp.get_job(ffrtmp.job_id(1))), 100.0, 'the tenant reads its job''s progress');
RESET ROLE;
-- A completed job did all of its input, whatever its last report said.
\o /dev/null
SELECT ffrtmp.report_progress(:job1, 1, :node, :'token', '{"percent": 40.04}');
SELECT ffrtmp.finish_job(:job1, 1, :node, :'token', 'completed');
\o
SELECT is((SELECT percent FROM ffrtmp.get_job(:job1)), 100.0, 'a completed job reads 100 percent');

SELECT * FROM finish();
ROLLBACK;
