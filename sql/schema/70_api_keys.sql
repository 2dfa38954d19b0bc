/*
 * API keys: ffrtmp_<key_id>_<secret>.  Only the SHA-256 of the secret is
 * kept (the secret is 192 random bits, so a fast hash is enough and a slow
 * one would make every request a denial-of-service lever).  Keys are looked
 * up by key_id and checked by ffrtmp.authenticate (src/api_keys.c).  A key
 * is a user's (it acts with the user's role, read again at every statement)
 * or a tenant service key (owned by the tenant, with a role of its own).
 */
CREATE TABLE ffrtmp_data.api_keys (
    key_id        text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    tenant_id     uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    name          text NOT NULL CHECK (octet_length(name) BETWEEN 1 AND 100),
    secret_sha256 bytea NOT NULL CHECK (octet_length(secret_sha256) = 32),
    scopes        text[] CHECK (cardinality(scopes) BETWEEN 1 AND 32),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at    timestamptz,
    revoked_at    timestamptz,
    replaced_by   text REFERENCES ffrtmp_data.api_keys (key_id),
    user_id       uuid REFERENCES ffrtmp_data.users (id),
    role          text REFERENCES ffrtmp_data.roles (name),
    role_cap      text REFERENCES ffrtmp_data.roles (name),
    made_by_user  uuid REFERENCES ffrtmp_data.users (id),
    made_by_key   text,
    CONSTRAINT api_keys_owner CHECK ((user_id IS NULL) <> (role IS NULL))
);
CREATE INDEX api_keys_tenant_idx ON ffrtmp_data.api_keys (tenant_id);
-- Revocation follows made_by_key down the chain; rotation re-points it.
CREATE INDEX api_keys_made_by_key_idx ON ffrtmp_data.api_keys (made_by_key) WHERE made_by_key IS NOT NULL;
CREATE INDEX api_keys_dead_idx ON ffrtmp_data.api_keys (LEAST(revoked_at, expires_at))
    WHERE revoked_at IS NOT NULL OR expires_at IS NOT NULL;
COMMENT ON INDEX ffrtmp_data.api_keys_dead_idx IS
    'Keys by when they stopped working (revoked or expired): the scheduler''s pass deletes those dead for over 30 days (prune_api_keys) without a scan.';
COMMENT ON TABLE ffrtmp_data.api_keys IS 'API keys, of a user or tenant service keys: ffrtmp_<key_id>_<secret>, of which only the SHA-256 of the secret is stored; ffrtmp.authenticate(api_key) makes the key''s user (or the service key''s role) and tenant the caller for the rest of the transaction.';
COMMENT ON COLUMN ffrtmp_data.api_keys.key_id IS 'Public key id: 16 hex digits (64 random bits), the part of the key after ffrtmp_; the key''s prefix in listings.';
COMMENT ON COLUMN ffrtmp_data.api_keys.tenant_id IS 'Tenant the key acts for (a user''s key: the user''s tenant).';
COMMENT ON COLUMN ffrtmp_data.api_keys.name IS 'What the key is for, 1 to 100 bytes.';
COMMENT ON COLUMN ffrtmp_data.api_keys.secret_sha256 IS 'SHA-256 of the secret part (48 hex digits, 192 random bits); the secret itself is never stored.';
COMMENT ON COLUMN ffrtmp_data.api_keys.scopes IS 'Permissions the key is limited to (narrowing its owner''s); NULL: all of its owner''s.';
COMMENT ON COLUMN ffrtmp_data.api_keys.created_by IS 'Role that created the key.';
COMMENT ON COLUMN ffrtmp_data.api_keys.created_at IS 'When the key was created.';
COMMENT ON COLUMN ffrtmp_data.api_keys.expires_at IS 'The key stops working at this time; NULL: never expires. rotate_api_key sets it to the end of the grace period.';
COMMENT ON COLUMN ffrtmp_data.api_keys.revoked_at IS 'When the key was revoked; it stops working at once.';
COMMENT ON COLUMN ffrtmp_data.api_keys.replaced_by IS 'Key id of the key that rotate_api_key issued in its place.';
COMMENT ON COLUMN ffrtmp_data.api_keys.user_id IS 'The user the key belongs to: it acts with that user''s role, and stops working when the user is disabled or deleted; NULL for a tenant service key.';
COMMENT ON COLUMN ffrtmp_data.api_keys.role IS 'A tenant service key''s own role (at most its creator''s); NULL for a user''s key, which acts with its user''s role.';
COMMENT ON COLUMN ffrtmp_data.api_keys.role_cap IS 'A personal key made for its user by someone else: the user''s role then, the most the key ever acts with (it acts with the lower of this and the user''s role now); NULL for a key the user made itself, which follows the user.';
COMMENT ON COLUMN ffrtmp_data.api_keys.made_by_user IS 'The user who made the key (NULL for an administrator role or a role mapped with no user): the key acts only while that user is active, and never above its role now (unless it is the key''s own user); deleting or disabling that user revokes the personal keys it made for others.';
COMMENT ON COLUMN ffrtmp_data.api_keys.made_by_key IS 'Key id of the API key the key was made through, or that replaced it by rotation (NULL when made without one): the key acts only while that key can, never above what it acts with; revoking that key revokes this one, and this one never expires after it.';
ALTER TABLE ffrtmp_data.api_keys OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.api_keys FORCE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.api_keys', '');

/*
 * When each key was last used, apart from the key: authenticate writes here,
 * and a lock it holds on this row until its transaction ends must not make a
 * revocation of the key wait.
 */
CREATE TABLE ffrtmp_data.api_key_uses (
    key_id       text PRIMARY KEY REFERENCES ffrtmp_data.api_keys (key_id),
    tenant_id    uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    last_used_at timestamptz
);
COMMENT ON TABLE ffrtmp_data.api_key_uses IS 'When each API key was last used: one row per key, made with it; kept apart from api_keys so that authenticating never locks the key''s row.';
COMMENT ON COLUMN ffrtmp_data.api_key_uses.key_id IS 'The key.';
COMMENT ON COLUMN ffrtmp_data.api_key_uses.tenant_id IS 'The key''s tenant (for row-level security).';
COMMENT ON COLUMN ffrtmp_data.api_key_uses.last_used_at IS 'Last successful authentication: written at most once a minute, and skipped while another transaction holds the row.';
ALTER TABLE ffrtmp_data.api_key_uses OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.api_key_uses ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.api_key_uses FORCE ROW LEVEL SECURITY;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.api_key_uses', '');
