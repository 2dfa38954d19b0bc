-- Invitations (sql/schema/70_invitations.sql, docs/access-control.md#invitations):
-- invite_user, list_invitations and revoke_invitation (users.manage, inside
-- the caller's own tenant, never a role above the caller's), and
-- accept_invitation(token), which needs no permission: the token is the
-- credential (src/invitations.c).

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.invitations;
CREATE POLICY tenant_isolation ON ffrtmp_data.invitations
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.invitations IS
    'A tenant sees its own invitations (and, while accepting one, the invitation''s tenant is the caller''s); administrators see all.';

-- What listings show of an invitation: its state, never the token or its hash.
CREATE OR REPLACE VIEW ffrtmp_data.invitation_rows WITH (security_invoker = true) AS
SELECT i.id, i.tenant_id, t.name AS tenant, i.email, i.role,
       CASE WHEN i.accepted_at IS NOT NULL THEN 'accepted'
            WHEN i.revoked_at IS NOT NULL THEN 'revoked'
            WHEN i.expires_at <= pg_catalog.now() THEN 'expired'
            ELSE 'pending' END AS status,
       i.created_by, i.created_at, i.expires_at, i.accepted_at, i.accepted_user, i.revoked_at
  FROM ffrtmp_data.invitations i
  JOIN ffrtmp_data.tenants t ON t.id = i.tenant_id;
COMMENT ON VIEW ffrtmp_data.invitation_rows IS 'Invitations as listings show them: their state, never the token or its hash.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.id IS 'Invitation id: what revoke_invitation takes.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.tenant_id IS 'Tenant the invitee joins.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.tenant IS 'Its name.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.email IS 'The invitee''s e-mail, normalised.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.role IS 'The role the user will hold.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.status IS 'pending, accepted, revoked or expired.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.created_by IS 'Who invited.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.created_at IS 'When.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.expires_at IS 'When the token stops working.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.accepted_at IS 'When it was accepted, or NULL.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.accepted_user IS 'The user accepting it created, or NULL.';
COMMENT ON COLUMN ffrtmp_data.invitation_rows.revoked_at IS 'When it was revoked, or NULL.';
ALTER VIEW ffrtmp_data.invitation_rows OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp_data.invitation_rows FROM PUBLIC;

/*
 * A token is ffrtmp_invite_ and 48 hex digits (192 bits from
 * pg_strong_random, as API key secrets); only its SHA-256 is stored, and it is
 * returned here once.  At most 100 pending invitations per tenant, counted
 * under the tenant row's lock like create_user's bound.
 */
CREATE OR REPLACE FUNCTION ffrtmp.invite_user(email text, role text, tenant text DEFAULT NULL,
                                              expires_in interval DEFAULT '7 days',
                                              OUT invitation_id uuid, OUT token text, OUT expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid;
    address text;
BEGIN
    IF invite_user.role IS NULL THEN
        RAISE EXCEPTION 'role must be given'
            USING ERRCODE = '22023', HINT = 'The roles are viewer, operator and tenant_admin.';
    END IF;
    PERFORM ffrtmp_data.require_grantable(invite_user.role);
    IF invite_user.role = 'superadmin' THEN
        RAISE EXCEPTION 'an invitation''s role must be viewer, operator or tenant_admin'
            USING ERRCODE = '22023', HINT = 'A superadmin belongs to no tenant: create one with ffrtmp.create_user(email, ''superadmin'').';
    END IF;
    target := ffrtmp_data.user_target_tenant(invite_user.tenant, invite_user.role);
    address := ffrtmp_data.normalize_email(invite_user.email);
    IF invite_user.expires_in IS NULL OR invite_user.expires_in < interval '1 minute'
       OR invite_user.expires_in > interval '30 days' THEN
        RAISE EXCEPTION 'expires_in must be between 1 minute and 30 days'
            USING ERRCODE = '22023', HINT = 'Give the time the invitee needs to accept, for example ''7 days''.';
    END IF;
    PERFORM 1 FROM ffrtmp_data.tenants t WHERE t.id = target FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM ffrtmp_data.invitations i
         WHERE i.tenant_id = target AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()) >= 100 THEN
        RAISE EXCEPTION 'the tenant already has 100 pending invitations, the most it may have'
            USING ERRCODE = 'PT429', HINT = 'Revoke invitations no longer wanted with ffrtmp.revoke_invitation(id).';
    END IF;
    -- Told now, not when the invitee accepts (checked again then: a user may appear meanwhile).
    IF EXISTS (SELECT 1 FROM ffrtmp_data.users u WHERE u.tenant_id = target AND u.email = address) THEN
        RAISE EXCEPTION 'a user with email % already exists in this tenant', address
            USING ERRCODE = 'PT409', HINT = 'Change that user with ffrtmp.update_user(id, ...), or restore it with ffrtmp.restore_user(id) if it was deleted.';
    END IF;
    IF EXISTS (SELECT 1 FROM ffrtmp_data.invitations i
                WHERE i.tenant_id = target AND i.email = address
                  AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()) THEN
        RAISE EXCEPTION 'an invitation for % is pending', address
            USING ERRCODE = 'PT409', HINT = 'Let the invitee use it, or revoke it with ffrtmp.revoke_invitation(id) and invite again.';
    END IF;
    token := 'ffrtmp_invite_' || ffrtmp_data.random_hex(24);
    expires_at := now() + invite_user.expires_in;
    INSERT INTO ffrtmp_data.invitations (tenant_id, email, role, token_sha256, created_by, expires_at, invited_by,
                                         invited_by_key)
    VALUES (target, address, invite_user.role, sha256(convert_to(token, 'UTF8')), ffrtmp_data.actor(),
            invite_user.expires_at, ffrtmp_data.caller_user_id(), ffrtmp_data.audit_key_id())
    RETURNING id INTO invitation_id;
    PERFORM ffrtmp_data.write_audit('invitation.create', 'invitation:' || invitation_id, target,
                                    jsonb_build_object('email', address, 'role', invite_user.role,
                                                       'expires_at', invite_user.expires_at));
END
$fn$;
COMMENT ON FUNCTION ffrtmp.invite_user(text, text, text, interval) IS
    'Invites email into the caller''s tenant (users.manage; administrators name tenant) with role (viewer, operator or tenant_admin, one whose every permission the caller holds, under its API key''s scopes too: 42501 otherwise) and returns the invitation id and its one-time token, once; only the SHA-256 of the token is stored. The invitee turns it into a user with ffrtmp.accept_invitation(token) within expires_in (1 minute to 30 days, default 7 days). At most 100 pending invitations per tenant (PT429); an e-mail that is a user of the tenant, or has a pending invitation, is PT409.';
ALTER FUNCTION ffrtmp.invite_user(text, text, text, interval) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.invite_user(text, text, text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.invite_user(text, text, text, interval) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * An invitation does not outlive its inviter's power: the one home of that
 * rule.  Whoever made it must still be able to give its role: a user maker
 * active, not deleted, and holding every permission of the role; a key it
 * was made through still able to act (src/api_keys.c's rule, key_acting_role)
 * with a role and scopes covering every permission of the role.  An
 * administrator role or a role mapped with no user, without a key, always can.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.inviter_can_give(i ffrtmp_data.invitations) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    acting text;
    scopes text[];
BEGIN
    IF (i).invited_by_key IS NOT NULL THEN
        acting := ffrtmp_data.key_acting_role((i).invited_by_key);
        SELECT k.scopes INTO scopes FROM ffrtmp_data.api_keys k WHERE k.key_id = (i).invited_by_key;
        IF acting IS NULL OR NOT ffrtmp_data.role_gives(acting, scopes, (i).role) THEN
            RETURN false;
        END IF;
    END IF;
    IF (i).invited_by IS NOT NULL THEN
        SELECT u.role INTO acting FROM ffrtmp_data.users u
         WHERE u.id = (i).invited_by AND u.status = 'active' AND u.deleted_at IS NULL;
        IF NOT FOUND OR NOT ffrtmp_data.role_gives(acting, NULL, (i).role) THEN
            RETURN false;
        END IF;
    END IF;
    RETURN true;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.inviter_can_give(ffrtmp_data.invitations) IS
    'Whether invitation i''s maker can still give its role: its user (invited_by) active, not deleted and holding every permission of the role, and the key it was made through (invited_by_key) still able to act with a role and scopes holding them all; true for one made by an administrator role without a key.';
ALTER FUNCTION ffrtmp_data.inviter_can_give(ffrtmp_data.invitations) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.inviter_can_give(ffrtmp_data.invitations) FROM PUBLIC;

/*
 * The body of accept_invitation, run by src/invitations.c with the
 * invitation's tenant as the caller's (so that row-level security lets it
 * read the invitation and write the user).  Whatever is wrong with the token
 * (unknown, malformed, expired, used, revoked, its tenant not active, its
 * maker no longer able to give its role) raises
 * the one error, here and nowhere else.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.accept_invitation(token_sha256 bytea, display_name text, api_key_name text,
                                                          OUT "user" ffrtmp.users, OUT api_key text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    i ffrtmp_data.invitations;
    u ffrtmp_data.users;
BEGIN
    IF octet_length(accept_invitation.display_name) > 200 THEN
        RAISE EXCEPTION 'display_name must be at most 200 bytes'
            USING ERRCODE = '22023', HINT = 'Shorten it.';
    END IF;
    IF accept_invitation.api_key_name IS NOT NULL THEN
        PERFORM ffrtmp_data.check_api_key_name(accept_invitation.api_key_name);
    END IF;
    SELECT * INTO i FROM ffrtmp_data.invitations x WHERE x.token_sha256 = accept_invitation.token_sha256 FOR UPDATE;
    IF NOT FOUND OR i.accepted_at IS NOT NULL OR i.revoked_at IS NOT NULL OR i.expires_at <= now()
       OR NOT ffrtmp_data.inviter_can_give(i)
       OR NOT EXISTS (SELECT 1 FROM ffrtmp_data.tenants t
                       WHERE t.id = i.tenant_id AND ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) = 'active') THEN
        RAISE EXCEPTION 'invalid invitation token'
            USING ERRCODE = '28000', HINT = 'Give the token as invite_user returned it; it works once, and not after it expired or was revoked, while its tenant is not active, or once whoever invited can no longer give its role. Ask for a new invitation.';
    END IF;
    PERFORM ffrtmp_data.require_user_room(i.tenant_id);
    BEGIN
        INSERT INTO ffrtmp_data.users (tenant_id, email, display_name, role, created_by)
        VALUES (i.tenant_id, i.email, accept_invitation.display_name, i.role, i.created_by)
        RETURNING * INTO u;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'a user with email % already exists in this tenant', i.email
            USING ERRCODE = 'PT409', HINT = 'That address is a user already: use it, or ask the tenant''s administrator to delete it and invite again.';
    END;
    UPDATE ffrtmp_data.invitations x SET accepted_at = now(), accepted_user = u.id WHERE x.id = i.id;
    PERFORM ffrtmp_data.write_audit('invitation.accept', 'user:' || u.id, i.tenant_id,
                                    jsonb_build_object('invitation', i.id, 'email', i.email, 'role', i.role));
    -- The new user's first credential, shown to the invitee alone: the
    -- administrator who invited never sees its secret.  Bounded and audited
    -- (api_key.create) as every key is; a refusal undoes the whole accept.
    IF accept_invitation.api_key_name IS NOT NULL THEN
        SELECT n.api_key INTO accept_invitation.api_key
          FROM ffrtmp_data.issue_api_key(i.tenant_id, accept_invitation.api_key_name, u.id) n;
    END IF;
    accept_invitation."user" := ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.accept_invitation(bytea, text, text) IS
    'The work of ffrtmp.accept_invitation once the token''s hash is known: 28000 for any token that cannot be used, else the user, created active in the invitation''s tenant with its role, and with api_key_name a personal key of that user; the invitation is used up.';
ALTER FUNCTION ffrtmp_data.accept_invitation(bytea, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.accept_invitation(bytea, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.accept_invitation(token text, display_name text DEFAULT NULL, api_key_name text DEFAULT NULL,
    OUT id uuid, OUT tenant_id uuid, OUT tenant text, OUT email text, OUT display_name text, OUT role text,
    OUT status text, OUT db_role name, OUT created_by text, OUT created_at timestamptz, OUT updated_at timestamptz,
    OUT deleted_at timestamptz, OUT api_key text)
    AS 'MODULE_PATHNAME', 'ffrtmp_accept_invitation'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp.accept_invitation(text, text, text) IS
    'Turns an invitation''s token into a user: creates it active, in the invitation''s tenant, with its role and e-mail and display_name (at most 200 bytes), and returns it (the columns of ffrtmp.users) with api_key: with api_key_name (1 to 100 bytes), a personal key of the new user, acting with its role, shown this once so that only the invitee ever sees it (NULL without api_key_name). Needs no permission (the token is the credential); works once. An unknown, malformed, used, revoked or expired token, one of a tenant not active, or one whose maker can no longer give its role (a user disabled, deleted or demoted; a key revoked, expired or narrowed), is the same error 28000 "invalid invitation token" (a value over 128 bytes, longer than any token, is 22023); a user with the e-mail already in the tenant is PT409; a tenant with 100 live keys is PT429, and then no user is created either.';
ALTER FUNCTION ffrtmp.accept_invitation(text, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.accept_invitation(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.accept_invitation(text, text, text) TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.list_invitations(tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp_data.invitation_rows
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid;
BEGIN
    IF list_invitations.tenant IS NOT NULL OR NOT ffrtmp.caller_is_admin() THEN
        target := ffrtmp_data.user_target_tenant(list_invitations.tenant, 'viewer');
    END IF;
    RETURN QUERY
        SELECT * FROM ffrtmp_data.invitation_rows x
         WHERE target IS NULL OR x.tenant_id = target
         ORDER BY x.created_at, x.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.list_invitations(text) IS
    'The invitations of the caller''s tenant (users.manage; administrators: of tenant, or of every tenant when it is left out), oldest first, with their status (pending, accepted, revoked, expired); never the token.';
ALTER FUNCTION ffrtmp.list_invitations(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.list_invitations(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.list_invitations(text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.revoke_invitation(invitation_id uuid)
RETURNS ffrtmp_data.invitation_rows
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    i ffrtmp_data.invitations;
    r ffrtmp_data.invitation_rows;
BEGIN
    -- Row-level security leaves only the caller's tenant's invitations.
    SELECT * INTO i FROM ffrtmp_data.invitations x WHERE x.id = revoke_invitation.invitation_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'invitation % does not exist', revoke_invitation.invitation_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, email, status FROM ffrtmp.list_invitations() lists the invitations.';
    END IF;
    PERFORM ffrtmp_data.require_rank(i.role);
    IF i.accepted_at IS NOT NULL THEN
        RAISE EXCEPTION 'invitation % was accepted already', i.id
            USING ERRCODE = 'PT409', HINT = 'Disable or delete the user it created: ffrtmp.disable_user(id).';
    END IF;
    IF i.revoked_at IS NULL THEN
        UPDATE ffrtmp_data.invitations x SET revoked_at = now() WHERE x.id = i.id;
        PERFORM ffrtmp_data.write_audit('invitation.revoke', 'invitation:' || i.id, i.tenant_id,
                                        jsonb_build_object('email', i.email, 'role', i.role));
    END IF;
    SELECT * INTO r FROM ffrtmp_data.invitation_rows x WHERE x.id = i.id;
    RETURN r;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.revoke_invitation(uuid) IS
    'Withdraws an invitation of the caller''s tenant (users.manage; administrators: any): its token stops working at once; revoking again changes nothing. Another tenant''s or a missing invitation is PT404, one holding a role above the caller''s 42501, an accepted one PT409.';
ALTER FUNCTION ffrtmp.revoke_invitation(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.revoke_invitation(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.revoke_invitation(uuid) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * Invitations used, revoked or expired are deleted 30 days later, in bounded
 * batches by the scheduler's pass, so that invite and revoke loops do not
 * grow the table without bound; the audit log keeps their history.  The
 * pass never waits for a row a tenant holds (revoking an invitation again
 * locks it, in a transaction the tenant may keep open): that one waits for
 * a later pass.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.prune_invitations(batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n integer;
BEGIN
    DELETE FROM ffrtmp_data.invitations i
     WHERE i.id IN (SELECT x.id FROM ffrtmp_data.invitations x
                     WHERE least(x.accepted_at, x.revoked_at, x.expires_at) < now() - interval '30 days'
                     ORDER BY least(x.accepted_at, x.revoked_at, x.expires_at) LIMIT prune_invitations.batch
                       FOR UPDATE OF x SKIP LOCKED);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.prune_invitations(integer) IS
    'Deletes up to batch invitations accepted, revoked or expired more than 30 days ago (the scheduler''s pass), never waiting for a row another transaction holds (that one waits for a later pass); returns how many.';
ALTER FUNCTION ffrtmp_data.prune_invitations(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.prune_invitations(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.prune_invitations(integer) TO ffrtmp_scheduler;
