/*
 * Invitations (docs/access-control.md#invitations): a user with
 * users.manage invites an e-mail address into a tenant with a role; the
 * invitee turns the one-time token into an active user with
 * ffrtmp.accept_invitation(token).  Like an API key's secret, the token is
 * 192 random bits of which only the SHA-256 is kept: a fast hash is enough
 * for a random secret, and it is what the token is looked up by.
 */
CREATE TABLE ffrtmp_data.invitations (
    id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    email         text NOT NULL CHECK (ffrtmp_data.is_email(email)),
    role          text NOT NULL REFERENCES ffrtmp_data.roles (name) CHECK (role <> 'superadmin'),
    token_sha256  bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at    timestamptz NOT NULL,
    accepted_at   timestamptz,
    accepted_user uuid REFERENCES ffrtmp_data.users (id),
    revoked_at    timestamptz,
    invited_by    uuid REFERENCES ffrtmp_data.users (id),
    invited_by_key text,
    CONSTRAINT invitations_used_once CHECK (accepted_at IS NULL OR revoked_at IS NULL),
    CONSTRAINT invitations_accepted_user CHECK ((accepted_at IS NULL) = (accepted_user IS NULL))
);
CREATE INDEX invitations_tenant_idx ON ffrtmp_data.invitations (tenant_id);
-- Revoking or rotating a key finds the invitations made through it.
CREATE INDEX invitations_invited_by_key_idx ON ffrtmp_data.invitations (invited_by_key) WHERE invited_by_key IS NOT NULL;
CREATE INDEX invitations_done_idx ON ffrtmp_data.invitations (LEAST(accepted_at, revoked_at, expires_at));
COMMENT ON INDEX ffrtmp_data.invitations_done_idx IS
    'Invitations by when they stopped being usable (accepted, revoked or expired): the scheduler''s pass deletes those done for over 30 days (prune_invitations) without a scan.';
COMMENT ON TABLE ffrtmp_data.invitations IS 'Invitations to become a user of a tenant: one-time tokens, of which only the SHA-256 is stored; ffrtmp.accept_invitation(token) creates the user.';
COMMENT ON COLUMN ffrtmp_data.invitations.id IS 'Invitation id: what list_invitations shows and revoke_invitation takes.';
COMMENT ON COLUMN ffrtmp_data.invitations.tenant_id IS 'The tenant the invitee joins.';
COMMENT ON COLUMN ffrtmp_data.invitations.email IS 'The invitee''s e-mail, normalised as users keep it; the user created gets it.';
COMMENT ON COLUMN ffrtmp_data.invitations.role IS 'The role the user created holds (never superadmin).';
COMMENT ON COLUMN ffrtmp_data.invitations.token_sha256 IS 'SHA-256 of the token (ffrtmp_invite_ and 48 hex digits, 192 random bits); the token itself is never stored.';
COMMENT ON COLUMN ffrtmp_data.invitations.created_by IS 'The principal that invited.';
COMMENT ON COLUMN ffrtmp_data.invitations.created_at IS 'When the invitation was made.';
COMMENT ON COLUMN ffrtmp_data.invitations.expires_at IS 'The token stops working at this time.';
COMMENT ON COLUMN ffrtmp_data.invitations.accepted_at IS 'When the token was used; it works once.';
COMMENT ON COLUMN ffrtmp_data.invitations.accepted_user IS 'The user accepting it created.';
COMMENT ON COLUMN ffrtmp_data.invitations.revoked_at IS 'When revoke_invitation withdrew it; the token stops working at once.';
COMMENT ON COLUMN ffrtmp_data.invitations.invited_by IS 'The user who invited (NULL for an administrator role or a role mapped with no user): disabling, deleting or demoting that user revokes its pending invitations it can no longer give, and one it could not give is not accepted.';
COMMENT ON COLUMN ffrtmp_data.invitations.invited_by_key IS 'Key id of the API key the invitation was made through (NULL when made without one): revoking that key revokes the invitation, and it is accepted only while that key could still give its role.';
ALTER TABLE ffrtmp_data.invitations OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.invitations FORCE ROW LEVEL SECURITY;
-- No privilege for anyone: only the API functions read and write them.
REVOKE ALL ON ffrtmp_data.invitations FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.invitations', '');
