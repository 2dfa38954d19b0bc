-- Naming a tenant: every API function written in SQL that takes a tenant
-- argument answers as the 0.1 tenant functions do (ffrtmp.get_tenant here):
-- the same bound, the same SQLSTATE and the same message, so that a tenant
-- principal naming another tenant learns nothing it would not learn naming
-- one that does not exist.
BEGIN;
SELECT plan(50);

\o /dev/null
SELECT ffrtmp.create_tenant('nt-a', plan => 'pro');
SELECT ffrtmp.create_tenant('nt-b', plan => 'pro');
CREATE ROLE tap_n_admin LOGIN IN ROLE ffrtmp_admin;
CREATE ROLE tap_n_boss_a LOGIN;
SELECT ffrtmp.map_user_role(id, 'tap_n_boss_a') FROM ffrtmp.create_user('boss@a.example', 'tenant_admin', tenant => 'nt-a');
SELECT upper(id::text) AS a_id FROM ffrtmp.tenants WHERE name = 'nt-a' \gset

-- SQLSTATE and message of q run as login, 'ok' when it succeeds; always rolled back.
CREATE FUNCTION pg_temp.answer(login text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        EXECUTE format('SET ROLE %I', login);
        EXECUTE q;
        RAISE EXCEPTION USING ERRCODE = 'PTRES';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'PTRES' THEN 'ok' ELSE SQLSTATE || ' ' || SQLERRM END;
    END;
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.answer(text, text) TO PUBLIC;

-- Each function, its call with %L for the tenant, and whether tenant
-- principals may call it at all (verify_audit_chain is for administrators).
CREATE TEMP TABLE calls (fn text, call text, tenants_too boolean);
INSERT INTO calls VALUES
    ('create_api_key', $$SELECT ffrtmp.create_api_key('k', role => 'viewer', tenant => %L)$$, true),
    ('list_api_keys', $$SELECT ffrtmp.list_api_keys(%L)$$, true),
    ('create_user', $$SELECT ffrtmp.create_user('new@a.example', 'viewer', tenant => %L)$$, true),
    ('list_users', $$SELECT ffrtmp.list_users(%L)$$, true),
    ('invite_user', $$SELECT ffrtmp.invite_user('new@a.example', 'viewer', tenant => %L)$$, true),
    ('list_invitations', $$SELECT ffrtmp.list_invitations(%L)$$, true),
    ('verify_audit_chain', $$SELECT ffrtmp.verify_audit_chain(%L)$$, false);
-- Who names which tenant, and what that case is.
CREATE TEMP TABLE cases (login text, ref text, what text, tenants_only boolean);
INSERT INTO cases VALUES
    ('tap_n_admin', 'nt-none', 'an administrator naming a tenant that does not exist', false),
    ('tap_n_admin', repeat('x', 64), 'an administrator naming 64 bytes', false),
    ('tap_n_admin', 'nt-b', 'an administrator naming a tenant', false),
    ('tap_n_boss_a', 'nt-b', 'a tenant administrator naming another tenant', true),
    ('tap_n_boss_a', 'nt-none', 'a tenant administrator naming a tenant that does not exist', true),
    ('tap_n_boss_a', repeat('x', 64), 'a tenant administrator naming 64 bytes', true),
    ('tap_n_boss_a', :'a_id', 'a tenant administrator naming its own tenant by its id in upper case', true);
GRANT SELECT ON calls, cases TO PUBLIC;
\o

-- The reference answers, from the 0.1 function.
SELECT is(pg_temp.answer('tap_n_admin', $$SELECT ffrtmp.get_tenant('nt-none')$$),
          'PT404 tenant "nt-none" does not exist', 'get_tenant: an administrator, a tenant that does not exist');
SELECT is(pg_temp.answer('tap_n_boss_a', $$SELECT ffrtmp.get_tenant('nt-b')$$),
          '42501 permission denied for tenant "nt-b"', 'get_tenant: a tenant principal, another tenant');
SELECT is(pg_temp.answer('tap_n_boss_a', $$SELECT ffrtmp.get_tenant('nt-none')$$),
          '42501 permission denied for tenant "nt-none"', 'get_tenant: a tenant principal, a tenant that does not exist');
SELECT is(pg_temp.answer('tap_n_boss_a', format('SELECT ffrtmp.get_tenant(%L)', repeat('x', 64))),
          '22023 tenant is too long (64 bytes)', 'get_tenant: 64 bytes');

-- Every function, every case: the answer get_tenant gives (45 tests).
SELECT is(pg_temp.answer(s.login, format(c.call, s.ref)),
          pg_temp.answer(s.login, format('SELECT ffrtmp.get_tenant(%L)', s.ref)),
          c.fn || ': ' || s.what)
  FROM calls c CROSS JOIN cases s
 WHERE c.tenants_too OR NOT s.tenants_only
 ORDER BY c.fn, s.what;

-- verify_audit_chain is for administrators: a tenant principal is refused before any tenant is looked at.
SELECT is(split_part(pg_temp.answer('tap_n_boss_a', $$SELECT ffrtmp.verify_audit_chain('nt-b')$$), ' ', 1), '42501',
          'verify_audit_chain: a tenant principal is refused whatever it names');

SELECT * FROM finish();
ROLLBACK;
