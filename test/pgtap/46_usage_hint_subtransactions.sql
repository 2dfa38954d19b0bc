-- submit_job remembers where this transaction last wrote each tenant's usage
-- row (src/usage_versions.c) and looks there first.  That version can be
-- gone: rolled back with a savepoint or a PL/pgSQL EXCEPTION block, or
-- replaced by another writer of the row (import_job, a retry).  Whatever
-- happened, every submit must take its quota from the row's newest version:
-- job numbers stay consecutive, the counters exact, the limit exact.
BEGIN;
SELECT plan(9);

SELECT NULL FROM ffrtmp.create_tenant('hint-a', plan => 'pro');
SELECT NULL FROM ffrtmp.update_tenant('hint-a', quotas => '{"max_jobs": 11}');
CREATE FUNCTION pg_temp.seqs() RETURNS bigint[] LANGUAGE sql AS $$
    SELECT array_agg(j.seq ORDER BY j.seq) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
     WHERE t.name = 'hint-a'
$$;
CREATE FUNCTION pg_temp.submit(n integer) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM (SELECT ffrtmp.submit_job('testsrc://', tenant => 'hint-a') FROM generate_series(1, n)) s
$$;

-- Nested savepoints: the inner ones rolled back with the outer.
SELECT pg_temp.submit(2);
SAVEPOINT outer_sp;
SELECT pg_temp.submit(2);
SAVEPOINT inner_sp;
SELECT pg_temp.submit(2);
ROLLBACK TO outer_sp;
SELECT is(pg_temp.submit(1), 1::bigint, 'a submit after a rollback past two savepoints');
SELECT is(pg_temp.seqs(), '{1,2,3}'::bigint[], 'takes the next job number of the row as it stands');

-- A PL/pgSQL EXCEPTION block: its submits are undone with it.
DO $$
BEGIN
    PERFORM ffrtmp.submit_job('testsrc://', tenant => 'hint-a');
    PERFORM ffrtmp.submit_job('testsrc://', tenant => 'hint-a');
    RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN NULL;
END
$$;
SELECT is(pg_temp.submit(1), 1::bigint, 'a submit after an EXCEPTION block undid two');
SELECT is(pg_temp.seqs(), '{1,2,3,4}'::bigint[], 'numbers them on');

-- Another writer of the row in between: import_job takes a job number too.
SELECT NULL FROM ffrtmp.import_job('orig-1', 'completed', 'testsrc://', now() - interval '1 hour', now(), tenant => 'hint-a');
SELECT is(pg_temp.submit(1), 1::bigint, 'a submit after import_job wrote the row');

-- A cursor whose submits run between other submits.
DECLARE c CURSOR FOR SELECT ffrtmp.submit_job('testsrc://', tenant => 'hint-a') FROM generate_series(1, 4);
MOVE 2 IN c;
SELECT pg_temp.submit(1);
MOVE 2 IN c;
CLOSE c;
SELECT is(pg_temp.seqs(), '{1,2,3,4,5,6,7,8,9,10,11}'::bigint[], 'the cursor''s and the others'' submits are numbered in turn');

-- The limit is exact: 10 active of 11 (the imported job is completed).
SELECT is(pg_temp.submit(1), 1::bigint, 'the eleventh active job fits');
SELECT throws_ok($$SELECT pg_temp.submit(1)$$, 'PT429', 'tenant "hint-a" has reached its quota of 11 active jobs',
                 'the twelfth is refused');
SELECT is_empty('SELECT * FROM ffrtmp.verify_usage()', 'the counters are exact');

SELECT * FROM finish();
ROLLBACK;
