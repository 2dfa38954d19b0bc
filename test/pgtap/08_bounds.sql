-- Everything a tenant or a node can store is bounded.
--
-- The walk: every function of schema ffrtmp that a tenant role or an
-- administrator may execute, found in the catalog, is called once per text,
-- json, jsonb and array argument with an oversized value in that argument
-- (1 MB of text, 1 MB of JSON as an object and as an array of 10,000, JSON
-- nested 100 deep, 100,000-element arrays, a 1 MB array element) and valid
-- values in the others.  Each call must be
-- refused with SQLSTATE 22023 (HTTP 400) and a short message that names the
-- argument, and store nothing.  A function that has such arguments but no
-- valid base call in pg_temp.base fails the test: a new function cannot be
-- left out.  Then the issue's own examples, control characters, how errors
-- echo a value, and the bound on a tenant's (and the pool's) offline nodes.
BEGIN;
SELECT * FROM no_plan();

\o /dev/null
CREATE ROLE bnd_user LOGIN;
CREATE ROLE bnd_spare LOGIN;
CREATE ROLE bnd_admin LOGIN IN ROLE ffrtmp_admin;
SELECT ffrtmp.create_tenant('bnd', plan => 'pro');
SELECT ffrtmp.create_tenant('bnd-other', plan => 'pro');
SELECT ffrtmp.add_tenant_role('bnd', 'bnd_user');
SELECT id AS bnd_member FROM ffrtmp.create_user('member@bnd.example', 'viewer', tenant => 'bnd') \gset
SELECT token AS binvite FROM ffrtmp.invite_user('invitee@bnd.example', 'viewer', tenant => 'bnd') \gset

-- A node of bnd with two jobs: one assigned (for start_job), one running.
SET ROLE bnd_user;
SELECT node_id AS node, session_token AS token
  FROM ffrtmp.register_node('bnd-1', cpu_cores => 4, slots => 2) \gset
SELECT id AS job_a FROM ffrtmp.submit_job('testsrc://', priority => 'low') \gset
SELECT id AS job_r FROM ffrtmp.submit_job('testsrc://', priority => 'high') \gset
SELECT key_id AS bkey, api_key AS bkey_full FROM ffrtmp.create_api_key('bnd-key') \gset
RESET ROLE;
SELECT ffrtmp.dispatch();
SET ROLE bnd_user;
SELECT ffrtmp.start_job(:job_r, 1, :node, :'token');
RESET ROLE;
\o

SELECT results_eq(format('SELECT state FROM ffrtmp.jobs WHERE id IN (%s, %s) ORDER BY id', :job_a, :job_r),
                  $$VALUES ('assigned'), ('running')$$, 'setup: one job assigned to the node, one running on it');

-- Rows in every table of ffrtmp_data, and the largest row (as text), read as
-- the superuser (row-level security does not apply).
CREATE FUNCTION pg_temp.stored(OUT row_count bigint, OUT largest_row bigint) LANGUAGE plpgsql AS $fn$
DECLARE
    t regclass;
    n bigint;
    m bigint;
BEGIN
    row_count := 0;
    largest_row := 0;
    FOR t IN SELECT c.oid FROM pg_class c WHERE c.relnamespace = 'ffrtmp_data'::regnamespace AND c.relkind = 'r' LOOP
        EXECUTE format('SELECT count(*), coalesce(max(octet_length(x::text)), 0) FROM %s x', t) INTO n, m;
        row_count := row_count + n;
        largest_row := greatest(largest_row, m);
    END LOOP;
END
$fn$;

-- Runs q as role target in a subtransaction that is always rolled back.
-- ok: q succeeded (largest_row is then the largest row it left behind);
-- otherwise the error's SQLSTATE and its message, detail and hint.
CREATE FUNCTION pg_temp.attempt(target text, q text,
                                OUT ok boolean, OUT state text, OUT message text, OUT detail text,
                                OUT hint text, OUT largest_row bigint) LANGUAGE plpgsql AS $fn$
BEGIN
    ok := false;
    BEGIN
        EXECUTE format('SET LOCAL ROLE %I', target);
        EXECUTE q;
        RESET ROLE;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = (SELECT s.largest_row FROM pg_temp.stored() s)::text;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                                detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
        IF state = 'PTRES' THEN
            ok := true;
            largest_row := message::bigint;
            state := NULL;
            message := NULL;
        END IF;
    END;
END
$fn$;

-- Valid arguments of every API function that takes text, json or arrays
-- (named notation; arguments left out take their defaults).
CREATE TEMP TABLE base (fn text, arg text, val text);
INSERT INTO base VALUES
    ('create_tenant', 'name', $$'bnd-new'$$), ('create_tenant', 'plan', $$'free'$$),
    ('create_tenant', 'display_name', $$'New'$$), ('create_tenant', 'description', $$'A tenant'$$),
    ('create_tenant', 'metadata', $${"team": "video"}$$),
    ('get_tenant', 'tenant', $$'bnd'$$),
    ('update_tenant', 'tenant', $$'bnd'$$), ('update_tenant', 'plan', $$'pro'$$),
    ('update_tenant', 'status', $$'active'$$), ('update_tenant', 'display_name', $$'Bnd'$$),
    ('update_tenant', 'description', $$'Bounds'$$), ('update_tenant', 'metadata', $${"a": 1}$$),
    ('update_tenant', 'quotas', $${"max_jobs": 100}$$),
    ('delete_tenant', 'tenant', $$'bnd-other'$$),
    ('restore_tenant', 'tenant', $$'bnd-other'$$),
    ('add_tenant_role', 'tenant', $$'bnd-other'$$), ('add_tenant_role', 'role_name', $$'bnd_spare'$$),
    ('remove_tenant_role', 'tenant', $$'bnd'$$), ('remove_tenant_role', 'role_name', $$'bnd_user'$$),
    ('tenant_stats', 'tenant', $$'bnd'$$),
    ('tenant_jobs', 'tenant', $$'bnd'$$), ('tenant_jobs', 'state', $$'queued'$$),
    ('tenant_nodes', 'tenant', $$'bnd'$$),
    ('pause_dispatch', 'tenant', $$'bnd'$$), ('pause_dispatch', 'queue', $$'batch'$$),
    ('resume_dispatch', 'tenant', $$'bnd'$$), ('resume_dispatch', 'queue', $$'batch'$$),
    ('submit_job', 'input_url', $$'testsrc://'$$), ('submit_job', 'output_url', $$'out/clip.mp4'$$),
    ('submit_job', 'preset', $$'720p30-test'$$), ('submit_job', 'params', $${"crf": 23}$$),
    ('submit_job', 'idempotency_key', $$'key-1'$$), ('submit_job', 'tenant', $$'bnd'$$),
    ('submit_job', 'queue', $$'batch'$$),
    ('submit_jobs', 'jobs', $$'[{"input_url": "testsrc://", "preset": "720p30-test"}]'$$), ('submit_jobs', 'tenant', $$'bnd'$$),
    ('import_job', 'original_id', $$'orig-1'$$), ('import_job', 'state', $$'completed'$$),
    ('import_job', 'input_url', $$'testsrc://'$$), ('import_job', 'created_at', $$'2024-01-01 00:00:00+00'$$),
    ('import_job', 'finished_at', $$'2024-01-01 00:10:00+00'$$), ('import_job', 'tenant', $$'bnd'$$),
    ('import_job', 'output_url', $$'rtmp://example.com/live/x'$$), ('import_job', 'queue', $$'batch'$$),
    ('import_job', 'error', $$'none'$$), ('import_job', 'original', $${"scenario": "x"}$$),
    ('register_node', 'name', $$'bnd-2'$$), ('register_node', 'cpu_cores', '2'),
    ('register_node', 'encoders', $$'{libx264,aac}'$$), ('register_node', 'labels', $${"zone": "a"}$$),
    ('register_node', 'tenant', $$'bnd'$$),
    ('node_heartbeat', 'node_id', :'node'), ('node_heartbeat', 'session_token', quote_literal(:'token')),
    ('node_heartbeat', 'running_jobs', format('ARRAY[%s]::bigint[]', :job_r)),
    ('fetch_assigned', 'node_id', :'node'), ('fetch_assigned', 'session_token', quote_literal(:'token')),
    ('start_job', 'job_id', :'job_a'), ('start_job', 'attempt', '1'), ('start_job', 'node_id', :'node'),
    ('start_job', 'session_token', quote_literal(:'token')),
    ('start_jobs', 'node_id', :'node'), ('start_jobs', 'session_token', quote_literal(:'token')),
    ('start_jobs', 'job_ids', format('ARRAY[%s]::bigint[]', :job_a)), ('start_jobs', 'attempts', 'ARRAY[1]'),
    ('report_progress', 'job_id', :'job_r'), ('report_progress', 'attempt', '1'),
    ('report_progress', 'node_id', :'node'), ('report_progress', 'session_token', quote_literal(:'token')),
    ('report_progress', 'progress', $${"percent": 40}$$),
    ('append_job_log', 'job_id', :'job_r'), ('append_job_log', 'attempt', '1'),
    ('append_job_log', 'node_id', :'node'), ('append_job_log', 'session_token', quote_literal(:'token')),
    ('append_job_log', 'lines', $$[{"line": 1, "at": 1, "level": "info", "source": "worker", "text": "x"}]$$),
    ('job_id', 'seq', '1'), ('job_id', 'tenant', $$'bnd'$$),
    ('finish_job', 'job_id', :'job_r'), ('finish_job', 'attempt', '1'), ('finish_job', 'node_id', :'node'),
    ('finish_job', 'session_token', quote_literal(:'token')), ('finish_job', 'outcome', $$'completed'$$),
    ('finish_job', 'result', $${"duration": 10}$$),
    ('finish_jobs', 'node_id', :'node'), ('finish_jobs', 'session_token', quote_literal(:'token')),
    ('finish_jobs', 'finishes', format('[{"job_id": %s, "attempt": 1, "outcome": "completed"}]', :job_r)),
    ('leave_node', 'node_id', :'node'), ('leave_node', 'session_token', quote_literal(:'token')),
    ('create_webhook', 'url', $$'https://hooks.example.com/jobs'$$),
    ('create_webhook', 'secret', $$'whsec-0123456789abcdef'$$), ('create_webhook', 'events', $${completed,failed}$$),
    ('webhook_deliveries', 'delivery_state', $$'pending'$$), ('list_webhooks', 'tenant', $$'bnd'$$),
    ('verify_audit_chain', 'tenant', $$'bnd'$$),
    ('audit_events', 'action', $$'job.submit'$$), ('audit_events', 'tenant', $$'bnd'$$),
    ('node_attempts', 'node_id', :'node'), ('node_attempts', 'session_token', quote_literal(:'token')),
    ('create_user', 'email', $$'new@bnd.example'$$), ('create_user', 'role', $$'viewer'$$),
    ('create_user', 'tenant', $$'bnd'$$), ('create_user', 'display_name', $$'New'$$),
    ('list_users', 'tenant', $$'bnd'$$),
    ('update_user', 'user_id', quote_literal(:'bnd_member')), ('update_user', 'email', $$'m2@bnd.example'$$),
    ('update_user', 'display_name', $$'Member'$$), ('update_user', 'role', $$'operator'$$),
    ('update_user', 'status', $$'active'$$),
    ('map_user_role', 'user_id', quote_literal(:'bnd_member')), ('map_user_role', 'role_name', $$'bnd_spare'$$),
    ('has_permission', 'permission', $$'jobs.view'$$),
    ('create_api_key', 'name', $$'bnd-key-2'$$), ('create_api_key', 'scopes', $${jobs.view}$$),
    ('create_api_key', 'tenant', $$'bnd'$$), ('list_api_keys', 'tenant', $$'bnd'$$),
    ('revoke_api_key', 'key_id', quote_literal(:'bkey')), ('rotate_api_key', 'key_id', quote_literal(:'bkey')),
    ('authenticate', 'api_key', quote_literal(:'bkey_full')),
    ('invite_user', 'email', $$'new@bnd.example'$$), ('invite_user', 'role', $$'viewer'$$),
    ('invite_user', 'tenant', $$'bnd'$$), ('list_invitations', 'tenant', $$'bnd'$$),
    ('accept_invitation', 'token', quote_literal(:'binvite')), ('accept_invitation', 'display_name', $$'Invitee'$$);
-- JSON values are written bare above; quote them.
UPDATE base SET val = quote_literal(val) WHERE val LIKE '{%' OR val LIKE '[{%';

-- Arguments whose oversized value may be accepted when it is cut to its
-- bound (or ignored) rather than refused: nothing large is stored either way.
CREATE TEMP TABLE may_truncate (fn text, arg text);
INSERT INTO may_truncate VALUES ('finish_job', 'error'), ('import_job', 'error');

-- The API functions with arguments to walk, and their input arguments.
CREATE TEMP VIEW api_args AS
SELECT p.proname::text AS fn, a.name AS arg, a.type::regtype AS type, t.typcategory AS category,
       CASE WHEN pg_catalog.has_function_privilege('ffrtmp_tenant', p.oid, 'EXECUTE') THEN 'bnd_user' ELSE 'bnd_admin' END AS runs_as,
       a.type IN ('text'::regtype, 'json'::regtype, 'jsonb'::regtype) OR t.typcategory = 'A' AS walked,
       t.typelem::regtype AS element
  FROM pg_proc p
 CROSS JOIN LATERAL unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargnames,
                           coalesce(p.proargmodes::text[],
                                    array_fill('i'::text, ARRAY[cardinality(coalesce(p.proallargtypes, p.proargtypes::oid[]))])))
       AS a(type, name, mode)
  JOIN pg_type t ON t.oid = a.type
 WHERE a.mode IN ('i', 'b', 'v') AND p.pronamespace = 'ffrtmp'::regnamespace AND p.prokind = 'f'
   AND (pg_catalog.has_function_privilege('ffrtmp_tenant', p.oid, 'EXECUTE')
        OR pg_catalog.has_function_privilege('ffrtmp_admin', p.oid, 'EXECUTE'));

SELECT is((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'ffrtmp'::regnamespace
             AND p.proname IN (SELECT fn FROM api_args) GROUP BY p.proname ORDER BY count(*) DESC LIMIT 1),
          1::bigint, 'no API function is overloaded (the walk names functions by name)');
SELECT is(array_agg(DISTINCT fn ORDER BY fn), NULL::text[],
          'every API function that takes text, json or arrays has valid base arguments in the walk''s table')
  FROM api_args WHERE walked AND fn NOT IN (SELECT fn FROM base);

-- A call of fn with its base arguments, and arg replaced by value when given.
CREATE FUNCTION pg_temp.api_call(f text, target text DEFAULT NULL, value text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $fn$
    SELECT format('SELECT count(*) FROM ffrtmp.%I(%s)', $1, string_agg(format('%I => %s', x.a, x.v), ', '))
      FROM (SELECT b.arg AS a, b.val AS v FROM base b WHERE b.fn = $1 AND b.arg IS DISTINCT FROM $2
            UNION ALL SELECT $2, $3 WHERE $2 IS NOT NULL) x
$fn$;

SELECT ok(r.ok, format('the base call of %s succeeds as %s%s', f.fn, f.runs_as,
                       CASE WHEN NOT r.ok THEN ': ' || r.state || ' ' || left(r.message, 200) ELSE '' END))
  FROM (SELECT DISTINCT fn, runs_as FROM api_args WHERE walked ORDER BY fn) f
 CROSS JOIN LATERAL pg_temp.attempt(f.runs_as, pg_temp.api_call(f.fn)) r;

-- The oversized values of each kind of argument.
CREATE TEMP VIEW oversized AS
SELECT a.*, v.label, v.expr
  FROM api_args a
 CROSS JOIN LATERAL (
    SELECT '1 MB of text', $$repeat('x', 1048576)$$ WHERE a.type = 'text'::regtype
    UNION ALL
    SELECT '1 MB of JSON', format($$(SELECT jsonb_object_agg('k' || i, repeat('v', 100)) FROM generate_series(1, 10000) i)::%s$$, a.type)
     WHERE a.type IN ('json'::regtype, 'jsonb'::regtype)
    UNION ALL
    SELECT 'JSON nested 100 deep', format($$(repeat('{"a": ', 100) || '1' || repeat('}', 100))::%s$$, a.type)
     WHERE a.type IN ('json'::regtype, 'jsonb'::regtype)
    UNION ALL
    -- An array, for the arguments that must be one (a batch's finishes,
    -- a heartbeat's progress, log lines, submit_jobs' jobs): past the
    -- shape check, the count and the bytes are what must refuse it.
    SELECT '1 MB JSON array', format($$(SELECT jsonb_agg(jsonb_build_object('k', repeat('v', 100))) FROM generate_series(1, 10000) i)::%s$$, a.type)
     WHERE a.type IN ('json'::regtype, 'jsonb'::regtype)
    UNION ALL
    SELECT '100,000 elements', format($$array_fill(%s::%s, ARRAY[100000])$$,
                                      CASE WHEN a.element = 'text'::regtype THEN $$'libx264'$$ ELSE '1' END, a.element)
     WHERE a.category = 'A'
    UNION ALL
    SELECT 'a 1 MB element', $$ARRAY[repeat('x', 1048576)]$$ WHERE a.type = 'text[]'::regtype
 ) AS v(label, expr)
 WHERE a.walked;

CREATE TEMP TABLE walk AS
SELECT o.fn, o.arg, o.label, o.runs_as, s0.row_count AS rows_before, r.*, s1.row_count AS rows_after
  FROM oversized o
 CROSS JOIN LATERAL pg_temp.stored() s0
 CROSS JOIN LATERAL pg_temp.attempt(o.runs_as, pg_temp.api_call(o.fn, o.arg, o.expr)) r
 CROSS JOIN LATERAL pg_temp.stored() s1
 ORDER BY o.fn, o.arg, o.label;

-- Refused: 22023 (or 54000), a message of at most 300 characters that names
-- the argument ("session_token" or "session token"), hint and detail short
-- too, nothing stored.  Or, where allowed, accepted with nothing large stored.
SELECT ok(CASE WHEN w.ok THEN (w.fn, w.arg) IN (SELECT * FROM may_truncate) AND w.largest_row < 65536
               ELSE w.state IN ('22023', '54000')
                    AND w.message ~* replace(w.arg, '_', '[_ ]')
                    AND length(w.message) <= 300
                    AND length(coalesce(w.detail, '')) <= 300 AND length(coalesce(w.hint, '')) <= 300
                    AND w.rows_after = w.rows_before END,
          format('%s(%s => %s) is refused with an error naming %s, and stores nothing', w.fn, w.arg, w.label, w.arg))
  FROM walk w;
-- What the failures were, for whoever reads the output.
SELECT diag(format('%s(%s => %s): %s', fn, arg, label,
                   CASE WHEN ok THEN 'accepted, largest row ' || largest_row || ' bytes'
                        ELSE state || ' ' || left(message, 120) END))
  FROM walk w
 WHERE NOT CASE WHEN w.ok THEN (w.fn, w.arg) IN (SELECT * FROM may_truncate) AND w.largest_row < 65536
               ELSE w.state IN ('22023', '54000') AND w.message ~* replace(w.arg, '_', '[_ ]')
                    AND length(w.message) <= 300 END;

-- ---- The issue's examples ---------------------------------------------------

-- (Each in a rolled-back subtransaction: the job stays running for the next.)
SELECT ok(NOT r.ok AND r.state = '22023' AND r.message ~ 'result',
          'finish_job refuses a 19 MB result with an error naming result' || coalesce(': got ' || r.state || ' ' || left(r.message, 100), ''))
  FROM pg_temp.attempt('bnd_user', format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'completed',
              result => (SELECT jsonb_build_object('log', string_agg(repeat('x', 1000), '')) FROM generate_series(1, 19000)))$$,
          :job_r, :node, :'token')) r;
SELECT ok(CASE WHEN r.ok THEN r.largest_row < 65536 ELSE r.state = '22023' AND r.message ~ 'error' END,
          'finish_job stores at most a bounded part of a 1 MB error (or refuses it, naming error)')
  FROM pg_temp.attempt('bnd_user', format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'failed', error => repeat('e', 1048576))$$,
                                         :job_r, :node, :'token')) r;

SET ROLE bnd_user;
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, encoders => ARRAY[repeat('x', 50 * 1024 * 1024)])$$,
                 '22023', 'encoders[1] is not a valid name (52428800 bytes)', 'register_node refuses a 50 MB encoder name');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, encoders => array_fill('libx264'::text, ARRAY[1000000]))$$,
                 '22023', 'encoders has too many elements (1000000)', 'register_node refuses a million encoders');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1,
                     labels => (SELECT jsonb_object_agg('k' || i, repeat('v', 100)) FROM generate_series(1, 200) i))$$,
                 '22023', NULL, 'register_node refuses 20 KB of labels');
SELECT throws_matching($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1,
                         labels => (SELECT jsonb_object_agg('k' || i, repeat('v', 100)) FROM generate_series(1, 200) i))$$,
                       '^labels is too large', 'and says labels, not metadata');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, labels => '{"a": {"b": {"c": 1}}}')$$,
                 '22023', 'labels is nested too deeply (3 levels)', 'labels are flat (or one level of nesting)');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, encoders => '{libx264,"lib x265"}')$$,
                 '22023', 'encoders[2] is not a valid name (8 bytes)', 'an encoder name is a word');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, encoders => '{libx264,NULL}')$$,
                 '22004', 'encoders must not contain nulls', 'encoders holds no nulls');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, memory_mb => 2000000000)$$,
                 '22023', 'memory_mb must be between 1 and 67108864, not 2000000000', 'memory_mb is bounded and named');
SELECT throws_ok($$SELECT ffrtmp.register_node('bnd-big', cpu_cores => 1, slots => 5000)$$,
                 '22023', 'slots must be between 1 and 1024, not 5000', 'slots are named in their error');
SELECT throws_ok(format($$SELECT ffrtmp.node_heartbeat(%s, %L, array_fill(1::bigint, ARRAY[1025]))$$, :node, :'token'),
                 '22023', 'running_jobs has too many elements (1025)', 'a heartbeat lists at most one job per possible slot');
SELECT throws_ok(format($$SELECT ffrtmp.node_heartbeat(%s, repeat('t', 1048576))$$, :node),
                 '22023', 'session_token is too long (1048576 bytes)', 'a heartbeat''s token is bounded');
RESET ROLE;

-- ---- Control characters and echoes ------------------------------------------

SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc', display_name => E'Acme\nInc')$$,
                 '22023', 'display_name contains a control character (\x0a)', 'a display name is one line');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc', display_name => E'\x1b[31mred')$$,
                 '22023', 'display_name contains a control character (\x1b)', 'no terminal escapes in a display name');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('bnd', description => E'bell\x07')$$,
                 '22023', 'description contains a control character (\x07)', 'no bell in a description');
-- C1 controls are terminal escapes too (U+009B is CSI, U+009D OSC), and a
-- carriage return rewrites the line it ends: the documented rule is
-- "newlines and tabs", nothing else.
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc', display_name => 'Evil' || chr(155) || '2J')$$,
                 '22023', 'display_name contains a control character (U+009B)', 'no C1 control (8-bit CSI) in a display name');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('bnd', display_name => chr(157) || '0;title' || chr(156))$$,
                 '22023', 'display_name contains a control character (U+009D)', 'nor an 8-bit OSC when it is changed');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc', description => E'line1\rSPOOF')$$,
                 '22023', 'description contains a control character (\x0d)', 'no carriage return in a description');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('bnd', description => 'next' || chr(133) || 'line')$$,
                 '22023', 'description contains a control character (U+0085)', 'nor a C1 next-line');
SELECT is((SELECT display_name FROM ffrtmp.create_tenant('bnd-rtl', display_name => 'a' || chr(8238) || 'b' || chr(160) || 'é')),
          'a' || chr(8238) || 'b' || chr(160) || 'é', 'bidi formatting (right-to-left text) and U+00A0 are not controls: kept');
SELECT is((SELECT description FROM ffrtmp.create_tenant('bnd-cc', description => E'Line one\nLine two\tand a tab')),
          E'Line one\nLine two\tand a tab', 'a description may hold newlines and tabs');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc2', display_name => repeat('é', 201))$$,
                 '22023', 'display_name is too long (201 characters)', 'a display name is counted in characters');
SELECT lives_ok($$SELECT ffrtmp.create_tenant('bnd-cc3', display_name => repeat('é', 200))$$,
                '200 two-byte characters are a valid display name');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc2', description => repeat('x', 1048576))$$,
                 '22023', 'description is too long (1048576 characters)', 'a 1 MB description is refused');
SELECT throws_ok($$SELECT ffrtmp.register_node(E'node\n1', cpu_cores => 1, tenant => 'bnd')$$,
                 '22023', 'invalid node name "node\x0a1"', 'a node name is one word, and its echo shows the newline escaped');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', idempotency_key => E'key\n2')$$,
                 '22023', 'idempotency_key contains a control character (\x0a)', 'an idempotency key has no control characters');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', params => '{"renditions": [{"size": "640x360", "x": {"y": 1}}]}')$$,
                 '22023', 'params is nested too deeply (4 levels)', 'params are at most three levels deep');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('bnd', quotas => '{"max_jobs": {"a": 1}}')$$,
                 '22023', 'quotas is nested too deeply (2 levels)', 'quotas are a flat object');
SELECT throws_ok($$SELECT ffrtmp.create_tenant('bnd-cc2', plan => E'\n' || repeat('é', 100))$$,
                 '22023', 'plan is too long (201 bytes)', 'a long plan name is refused by size');
SELECT throws_ok($$SELECT ffrtmp.create_tenant(E'\n' || repeat('é', 1000))$$,
                 '22023', 'invalid tenant name "\x0a' || repeat('é', 19) || '..."',
                 'an invalid name is echoed: 40 bytes, cut between characters, the newline escaped');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', preset => repeat('p', 64))$$,
                 '22023', 'preset is too long (64 bytes)', 'a preset name is bounded');
-- A queued job holds a unit of quota until its run_after: the time is bounded.
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', run_after => 'infinity')$$,
                 '22023', 'run_after must be a time at most 365 days ahead', 'run_after ''infinity'' is refused');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', run_after => now() + interval '366 days')$$,
                 '22023', 'run_after must be a time at most 365 days ahead', 'run_after past the bound is refused');
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', run_after => '-infinity')$$,
                 '22023', 'run_after must be a finite time', 'run_after ''-infinity'' is refused');
SELECT is((SELECT count(*) FROM ffrtmp.jobs WHERE run_after > now() + interval '365 days' OR NOT isfinite(run_after)),
          0::bigint, 'no refused run_after was stored');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', run_after => now() + interval '365 days')$$,
                'run_after exactly 365 days ahead is accepted');
SELECT lives_ok($$SELECT ffrtmp.submit_job('testsrc://', tenant => 'bnd', run_after => '2000-01-01')$$,
                'a run_after in the past is accepted (it means now)');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('bnd', repeat('r', 64))$$,
                 '22023', 'role_name is too long (64 bytes)', 'a role name is at most an identifier');
SELECT throws_ok($$SELECT ffrtmp.add_tenant_role('bnd', E'no\nrole')$$,
                 '22023', 'role "no\x0arole" does not exist', 'an unknown role is echoed with its newline escaped');
SELECT throws_ok($$SELECT ffrtmp.get_tenant(repeat('t', 64))$$,
                 '22023', 'tenant is too long (64 bytes)', 'a tenant argument is a name or an id');

-- ---- Offline nodes do not pile up --------------------------------------------

\o /dev/null
SELECT ffrtmp.create_tenant('bnd-churn', plan => 'free');   -- max_workers 2
\o
-- 40 nodes come and go, each under a new name (as autoscaled machines do).
DO $$
DECLARE
    n record;
BEGIN
    FOR i IN 1..40 LOOP
        SELECT * INTO n FROM ffrtmp.register_node('churn-' || i, cpu_cores => 1, tenant => 'bnd-churn');
        PERFORM ffrtmp.leave_node(n.node_id, n.session_token);
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM ffrtmp_data.nodes n JOIN ffrtmp_data.tenants t ON t.id = n.tenant_id WHERE t.name = 'bnd-churn'),
          32::bigint, 'a tenant keeps at most 32 offline nodes');
SELECT is((SELECT min(substr(n.name, 7)::int) FROM ffrtmp_data.nodes n JOIN ffrtmp_data.tenants t ON t.id = n.tenant_id WHERE t.name = 'bnd-churn'),
          9, 'the oldest went first');
SELECT lives_ok($$SELECT ffrtmp.register_node('churn-20', cpu_cores => 1, tenant => 'bnd-churn')$$,
                'a node coming back under its old name');
SELECT is((SELECT count(*) FROM ffrtmp_data.nodes n JOIN ffrtmp_data.tenants t ON t.id = n.tenant_id WHERE t.name = 'bnd-churn'),
          32::bigint, 'recycles nothing');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'usage counters agree with a recount after recycling');

-- The same when the tenant's own role registers its nodes (row-level security applies).
SET ROLE bnd_user;
DO $$
DECLARE
    n record;
BEGIN
    FOR i IN 1..35 LOOP
        SELECT * INTO n FROM ffrtmp.register_node('self-' || i, cpu_cores => 1);
        PERFORM ffrtmp.leave_node(n.node_id, n.session_token);
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM ffrtmp.nodes WHERE state = 'offline'), 32::bigint,
          'a tenant role churning through node names keeps at most 32 offline nodes');
SELECT is((SELECT state FROM ffrtmp.nodes WHERE name = 'bnd-1'), 'online', 'and its online node is untouched');
RESET ROLE;

-- The shared pool (nodes an administrator registers with no tenant) is bounded the same way.
DO $$
DECLARE
    n record;
BEGIN
    FOR i IN 1..40 LOOP
        SELECT * INTO n FROM ffrtmp.register_node('pool-churn-' || i, cpu_cores => 1);
        PERFORM ffrtmp.leave_node(n.node_id, n.session_token);
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM ffrtmp_data.nodes WHERE tenant_id IS NULL AND state = 'offline'),
          32::bigint, 'the shared pool keeps at most 32 offline nodes too');

-- An unlimited plan still has a ceiling on registered nodes.
\o /dev/null
SELECT ffrtmp.create_tenant('bnd-big', plan => 'enterprise');
\o
DO $$
BEGIN
    FOR i IN 1..1000 LOOP
        PERFORM ffrtmp.register_node('big-' || i, cpu_cores => 1, tenant => 'bnd-big');
    END LOOP;
END
$$;
SELECT throws_ok($$SELECT ffrtmp.register_node('big-1001', cpu_cores => 1, tenant => 'bnd-big')$$,
                 'PT429', 'tenant "bnd-big" has reached its quota of 1000 registered nodes',
                 'a tenant with unlimited max_workers still registers at most 1000 nodes');
SELECT lives_ok($$SELECT ffrtmp.register_node('big-7', cpu_cores => 2, tenant => 'bnd-big')$$,
                'but its nodes can still register again');

SELECT * FROM finish();
ROLLBACK;
