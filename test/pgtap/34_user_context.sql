-- Users in the tenant context: the user a database role acts as decides its
-- tenant for row-level security as well as its role for permissions, so a
-- disabled or deleted user reads nothing; a role mapped with add_tenant_role
-- and no user stays the documented shortcut (tenant_admin).  Also:
-- repair_usage works for a member of ffrtmp_admin that is no superuser.
BEGIN;
SELECT plan(44);

\o /dev/null
SELECT ffrtmp.create_tenant('ctx-a', plan => 'pro');
SELECT ffrtmp.create_tenant('ctx-b', plan => 'pro');
SELECT ffrtmp.create_tenant('ctx-s', plan => 'pro');
SELECT id AS tenant_a FROM ffrtmp_data.tenants WHERE name = 'ctx-a' \gset
SELECT id AS tenant_b FROM ffrtmp_data.tenants WHERE name = 'ctx-b' \gset
CREATE ROLE tap_c_op LOGIN;
CREATE ROLE tap_c_unmapped LOGIN;
CREATE ROLE tap_c_gone LOGIN;
CREATE ROLE tap_c_old LOGIN;
CREATE ROLE tap_c_root LOGIN;
CREATE ROLE tap_c_susp LOGIN;
CREATE ROLE tap_c_viewers NOLOGIN;
CREATE ROLE tap_c_member LOGIN IN ROLE tap_c_viewers;
CREATE ROLE tap_c_ops LOGIN IN ROLE ffrtmp_admin;
CREATE ROLE tap_c_boss LOGIN;
CREATE ROLE tap_c_legacy LOGIN;
CREATE ROLE tap_c_dropped LOGIN;
CREATE ROLE tap_c_dropu LOGIN;
SELECT id AS op FROM ffrtmp.create_user('op@ctx.example', 'operator', tenant => 'ctx-a') \gset
SELECT id AS unmapped FROM ffrtmp.create_user('unmapped@ctx.example', 'operator', tenant => 'ctx-a') \gset
SELECT id AS gone FROM ffrtmp.create_user('gone@ctx.example', 'viewer', tenant => 'ctx-a') \gset
SELECT id AS viewers FROM ffrtmp.create_user('viewers@ctx.example', 'viewer', tenant => 'ctx-b') \gset
SELECT id AS susp FROM ffrtmp.create_user('susp@ctx.example', 'operator', tenant => 'ctx-s') \gset
SELECT ffrtmp.map_user_role(:'op', 'tap_c_op');
SELECT ffrtmp.map_user_role(:'unmapped', 'tap_c_unmapped');
SELECT ffrtmp.map_user_role(:'gone', 'tap_c_gone');
SELECT ffrtmp.map_user_role(:'viewers', 'tap_c_viewers');
SELECT ffrtmp.map_user_role(:'susp', 'tap_c_susp');
SELECT ffrtmp.add_tenant_role('ctx-a', 'tap_c_old');
SELECT id AS boss FROM ffrtmp.create_user('boss@ctx.example', 'tenant_admin', tenant => 'ctx-a') \gset
SELECT ffrtmp.map_user_role(:'boss', 'tap_c_boss');
SELECT ffrtmp.add_tenant_role('ctx-a', 'tap_c_legacy');
SELECT ffrtmp.add_tenant_role('ctx-a', 'tap_c_dropped');
SELECT id AS dropu FROM ffrtmp.create_user('dropu@ctx.example', 'viewer', tenant => 'ctx-a') \gset
SELECT ffrtmp.map_user_role(:'dropu', 'tap_c_dropu');
-- A platform administrator's user; map_user_role maps only tenant users, so by
-- hand, with the privileges to call the API that mapping would have granted.
INSERT INTO ffrtmp_data.users (email, role, db_role, db_role_oid, created_by)
VALUES ('root@ctx.example', 'superadmin', 'tap_c_root', 'tap_c_root'::regrole, 'test');
GRANT ffrtmp_tenant TO tap_c_root;

-- What q returns as login, or its SQLSTATE; the role switch is undone either way.
CREATE FUNCTION pg_temp.as_role(login text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    result text;
BEGIN
    BEGIN
        EXECUTE format('SET ROLE %I', login);
        EXECUTE q INTO result;
        RESET ROLE;
        RETURN result;
    EXCEPTION WHEN OTHERS THEN
        RETURN SQLSTATE;
    END;
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.as_role(text, text) TO PUBLIC;
\o

-- 1. A user's role gives the user's tenant and role.
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT ffrtmp.current_tenant()::text'), :'tenant_a',
          'a role mapped to a user acts for the user''s tenant');
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT string_agg(name, '','') FROM ffrtmp.tenants'), 'ctx-a',
          'and reads that tenant''s rows only');
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT ffrtmp.caller_role()'), 'operator',
          'with the user''s role');

-- 2. The user decides the tenant even with its tenant mapping gone (the role
--    keeping the privileges to call the API some other way).
SELECT ffrtmp.remove_tenant_role('ctx-a', 'tap_c_unmapped') \g /dev/null
GRANT ffrtmp_tenant TO tap_c_unmapped;
SELECT is(pg_temp.as_role('tap_c_unmapped', 'SELECT ffrtmp.current_tenant()::text'), :'tenant_a',
          'a user whose role lost its add_tenant_role mapping still acts for its tenant');
SELECT is(pg_temp.as_role('tap_c_unmapped', 'SELECT string_agg(name, '','') FROM ffrtmp.tenants'), 'ctx-a',
          'and reads its tenant''s views, as its permissions already allowed');

-- 3. Disabled: no tenant, no rows, no role; enabled again: the next statement reads.
SELECT ffrtmp.disable_user(:'op') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT count(*)::text FROM ffrtmp.tenants'), '42501',
          'a disabled user reads nothing: refused like an unmapped role');
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT ffrtmp.current_tenant()::text'), '42501',
          'and has no tenant');
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT count(*)::text FROM ffrtmp.jobs'), '42501',
          'nor jobs to read');
SELECT is(pg_temp.as_role('tap_c_op', $$SELECT ffrtmp.submit_job('testsrc://')::text$$), '42501',
          'nor may it submit');
SELECT throws_ok($$SET ROLE tap_c_op; SELECT ffrtmp.current_tenant()$$, '42501',
                 'user op@ctx.example is disabled', 'the refusal names the disabled user');
RESET ROLE;
SELECT ffrtmp.update_user(:'op', status => 'active') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT string_agg(name, '','') FROM ffrtmp.tenants'), 'ctx-a',
          'enabled again, the user reads its tenant at the next statement');

-- 4. Deleted: the role's leftover tenant mapping must not make it a tenant_admin.
SELECT ffrtmp.delete_user(:'gone') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_gone', 'SELECT count(*)::text FROM ffrtmp.tenants'), '42501',
          'a deleted user reads nothing');
SELECT is(pg_temp.as_role('tap_c_gone', 'SELECT ffrtmp.caller_role()'), '42501',
          'and holds no role, not even tenant_admin through the mapping map_user_role made');
SELECT is(pg_temp.as_role('tap_c_gone', $$SELECT (ffrtmp.create_user('mole@ctx.example', 'tenant_admin')).role$$), '42501',
          'so it cannot manage users');
SELECT throws_ok($$SET ROLE tap_c_gone; SELECT ffrtmp.current_tenant()$$, '42501',
                 'user gone@ctx.example has been deleted', 'the refusal says the user is deleted');
RESET ROLE;
SELECT ffrtmp.restore_user(:'gone') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_gone', 'SELECT ffrtmp.caller_role()'), 'viewer',
          'restored, it acts as its viewer again');

-- 5. A user mapped to a group role: its members act as it, and not when it is disabled.
SELECT is(pg_temp.as_role('tap_c_member', 'SELECT ffrtmp.current_tenant()::text'), :'tenant_b',
          'a member of a group role mapped to a user acts for that user''s tenant');
SELECT is(pg_temp.as_role('tap_c_member', 'SELECT ffrtmp.caller_role()'), 'viewer',
          'with that user''s role');
SELECT ffrtmp.disable_user(:'viewers') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_member', 'SELECT count(*)::text FROM ffrtmp.tenants'), '42501',
          'the group''s user disabled, its members read nothing');
SELECT ffrtmp.update_user(:'viewers', status => 'active') \g /dev/null

-- 6. A superadmin user (no tenant) is an administrator.
SELECT is(pg_temp.as_role('tap_c_root', 'SELECT ffrtmp.caller_is_admin()::text'), 'true',
          'a superadmin user is an administrator');
SELECT is(pg_temp.as_role('tap_c_root', $$SELECT count(*)::text FROM ffrtmp.tenants WHERE name IN ('ctx-a', 'ctx-b')$$), '2',
          'and reads every tenant');
SELECT is(pg_temp.as_role('tap_c_root', 'SELECT ffrtmp.caller_role()'), 'superadmin',
          'as superadmin');
UPDATE ffrtmp_data.users SET status = 'disabled' WHERE db_role = 'tap_c_root';
SELECT is(pg_temp.as_role('tap_c_root', 'SELECT count(*)::text FROM ffrtmp.tenants'), '42501',
          'disabled, it reads nothing either');

-- 7. A user of a suspended tenant reads its tenant and may not submit.
SELECT ffrtmp.update_tenant('ctx-s', status => 'suspended') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_susp', 'SELECT string_agg(name, '','') FROM ffrtmp.tenants'), 'ctx-s',
          'a user of a suspended tenant still reads its tenant');
SELECT is(pg_temp.as_role('tap_c_susp', $$SELECT ffrtmp.submit_job('testsrc://')::text$$), 'PT403',
          'and is refused new jobs as the tenant is');

-- 8. add_tenant_role stays the shortcut: a mapped role with no user is tenant_admin.
SELECT is(pg_temp.as_role('tap_c_old', 'SELECT ffrtmp.current_tenant()::text'), :'tenant_a',
          'a role mapped with add_tenant_role acts for its tenant');
SELECT is(pg_temp.as_role('tap_c_old', 'SELECT ffrtmp.caller_role()'), 'tenant_admin',
          'as tenant_admin');

-- 9. repair_usage for a member of ffrtmp_admin that is no superuser.
UPDATE ffrtmp_data.usage SET queued_jobs = queued_jobs + 5 WHERE tenant_id = :'tenant_b';
SELECT is(pg_temp.as_role('tap_c_ops', 'SELECT ffrtmp.repair_usage()::text'), '1',
          'a member of ffrtmp_admin repairs usage counters');
SELECT is((SELECT count(*) FROM ffrtmp.verify_usage()), 0::bigint, 'and the counters match a recount again');
SELECT is(pg_temp.as_role('tap_c_op', 'SELECT ffrtmp.repair_usage()::text'), '42501',
          'a tenant user still may not');

-- 10. Mappings are kept by name and OID: PostgreSQL fires no event trigger
-- for DROP ROLE, and a role created again under a mapped name (here even in
-- ffrtmp_tenant, so that it may call the API) is not the old user or mapping.
SELECT is(pg_temp.as_role('tap_c_boss', 'SELECT ffrtmp.caller_role()'), 'tenant_admin', 'boss''s role acts as boss');
DROP ROLE tap_c_boss;
DROP ROLE tap_c_legacy;
CREATE ROLE tap_c_boss LOGIN IN ROLE ffrtmp_tenant;
CREATE ROLE tap_c_legacy LOGIN IN ROLE ffrtmp_tenant;
SELECT is(pg_temp.as_role('tap_c_boss', 'SELECT ffrtmp.caller_role()'), '42501',
          'a role dropped and created again under a user''s role name is not that user');
SELECT is(pg_temp.as_role('tap_c_boss', 'SELECT count(*)::text FROM ffrtmp.jobs'), '42501',
          'and reads nothing of the user''s tenant');
SELECT is(pg_temp.as_role('tap_c_legacy', 'SELECT ffrtmp.current_tenant()::text'), '42501',
          'a role created again under an add_tenant_role name acts for no tenant');
-- The same for a group: members of a group role created again under a
-- mapped group's name are not the group's user.
SELECT is(pg_temp.as_role('tap_c_member', 'SELECT ffrtmp.caller_role()'), 'viewer', 'a member of a mapped group acts as its user');
DROP ROLE tap_c_viewers;
CREATE ROLE tap_c_viewers NOLOGIN IN ROLE ffrtmp_tenant;
GRANT tap_c_viewers TO tap_c_member;
SELECT is(pg_temp.as_role('tap_c_member', 'SELECT ffrtmp.caller_role()'), '42501',
          'the group dropped and created again, its members act as no user and for no tenant');
SELECT ok(EXISTS (SELECT 1 FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p
                   WHERE p LIKE 'role mapping "tap_c_legacy" names a role that was dropped and created again%add_tenant_role%')
          AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p
                       WHERE p LIKE 'user boss@ctx.example is mapped to role "tap_c_boss", which was dropped and created again%map_user_role%'),
          'ready() lists both stale mappings, saying how to map again');
SELECT ffrtmp.map_user_role(:'boss', 'tap_c_boss') \g /dev/null
SELECT ffrtmp.add_tenant_role('ctx-a', 'tap_c_legacy') \g /dev/null
SELECT is(pg_temp.as_role('tap_c_boss', 'SELECT ffrtmp.caller_role()'), 'tenant_admin',
          'mapped again, the new role acts as the user');
SELECT is(pg_temp.as_role('tap_c_legacy', 'SELECT ffrtmp.current_tenant()::text'), :'tenant_a',
          'and the new legacy role for its tenant');
SELECT ok(NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p
                       WHERE p LIKE '%tap_c_boss%' OR p LIKE '%tap_c_legacy%'),
          'ready() no longer lists them');

-- A role dropped for good: its mappings are listed until removed, which
-- works by name although the role no longer exists.
DROP ROLE tap_c_dropped;
DROP ROLE tap_c_dropu;
SELECT ok(EXISTS (SELECT 1 FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p
                   WHERE p LIKE 'role mapping "tap_c_dropped" names a role that was dropped: %remove_tenant_role%'),
          'ready() lists the mapping of a role dropped for good');
SELECT lives_ok($$SELECT ffrtmp.remove_tenant_role('ctx-a', 'tap_c_dropped')$$,
                'remove_tenant_role removes it by name');
SELECT lives_ok(format('SELECT ffrtmp.map_user_role(%L, NULL)', :'dropu'),
                'map_user_role(user, NULL) unmaps a user whose role is gone');
SELECT ok(NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(ffrtmp.ready() -> 'problems') p
                       WHERE p LIKE '%tap_c_drop%'),
          'and ready() lists them no more');

SELECT * FROM finish();
ROLLBACK;
