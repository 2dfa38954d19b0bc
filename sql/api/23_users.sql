-- Users (docs/access-control.md): created, changed, disabled, soft-deleted
-- and restored by those holding users.manage, inside their own tenant
-- (platform administrators: in any tenant, and superadmin users), never
-- granting a role ranked above their own.

-- Behind ffrtmp.users, like every view with tenant rows (20_tenants.sql):
-- declared in function_permissions, so reading the view needs users.manage,
-- as list_users does.
CREATE OR REPLACE FUNCTION ffrtmp_data.read_users()
RETURNS TABLE (id uuid, tenant_id uuid, tenant text, email text, display_name text, role text, status text,
               db_role name, created_by text, created_at timestamptz, updated_at timestamptz, deleted_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT u.id, u.tenant_id, t.name, u.email, u.display_name, u.role, u.status, u.db_role,
           u.created_by, u.created_at, u.updated_at, u.deleted_at
      FROM ffrtmp_data.users u LEFT JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id
     WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT u.id, u.tenant_id, t.name, u.email, u.display_name, u.role, u.status, u.db_role,
           u.created_by, u.created_at, u.updated_at, u.deleted_at
      FROM ffrtmp_data.users u LEFT JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id
     WHERE NOT ffrtmp.caller_is_admin() AND u.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_users() IS 'The users the caller may see (all for administrators, else its tenant''s), read without showing the caller the scan: behind ffrtmp.users.';
ALTER FUNCTION ffrtmp_data.read_users() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_users() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_users() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.users WITH (security_invoker = true) AS
SELECT id, tenant_id, tenant, email, display_name, role, status, db_role,
       created_by, created_at, updated_at, deleted_at
FROM ffrtmp_data.read_users();
COMMENT ON VIEW ffrtmp.users IS 'Users the caller may see: those of its tenant (administrators: all), deleted ones included.';
COMMENT ON COLUMN ffrtmp.users.id IS 'User id.';
COMMENT ON COLUMN ffrtmp.users.tenant_id IS 'Tenant id; NULL for superadmin users.';
COMMENT ON COLUMN ffrtmp.users.tenant IS 'Tenant name; NULL for superadmin users.';
COMMENT ON COLUMN ffrtmp.users.email IS 'Normalised e-mail, unique per tenant; NULL for users made from a role mapping.';
COMMENT ON COLUMN ffrtmp.users.display_name IS 'Name shown to people.';
COMMENT ON COLUMN ffrtmp.users.role IS 'Role held: viewer, operator, tenant_admin or superadmin.';
COMMENT ON COLUMN ffrtmp.users.status IS 'active or disabled.';
COMMENT ON COLUMN ffrtmp.users.db_role IS 'Database role acting as the user (map_user_role), or NULL.';
COMMENT ON COLUMN ffrtmp.users.created_by IS 'Who created it.';
COMMENT ON COLUMN ffrtmp.users.created_at IS 'When it was created.';
COMMENT ON COLUMN ffrtmp.users.updated_at IS 'When it last changed.';
COMMENT ON COLUMN ffrtmp.users.deleted_at IS 'When it was deleted; NULL while it exists.';
ALTER VIEW ffrtmp.users OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp.users FROM PUBLIC;
GRANT SELECT ON ffrtmp.users TO ffrtmp_admin, ffrtmp_tenant;

/* Trimmed, NFC, lower case; refused (22023) unless one plausible address (ffrtmp_data.is_email, the tables' rule). */
CREATE OR REPLACE FUNCTION ffrtmp_data.normalize_email(email text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    e text;
BEGIN
    -- The bound first, on the argument as given: NFC and lower() on a huge
    -- argument would be work spent on a value refused anyway.
    IF octet_length(normalize_email.email) > 254 THEN
        RAISE EXCEPTION 'email must be one address of at most 254 bytes, like ann@example.com'
            USING ERRCODE = '22023', HINT = 'Give one address: a local part, one @, a domain, no spaces.';
    END IF;
    e := lower(normalize(btrim(normalize_email.email), NFC));
    IF e IS NULL OR NOT ffrtmp_data.is_email(e) THEN
        RAISE EXCEPTION 'email must be one address of at most 254 bytes, like ann@example.com'
            USING ERRCODE = '22023', HINT = 'Give one address: a local part, one @, a domain, no spaces.';
    END IF;
    RETURN e;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.normalize_email(text) IS
    'An e-mail as users keep it: trimmed, Unicode NFC, lower case; 22023 unless it is one address (one @, no spaces or control characters) of at most 254 bytes, as given and as kept.';
ALTER FUNCTION ffrtmp_data.normalize_email(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.normalize_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.normalize_email(text) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * The tenant a user call acts for: the caller's own unless it names one (a
 * tenant principal: only its own, 42501 for any other, as if it did not
 * exist); NULL for superadmin users, which only administrators touch.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.user_target_tenant(tenant text, role text) RETURNS uuid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF user_target_tenant.role = 'superadmin' THEN
        IF user_target_tenant.tenant IS NOT NULL THEN
            RAISE EXCEPTION 'a superadmin belongs to no tenant'
                USING ERRCODE = '22023', HINT = 'Leave out tenant for a superadmin.';
        END IF;
        RETURN NULL;
    END IF;
    IF user_target_tenant.tenant IS NULL THEN
        IF ffrtmp.caller_is_admin() THEN
            RAISE EXCEPTION 'an administrator must name the tenant of the user'
                USING ERRCODE = '22023', HINT = 'Add tenant => ''tenant-name''.';
        END IF;
        RETURN ffrtmp.current_tenant();
    END IF;
    RETURN ffrtmp_data.find_tenant(user_target_tenant.tenant);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.user_target_tenant(text, text) IS
    'The tenant a user function acts for (NULL for a superadmin user): the caller''s, or the one named (a tenant principal: only its own, else 42501); an administrator naming none for a tenant user is refused with 22023.';
ALTER FUNCTION ffrtmp_data.user_target_tenant(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.user_target_tenant(text, text) FROM PUBLIC;

/* Refuses (42501) granting, or touching a user holding, a role ranked above the caller's. */
CREATE OR REPLACE FUNCTION ffrtmp_data.require_rank(role text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    mine text := ffrtmp.caller_role();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ffrtmp_data.roles r WHERE r.name = require_rank.role) THEN
        RAISE EXCEPTION 'role "%" does not exist', left(require_rank.role, 63)
            USING ERRCODE = '22023', HINT = 'The roles are viewer, operator, tenant_admin and superadmin.';
    END IF;
    IF (SELECT r.rank FROM ffrtmp_data.roles r WHERE r.name = require_rank.role)
       > (SELECT r.rank FROM ffrtmp_data.roles r WHERE r.name = mine) THEN
        PERFORM ffrtmp_data.queue_refusal(format('role %s', require_rank.role));
        RAISE EXCEPTION 'permission denied: role % is above your role %', require_rank.role, mine
            USING ERRCODE = '42501', HINT = 'You can give roles up to your own; ask a superadmin for more.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.require_rank(text) IS
    'Refuses (42501) a role ranked above the caller''s: nobody grants, or changes a user holding, more than they hold; 22023 for an unknown role.';
ALTER FUNCTION ffrtmp_data.require_rank(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.require_rank(text) FROM PUBLIC;

/*
 * Giving a role (a user's, an invitation's, a key's powers) needs more than
 * rank: the caller must hold, under its API key's scopes, every permission
 * of the role, so that a key scoped to users.manage cannot make a
 * tenant_admin.  The one home of that rule: create_user, update_user,
 * restore_user, invite_user, and keys (check_key_scopes) all come here.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.require_grantable(role text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    missing text;
BEGIN
    PERFORM ffrtmp_data.require_rank(require_grantable.role);
    SELECT p.permission INTO missing
      FROM ffrtmp_data.role_permissions p
      JOIN ffrtmp_data.roles r ON r.name = p.role
     WHERE r.rank <= (SELECT g.rank FROM ffrtmp_data.roles g WHERE g.name = require_grantable.role)
       AND NOT ffrtmp.has_permission(p.permission)
     ORDER BY p.permission LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM ffrtmp_data.queue_refusal(format('role %s, carrying %s', require_grantable.role, missing));
        RAISE EXCEPTION 'permission denied: role % carries %, which you do not hold', require_grantable.role, missing
            USING ERRCODE = '42501',
                  HINT = 'Give a role whose permissions you all hold, or act with a key whose scopes include every permission of the role.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.require_grantable(text) IS
    'Refuses (42501) giving role unless the caller holds, under its API key''s scopes, every permission of the role (and so its rank, require_rank); 22023 for an unknown role. The rule for every function that gives a role or makes a key with a role''s powers.';
ALTER FUNCTION ffrtmp_data.require_grantable(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.require_grantable(text) FROM PUBLIC;

/*
 * require_grantable's rule for a given holder rather than the caller: whether
 * acting with role acting, narrowed to scopes (NULL: none), holds every
 * permission of role.  For the makers of invitations (inviter_can_give).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.role_gives(acting text, scopes text[], role text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT NOT EXISTS (
        SELECT 1 FROM ffrtmp_data.role_permissions p
          JOIN ffrtmp_data.roles r ON r.name = p.role
         WHERE r.rank <= (SELECT g.rank FROM ffrtmp_data.roles g WHERE g.name = role_gives.role)
           AND (r.rank > (SELECT a.rank FROM ffrtmp_data.roles a WHERE a.name = role_gives.acting)
                OR NOT (p.permission = ANY (coalesce(role_gives.scopes, ARRAY[p.permission])))))
$fn$;
COMMENT ON FUNCTION ffrtmp_data.role_gives(text, text[], text) IS
    'Whether a holder acting with role acting, narrowed to scopes (NULL: not narrowed), holds every permission of role: require_grantable''s rule applied to someone other than the caller.';
ALTER FUNCTION ffrtmp_data.role_gives(text, text[], text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.role_gives(text, text[], text) FROM PUBLIC;

/* The user user_id, locked, that the caller may manage; PT404 if it cannot see it. */
CREATE OR REPLACE FUNCTION ffrtmp_data.managed_user(user_id uuid) RETURNS ffrtmp_data.users
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp_data.users;
BEGIN
    SELECT * INTO u FROM ffrtmp_data.users x WHERE x.id = managed_user.user_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', managed_user.user_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, email FROM ffrtmp.list_users() lists the users.';
    END IF;
    PERFORM ffrtmp_data.require_rank(u.role);
    RETURN u;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.managed_user(uuid) IS
    'The user a user function changes, locked: PT404 when the caller cannot see it (another tenant''s), 42501 when it holds a role above the caller''s.';
ALTER FUNCTION ffrtmp_data.managed_user(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.managed_user(uuid) FROM PUBLIC;

-- From the row, not from the view: accept_invitation, which needs no
-- permission, returns it too, and the view's reader needs users.manage.
CREATE OR REPLACE FUNCTION ffrtmp_data.user_row(u ffrtmp_data.users) RETURNS ffrtmp.users
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT ((u).id, (u).tenant_id, (SELECT t.name FROM ffrtmp_data.tenants t WHERE t.id = (u).tenant_id),
            (u).email, (u).display_name, (u).role, (u).status, (u).db_role,
            (u).created_by, (u).created_at, (u).updated_at, (u).deleted_at)::ffrtmp.users;
END;
COMMENT ON FUNCTION ffrtmp_data.user_row(ffrtmp_data.users) IS 'A user as the user functions return it (ffrtmp.users).';
ALTER FUNCTION ffrtmp_data.user_row(ffrtmp_data.users) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.user_row(ffrtmp_data.users) FROM PUBLIC;

/*
 * What a user leaves behind when it stops acting: the invitations it made
 * and that are still pending are revoked (when disabled or deleted: an
 * invitation would otherwise let its power outlive it), and, when deleted,
 * its personal keys too (restore_user does not bring them back).  A disabled
 * user's keys only stop working, so enabling it again restores them.  The
 * service keys it made stay: they are the tenant's, not the user's (review
 * them with list_api_keys, created_by).  Each revocation writes its audit row.
 */
/*
 * The bounds on a tenant's users, counted under the tenant row's lock: 1000
 * not deleted, and 10000 rows in all, since deleted users are kept (the audit
 * log's targets) and a create and delete loop must not grow the table
 * without bound.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.require_user_room(tenant uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM 1 FROM ffrtmp_data.tenants t WHERE t.id = require_user_room.tenant FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM ffrtmp_data.users x WHERE x.tenant_id = require_user_room.tenant AND x.deleted_at IS NULL) >= 1000 THEN
        RAISE EXCEPTION 'the tenant already has 1000 users, the most it may have'
            USING ERRCODE = 'PT429', HINT = 'Delete users who left with ffrtmp.delete_user(id).';
    END IF;
    IF (SELECT count(*) FROM ffrtmp_data.users x WHERE x.tenant_id = require_user_room.tenant) >= 10000 THEN
        RAISE EXCEPTION 'the tenant already has 10000 users counting deleted ones, the most it may have'
            USING ERRCODE = 'PT429', HINT = 'Restore a deleted user with ffrtmp.restore_user(id) and change it with ffrtmp.update_user(id, ...) instead.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.require_user_room(uuid) IS
    'Refuses (PT429) a new user of tenant when it has 1000 users not deleted, or 10000 counting deleted ones (which are kept), counted under the tenant row''s lock.';
ALTER FUNCTION ffrtmp_data.require_user_room(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.require_user_room(uuid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.withdraw_user_grants(u ffrtmp_data.users, deleted boolean) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r record;
    gone text[] := '{}';
    why text := CASE WHEN withdraw_user_grants.deleted THEN 'deleted'
                     WHEN (u).status <> 'active' THEN 'disabled'
                     ELSE 'now ' || (u).role END;
BEGIN
    -- Its pending invitations it can no longer give (all of them once it
    -- is disabled or deleted: inviter_can_give, the rule at acceptance).
    FOR r IN UPDATE ffrtmp_data.invitations i SET revoked_at = now()
              WHERE i.tenant_id = (u).tenant_id AND i.invited_by = (u).id
                AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
                AND NOT ffrtmp_data.inviter_can_give(i)
          RETURNING i.id, i.tenant_id, i.email, i.role LOOP
        PERFORM ffrtmp_data.write_audit('invitation.revoke', 'invitation:' || r.id, r.tenant_id,
                                        jsonb_build_object('email', r.email, 'role', r.role,
                                                           'reason', 'inviter ' || (u).id || ' ' || why));
    END LOOP;
    -- Deleted: its own keys; deleted or disabled: the personal keys it made
    -- for other users (service keys it made stay, as the tenant's).
    IF withdraw_user_grants.deleted OR (u).status <> 'active' THEN
        FOR r IN UPDATE ffrtmp_data.api_keys k SET revoked_at = now()
                  WHERE k.tenant_id = (u).tenant_id AND k.revoked_at IS NULL
                    AND ((withdraw_user_grants.deleted AND k.user_id = (u).id)
                         OR (k.made_by_user = (u).id AND k.user_id <> (u).id))
              RETURNING k.key_id, k.tenant_id, k.name, k.revoked_at, k.user_id LOOP
            PERFORM ffrtmp_data.write_audit('api_key.revoke', 'api_key:' || r.key_id, r.tenant_id,
                                            jsonb_build_object('name', r.name, 'revoked_at', r.revoked_at,
                                                               'reason', CASE WHEN r.user_id = (u).id
                                                                              THEN 'user ' || (u).id || ' deleted'
                                                                              ELSE 'maker ' || (u).id || ' ' || why END));
            gone := gone || r.key_id;
        END LOOP;
        PERFORM ffrtmp_data.revoke_made_through(gone);
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.withdraw_user_grants(ffrtmp_data.users, boolean) IS
    'After user u changed (deleted when deleted; else disabled or given another role): revokes the pending invitations it made that it can no longer give, and, once disabled or deleted, the personal keys it made for other users, when deleted its own keys too, and what was made through those keys, writing an audit row for each; service keys it made stay.';
ALTER FUNCTION ffrtmp_data.withdraw_user_grants(ffrtmp_data.users, boolean) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.withdraw_user_grants(ffrtmp_data.users, boolean) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.create_user(email text, role text, tenant text DEFAULT NULL, display_name text DEFAULT NULL)
RETURNS ffrtmp.users
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid;
    address text;
    u ffrtmp_data.users;
BEGIN
    IF create_user.role IS NULL THEN
        RAISE EXCEPTION 'role must be given'
            USING ERRCODE = '22023', HINT = 'The roles are viewer, operator, tenant_admin and superadmin.';
    END IF;
    PERFORM ffrtmp_data.require_grantable(create_user.role);
    target := ffrtmp_data.user_target_tenant(create_user.tenant, create_user.role);
    address := ffrtmp_data.normalize_email(create_user.email);
    IF octet_length(create_user.display_name) > 200 THEN
        RAISE EXCEPTION 'display_name must be at most 200 bytes'
            USING ERRCODE = '22023', HINT = 'Shorten it.';
    END IF;
    IF target IS NOT NULL THEN
        PERFORM ffrtmp_data.require_user_room(target);
    END IF;
    BEGIN
        INSERT INTO ffrtmp_data.users (tenant_id, email, display_name, role, created_by)
        VALUES (target, address, create_user.display_name, create_user.role, ffrtmp_data.actor())
        RETURNING * INTO u;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'a user with email % already exists in this tenant', address
            USING ERRCODE = 'PT409', HINT = 'Change that user with ffrtmp.update_user(id, ...), or restore it with ffrtmp.restore_user(id) if it was deleted.';
    END;
    PERFORM ffrtmp_data.audit_user('user.create', NULL, u);
    RETURN ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.create_user(text, text, text, text) IS
    'Creates a user (users.manage) holding role (viewer, operator, tenant_admin; superadmin, of no tenant, by administrators only) whose every permission the caller holds, under its API key''s scopes too (42501 otherwise: a key scoped to users.manage makes no tenant_admin), in the caller''s tenant (administrators name tenant). email is normalised (trimmed, NFC, lower case), at most 254 bytes, unique per tenant (PT409); display_name at most 200 bytes; at most 1000 users per tenant, 10000 counting deleted ones (PT429).';
ALTER FUNCTION ffrtmp.create_user(text, text, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.create_user(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.create_user(text, text, text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.get_user(user_id uuid) RETURNS ffrtmp.users
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp.users;
BEGIN
    SELECT * INTO u FROM ffrtmp.users x WHERE x.id = get_user.user_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user % does not exist', get_user.user_id
            USING ERRCODE = 'PT404', HINT = 'SELECT id, email FROM ffrtmp.list_users() lists the users.';
    END IF;
    RETURN u;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.get_user(uuid) IS
    'One user of the caller''s tenant (administrators: any), deleted ones included (users.manage); PT404 when there is none the caller may see.';
ALTER FUNCTION ffrtmp.get_user(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.get_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.get_user(uuid) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.list_users(tenant text DEFAULT NULL, include_deleted boolean DEFAULT false)
RETURNS SETOF ffrtmp.users
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid;
BEGIN
    IF list_users.tenant IS NOT NULL OR NOT ffrtmp.caller_is_admin() THEN
        target := ffrtmp_data.user_target_tenant(list_users.tenant, 'viewer');
    END IF;
    RETURN QUERY
        SELECT * FROM ffrtmp.users x
         WHERE (target IS NULL OR x.tenant_id = target)
           AND (list_users.include_deleted OR x.deleted_at IS NULL)
         ORDER BY x.tenant NULLS FIRST, x.email, x.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.list_users(text, boolean) IS
    'The users of the caller''s tenant (users.manage; administrators: of tenant, or of every tenant and the superadmins when it is left out), deleted ones only with include_deleted.';
ALTER FUNCTION ffrtmp.list_users(text, boolean) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.list_users(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.list_users(text, boolean) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.update_user(user_id uuid, email text DEFAULT NULL, display_name text DEFAULT NULL,
                                              role text DEFAULT NULL, status text DEFAULT NULL)
RETURNS ffrtmp.users
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp_data.users;
    before ffrtmp_data.users;
BEGIN
    u := ffrtmp_data.managed_user(update_user.user_id);
    before := u;
    IF u.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'user % is deleted', u.id
            USING ERRCODE = 'PT409', HINT = 'Restore it first with ffrtmp.restore_user(id).';
    END IF;
    IF update_user.role IS NOT NULL THEN
        PERFORM ffrtmp_data.require_grantable(update_user.role);
        IF (update_user.role = 'superadmin') <> (u.role = 'superadmin') THEN
            RAISE EXCEPTION 'a user cannot move between superadmin and a tenant role'
                USING ERRCODE = '22023', HINT = 'A superadmin belongs to no tenant: create a new user instead.';
        END IF;
        u.role := update_user.role;
    END IF;
    IF update_user.status IS NOT NULL THEN
        IF update_user.status NOT IN ('active', 'disabled') THEN
            RAISE EXCEPTION 'status must be active or disabled'
                USING ERRCODE = '22023', HINT = 'Use status => ''active'' or status => ''disabled''.';
        END IF;
        -- Enabling a disabled user gives its role back: the giving rule applies.
        IF update_user.status = 'active' AND u.status = 'disabled' THEN
            PERFORM ffrtmp_data.require_grantable(u.role);
        END IF;
        u.status := update_user.status;
    END IF;
    IF update_user.email IS NOT NULL THEN
        u.email := ffrtmp_data.normalize_email(update_user.email);
    END IF;
    IF update_user.display_name IS NOT NULL THEN
        IF octet_length(update_user.display_name) > 200 THEN
            RAISE EXCEPTION 'display_name must be at most 200 bytes'
                USING ERRCODE = '22023', HINT = 'Shorten it.';
        END IF;
        u.display_name := update_user.display_name;
    END IF;
    BEGIN
        UPDATE ffrtmp_data.users x
           SET email = u.email, display_name = u.display_name, role = u.role, status = u.status,
               updated_at = now()
         WHERE x.id = u.id
        RETURNING * INTO u;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'a user with email % already exists in this tenant', u.email
            USING ERRCODE = 'PT409', HINT = 'Choose another address, or delete the other user first.';
    END;
    PERFORM ffrtmp_data.audit_user('user.update', before, u);
    IF (u.status = 'disabled' AND before.status = 'active') OR u.role <> before.role THEN
        PERFORM ffrtmp_data.withdraw_user_grants(u, false);
    END IF;
    RETURN ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.update_user(uuid, text, text, text, text) IS
    'Changes a user''s email, display_name, role or status (users.manage; NULL leaves a field as it is). Nobody changes a user holding a role ranked above their own, or gives a role (role, or status => ''active'' for a disabled user) without holding every permission of it under their key''s scopes (42501); a deleted user must be restored first (PT409). Disabling revokes the pending invitations the user made and the personal keys it made for other users; a new role revokes the pending invitations the user can no longer give.';
ALTER FUNCTION ffrtmp.update_user(uuid, text, text, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.update_user(uuid, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.update_user(uuid, text, text, text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.disable_user(user_id uuid) RETURNS ffrtmp.users
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT ffrtmp.update_user(disable_user.user_id, status => 'disabled');
END;
COMMENT ON FUNCTION ffrtmp.disable_user(uuid) IS
    'Disables a user (users.manage): it, its database role and its API keys can do nothing until update_user(id, status => ''active''); the pending invitations it made are revoked.';
ALTER FUNCTION ffrtmp.disable_user(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.disable_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.disable_user(uuid) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.delete_user(user_id uuid) RETURNS ffrtmp.users
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp_data.users;
BEGIN
    u := ffrtmp_data.managed_user(delete_user.user_id);
    IF u.deleted_at IS NULL THEN
        UPDATE ffrtmp_data.users x SET deleted_at = now(), updated_at = now()
         WHERE x.id = u.id RETURNING * INTO u;
        PERFORM ffrtmp_data.audit_user('user.delete', NULL, u);
        PERFORM ffrtmp_data.withdraw_user_grants(u, true);
    END IF;
    RETURN ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.delete_user(uuid) IS
    'Soft-deletes a user (users.manage): the row stays, marked deleted_at, and its e-mail is free for a new user; its personal API keys and the pending invitations it made are revoked (restore_user does not bring them back), the service keys it made stay; deleting a deleted user changes nothing.';
ALTER FUNCTION ffrtmp.delete_user(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.delete_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.delete_user(uuid) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.restore_user(user_id uuid) RETURNS ffrtmp.users
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp_data.users;
BEGIN
    u := ffrtmp_data.managed_user(restore_user.user_id);
    IF u.deleted_at IS NOT NULL THEN
        -- Restoring gives the user's role back: the giving rule applies.
        PERFORM ffrtmp_data.require_grantable(u.role);
        BEGIN
            UPDATE ffrtmp_data.users x SET deleted_at = NULL, updated_at = now()
             WHERE x.id = u.id RETURNING * INTO u;
        EXCEPTION WHEN unique_violation THEN
            RAISE EXCEPTION 'another user now has email % or database role %', u.email, u.db_role
                USING ERRCODE = 'PT409', HINT = 'Delete or change the other user first.';
        END;
        PERFORM ffrtmp_data.audit_user('user.restore', NULL, u);
    END IF;
    RETURN ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.restore_user(uuid) IS
    'Restores a deleted user (users.manage) with its role and status as they were, but not the API keys deleting it revoked; it gives the role back, so the caller must hold every permission of it (42501); PT409 when a user not deleted has taken its e-mail or database role meanwhile.';
ALTER FUNCTION ffrtmp.restore_user(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.restore_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.restore_user(uuid) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * Database roles are cluster-wide objects, so only platform administrators
 * map them.  For a tenant user this is add_tenant_role underneath (its checks
 * included: no role that may create objects, none acting for another tenant),
 * so the tenant context finds the tenant as it always has; the user row then
 * gives the role its user's role instead of 0.1's tenant_admin.
 */
CREATE OR REPLACE FUNCTION ffrtmp.map_user_role(user_id uuid, role_name text) RETURNS ffrtmp.users
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    u ffrtmp_data.users;
    before ffrtmp_data.users;
BEGIN
    u := ffrtmp_data.managed_user(map_user_role.user_id);
    before := u;
    IF u.deleted_at IS NOT NULL THEN
        RAISE EXCEPTION 'user % is deleted', u.id
            USING ERRCODE = 'PT409', HINT = 'Restore it first with ffrtmp.restore_user(id).';
    END IF;
    IF u.tenant_id IS NULL THEN
        RAISE EXCEPTION 'a superadmin is not mapped to a database role'
            USING ERRCODE = '22023', HINT = 'GRANT ffrtmp_admin TO the role instead.';
    END IF;
    -- Mapped again under the same name only when the role is another one
    -- (dropped and created again): the mapping is kept by OID too.
    IF u.db_role IS NOT DISTINCT FROM map_user_role.role_name
       AND u.db_role_oid IS NOT DISTINCT FROM (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = map_user_role.role_name) THEN
        RETURN ffrtmp_data.user_row(u);
    END IF;
    IF u.db_role IS NOT NULL AND EXISTS (SELECT 1 FROM ffrtmp_data.tenant_roles m WHERE m.role_name = u.db_role) THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = u.db_role) THEN
            PERFORM ffrtmp.remove_tenant_role(u.tenant_id::text, u.db_role);
        ELSE
            -- The role is gone: only its stale mapping is left to remove.
            DELETE FROM ffrtmp_data.tenant_roles m WHERE m.role_name = u.db_role AND m.tenant_id = u.tenant_id;
        END IF;
    END IF;
    IF map_user_role.role_name IS NOT NULL THEN
        PERFORM ffrtmp.add_tenant_role(u.tenant_id::text, map_user_role.role_name);
    END IF;
    BEGIN
        UPDATE ffrtmp_data.users x
           SET db_role = map_user_role.role_name,
               db_role_oid = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = map_user_role.role_name),
               updated_at = now()
         WHERE x.id = u.id RETURNING * INTO u;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION 'database role % already acts as another user', map_user_role.role_name
            USING ERRCODE = 'PT409', HINT = 'Unmap it from that user first: ffrtmp.map_user_role(other_user, NULL).';
    END;
    PERFORM ffrtmp_data.audit_user('user.map_role', before, u);
    RETURN ffrtmp_data.user_row(u);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.map_user_role(uuid, text) IS
    'Makes the database role role_name act as a tenant user (tenants.manage: platform administrators, since database roles are shared by every tenant): maps it to the user''s tenant as add_tenant_role does, with its checks, and it then holds the user''s role; NULL unmaps. A role acts as one user at most (PT409). The role''s OID is kept with its name: a role dropped and created again under the name is not the user until mapped again (calling this again with the same name does it).';
ALTER FUNCTION ffrtmp.map_user_role(uuid, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.map_user_role(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.map_user_role(uuid, text) TO ffrtmp_admin;
