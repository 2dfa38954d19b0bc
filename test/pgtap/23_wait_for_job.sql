-- ffrtmp.wait_for_job: answers at once for a job already in a final state,
-- returns the job as it is when the timeout passes, bounds the timeout, and
-- treats another tenant's job like a job that does not exist.  (A job ending
-- while another session commits: test/t/046_wait_for_job.pl, since
-- isolationtester only sees a session waiting for a lock, not for a
-- condition variable.)
BEGIN;
SELECT plan(12);

SELECT ffrtmp.create_tenant('wf-a');
SELECT ffrtmp.create_tenant('wf-b');
CREATE ROLE wf_alice LOGIN;
SELECT ffrtmp.add_tenant_role('wf-a', 'wf_alice');
SELECT id AS queued FROM ffrtmp.submit_job('testsrc://', tenant => 'wf-a') \gset
SELECT id AS done FROM ffrtmp.submit_job('testsrc://', tenant => 'wf-a') \gset
SELECT id AS other FROM ffrtmp.submit_job('testsrc://', tenant => 'wf-b') \gset
SELECT ffrtmp.cancel_job(:done);

SELECT results_eq(format('SELECT id, state FROM ffrtmp.wait_for_job(%s)', :done),
                  format($$VALUES (%s::bigint, 'canceled')$$, :done),
                  'a job already in a final state is returned at once');
SELECT results_eq(format($$SELECT id, state FROM ffrtmp.wait_for_job(%s, '0')$$, :queued),
                  format($$VALUES (%s::bigint, 'queued')$$, :queued),
                  'timeout 0: the job as it is, without waiting');
SELECT results_eq(format($$SELECT state FROM ffrtmp.wait_for_job(%s, '200 milliseconds')$$, :queued),
                  $$VALUES ('queued')$$, 'when the timeout passes, the job is returned still queued');
SELECT results_eq(format($$SELECT state FROM ffrtmp.wait_for_job(%s, NULL::interval)$$, :done),
                  $$VALUES ('canceled')$$, 'a NULL timeout means the default');

SELECT throws_ok(format($$SELECT ffrtmp.wait_for_job(%s, '601 seconds')$$, :queued),
                 '22023', 'timeout must be between 0 and 600 seconds', 'a timeout over 600 s is refused');
SELECT throws_ok(format($$SELECT ffrtmp.wait_for_job(%s, '1 day')$$, :queued),
                 '22023', 'timeout must be between 0 and 600 seconds', 'so is a day');
SELECT throws_ok(format($$SELECT ffrtmp.wait_for_job(%s, '-1 second')$$, :queued),
                 '22023', 'timeout must be between 0 and 600 seconds', 'and a negative timeout');
SELECT throws_ok($$SELECT ffrtmp.wait_for_job(NULL)$$, '22004', 'id must not be null', 'the id is required');
SELECT throws_ok($$SELECT ffrtmp.wait_for_job(-7, '0')$$, 'PT404', 'job -7 does not exist', 'a job that does not exist');

SET ROLE wf_alice;
SELECT throws_ok(format($$SELECT ffrtmp.wait_for_job(%s, '0')$$, :other),
                 'PT404', format('job %s does not exist', :other),
                 'another tenant''s job: the same error as a job that does not exist');
SELECT results_eq(format($$SELECT state FROM ffrtmp.wait_for_job(%s, '0')$$, :done),
                  $$VALUES ('canceled')$$, 'the tenant waits for its own job');
RESET ROLE;

SELECT ok((SELECT tgenabled <> 'D' FROM pg_trigger WHERE tgname = 'jobs_wake_waiters'
            AND tgrelid = 'ffrtmp_data.jobs'::regclass), 'a trigger on jobs wakes the waiters');

SELECT * FROM finish();
ROLLBACK;
