-- ffrtmp.metrics() (docs/metrics.md): the Prometheus text format, the gauges
-- read from the tables after a few tenants, jobs and nodes, escaping, the
-- histograms' shape, and the reach of ffrtmp_monitor.  Histogram and webhook
-- counts change only at commit: test/t/090_metrics_exporter.pl.
BEGIN;
SELECT * FROM no_plan();

\o /dev/null
SELECT ffrtmp.create_tenant('met-a', plan => 'free');
SELECT ffrtmp.create_tenant('met-b', plan => 'basic');
SELECT ffrtmp.create_tenant('met-gone');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'met-gone');
SELECT ffrtmp.delete_tenant('met-gone');
SELECT ffrtmp.update_tenant('met-b', status => 'suspended');
SELECT ffrtmp.submit_job('testsrc://', tenant => 'met-a', cpu_cores => 1) FROM generate_series(1, 3);
SELECT ffrtmp.submit_job('testsrc://', tenant => 'met-a', queue => 'live');
SELECT ffrtmp.register_node('met-pool', cpu_cores => 2, slots => 2);
SELECT ffrtmp.register_node('met-drain', cpu_cores => 2, slots => 2);
SELECT ffrtmp.drain_node((SELECT id FROM ffrtmp_data.nodes WHERE name = 'met-drain'));
SELECT ffrtmp.dispatch();
\o

CREATE TEMP TABLE m AS SELECT ffrtmp.metrics() AS body;
CREATE FUNCTION pg_temp.sample(line_start text) RETURNS text LANGUAGE sql AS $$
    SELECT substr(l, length(line_start) + 2) FROM regexp_split_to_table((SELECT body FROM m), E'\n') l
     WHERE starts_with(l, line_start || ' ')
$$;

-- The format: every family has its HELP and TYPE line, in the catalogue's names.
SELECT is((SELECT count(*) FROM regexp_split_to_table((SELECT body FROM m), E'\n') l WHERE l LIKE '# TYPE %'),
          (SELECT count(*) FROM ffrtmp_data.metric_families()), 'one TYPE line per family');
SELECT ok((SELECT bool_and(position('# HELP ' || f.name || ' ' IN (SELECT body FROM m)) > 0
                       AND position('# TYPE ' || f.name || ' ' || f.type || E'\n' IN (SELECT body FROM m)) > 0)
             FROM ffrtmp_data.metric_families() f), 'and one HELP line');
SELECT ok((SELECT body FROM m) ~ E'\n$', 'the text ends with a line feed');
SELECT is((SELECT count(*) FROM regexp_split_to_table(rtrim((SELECT body FROM m), E'\n'), E'\n') l
            WHERE l !~ '^# (HELP|TYPE) ' AND l !~ '^ffrtmp_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? (NaN|[+-]Inf|-?[0-9.e+-]+)$'),
          0::bigint, 'every other line is one sample: name, escaped labels, a number');

-- Tenants: met-gone is deleted, met-b suspended.
SELECT is(pg_temp.sample('ffrtmp_tenants')::numeric,
          (SELECT count(*) FROM ffrtmp_data.tenants WHERE deleted_at IS NULL)::numeric, 'ffrtmp_tenants counts the tenants not deleted');
SELECT is(pg_temp.sample('ffrtmp_tenants_active')::numeric,
          (SELECT count(*) FROM ffrtmp_data.tenant_limits WHERE effective_status = 'active')::numeric, 'tenants_active the active ones');
SELECT ok(pg_temp.sample('ffrtmp_tenants_active')::numeric < pg_temp.sample('ffrtmp_tenants')::numeric,
          'a suspended tenant counts in total, not in active');

-- Quota usage: free is 10 jobs, 4 cores, 0 GPUs (no series), 100 an hour; 4 jobs submitted, 2 of 1 core assigned.
SELECT is(pg_temp.sample('ffrtmp_tenant_quota_usage_ratio{tenant="met-a",resource="jobs"}'), '0.4', 'jobs: 4 active of 10');
SELECT is(pg_temp.sample('ffrtmp_tenant_quota_usage_ratio{tenant="met-a",resource="cpu_cores"}'), '0.5', 'cpu_cores: 2 held of 4');
SELECT is(pg_temp.sample('ffrtmp_tenant_quota_usage_ratio{tenant="met-a",resource="jobs_per_hour"}'), '0.04', 'jobs_per_hour: 4 of 100');
SELECT is(pg_temp.sample('ffrtmp_tenant_quota_usage_ratio{tenant="met-a",resource="workers"}'), '0', 'workers: no dedicated node of the plan''s 2');
SELECT is(pg_temp.sample('ffrtmp_tenant_quota_usage_ratio{tenant="met-a",resource="gpus"}'), NULL, 'a limit of 0 GPUs gives no series');
\o /dev/null
SELECT ffrtmp.update_tenant('met-a', quotas => '{"max_jobs": null}');
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.metric_tenant_quota_usage() WHERE tenant = 'met-a' AND resource = 'jobs'), 0::bigint,
          'an unlimited quota gives no series');
SELECT is((SELECT count(*) FROM ffrtmp_data.metric_tenant_quota_usage() WHERE tenant = 'met-gone'), 0::bigint,
          'a deleted tenant has none');

-- Jobs by tenant and state, queues, nodes.
SELECT is(pg_temp.sample('ffrtmp_tenant_jobs{tenant="met-a",state="assigned"}'), '2', 'jobs: 2 of met-a assigned');
SELECT is(pg_temp.sample('ffrtmp_tenant_jobs{tenant="met-a",state="queued"}'), '2', 'and 2 queued');
SELECT is((SELECT count(*) FROM regexp_split_to_table((SELECT body FROM m), E'\n') l
            WHERE starts_with(l, 'ffrtmp_tenant_jobs{tenant="met-gone"')), 0::bigint,
          'a deleted tenant''s jobs have no series: ffrtmp_tenant_jobs counts the tenants ffrtmp_tenants counts');
SELECT is(pg_temp.sample('ffrtmp_queue_depth{queue="default"}'),
          (SELECT count(*)::text FROM ffrtmp_data.jobs WHERE state = 'queued' AND queue = 'default'), 'queue depth per queue');
SELECT is(pg_temp.sample('ffrtmp_queue_depth{queue="batch"}'),
          (SELECT count(*)::text FROM ffrtmp_data.jobs WHERE state = 'queued' AND queue = 'batch'), 'every queue has its series');
SELECT ok(pg_temp.sample('ffrtmp_queue_oldest_age_seconds{queue="default"}')::double precision >= 0, 'the oldest age is a number of seconds');
SELECT is(pg_temp.sample('ffrtmp_nodes{state="draining"}'),
          (SELECT count(*)::text FROM ffrtmp_data.nodes WHERE state = 'draining'), 'nodes per state: draining');
SELECT is(pg_temp.sample('ffrtmp_nodes{state="online"}'),
          (SELECT count(*)::text FROM ffrtmp_data.nodes WHERE state = 'online'), 'and online');

-- Histograms: cumulative buckets per queue ending in +Inf = _count, and the scheduler's pass without a queue.
SELECT is((SELECT count(*) FROM ffrtmp_data.metric_histograms() WHERE metric = 'ffrtmp_dispatch_latency_seconds'), 3::bigint,
          'dispatch latency: one series per queue');
SELECT ok(position('ffrtmp_job_duration_seconds_bucket{queue="live",le="86400"} ' IN (SELECT body FROM m)) > 0,
          'job duration buckets reach a day');
SELECT is(pg_temp.sample('ffrtmp_scheduler_pass_duration_seconds_bucket{le="+Inf"}'),
          pg_temp.sample('ffrtmp_scheduler_pass_duration_seconds_count'), 'the +Inf bucket is the count');
SELECT ok((SELECT bool_and(h.buckets = (SELECT array_agg(b ORDER BY i) FROM unnest(h.buckets) WITH ORDINALITY x(b, i))
                          AND (SELECT bool_and(x.b <= h.count) FROM unnest(h.buckets) x(b))
                          AND h.le = (SELECT array_agg(l ORDER BY l) FROM unnest(h.le) l))
             FROM ffrtmp_data.metric_histograms() h), 'bounds ascend and no bucket exceeds the count');
SELECT is(pg_temp.sample('ffrtmp_dispatch_latency_seconds_count{queue="default"}'),
          (SELECT count::text FROM ffrtmp_data.metric_histograms() WHERE metric = 'ffrtmp_dispatch_latency_seconds' AND queue = 'default'),
          'the text and the reader agree: dispatches of this transaction count at its commit only');

-- Escaping: backslash, double quote, line feed in a label value.
SELECT is(ffrtmp_data.metric_sample('x', ARRAY['endpoint', E'/rpc/a"b\\c\nd'], 1), E'x{endpoint="/rpc/a\\"b\\\\c\\nd"} 1\n',
          'a label value has backslash, double quote and line feed escaped');
SELECT is(ffrtmp_data.metric_sample('x', '{}', 'Infinity'), E'x +Inf\n', '+Inf spelt as the format says');
SELECT is(ffrtmp_data.metric_sample('x', '{}', NULL), E'x NaN\n', 'an unknown value is NaN');

-- ffrtmp_monitor: metrics, health and ready, the readers, nothing else.
CREATE ROLE tap_scraper LOGIN IN ROLE ffrtmp_monitor;
CREATE TEMP TABLE admin_view AS SELECT ffrtmp.metrics() AS body;
GRANT SELECT ON admin_view TO tap_scraper;
SET ROLE tap_scraper;
SELECT lives_ok('SELECT ffrtmp.metrics()', 'a scraper in ffrtmp_monitor reads ffrtmp.metrics()');
SELECT is(regexp_replace(ffrtmp.metrics(), E'\nffrtmp_scheduler_last_pass_age_seconds [^\n]*', ''),
          regexp_replace((SELECT body FROM admin_view), E'\nffrtmp_scheduler_last_pass_age_seconds [^\n]*', ''),
          'and gets what an administrator gets (but the clock): it depends on no caller');
SELECT is((ffrtmp.health() ->> 'live')::boolean, true, 'ffrtmp.health() answers it');
SELECT ok(ffrtmp.ready() ? 'ready', 'ffrtmp.ready() too');
SELECT ok(NOT (ffrtmp.health() ? 'leader_pid'), 'with what an anonymous probe gets, not the operator''s detail');
SELECT throws_ok('SELECT ffrtmp.list_tenants()', '42501', NULL, 'an API function is refused');
SELECT throws_ok('SELECT count(*) FROM ffrtmp_data.tenants', '42501', NULL, 'a table is refused');
SELECT throws_ok('SELECT count(*) FROM ffrtmp_data.api_request_totals()', '42501', NULL, 'the readers'' sources are refused');
RESET ROLE;

-- The catalog walk: every function of ffrtmp and ffrtmp_data it may execute
-- beyond what PUBLIC may, and every relation it may touch.
SELECT results_eq($$SELECT p.oid::regprocedure::text FROM pg_proc p
                     WHERE p.pronamespace IN ('ffrtmp'::regnamespace, 'ffrtmp_data'::regnamespace)
                       AND has_function_privilege('tap_scraper', p.oid, 'EXECUTE')
                       AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
                     ORDER BY 1$$,
                  $$VALUES ('ffrtmp.health()'), ('ffrtmp.metrics()'), ('ffrtmp.ready()'),
                           ('ffrtmp_data.anonymous_probe()'), ('ffrtmp_data.metric_api_refusals()'), ('ffrtmp_data.metric_api_requests()'),
                           ('ffrtmp_data.metric_families()'),
                           ('ffrtmp_data.metric_histogram_lines(text,text[],double precision[],bigint[],double precision,bigint)'),
                           ('ffrtmp_data.metric_histograms()'), ('ffrtmp_data.metric_label_value(text)'),
                           ('ffrtmp_data.metric_nodes()'), ('ffrtmp_data.metric_queues()'),
                           ('ffrtmp_data.metric_sample(text,text[],double precision)'), ('ffrtmp_data.metric_scheduler()'),
                           ('ffrtmp_data.metric_tenant_jobs()'), ('ffrtmp_data.metric_tenant_quota_usage()'),
                           ('ffrtmp_data.metric_tenants()'), ('ffrtmp_data.metric_webhook_deliveries()'),
                           ('ffrtmp_data.operator_health()'), ('ffrtmp_data.operator_readiness()'),
                           ('ffrtmp_data.scheduler_shared()')$$,
                  'ffrtmp_monitor executes metrics, health, ready, the metric readers and the probes'' helpers, nothing else');
SELECT is((SELECT count(*) FROM pg_class c
            WHERE c.relnamespace IN ('ffrtmp'::regnamespace, 'ffrtmp_data'::regnamespace) AND c.relkind IN ('r', 'v', 'm', 'S', 'p')
              AND (has_table_privilege('tap_scraper', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                   AND NOT has_table_privilege('public', c.oid, 'SELECT'))), 0::bigint,
          'and reads or writes no table, view or sequence of ffrtmp beyond PUBLIC''s');
SELECT results_eq($$SELECT rolcanlogin, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = 'ffrtmp_monitor'$$,
                  $$VALUES (false, false, false)$$, 'ffrtmp_monitor is a group: no login, no BYPASSRLS');
SELECT results_eq($$SELECT rolcanlogin, rolbypassrls, rolsuper,
                           (SELECT count(*) FROM pg_auth_members WHERE roleid = 'ffrtmp_metrics_reader'::regrole)
                      FROM pg_roles WHERE rolname = 'ffrtmp_metrics_reader'$$,
                  $$VALUES (false, true, false, 0::bigint)$$, 'the readers'' owner cannot log in and is granted to no one');
-- What it may read is what its comment, docs/metrics.md and docs/security.md list.
SELECT set_eq($$SELECT format('%s.%s', c.relnamespace::regnamespace, c.relname) FROM pg_class c
                 WHERE c.relnamespace IN ('ffrtmp'::regnamespace, 'ffrtmp_data'::regnamespace)
                   AND has_table_privilege('ffrtmp_metrics_reader', c.oid, 'SELECT')
                   AND NOT has_table_privilege('public', c.oid, 'SELECT')$$,
              $$VALUES ('ffrtmp_data.tenants'), ('ffrtmp_data.plans'), ('ffrtmp_data.usage'),
                       ('ffrtmp_data.pending_usage'), ('ffrtmp_data.tenant_limits'), ('ffrtmp_data.current_usage'),
                       ('ffrtmp_data.jobs'), ('ffrtmp_data.job_queue'), ('ffrtmp_data.nodes')$$,
              'beyond PUBLIC''s, the readers'' owner reads the tables and views its comment lists, no other');
SELECT is((SELECT count(*) FROM pg_class c
            WHERE c.relnamespace IN ('ffrtmp'::regnamespace, 'ffrtmp_data'::regnamespace)
              AND has_table_privilege('ffrtmp_metrics_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')),
          0::bigint, 'and writes none');

SELECT * FROM finish();
ROLLBACK;
