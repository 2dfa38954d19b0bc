-- Reference: the same INSERT plus a NOTIFY in the same transaction (one
-- statement, so that the only difference from plain_insert is the NOTIFY:
-- every notifying commit takes one cluster-wide lock, so they serialise).
\set t random(1, 10)
WITH j AS (
    INSERT INTO bench.plain_jobs (tenant_id, seq, input_url, params, state_reason)
    VALUES ('00000000-0000-0000-0000-000000000000', :t, 'testsrc://1280x720@30?duration=10', '{}', 'submitted')
    RETURNING id)
SELECT pg_notify('bench_jobs', id::text) FROM j;
