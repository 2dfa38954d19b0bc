-- API keys (sql/schema/70_api_keys.sql, src/api_keys.c): a user's keys and
-- tenant service keys made, listed, rotated and revoked here;
-- ffrtmp.authenticate(api_key) makes a key's user (or the service key's role)
-- and tenant the caller for the rest of the transaction.

CREATE OR REPLACE FUNCTION ffrtmp.authenticate(api_key text) RETURNS uuid
    AS 'MODULE_PATHNAME', 'ffrtmp_authenticate'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp.authenticate(text) IS
    'Makes the API key the caller (its tenant for current_tenant() and row-level security; its user''s role, or the service key''s, narrowed by its scopes, for every permission check) until the end of the transaction, or of the savepoint it was called in if that is rolled back; returns the tenant id. Once per transaction (25001 otherwise). Any wrong, revoked or expired key, or one of a tenant not active, is the same error 28000 "invalid api key". A key revoked meanwhile fails the next statement.';
ALTER FUNCTION ffrtmp.authenticate(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.authenticate(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.authenticate(text) TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.random_hex(nbytes integer) RETURNS text
    AS 'MODULE_PATHNAME', 'ffrtmp_random_hex'
    LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ffrtmp_data.random_hex(integer) IS
    'nbytes (1 to 64) bytes from pg_strong_random, as lower-case hex: invitation tokens (API keys are made by new_api_key).';
ALTER FUNCTION ffrtmp_data.random_hex(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.random_hex(integer) FROM PUBLIC;

-- The key format lives in src/api_keys.c alone: these two are its SQL face.
CREATE OR REPLACE FUNCTION ffrtmp_data.new_api_key(OUT key_id text, OUT api_key text, OUT secret_sha256 bytea)
    AS 'MODULE_PATHNAME', 'ffrtmp_new_api_key'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.new_api_key() IS
    'A fresh key: its id (16 hex digits), the full key ffrtmp_<key_id>_<secret> (a 192-bit secret from pg_strong_random) to hand out once, and the SHA-256 of the secret, the only part of it stored.';
ALTER FUNCTION ffrtmp_data.new_api_key() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.new_api_key() FROM PUBLIC;
CREATE OR REPLACE FUNCTION ffrtmp_data.check_api_key_id(key_id text) RETURNS void
    AS 'MODULE_PATHNAME', 'ffrtmp_check_api_key_id'
    LANGUAGE C IMMUTABLE;
COMMENT ON FUNCTION ffrtmp_data.check_api_key_id(text) IS
    'Refuses (22023) a key_id that is not one (16 lower-case hex digits), NULL included.';
ALTER FUNCTION ffrtmp_data.check_api_key_id(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_api_key_id(text) FROM PUBLIC;

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.api_keys;
CREATE POLICY tenant_isolation ON ffrtmp_data.api_keys
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.api_keys IS
    'A tenant principal sees its own tenant''s keys; administrators see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.api_key_uses;
CREATE POLICY tenant_isolation ON ffrtmp_data.api_key_uses
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.api_key_uses IS
    'A tenant principal sees its own tenant''s keys'' last use; administrators see all.';

-- What listings show of a key: its prefix, never the secret or its hash.
-- For the API functions only: tenant roles read no table holding tenant
-- rows, not even under row-level security (docs/security.md, side channels).
CREATE OR REPLACE VIEW ffrtmp_data.api_key_rows WITH (security_invoker = true) AS
SELECT k.key_id, 'ffrtmp_' || k.key_id AS prefix, k.tenant_id, k.name, k.scopes, k.created_by, k.created_at,
       k.expires_at, k.revoked_at, k.replaced_by, u.last_used_at, k.user_id, k.role
  FROM ffrtmp_data.api_keys k
  LEFT JOIN ffrtmp_data.api_key_uses u ON u.key_id = k.key_id;
COMMENT ON VIEW ffrtmp_data.api_key_rows IS
    'API keys as listings show them: the prefix ffrtmp_<key_id>, never the secret or its hash.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.key_id IS 'Public key id, 16 hex digits: what revoke_api_key and rotate_api_key take.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.prefix IS 'ffrtmp_<key_id>: the start of the key, to recognise it; the secret is never shown again.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.tenant_id IS 'Tenant the key acts for.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.name IS 'What the key is for.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.scopes IS 'Permissions the key is limited to; NULL: all of its owner''s.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.created_by IS 'Role that created the key.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.created_at IS 'When the key was created.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.expires_at IS 'When the key stops working (after rotation: the end of the grace period); NULL: never.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.revoked_at IS 'When the key was revoked; NULL while it is not.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.replaced_by IS 'Key id of the key rotate_api_key issued in its place.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.last_used_at IS 'Last successful authentication, to within a minute.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.user_id IS 'The user whose key it is (acting with the user''s role); NULL for a tenant service key.';
COMMENT ON COLUMN ffrtmp_data.api_key_rows.role IS 'A service key''s role; NULL for a user''s key.';
ALTER VIEW ffrtmp_data.api_key_rows OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp_data.api_key_rows FROM PUBLIC;

/*
 * Inserts a key and returns it in full: the only time the secret exists
 * outside the caller's hands.  Shared by issue_api_key and rotate_api_key,
 * so that every path making a key keeps the bound of live keys per tenant,
 * counted under the tenant row's lock.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.insert_api_key(tenant uuid, name text, scopes text[], expires_at timestamptz,
                                                      "user" uuid, role text, role_cap text,
                                                      OUT key_id text, OUT api_key text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    fresh record;
    through text := ffrtmp_data.audit_key_id();
    through_expiry timestamptz;
    expiry timestamptz := insert_api_key.expires_at;
BEGIN
    -- A key made through a key never outlives it: it inherits that key's
    -- expiry, and a later one is refused.
    IF through IS NOT NULL THEN
        SELECT k.expires_at INTO through_expiry FROM ffrtmp_data.api_keys k WHERE k.key_id = through;
        IF through_expiry IS NOT NULL AND expiry IS NULL THEN
            expiry := through_expiry;
        ELSIF through_expiry IS NOT NULL AND expiry > through_expiry THEN
            PERFORM ffrtmp_data.queue_refusal(format('a key outliving api key %s', through));
            RAISE EXCEPTION 'permission denied: a key made through api key % cannot expire after it', through
                USING ERRCODE = '42501',
                      HINT = format('Give an expires_at no later than %s, or leave it out to take that key''s.', through_expiry);
        END IF;
    END IF;
    PERFORM 1 FROM ffrtmp_data.tenants t WHERE t.id = insert_api_key.tenant FOR UPDATE;
    IF (SELECT count(*) FROM ffrtmp_data.api_keys k
         WHERE k.tenant_id = insert_api_key.tenant AND k.revoked_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > now())) >= 100 THEN
        RAISE EXCEPTION 'tenant has 100 live api keys, the most it may have'
            USING ERRCODE = 'PT429', HINT = 'Revoke keys no longer used: ffrtmp.revoke_api_key(key_id); rotate with grace => ''0'' to replace a key at once.';
    END IF;
    fresh := ffrtmp_data.new_api_key();
    key_id := fresh.key_id;
    INSERT INTO ffrtmp_data.api_keys (key_id, tenant_id, name, secret_sha256, scopes, created_by, expires_at, user_id, role,
                                      role_cap, made_by_user, made_by_key)
    VALUES (key_id, insert_api_key.tenant, insert_api_key.name, fresh.secret_sha256,
            insert_api_key.scopes, ffrtmp_data.actor(), expiry, insert_api_key."user",
            insert_api_key.role, insert_api_key.role_cap, ffrtmp_data.caller_user_id(), through);
    INSERT INTO ffrtmp_data.api_key_uses (key_id, tenant_id) VALUES (key_id, insert_api_key.tenant);
    api_key := fresh.api_key;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.insert_api_key(uuid, text, text[], timestamptz, uuid, text, text) IS
    'Stores a new key (192-bit secret, only its SHA-256 kept) of user (acting at most as role_cap when not NULL), or a service key with role, and returns its id and the full key, once; records who made it and through which key. Made through a key with an expiry, it expires then at the latest (NULL expires_at takes it, a later one is 42501). PT429 when the tenant has 100 live keys (neither revoked nor expired) already.';
ALTER FUNCTION ffrtmp_data.insert_api_key(uuid, text, text[], timestamptz, uuid, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.insert_api_key(uuid, text, text[], timestamptz, uuid, text, text) FROM PUBLIC;

/*
 * Issues a key with no permission check: for API functions that decided
 * already that the key may exist (create_api_key, and accept_invitation
 * handing out a first key).  Bounded per tenant and audited here, so that
 * every caller is.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.issue_api_key(tenant uuid, name text, "user" uuid DEFAULT NULL,
                                                     role text DEFAULT NULL, scopes text[] DEFAULT NULL,
                                                     expires_at timestamptz DEFAULT NULL, role_cap text DEFAULT NULL,
                                                     OUT key_id text, OUT api_key text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    -- insert_api_key keeps the bound of live keys per tenant.
    SELECT n.key_id, n.api_key INTO issue_api_key.key_id, issue_api_key.api_key
      FROM ffrtmp_data.insert_api_key(issue_api_key.tenant, issue_api_key.name, issue_api_key.scopes,
                                      issue_api_key.expires_at, issue_api_key."user", issue_api_key.role,
                                      issue_api_key.role_cap) n;
    PERFORM ffrtmp_data.write_audit('api_key.create', 'api_key:' || issue_api_key.key_id, issue_api_key.tenant,
                                    jsonb_build_object('name', issue_api_key.name, 'user_id', issue_api_key."user",
                                                       'role', issue_api_key.role, 'role_cap', issue_api_key.role_cap,
                                                       'scopes', issue_api_key.scopes,
                                                       'expires_at', (SELECT k.expires_at FROM ffrtmp_data.api_keys k
                                                                       WHERE k.key_id = issue_api_key.key_id)));
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.issue_api_key(uuid, text, uuid, text, text[], timestamptz, text) IS
    'Issues a key of tenant, belonging to user (acting with the user''s role, never above role_cap when given) or a service key with role, and returns it once; checks no permission (the calling API function did), keeps the bound of 100 live keys per tenant (PT429) and writes the api_key.create audit row.';
ALTER FUNCTION ffrtmp_data.issue_api_key(uuid, text, uuid, text, text[], timestamptz, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.issue_api_key(uuid, text, uuid, text, text[], timestamptz, text) FROM PUBLIC;

/*
 * Refuses scopes that would grant more than the key's role or its creator
 * holds: a scope names a permission, the key's role holds it (22023
 * otherwise: such a key could never use it), and so does the creator (42501).
 * No scopes means all of the key role's permissions: the creator must hold
 * each (a creator acting with a scoped key gives no unscoped key).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.check_key_scopes(scopes text[], key_role text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    s text;
BEGIN
    IF check_key_scopes.scopes IS NULL THEN
        PERFORM ffrtmp_data.require_grantable(check_key_scopes.key_role);
    END IF;
    FOREACH s IN ARRAY coalesce(check_key_scopes.scopes, '{}') LOOP
        IF NOT EXISTS (SELECT 1 FROM ffrtmp_data.role_permissions p WHERE p.permission = s) THEN
            RAISE EXCEPTION 'scope "%" is not a permission', s
                USING ERRCODE = '22023', HINT = 'The permissions are listed in ffrtmp.role_permissions.';
        END IF;
        IF (SELECT r.rank FROM ffrtmp_data.roles r WHERE r.name = check_key_scopes.key_role)
           < (SELECT r.rank FROM ffrtmp_data.role_permissions p JOIN ffrtmp_data.roles r ON r.name = p.role
               WHERE p.permission = s) THEN
            RAISE EXCEPTION 'scope % is not held by the key''s role %', s, check_key_scopes.key_role
                USING ERRCODE = '22023', HINT = 'Give scopes among the permissions of the key''s role (ffrtmp.role_permissions).';
        END IF;
        IF NOT ffrtmp.has_permission(s) THEN
            PERFORM ffrtmp_data.queue_refusal(format('scope %s', s));
            RAISE EXCEPTION 'permission denied: scope % is not yours to give', s
                USING ERRCODE = '42501', HINT = 'A key can only carry permissions you hold yourself.';
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.check_key_scopes(text[], text) IS
    'Refuses scopes that are no permission or that key_role does not hold (22023), or that the caller does not hold (42501); no scopes (all of key_role''s permissions) only for a caller holding them all: a key never grants more than its creator holds.';
ALTER FUNCTION ffrtmp_data.check_key_scopes(text[], text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_key_scopes(text[], text) FROM PUBLIC;

/*
 * A personal key acts as its user (the audit log names the user), so only
 * the user itself, or someone ranked strictly above the user's role, makes or
 * rotates one: a tenant_admin cannot mint a credential acting as a peer
 * tenant_admin.  Revoking is open to every holder of keys.manage, since it
 * only takes power away.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.require_personal_key(user_id uuid, user_role text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF require_personal_key.user_id IS NOT DISTINCT FROM ffrtmp_data.caller_user_id() THEN
        RETURN;
    END IF;
    IF (SELECT r.rank FROM ffrtmp_data.roles r WHERE r.name = ffrtmp.caller_role())
       <= (SELECT r.rank FROM ffrtmp_data.roles r WHERE r.name = require_personal_key.user_role) THEN
        PERFORM ffrtmp_data.queue_refusal(format('a key acting as user %s', require_personal_key.user_id));
        RAISE EXCEPTION 'permission denied: a key acting as user % is made by that user or by a role above %',
                        require_personal_key.user_id, require_personal_key.user_role
            USING ERRCODE = '42501',
                  HINT = 'Ask the user to make its own key, or make a tenant service key: ffrtmp.create_api_key(name, role => ...).';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.require_personal_key(uuid, text) IS
    'Refuses (42501) making or rotating a key that acts as user user_id (holding user_role) unless the caller is that user or acts with a role ranked strictly above user_role.';
ALTER FUNCTION ffrtmp_data.require_personal_key(uuid, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.require_personal_key(uuid, text) FROM PUBLIC;

/*
 * The role a key acts with now, or NULL when it cannot act (revoked,
 * expired, its tenant or user not active): a service key's own role; a
 * personal key's user's role, but never above the cap it was made with by
 * someone else; and never above its maker's power now: the maker user's
 * role (when it is not the key's own user, who must be active) and the
 * role of the key it was made through, which must itself be able to act,
 * up the chain.  The SQL twin of key_usable and makers_allow in
 * src/api_keys.c, for rules that ask whether a key could still do what it
 * did (accept_invitation).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.key_acting_role(key_id text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    current text := key_acting_role.key_id;
    k record;
    acting text;
    maker_role text;
BEGIN
    -- Rotation never makes a cycle; 64 levels are a backstop, as in C.
    FOR depth IN 0..64 LOOP
        SELECT x.role, x.role_cap, x.made_by_user, x.made_by_key, x.user_id, u.role AS user_role INTO k
          FROM ffrtmp_data.api_keys x
          JOIN ffrtmp_data.tenants t ON t.id = x.tenant_id
           AND ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) = 'active'
          LEFT JOIN ffrtmp_data.users u ON u.id = x.user_id
         WHERE x.key_id = current AND x.revoked_at IS NULL
           -- as of the statement, as authenticate's check in C
           AND (x.expires_at IS NULL OR x.expires_at > pg_catalog.statement_timestamp())
           AND (x.user_id IS NULL OR (u.status = 'active' AND u.deleted_at IS NULL));
        IF NOT FOUND THEN
            RETURN NULL;
        END IF;
        acting := ffrtmp_data.lower_role(acting, coalesce(k.role, k.user_role));
        acting := ffrtmp_data.lower_role(acting, k.role_cap);
        IF k.made_by_user IS NOT NULL AND k.made_by_user IS DISTINCT FROM k.user_id THEN
            SELECT u.role INTO maker_role FROM ffrtmp_data.users u
             WHERE u.id = k.made_by_user AND u.status = 'active' AND u.deleted_at IS NULL;
            IF NOT FOUND THEN
                RETURN NULL;
            END IF;
            acting := ffrtmp_data.lower_role(acting, maker_role);
        END IF;
        IF k.made_by_key IS NULL THEN
            RETURN acting;
        END IF;
        current := k.made_by_key;
    END LOOP;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.key_acting_role(text) IS
    'The role key key_id acts with now, or NULL when it cannot act: revoked, expired, its tenant or user not active, the user who made it for someone else not active, or the key it was made through unable to act. The lowest of: a service key''s role or a personal key''s user''s role, its role_cap, its maker user''s role, and the acting role of the key it was made through (a key acts at most with its maker''s power now).';
ALTER FUNCTION ffrtmp_data.key_acting_role(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.key_acting_role(text) FROM PUBLIC;

/* The lower ranked of two roles; the other when one is NULL. */
CREATE OR REPLACE FUNCTION ffrtmp_data.lower_role(a text, b text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT CASE WHEN lower_role.a IS NULL THEN lower_role.b
                WHEN lower_role.b IS NULL THEN lower_role.a
                ELSE (SELECT r.name FROM ffrtmp_data.roles r
                       WHERE r.name IN (lower_role.a, lower_role.b) ORDER BY r.rank LIMIT 1) END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.lower_role(text, text) IS
    'Whichever of roles a and b is ranked lower; the other when one is NULL.';
ALTER FUNCTION ffrtmp_data.lower_role(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.lower_role(text, text) FROM PUBLIC;

/*
 * Power made through a key does not outlive it: revoking keys revokes the
 * keys made through them, and those made through these in turn, and the
 * pending invitations made through any of them, each with its audit row.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.revoke_made_through(keys text[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    r record;
    source text[] := revoke_made_through.keys;
    next text[];
BEGIN
    WHILE cardinality(source) > 0 LOOP
        FOR r IN UPDATE ffrtmp_data.invitations i SET revoked_at = now()
                  WHERE i.invited_by_key = ANY (source)
                    AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
              RETURNING i.id, i.tenant_id, i.email, i.role, i.invited_by_key LOOP
            PERFORM ffrtmp_data.write_audit('invitation.revoke', 'invitation:' || r.id, r.tenant_id,
                                            jsonb_build_object('email', r.email, 'role', r.role,
                                                               'reason', 'api key ' || r.invited_by_key || ' revoked'));
        END LOOP;
        next := '{}';
        FOR r IN UPDATE ffrtmp_data.api_keys k SET revoked_at = now()
                  WHERE k.made_by_key = ANY (source) AND k.revoked_at IS NULL
              RETURNING k.key_id, k.tenant_id, k.name, k.revoked_at, k.made_by_key LOOP
            PERFORM ffrtmp_data.write_audit('api_key.revoke', 'api_key:' || r.key_id, r.tenant_id,
                                            jsonb_build_object('name', r.name, 'revoked_at', r.revoked_at,
                                                               'reason', 'api key ' || r.made_by_key || ' revoked'));
            next := next || r.key_id;
        END LOOP;
        source := next;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.revoke_made_through(text[]) IS
    'Revokes the keys made through any of keys (and through those, to the end of the chain) and the pending invitations made through any of them, writing an audit row for each: what a revoked key made goes with it.';
ALTER FUNCTION ffrtmp_data.revoke_made_through(text[]) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.revoke_made_through(text[]) FROM PUBLIC;

/* The rule for a key's name, for create_api_key and accept_invitation's first key. */
CREATE OR REPLACE FUNCTION ffrtmp_data.check_api_key_name(name text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF check_api_key_name.name IS NULL OR octet_length(check_api_key_name.name) NOT BETWEEN 1 AND 100
       OR check_api_key_name.name ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION 'api key name must be 1 to 100 bytes without control characters'
            USING ERRCODE = '22023', HINT = 'Name the key after what uses it, for example ''encoder-farm''.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.check_api_key_name(text) IS
    'Refuses (22023) an api key name that is NULL, empty, over 100 bytes or holds control characters.';
ALTER FUNCTION ffrtmp_data.check_api_key_name(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_api_key_name(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.create_api_key(name text, "user" uuid DEFAULT NULL, scopes text[] DEFAULT NULL,
                                                 expires_at timestamptz DEFAULT NULL, tenant text DEFAULT NULL,
                                                 role text DEFAULT NULL, OUT key_id text, OUT api_key text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid;
    owner ffrtmp_data.users;
    key_role text;
BEGIN
    PERFORM ffrtmp_data.check_api_key_name(create_api_key.name);
    IF create_api_key.scopes IS NOT NULL AND (cardinality(create_api_key.scopes) NOT BETWEEN 1 AND 32
       OR EXISTS (SELECT 1 FROM unnest(create_api_key.scopes) s WHERE s IS NULL OR s !~ '^[a-z_]{1,32}\.[a-z_]{1,32}$')) THEN
        RAISE EXCEPTION 'api key scopes must be 1 to 32 permission names such as jobs.view'
            USING ERRCODE = '22023', HINT = 'Leave scopes out for a key with all of its owner''s permissions.';
    END IF;
    IF create_api_key.expires_at IS NOT NULL AND create_api_key.expires_at <= now() THEN
        RAISE EXCEPTION 'api key expiry must be in the future'
            USING ERRCODE = '22023', HINT = 'Give a later expires_at, or none for a key that does not expire.';
    END IF;
    IF octet_length(create_api_key.role) > 63 THEN
        RAISE EXCEPTION 'role must be at most 63 bytes'
            USING ERRCODE = '22023', HINT = 'The roles are viewer, operator and tenant_admin.';
    END IF;
    -- Named as every API function names a tenant (a tenant principal naming
    -- another is 42501, as for one that does not exist).
    target := ffrtmp_data.find_tenant(create_api_key.tenant);
    IF create_api_key."user" IS NOT NULL THEN
        -- A user's key: acts with the user's role, in the user's tenant.
        -- managed_user finds only users the caller sees (its own tenant's)
        -- and refuses one ranked above the caller (42501).
        IF create_api_key.role IS NOT NULL THEN
            RAISE EXCEPTION 'a user''s key acts with the user''s role'
                USING ERRCODE = '22023', HINT = 'Leave out role, or leave out user for a tenant service key.';
        END IF;
        owner := ffrtmp_data.managed_user(create_api_key."user");
        PERFORM ffrtmp_data.require_personal_key(owner.id, owner.role);
        IF owner.deleted_at IS NOT NULL OR owner.tenant_id IS NULL THEN
            RAISE EXCEPTION 'user % cannot have api keys', create_api_key."user"
                USING ERRCODE = '22023', HINT = 'Keys belong to users of a tenant who are not deleted; platform administrators use their database role.';
        END IF;
        IF target IS NOT NULL AND target <> owner.tenant_id THEN
            RAISE EXCEPTION 'user % is not of tenant "%"', create_api_key."user", create_api_key.tenant
                USING ERRCODE = '22023', HINT = 'Leave out tenant: a user''s key is of the user''s tenant.';
        END IF;
        target := owner.tenant_id;
        key_role := owner.role;
    ELSE
        -- A tenant service key: its own role, at most the creator's, never an administrator.
        key_role := coalesce(create_api_key.role, 'operator');
        IF key_role = 'superadmin' THEN
            RAISE EXCEPTION 'a service key cannot be superadmin'
                USING ERRCODE = '22023', HINT = 'A key acts for one tenant: give viewer, operator or tenant_admin.';
        END IF;
        PERFORM ffrtmp_data.require_rank(key_role);
        target := coalesce(target, ffrtmp.current_tenant());
    END IF;
    PERFORM ffrtmp_data.check_key_scopes(create_api_key.scopes, key_role);
    -- A backstop: find_tenant and managed_user have kept a tenant principal
    -- to its own tenant already.
    IF NOT EXISTS (SELECT 1 FROM ffrtmp_data.tenants t WHERE t.id = target)
       OR NOT (ffrtmp.caller_is_admin() OR target = ffrtmp.current_tenant()) THEN
        RAISE EXCEPTION 'tenant "%" not found', coalesce(create_api_key.tenant, target::text)
            USING ERRCODE = 'PT404', HINT = 'Leave out the tenant argument to act for your own tenant.';
    END IF;
    SELECT n.key_id, n.api_key INTO create_api_key.key_id, create_api_key.api_key
      FROM ffrtmp_data.issue_api_key(target, create_api_key.name, create_api_key."user",
                                     CASE WHEN create_api_key."user" IS NULL THEN key_role END,
                                     create_api_key.scopes, create_api_key.expires_at,
                                     -- Made for another user: never acts above that user's role now.
                                     CASE WHEN create_api_key."user" IS DISTINCT FROM ffrtmp_data.caller_user_id()
                                          THEN owner.role END) n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.create_api_key(text, uuid, text[], timestamptz, text, text) IS
    'Creates an API key and returns it, once, as ffrtmp_<key_id>_<secret>; only the SHA-256 of the secret is stored. With user: the user''s key, acting with that user''s role in its tenant (yourself, or a user of your tenant whose role is ranked below yours: 42501 otherwise, so nobody makes a key acting as a peer); a key made for another user never acts above the role the user has now, and is revoked when its maker is disabled or deleted. Without: a service key of the caller''s tenant (or of tenant: administrators any, a tenant principal only its own) acting with role (default operator, at most the caller''s, never superadmin). scopes: permissions the key is limited to, each held by the key''s role and by the caller (NULL: all of the role''s); expires_at: when it stops working (NULL: never; made through a key that expires, that key''s expiry, and a later one is 42501). At most 100 live keys per tenant (PT429).';
ALTER FUNCTION ffrtmp.create_api_key(text, uuid, text[], timestamptz, text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.create_api_key(text, uuid, text[], timestamptz, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.create_api_key(text, uuid, text[], timestamptz, text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.list_api_keys(tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp_data.api_key_rows
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid := coalesce(ffrtmp_data.find_tenant(list_api_keys.tenant), ffrtmp.current_tenant());
BEGIN
    RETURN QUERY
    SELECT k.* FROM ffrtmp_data.api_key_rows k
     WHERE k.tenant_id = target
     ORDER BY k.created_at, k.key_id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.list_api_keys(text) IS
    'The API keys of the caller''s tenant, or of tenant (administrators; a tenant principal only its own, 42501 for any other), oldest first, revoked and expired ones too: prefixes, never secrets.';
ALTER FUNCTION ffrtmp.list_api_keys(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.list_api_keys(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.list_api_keys(text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.revoke_api_key(key_id text)
RETURNS ffrtmp_data.api_key_rows
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    k ffrtmp_data.api_key_rows;
    top jsonb;
    keys jsonb;
    invitations jsonb;
    r record;
BEGIN
    PERFORM ffrtmp_data.check_api_key_id(revoke_api_key.key_id);
    -- The key and everything made through it, down the chain, with the
    -- pending invitations made through any of them, in ONE statement: a key
    -- may revoke its own ancestor, and so itself, and the row-level security
    -- checks (which see the caller's key as valid until the next statement)
    -- pass for the whole chain.  Row-level security leaves only the caller's
    -- tenant's keys (all, for administrators).
    WITH RECURSIVE chain(key_id) AS (
        SELECT x.key_id FROM ffrtmp_data.api_keys x WHERE x.key_id = revoke_api_key.key_id
        UNION
        SELECT x.key_id FROM ffrtmp_data.api_keys x JOIN chain c ON x.made_by_key = c.key_id
    ), gone_invitations AS (
        UPDATE ffrtmp_data.invitations i SET revoked_at = now()
         WHERE i.invited_by_key IN (SELECT c.key_id FROM chain c)
           AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
        RETURNING i.id, i.tenant_id, i.email, i.role, i.invited_by_key
    ), gone_keys AS (
        UPDATE ffrtmp_data.api_keys x SET revoked_at = coalesce(x.revoked_at, now())
         WHERE x.key_id IN (SELECT c.key_id FROM chain c)
           AND (x.revoked_at IS NULL OR x.key_id = revoke_api_key.key_id)
        RETURNING x.key_id, x.tenant_id, x.name, x.revoked_at, x.made_by_key,
                  ROW(x.key_id, 'ffrtmp_' || x.key_id, x.tenant_id, x.name, x.scopes, x.created_by, x.created_at,
                      x.expires_at, x.revoked_at, x.replaced_by,
                      (SELECT u.last_used_at FROM ffrtmp_data.api_key_uses u WHERE u.key_id = x.key_id),
                      x.user_id, x.role)::ffrtmp_data.api_key_rows AS listed
    )
    SELECT (SELECT to_jsonb(g.listed) FROM gone_keys g WHERE g.key_id = revoke_api_key.key_id),
           (SELECT jsonb_agg(jsonb_build_object('key_id', g.key_id, 'tenant_id', g.tenant_id, 'name', g.name,
                                                'revoked_at', g.revoked_at, 'made_by_key', g.made_by_key))
              FROM gone_keys g WHERE g.key_id <> revoke_api_key.key_id),
           (SELECT jsonb_agg(to_jsonb(g)) FROM gone_invitations g)
      INTO top, keys, invitations;
    IF top IS NULL THEN
        RAISE EXCEPTION 'api key % not found', revoke_api_key.key_id
            USING ERRCODE = 'PT404', HINT = 'ffrtmp.list_api_keys() lists the keys of your tenant.';
    END IF;
    FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(invitations, '[]'))
                        AS g(id uuid, tenant_id uuid, email text, role text, invited_by_key text) LOOP
        PERFORM ffrtmp_data.write_audit('invitation.revoke', 'invitation:' || r.id, r.tenant_id,
                                        jsonb_build_object('email', r.email, 'role', r.role,
                                                           'reason', 'api key ' || r.invited_by_key || ' revoked'));
    END LOOP;
    FOR r IN SELECT * FROM jsonb_to_recordset(coalesce(keys, '[]'))
                        AS g(key_id text, tenant_id uuid, name text, revoked_at timestamptz, made_by_key text) LOOP
        PERFORM ffrtmp_data.write_audit('api_key.revoke', 'api_key:' || r.key_id, r.tenant_id,
                                        jsonb_build_object('name', r.name, 'revoked_at', r.revoked_at,
                                                           'reason', 'api key ' || r.made_by_key || ' revoked'));
    END LOOP;
    k := jsonb_populate_record(NULL::ffrtmp_data.api_key_rows, top);
    PERFORM ffrtmp_data.write_audit('api_key.revoke', 'api_key:' || k.key_id, k.tenant_id,
                                    jsonb_build_object('name', k.name, 'revoked_at', k.revoked_at));
    RETURN k;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.revoke_api_key(text) IS
    'Revokes a key of the caller''s tenant (administrators: any): it stops working at once, in transactions that already authenticated with it too; revoking again keeps the first time. The keys and pending invitations made through it are revoked with it, down the chain, in the same statement (each audited): a key may revoke the key it was made through, and so itself, which then stops working from the caller''s next statement. Any holder of keys.manage in the tenant may revoke any of its keys, a peer''s personal key included (revoking only takes power away). Another tenant''s or a missing key is PT404.';
ALTER FUNCTION ffrtmp.revoke_api_key(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.revoke_api_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.revoke_api_key(text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.rotate_api_key(key_id text, grace interval DEFAULT '1 day',
                                                 OUT new_key_id text, OUT api_key text, OUT expires_at timestamptz,
                                                 OUT old_expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    old ffrtmp_data.api_keys;
    new_key record;
    key_role text;
    cap text;
    through text := ffrtmp_data.audit_key_id();
    through_old boolean;
BEGIN
    PERFORM ffrtmp_data.check_api_key_id(rotate_api_key.key_id);
    IF rotate_api_key.grace IS NULL OR rotate_api_key.grace < interval '0' OR rotate_api_key.grace > interval '30 days' THEN
        RAISE EXCEPTION 'grace must be between 0 and 30 days'
            USING ERRCODE = '22023', HINT = 'Give the time the old key''s users need to switch, for example ''1 day''.';
    END IF;
    SELECT * INTO old FROM ffrtmp_data.api_keys x WHERE x.key_id = rotate_api_key.key_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'api key % not found', rotate_api_key.key_id
            USING ERRCODE = 'PT404', HINT = 'ffrtmp.list_api_keys() lists the keys of your tenant.';
    END IF;
    IF old.revoked_at IS NOT NULL OR old.replaced_by IS NOT NULL OR old.expires_at <= now() THEN
        RAISE EXCEPTION 'api key % is revoked, expired or already rotated', rotate_api_key.key_id
            USING ERRCODE = 'PT409', HINT = 'Rotate the key that replaced it, or create a new one with ffrtmp.create_api_key().';
    END IF;
    -- The new key has the old one's powers: only for a caller who could create it.
    key_role := coalesce(old.role, ffrtmp_data.key_acting_role(old.key_id),
                         (SELECT u.role FROM ffrtmp_data.users u WHERE u.id = old.user_id));
    PERFORM ffrtmp_data.require_rank(key_role);
    -- Whose key it is counts by the user's role now, not the key's capped one:
    -- a peer may not rotate its way to a key acting as a peer.
    IF old.user_id IS NOT NULL THEN
        PERFORM ffrtmp_data.require_personal_key(old.user_id,
                                                 (SELECT u.role FROM ffrtmp_data.users u WHERE u.id = old.user_id));
    END IF;
    PERFORM ffrtmp_data.check_key_scopes(old.scopes, key_role);
    old_expires_at := least(coalesce(old.expires_at, 'infinity'), now() + rotate_api_key.grace);
    -- Rotated through itself or through a key made through it: the new key
    -- cannot hang from the old one (which expires) or make a cycle once
    -- re-pointed below; it takes the old key's maker key instead.
    through_old := through IS NOT NULL AND EXISTS (
        WITH RECURSIVE up(key_id, made_by_key) AS (
            SELECT k.key_id, k.made_by_key FROM ffrtmp_data.api_keys k WHERE k.key_id = through
            UNION
            SELECT k.key_id, k.made_by_key FROM ffrtmp_data.api_keys k JOIN up ON k.key_id = up.made_by_key)
        SELECT 1 FROM up WHERE up.key_id = old.key_id);
    -- The old key's grace is set first: rotated with grace 0 it is no longer
    -- live when insert_api_key counts the tenant's live keys.  Not when the
    -- caller acts through it: the new key would inherit the grace as its
    -- expiry, and the caller's key could stop before the rotation is done;
    -- then it is set last.
    IF NOT through_old THEN
        UPDATE ffrtmp_data.api_keys x SET expires_at = old_expires_at WHERE x.key_id = old.key_id;
    END IF;
    -- The rotator is the new key's maker (insert_api_key records the caller
    -- and its key): a key acts at most with its maker's power now.  Made for
    -- another user, it never acts above that user's role now either.
    cap := ffrtmp_data.lower_role(old.role_cap,
                                  CASE WHEN old.user_id IS DISTINCT FROM ffrtmp_data.caller_user_id()
                                       THEN (SELECT u.role FROM ffrtmp_data.users u WHERE u.id = old.user_id) END);
    SELECT * INTO new_key
      FROM ffrtmp_data.insert_api_key(old.tenant_id, old.name, old.scopes, old.expires_at, old.user_id, old.role, cap);
    UPDATE ffrtmp_data.api_keys x SET replaced_by = new_key.key_id WHERE x.key_id = old.key_id;
    -- Rotated through itself or a descendant, the new key keeps the old one's
    -- makers: a key rotating itself does not shed the limit its maker sets.
    IF through_old THEN
        UPDATE ffrtmp_data.api_keys x SET made_by_key = old.made_by_key, made_by_user = old.made_by_user
         WHERE x.key_id = new_key.key_id;
    END IF;
    -- What was made through the old key follows the new one: it goes when
    -- the new one is revoked, and outlives the old one's grace.
    UPDATE ffrtmp_data.api_keys x SET made_by_key = new_key.key_id
     WHERE x.made_by_key = old.key_id AND x.key_id <> new_key.key_id;
    UPDATE ffrtmp_data.invitations i SET invited_by_key = new_key.key_id
     WHERE i.invited_by_key = old.key_id AND i.accepted_at IS NULL AND i.revoked_at IS NULL;
    IF through_old THEN
        UPDATE ffrtmp_data.api_keys x SET expires_at = old_expires_at WHERE x.key_id = old.key_id;
    END IF;
    PERFORM ffrtmp_data.write_audit('api_key.rotate', 'api_key:' || old.key_id, old.tenant_id,
                                    jsonb_build_object('new_key_id', new_key.key_id,
                                                       'expires_at', jsonb_build_object('old', old.expires_at,
                                                                                        'new', old_expires_at)));
    new_key_id := new_key.key_id;
    api_key := new_key.api_key;
    expires_at := old.expires_at;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.rotate_api_key(text, interval) IS
    'Issues a new key in place of key_id (same tenant, owner, role, name, scopes and expiry; made through a key, never expiring after that key) and returns it, once; the caller becomes its maker (a key acts at most with its maker''s power now), its cap the lower of the old cap and, for another user''s key, that user''s role now, and the keys and pending invitations made through the old key now hang from the new one; the old key keeps working for grace (0 to 30 days, default 1 day), then expires. A revoked, expired or already rotated key is PT409; a key with more powers than the caller holds (role or scopes), or a personal key of a user other than the caller not ranked below the caller, is refused like create_api_key would (42501). The new key counts against the 100 live keys per tenant (PT429) while the old one lives out its grace.';
ALTER FUNCTION ffrtmp.rotate_api_key(text, interval) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.rotate_api_key(text, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.rotate_api_key(text, interval) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * Keys that cannot work any more (revoked, or expired: rotation's grace
 * included) are deleted 30 days after they stopped, in bounded batches by
 * the scheduler's pass, so that create and revoke loops do not grow the
 * table without bound; the audit log keeps their history.  A key another
 * one points to as replaced_by loses that pointer first.  The pass never
 * waits for a row a tenant holds (revoking a dead key again locks it, in a
 * transaction the tenant may keep open): such a key, or one whose
 * referrer is held, waits for a later pass.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.prune_api_keys(batch integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    gone text[];
    referrers text[];
BEGIN
    SELECT array_agg(x.key_id) INTO gone
      FROM (SELECT k.key_id FROM ffrtmp_data.api_keys k
             WHERE (k.revoked_at IS NOT NULL OR k.expires_at IS NOT NULL)
               AND least(k.revoked_at, k.expires_at) < now() - interval '30 days'
             ORDER BY least(k.revoked_at, k.expires_at) LIMIT prune_api_keys.batch
               FOR UPDATE OF k SKIP LOCKED) x;
    IF gone IS NULL THEN
        RETURN 0;
    END IF;
    referrers := ARRAY(SELECT k.key_id FROM ffrtmp_data.api_keys k WHERE k.replaced_by = ANY (gone)
                        FOR NO KEY UPDATE OF k SKIP LOCKED);
    gone := ARRAY(SELECT g FROM unnest(gone) g
                   WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.api_keys k
                                      WHERE k.replaced_by = g AND NOT k.key_id = ANY (referrers)));
    UPDATE ffrtmp_data.api_keys k SET replaced_by = NULL WHERE k.key_id = ANY (referrers) AND k.replaced_by = ANY (gone);
    DELETE FROM ffrtmp_data.api_key_uses u WHERE u.key_id = ANY (gone);
    DELETE FROM ffrtmp_data.api_keys k WHERE k.key_id = ANY (gone);
    RETURN cardinality(gone);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.prune_api_keys(integer) IS
    'Deletes up to batch API keys revoked or expired more than 30 days ago (the scheduler''s pass), never waiting for a row another transaction holds (that key waits for a later pass); returns how many.';
ALTER FUNCTION ffrtmp_data.prune_api_keys(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.prune_api_keys(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.prune_api_keys(integer) TO ffrtmp_scheduler;
