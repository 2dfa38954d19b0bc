-- API keys and their makers: power must not outlive its source.  A key
-- made for a user by someone else never acts above the user's role when it
-- was made; the keys a user made for others go when the user is deleted or
-- disabled; a key made through a key never expires after it and is revoked
-- with it; a key acts at most with its maker's power now, up the chain, read
-- at every statement; the maker limit survives every rotation.  (The key
-- itself: 31_api_keys.sql.)
BEGIN;
SELECT plan(42);

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

SELECT * FROM finish();
ROLLBACK;
