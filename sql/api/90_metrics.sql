-- Metrics for Prometheus (docs/metrics.md).  One reader function per metric
-- family returns its samples as rows; ffrtmp.metrics() writes those rows in
-- the text exposition format, and deploy/prometheus/queries.yaml hands the
-- same rows to prometheus-postgres-exporter, so both ways give the same
-- names and the same numbers.  The readers aggregate across tenants for a
-- monitoring role mapped to no tenant: they run as ffrtmp_metrics_reader
-- (BYPASSRLS, SELECT on the few tables below, nothing else) and return only
-- counts and ratios labelled with tenant names, never rows.

-- What the readers may read; only they run as this role.
GRANT USAGE ON SCHEMA ffrtmp_data TO ffrtmp_metrics_reader;
GRANT SELECT ON ffrtmp_data.tenants, ffrtmp_data.plans, ffrtmp_data.usage, ffrtmp_data.jobs,
                ffrtmp_data.job_queue, ffrtmp_data.nodes, ffrtmp_data.tenant_limits, ffrtmp_data.pending_usage,
                ffrtmp_data.current_usage TO ffrtmp_metrics_reader;
-- The monitoring role calls the readers (queries.yaml) and ffrtmp.metrics().
GRANT USAGE ON SCHEMA ffrtmp, ffrtmp_data TO ffrtmp_monitor;

-- Shared memory (src/metrics.c): events counted at the commit of the transaction making them.
CREATE OR REPLACE FUNCTION ffrtmp_data.observe_job_metrics() RETURNS trigger
AS 'MODULE_PATHNAME', 'ffrtmp_observe_job_metrics'
LANGUAGE C;
COMMENT ON FUNCTION ffrtmp_data.observe_job_metrics() IS
    'Trigger: a queued job assigned observes its dispatch latency, a started job reaching a final state its duration, in the histograms of ffrtmp.metrics() when the transaction commits.';
REVOKE ALL ON FUNCTION ffrtmp_data.observe_job_metrics() FROM PUBLIC;
CREATE OR REPLACE TRIGGER jobs_observe_metrics
    AFTER UPDATE OF state ON ffrtmp_data.jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION ffrtmp_data.observe_job_metrics();
COMMENT ON TRIGGER jobs_observe_metrics ON ffrtmp_data.jobs IS
    'Dispatch latency and job duration for ffrtmp.metrics(), counted at commit.';

CREATE OR REPLACE FUNCTION ffrtmp_data.observe_webhook_metrics() RETURNS trigger
AS 'MODULE_PATHNAME', 'ffrtmp_observe_webhook_metrics'
LANGUAGE C;
COMMENT ON FUNCTION ffrtmp_data.observe_webhook_metrics() IS
    'Trigger: a webhook delivery that ends delivered or failed counts once in ffrtmp_webhook_deliveries_total when the transaction commits.';
REVOKE ALL ON FUNCTION ffrtmp_data.observe_webhook_metrics() FROM PUBLIC;
CREATE OR REPLACE TRIGGER webhook_deliveries_observe_metrics
    AFTER UPDATE OF delivery_state ON ffrtmp_data.webhook_deliveries
    FOR EACH ROW WHEN (OLD.delivery_state IS DISTINCT FROM NEW.delivery_state)
    EXECUTE FUNCTION ffrtmp_data.observe_webhook_metrics();
COMMENT ON TRIGGER webhook_deliveries_observe_metrics ON ffrtmp_data.webhook_deliveries IS
    'Deliveries that end (delivered, failed) for ffrtmp.metrics(), counted at commit.';
CREATE OR REPLACE TRIGGER webhook_deliveries_observe_dropped
    AFTER INSERT ON ffrtmp_data.webhook_deliveries
    FOR EACH ROW WHEN (NEW.delivery_state <> 'pending')
    EXECUTE FUNCTION ffrtmp_data.observe_webhook_metrics();
COMMENT ON TRIGGER webhook_deliveries_observe_dropped ON ffrtmp_data.webhook_deliveries IS
    'Deliveries recorded failed at once (a webhook''s backlog at its bound) for ffrtmp.metrics(), counted at commit.';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_histograms(
    OUT metric text, OUT queue text, OUT le double precision[], OUT buckets bigint[],
    OUT sum double precision, OUT count bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_metric_histograms'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.metric_histograms() IS
    'The histograms of ffrtmp.metrics() from shared memory, one row per family and queue (queue NULL for the scheduler''s passes): upper bounds in seconds without +Inf, the cumulative count at each, the sum and the count of observations since the server started.';
ALTER FUNCTION ffrtmp_data.metric_histograms() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.metric_histograms() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.metric_histograms() TO ffrtmp_monitor, ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_webhook_deliveries(OUT outcome text, OUT total bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_metric_webhook_deliveries'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.metric_webhook_deliveries() IS
    'Webhook deliveries ended since the server started, by outcome (delivered, failed), from shared memory.';
ALTER FUNCTION ffrtmp_data.metric_webhook_deliveries() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.metric_webhook_deliveries() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.metric_webhook_deliveries() TO ffrtmp_monitor, ffrtmp_admin;

CREATE OR REPLACE FUNCTION ffrtmp_data.api_request_totals(
    OUT tenant_id uuid, OUT endpoint text, OUT requests bigint, OUT refused bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_api_request_totals'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ffrtmp_data.api_request_totals() IS
    'Every REST API request counter (src/api_requests.c), asking no caller context: for ffrtmp_data.metric_api_requests() alone.';
ALTER FUNCTION ffrtmp_data.api_request_totals() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.api_request_totals() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.api_request_totals() TO ffrtmp_metrics_reader;

CREATE OR REPLACE FUNCTION ffrtmp_data.api_refusal_totals(
    OUT tenant_id uuid, OUT counted_as text, OUT code text, OUT total bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_api_refusal_totals'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.api_refusal_totals() IS
    'The API refusals kept out of the server log since the server started, per caller and SQLSTATE, from shared memory (src/refusal_counts.c): counted_as tenant (tenant_id the tenant''s), admin (an administrator''s, whatever tenant it named), none (no caller known) or other (past the table); for ffrtmp_data.metric_api_refusals() alone.';
ALTER FUNCTION ffrtmp_data.api_refusal_totals() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.api_refusal_totals() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.api_refusal_totals() TO ffrtmp_metrics_reader;
GRANT EXECUTE ON FUNCTION ffrtmp_data.scheduler_shared() TO ffrtmp_metrics_reader;

-- The readers, one per family (or per query of the exporter).
CREATE OR REPLACE FUNCTION ffrtmp_data.metric_tenants(OUT total bigint, OUT active bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT count(*) FILTER (WHERE t.deleted_at IS NULL),
           count(*) FILTER (WHERE ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) = 'active')
      FROM ffrtmp_data.tenants t;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_tenants() IS
    'ffrtmp_tenants (tenants not deleted) and ffrtmp_tenants_active (status in force active).';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_tenant_quota_usage(OUT tenant text, OUT resource text, OUT ratio double precision)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT l.name, r.resource, r.used::double precision / r.lim
      FROM ffrtmp_data.tenant_limits l
      JOIN ffrtmp_data.current_usage u ON u.tenant_id = l.tenant_id
     CROSS JOIN LATERAL (VALUES
              (1, 'jobs', u.active_jobs, l.max_jobs),
              (2, 'workers', u.workers, l.max_workers),
              (3, 'cpu_cores', u.cpu_cores_used, l.max_cpu_cores),
              (4, 'gpus', u.gpus_used, l.max_gpus),
              (5, 'jobs_per_hour',
               ffrtmp_data.jobs_in_hour(u.hour_counts, u.hour_minutes,
                                        floor(extract(epoch FROM now()) / 60)::bigint),
               l.max_jobs_per_hour)) r(ord, resource, used, lim)
     WHERE l.effective_status <> 'deleted' AND r.lim > 0
     ORDER BY l.name, r.ord;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_tenant_quota_usage() IS
    'ffrtmp_tenant_quota_usage_ratio: used over the limit in force, per tenant not deleted and resource (jobs, workers, cpu_cores, gpus, jobs_per_hour), from the usage counters; no row where the limit is unlimited (NULL) or zero.';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_tenant_jobs(OUT tenant text, OUT state text, OUT jobs bigint)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT t.name, j.state, count(*)
      FROM ffrtmp_data.jobs j
      JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
     WHERE t.deleted_at IS NULL
     GROUP BY t.name, j.state
     ORDER BY t.name, j.state;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_tenant_jobs() IS
    'ffrtmp_tenant_jobs: the jobs kept (finished ones until pruning) per tenant not deleted (as ffrtmp_tenants counts them) and state.';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_queues(OUT queue text, OUT depth bigint, OUT oldest_age_seconds double precision)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT q.queue, count(j.job_id),
           coalesce(greatest(extract(epoch FROM now() - min(j.ready_at))::double precision, 0), 0)
      FROM (VALUES (1, 'live'), (2, 'default'), (3, 'batch')) q(ord, queue)
      LEFT JOIN ffrtmp_data.job_queue j ON j.queue = q.queue
     GROUP BY q.ord, q.queue
     ORDER BY q.ord;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_queues() IS
    'ffrtmp_queue_depth and ffrtmp_queue_oldest_age_seconds per queue (live, default, batch): jobs queued, and how long the one waiting longest has been runnable (since greatest(run_after, updated_at), the scheduler''s own measure), 0 when none.';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_scheduler(OUT leader integer, OUT epoch bigint,
                                                        OUT last_pass_age_seconds double precision)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT (s.leader_pid IS NOT NULL
            AND clock_timestamp() - s.last_pass
                <= 3 * current_setting('ffrtmp.scheduler_interval')::interval + interval '5 s')::integer,
           coalesce(s.epoch, 0),
           extract(epoch FROM clock_timestamp() - s.last_pass)::double precision
      FROM ffrtmp_data.scheduler_shared() s;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_scheduler() IS
    'ffrtmp_scheduler_leader (1 when a leader is published and ticking, as ffrtmp.ready() judges), ffrtmp_scheduler_epoch, ffrtmp_scheduler_last_pass_age_seconds (NULL, NaN in the text format, before any pass) of this server.';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_nodes(OUT state text, OUT nodes bigint)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT s.state, count(n.id)
      FROM (VALUES (1, 'online'), (2, 'draining'), (3, 'offline')) s(ord, state)
      LEFT JOIN ffrtmp_data.nodes n ON n.state = s.state
     GROUP BY s.ord, s.state
     ORDER BY s.ord;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_nodes() IS 'ffrtmp_nodes: registered nodes per state (online, draining, offline).';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_api_requests(OUT tenant text, OUT endpoint text,
                                                           OUT total bigint, OUT refused_total bigint)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT coalesce(t.name, '(none)'), c.endpoint, c.requests, c.refused
      FROM ffrtmp_data.api_request_totals() c
      LEFT JOIN ffrtmp_data.tenants t ON t.id = c.tenant_id
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_api_requests() IS
    'ffrtmp_tenant_api_requests_total and ffrtmp_tenant_api_requests_refused_total: ffrtmp.api_request_counts() for every tenant, the tenant-less row labelled (none).';

CREATE OR REPLACE FUNCTION ffrtmp_data.metric_api_refusals(OUT tenant text, OUT code text, OUT total bigint)
RETURNS SETOF record
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE r.counted_as WHEN 'tenant' THEN coalesce(t.name, '(none)') ELSE '(' || r.counted_as || ')' END,
           r.code, r.total
      FROM ffrtmp_data.api_refusal_totals() r
      LEFT JOIN ffrtmp_data.tenants t ON t.id = r.tenant_id
     ORDER BY 1, 2;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_api_refusals() IS
    'ffrtmp_tenant_api_refusals_total: the API refusals kept out of the server log (ffrtmp.log_refusals off) per tenant and SQLSTATE; (admin) for an administrator''s, whatever tenant it named, (none) when no caller was known, (other) past the fixed table.';

DO $readers$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['metric_tenants()', 'metric_tenant_quota_usage()', 'metric_tenant_jobs()',
                             'metric_queues()', 'metric_scheduler()', 'metric_nodes()', 'metric_api_requests()',
                             'metric_api_refusals()'] LOOP
        EXECUTE format('ALTER FUNCTION ffrtmp_data.%s OWNER TO ffrtmp_metrics_reader', f);
        EXECUTE format('REVOKE ALL ON FUNCTION ffrtmp_data.%s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION ffrtmp_data.%s TO ffrtmp_monitor, ffrtmp_admin', f);
    END LOOP;
END
$readers$;

-- The text format (https://prometheus.io/docs/instrumenting/exposition_formats/).
CREATE OR REPLACE FUNCTION ffrtmp_data.metric_families(OUT ord integer, OUT name text, OUT type text, OUT help text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT * FROM (VALUES
        (1, 'ffrtmp_tenants', 'gauge', 'Tenants not deleted.'),
        (2, 'ffrtmp_tenants_active', 'gauge', 'Tenants whose status in force is active.'),
        (3, 'ffrtmp_tenant_quota_usage_ratio', 'gauge', 'Used over limit per tenant and resource; no series when unlimited.'),
        (4, 'ffrtmp_tenant_api_requests_total', 'counter', 'REST API requests per tenant and endpoint since the server started.'),
        (5, 'ffrtmp_tenant_api_requests_refused_total', 'counter', 'REST API requests refused with HTTP 429 per tenant and endpoint.'),
        (6, 'ffrtmp_tenant_jobs', 'gauge', 'Jobs kept per tenant and state.'),
        (7, 'ffrtmp_queue_depth', 'gauge', 'Jobs queued per queue.'),
        (8, 'ffrtmp_queue_oldest_age_seconds', 'gauge', 'Seconds the longest-waiting queued job has been runnable, 0 when none.'),
        (9, 'ffrtmp_dispatch_latency_seconds', 'histogram', 'Seconds from runnable in the queue to assigned to a node.'),
        (10, 'ffrtmp_job_duration_seconds', 'histogram', 'Seconds from started to a final state.'),
        (11, 'ffrtmp_scheduler_leader', 'gauge', '1 when a scheduler leads and ticks, else 0.'),
        (12, 'ffrtmp_scheduler_epoch', 'gauge', 'The scheduler leader''s epoch.'),
        (13, 'ffrtmp_scheduler_last_pass_age_seconds', 'gauge', 'Seconds since the leader''s last pass.'),
        (14, 'ffrtmp_scheduler_pass_duration_seconds', 'histogram', 'Seconds a leader''s pass takes.'),
        (15, 'ffrtmp_nodes', 'gauge', 'Nodes per state.'),
        (16, 'ffrtmp_webhook_deliveries_total', 'counter', 'Webhook deliveries ended per outcome.'),
        (17, 'ffrtmp_tenant_api_refusals_total', 'counter', 'API refusals kept out of the server log per tenant and SQLSTATE.')) f(ord, name, type, help)
    ORDER BY 1;
END;
COMMENT ON FUNCTION ffrtmp_data.metric_families() IS
    'The metric families of ffrtmp.metrics() in their order, with type and help text (docs/metrics.md).';

-- A label value escaped as the text format says: backslash, double quote, newline.
CREATE OR REPLACE FUNCTION ffrtmp_data.metric_label_value(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
RETURN replace(replace(replace(coalesce(value, ''), '\', '\\'), '"', '\"'), E'\n', '\n');
COMMENT ON FUNCTION ffrtmp_data.metric_label_value(text) IS
    'A label value for the Prometheus text format: backslash, double quote and line feed escaped; NULL as empty.';

-- One sample line: name{label="value",...} number.  labels: names and values alternating.
CREATE OR REPLACE FUNCTION ffrtmp_data.metric_sample(name text, labels text[], value double precision) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
RETURN name
    || coalesce('{' || (SELECT string_agg(labels[i] || '="' || ffrtmp_data.metric_label_value(labels[i + 1]) || '"', ',' ORDER BY i)
                          FROM generate_series(1, cardinality(labels), 2) i) || '}', '')
    || ' '
    || CASE WHEN value IS NULL OR value = 'NaN'::double precision THEN 'NaN'
            WHEN value = 'Infinity'::double precision THEN '+Inf'
            WHEN value = '-Infinity'::double precision THEN '-Inf'
            ELSE value::text END
    || E'\n';
COMMENT ON FUNCTION ffrtmp_data.metric_sample(text, text[], double precision) IS
    'One sample line of the Prometheus text format: the name, the labels (names and values alternating, values escaped), the value (NaN for NULL, +Inf, -Inf).';

-- A histogram's lines: cumulative buckets, +Inf (the count), _sum, _count.
CREATE OR REPLACE FUNCTION ffrtmp_data.metric_histogram_lines(name text, labels text[], le double precision[],
                                                              buckets bigint[], sum double precision, count bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
RETURN (SELECT string_agg(ffrtmp_data.metric_sample(name || '_bucket', labels || ARRAY['le', b.bound::text], b.n), '' ORDER BY b.i)
          FROM unnest(le, buckets) WITH ORDINALITY b(bound, n, i))
    || ffrtmp_data.metric_sample(name || '_bucket', labels || ARRAY['le', '+Inf'], count)
    || ffrtmp_data.metric_sample(name || '_sum', labels, sum)
    || ffrtmp_data.metric_sample(name || '_count', labels, count);
COMMENT ON FUNCTION ffrtmp_data.metric_histogram_lines(text, text[], double precision[], bigint[], double precision, bigint) IS
    'The lines of one histogram series in the Prometheus text format: a cumulative _bucket per upper bound and +Inf, _sum, _count.';

DO $helpers$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['metric_families()', 'metric_label_value(text)', 'metric_sample(text, text[], double precision)',
                             'metric_histogram_lines(text, text[], double precision[], bigint[], double precision, bigint)'] LOOP
        EXECUTE format('ALTER FUNCTION ffrtmp_data.%s OWNER TO ffrtmp_owner', f);
        EXECUTE format('REVOKE ALL ON FUNCTION ffrtmp_data.%s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION ffrtmp_data.%s TO ffrtmp_monitor, ffrtmp_admin', f);
    END LOOP;
END
$helpers$;

CREATE OR REPLACE FUNCTION ffrtmp.metrics()
RETURNS text
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    WITH samples(family, series, lines) AS (
        SELECT 'ffrtmp_tenants', '', ffrtmp_data.metric_sample('ffrtmp_tenants', '{}', m.total)
          FROM ffrtmp_data.metric_tenants() m
        UNION ALL
        SELECT 'ffrtmp_tenants_active', '', ffrtmp_data.metric_sample('ffrtmp_tenants_active', '{}', m.active)
          FROM ffrtmp_data.metric_tenants() m
        UNION ALL
        SELECT 'ffrtmp_tenant_quota_usage_ratio', q.tenant || ' ' || q.resource,
               ffrtmp_data.metric_sample('ffrtmp_tenant_quota_usage_ratio', ARRAY['tenant', q.tenant, 'resource', q.resource], q.ratio)
          FROM ffrtmp_data.metric_tenant_quota_usage() q
        UNION ALL
        SELECT 'ffrtmp_tenant_api_requests_total', a.tenant || ' ' || a.endpoint,
               ffrtmp_data.metric_sample('ffrtmp_tenant_api_requests_total', ARRAY['tenant', a.tenant, 'endpoint', a.endpoint], a.total)
          FROM ffrtmp_data.metric_api_requests() a
        UNION ALL
        SELECT 'ffrtmp_tenant_api_requests_refused_total', a.tenant || ' ' || a.endpoint,
               ffrtmp_data.metric_sample('ffrtmp_tenant_api_requests_refused_total', ARRAY['tenant', a.tenant, 'endpoint', a.endpoint], a.refused_total)
          FROM ffrtmp_data.metric_api_requests() a
        UNION ALL
        SELECT 'ffrtmp_tenant_jobs', j.tenant || ' ' || j.state,
               ffrtmp_data.metric_sample('ffrtmp_tenant_jobs', ARRAY['tenant', j.tenant, 'state', j.state], j.jobs)
          FROM ffrtmp_data.metric_tenant_jobs() j
        UNION ALL
        SELECT 'ffrtmp_queue_depth', q.queue,
               ffrtmp_data.metric_sample('ffrtmp_queue_depth', ARRAY['queue', q.queue], q.depth)
          FROM ffrtmp_data.metric_queues() q
        UNION ALL
        SELECT 'ffrtmp_queue_oldest_age_seconds', q.queue,
               ffrtmp_data.metric_sample('ffrtmp_queue_oldest_age_seconds', ARRAY['queue', q.queue], q.oldest_age_seconds)
          FROM ffrtmp_data.metric_queues() q
        UNION ALL
        SELECT h.metric, coalesce(h.queue, ''),
               ffrtmp_data.metric_histogram_lines(h.metric, CASE WHEN h.queue IS NULL THEN '{}' ELSE ARRAY['queue', h.queue] END,
                                                  h.le, h.buckets, h.sum, h.count)
          FROM ffrtmp_data.metric_histograms() h
        UNION ALL
        SELECT 'ffrtmp_scheduler_leader', '', ffrtmp_data.metric_sample('ffrtmp_scheduler_leader', '{}', s.leader)
          FROM ffrtmp_data.metric_scheduler() s
        UNION ALL
        SELECT 'ffrtmp_scheduler_epoch', '', ffrtmp_data.metric_sample('ffrtmp_scheduler_epoch', '{}', s.epoch)
          FROM ffrtmp_data.metric_scheduler() s
        UNION ALL
        SELECT 'ffrtmp_scheduler_last_pass_age_seconds', '',
               ffrtmp_data.metric_sample('ffrtmp_scheduler_last_pass_age_seconds', '{}', s.last_pass_age_seconds)
          FROM ffrtmp_data.metric_scheduler() s
        UNION ALL
        SELECT 'ffrtmp_nodes', n.state, ffrtmp_data.metric_sample('ffrtmp_nodes', ARRAY['state', n.state], n.nodes)
          FROM ffrtmp_data.metric_nodes() n
        UNION ALL
        SELECT 'ffrtmp_webhook_deliveries_total', w.outcome,
               ffrtmp_data.metric_sample('ffrtmp_webhook_deliveries_total', ARRAY['outcome', w.outcome], w.total)
          FROM ffrtmp_data.metric_webhook_deliveries() w
        UNION ALL
        SELECT 'ffrtmp_tenant_api_refusals_total', r.tenant || ' ' || r.code,
               ffrtmp_data.metric_sample('ffrtmp_tenant_api_refusals_total', ARRAY['tenant', r.tenant, 'code', r.code], r.total)
          FROM ffrtmp_data.metric_api_refusals() r)
    SELECT string_agg('# HELP ' || f.name || ' ' || f.help || E'\n# TYPE ' || f.name || ' ' || f.type || E'\n'
                      || coalesce((SELECT string_agg(s.lines, '' ORDER BY s.series) FROM samples s WHERE s.family = f.name), ''),
                      '' ORDER BY f.ord)
      FROM ffrtmp_data.metric_families() f;
END;
COMMENT ON FUNCTION ffrtmp.metrics() IS
    'The platform''s metrics in the Prometheus text exposition format 0.0.4 (HELP and TYPE lines, label values escaped): tenants, quota usage ratios, REST API requests, jobs per tenant and state, queue depth and oldest age, dispatch latency and job duration histograms per queue, scheduler leader, epoch, last pass age and pass duration, nodes per state, webhook deliveries. For ffrtmp_monitor and administrators; deploy/prometheus/queries.yaml gives the same series through prometheus-postgres-exporter (docs/metrics.md).';
ALTER FUNCTION ffrtmp.metrics() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.metrics() TO ffrtmp_monitor, ffrtmp_admin;

-- ffrtmp_monitor's probes: health() and ready() answer it what they answer
-- an anonymous caller (it is no administrator); the executor checks EXECUTE
-- on both branches' functions before it starts (80_operations.sql).
GRANT EXECUTE ON FUNCTION ffrtmp.health(), ffrtmp.ready(), ffrtmp_data.anonymous_probe(),
                          ffrtmp_data.operator_health(), ffrtmp_data.operator_readiness(),
                          ffrtmp_data.scheduler_shared()
    TO ffrtmp_monitor;
