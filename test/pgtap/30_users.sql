-- Users: what a tenant administrator and a platform administrator can do
-- with them, the bounds, and what a user's role and status mean for its
-- database role.
BEGIN;
SELECT plan(52);

\o /dev/null
SELECT ffrtmp.create_tenant('users-a', plan => 'pro');
SELECT ffrtmp.create_tenant('users-b', plan => 'pro');
CREATE ROLE tap_u_admin_a LOGIN;
CREATE ROLE tap_u_op_a LOGIN;
CREATE ROLE tap_u_admin_b LOGIN;
CREATE ROLE tap_u_old LOGIN;
SELECT id AS admin_a FROM ffrtmp.create_user(' Ann.Admin@Example.COM ', 'tenant_admin', tenant => 'users-a', display_name => 'Ann') \gset
SELECT id AS op_a FROM ffrtmp.create_user('op@example.com', 'operator', tenant => 'users-a') \gset
SELECT id AS admin_b FROM ffrtmp.create_user('boss@b.example', 'tenant_admin', tenant => 'users-b') \gset
SELECT ffrtmp.map_user_role(:'admin_a', 'tap_u_admin_a');
SELECT ffrtmp.map_user_role(:'op_a', 'tap_u_op_a');
SELECT ffrtmp.map_user_role(:'admin_b', 'tap_u_admin_b');
SELECT ffrtmp.add_tenant_role('users-a', 'tap_u_old');
CREATE ROLE tap_u_viewers NOLOGIN;
CREATE ROLE tap_u_member LOGIN IN ROLE tap_u_viewers;
SELECT ffrtmp.map_user_role(id, 'tap_u_viewers') FROM ffrtmp.create_user('viewers@example.com', 'viewer', tenant => 'users-a');

-- The SQLSTATE of q run as login (or as the caller when login is NULL),
-- 'ok' when it succeeds; always rolled back.
CREATE FUNCTION pg_temp.state_as(login text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        IF login IS NOT NULL THEN
            EXECUTE format('SET ROLE %I', login);
        END IF;
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'PTRES';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN 'ok' ELSE SQLSTATE END;
    END;
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.state_as(text, text) TO PUBLIC;

-- The SQLSTATE of q run under api_key ('ok' when it succeeds); rolled back,
-- and the key forgotten with the subtransaction.
CREATE FUNCTION pg_temp.state_with_key(api_key text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
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
\o

-- 1. E-mails: normalised, unique per tenant, bounded.
SELECT is((SELECT email FROM ffrtmp.users WHERE id = :'admin_a'), 'ann.admin@example.com',
          'the e-mail is kept trimmed and in lower case');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('ANN.admin@example.com', 'viewer', tenant => 'users-a')$$),
          'PT409', 'the same address in another spelling is the same user of the tenant');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('ann.admin@example.com', 'viewer', tenant => 'users-b')$$),
          'ok', 'the same address may be a user of another tenant');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.create_user('%s@example.com', 'viewer', tenant => 'users-a')$$, repeat('x', 250))),
          '22023', 'an e-mail over 254 bytes is refused');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.create_user(%L, 'viewer', tenant => 'users-a')$$, repeat(' ', 250) || 'pad@example.com')),
          '22023', 'the 254-byte bound applies to the e-mail as given, before the work of trimming and normalising it');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('not an address', 'viewer', tenant => 'users-a')$$),
          '22023', 'a string that is not one address is refused');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('a@b@example.com', 'viewer', tenant => 'users-a')$$),
          '22023', 'two @ are refused');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.create_user('long@example.com', 'viewer', tenant => 'users-a', display_name => '%s')$$, repeat('n', 201))),
          '22023', 'a display name over 200 bytes is refused');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('who@example.com', 'chief', tenant => 'users-a')$$),
          '22023', 'an unknown role is refused');

-- 2. Scope: a superadmin belongs to no tenant, everyone else to one.
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('root@example.com', 'superadmin')$$),
          'ok', 'an administrator creates a superadmin, of no tenant');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('root@example.com', 'superadmin', tenant => 'users-a')$$),
          '22023', 'a superadmin cannot belong to a tenant');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('v@example.com', 'viewer')$$),
          '22023', 'an administrator names the tenant of a tenant user');

-- 3. A tenant administrator: its own tenant, never more than it holds.
SET ROLE tap_u_admin_a;
SELECT is((SELECT tenant FROM ffrtmp.create_user('viewer@example.com', 'viewer')), 'users-a',
          'a tenant administrator creates users in its own tenant');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('peer@example.com', 'tenant_admin')$$),
          'ok', 'a tenant administrator may create another tenant administrator');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('root2@example.com', 'superadmin')$$),
          '42501', 'a tenant administrator cannot create a superadmin');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('x@example.com', 'viewer', tenant => 'users-b')$$),
          '42501', 'a tenant administrator cannot create users in another tenant');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.get_user(%L)$$, :'admin_b')),
          'PT404', 'another tenant''s user does not exist for a tenant administrator');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.update_user(%L, role => 'viewer')$$, :'admin_b')),
          'PT404', 'nor can it be changed');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.map_user_role(%L, NULL)$$, :'op_a')),
          '42501', 'a tenant administrator does not map database roles');
SELECT set_eq($$SELECT email FROM ffrtmp.list_users()$$,
              ARRAY['ann.admin@example.com', 'op@example.com', 'viewer@example.com', 'viewers@example.com'],
              'list_users shows the users of the own tenant only');
RESET ROLE;

-- 4. Role and status decide what the database role may do.
SELECT is(pg_temp.state_as('tap_u_op_a', $$SELECT ffrtmp.submit_job('testsrc://')$$), 'ok',
          'an operator submits jobs');
SELECT is(pg_temp.state_as('tap_u_op_a', $$SELECT ffrtmp.create_user('z@example.com', 'viewer')$$), '42501',
          'an operator cannot manage users');
SELECT is(pg_temp.state_as('tap_u_old', $$SELECT ffrtmp.create_user('z@example.com', 'viewer')$$), 'ok',
          'a role mapped as release 0.1 did, with no user, keeps every power inside its tenant (tenant_admin)');
SELECT is(pg_temp.state_as('tap_u_member', $$SELECT ffrtmp.get_job(1)$$), 'PT404',
          'a member of a group role mapped to a viewer acts as that viewer: it may read jobs');
SELECT is(pg_temp.state_as('tap_u_member', $$SELECT ffrtmp.submit_job('testsrc://')$$), '42501',
          'and cannot submit: the group''s mapping to the tenant does not make it a tenant_admin');
SET ROLE tap_u_admin_a;
SELECT is((SELECT role FROM ffrtmp.update_user(:'op_a', role => 'viewer')), 'viewer', 'a tenant administrator demotes an operator');
RESET ROLE;
SELECT is(pg_temp.state_as('tap_u_op_a', $$SELECT ffrtmp.submit_job('testsrc://')$$), '42501',
          'the demoted user''s database role can no longer submit');
SELECT is((SELECT status FROM ffrtmp.disable_user(:'op_a')), 'disabled', 'disable_user disables');
SELECT is(pg_temp.state_as('tap_u_op_a', $$SELECT ffrtmp.get_job(1)$$), '42501',
          'a disabled user''s database role can do nothing');

-- 5. Soft delete and restore.
SELECT ok((SELECT deleted_at IS NOT NULL FROM ffrtmp.delete_user(:'op_a')), 'delete_user marks the user deleted');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('op@example.com', 'operator', tenant => 'users-a')$$),
          'ok', 'a deleted user''s e-mail is free for a new user');
SELECT is((SELECT deleted_at FROM ffrtmp.restore_user(:'op_a')), NULL, 'restore_user brings the user back');
SELECT is(pg_temp.state_as(NULL, format($$SELECT ffrtmp.update_user(%L, role => 'superadmin')$$, :'op_a')),
          '22023', 'a tenant user cannot become a superadmin of no tenant');

-- 6. Who may give what: giving a role (a new user's, a changed one, a user
-- restored or enabled again) needs every permission of the role, under the
-- caller's key's scopes too, not only a rank as high.
\o /dev/null
SELECT api_key AS k_um FROM ffrtmp.create_api_key('users-only', "user" => :'admin_a', scopes => '{users.manage}') \gset
SELECT api_key AS k_op FROM ffrtmp.create_api_key('operators', "user" => :'admin_a',
    scopes => '{users.manage,tenants.view,jobs.view,nodes.view,metrics.view,jobs.create,jobs.cancel,nodes.work}') \gset
SELECT api_key AS k_full FROM ffrtmp.create_api_key('full', "user" => :'admin_a') \gset
SELECT id AS viewer_a FROM ffrtmp.create_user('v@example.com', 'viewer', tenant => 'users-a') \gset
SELECT id AS peer_del FROM ffrtmp.create_user('peer-del@example.com', 'tenant_admin', tenant => 'users-a') \gset
SELECT id AS peer_dis FROM ffrtmp.create_user('peer-dis@example.com', 'tenant_admin', tenant => 'users-a') \gset
SELECT ffrtmp.delete_user(:'peer_del');
SELECT ffrtmp.disable_user(:'peer_dis');
\o
SELECT is(pg_temp.state_with_key(:'k_um', $$SELECT ffrtmp.create_user('boss2@example.com', 'tenant_admin')$$),
          '42501', 'a key scoped to users.manage cannot create a tenant_admin');
SELECT is(pg_temp.state_with_key(:'k_um', format($$SELECT ffrtmp.update_user(%L, role => 'tenant_admin')$$, :'viewer_a')),
          '42501', 'nor make a viewer tenant_admin');
SELECT is(pg_temp.state_with_key(:'k_um', $$SELECT ffrtmp.create_user('v2@example.com', 'viewer')$$),
          '42501', 'nor even create a viewer: its scopes hold none of a viewer''s permissions');
SELECT is(pg_temp.state_with_key(:'k_op', $$SELECT ffrtmp.create_user('op2@example.com', 'operator')$$),
          'ok', 'a key whose scopes hold every operator permission creates an operator');
SELECT is(pg_temp.state_with_key(:'k_op', $$SELECT ffrtmp.create_user('boss3@example.com', 'tenant_admin')$$),
          '42501', 'but no tenant_admin');
SELECT is(pg_temp.state_with_key(:'k_um', format($$SELECT ffrtmp.restore_user(%L)$$, :'peer_del')),
          '42501', 'restoring a deleted tenant_admin gives the role back: refused to the scoped key');
SELECT is(pg_temp.state_with_key(:'k_um', format($$SELECT ffrtmp.update_user(%L, status => 'active')$$, :'peer_dis')),
          '42501', 'so is enabling a disabled tenant_admin');
SELECT is(pg_temp.state_with_key(:'k_full', $$SELECT ffrtmp.create_user('boss4@example.com', 'tenant_admin')$$),
          'ok', 'the unscoped key of the same tenant_admin gives tenant_admin');
SELECT is(pg_temp.state_with_key(:'k_um', format($$SELECT ffrtmp.disable_user(%L)$$, :'viewer_a')),
          'ok', 'taking power away needs users.manage only: the scoped key disables a viewer');

-- 7. What a user leaves behind: disabling or deleting it revokes the
-- invitations it made and still pending; deleting it revokes its personal
-- keys, for good; the service keys it made stay (they are the tenant's).
\o /dev/null
CREATE ROLE tap_u_leaver LOGIN;
SELECT id AS leaver FROM ffrtmp.create_user('leaver@example.com', 'tenant_admin', tenant => 'users-a') \gset
SELECT ffrtmp.map_user_role(:'leaver', 'tap_u_leaver');
SELECT key_id AS leaver_key FROM ffrtmp.create_api_key('laptop', "user" => :'leaver') \gset
SET ROLE tap_u_leaver;
SELECT invitation_id AS inv1 FROM ffrtmp.invite_user('inv1@example.com', 'viewer') \gset
SELECT key_id AS leaver_svc FROM ffrtmp.create_api_key('ci', role => 'viewer') \gset
RESET ROLE;
SELECT ffrtmp.disable_user(:'leaver');
\o
SELECT is((SELECT status FROM ffrtmp.list_invitations('users-a') WHERE id = :'inv1'), 'revoked',
          'disabling a user revokes the invitations it made');
SELECT is((SELECT revoked_at FROM ffrtmp.list_api_keys('users-a') WHERE key_id = :'leaver_key'), NULL,
          'but not its keys: they only stop working while it is disabled');
\o /dev/null
SELECT ffrtmp.update_user(:'leaver', status => 'active');
SET ROLE tap_u_leaver;
SELECT invitation_id AS inv2 FROM ffrtmp.invite_user('inv2@example.com', 'viewer') \gset
RESET ROLE;
SELECT ffrtmp.delete_user(:'leaver');
\o
SELECT is((SELECT status FROM ffrtmp.list_invitations('users-a') WHERE id = :'inv2'), 'revoked',
          'deleting a user revokes the invitations it made');
SELECT isnt((SELECT revoked_at FROM ffrtmp.list_api_keys('users-a') WHERE key_id = :'leaver_key'), NULL,
          'and its personal keys');
SELECT is((SELECT revoked_at FROM ffrtmp.list_api_keys('users-a') WHERE key_id = :'leaver_svc'), NULL,
          'the service key it made stays');
SELECT ffrtmp.restore_user(:'leaver') \g /dev/null
SELECT isnt((SELECT revoked_at FROM ffrtmp.list_api_keys('users-a') WHERE key_id = :'leaver_key'), NULL,
          'restoring the user does not bring its keys back');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log
            WHERE action = 'api_key.revoke' AND target = 'api_key:' || :'leaver_key' AND change ->> 'reason' LIKE '%deleted'),
          1::bigint, 'the revocation is in the audit log, with its reason');

-- The e-mail rule has one home, ffrtmp_data.is_email: create_user (through
-- normalize_email) and the CHECKs of users and invitations accept the same
-- values and refuse the same ones.
CREATE TEMP TABLE emails (email text, good boolean);
INSERT INTO emails VALUES ('a@b', true), ('ann@example.com', true), (repeat('a', 242) || '@example.com', true),
    (repeat('a', 243) || '@example.com', false), ('no at sign', false), ('a@@b', false), ('a b@c', false),
    ('a@b' || chr(7), false), ('@b', false), ('a@', false);
SELECT is((SELECT count(*) FROM emails e
            WHERE (pg_temp.state_as(NULL, format($$SELECT ffrtmp.create_user(%L, 'viewer', tenant => 'users-b')$$, e.email)) = 'ok') = e.good
              AND (pg_temp.state_as(NULL, format($$UPDATE ffrtmp_data.users SET email = %L WHERE id = %L$$, e.email, :'admin_b')) = 'ok') = e.good
              AND (pg_temp.state_as(NULL, format($$INSERT INTO ffrtmp_data.invitations (tenant_id, email, role, token_sha256, created_by, expires_at)
                                                   SELECT tenant_id, %L, 'viewer', sha256('x'), 'tap', now() + interval '1 day'
                                                     FROM ffrtmp_data.users WHERE id = %L$$, e.email, :'admin_b')) = 'ok') = e.good),
          10::bigint, 'create_user, the users table and the invitations table agree on each of 10 e-mails');

-- 8. Deleted users are kept, so they are bounded too: 10000 rows per tenant.
INSERT INTO ffrtmp_data.users (tenant_id, email, role, created_by, deleted_at)
SELECT t.id, 'gone' || g || '@b.example', 'viewer', 'test', now()
  FROM ffrtmp_data.tenants t,
       generate_series(1, 10000 - (SELECT count(*) FROM ffrtmp_data.users u JOIN ffrtmp_data.tenants x ON x.id = u.tenant_id
                                    WHERE x.name = 'users-b')) g
 WHERE t.name = 'users-b';
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.create_user('one-more@b.example', 'viewer', tenant => 'users-b')$$),
          'PT429', 'a tenant with 10000 users counting deleted ones creates no more');
SELECT is(pg_temp.state_as(NULL, $$SELECT ffrtmp.restore_user((SELECT id FROM ffrtmp_data.users WHERE email = 'gone1@b.example'))$$),
          'ok', 'restoring a deleted one still works');

SELECT * FROM finish();
ROLLBACK;
