-- API keys of users and services: a user's key acts with the user's role
-- and as long as the user may, scopes narrow, a service key carries its own
-- role, a tenant administrator makes keys no wider than itself, the audit
-- rows of keys (never a secret), issue_api_key, personal keys made only by
-- the user or a role ranked above it, and the 100 live keys of a tenant
-- with dead keys pruned.  (The key itself: 31_api_keys.sql.)
-- Every authentication is made inside a savepoint that is rolled back; what
-- it saw is kept in psql variables and asserted afterwards.
BEGIN;
SELECT plan(56);

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

SELECT * FROM finish();
ROLLBACK;
