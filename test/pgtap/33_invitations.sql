-- Invitations: a tenant administrator invites, the invitee accepts with the
-- token alone (from a role mapped to no tenant, or to another), once; every
-- unusable token is the same error; the bounds and the audit rows.
BEGIN;
SELECT plan(80);

\o /dev/null
SELECT ffrtmp.create_tenant('inv-a', plan => 'pro');
SELECT ffrtmp.create_tenant('inv-b', plan => 'pro');
SELECT ffrtmp.create_tenant('inv-s', plan => 'pro');
SELECT ffrtmp.create_tenant('inv-d', plan => 'pro');
CREATE ROLE tap_i_admin_a LOGIN;
CREATE ROLE tap_i_op_a LOGIN;
CREATE ROLE tap_i_viewer_a LOGIN;
CREATE ROLE tap_i_admin_b LOGIN;
-- The invitee: a role that acts for no tenant (PostgREST's anonymous role,
-- say), which needs only USAGE on the API's schema.
CREATE ROLE tap_i_nobody LOGIN;
GRANT USAGE ON SCHEMA ffrtmp TO tap_i_nobody;
SELECT ffrtmp.map_user_role(id, 'tap_i_admin_a') FROM ffrtmp.create_user('admin@a.example', 'tenant_admin', tenant => 'inv-a');
SELECT ffrtmp.map_user_role(id, 'tap_i_op_a') FROM ffrtmp.create_user('op@a.example', 'operator', tenant => 'inv-a');
SELECT ffrtmp.map_user_role(id, 'tap_i_viewer_a') FROM ffrtmp.create_user('viewer@a.example', 'viewer', tenant => 'inv-a');
SELECT ffrtmp.map_user_role(id, 'tap_i_admin_b') FROM ffrtmp.create_user('admin@b.example', 'tenant_admin', tenant => 'inv-b');

-- SQLSTATE (or 'ok') and message of q run as login; always rolled back.
CREATE FUNCTION pg_temp.try_as(login text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
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
GRANT EXECUTE ON FUNCTION pg_temp.try_as(text, text) TO PUBLIC;
CREATE FUNCTION pg_temp.state_as(login text, q text) RETURNS text LANGUAGE sql AS
$$ SELECT split_part(pg_temp.try_as(login, q), ' ', 1) $$;
GRANT EXECUTE ON FUNCTION pg_temp.state_as(text, text) TO PUBLIC;
\o

-- 1. Invite, list, accept.
SET ROLE tap_i_admin_a;
SELECT invitation_id AS inv1, token AS tok1, expires_at AS exp1
  FROM ffrtmp.invite_user(' New.Person@Example.COM ', 'operator') \gset
SELECT matches(:'tok1'::text, '^ffrtmp_invite_[0-9a-f]{48}$', 'the token is ffrtmp_invite_ and 192 random bits in hex');
SELECT cmp_ok(:'exp1'::timestamptz, '=', now() + interval '7 days', 'it expires in 7 days by default');
SELECT results_eq($$SELECT tenant, email, role, status FROM ffrtmp.list_invitations()$$,
                  $$VALUES ('inv-a'::text, 'new.person@example.com'::text, 'operator'::text, 'pending'::text)$$,
                  'the inviter lists it pending, the e-mail normalised as create_user does');
RESET ROLE;
SELECT is((SELECT token_sha256 FROM ffrtmp_data.invitations WHERE id = :'inv1'), sha256(convert_to(:'tok1', 'UTF8')),
          'only the SHA-256 of the token is stored');
SELECT is((SELECT count(*) FROM ffrtmp_data.invitations i WHERE row_to_json(i)::text LIKE '%' || split_part(:'tok1', '_', 3) || '%'),
          0::bigint, 'and the token itself is nowhere in the row');

SET ROLE tap_i_nobody;
SELECT id AS user1, tenant, email, role, status, display_name
  FROM ffrtmp.accept_invitation(:'tok1', display_name => 'New Person') \gset
SELECT current_user AS after_accept \gset
RESET ROLE;
SELECT is(:'after_accept'::text, 'tap_i_nobody', 'accepting runs as the owner for the call only: the caller is itself again after it');
SELECT is(:'tenant' || '/' || :'email' || '/' || :'role' || '/' || :'status' || '/' || :'display_name',
          'inv-a/new.person@example.com/operator/active/New Person',
          'a role acting for no tenant accepts: an active user of the invitation''s tenant, role and e-mail');
SELECT is((SELECT status || ' ' || accepted_user FROM ffrtmp.list_invitations('inv-a') WHERE id = :'inv1'),
          'accepted ' || :'user1', 'the invitation shows accepted, with the user it made');
SELECT is((SELECT created_by FROM ffrtmp_data.users WHERE id = :'user1'), 'tap_i_admin_a', 'the user was created by the inviter');

-- 2. Single use, and one error for every token that cannot be used.
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok1')), '28000',
          'a token works once: reuse is 28000');
SET ROLE tap_i_admin_a;
SELECT token AS tok_exp, invitation_id AS inv_exp FROM ffrtmp.invite_user('late@a.example', 'viewer', expires_in => '1 minute') \gset
SELECT token AS tok_rev, invitation_id AS inv_rev FROM ffrtmp.invite_user('withdrawn@a.example', 'viewer') \gset
SELECT is((ffrtmp.revoke_invitation(:'inv_rev')).status, 'revoked', 'revoke_invitation withdraws it');
SELECT is((ffrtmp.revoke_invitation(:'inv_rev')).status, 'revoked', 'revoking again changes nothing');
SELECT throws_ok(format('SELECT ffrtmp.revoke_invitation(%L)', :'inv1'), 'PT409', NULL, 'an accepted invitation cannot be revoked');
RESET ROLE;
UPDATE ffrtmp_data.invitations SET created_at = created_at - interval '2 minutes', expires_at = now() - interval '1 minute'
 WHERE id = :'inv_exp';
SELECT is((SELECT status FROM ffrtmp.list_invitations('inv-a') WHERE id = :'inv_exp'), 'expired', 'a lapsed invitation lists as expired');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_exp')), '28000', 'an expired token is 28000');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_rev')), '28000', 'a revoked token is 28000');
SELECT is((SELECT count(DISTINCT pg_temp.try_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', t)))
             FROM unnest(ARRAY[:'tok1', :'tok_exp', :'tok_rev',
                               left(:'tok1', -1) || CASE right(:'tok1', 1) WHEN '0' THEN '1' ELSE '0' END,
                               'ffrtmp_invite_' || repeat('0', 48), 'not a token', '', repeat('x', 128), NULL]) t),
          1::bigint, 'used, expired, revoked, wrong, unknown, malformed, empty, long and NULL tokens: one and the same error');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', repeat('x', 129))), '22023',
          'a value longer than any token is refused as too long, before any work (like authenticate''s bound)');
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SET ffrtmp.audit_refusals_per_minute = 100000;
SELECT is(pg_temp.try_as('tap_i_nobody', $$SELECT ffrtmp.accept_invitation('nope')$$), '28000 invalid invitation token',
          'and that error is 28000 "invalid invitation token"');
RESET ffrtmp.audit_refusals_per_minute;
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SELECT is((SELECT db_role || ' ' || outcome FROM ffrtmp_data.audit_log
            WHERE action = 'invitation.accept' AND outcome = 'auth_failed' ORDER BY id DESC LIMIT 1),
          'tap_i_nobody auth_failed', 'a failed acceptance is logged as auth_failed through the rate-limited refusal queue');

-- 3. Who may invite what, where.
SELECT is(pg_temp.state_as('tap_i_viewer_a', $$SELECT ffrtmp.invite_user('x@a.example', 'viewer')$$), '42501', 'a viewer cannot invite');
SELECT is(pg_temp.state_as('tap_i_op_a', $$SELECT ffrtmp.invite_user('x@a.example', 'viewer')$$), '42501', 'an operator cannot invite');
SELECT is(pg_temp.state_as('tap_i_op_a', $$SELECT ffrtmp.list_invitations()$$), '42501', 'nor list invitations');
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('x@a.example', 'superadmin')$$), '42501',
          'a tenant administrator cannot invite above its own role');
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('x@a.example', 'tenant_admin')$$), 'ok',
          'but up to it');
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('x@b.example', 'viewer', tenant => 'inv-b')$$), '42501',
          'nor into another tenant');
SELECT is(pg_temp.state_as('tap_i_admin_b', format('SELECT ffrtmp.revoke_invitation(%L)', :'inv_exp')), 'PT404',
          'another tenant''s invitation does not exist for a tenant administrator');
SELECT is(pg_temp.state_as('tap_i_admin_b', $$SELECT ffrtmp.list_invitations('inv-a')$$), '42501', 'nor can it list them');
SELECT is((SELECT count(*) FROM ffrtmp.list_invitations()), 3::bigint, 'an administrator lists every tenant''s invitations');
SELECT is(pg_temp.state_as('postgres', $$SELECT ffrtmp.invite_user('root@example.com', 'superadmin')$$), '22023',
          'nobody invites a superadmin, who belongs to no tenant');
SELECT is(pg_temp.state_as('postgres', $$SELECT ffrtmp.invite_user('x@a.example', 'viewer')$$), '22023',
          'an administrator names the tenant');

-- 4. Bounds.
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('x@a.example', 'viewer', expires_in => '59 seconds')$$), '22023',
          'expires_in under a minute is refused');
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('x@a.example', 'viewer', expires_in => '30 days 1 second')$$), '22023',
          'expires_in over 30 days is refused');
SELECT is(pg_temp.state_as('tap_i_admin_a', $$SELECT ffrtmp.invite_user('not an address', 'viewer')$$), '22023',
          'an e-mail that is not one address is refused');
SET ROLE tap_i_admin_b;
SELECT count(*) FROM generate_series(1, 100) n, ffrtmp.invite_user('p' || n || '@b.example', 'viewer') \gset
SELECT throws_ok($$SELECT ffrtmp.invite_user('p101@b.example', 'viewer')$$, 'PT429', NULL, 'at most 100 pending invitations per tenant');
RESET ROLE;

-- 5. Tenants that are not active, and an e-mail that became a user meanwhile.
SELECT token AS tok_s FROM ffrtmp.invite_user('s@s.example', 'viewer', tenant => 'inv-s') \gset
SELECT token AS tok_d FROM ffrtmp.invite_user('d@d.example', 'viewer', tenant => 'inv-d') \gset
\o /dev/null
SELECT ffrtmp.update_tenant('inv-s', status => 'suspended');
SELECT ffrtmp.delete_tenant('inv-d');
\o
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_s')), '28000',
          'a suspended tenant''s invitation cannot be accepted');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_d')), '28000',
          'nor a deleted tenant''s');
SET ROLE tap_i_admin_a;
SELECT token AS tok_c, invitation_id AS inv_c FROM ffrtmp.invite_user('clash@a.example', 'viewer') \gset
\o /dev/null
SELECT ffrtmp.create_user('Clash@a.example', 'viewer');
\o
RESET ROLE;
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_c')), 'PT409',
          'an e-mail already a user of the tenant is PT409, as for create_user');
SELECT is((SELECT status FROM ffrtmp.list_invitations('inv-a') WHERE id = :'inv_c'), 'pending', 'and the invitation is not used up');
SET ROLE tap_i_admin_a;
SELECT throws_ok($$SELECT ffrtmp.invite_user('CLASH@a.example', 'operator')$$, 'PT409',
                 'a user with email clash@a.example already exists in this tenant',
                 'inviting an e-mail that is already a user of the tenant is PT409 at once');
SELECT invitation_id AS inv_twice FROM ffrtmp.invite_user('twice@a.example', 'viewer') \gset
SELECT throws_ok($$SELECT ffrtmp.invite_user('Twice@a.example', 'operator')$$, 'PT409',
                 'an invitation for twice@a.example is pending', 'so is an e-mail with a pending invitation');
\o /dev/null
SELECT ffrtmp.revoke_invitation(:'inv_twice');
\o
SELECT lives_ok($$SELECT ffrtmp.invite_user('twice@a.example', 'operator')$$, 'once revoked, it can be invited again');
RESET ROLE;
SET ROLE tap_i_admin_a;
SELECT token AS tok_b FROM ffrtmp.invite_user('admin@b.example', 'viewer') \gset
RESET ROLE;
SELECT is(pg_temp.state_as('tap_i_admin_b', format('SELECT ffrtmp.accept_invitation(%L)', :'tok_b')), 'ok',
          'a user of another tenant accepts into the invitation''s tenant');

-- 6. The audit log: invite, accept and revoke, never the token.
SELECT is((SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM ffrtmp_data.audit_log
            WHERE target IN ('invitation:' || :'inv1', 'user:' || :'user1', 'invitation:' || :'inv_rev')),
          'invitation.accept,invitation.create,invitation.revoke', 'invite, accept and revoke write audit rows');
SELECT is((SELECT tenant_id FROM ffrtmp_data.audit_log WHERE action = 'invitation.accept' AND target = 'user:' || :'user1'),
          (SELECT id FROM ffrtmp_data.tenants WHERE name = 'inv-a'), 'the accept row is in the invitation''s tenant');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log
            WHERE action LIKE 'invitation.%' AND change::text LIKE '%' || split_part(:'tok1', '_', 3) || '%'),
          0::bigint, 'no audit row holds a token');

-- 7. A first credential: with api_key_name the invitee gets a personal key of
-- the new user, shown once to the invitee alone.
SET ROLE tap_i_admin_a;
SELECT token AS tok_key FROM ffrtmp.invite_user('keyed@a.example', 'operator') \gset
SELECT token AS tok_nokey FROM ffrtmp.invite_user('keyless@a.example', 'viewer') \gset
SELECT token AS tok_badname FROM ffrtmp.invite_user('badname@a.example', 'viewer') \gset
RESET ROLE;
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L, api_key_name => %L)', :'tok_badname', '')),
          '22023', 'a key name breaking create_api_key''s rule is 22023');
SELECT is((SELECT status FROM ffrtmp.list_invitations('inv-a') WHERE email = 'badname@a.example'), 'pending',
          'and nothing was written: the invitation is still pending');
SET ROLE tap_i_nobody;
SELECT api_key IS NULL AS nokey_null FROM ffrtmp.accept_invitation(:'tok_nokey') \gset
SELECT id AS keyed_user, role AS keyed_role, api_key AS first_key
  FROM ffrtmp.accept_invitation(:'tok_key', display_name => 'Keyed', api_key_name => 'laptop') \gset
RESET ROLE;
SELECT ok(:'nokey_null'::boolean, 'without api_key_name, api_key is NULL');
SELECT matches(:'first_key'::text, '^ffrtmp_[0-9a-f]{16}_[0-9a-f]{48}$', 'with it, api_key is a key in full, as create_api_key returns one');
SELECT split_part(:'first_key', '_', 2) AS first_key_id \gset
SELECT is((SELECT user_id::text || ' ' || coalesce(role, '-') || ' ' || name || ' ' || coalesce(scopes::text, '-')
             FROM ffrtmp_data.api_keys WHERE key_id = :'first_key_id'),
          :'keyed_user' || ' - laptop -', 'the key is the new user''s own, named api_key_name, with no scopes: it acts with the user''s role');
SAVEPOINT s;
SET ROLE tap_i_nobody;
SELECT ffrtmp.authenticate(:'first_key') AS key_tenant \gset
SELECT ffrtmp.caller_role() AS key_role, ffrtmp.has_permission('jobs.create') AS may_submit,
       ffrtmp.has_permission('users.manage') AS may_manage \gset
ROLLBACK TO SAVEPOINT s;
RESET ROLE;
SELECT is(:'key_tenant'::uuid, (SELECT id FROM ffrtmp.tenants WHERE name = 'inv-a'),
          'authenticate takes the key: the caller acts for the invitation''s tenant');
SELECT is(:'key_role' || ' ' || :'may_submit' || ' ' || :'may_manage', 'operator t f',
          'with the invited role: an operator submits jobs, manages no users');
SELECT is((SELECT tenant_id::text || ' ' || db_role || ' ' || (change->>'user_id') || ' ' || (change->>'name')
             FROM ffrtmp_data.audit_log WHERE action = 'api_key.create' AND target = 'api_key:' || :'first_key_id'),
          (SELECT id::text FROM ffrtmp.tenants WHERE name = 'inv-a') || ' tap_i_nobody ' || :'keyed_user' || ' laptop',
          'the key''s creation is audited (api_key.create) in the tenant, by the role that accepted');
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log a WHERE a::text LIKE '%' || split_part(:'first_key', '_', 3) || '%'),
          0::bigint, 'no audit row holds the key''s secret');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L, api_key_name => %L)', :'tok_key', 'again')),
          '28000', 'a second accept still fails with 28000');
SELECT is((SELECT count(*) FROM ffrtmp_data.api_keys WHERE user_id = :'keyed_user'), 1::bigint, 'and makes no second key');

-- Giving a role needs every permission of it, under the key's scopes too:
-- a key scoped to users.manage invites no tenant_admin (nor anyone).
\o /dev/null
SELECT api_key AS um_key FROM ffrtmp.create_api_key('users only', "user" => (SELECT id FROM ffrtmp.users WHERE email = 'admin@a.example'),
                                                    scopes => '{users.manage}') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'um_key') IS NOT NULL AS ok \gset
SELECT throws_ok($$SELECT ffrtmp.invite_user('boss@a.example', 'tenant_admin')$$, '42501', NULL,
                 'a key scoped to users.manage cannot invite a tenant_admin');
SELECT throws_ok($$SELECT ffrtmp.invite_user('v@a.example', 'viewer')$$, '42501', NULL,
                 'nor a viewer, whose permissions its scopes leave out');
ROLLBACK TO SAVEPOINT s;
SELECT is((SELECT invited_by FROM ffrtmp_data.invitations WHERE id = :'inv1'),
          (SELECT id FROM ffrtmp.users WHERE email = 'admin@a.example'),
          'an invitation records the user who made it (revoked when that user is disabled or deleted: 30_users)');

-- Invitations used, revoked or expired for over 30 days are deleted by the
-- scheduler's pass, so invite and revoke loops cannot grow the table.
\o /dev/null
SELECT ffrtmp.create_tenant('inv-p', plan => 'pro');
SELECT invitation_id AS old_revoked FROM ffrtmp.invite_user('old1@p.example', 'viewer', tenant => 'inv-p') \gset
SELECT invitation_id AS old_expired FROM ffrtmp.invite_user('old2@p.example', 'viewer', tenant => 'inv-p') \gset
SELECT invitation_id AS still_pending FROM ffrtmp.invite_user('old3@p.example', 'viewer', tenant => 'inv-p') \gset
UPDATE ffrtmp_data.invitations SET revoked_at = now() - interval '31 days' WHERE id = :'old_revoked';
UPDATE ffrtmp_data.invitations SET expires_at = now() - interval '31 days' WHERE id = :'old_expired';
\o
SELECT is(ffrtmp_data.prune_invitations(1000), 2, 'prune_invitations deletes those revoked or expired over 30 days ago');
SELECT is((SELECT count(*) FROM ffrtmp_data.invitations WHERE id = :'still_pending'), 1::bigint, 'and keeps a pending one');

-- An invitation does not outlive its inviter's power: at acceptance whoever
-- made it must still be able to give its role.
\o /dev/null
CREATE ROLE tap_i_ann LOGIN;
SELECT id AS ann FROM ffrtmp.create_user('ann@a.example', 'tenant_admin', tenant => 'inv-a') \gset
SELECT ffrtmp.map_user_role(:'ann', 'tap_i_ann');
SET ROLE tap_i_ann;
SELECT invitation_id AS sock_inv, token AS sock_tok FROM ffrtmp.invite_user('sock@a.example', 'tenant_admin') \gset
SELECT invitation_id AS still_inv, token AS still_tok FROM ffrtmp.invite_user('still@a.example', 'operator') \gset
RESET ROLE;
SELECT ffrtmp.update_user(:'ann', role => 'viewer');
\o
SELECT is(pg_temp.state_as('tap_i_ann', format('SELECT ffrtmp.accept_invitation(%L, api_key_name => %L)', :'sock_tok', 'mine')),
          '28000', 'a tenant_admin demoted to viewer cannot accept her own tenant_admin invitation');
SELECT is((SELECT status FROM ffrtmp_data.invitation_rows WHERE id = :'sock_inv'), 'revoked',
          'the demotion revoked the invitations she can no longer give');
SELECT is((SELECT a.change->>'reason' FROM ffrtmp_data.audit_log a
            WHERE a.action = 'invitation.revoke' AND a.target = 'invitation:' || :'sock_inv'),
          'inviter ' || :'ann' || ' now viewer', 'with an audit row saying why');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'still_tok')),
          '28000', 'nor the operator invitation: a viewer gives no operator');
-- The rule at acceptance, apart from the revocation: a maker changed
-- behind update_user's back still fails the token.
\o /dev/null
SELECT ffrtmp.update_user(:'ann', role => 'tenant_admin');
SET ROLE tap_i_ann;
SELECT invitation_id AS op_inv, token AS op_tok FROM ffrtmp.invite_user('op2@a.example', 'operator') \gset
SELECT invitation_id AS v_inv, token AS v_tok FROM ffrtmp.invite_user('v2@a.example', 'viewer') \gset
RESET ROLE;
SELECT ffrtmp.update_user(:'ann', role => 'operator');
\o
SELECT is((SELECT status FROM ffrtmp_data.invitation_rows WHERE id = :'op_inv'), 'pending',
          'demoted to operator she still gives an operator: that invitation stays');
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'op_tok')), 'ok',
          'and is accepted');
UPDATE ffrtmp_data.users SET role = 'viewer' WHERE id = :'ann';
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'op_tok')), '28000',
          'a maker who can no longer give the role fails the token at acceptance, revoked or not');
UPDATE ffrtmp_data.users SET role = 'operator', status = 'disabled' WHERE id = :'ann';
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'v_tok')), '28000',
          'so does a maker disabled');
UPDATE ffrtmp_data.users SET status = 'active' WHERE id = :'ann';
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'v_tok')), 'ok',
          'and active again, able to give viewer, the token works');

-- Made through a key: the key records it, and the key must still be usable.
\o /dev/null
SELECT key_id AS svc_id, api_key AS svc_key
  FROM ffrtmp.create_api_key('short', tenant => 'inv-a', role => 'tenant_admin', expires_at => now() + interval '1 hour') \gset
\o
SAVEPOINT s;
SELECT ffrtmp.authenticate(:'svc_key') IS NOT NULL AS ok \gset
SELECT invitation_id AS key_inv FROM ffrtmp.invite_user('bykey@a.example', 'tenant_admin') \gset
SELECT (ffrtmp.revoke_api_key(:'svc_id')).key_id IS NOT NULL AS ok \gset
SELECT invited_by_key AS key_inv_key, revoked_at IS NOT NULL AS key_inv_revoked
  FROM ffrtmp_data.invitations WHERE id = :'key_inv' \gset
SELECT a.change->>'reason' AS key_inv_reason FROM ffrtmp_data.audit_log a
 WHERE a.action = 'invitation.revoke' AND a.target = 'invitation:' || :'key_inv' \gset
ROLLBACK TO SAVEPOINT s;
SELECT is(:'key_inv_key'::text, :'svc_id', 'an invitation made through a key records the key');
SELECT is(:'key_inv_revoked'::text, 't', 'revoking the key revokes the pending invitations made through it');
SELECT is(:'key_inv_reason'::text, 'api key ' || :'svc_id' || ' revoked', 'with an audit row saying why');
-- A tenant_admin service key's invitation (invited_by NULL), accepted after
-- the key expired: refused.
\o /dev/null
SELECT invitation_id AS exp_inv, token AS exp_tok FROM ffrtmp.invite_user('late@a.example', 'tenant_admin', tenant => 'inv-a') \gset
UPDATE ffrtmp_data.invitations SET invited_by_key = :'svc_id' WHERE id = :'exp_inv';
UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '1 second' WHERE key_id = :'svc_id';
\o
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'exp_tok')), '28000',
          'an invitation made through a key is not accepted after the key expired');
UPDATE ffrtmp_data.api_keys SET expires_at = NULL, role = 'operator' WHERE key_id = :'svc_id';
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'exp_tok')), '28000',
          'nor once the key acts with a role that no longer gives it');
UPDATE ffrtmp_data.api_keys SET role = 'tenant_admin' WHERE key_id = :'svc_id';
SELECT is(pg_temp.state_as('tap_i_nobody', format('SELECT ffrtmp.accept_invitation(%L)', :'exp_tok')), 'ok',
          'while the key still gives it, the token works');

-- Accepting ignores a key the caller authenticated with (another tenant's,
-- here): the new user's first key and the acceptance's audit rows owe it
-- nothing, and revoking it leaves them be.
\o /dev/null
SELECT key_id AS foreign_id, api_key AS foreign_key FROM ffrtmp.create_api_key('foreign', tenant => 'inv-b', role => 'tenant_admin') \gset
SELECT token AS f4_tok FROM ffrtmp.invite_user('f4@a.example', 'viewer', tenant => 'inv-a') \gset
SAVEPOINT f4;
SELECT ffrtmp.authenticate(:'foreign_key') IS NOT NULL AS ok \gset
SELECT id AS f4_user FROM ffrtmp.accept_invitation(:'f4_tok', api_key_name => 'first') \gset
SELECT coalesce(made_by_key, 'none') AS f4_made_by_key FROM ffrtmp_data.api_keys WHERE user_id = :'f4_user' \gset
SELECT count(*) AS f4_keyed_rows FROM ffrtmp_data.audit_log WHERE key_id = :'foreign_id' \gset
SELECT (ffrtmp.revoke_api_key(:'foreign_id')).key_id IS NOT NULL AS ok \gset
SELECT count(*) AS f4_first_revoked FROM ffrtmp_data.api_keys WHERE user_id = :'f4_user' AND revoked_at IS NOT NULL \gset
ROLLBACK TO SAVEPOINT f4;
\o
SELECT is(:'f4_made_by_key'::text, 'none', 'accepting while authenticated with another tenant''s key: the first key is made through no key');
SELECT is(:'f4_keyed_rows'::text, '0', 'and the acceptance''s audit rows name no key');
SELECT is(:'f4_first_revoked'::text, '0', 'so revoking that key leaves the new user''s key working');

SELECT * FROM finish();
ROLLBACK;
