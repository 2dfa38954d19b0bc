-- Baseline: one INSERT of a row like submit_job's into bench.plain_jobs, a
-- table with the columns, types, defaults and primary key of ffrtmp_data.jobs.
\set t random(1, 10)
INSERT INTO bench.plain_jobs (tenant_id, seq, input_url, params, state_reason)
VALUES ('00000000-0000-0000-0000-000000000000', :t, 'testsrc://1280x720@30?duration=10', '{}', 'submitted');
