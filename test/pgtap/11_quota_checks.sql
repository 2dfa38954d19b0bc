-- Quotas: one table drives every check (src/quota_checks.c, shown by
-- ffrtmp.quota_checks()).
--
-- The test iterates over that table, so a quota added to it is tested here
-- at once.  First the schema agrees with the table: every quota is a plan
-- column and a tenant_limits column, update_tenant accepts exactly these
-- keys, and tenant_stats has its used and available columns.  Then, for
-- every quota, a tenant of its own with only that quota set (to 2) is
-- brought to the limit by the changes that take it, and:
--   - the next such change is refused with the quota's own PT429 message
--     and hint (never "usage kept changing", which is what a condition of
--     the submit statement missing from its explanation would give);
--   - a quota taken at dispatch refuses at submit a job that alone exceeds
--     it (22023), and so does retry_job for such a job submitted before the
--     limit was lowered (else no pass would ever run it), and a dispatch
--     pass assigns up to the limit, never past, while such a job still
--     queued does not hold up the tenant's jobs behind it;
--   - tenant_stats reports used = the limit and 0 available.
BEGIN;
SELECT * FROM no_plan();

\o /dev/null
-- A shared pool large enough that only quotas limit what is dispatched.
SELECT ffrtmp.register_node('qc-pool', cpu_cores => 256, gpus => 16, slots => 200);
\o

-- ---- The table and the schema agree ----------------------------------------

SELECT ok((SELECT count(*) > 0 FROM ffrtmp.quota_checks()), 'the quota table has rows');
SELECT is((SELECT count(DISTINCT quota) FROM ffrtmp.quota_checks()), (SELECT count(*) FROM ffrtmp.quota_checks()),
          'each quota is listed once');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks()
            WHERE quota !~ '^[a-z_][a-z0-9_]*$' OR used_column !~ '^[a-z_][a-z0-9_]*$'
               OR available_column !~ '^[a-z_][a-z0-9_]*$' OR coalesce(job_column, 'x') !~ '^[a-z_][a-z0-9_]*$'),
          0::bigint, 'the table''s identifiers are plain lower-case names (statements are built from them)');
SELECT set_eq($$SELECT attname::text FROM pg_attribute
                WHERE attrelid = 'ffrtmp_data.plans'::regclass AND attnum > 0 AND NOT attisdropped
                  AND attname NOT IN ('name', 'weight', 'description',
                                      -- the REST API rate, kept in shared memory (src/api_requests.c)
                                      'max_api_requests_per_minute')$$,
              $$SELECT quota FROM ffrtmp.quota_checks()$$,
              'the plans'' limit columns are exactly the quotas of the table');
SELECT is((SELECT count(*)
             FROM ffrtmp.quota_checks() q, unnest(ARRAY['ffrtmp_data.tenant_limits', 'ffrtmp.tenants', 'ffrtmp.plans']) rel
            WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                               WHERE a.attrelid = rel::regclass AND a.attname = q.quota AND a.atttypid = 'integer'::regtype)),
          0::bigint, 'tenant_limits and the tenants and plans views have every quota');
SELECT set_eq($$SELECT attname::text FROM pg_attribute
                WHERE attrelid = 'ffrtmp.tenant_stats'::regclass AND attnum > 0 AND NOT attisdropped
                  AND atttypid = 'integer'::regtype AND attname NOT IN ('queued_jobs', 'running_jobs')$$,
              $$SELECT used_column FROM ffrtmp.quota_checks() UNION ALL SELECT available_column FROM ffrtmp.quota_checks()$$,
              'tenant_stats reports each quota''s usage and what is left, and no quota the table lacks');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks() q
            WHERE q.job_column IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                               WHERE a.attrelid = 'ffrtmp_data.jobs'::regclass AND a.attname = q.job_column)),
          0::bigint, 'what a job takes of a quota is a column of jobs');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks()
            WHERE (taken_at && ARRAY['retry', 'node']) AND job_column IS NOT NULL),
          0::bigint, 'quotas taken at retry or node registration count one per job or node');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks() WHERE cardinality(taken_at) = 0),
          0::bigint, 'every quota is taken by some change');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks()
            WHERE submit_sqlstate IS DISTINCT FROM
                  CASE WHEN 'submit' = ANY (taken_at) THEN 'PT429'
                       WHEN 'dispatch' = ANY (taken_at) AND job_column IS NOT NULL THEN '22023' END),
          0::bigint, 'submit_job checks the quotas it takes (PT429) and those a job must fit under (22023)');

-- update_tenant accepts every quota of the table and names them all when refusing another.
\o /dev/null
SELECT ffrtmp.create_tenant('qc-keys');
\o
SELECT lives_ok(format('SELECT ffrtmp.update_tenant(%L, quotas => %L)', 'qc-keys',
                       (SELECT jsonb_object_agg(quota, 7) FROM ffrtmp.quota_checks())),
                'update_tenant accepts every quota of the table');
SELECT is((SELECT count(*) FROM ffrtmp.quota_checks() q, ffrtmp.tenants t
            WHERE t.name = 'qc-keys' AND (to_jsonb(t) ->> q.quota) IS DISTINCT FROM '7'),
          0::bigint, 'and each is in force in ffrtmp.tenants');

-- The error of a statement: SQLSTATE, message and hint, or 'ok'.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    state text;
    message text;
    hint text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || message || ' (' || hint || ')';
END
$fn$;

SELECT is(pg_temp.error_of($$SELECT ffrtmp.update_tenant('qc-keys', quotas => '{"max_bananas": 1}')$$),
          format('22023: unknown quota "max_bananas" (The quotas are %s and max_api_requests_per_minute.)',
                 (SELECT string_agg(quota, ', ' ORDER BY n)
                    FROM ffrtmp.quota_checks() WITH ORDINALITY c(quota, unit, job_column, taken_at, submit_sqlstate,
                                                                 hint, used_column, available_column, n))),
          'an unknown quota is refused with the list of the table''s quotas and the API rate');

-- ---- Every quota, at its limit ----------------------------------------------

/*
 * Brings a tenant of its own to the limit (2) of quota q, the others
 * unlimited, through the changes that take q, and checks every place that
 * enforces or reports it.  Returns pgTAP lines.
 */
CREATE FUNCTION pg_temp.check_at_limit(q record) RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
    t text := 'qc-' || replace(q.quota, '_', '-');
    lim constant integer := 2;
    demand text := CASE WHEN q.job_column IS NULL THEN '' ELSE format(', %I => 1', q.job_column) END;
    submit text := format('SELECT (ffrtmp.submit_job(%L, tenant => %L%s)).id', 'testsrc://', t, demand);
    full_room text := format('PT429: tenant "%s" has reached its quota of %s %s (%s)', t, lim, q.unit, q.hint);
    spare bigint;
    too_big bigint;
    stuck bigint;
    stats jsonb;
BEGIN
    PERFORM ffrtmp.create_tenant(t, plan => 'enterprise');
    PERFORM ffrtmp.update_tenant(t, quotas => (SELECT jsonb_object_agg(c.quota, NULL::integer) FROM ffrtmp.quota_checks() c));
    IF 'retry' = ANY (q.taken_at) THEN
        -- A job to retry once the tenant is at the limit.
        EXECUTE submit INTO spare;
        PERFORM ffrtmp.cancel_job(spare);
    END IF;
    IF 'dispatch' = ANY (q.taken_at) THEN
        -- A job bigger than the limit about to be set, to retry under it.
        EXECUTE format('SELECT (ffrtmp.submit_job(%L, tenant => %L, %I => %s)).id', 'testsrc://', t, q.job_column, lim + 1)
           INTO too_big;
        PERFORM ffrtmp.cancel_job(too_big);
        EXECUTE format('SELECT (ffrtmp.submit_job(%L, tenant => %L, %I => %s)).id', 'testsrc://', t, q.job_column, lim + 1)
           INTO stuck;
    END IF;
    PERFORM ffrtmp.update_tenant(t, quotas => jsonb_build_object(q.quota, lim));

    IF 'submit' = ANY (q.taken_at) THEN
        FOR i IN 1 .. lim LOOP
            EXECUTE submit;
        END LOOP;
        RETURN NEXT is(pg_temp.error_of(submit), full_room,
                       format('%s: submit_job at the limit is refused with the quota''s own message', q.quota));
    END IF;
    IF 'retry' = ANY (q.taken_at) THEN
        RETURN NEXT is(pg_temp.error_of(format('SELECT ffrtmp.retry_job(%s)', spare)), full_room,
                       format('%s: retry_job at the limit is refused with the quota''s own message', q.quota));
    END IF;
    IF 'node' = ANY (q.taken_at) THEN
        FOR i IN 1 .. lim LOOP
            PERFORM ffrtmp.register_node(t || '-' || i, cpu_cores => 4, tenant => t);
        END LOOP;
        RETURN NEXT is(pg_temp.error_of(format('SELECT ffrtmp.register_node(%L, cpu_cores => 4, tenant => %L)', t || '-x', t)),
                       full_room, format('%s: register_node at the limit is refused with the quota''s own message', q.quota));
    END IF;
    IF 'dispatch' = ANY (q.taken_at) THEN
        RETURN NEXT is(pg_temp.error_of(format('SELECT ffrtmp.submit_job(%L, tenant => %L, %I => %s)',
                                               'testsrc://', t, q.job_column, lim + 1)),
                       format('22023: job needs %s %s but tenant "%s" may use at most %s (%s)', lim + 1, q.unit, t, lim, q.hint),
                       format('%s: submit_job refuses a job that alone exceeds the quota', q.quota));
        RETURN NEXT is(pg_temp.error_of(format('SELECT ffrtmp.retry_job(%s)', too_big)),
                       format('22023: job needs %s %s but tenant "%s" may use at most %s (%s)', lim + 1, q.unit, t, lim, q.hint),
                       format('%s: retry_job refuses it too for a job submitted before the limit was lowered', q.quota));
        RETURN NEXT is((SELECT state FROM ffrtmp.jobs WHERE id = too_big), 'canceled',
                       format('%s: and the job stays as it was', q.quota));
        FOR i IN 1 .. lim + 2 LOOP
            EXECUTE submit;
        END LOOP;
        PERFORM ffrtmp.dispatch();
        PERFORM ffrtmp.dispatch();
        RETURN NEXT is((SELECT count(*) FROM ffrtmp.jobs j JOIN ffrtmp.tenants x ON x.id = j.tenant_id
                         WHERE x.name = t AND j.state = 'assigned'),
                       lim::bigint, format('%s: dispatch assigns up to the limit and no more', q.quota));
        RETURN NEXT is((SELECT state FROM ffrtmp.jobs WHERE id = stuck), 'queued',
                       format('%s: a job queued before the limit was lowered below it stays queued, behind none', q.quota));
    END IF;

    stats := to_jsonb(ffrtmp.tenant_stats(t));
    RETURN NEXT is(stats ->> q.used_column, lim::text, format('%s: tenant_stats shows the limit used (%s)', q.quota, q.used_column));
    RETURN NEXT is(stats ->> q.available_column, '0', format('%s: and nothing available (%s)', q.quota, q.available_column));
END
$fn$;

SELECT pg_temp.check_at_limit(q) FROM ffrtmp.quota_checks() q;

SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'the counters stay exact');

SELECT * FROM finish();
ROLLBACK;
