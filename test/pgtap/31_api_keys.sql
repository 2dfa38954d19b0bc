-- API keys, the key itself: its form and what is stored of it, using it
-- (the key's tenant becomes the caller, whoever the session is), the one
-- error of a failed authentication, expiry, revocation, rotation with a
-- grace period, a tenant not active, tenants managing their own keys only,
-- the one rule of a key id, and the last use written at most once a minute
-- (never by a read-only transaction).  The users' and service keys, their
-- audit rows and the limits are 31_api_keys_users.sql; what a key may act
-- with as its makers change, 31_api_keys_makers.sql.
-- Every authentication but the last is made inside a savepoint that is rolled
-- back; what it saw is kept in psql variables and asserted afterwards.
BEGIN;
SELECT plan(55);

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
