-- API keys: the key lifecycle (create, use, expiry, revoke, rotate with a
-- grace period, a suspended tenant, a user's key and its user disabled or
-- deleted, scopes narrowing, what a creator may not give), the audit rows, what is stored and shown of a key, the
-- one error of a failed authentication, and that the authenticated tenant is
-- forgotten when the savepoint it was authenticated in is rolled back.
-- Every authentication but the last is made inside a savepoint that is rolled
-- back; what it saw is kept in psql variables and asserted afterwards.
BEGIN;
SELECT plan(153);

\o /dev/null
SELECT ffrtmp.create_tenant('ak', plan => 'pro');
SELECT ffrtmp.create_tenant('ak-other', plan => 'pro');
SELECT id AS ak FROM ffrtmp.tenants WHERE name = 'ak' \gset
SELECT id AS ak_other FROM ffrtmp.tenants WHERE name = 'ak-other' \gset
CREATE ROLE ak_user;
CREATE ROLE ak_other_user;
SELECT ffrtmp.add_tenant_role('ak', 'ak_user');
SELECT ffrtmp.add_tenant_role('ak-other', 'ak_other_user');
SELECT key_id AS k1, api_key AS key1 FROM ffrtmp.create_api_key('farm', tenant => 'ak', role => 'tenant_admin') \gset
\o

-- 1. The key's form, and what is stored of it.
SELECT ok(:'key1' LIKE 'ffrtmp\_' || :'k1' || '\_%', 'the key is ffrtmp_<key id>_<secret>');
SELECT matches(:'key1'::text, '^ffrtmp_[0-9a-f]{16}_[0-9a-f]{48}$', 'the secret is 48 hex digits (192 bits)');
SELECT is((SELECT secret_sha256 FROM ffrtmp_data.api_keys WHERE key_id = :'k1'),
          sha256(convert_to(split_part(:'key1', '_', 3), 'UTF8')), 'only the SHA-256 of the secret is stored');
SELECT is((SELECT count(*) FROM ffrtmp_data.api_keys k, LATERAL jsonb_each_text(to_jsonb(k)) c
            WHERE c.value LIKE '%' || split_part(:'key1', '_', 3) || '%'), 0::bigint, 'the secret is stored nowhere');
SELECT is((SELECT prefix FROM ffrtmp.list_api_keys('ak')), 'ffrtmp_' || :'k1', 'list_api_keys shows the prefix');
SELECT hasnt_column('ffrtmp_data', 'api_key_rows', 'secret_sha256', 'listings have no secret or hash column');
SELECT is(has_table_privilege('ak_user', 'ffrtmp_data.api_keys', 'SELECT'), false, 'tenants cannot read the table of hashes');

-- 2. Using it: the key's tenant becomes the caller, whoever the session is.
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key1') AS auth_result, ffrtmp.current_tenant() AS in_tenant,
       ffrtmp.caller_is_admin() AS in_admin \gset
SELECT count(*) AS in_tenants_seen FROM ffrtmp.tenants \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'auth_result'::uuid, :'ak'::uuid, 'authenticate returns the key''s tenant');
SELECT is(:'in_tenant'::uuid, :'ak'::uuid, 'current_tenant() is the key''s tenant');
SELECT is(:'in_admin'::boolean, false, 'a superuser authenticated with a key is no administrator');
SELECT is(:in_tenants_seen::int, 1, 'row-level security shows the key''s tenant only');
SELECT is(ffrtmp.current_tenant(), '00000000-0000-0000-0000-000000000000'::uuid,
          'rolling back the savepoint forgets the key');

-- A program's login: an API role mapped to no tenant acts for none until it
-- authenticates, then for the key's tenant (its last use written as well).
CREATE ROLE ak_service IN ROLE ffrtmp_tenant;
SET ROLE ak_service;
SELECT throws_ok('SELECT ffrtmp.current_tenant()', '42501', NULL, 'an unmapped login acts for no tenant');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key1') IS NOT NULL AS ok \gset
SELECT ffrtmp.current_tenant() AS svc_tenant, (SELECT count(*) FROM ffrtmp.list_api_keys()) AS svc_keys,
       (SELECT last_used_at = now() FROM ffrtmp.list_api_keys() WHERE key_id = :'k1') AS svc_used \gset
ROLLBACK TO SAVEPOINT s;
RESET ROLE;
SELECT is(:'svc_tenant'::uuid, :'ak'::uuid, 'with a key, it acts for the key''s tenant');
SELECT is(:svc_keys::int, 1, 'and lists that tenant''s keys');
SELECT ok(:'svc_used'::boolean, 'its use is recorded, though it has no right to write it');

-- A key authenticated in a savepoint that is released stays until the end.
SAVEPOINT s;
SAVEPOINT inner_sp;
SELECT ffrtmp.authenticate(:'key1') IS NOT NULL AS ok \gset
RELEASE SAVEPOINT inner_sp;
SAVEPOINT other;
ROLLBACK TO SAVEPOINT other;
SELECT ffrtmp.current_tenant() AS after_release \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'after_release'::uuid, :'ak'::uuid, 'a released savepoint, or another rolled back, keeps the key');

-- Once per transaction.
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key1') IS NOT NULL AS ok \gset
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key1'), '25001', NULL, 'a second authenticate is refused');
ROLLBACK TO SAVEPOINT s;

-- 3. One error, whatever is wrong.
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', left(:'key1', -1) || CASE right(:'key1', 1) WHEN '0' THEN '1' ELSE '0' END), '28000', 'invalid api key', 'a wrong secret');
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_0000000000000000_' || split_part(:'key1', '_', 3)),
                 '28000', 'invalid api key', 'an unknown key id, the same error');
-- Every field of the error is the same for a wrong secret and an unknown id.
CREATE FUNCTION pg_temp.auth_error(api_key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text; msg text; detail text; hint text;
BEGIN
    PERFORM ffrtmp.authenticate(api_key);
    RETURN 'authenticated';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', state, msg, detail, hint);
END
$$;
SELECT is(pg_temp.auth_error(left(:'key1', -1) || CASE right(:'key1', 1) WHEN '0' THEN '1' ELSE '0' END),
          pg_temp.auth_error('ffrtmp_0000000000000000_' || split_part(:'key1', '_', 3)),
          'a wrong secret and an unknown id give the same code, message, detail and hint');
-- And the same path: a wrong secret for a key with no maker and an unknown
-- id scan the same tables as many times (the code path, not a timing test;
-- a key with makers adds the walk up them, docs/security.md).
CREATE FUNCTION pg_temp.auth_scans(api_key text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    before jsonb;
BEGIN
    -- (function_permissions: the permission hook's cache, refilled after any CREATE FUNCTION)
    SELECT jsonb_object_agg(t.relname, coalesce(t.idx_scan, 0) + t.seq_scan) INTO before
      FROM pg_stat_xact_user_tables t WHERE t.schemaname = 'ffrtmp_data' AND t.relname <> 'function_permissions';
    PERFORM pg_temp.auth_error(api_key);
    RETURN (SELECT string_agg(t.relname || '+' || (coalesce(t.idx_scan, 0) + t.seq_scan - coalesce((before ->> t.relname)::bigint, 0)),
                              ',' ORDER BY t.relname)
              FROM pg_stat_xact_user_tables t WHERE t.schemaname = 'ffrtmp_data' AND t.relname <> 'function_permissions'
               AND coalesce(t.idx_scan, 0) + t.seq_scan <> coalesce((before ->> t.relname)::bigint, 0));
END
$$;
SELECT is(pg_temp.auth_scans(left(:'key1', -1) || CASE right(:'key1', 1) WHEN '0' THEN '1' ELSE '0' END),
          pg_temp.auth_scans('ffrtmp_0000000000000000_' || split_part(:'key1', '_', 3)),
          'and scan the same tables as many times');
SELECT isnt(pg_temp.auth_scans('ffrtmp_0000000000000000_' || split_part(:'key1', '_', 3)), NULL,
            'which they do: an unknown id is looked up like a known one');
SELECT throws_ok($$SELECT ffrtmp.authenticate('not a key')$$, '28000', 'invalid api key', 'a malformed key');
SELECT throws_ok($$SELECT ffrtmp.authenticate(NULL)$$, '28000', 'invalid api key', 'no key');
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', upper(:'key1')), '28000', 'invalid api key', 'keys are case-sensitive');

-- 4. Expiry.
\o /dev/null
SELECT key_id AS k2, api_key AS key2 FROM ffrtmp.create_api_key('expiring', expires_at => now() + interval '1 hour', tenant => 'ak') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key2') IS NOT NULL AS ok \gset
ROLLBACK TO SAVEPOINT s;
UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = :'k2';
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key2'), '28000', 'invalid api key', 'an expired key');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('past', expires_at => now() - interval '1 day', tenant => 'ak')$$,
                 '22023', 'api key expiry must be in the future', 'no key is created already expired');

-- 5. Revocation.
\o /dev/null
SELECT key_id AS k3, api_key AS key3 FROM ffrtmp.create_api_key('revoked', tenant => 'ak') \gset
\o
SELECT isnt((ffrtmp.revoke_api_key(:'k3')).revoked_at, NULL, 'revoke_api_key returns the key, revoked');
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key3'), '28000', 'invalid api key', 'a revoked key');
-- Revoked inside the transaction that authenticated with it: the next statement fails.
SAVEPOINT s;
SELECT key_id AS k4, api_key AS key4 FROM ffrtmp.create_api_key('in use', tenant => 'ak', role => 'tenant_admin') \gset
SELECT ffrtmp.authenticate(:'key4') IS NOT NULL AS ok \gset
SELECT (ffrtmp.revoke_api_key(:'k4')).key_id IS NOT NULL AS ok \gset
SELECT throws_ok('SELECT ffrtmp.current_tenant()', '28000', 'the api key this transaction authenticated with is no longer valid',
                 'a key revoked while in use stops working at once');
ROLLBACK TO SAVEPOINT s;

-- 6. Rotation with a grace period.
\o /dev/null
SELECT key_id AS k5, api_key AS key5 FROM ffrtmp.create_api_key('rotated', scopes => '{jobs.view}', tenant => 'ak') \gset
SELECT new_key_id AS k6, api_key AS key6, old_expires_at FROM ffrtmp.rotate_api_key(:'k5', grace => '1 hour') \gset
\o
SELECT is(:'old_expires_at'::timestamptz, now() + interval '1 hour', 'the old key expires at the end of the grace');
SELECT is((SELECT replaced_by FROM ffrtmp.list_api_keys('ak') WHERE key_id = :'k5'), :'k6', 'the old key names its replacement');
SELECT is((SELECT scopes FROM ffrtmp.list_api_keys('ak') WHERE key_id = :'k6'), '{jobs.view}'::text[], 'the new key keeps the scopes');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key5') = :'ak' AS old_works \gset
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key6') = :'ak' AS new_works \gset
ROLLBACK TO SAVEPOINT s;
SELECT ok(:'old_works'::boolean, 'the old key works during the grace');
SELECT ok(:'new_works'::boolean, 'the new key works');
UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = :'k5';
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key5'), '28000', 'invalid api key', 'the old key fails after the grace');
SELECT throws_ok(format('SELECT ffrtmp.rotate_api_key(%L)', :'k5'), 'PT409', NULL, 'a rotated key is not rotated again');
\o /dev/null
SELECT new_key_id AS k7, api_key AS key7 FROM ffrtmp.rotate_api_key(:'k6', grace => '0') \gset
\o
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key6'), '28000', 'invalid api key', 'no grace: the old key stops at once');
SELECT throws_ok(format('SELECT ffrtmp.rotate_api_key(%L, grace => %L)', :'k7', '-1 hour'), '22023', NULL, 'a negative grace');

-- 7. A tenant not active: its keys stop working.
SELECT ffrtmp.update_tenant('ak', status => 'suspended') IS NOT NULL AS ok \gset
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'key1'), '28000', 'invalid api key', 'a suspended tenant''s key');
SELECT ffrtmp.update_tenant('ak', status => 'active') IS NOT NULL AS ok \gset
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key1') IS NOT NULL AS ok \gset
-- (A key is no administrator, so update_tenant is refused here; the row is written directly.)
UPDATE ffrtmp_data.tenants SET status = 'suspended' WHERE name = 'ak';
SELECT throws_ok('SELECT ffrtmp.current_tenant()', '28000', NULL, 'suspended while in use: the next statement fails');
ROLLBACK TO SAVEPOINT s;

-- 8. Tenant principals manage their own tenant's keys only.
SET ROLE ak_other_user;
SELECT is((SELECT count(*) FROM ffrtmp.list_api_keys()), 0::bigint, 'another tenant lists none of ak''s keys');
SELECT throws_ok(format('SELECT ffrtmp.revoke_api_key(%L)', :'k1'), 'PT404', NULL, 'nor revokes them');
SELECT throws_ok(format('SELECT ffrtmp.rotate_api_key(%L)', :'k1'), 'PT404', NULL, 'nor rotates them');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('x', tenant => 'ak')$$, '42501', 'permission denied for tenant "ak"',
                 'nor creates one for it: the answer for a tenant that does not exist');
RESET ROLE;
SET ROLE ak_user;
SELECT is((SELECT count(*) FROM ffrtmp.list_api_keys() WHERE key_id = :'k1'), 1::bigint, 'its own tenant lists it');
SELECT key_id AS k8 FROM ffrtmp.create_api_key('own') \gset
RESET ROLE;
SELECT is((SELECT tenant_id FROM ffrtmp_data.api_keys WHERE key_id = :'k8'), :'ak'::uuid, 'a tenant principal creates keys of its own tenant');

-- 10. A user's key acts with the user's role, and as long as the user may.
\o /dev/null
SELECT id AS op FROM ffrtmp.create_user('op@ak.example', 'operator', tenant => 'ak') \gset
SELECT id AS viewer FROM ffrtmp.create_user('viewer@ak.example', 'viewer', tenant => 'ak') \gset
SELECT id AS other_user FROM ffrtmp.create_user('x@ak-other.example', 'viewer', tenant => 'ak-other') \gset
SELECT key_id AS uk, api_key AS ukey FROM ffrtmp.create_api_key('laptop', "user" => :'op') \gset
\o
SELECT is((SELECT user_id FROM ffrtmp.list_api_keys('ak') WHERE key_id = :'uk'), :'op'::uuid, 'the key names its user');
SELECT is((SELECT tenant_id FROM ffrtmp_data.api_keys WHERE key_id = :'uk'), :'ak'::uuid, 'and is of the user''s tenant');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS uk_role, ffrtmp.has_permission('jobs.create') AS uk_create,
       ffrtmp.has_permission('keys.manage') AS uk_keys, ffrtmp_data.audit_key_id() AS uk_id \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'uk_role'::text, 'operator', 'a user''s key acts with the user''s role');
SELECT ok(:'uk_create'::boolean, 'it holds what the role holds');
SELECT ok(NOT :'uk_keys'::boolean, 'and nothing more');
SELECT is(:'uk_id'::text, :'uk', 'the key id is known to the audit log');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') IS NOT NULL AS ok \gset
SELECT throws_ok($$SELECT ffrtmp.list_api_keys()$$, '42501', 'permission denied: keys.manage',
                 'an operator''s key cannot manage keys');
ROLLBACK TO SAVEPOINT s;
-- The user's role is read at every statement: a promotion counts at once.
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') IS NOT NULL AS ok \gset
UPDATE ffrtmp_data.users SET role = 'viewer' WHERE id = :'op';
SELECT ffrtmp.caller_role() AS uk_demoted \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'uk_demoted'::text, 'viewer', 'a user''s new role applies to its key from the next statement');

-- Scopes narrow: a jobs.view key of the operator cannot submit.
\o /dev/null
SELECT api_key AS vkey FROM ffrtmp.create_api_key('dashboard', "user" => :'op', scopes => '{jobs.view}') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'vkey') IS NOT NULL AS ok \gset
SELECT ffrtmp.has_permission('jobs.view') AS v_view, ffrtmp.has_permission('jobs.create') AS v_create \gset
SELECT throws_ok($$SELECT ffrtmp.submit_job('testsrc://')$$, '42501', 'permission denied: jobs.create',
                 'a jobs.view key cannot submit');
ROLLBACK TO SAVEPOINT s;
SELECT ok(:'v_view'::boolean, 'a scoped key holds its scope');
SELECT ok(NOT :'v_create'::boolean, 'has_permission says no to what its scopes leave out');

-- Disabled, then enabled, then deleted: the key follows its user.
SELECT ffrtmp.disable_user(:'op') IS NOT NULL AS ok \gset
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'ukey'), '28000', 'invalid api key', 'a disabled user''s key');
SELECT ffrtmp.update_user(:'op', status => 'active') IS NOT NULL AS ok \gset
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') = :'ak' AS re_enabled \gset
ROLLBACK TO SAVEPOINT s;
SELECT ok(:'re_enabled'::boolean, 'enabled again, the key works again');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') IS NOT NULL AS ok \gset
UPDATE ffrtmp_data.users SET status = 'disabled' WHERE id = :'op';
SELECT throws_ok('SELECT ffrtmp.current_tenant()', '28000', 'the api key this transaction authenticated with is no longer valid',
                 'a user disabled while its key is in use: the next statement fails');
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ukey') IS NOT NULL AS ok \gset
UPDATE ffrtmp_data.users SET status = 'disabled' WHERE id = :'op';
SELECT throws_ok('SELECT ffrtmp.caller_role()', '28000', NULL, 'and so does the permission check');
ROLLBACK TO SAVEPOINT s;
SELECT ffrtmp.delete_user(:'op') IS NOT NULL AS ok \gset
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'ukey'), '28000', 'invalid api key', 'a deleted user''s key');
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'late', :'op'), '22023', NULL,
                 'a deleted user gets no key');
SELECT ffrtmp.restore_user(:'op') IS NOT NULL AS ok \gset

-- 11. A service key carries its own role: operator unless told.
\o /dev/null
SELECT api_key AS skey FROM ffrtmp.create_api_key('ci', tenant => 'ak') \gset
SELECT api_key AS svkey FROM ffrtmp.create_api_key('status page', tenant => 'ak', role => 'viewer') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'skey') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS s_role \gset
ROLLBACK TO SAVEPOINT s;
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'svkey') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS sv_role \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'s_role'::text, 'operator', 'a service key is an operator by default');
SELECT is(:'sv_role'::text, 'viewer', 'or has the role it was given');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('root', tenant => 'ak', role => 'superadmin')$$, '22023', NULL,
                 'no service key is superadmin');
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L, role => %L)', 'x', :'viewer', 'operator'),
                 '22023', NULL, 'a user''s key takes no role of its own');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('x', tenant => 'ak', scopes => '{jobs.nothing}')$$, '22023', NULL,
                 'a scope must be a permission');
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L, scopes => %L)', 'x', :'viewer', '{jobs.create}'),
                 '22023', NULL, 'a scope the key''s role does not hold is refused');

-- 12. A tenant administrator: keys of its own tenant, never wider than itself.
CREATE ROLE ak_admin_login;
SELECT ffrtmp.map_user_role(u.id, 'ak_admin_login') IS NOT NULL AS ok
  FROM ffrtmp.create_user('admin@ak.example', 'tenant_admin', tenant => 'ak') u \gset
CREATE ROLE ak_op_login;
SELECT ffrtmp.map_user_role(u.id, 'ak_op_login') IS NOT NULL AS ok
  FROM ffrtmp.create_user('op2@ak.example', 'operator', tenant => 'ak') u \gset
SET ROLE ak_admin_login;
SELECT lives_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'v', :'viewer'), 'a tenant admin makes keys for its users');
SELECT lives_ok($$SELECT ffrtmp.create_api_key('t', role => 'tenant_admin')$$, 'and service keys up to its own role');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('t', role => 'superadmin')$$, '22023', NULL, 'not superadmin');
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'x', :'other_user'), 'PT404', NULL,
                 'not for another tenant''s user');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('x', tenant => 'ak-other')$$, '42501', NULL, 'nor for another tenant');
RESET ROLE;
SET ROLE ak_op_login;
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'x', :'viewer'), '42501', NULL,
                 'an operator makes no keys');
RESET ROLE;
-- A creator narrowed by its own key's scopes cannot give more.
\o /dev/null
SELECT api_key AS kmkey FROM ffrtmp.create_api_key('key admin', tenant => 'ak', role => 'tenant_admin',
                                                     scopes => '{keys.manage}') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'kmkey') IS NOT NULL AS ok \gset
SELECT throws_ok($$SELECT ffrtmp.create_api_key('wider', scopes => '{jobs.view}')$$, '42501', NULL,
                 'a key limited to keys.manage cannot make a key with jobs.view');
SELECT throws_ok($$SELECT ffrtmp.create_api_key('wider', role => 'operator')$$, '42501', NULL,
                 'nor one without scopes');
SELECT throws_ok(format('SELECT ffrtmp.rotate_api_key(%L)', :'k1'), '42501', NULL,
                 'nor take a wider key''s powers by rotating it');
ROLLBACK TO SAVEPOINT s;

-- 13. Audit rows: create, rotate and revoke, never the secret; who acted with which key.
\o /dev/null
SELECT key_id AS ak1, api_key AS akey1 FROM ffrtmp.create_api_key('audited', tenant => 'ak', role => 'tenant_admin') \gset
SELECT new_key_id AS ak2, api_key AS akey2 FROM ffrtmp.rotate_api_key(:'ak1', grace => '1 hour') \gset
SELECT ffrtmp.revoke_api_key(:'ak2');
\o
SELECT is((SELECT string_agg(action, ',' ORDER BY id) FROM ffrtmp_data.audit_log
            WHERE target IN ('api_key:' || :'ak1', 'api_key:' || :'ak2')),
          'api_key.create,api_key.rotate,api_key.revoke', 'create, rotate and revoke each write an audit row');
SELECT is((SELECT change ->> 'new_key_id' FROM ffrtmp_data.audit_log WHERE action = 'api_key.rotate' AND target = 'api_key:' || :'ak1'),
          :'ak2', 'the rotation names the new key');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log a
            WHERE a.target LIKE 'api_key:%'
              AND (a.change::text LIKE '%' || split_part(:'akey1', '_', 3) || '%'
                   OR a.change::text LIKE '%' || split_part(:'akey2', '_', 3) || '%'
                   OR a.change ? 'secret_sha256')), 0::bigint, 'no audit row holds a secret or its hash');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'akey1') IS NOT NULL AS ok \gset
SELECT key_id AS ak3 FROM ffrtmp.create_api_key('made with a key') \gset
SELECT key_id AS audited_key FROM ffrtmp_data.audit_log WHERE target = 'api_key:' || :'ak3' \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'audited_key'::text, :'ak1', 'a row written under a key carries the key id');
-- A failed authentication is queued as auth_failed, saying nothing of what was wrong.
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_0000000000000000_' || split_part(:'key1', '_', 3)),
                 '28000', 'invalid api key', 'one more failed authentication');
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS ok \gset
SELECT ok(EXISTS (SELECT 1 FROM ffrtmp_data.audit_log WHERE action = 'api_key.authenticate' AND outcome = 'auth_failed'
                   AND target = 'api_key' AND change - 'refused_at' - 'refusals_not_logged_before' = '{}'),
          'failed authentications are logged as auth_failed, without the key or what was wrong');

-- 14. issue_api_key, for other SQL of the extension: a user's first key.
\o /dev/null
SELECT key_id AS ik, api_key AS ikey FROM ffrtmp_data.issue_api_key(:'ak', 'first key', "user" => :'viewer') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'ikey') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS i_role \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'i_role'::text, 'viewer', 'issue_api_key makes a working key of the user');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log WHERE action = 'api_key.create' AND target = 'api_key:' || :'ik'),
          1::bigint, 'and audits it');
SELECT is(has_function_privilege('ak_user', 'ffrtmp_data.issue_api_key(uuid, text, uuid, text, text[], timestamptz, text)', 'EXECUTE'),
          false, 'which no tenant may call');


CREATE FUNCTION pg_temp.key_id_refusal(q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$fn$;

-- 15. (before 9, which keeps a key authenticated) A key id is checked by the one rule of the key format, for revoke and rotate alike.
SELECT is((SELECT count(*) FROM unnest(ARRAY[NULL, '', repeat('a', 15), repeat('a', 17), 'ABCDEF0123456789', 'ffrtmp_' || :'k1',
                                             repeat('g', 16)]) id,
                  unnest(ARRAY['revoke_api_key(%L)', 'rotate_api_key(%L)']) fn
            WHERE pg_temp.key_id_refusal(format('SELECT ffrtmp.' || fn, id)) = '22023 key_id must be 16 hex digits'),
          14::bigint, 'NULL, empty, 15 or 17 digits, upper case, a full prefix, not hex: 22023 "key_id must be 16 hex digits"');


-- 16. A personal key acts as its user (the audit log names the user): only
-- the user itself, or a role ranked strictly above the user's, makes or
-- rotates one; any holder of keys.manage revokes one (that takes power away).
\o /dev/null
SELECT ffrtmp.create_tenant('ak-peers', plan => 'pro');
CREATE ROLE ak_peer1;
CREATE ROLE ak_peers_legacy;
SELECT ffrtmp.add_tenant_role('ak-peers', 'ak_peers_legacy');
SELECT id AS peer1 FROM ffrtmp.create_user('peer1@ak.example', 'tenant_admin', tenant => 'ak-peers') \gset
SELECT id AS peer2 FROM ffrtmp.create_user('peer2@ak.example', 'tenant_admin', tenant => 'ak-peers') \gset
SELECT id AS peer_op FROM ffrtmp.create_user('op@ak.example', 'operator', tenant => 'ak-peers') \gset
SELECT ffrtmp.map_user_role(:'peer1', 'ak_peer1');
SELECT key_id AS peer2_key FROM ffrtmp.create_api_key('peer2 laptop', "user" => :'peer2') \gset
SELECT key_id AS peer2_key2 FROM ffrtmp.create_api_key('peer2 desktop', "user" => :'peer2') \gset
\o
SET ROLE ak_peer1;
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'as peer2', :'peer2'), '42501', NULL,
                 'a tenant_admin cannot make a key acting as a peer tenant_admin');
SELECT throws_ok(format('SELECT ffrtmp.rotate_api_key(%L)', :'peer2_key'), '42501', NULL,
                 'nor rotate a peer''s key to get its new secret');
SELECT lives_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'mine', :'peer1'),
                'it makes its own keys');
SELECT lives_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'for op', :'peer_op'),
                'and keys of users ranked below it');
SELECT lives_ok(format('SELECT ffrtmp.revoke_api_key(%L)', :'peer2_key'),
                'and revokes a peer''s key');
RESET ROLE;
SET ROLE ak_peers_legacy;
SELECT throws_ok(format('SELECT ffrtmp.create_api_key(%L, "user" => %L)', 'as peer2', :'peer2'), '42501', NULL,
                 'a role mapped with add_tenant_role (tenant_admin, no user) neither');
RESET ROLE;
SELECT lives_ok(format('SELECT ffrtmp.rotate_api_key(%L)', :'peer2_key2'),
                'an administrator, ranked above, rotates it');

-- 17. Every path that makes a key counts against the 100 live keys of a
-- tenant, rotation included (its old key lives on for the grace period).
\o /dev/null
SELECT ffrtmp.create_tenant('ak-bound', plan => 'pro');
SELECT (ffrtmp.create_api_key('k' || g, tenant => 'ak-bound', role => 'viewer')).key_id FROM generate_series(1, 100) g;
SELECT key_id AS bound_key FROM ffrtmp.list_api_keys('ak-bound') WHERE name = 'k1' \gset
\o
SELECT throws_ok($$SELECT ffrtmp.create_api_key('k101', tenant => 'ak-bound', role => 'viewer')$$, 'PT429', NULL,
                 'a tenant with 100 live keys creates no more');
SELECT throws_ok(format($$SELECT ffrtmp.rotate_api_key(%L, grace => '30 days')$$, :'bound_key'), 'PT429', NULL,
                 'nor rotates one with a grace period: that would make 101 live keys');
SELECT lives_ok(format($$SELECT ffrtmp.rotate_api_key(%L, grace => '0')$$, :'bound_key'),
                'rotating with no grace replaces the key in its place');
SELECT is((SELECT count(*) FROM ffrtmp.list_api_keys('ak-bound') WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())),
          100::bigint, 'and the tenant still has 100 live keys');

-- Keys dead (revoked or expired) for over 30 days are deleted by the
-- scheduler's pass, so create and revoke loops cannot grow the table.
\o /dev/null
UPDATE ffrtmp_data.api_keys SET revoked_at = now() - interval '31 days'
 WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'ak-bound') AND name IN ('k2', 'k3');
UPDATE ffrtmp_data.api_keys SET revoked_at = now() - interval '29 days'
 WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'ak-bound') AND name = 'k4';
UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '31 days' WHERE key_id = :'bound_key';
\o
SELECT is(ffrtmp_data.prune_api_keys(1000), 3, 'prune_api_keys deletes the keys dead for over 30 days, rotated ones too');
SELECT is((SELECT string_agg(name, ',' ORDER BY name) FROM ffrtmp.list_api_keys('ak-bound') WHERE name IN ('k1', 'k2', 'k3', 'k4')),
          'k1,k4', 'the key dead for 29 days and the one that replaced k1 stay');
SELECT is((SELECT count(*) FROM ffrtmp_data.api_key_uses u WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.api_keys k WHERE k.key_id = u.key_id)),
          0::bigint, 'with their last-use rows');
SELECT is(has_function_privilege('ffrtmp_scheduler', 'ffrtmp_data.prune_api_keys(integer)', 'EXECUTE')
          AND NOT has_function_privilege('ffrtmp_admin', 'ffrtmp_data.prune_api_keys(integer)', 'EXECUTE'),
          true, 'the scheduler prunes, nobody else');


-- 18. Power must not outlive its source.  A key made for a user by someone
-- else never acts above the user's role when it was made; the keys a user
-- made for others go when the user is deleted or disabled; a key made
-- through a key never expires after it and is revoked with it.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'PTRES';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN 'ok' ELSE SQLSTATE END;
    END;
END
$fn$;
\o /dev/null
SELECT ffrtmp.create_tenant('ak-cap', plan => 'pro');
CREATE ROLE ak_ann;
CREATE ROLE ak_dan;
CREATE ROLE ak_peer;
SELECT id AS ann FROM ffrtmp.create_user('ann@cap.example', 'tenant_admin', tenant => 'ak-cap') \gset
SELECT id AS dan FROM ffrtmp.create_user('dan@cap.example', 'tenant_admin', tenant => 'ak-cap') \gset
SELECT id AS vic FROM ffrtmp.create_user('vic@cap.example', 'viewer', tenant => 'ak-cap') \gset
SELECT id AS wes FROM ffrtmp.create_user('wes@cap.example', 'viewer', tenant => 'ak-cap') \gset
SELECT id AS peer FROM ffrtmp.create_user('peer@cap.example', 'tenant_admin', tenant => 'ak-cap') \gset
SELECT ffrtmp.map_user_role(:'ann', 'ak_ann');
SELECT ffrtmp.map_user_role(:'dan', 'ak_dan');
SELECT ffrtmp.map_user_role(:'peer', 'ak_peer');
SET ROLE ak_peer;
SELECT api_key AS peer_own FROM ffrtmp.create_api_key('own', "user" => :'peer') \gset
RESET ROLE;
SET ROLE ak_ann;
SELECT key_id AS for_vic_id, api_key AS for_vic FROM ffrtmp.create_api_key('for-vic', "user" => :'vic') \gset
SELECT ffrtmp.update_user(:'peer', role => 'viewer');
SELECT key_id AS for_peer_id, api_key AS for_peer FROM ffrtmp.create_api_key('for-peer', "user" => :'peer') \gset
SELECT ffrtmp.update_user(:'peer', role => 'tenant_admin');
RESET ROLE;
SET ROLE ak_dan;
SELECT key_id AS for_wes_id FROM ffrtmp.create_api_key('for-wes', "user" => :'wes') \gset
RESET ROLE;
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'for_peer') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS peer_key_role, ffrtmp.has_permission('users.manage') AS peer_key_manages \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'peer_key_role'::text, 'viewer', 'a key made for a demoted peer still acts as viewer once the peer is promoted back');
SELECT is(:'peer_key_manages'::text, 'f', 'and manages no users');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'peer_own') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS peer_own_role \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'peer_own_role'::text, 'tenant_admin', 'the user''s own key follows the user, back up to tenant_admin');
\o /dev/null
SELECT new_key_id AS rot_id, api_key AS rot_key FROM ffrtmp.rotate_api_key(:'for_peer_id') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'rot_key') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS rot_role \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'rot_role'::text, 'viewer', 'rotating a capped key keeps its cap: the new key acts as viewer too');
-- The breaker's example: ann makes a key for viewer vic, is deleted, vic is promoted.
\o /dev/null
SELECT ffrtmp.delete_user(:'ann');
SELECT ffrtmp.update_user(:'vic', role => 'tenant_admin');
\o
SELECT throws_ok(format('SELECT ffrtmp.authenticate(%L)', :'for_vic'), '28000', 'invalid api key',
                 'a key a deleted user made for another user stops working');
SELECT is((SELECT a.change->>'reason' FROM ffrtmp_data.audit_log a
            WHERE a.action = 'api_key.revoke' AND a.target = 'api_key:' || :'for_vic_id'),
          'maker ' || :'ann' || ' deleted', 'it is revoked, with an audit row saying why');
SELECT is((SELECT revoked_at FROM ffrtmp_data.api_keys WHERE key_id = :'rot_id'), NULL,
          'a key it made, rotated by an administrator first, has the rotator for maker and stays');
\o /dev/null
SELECT ffrtmp.disable_user(:'dan');
\o
SELECT isnt((SELECT revoked_at FROM ffrtmp_data.api_keys WHERE key_id = :'for_wes_id'), NULL,
            'disabling the maker revokes the keys it made for others too');

-- A key made through a key never expires after it, and goes with it.
\o /dev/null
SELECT key_id AS hour_id, api_key AS hour_key
  FROM ffrtmp.create_api_key('hour', tenant => 'ak-cap', role => 'tenant_admin', expires_at => now() + interval '1 hour') \gset
SELECT key_id AS never_id, api_key AS never_key FROM ffrtmp.create_api_key('never', tenant => 'ak-cap', role => 'tenant_admin') \gset
\o
SELECT expires_at AS hour_exp FROM ffrtmp_data.api_keys WHERE key_id = :'hour_id' \gset
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'hour_key') IS NOT NULL AS ok \gset
SELECT key_id AS forever_id FROM ffrtmp.create_api_key('forever', role => 'tenant_admin', scopes => '{keys.manage}') \gset
SELECT expires_at AS forever_exp, made_by_key AS forever_by FROM ffrtmp_data.api_keys WHERE key_id = :'forever_id' \gset
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.create_api_key('later', role => 'viewer', expires_at => now() + interval '2 hours')$$) AS later_state \gset
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.create_api_key('sooner', role => 'viewer', expires_at => now() + interval '10 minutes')$$) AS sooner_state \gset
SELECT (ffrtmp.revoke_api_key(:'hour_id')).key_id IS NOT NULL AS ok \gset
SELECT count(*) AS through_live FROM ffrtmp_data.api_keys WHERE made_by_key = :'hour_id' AND revoked_at IS NULL \gset
SELECT count(*) AS through_audited FROM ffrtmp_data.audit_log a
 WHERE a.action = 'api_key.revoke' AND a.change->>'reason' = 'api key ' || :'hour_id' || ' revoked' \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'forever_exp'::timestamptz, :'hour_exp'::timestamptz,
          'a key made through a key expiring in an hour expires with it, not never');
SELECT is(:'forever_by'::text, :'hour_id', 'and records the key it was made through');
SELECT is(:'later_state'::text, '42501', 'an expiry after the creating key''s is refused');
SELECT is(:'sooner_state'::text, 'ok', 'an earlier one is taken');
SELECT is(:'through_live'::text, '0', 'revoking the key revokes every key made through it');
SELECT is(:'through_audited'::text, '1', 'with an audit row (the one key made through it: the refused and the tried ones were rolled back)');
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'never_key') IS NOT NULL AS ok \gset
SELECT key_id AS eternal_id FROM ffrtmp.create_api_key('eternal', role => 'viewer') \gset
SELECT expires_at IS NULL AS eternal_unexpiring FROM ffrtmp_data.api_keys WHERE key_id = :'eternal_id' \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'eternal_unexpiring'::text, 't', 'a key made through an unexpiring key may not expire either');
\o /dev/null
SELECT key_id AS eternal_id, api_key AS eternal_key FROM ffrtmp.create_api_key('eternal', tenant => 'ak-cap', role => 'viewer') \gset
UPDATE ffrtmp_data.api_keys SET made_by_key = :'never_id' WHERE key_id = :'eternal_id';
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'eternal_key') IS NOT NULL AS ok \gset
SELECT ffrtmp.caller_role() AS eternal_role \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'eternal_role'::text, 'viewer', 'and it works while its source does');

-- 19. A key acts at most with its maker's power now: its maker user active
-- and its role, the key it was made through usable and what it acts with,
-- up the chain, read at every statement.
CREATE FUNCTION pg_temp.acting(api_key text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        PERFORM ffrtmp.authenticate(api_key);
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = ffrtmp.caller_role();
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN SQLERRM ELSE 'refused ' || SQLSTATE END;
    END;
END
$fn$;
-- Runs q authenticated with api_key, undone after; its SQLSTATE, or ok.
CREATE FUNCTION pg_temp.through(api_key text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        PERFORM ffrtmp.authenticate(api_key);
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'PTRES';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN 'ok' ELSE SQLSTATE END;
    END;
END
$fn$;
\o /dev/null
SELECT ffrtmp.create_tenant('ak-live', plan => 'pro');
CREATE ROLE ak_lx;
CREATE ROLE ak_lo;
CREATE ROLE ak_lu;
CREATE ROLE ak_la;
CREATE ROLE ak_lb;
SELECT id AS lx FROM ffrtmp.create_user('x@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lo FROM ffrtmp.create_user('o@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lu FROM ffrtmp.create_user('u@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS la FROM ffrtmp.create_user('a@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lb FROM ffrtmp.create_user('b@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lw FROM ffrtmp.create_user('w@live.example', 'operator', tenant => 'ak-live') \gset
SELECT ffrtmp.map_user_role(:'lx', 'ak_lx');
SELECT ffrtmp.map_user_role(:'lo', 'ak_lo');
SELECT ffrtmp.map_user_role(:'lu', 'ak_lu');
SELECT ffrtmp.map_user_role(:'la', 'ak_la');
SELECT ffrtmp.map_user_role(:'lb', 'ak_lb');
-- F1: x rotates peer o's own key while o is demoted.
SET ROLE ak_lo;
SELECT key_id AS o_id FROM ffrtmp.create_api_key('o-own', "user" => :'lo') \gset
RESET ROLE;
SELECT ffrtmp.update_user(:'lo', role => 'viewer');
SET ROLE ak_lx;
SELECT new_key_id AS o2_id, api_key AS o2_key FROM ffrtmp.rotate_api_key(:'o_id') \gset
RESET ROLE;
SELECT ffrtmp.update_user(:'lo', role => 'tenant_admin');
\o
SELECT is(pg_temp.acting(:'o2_key'), 'viewer',
          'a peer''s key rotated while its user was demoted acts as the role then, the user promoted back');
SELECT is((SELECT made_by_user::text || ' ' || role_cap FROM ffrtmp_data.api_keys WHERE key_id = :'o2_id'),
          :'lx' || ' viewer', 'the rotator is its maker, the user''s role then its cap');
\o /dev/null
SELECT ffrtmp.delete_user(:'lx');
\o
SELECT is(pg_temp.acting(:'o2_key'), 'refused 28000', 'and it stops once the rotator is deleted');

-- F2: a service key made through u's personal key.
\o /dev/null
SET ROLE ak_lu;
SELECT key_id AS p_id, api_key AS p_key FROM ffrtmp.create_api_key('u-own', "user" => :'lu') \gset
RESET ROLE;
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'p_key') IS NOT NULL AS ok \gset
SELECT key_id AS s_tmp FROM ffrtmp.create_api_key('through-p', role => 'tenant_admin') \gset
SELECT made_by_user AS s_by_user, made_by_key AS s_by_key FROM ffrtmp_data.api_keys WHERE key_id = :'s_tmp' \gset
ROLLBACK TO SAVEPOINT s;
-- The same key again, kept (an authenticated key lasts the transaction).
SELECT key_id AS s_id, api_key AS s_key FROM ffrtmp.create_api_key('through-p', tenant => 'ak-live', role => 'tenant_admin') \gset
UPDATE ffrtmp_data.api_keys SET made_by_user = :'s_by_user', made_by_key = :'s_by_key' WHERE key_id = :'s_id';
\o
SELECT is(:'s_by_user' || ' ' || :'s_by_key', :'lu' || ' ' || :'p_id', 'a key made through a personal key records its user and key');
SELECT is(pg_temp.acting(:'s_key'), 'tenant_admin', 'it acts with its role while its maker may');
\o /dev/null
SELECT ffrtmp.update_user(:'lu', role => 'viewer');
\o
SELECT is(pg_temp.acting(:'s_key'), 'viewer', 'its maker demoted, it acts as the maker now does');
SELECT is(pg_temp.through(:'s_key', $$SELECT ffrtmp.invite_user('u2@live.example', 'tenant_admin')$$), '42501',
          'and cannot invite a tenant_admin any more');
\o /dev/null
SELECT ffrtmp.update_user(:'lu', role => 'tenant_admin');
SELECT ffrtmp.disable_user(:'lu');
\o
SELECT is(pg_temp.acting(:'s_key'), 'refused 28000', 'its maker disabled, it stops');
\o /dev/null
SELECT ffrtmp.update_user(:'lu', status => 'active');
\o
SELECT is(pg_temp.acting(:'s_key'), 'tenant_admin', 'and works again when the maker is enabled again');

-- A service key made by an administrator user, disabled, enabled, deleted.
\o /dev/null
SET ROLE ak_la;
SELECT key_id AS sa_id, api_key AS sa_key FROM ffrtmp.create_api_key('by-a', role => 'operator') \gset
SELECT key_id AS sb_id FROM ffrtmp.create_api_key('by-a-rotated', role => 'operator') \gset
SELECT key_id AS sr_id, api_key AS sr_key FROM ffrtmp.create_api_key('by-a-revoked', role => 'operator') \gset
RESET ROLE;
SET ROLE ak_lb;
SELECT new_key_id AS sb2_id, api_key AS sb2_key FROM ffrtmp.rotate_api_key(:'sb_id') \gset
RESET ROLE;
SELECT ffrtmp.disable_user(:'la');
\o
SELECT is(pg_temp.acting(:'sa_key'), 'refused 28000', 'a service key made by an administrator who is disabled stops');
\o /dev/null
SELECT ffrtmp.revoke_api_key(:'sr_id');
SELECT ffrtmp.update_user(:'la', status => 'active');
\o
SELECT is(pg_temp.acting(:'sa_key'), 'operator', 'and works again once the administrator is enabled');
SELECT is(pg_temp.acting(:'sr_key'), 'refused 28000', 'unless it was revoked meanwhile');
\o /dev/null
SELECT ffrtmp.delete_user(:'la');
\o
SELECT is(pg_temp.acting(:'sb2_key'), 'operator', 'rotated by another administrator first, it keeps working after its first maker is deleted');

-- F5: a demoted maker's personal key for another user.
\o /dev/null
SET ROLE ak_lb;
SELECT api_key AS for_w FROM ffrtmp.create_api_key('for-w', "user" => :'lw') \gset
RESET ROLE;
SELECT ffrtmp.update_user(:'lb', role => 'viewer');
\o
SELECT is(pg_temp.acting(:'for_w'), 'viewer', 'a key made for another user acts no higher than its maker demoted');
\o /dev/null
SELECT ffrtmp.update_user(:'lb', role => 'tenant_admin');
SELECT ffrtmp.update_user(:'lw', role => 'tenant_admin');
\o
SELECT is(pg_temp.acting(:'for_w'), 'operator', 'its maker promoted does not raise it above its cap');

-- F3: keys and invitations made through a key follow its rotation.
\o /dev/null
SELECT key_id AS ka_id FROM ffrtmp.create_api_key('chain-a', tenant => 'ak-live', role => 'tenant_admin') \gset
SELECT key_id AS kb_id, api_key AS kb_key FROM ffrtmp.create_api_key('chain-b', tenant => 'ak-live', role => 'tenant_admin') \gset
SELECT key_id AS kc_id, api_key AS kc_key FROM ffrtmp.create_api_key('chain-c', tenant => 'ak-live', role => 'tenant_admin') \gset
UPDATE ffrtmp_data.api_keys SET made_by_key = :'ka_id' WHERE key_id = :'kb_id';
UPDATE ffrtmp_data.api_keys SET made_by_key = :'kb_id' WHERE key_id = :'kc_id';
SELECT invitation_id AS kinv FROM ffrtmp.invite_user('chain@live.example', 'viewer', tenant => 'ak-live') \gset
UPDATE ffrtmp_data.invitations SET invited_by_key = :'ka_id' WHERE id = :'kinv';
SELECT new_key_id AS ka2_id FROM ffrtmp.rotate_api_key(:'ka_id', grace => '0') \gset
\o
SELECT is((SELECT made_by_key FROM ffrtmp_data.api_keys WHERE key_id = :'kb_id')
          || ' ' || (SELECT invited_by_key FROM ffrtmp_data.invitations WHERE id = :'kinv'),
          :'ka2_id' || ' ' || :'ka2_id', 'rotating a key re-points the keys and invitations made through it to the new key');
SELECT is(pg_temp.acting(:'kc_key'), 'tenant_admin', 'so they outlive the old key''s grace');
-- A chain of three: the middle one expiring stops the last.
SAVEPOINT s;
UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = :'kb_id';
SELECT pg_temp.acting(:'kc_key') AS kc_after \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'kc_after'::text, 'refused 28000', 'in a chain of three keys, the middle one expired stops the last');
-- F6: a key revokes its own ancestor, and everything below, in one statement.
CREATE FUNCTION pg_temp.revoke_through(api_key text, target text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    next text;
BEGIN
    BEGIN
        PERFORM ffrtmp.authenticate(api_key);
        PERFORM ffrtmp.revoke_api_key(target);
        BEGIN
            PERFORM ffrtmp.caller_role();
            next := 'ok';
        EXCEPTION WHEN OTHERS THEN
            next := SQLSTATE;
        END;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = 'revoked, then ' || next;
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN SQLERRM ELSE SQLSTATE || ': ' || SQLERRM END;
    END;
END
$fn$;
SELECT is(pg_temp.revoke_through(:'kc_key', :'ka2_id'), 'revoked, then 28000',
          'a key may revoke the key it was made through, its own key going with it: the next statement is refused');
\o /dev/null
SELECT ffrtmp.revoke_api_key(:'ka2_id');
\o
SELECT is((SELECT count(*) FROM ffrtmp_data.api_keys WHERE key_id IN (:'ka2_id', :'kb_id', :'kc_id') AND revoked_at IS NOT NULL)
          || ' ' || (SELECT count(*) FROM ffrtmp_data.invitations WHERE id = :'kinv' AND revoked_at IS NOT NULL),
          '3 1', 'revoking the new key revokes the chain and the invitation made through the old one');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log a
            WHERE a.action = 'api_key.revoke' AND a.target IN ('api_key:' || :'kb_id', 'api_key:' || :'kc_id')),
          2::bigint, 'each key of the chain with its audit row');

-- A key rotating itself: the new key keeps the old one's expiry and maker
-- key, not the grace of the key it was made through.
CREATE FUNCTION pg_temp.rotate_self(api_key text, key_id text, grace interval) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    fresh record;
BEGIN
    BEGIN
        PERFORM ffrtmp.authenticate(api_key);
        SELECT * INTO fresh FROM ffrtmp.rotate_api_key(key_id, grace);
        RAISE EXCEPTION USING ERRCODE = 'PTRES',
            MESSAGE = (SELECT format('expires %s, made through %s', k.expires_at, coalesce(k.made_by_key, 'no key'))
                         FROM ffrtmp_data.api_keys k WHERE k.key_id = fresh.new_key_id);
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN SQLERRM ELSE SQLSTATE || ': ' || SQLERRM END;
    END;
END
$fn$;
\o /dev/null
SELECT key_id AS self_id, api_key AS self_key
  FROM ffrtmp.create_api_key('self', tenant => 'ak-live', role => 'tenant_admin', expires_at => now() + interval '10 days') \gset
\o
SELECT expires_at AS self_exp FROM ffrtmp_data.api_keys WHERE key_id = :'self_id' \gset
SELECT is(pg_temp.rotate_self(:'self_key', :'self_id', '1 hour'), format('expires %s, made through no key', :'self_exp'::timestamptz),
          'a key rotating itself: the new key keeps its expiry and hangs from no old key');
SELECT is(pg_temp.rotate_self(:'self_key', :'self_id', '0'), format('expires %s, made through no key', :'self_exp'::timestamptz),
          'with grace 0 too, the caller''s key ending only after the rotation');

-- 19b. The maker limit survives every rotation, and the twins agree.
\o /dev/null
CREATE ROLE ak_lp;
CREATE ROLE ak_lq;
SELECT id AS lp FROM ffrtmp.create_user('p@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lq FROM ffrtmp.create_user('q@live.example', 'tenant_admin', tenant => 'ak-live') \gset
SELECT id AS lr FROM ffrtmp.create_user('r@live.example', 'operator', tenant => 'ak-live') \gset
SELECT ffrtmp.map_user_role(:'lp', 'ak_lp');
SELECT ffrtmp.map_user_role(:'lq', 'ak_lq');
SET ROLE ak_lp;
SELECT key_id AS p_svc_id, api_key AS p_svc FROM ffrtmp.create_api_key('p-svc', role => 'tenant_admin') \gset
SELECT key_id AS r_key_id FROM ffrtmp.create_api_key('for-r', "user" => :'lr') \gset
RESET ROLE;
\o
CREATE FUNCTION pg_temp.rotate_self_maker(api_key text, key_id text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    fresh record;
BEGIN
    BEGIN
        PERFORM ffrtmp.authenticate(api_key);
        SELECT * INTO fresh FROM ffrtmp.rotate_api_key(key_id, '0');
        RAISE EXCEPTION USING ERRCODE = 'PTRES',
            MESSAGE = (SELECT coalesce(k.made_by_user::text, 'no user') FROM ffrtmp_data.api_keys k WHERE k.key_id = fresh.new_key_id);
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN SQLERRM ELSE SQLSTATE || ': ' || SQLERRM END;
    END;
END
$fn$;
SELECT is(pg_temp.rotate_self_maker(:'p_svc', :'p_svc_id'), :'lp'::text,
          'a service key rotating itself keeps the user who made it as its maker (and so that user''s limit)');
\o /dev/null
SELECT ffrtmp.update_user(:'lr', role => 'tenant_admin');
\o
SET ROLE ak_lq;
SELECT is(pg_temp.sqlstate_of(format('SELECT ffrtmp.rotate_api_key(%L)', :'r_key_id')), '42501',
          'a peer may not rotate a capped key of a user now its peer: the user''s role now counts, not the cap');
RESET ROLE;
\o /dev/null
SELECT ffrtmp.create_tenant('ak-exp', plan => 'pro');
SELECT key_id AS e_key_id FROM ffrtmp.create_api_key('e', tenant => 'ak-exp') \gset
UPDATE ffrtmp_data.tenants SET expires_at = now() WHERE name = 'ak-exp';
\o
SELECT is(ffrtmp_data.key_acting_role(:'e_key_id'), NULL, 'an expired tenant''s key acts with no role in SQL, as authenticate refuses it in C');

-- 8b. A read-only transaction (PostgREST's GET, a hot standby) authenticates:
-- the last use waits for a writable one.
UPDATE ffrtmp_data.api_key_uses SET last_used_at = now() - interval '2 minutes' WHERE key_id = :'k7';
SAVEPOINT r;
SET LOCAL transaction_read_only = on;
SELECT lives_ok(format('SELECT ffrtmp.authenticate(%L)', :'key7'), 'a read-only transaction authenticates a key last used long ago');
SELECT is(ffrtmp.caller_role(), 'operator', 'and acts with it');
ROLLBACK TO SAVEPOINT r;
SELECT is((SELECT last_used_at FROM ffrtmp_data.api_key_uses WHERE key_id = :'k7'), now() - interval '2 minutes',
          'without writing its last use');

-- 9. last_used_at, at most once a minute (this authentication is kept).
UPDATE ffrtmp_data.api_key_uses SET last_used_at = now() - interval '30 seconds' WHERE key_id = :'k1';
UPDATE ffrtmp_data.api_key_uses SET last_used_at = now() - interval '2 minutes' WHERE key_id = :'k7';
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'key1') IS NOT NULL AS ok \gset
SELECT last_used_at = now() - interval '30 seconds' AS recent_kept FROM ffrtmp_data.api_key_uses WHERE key_id = :'k1' \gset
ROLLBACK TO SAVEPOINT s;
SELECT ok(:'recent_kept'::boolean, 'a key used less than a minute ago is not written again');
SELECT lives_ok(format('SELECT ffrtmp.authenticate(%L)', :'key7'), 'authenticate inside a subtransaction that commits');
SELECT is((SELECT last_used_at FROM ffrtmp_data.api_key_uses WHERE key_id = :'k7'), now(), 'a key used over a minute ago gets last_used_at');

SELECT * FROM finish();
ROLLBACK;
