-- Many submit_job calls in one transaction (docs/quotas.md, "How the checks
-- stay exact"): each take updates its tenant's usage row again, and the
-- versions this transaction wrote cannot be pruned before it ends.  The
-- next take of a tenant reaches its newest version directly, so the usage
-- table is looked up by tenant once per tenant, whatever the number of
-- submits, and most versions are heap-only tuples (no index entry); the
-- counters, the per-tenant sequence numbers and the quotas stay exact
-- across savepoints rolled back and other writers of the row.
BEGIN;
SELECT plan(19);

\o /dev/null
SELECT ffrtmp.create_tenant('ms' || i, plan => 'enterprise') FROM generate_series(1, 4) i;
SELECT ffrtmp.create_tenant('ms-capped', plan => 'enterprise');
SELECT ffrtmp.update_tenant('ms-capped', quotas => '{"max_jobs": 7}');
SELECT ffrtmp.create_tenant('ms-hourly', plan => 'enterprise');
SELECT ffrtmp.update_tenant('ms-hourly', quotas => '{"max_jobs_per_hour": 5}');
\o

-- Scans of the usage table (heap or primary key) by this transaction so far.
CREATE FUNCTION pg_temp.usage_lookups() RETURNS bigint LANGUAGE sql AS $$
    SELECT pg_stat_get_xact_numscans('ffrtmp_data.usage'::regclass)
         + pg_stat_get_xact_numscans('ffrtmp_data.usage_pkey'::regclass)
$$;
-- n submits over the tenants ms1..ms4 in turn, in one statement.
CREATE FUNCTION pg_temp.submit_round_robin(n integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'ms' || (1 + i % 4))) FROM generate_series(1, n) i
$$;
CREATE FUNCTION pg_temp.counters(t text) RETURNS text LANGUAGE sql AS $$
    SELECT format('submitted=%s active=%s queued=%s', u.jobs_submitted, u.active_jobs, u.queued_jobs)
      FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenants n ON n.id = u.tenant_id WHERE n.name = t
$$;
-- The tenant's sequence numbers: 1..count, each once.
CREATE FUNCTION pg_temp.seqs_exact(t text) RETURNS boolean LANGUAGE sql AS $$
    SELECT count(*) = count(DISTINCT j.seq) AND min(j.seq) = 1 AND max(j.seq) = count(*)
      FROM ffrtmp.jobs j JOIN ffrtmp_data.tenants n ON n.id = j.tenant_id WHERE n.name = t
$$;

-- The issue's example, small: one statement, several tenants in turn.
SELECT pg_stat_clear_snapshot();
SELECT pg_temp.usage_lookups() AS before \gset
SELECT is(pg_temp.submit_round_robin(200), 200::bigint, '200 submits over 4 tenants in one statement');
SELECT pg_temp.usage_lookups() AS after_200 \gset
SELECT is((:after_200 - :before)::bigint, 4::bigint, 'the usage table is looked up once per tenant, not once per submit');
SELECT is(pg_temp.submit_round_robin(400), 400::bigint, '400 more in the same transaction');
SELECT is(pg_temp.usage_lookups(), :after_200::bigint,
          'twice as many submits look nothing more up: each reaches the version written last');
SELECT cmp_ok(pg_stat_get_xact_tuples_hot_updated('ffrtmp_data.usage'::regclass) * 6, '>=',
              pg_stat_get_xact_tuples_updated('ffrtmp_data.usage'::regclass) * 5,
              'at least 5 takes in 6 write a heap-only version: no index entry whose unique check visits every earlier one');
SELECT is(pg_temp.counters('ms' || i), 'submitted=150 active=150 queued=150', 'ms' || i || '''s counters are exact')
  FROM generate_series(1, 4) i;
SELECT ok(bool_and(pg_temp.seqs_exact('ms' || i)), 'every tenant''s sequence numbers run 1..150 once each')
  FROM generate_series(1, 4) i;

-- A savepoint rolled back takes its versions with it; the next take must
-- not trust where it wrote last.
SAVEPOINT before_eight;
\o /dev/null
SELECT pg_temp.submit_round_robin(8);
\o
ROLLBACK TO SAVEPOINT before_eight;
SELECT is(pg_temp.submit_round_robin(4), 4::bigint, 'submits after a rollback to a savepoint');
SELECT is(pg_temp.counters('ms1'), 'submitted=151 active=151 queued=151',
          'the rolled-back takes are gone, the new one counted once');
SELECT ok(pg_temp.seqs_exact('ms1'), 'the sequence numbers continue where the kept ones end');

-- Another writer of the row in between (submit_jobs takes under its own statement).
SELECT is((SELECT count(*) FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://"}]', tenant => 'ms2')),
          2::bigint, 'a batch for ms2 in between');
SELECT is(pg_temp.submit_round_robin(4), 4::bigint, 'then single submits again');
SELECT is(pg_temp.counters('ms2'), 'submitted=154 active=154 queued=154', 'every take counted once');

-- Quotas refuse at the limit inside one statement, whole.
SELECT throws_ok($$SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'ms-capped')) FROM generate_series(1, 8)$$,
                 'PT429', 'tenant "ms-capped" has reached its quota of 7 active jobs',
                 'the 8th submit of a statement under max_jobs 7 is refused');
SELECT is((SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'ms-capped')) FROM generate_series(1, 7)),
          7::bigint, '7 fit');
SELECT throws_ok($$SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'ms-hourly')) FROM generate_series(1, 6)$$,
                 'PT429', 'tenant "ms-hourly" has reached its quota of 5 jobs per hour',
                 'the 6th submit of a statement under max_jobs_per_hour 5 is refused');

SELECT * FROM finish();
ROLLBACK;
