-- No side channel into other tenants' rows.  A tenant role with no jobs of its
-- own (evil), and one with jobs (acme), run EXPLAIN ANALYZE of equality, range
-- and count(*) queries on every relation and view they can reach (found in the
-- catalog, so a new one is covered at once), and call every API function
-- aimed at another tenant's objects, twice: with the other tenants' rows
-- present, then with them deleted (for acme: globex's; evil's few rows stay).  Every plan, with its row counts, "Rows Removed by Filter", heap
-- fetches, loops and memory, must read the same both times: whatever the plan,
-- it tells the tenant nothing about rows that are not its own.
BEGIN;

-- Setup, as the superuser: acme and globex with jobs (idempotency keys, a
-- canceled one, progress), dedicated nodes, private presets and mapped roles;
-- a shared-pool node; and evil, a tenant with a mapped login role, a node and
-- no jobs.
\o /dev/null
SELECT id AS acme_id FROM ffrtmp.create_tenant('acme', plan => 'pro', display_name => 'Acme Corp') \gset
SELECT id AS globex_id FROM ffrtmp.create_tenant('globex', plan => 'enterprise', metadata => '{"secret": "plans"}') \gset
SELECT id AS evil_id FROM ffrtmp.create_tenant('evil', plan => 'free') \gset
CREATE ROLE sc_acme LOGIN;
CREATE ROLE sc_globex LOGIN;
CREATE ROLE sc_evil LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'sc_acme');
SELECT ffrtmp.add_tenant_role('globex', 'sc_globex');
SELECT ffrtmp.add_tenant_role('evil', 'sc_evil');
SELECT ffrtmp.submit_job('testsrc://', idempotency_key => 'acme-upload-' || g, tenant => 'acme', queue => 'batch')
  FROM generate_series(1, 5) g;
SELECT ffrtmp.submit_job('file:///media/globex/q3-results.mp4', output_url => 'board/q3.mp4',
                         idempotency_key => 'globex-merger-' || g, tenant => 'globex', priority => 'high')
  FROM generate_series(1, 7) g;
SET ROLE sc_globex;
SELECT id AS globex_hook FROM ffrtmp.create_webhook('https://hooks.globex.example/jobs', 'globex-signing-secret', '{canceled,completed}') \gset
RESET ROLE;
SELECT ffrtmp.cancel_job(id) FROM ffrtmp_data.jobs WHERE tenant_id = :'globex_id' AND seq = 1;
SELECT ffrtmp.register_node('globex-gpu-1', cpu_cores => 16, gpus => 2, tenant => 'globex');
SELECT ffrtmp.pause_dispatch('globex', 'batch');
SELECT ffrtmp.register_node('acme-box', cpu_cores => 4, tenant => 'acme');
SELECT ffrtmp.register_node('pool-1', cpu_cores => 8);
INSERT INTO ffrtmp_data.presets (tenant_id, name, params)
VALUES (:'globex_id', 'globex-secret', '{"format": "mp4"}'), (:'acme_id', 'acme-720', '{"format": "mkv"}');
INSERT INTO ffrtmp_data.job_progress (job_id, tenant_id, attempt, progress)
SELECT id, tenant_id, 1, '{"percent": 50}' FROM ffrtmp_data.jobs WHERE tenant_id = :'globex_id' AND seq = 2;
SELECT id AS globex_job FROM ffrtmp_data.jobs WHERE tenant_id = :'globex_id' AND seq = 2 \gset
SELECT id AS globex_node FROM ffrtmp_data.nodes WHERE name = 'globex-gpu-1' \gset
SELECT id AS globex_user FROM ffrtmp.create_user('cfo@globex.example', 'tenant_admin', tenant => 'globex') \gset
SET ROLE sc_evil;
SELECT node_id AS evil_node, session_token AS evil_token FROM ffrtmp.register_node('evil-box', cpu_cores => 1) \gset
RESET ROLE;
-- Every table analyzed now: an autovacuum ANALYZE committing between two
-- probes (of a table CREATE EXTENSION filled, such as function_permissions)
-- would change a plan for reasons that have nothing to do with tenants.
ANALYZE;
\o

-- What a tenant can reach: every relation in the extension's schemas, or
-- belonging to the extension, on which sc_evil has SELECT on the table or on
-- any column.  Queried once as the superuser into the probes below.
CREATE TEMP TABLE reachable AS
SELECT c.oid AS relid, c.oid::regclass::text AS rel
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
   AND (n.nspname IN ('ffrtmp', 'ffrtmp_data')
        OR c.oid IN (SELECT objid FROM pg_depend
                      WHERE classid = 'pg_class'::regclass AND deptype = 'e'
                        AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ffrtmp')))
   AND (has_table_privilege('sc_evil', c.oid, 'SELECT') OR has_any_column_privilege('sc_evil', c.oid, 'SELECT'));

-- One EXPLAIN ANALYZE each: SELECT * and count(*) with =, >=, >, <, <=,
-- IS NOT NULL on every readable column, with the smallest and largest value
-- the column holds (as the superuser sees it: other tenants' values).
-- Each probe's answer is kept four times: as evil (no jobs) and as acme (with
-- jobs of its own), with the other tenants' rows and without them.
CREATE TEMP TABLE probes (id serial PRIMARY KEY, rel text, q text, is_call boolean NOT NULL DEFAULT false,
                          evil_with text, evil_without text, acme_with text, acme_without text);
CREATE FUNCTION pg_temp.add_probes() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
    lo text;
    hi text;
    typed_lo text;
    typed_hi text;
    col text;
BEGIN
    FOR r IN SELECT * FROM reachable ORDER BY rel LOOP
        INSERT INTO probes (rel, q) VALUES (r.rel, format('SELECT * FROM %s', r.rel)),
                                           (r.rel, format('SELECT count(*) FROM %s', r.rel));
        FOR col, typed_lo IN
            SELECT quote_ident(a.attname), format_type(a.atttypid, a.atttypmod)
              FROM pg_attribute a
             WHERE a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped
               AND has_column_privilege('sc_evil', r.relid, a.attnum, 'SELECT')
             ORDER BY a.attnum LOOP
            INSERT INTO probes (rel, q)
            SELECT r.rel, format('SELECT %s FROM %s WHERE %s IS NOT NULL', s, r.rel, col)
              FROM unnest(ARRAY['*', 'count(*)']) s;
            BEGIN  -- types without an ordering (json) get only IS NOT NULL
                EXECUTE format('SELECT min(v)::text, max(v)::text FROM (SELECT %s AS v FROM %s ORDER BY 1) x', col, r.rel)
                   INTO lo, hi;
            EXCEPTION WHEN OTHERS THEN
                CONTINUE;
            END;
            CONTINUE WHEN lo IS NULL;
            typed_hi := format('%L::%s', hi, typed_lo);
            typed_lo := format('%L::%s', lo, typed_lo);
            INSERT INTO probes (rel, q)
            SELECT r.rel, format('SELECT %s FROM %s WHERE %s %s %s', s, r.rel, col, p.op, p.v)
              FROM unnest(ARRAY['*', 'count(*)']) s,
                   (VALUES ('=', typed_lo), ('=', typed_hi), ('>=', typed_lo), ('>', typed_lo),
                           ('<', typed_hi), ('<=', typed_hi)) p(op, v);
        END LOOP;
    END LOOP;
END
$fn$;
SELECT pg_temp.add_probes();

-- The issue's oracle and its range and count(*) variants, whether or not the
-- tenant can read the tables (a refusal is the same refusal both times).
INSERT INTO probes (rel, q) VALUES
    ('oracle', $$SELECT * FROM ffrtmp_data.tenants WHERE name = 'globex'$$),
    ('oracle', $$SELECT count(*) FROM ffrtmp_data.tenants WHERE name >= 'g'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.tenants WHERE id > '80000000-0000-0000-0000-000000000000'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.jobs WHERE idempotency_key >= 'a'$$),
    ('oracle', $$SELECT count(*) FROM ffrtmp_data.jobs WHERE idempotency_key >= 'globex-m'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.jobs WHERE tenant_id > '80000000-0000-0000-0000-000000000000'$$),
    ('oracle', $$SELECT count(*) FROM ffrtmp_data.jobs WHERE id > 0$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.nodes WHERE name = 'globex-gpu-1'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.presets WHERE name >= 'globex'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.tenant_roles WHERE role_name = 'sc_globex'$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.job_events WHERE job_id > 0$$),
    ('oracle', $$SELECT * FROM ffrtmp_data.usage WHERE tenant_id > '00000000-0000-0000-0000-000000000000'$$),
    ('oracle', $$SELECT * FROM ffrtmp.tenants WHERE name = 'globex'$$),
    ('oracle', $$SELECT * FROM ffrtmp.jobs WHERE idempotency_key >= 'a'$$),
    ('oracle', $$SELECT count(*) FROM ffrtmp.jobs WHERE tenant_id > '80000000-0000-0000-0000-000000000000'$$);

-- Every API function a tenant may call, aimed at globex's tenant, job, node,
-- preset and idempotency key: the answer (rows or error) must not depend on
-- whether they exist.  Run for their answer, each in a subtransaction that is
-- rolled back.  Global ids (a new job's or node's id) are left out of the
-- answers: see docs/security.md, "What PostgreSQL shows every role".
INSERT INTO probes (rel, is_call, q)
SELECT 'API calls', true, format(q, :globex_job, :globex_node, :'globex_id', :evil_node, :'evil_token', :globex_hook, :'globex_user') FROM (VALUES
    ($$SELECT * FROM ffrtmp.get_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.job_history(%1$s)$$),
    ($$SELECT * FROM ffrtmp.job_logs(%1$s)$$),
    ($$SELECT * FROM ffrtmp.job_logs(%1$s, attempt => 1)$$),
    ($$SELECT ffrtmp.job_id(7)$$),
    ($$SELECT ffrtmp.job_id(2, tenant => 'globex')$$),
    ($$SELECT * FROM ffrtmp.cancel_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.retry_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.hold_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.release_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.pause_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.resume_job(%1$s)$$),
    ($$SELECT * FROM ffrtmp.get_tenant('globex')$$),
    ($$SELECT * FROM ffrtmp.get_tenant('%3$s')$$),
    ($$SELECT id, name FROM ffrtmp.list_tenants()$$),
    ($$SELECT * FROM ffrtmp.tenant_stats('globex')$$),
    ($$SELECT tenant_name, active_jobs, jobs_available FROM ffrtmp.tenant_stats()$$),
    ($$SELECT * FROM ffrtmp.quota_checks()$$),
    ($$SELECT * FROM ffrtmp.tenant_jobs('globex')$$),
    ($$SELECT count(*) FROM ffrtmp.tenant_jobs()$$),
    ($$SELECT * FROM ffrtmp.tenant_nodes('globex')$$),
    ($$SELECT count(*) FROM ffrtmp.tenant_nodes()$$),
    ($$SELECT seq, state FROM ffrtmp.submit_job('testsrc://', idempotency_key => 'globex-merger-2')$$),
    ($$SELECT seq, preset FROM ffrtmp.submit_job('testsrc://', preset => 'globex-secret')$$),
    ($$SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex')$$),
    ($$SELECT job_index, seq, submitted FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "idempotency_key": "globex-merger-2"}]')$$),
    ($$SELECT job_index, seq FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://", "preset": "globex-secret"}]')$$),
    ($$SELECT seq FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}]', tenant => 'globex')$$),
    ($$SELECT * FROM ffrtmp.wait_for_job(%1$s, '0')$$),
    ($$SELECT node_id IS NOT NULL FROM ffrtmp.register_node('globex-gpu-1', cpu_cores => 1)$$),
    ($$SELECT ffrtmp.node_heartbeat(%2$s, 'guess')$$),
    ($$SELECT * FROM ffrtmp.fetch_assigned(%2$s, 'guess')$$),
    ($$SELECT * FROM ffrtmp.start_job(%1$s, 1, %2$s, 'guess')$$),
    ($$SELECT ffrtmp.report_progress(%1$s, 1, %2$s, 'guess', '{}')$$),
    ($$SELECT * FROM ffrtmp.finish_job(%1$s, 1, %2$s, 'guess', 'completed')$$),
    ($$SELECT * FROM ffrtmp.start_jobs(%2$s, 'guess', ARRAY[%1$s]::bigint[], ARRAY[1])$$),
    ($$SELECT * FROM ffrtmp.finish_jobs(%2$s, 'guess', '[{"job_id": %1$s, "attempt": 1, "outcome": "completed"}]')$$),
    ($$SELECT * FROM ffrtmp.start_jobs(%4$s, '%5$s', ARRAY[%1$s]::bigint[], ARRAY[1])$$),
    ($$SELECT * FROM ffrtmp.finish_jobs(%4$s, '%5$s', '[{"job_id": %1$s, "attempt": 1, "outcome": "completed"}]')$$),
    ($$SELECT * FROM ffrtmp.start_job(%1$s, 1, %4$s, '%5$s')$$),
    ($$SELECT ffrtmp.report_progress(%1$s, 1, %4$s, '%5$s', '{}')$$),
    ($$SELECT ffrtmp.append_job_log(%1$s, 1, %2$s, 'guess', '[]')$$),
    ($$SELECT ffrtmp.append_job_log(%1$s, 1, %4$s, '%5$s', '[]')$$),
    ($$SELECT * FROM ffrtmp.finish_job(%1$s, 1, %4$s, '%5$s', 'failed', error => 'x', failure_reason => 'input_error')$$),
    ($$SELECT count(*) FROM ffrtmp.fetch_assigned(%4$s, '%5$s')$$),
    ($$SELECT ffrtmp.node_heartbeat(%4$s, '%5$s', ARRAY[%1$s]::bigint[])$$),
    ($$SELECT ffrtmp.pause_dispatch('globex')$$),
    ($$SELECT ffrtmp.pause_dispatch('%3$s', 'batch')$$),
    ($$SELECT ffrtmp.resume_dispatch('globex', 'batch')$$),
    ($$SELECT ffrtmp.pause_dispatch(queue => 'batch')$$),
    ($$SELECT ffrtmp.resume_dispatch()$$),
    ($$SELECT * FROM ffrtmp.node_attempts(%2$s, 'guess')$$),
    ($$SELECT count(*) FROM ffrtmp.node_attempts(%4$s, '%5$s')$$),
    ($$SELECT * FROM ffrtmp.drain_node(%2$s)$$),
    ($$SELECT ffrtmp.leave_node(%2$s, 'guess')$$),
    ($$SELECT ffrtmp.remove_node(%2$s)$$),
    ($$SELECT count(*) FROM ffrtmp.list_webhooks()$$),
    ($$SELECT count(*) FROM ffrtmp.list_api_keys()$$),
    ($$SELECT count(*) FROM ffrtmp.audit_events()$$),
    ($$SELECT count(*) FROM ffrtmp.audit_events(tenant => 'globex')$$),
    ($$SELECT key_id IS NOT NULL FROM ffrtmp.create_api_key('probe')$$),
    ($$SELECT * FROM ffrtmp.revoke_api_key('0000000000000000')$$),
    ($$SELECT * FROM ffrtmp.rotate_api_key('0000000000000000')$$),
    ($$SELECT ffrtmp.authenticate('ffrtmp_0000000000000000_guess')$$),
    -- PostgREST's pre-request function, with request headers naming another tenant (a no-op outside the authenticator).
    ($$SELECT set_config('request.headers', '{"x-tenant-id": "globex"}', true) IS NOT NULL, ffrtmp.pre_request() IS NULL$$),
    -- The REST request counters: a tenant sees its own tenant's rows only.
    ($$SELECT count(*) FROM ffrtmp.api_request_counts()$$),
    ($$SELECT count(*) FROM ffrtmp.list_invitations()$$),
    ($$SELECT token IS NOT NULL FROM ffrtmp.invite_user('probe@globex.example', 'viewer')$$),
    ($$SELECT * FROM ffrtmp.revoke_invitation('00000000-0000-0000-0000-000000000001')$$),
    ($$SELECT email FROM ffrtmp.accept_invitation('ffrtmp_invite_guess')$$),
    ($$SELECT * FROM ffrtmp.delete_webhook(%6$s)$$),
    ($$SELECT url, events FROM ffrtmp.create_webhook('https://hooks.globex.example/jobs', 'globex-signing-secret', '{completed}')$$),
    ($$SELECT count(*) FROM ffrtmp.webhook_deliveries(job => %1$s - 1)$$),
    ($$SELECT count(*) FROM ffrtmp.webhook_deliveries(webhook => %6$s)$$),
    ($$SELECT count(*) FROM ffrtmp.webhook_deliveries()$$),
    ($$SELECT * FROM ffrtmp.get_user('%7$s')$$),
    ($$SELECT email FROM ffrtmp.update_user('%7$s', display_name => 'x')$$),
    ($$SELECT email FROM ffrtmp.disable_user('%7$s')$$),
    ($$SELECT email FROM ffrtmp.delete_user('%7$s')$$),
    ($$SELECT email FROM ffrtmp.restore_user('%7$s')$$),
    ($$SELECT email FROM ffrtmp.list_users('globex')$$),
    ($$SELECT count(*) FROM ffrtmp.list_users(include_deleted => true)$$),
    ($$SELECT email, tenant FROM ffrtmp.create_user('cfo@globex.example', 'viewer')$$),
    ($$SELECT email FROM ffrtmp.create_user('spy@globex.example', 'viewer', tenant => 'globex')$$),
    ($$SELECT ffrtmp.caller_role()$$),
    ($$SELECT ffrtmp.has_permission('users.manage')$$),
    ($$SELECT ffrtmp_data.require_permission('users.manage')$$),
    ($$SELECT ffrtmp_data.normalize_email('CFO@globex.example')$$),
    ($$SELECT ffrtmp_data.is_email('cfo@globex.example')$$)) c(q);

-- Runs every probe as the current role and keeps each plan's text (or the
-- answer, or the error) in column seen_as.
CREATE FUNCTION pg_temp.run_probes(seen_as text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    p record;
    line text;
    seen text;
BEGIN
    FOR p IN SELECT id, q, is_call FROM probes ORDER BY id LOOP
        seen := '';
        BEGIN
            IF p.is_call THEN
                EXECUTE format('SELECT coalesce(json_agg(x ORDER BY x::text)::text, ''[]'') FROM (%s) x', p.q) INTO seen;
                RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = seen;  -- undoes what the call did
            END IF;
            FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || p.q LOOP
                seen := seen || line || E'\n';
            END LOOP;
        EXCEPTION WHEN OTHERS THEN
            seen := CASE WHEN SQLSTATE = 'PTRES' THEN SQLERRM ELSE 'error ' || SQLSTATE || ': ' || SQLERRM END;
        END;
        EXECUTE format('UPDATE probes SET %I = $1 WHERE id = $2', seen_as) USING seen, p.id;
    END LOOP;
END
$fn$;
GRANT SELECT, UPDATE ON probes TO sc_evil, sc_acme;

SELECT plan((SELECT count(DISTINCT rel)::integer FROM probes) + 20);

SET ROLE sc_evil;
SELECT pg_temp.run_probes('evil_with');
SET ROLE sc_acme;
SELECT pg_temp.run_probes('acme_with');
RESET ROLE;

SELECT array_agg(name ORDER BY name)::text AS builtins FROM ffrtmp_data.presets WHERE tenant_id IS NULL \gset
SET ROLE sc_evil;
SELECT is((SELECT array_agg(name ORDER BY name) FROM ffrtmp.presets)::text, :'builtins',
          'the built-in presets are everyone''s (and globex''s and acme''s own are not)');
RESET ROLE;

-- The rows of every tenant but those kept go (and the shared pool's nodes,
-- which tenants do not see), from every table that has tenant rows; built-in
-- presets stay.  First globex's, then acme's as well.
SET LOCAL session_replication_role = replica;
-- The audit log's append-only triggers fire even in replica mode: a
-- superuser gets past them only by disabling them (in this transaction).
ALTER TABLE ffrtmp_data.audit_log DISABLE TRIGGER audit_log_append_only;
CREATE FUNCTION pg_temp.forget_others(keep uuid[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT c.oid::regclass AS rel, c.relname
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
              WHERE n.nspname = 'ffrtmp_data' AND c.relkind = 'r' LOOP
        EXECUTE format('DELETE FROM %s WHERE (tenant_id = ANY ($1)) IS NOT TRUE%s', t.rel,
                       CASE WHEN t.relname = 'presets' THEN ' AND tenant_id IS NOT NULL' ELSE '' END)
          USING keep;
    END LOOP;
    DELETE FROM ffrtmp_data.tenants WHERE id <> ALL (keep);
END
$fn$;
SELECT pg_temp.forget_others(ARRAY[:'acme_id', :'evil_id']::uuid[]);
SET ROLE sc_acme;
SELECT pg_temp.run_probes('acme_without');
RESET ROLE;
SELECT pg_temp.forget_others(ARRAY[:'evil_id']::uuid[]);
RESET session_replication_role;
SELECT is((SELECT count(*) FROM ffrtmp.tenants), 1::bigint, 'setup: only evil is left');
SET ROLE sc_evil;
SELECT pg_temp.run_probes('evil_without');
RESET ROLE;

SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND has_function_privilege('sc_evil', p.oid, 'EXECUTE')
                     AND NOT EXISTS (SELECT 1 FROM probes WHERE q LIKE '%' || n.nspname || '.' || p.proname || '(%')
                     -- what policies, views, types and casts call: answers that depend on the caller or the arguments only
                     AND p.proname NOT IN ('current_tenant', 'caller_is_admin', 'actor', 'effective_status', 'jobs_in_hour',
                                           'quota_left', 'priority_in', 'priority_out', 'priority_from_int',
                                           'webhook_policy_tenant', 'caller_is_webhook_sender', 'webhook_fingerprint')
                     -- the readers behind the views, probed through them
                     AND NOT (n.nspname = 'ffrtmp_data' AND p.proname LIKE 'read\_%')$$,
                'setup: every function a tenant may execute is probed');
SELECT cmp_ok((SELECT count(*) FROM probes WHERE rel <> 'oracle'), '>', 300::bigint,
              'setup: hundreds of probes over what the tenant can reach');
SELECT ok((SELECT bool_and(rel IN (SELECT rel FROM reachable))
             FROM unnest(ARRAY['ffrtmp.tenants', 'ffrtmp.jobs', 'ffrtmp.job_events', 'ffrtmp.nodes',
                               'ffrtmp.presets', 'ffrtmp.tenant_roles', 'ffrtmp.job_progress']) rel),
          'setup: the API views are among them');
SELECT is_empty($$SELECT q FROM probes WHERE num_nulls(evil_with, evil_without, acme_with, acme_without) > 0$$,
                'setup: every probe ran four times');

SELECT is_empty(format($$SELECT format(E'%%s\n-- as %%s with other tenants:\n%%s\n-- without:\n%%s', q, who, seen_with, seen_without)
                           FROM probes, LATERAL (VALUES ('evil', evil_with, evil_without), ('acme', acme_with, acme_without))
                                        v(who, seen_with, seen_without)
                          WHERE rel = %L AND seen_with <> seen_without ORDER BY id, who$$, rel),
                CASE WHEN rel = 'oracle' THEN 'the issue''s oracle and its range and count(*) variants learn nothing'
                     WHEN rel = 'API calls' THEN 'every API function answers the same whether or not globex''s objects exist'
                     ELSE 'EXPLAIN ANALYZE on ' || rel || ' reads the same whether or not other tenants have rows, for a tenant with rows and one without' END)
  FROM (SELECT DISTINCT rel FROM probes) r ORDER BY rel;

-- The tables that hold tenant rows are not readable at all, so their planner
-- statistics (most common values, histograms) are not shown either.
SELECT is_empty($$SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'ffrtmp_data' AND c.relkind IN ('r', 'v', 'm')
                     AND (c.relrowsecurity OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'))
                     AND (has_table_privilege('ffrtmp_tenant', c.oid, 'SELECT')
                          OR has_any_column_privilege('ffrtmp_tenant', c.oid, 'SELECT'))$$,
                'ffrtmp_tenant may not read any table or column holding tenant rows');
SELECT is_empty($$SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND c.relkind = 'S'
                     AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('sc_evil', c.oid, 'SELECT, USAGE, UPDATE') END$$,
                'nor any id sequence (their values count every tenant''s rows)');
SET ROLE sc_evil;
SELECT is((SELECT count(*) FROM pg_stats WHERE schemaname = 'ffrtmp_data'
            AND tablename IN ('tenants', 'jobs', 'job_events', 'nodes', 'presets', 'tenant_roles', 'usage', 'job_progress')),
          0::bigint, 'pg_stats shows the tenant no statistics of tables holding tenant rows');
RESET ROLE;

-- No CREATE anywhere: a function that tenant A creates runs, when tenant B
-- calls it, as A's code acting for B.  (Temporary schemas are per session:
-- has_schema_privilege answers for this session's own pg_temp, so they are
-- left out.)
SELECT is_empty($$SELECT nspname FROM pg_namespace
                   WHERE nspname !~ '^pg_(toast_)?temp_' AND has_schema_privilege('sc_evil', oid, 'CREATE')$$,
                'a mapped role may create nothing in any schema');
SELECT is(has_database_privilege('sc_evil', current_database(), 'CREATE'), false, 'nor create schemas');

CREATE ROLE sc_creator LOGIN;
GRANT CREATE ON SCHEMA public TO sc_creator;
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('evil', 'sc_creator')$$, '22023',
                 'role "sc_creator" may create objects in schema public', 'add_tenant_role refuses a role with CREATE on a schema');
CREATE ROLE sc_schema_makers NOLOGIN;
CREATE ROLE sc_member LOGIN IN ROLE sc_schema_makers;
GRANT CREATE ON DATABASE :"DBNAME" TO sc_schema_makers;
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('evil', 'sc_member')$$, '22023', NULL,
                 'and a role that may create schemas through a group it belongs to');
REVOKE CREATE ON DATABASE :"DBNAME" FROM sc_schema_makers;
GRANT CREATE ON SCHEMA public TO PUBLIC;
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('evil', 'sc_member')$$, '22023', 'role "sc_member" may create objects in schema public',
                 'and any role while PUBLIC may create in a schema');
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT lives_ok($$SELECT ffrtmp.add_tenant_role('evil', 'sc_member')$$, 'once revoked, the role can be mapped');

SELECT ok(NOT (ffrtmp.ready() -> 'problems') @> '["role \"sc_evil\" acts for a tenant and may create objects in schema public"]',
          'ready() has nothing to say about sc_evil');
GRANT CREATE ON SCHEMA public TO sc_evil;
SELECT ok((ffrtmp.ready() -> 'problems') @> '["role \"sc_evil\" acts for a tenant and may create objects in schema public"]',
          'ready() reports a mapped role that was granted CREATE later');
REVOKE CREATE ON SCHEMA public FROM sc_evil;
GRANT SELECT (id, idempotency_key) ON ffrtmp_data.jobs TO sc_evil;
SELECT ok((ffrtmp.ready() -> 'problems') @> '["role \"sc_evil\" acts for a tenant and may read ffrtmp_data.jobs directly"]',
          'and one that was granted SELECT on a table with tenant rows');
REVOKE SELECT (id, idempotency_key) ON ffrtmp_data.jobs FROM sc_evil;
GRANT USAGE ON SEQUENCE ffrtmp_data.jobs_id_seq TO sc_evil;
SELECT ok((ffrtmp.ready() -> 'problems') @> '["role \"sc_evil\" acts for a tenant and may read sequence ffrtmp_data.jobs_id_seq"]',
          'and one that was granted a global id sequence');
REVOKE USAGE ON SEQUENCE ffrtmp_data.jobs_id_seq FROM sc_evil;
SELECT is((SELECT count(*) FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p WHERE p LIKE 'role %'), 0::bigint,
          'ready() is quiet again once both are revoked');

SELECT * FROM finish();
ROLLBACK;
