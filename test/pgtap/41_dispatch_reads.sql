-- A pass reads about a fair share of each waiting tenant's jobs, not as many
-- as there are free slots from every tenant: with many tenants waiting its
-- cost follows the free slots, not tenants times free slots.  The result is
-- the same as reading them all: a tenant far behind the others still gets
-- every slot its fair share gives it (the pass reads again when a tenant it
-- cut short could have ranked higher).
BEGIN;
SELECT plan(7);

-- 200 tenants with 20 queued jobs each, all on the same plan (same weight).
\o /dev/null
SELECT count(ffrtmp.create_tenant('reads-' || g, plan => 'enterprise')) FROM generate_series(1, 200) g;
INSERT INTO ffrtmp_data.jobs (tenant_id, seq, input_url, state_reason)
SELECT t.id, g, 'testsrc://', 'bulk' FROM ffrtmp_data.tenants t, generate_series(1, 20) g
 WHERE t.name LIKE 'reads-%';
SELECT ffrtmp.repair_usage();
\o
ANALYZE ffrtmp_data.jobs;
ANALYZE ffrtmp_data.job_queue;
ANALYZE ffrtmp_data.usage;

-- Jobs read through the two queue indexes in this transaction so far.
CREATE FUNCTION pg_temp.queue_reads() RETURNS bigint LANGUAGE sql AS $$
    SELECT sum(pg_stat_get_xact_tuples_returned(i))::bigint
      FROM unnest(ARRAY['ffrtmp_data.job_queue_priority_idx'::regclass, 'ffrtmp_data.job_queue_ready_idx'::regclass]) i
$$;
CREATE FUNCTION pg_temp.assigned(tenant text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
     WHERE t.name = tenant AND j.state = 'assigned'
$$;

-- 1. Tenant reads-1 is far behind every other tenant: its 20 jobs all rank
-- before any other tenant's, beyond the share of jobs a pass reads first.
UPDATE ffrtmp_data.usage u SET vtime = 100 FROM ffrtmp_data.tenants t
 WHERE t.id = u.tenant_id AND t.name LIKE 'reads-%' AND t.name <> 'reads-1';
\o /dev/null
SELECT ffrtmp.register_node('reads-a', cpu_cores => 64, slots => 30);
\o
SELECT is(ffrtmp_data.dispatch_pass(0), 30, 'a pass fills 30 free slots');
SELECT is(pg_temp.assigned('reads-1'), 20::bigint, 'the tenant far behind gets all of its 20 jobs');
SELECT is((SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'assigned' AND tenant_id <> (SELECT id FROM ffrtmp_data.tenants WHERE name = 'reads-1')),
          10::bigint, 'and the others the 10 slots left');

-- 2. The other 199 tenants level: 50 more free slots go one to each of 50
-- tenants, and the pass reads 8 jobs of each tenant at most (twice a fair
-- share of its 4 x 50 candidates, at least 8), not 20 (all, up to 50).
\o /dev/null
SELECT ffrtmp.register_node('reads-b', cpu_cores => 64, slots => 50);
\o
SELECT pg_temp.queue_reads() AS before \gset
SELECT is(ffrtmp_data.dispatch_pass(0), 50, 'a pass fills 50 free slots');
SELECT cmp_ok(pg_temp.queue_reads() - :before, '<', 2000::bigint,
              'reading about 8 queued jobs of each tenant (1,592), not all their 3,980');
SELECT is((SELECT max(n) FROM (SELECT count(*) AS n FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
                                 WHERE j.state = 'assigned' AND t.name <> 'reads-1' GROUP BY j.tenant_id) c),
          1::bigint, 'one job to each tenant, as fairness wants');

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'counters exact');

SELECT * FROM finish();
ROLLBACK;
