-- The audit log (docs/audit.md): one row per mutating API call, written by
-- ffrtmp_data.write_audit() in the call's own transaction, append-only, and
-- hash-chained per tenant (by the scheduler's pass, once the row committed)
-- so that an edit by the owner shows in ffrtmp.verify_audit_chain().

/*
 * Rows are never updated or deleted except by the scheduler's pruning (run as
 * the owner's function): the trigger in sql/api/85_audit.sql refuses the rest.
 * Who acted: the database role always, the user and the API key when the
 * caller acts as one.
 */
CREATE TABLE ffrtmp_data.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid,
    chain_seq   bigint,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    db_role     text NOT NULL,
    user_id     uuid,
    key_id      text,
    action      text NOT NULL CHECK (octet_length(action) <= 64),
    target      text CHECK (octet_length(target) <= 256),
    outcome     text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'refused', 'auth_failed')),
    change      jsonb NOT NULL DEFAULT '{}',
    request_id  text CHECK (octet_length(request_id) <= 128),
    prev_hash   bytea,
    row_hash    bytea,
    UNIQUE (tenant_id, chain_seq)
);
CREATE INDEX audit_log_tenant_idx ON ffrtmp_data.audit_log (tenant_id, id);
CREATE INDEX audit_log_at_idx ON ffrtmp_data.audit_log (at);
CREATE INDEX audit_log_unsealed_idx ON ffrtmp_data.audit_log (id) WHERE row_hash IS NULL;
COMMENT ON TABLE ffrtmp_data.audit_log IS 'Append-only audit log: who did what to which object, one row per mutating API call (and rate-limited refusals), hash-chained per tenant; pruned after ffrtmp.audit_retention.';
COMMENT ON COLUMN ffrtmp_data.audit_log.id IS 'Row id, in the order rows were written.';
COMMENT ON COLUMN ffrtmp_data.audit_log.tenant_id IS 'Tenant the call acted on (for a refusal, the tenant the caller acts for or the key belongs to); NULL for platform-wide actions and refusals of no known tenant (the platform chain).';
COMMENT ON COLUMN ffrtmp_data.audit_log.chain_seq IS 'Position in its tenant''s chain, 1, 2, 3..., given when the row is sealed (NULL until then).';
COMMENT ON COLUMN ffrtmp_data.audit_log.at IS 'When the row was written (clock time, inside the call''s transaction).';
COMMENT ON COLUMN ffrtmp_data.audit_log.db_role IS 'The database role that called the API (after SET ROLE; never the owner of a SECURITY DEFINER function).';
COMMENT ON COLUMN ffrtmp_data.audit_log.user_id IS 'The user who acted (ffrtmp.users id): the user the database role is mapped to, or the API key''s user; NULL for a role that is no user''s.';
COMMENT ON COLUMN ffrtmp_data.audit_log.key_id IS 'The id of the API key the call authenticated with (ffrtmp.authenticate); NULL without one.';
COMMENT ON COLUMN ffrtmp_data.audit_log.action IS 'What was done, as object.verb: tenant.create, job.cancel, webhook.delete...';
COMMENT ON COLUMN ffrtmp_data.audit_log.target IS 'The object acted on: job:42, tenant:acme, webhook:7.';
COMMENT ON COLUMN ffrtmp_data.audit_log.outcome IS 'ok (the change was made), refused (a permission refusal) or auth_failed (a failed authentication).';
COMMENT ON COLUMN ffrtmp_data.audit_log.change IS 'Summary of the change: the new object''s fields, or for updates {"field": {"old": ..., "new": ...}}; never a secret.';
COMMENT ON COLUMN ffrtmp_data.audit_log.request_id IS 'The request id, when there is one: the ffrtmp.request_id setting, else PostgREST''s X-Request-Id header.';
COMMENT ON COLUMN ffrtmp_data.audit_log.prev_hash IS 'row_hash of the previous row of the same tenant''s chain (32 zero bytes for the first); NULL until sealed.';
COMMENT ON COLUMN ffrtmp_data.audit_log.row_hash IS 'SHA-256 of prev_hash and this row''s fields (ffrtmp_data.audit_row_hash), set by the scheduler''s pass (seal_audit) soon after the row commits; an edit breaks the chain from here.';
ALTER TABLE ffrtmp_data.audit_log OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.audit_log FORCE ROW LEVEL SECURITY;
-- No privilege for anyone: tenants and administrators read through the view
-- ffrtmp.audit_log, and write only through the API.
REVOKE ALL ON ffrtmp_data.audit_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_log_id_seq', '');

/*
 * The head of each tenant's chain, moved by the sealer (seal_audit, the
 * scheduler's pass) only: the API's writers never lock it, so a tenant's open
 * transaction holds nobody up.
 */
CREATE TABLE ffrtmp_data.audit_chain_heads (
    chain          uuid PRIMARY KEY,
    last_seq       bigint NOT NULL DEFAULT 0,
    last_hash      bytea NOT NULL DEFAULT pg_catalog.decode(pg_catalog.repeat('00', 32), 'hex'),
    pruned_seq     bigint NOT NULL DEFAULT 0,
    pruned_at      timestamptz
);
COMMENT ON TABLE ffrtmp_data.audit_chain_heads IS 'The last sealed row of each tenant''s audit chain (the platform chain under ffffffff-ffff-ffff-ffff-ffffffffffff: the nil uuid is the default tenant''s id) and how far pruning reached; every tenant has one from its creation on, so that a chain emptied with its head shows.';
COMMENT ON COLUMN ffrtmp_data.audit_chain_heads.chain IS 'Tenant id; ffffffff-ffff-ffff-ffff-ffffffffffff for the platform chain (rows with tenant_id NULL).';
COMMENT ON COLUMN ffrtmp_data.audit_chain_heads.last_seq IS 'chain_seq of the chain''s last sealed row.';
COMMENT ON COLUMN ffrtmp_data.audit_chain_heads.last_hash IS 'row_hash of the chain''s last sealed row.';
COMMENT ON COLUMN ffrtmp_data.audit_chain_heads.pruned_seq IS 'chain_seq of the last row pruning removed (0: none): the chain''s first row left must be the next one.';
COMMENT ON COLUMN ffrtmp_data.audit_chain_heads.pruned_at IS 'When the last row pruning removed was written (its at); NULL when none was.';
ALTER TABLE ffrtmp_data.audit_chain_heads OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp_data.audit_chain_heads FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_chain_heads', '');
