-- Tenant reads at scale: 100,000 jobs (and as many events) of 10 tenants.  A
-- tenant's reads, through the API functions and through the views, read its
-- own rows by index and never another tenant's; an administrator's reads of
-- one job or one tenant's jobs read just those.
BEGIN;
SELECT plan(24);

\o /dev/null
SELECT count(ffrtmp.create_tenant('scale-' || g, plan => 'enterprise')) FROM generate_series(1, 10) g;
-- Bulk-loaded for speed, then the counters are recounted.
INSERT INTO ffrtmp_data.jobs (tenant_id, seq, input_url, idempotency_key, state_reason)
SELECT t.id, g, 'testsrc://', 'key-' || g, 'bulk' FROM ffrtmp_data.tenants t, generate_series(1, 10000) g
 WHERE t.name LIKE 'scale-%';
INSERT INTO ffrtmp_data.job_events (job_id, tenant_id, attempt, to_state, reason, actor)
SELECT id, tenant_id, 1, 'queued', 'submitted', 'bulk' FROM ffrtmp_data.jobs;
SELECT ffrtmp.repair_usage();
SELECT count(ffrtmp.register_node('scale-' || t || '-node-' || g, cpu_cores => 8, tenant => 'scale-' || t))
  FROM generate_series(1, 10) t, generate_series(1, 3) g;
SELECT node_id AS pool_node, session_token AS pool_token FROM ffrtmp.register_node('pool-1', cpu_cores => 8) \gset
ANALYZE ffrtmp_data.jobs, ffrtmp_data.job_events, ffrtmp_data.nodes, ffrtmp_data.tenants, ffrtmp_data.usage;
CREATE ROLE scale_app LOGIN;
SELECT ffrtmp.add_tenant_role('scale-1', 'scale_app');
SELECT max(j.id) AS own_job FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'scale-1' \gset
SELECT max(j.id) AS other_job FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'scale-2' \gset
\o

-- Sequential scans of a table, and the rows read from it, in this transaction.
CREATE FUNCTION pg_temp.seq_scans(rel regclass) RETURNS bigint LANGUAGE sql AS
$$ SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = rel $$;
CREATE FUNCTION pg_temp.rows_read(rel regclass) RETURNS bigint LANGUAGE sql AS
$$ SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables WHERE relid = rel $$;
GRANT EXECUTE ON FUNCTION pg_temp.seq_scans(regclass), pg_temp.rows_read(regclass) TO scale_app;

-- reads_of(q, rel): runs q as scale_app (or as the superuser) and returns
-- 'seq_scans=N rows=M' for what it read of rel.
CREATE FUNCTION pg_temp.reads_of(q text, rel regclass, as_tenant boolean DEFAULT true) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    scans bigint := pg_temp.seq_scans(rel);
    got bigint := pg_temp.rows_read(rel);
BEGIN
    IF as_tenant THEN
        SET LOCAL ROLE scale_app;
    END IF;
    EXECUTE q;
    RESET ROLE;
    RETURN format('seq_scans=%s rows=%s', pg_temp.seq_scans(rel) - scans, pg_temp.rows_read(rel) - got);
END
$fn$;

SELECT is(pg_temp.reads_of(format('SELECT * FROM ffrtmp.get_job(%s)', :own_job), 'ffrtmp_data.jobs'), 'seq_scans=0 rows=1',
          'get_job reads one job by index');
SELECT throws_ok(format('SELECT pg_temp.reads_of(%L, %L)', format('SELECT * FROM ffrtmp.get_job(%s)', :other_job), 'ffrtmp_data.jobs'),
                 'PT404', NULL, 'another tenant''s job does not exist for it');
SELECT is(pg_temp.reads_of('SELECT count(*) FROM ffrtmp.tenant_jobs()', 'ffrtmp_data.jobs'), 'seq_scans=0 rows=10000',
          'tenant_jobs reads the tenant''s 10,000 jobs by index, none of the other 90,000');
SELECT is(pg_temp.reads_of($$SELECT count(*) FROM ffrtmp.tenant_jobs(state => 'queued')$$, 'ffrtmp_data.jobs'), 'seq_scans=0 rows=10000',
          'and so does tenant_jobs in one state');
SELECT is(pg_temp.reads_of('SELECT count(*) FROM ffrtmp.jobs', 'ffrtmp_data.jobs'), 'seq_scans=0 rows=10000',
          'the jobs view reads the tenant''s own jobs by index');
SELECT is(pg_temp.reads_of($$SELECT * FROM ffrtmp.jobs WHERE idempotency_key = 'key-5'$$, 'ffrtmp_data.jobs'), 'seq_scans=0 rows=10000',
          'and nothing else, whatever the caller''s predicate');
SELECT is(pg_temp.reads_of('SELECT count(*) FROM ffrtmp.job_events', 'ffrtmp_data.job_events'), 'seq_scans=0 rows=10000',
          'the job_events view reads the tenant''s own history by index');
SELECT is(pg_temp.reads_of(format('SELECT count(*) FROM ffrtmp.job_history(%s)', :own_job), 'ffrtmp_data.job_events'), 'seq_scans=0 rows=1',
          'job_history reads one job''s history by index');
SELECT is(pg_temp.reads_of(format('SELECT count(*) FROM ffrtmp.job_history(%s)', :other_job), 'ffrtmp_data.job_events'), 'seq_scans=0 rows=1',
          'another tenant''s job has no history for it (RLS in the function drops the row it found)');
SELECT is(pg_temp.reads_of('SELECT * FROM ffrtmp.tenant_stats()', 'ffrtmp_data.jobs'), 'seq_scans=0 rows=0',
          'tenant_stats reads no job (it reads the counters)');
SELECT is(pg_temp.reads_of($$SELECT * FROM ffrtmp.get_tenant('scale-1')$$, 'ffrtmp_data.jobs'), 'seq_scans=0 rows=0',
          'get_tenant reads no job');
SELECT is(pg_temp.reads_of('SELECT * FROM ffrtmp.list_tenants()', 'ffrtmp_data.jobs'), 'seq_scans=0 rows=0',
          'nor does list_tenants');
SELECT is(pg_temp.reads_of('SELECT count(*) FROM ffrtmp.tenants', 'ffrtmp_data.jobs'), 'seq_scans=0 rows=0',
          'nor the tenants view');
SELECT is((SELECT count(*) FROM ffrtmp.tenants), 11::bigint, 'setup: the superuser sees 11 tenants');
SET ROLE scale_app;
SELECT is((SELECT array_agg(name) FROM ffrtmp.tenants), ARRAY['scale-1'], 'the tenant sees its own');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id <> ffrtmp.current_tenant()), 0::bigint, 'and its own jobs only');
-- (nodes and usage hold a few rows per tenant: there a sequential scan inside
-- the reader is the cheaper plan, and the caller does not see it)
SELECT is((SELECT count(*) FROM ffrtmp.nodes), 3::bigint, 'and its own 3 nodes');
SELECT is((SELECT count(*) FROM ffrtmp.tenant_nodes()), 3::bigint, 'through tenant_nodes too');
SELECT is((SELECT count(*) FROM ffrtmp.job_history(:other_job)), 0::bigint, 'and no history of another tenant''s job');
RESET ROLE;

-- Administrators.
SELECT is(pg_temp.reads_of(format('SELECT * FROM ffrtmp.get_job(%s)', :other_job), 'ffrtmp_data.jobs', false), 'seq_scans=0 rows=1',
          'an administrator''s get_job reads one job');
SELECT is(pg_temp.reads_of($$SELECT count(*) FROM ffrtmp.tenant_jobs('scale-2')$$, 'ffrtmp_data.jobs', false), 'seq_scans=0 rows=10000',
          'an administrator''s tenant_jobs reads that tenant''s jobs only');
SELECT is(pg_temp.reads_of(format('SELECT count(*) FROM ffrtmp.fetch_assigned(%s, %L)', :pool_node, :'pool_token'), 'ffrtmp_data.jobs', false),
          'seq_scans=0 rows=0', 'a shared-pool worker''s fetch reads only the jobs assigned to it, not every job it may see');
SELECT is(pg_temp.reads_of(format('SELECT count(*) FROM ffrtmp.job_history(%s)', :other_job), 'ffrtmp_data.job_events', false),
          'seq_scans=0 rows=1', 'and job_history one job''s events');
SELECT is((SELECT count(*) FROM ffrtmp.jobs), 100000::bigint, 'an administrator''s jobs view shows all 100,000 jobs');

SELECT * FROM finish();
ROLLBACK;
