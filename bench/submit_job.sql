-- submit_job for one of the bench tenants, picked at random per transaction.
-- (submit_job.sh rewrites the 10 when TENANTS is set.)
\set t random(1, 10)
SELECT id FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', tenant => 'bench-' || :t);
