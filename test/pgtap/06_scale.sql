-- At scale: 100,000 queued jobs and 100 nodes.  The scheduler's and the
-- submitter's paths read jobs through indexes only (no sequential scan).
BEGIN;
SELECT plan(7);

SELECT count(ffrtmp.create_tenant('scale-' || g, plan => 'enterprise')) FROM generate_series(1, 10) g;
-- Bulk-loaded for speed, then the counters are recounted.
INSERT INTO ffrtmp_data.jobs (tenant_id, seq, input_url, state_reason)
SELECT t.id, g, 'testsrc://', 'bulk' FROM ffrtmp_data.tenants t, generate_series(1, 10000) g
 WHERE t.name LIKE 'scale-%';
SELECT ffrtmp.repair_usage();
SELECT count(ffrtmp.register_node('scale-node-' || g, cpu_cores => 8, slots => 4)) FROM generate_series(1, 100) g;
ANALYZE ffrtmp_data.jobs;
ANALYZE ffrtmp_data.nodes;
ANALYZE ffrtmp_data.usage;

CREATE FUNCTION pg_temp.seq_scans() RETURNS bigint LANGUAGE sql AS
$$ SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'ffrtmp_data.jobs'::regclass $$;

-- The pass's one-row tables too: a pass plans with sequential scans
-- disabled, and such a plan's cost gets it JIT-compiled on every run.
CREATE FUNCTION pg_temp.state_seq_scans() RETURNS bigint LANGUAGE sql AS
$$ SELECT sum(seq_scan)::bigint FROM pg_stat_xact_user_tables
    WHERE relid IN ('ffrtmp_data.scheduler_state'::regclass, 'ffrtmp_data.dispatch_clock'::regclass) $$;

SELECT pg_temp.seq_scans() AS before \gset
SELECT pg_temp.state_seq_scans() AS state_before \gset
SELECT is(ffrtmp.dispatch(), 400, 'one pass fills the 400 free slots of 100 nodes');
SELECT is(pg_temp.seq_scans() - :before, 0::bigint, 'without a sequential scan of 100,000 jobs');
SELECT is(pg_temp.state_seq_scans() - :state_before, 0::bigint, 'and reading the epoch and the clock by their key');

SELECT pg_temp.seq_scans() AS before \gset
SELECT is((SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'scale-1')), 10001::bigint, 'a submit among 100,000 jobs');
SELECT is(pg_temp.seq_scans() - :before, 0::bigint, 'reads no job sequentially');

SELECT pg_temp.seq_scans() AS before \gset
SELECT ffrtmp_data.recover('15 seconds');
SELECT ffrtmp_data.prune('7 days', 1000);
SELECT is(pg_temp.seq_scans() - :before, 0::bigint, 'nor do recovery and pruning');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'counters exact at scale');

SELECT * FROM finish();
ROLLBACK;
