-- The audit log (docs/audit.md): one row per mutating API call, written by
-- ffrtmp_data.write_audit() in the call's own transaction, append-only, and
-- hash-chained per tenant in audit_seals (by the scheduler's pass, once the
-- row committed) so that an edit by the owner shows in
-- ffrtmp.verify_audit_chain().  No row of the log is ever updated.

/*
 * Rows are never updated, and deleted only by the scheduler's pruning (run as
 * the owner's function): the trigger in sql/api/85_audit.sql refuses the rest.
 * Sealing writes no row of this table either: a row's place in its chain and
 * its hash are a row of audit_seals, so that the log stays insert-only.
 * Who acted: the database role always, the user and the API key when the
 * caller acts as one.
 */
CREATE TABLE ffrtmp_data.audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   uuid,
    at          timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    db_role     text NOT NULL,
    user_id     uuid,
    key_id      text,
    action      text NOT NULL CHECK (octet_length(action) <= 64),
    target      text CHECK (octet_length(target) <= 256),
    outcome     text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'refused', 'auth_failed')),
    change      jsonb NOT NULL DEFAULT '{}',
    request_id  text CHECK (octet_length(request_id) <= 128)
);
CREATE INDEX audit_log_tenant_idx ON ffrtmp_data.audit_log (tenant_id, id);
CREATE INDEX audit_log_at_idx ON ffrtmp_data.audit_log (at);
COMMENT ON TABLE ffrtmp_data.audit_log IS 'Append-only audit log: who did what to which object, one row per mutating API call (and rate-limited refusals), hash-chained per tenant by audit_seals; never updated; pruned after ffrtmp.audit_retention.';
COMMENT ON COLUMN ffrtmp_data.audit_log.id IS 'Row id, in the order rows were written.';
COMMENT ON COLUMN ffrtmp_data.audit_log.tenant_id IS 'Tenant the call acted on (for a refusal, the tenant the caller acts for or the key belongs to); NULL for platform-wide actions and refusals of no known tenant (the platform chain).';
COMMENT ON COLUMN ffrtmp_data.audit_log.at IS 'When the row was written (clock time, inside the call''s transaction).';
COMMENT ON COLUMN ffrtmp_data.audit_log.db_role IS 'The database role that called the API (after SET ROLE; never the owner of a SECURITY DEFINER function).';
COMMENT ON COLUMN ffrtmp_data.audit_log.user_id IS 'The user who acted (ffrtmp.users id): the user the database role is mapped to, or the API key''s user; NULL for a role that is no user''s.';
COMMENT ON COLUMN ffrtmp_data.audit_log.key_id IS 'The id of the API key the call authenticated with (ffrtmp.authenticate); NULL without one.';
COMMENT ON COLUMN ffrtmp_data.audit_log.action IS 'What was done, as object.verb: tenant.create, job.cancel, webhook.delete...';
COMMENT ON COLUMN ffrtmp_data.audit_log.target IS 'The object acted on: job:42, tenant:acme, webhook:7.';
COMMENT ON COLUMN ffrtmp_data.audit_log.outcome IS 'ok (the change was made), refused (a permission refusal) or auth_failed (a failed authentication).';
COMMENT ON COLUMN ffrtmp_data.audit_log.change IS 'Summary of the change: the new object''s fields, or for updates {"field": {"old": ..., "new": ...}}; never a secret.';
COMMENT ON COLUMN ffrtmp_data.audit_log.request_id IS 'The request id, when there is one: the ffrtmp.request_id setting, else PostgREST''s X-Request-Id header.';
ALTER TABLE ffrtmp_data.audit_log OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.audit_log FORCE ROW LEVEL SECURITY;
-- No privilege for anyone: tenants and administrators read through the view
-- ffrtmp.audit_log, and write only through the API.
REVOKE ALL ON ffrtmp_data.audit_log FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_log_id_seq', '');

/*
 * The chain: one row per sealed audit row, written by the sealer
 * (seal_audit, the scheduler's pass) once the row has committed.  Insert-only
 * like the log (same trigger); pruning removes a row's seal with it.
 */
CREATE TABLE ffrtmp_data.audit_seals (
    audit_id    bigint PRIMARY KEY,
    chain       uuid NOT NULL,
    chain_seq   bigint NOT NULL,
    prev_hash   bytea NOT NULL,
    row_hash    bytea NOT NULL,
    UNIQUE (chain, chain_seq)
);
COMMENT ON TABLE ffrtmp_data.audit_seals IS 'The audit log''s hash chains: each sealed audit row''s position in its tenant''s chain and its hash; written once per row by seal_audit, never updated.';
COMMENT ON COLUMN ffrtmp_data.audit_seals.audit_id IS 'The audit_log row sealed.';
COMMENT ON COLUMN ffrtmp_data.audit_seals.chain IS 'Its chain: the row''s tenant_id, ffffffff-ffff-ffff-ffff-ffffffffffff for the platform chain (tenant_id NULL).';
COMMENT ON COLUMN ffrtmp_data.audit_seals.chain_seq IS 'Position in the chain, 1, 2, 3..., in the order rows were sealed.';
COMMENT ON COLUMN ffrtmp_data.audit_seals.prev_hash IS 'row_hash of the chain''s previous row (32 zero bytes for the first).';
COMMENT ON COLUMN ffrtmp_data.audit_seals.row_hash IS 'SHA-256 of prev_hash and the audit row''s fields with its position (ffrtmp_data.audit_row_hash); an edit of the row breaks the chain here.';
ALTER TABLE ffrtmp_data.audit_seals OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.audit_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.audit_seals FORCE ROW LEVEL SECURITY;
REVOKE ALL ON ffrtmp_data.audit_seals FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.audit_seals', '');

/*
 * Where the sealer looks for rows not sealed yet: above low_id.  Every audit
 * row at or below low_id is sealed (or was never committed), so a pass reads
 * only the recent rows.  low_id moves to pending_id once every transaction
 * that was running when pending_id was read has ended (pending_xmax): a
 * transaction still open may hold a smaller id than rows already sealed.
 * Not dumped: a restored database starts again from 0 (one pass reads the
 * whole log), since transaction ids belong to one cluster.
 */
CREATE TABLE ffrtmp_data.audit_seal_cursor (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    low_id        bigint NOT NULL DEFAULT 0,
    pending_id    bigint NOT NULL DEFAULT 0,
    pending_xmax  xid8 NOT NULL DEFAULT '0'
);
COMMENT ON TABLE ffrtmp_data.audit_seal_cursor IS 'One row: every audit row with an id up to low_id is sealed, so the sealer reads only the rows above it; low_id moves to pending_id once every transaction older than pending_xmax has ended.';
COMMENT ON COLUMN ffrtmp_data.audit_seal_cursor.one IS 'Always true: the table has one row.';
COMMENT ON COLUMN ffrtmp_data.audit_seal_cursor.low_id IS 'Every audit row with an id up to this one is sealed, or was never committed.';
COMMENT ON COLUMN ffrtmp_data.audit_seal_cursor.pending_id IS 'The last audit id given out when the sealer last looked: final once pending_xmax is past.';
COMMENT ON COLUMN ffrtmp_data.audit_seal_cursor.pending_xmax IS 'A transaction id handed out after pending_id was read: once every older transaction has ended, no audit row up to pending_id can still appear.';
ALTER TABLE ffrtmp_data.audit_seal_cursor OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp_data.audit_seal_cursor FROM PUBLIC;
INSERT INTO ffrtmp_data.audit_seal_cursor DEFAULT VALUES;

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
