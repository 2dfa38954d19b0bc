-- Webhooks: the endpoints tenants register, and the outbox of events to
-- deliver to them (written by the jobs trigger and report_progress in the
-- transaction that changes the job, so a rolled-back change sends nothing).
-- The delivery daemon, ffrtmp-webhooks, reads the outbox as a member of
-- ffrtmp_webhook_sender (docs/webhooks.md).

-- The delivery daemon's group role: it claims and finishes deliveries, and is
-- the only principal that reads a webhook's secret (to sign with it).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_webhook_sender') THEN
        CREATE ROLE ffrtmp_webhook_sender NOLOGIN NOBYPASSRLS;
    END IF;
END
$roles$;
GRANT USAGE ON SCHEMA ffrtmp TO ffrtmp_webhook_sender;

/* The events a webhook may ask for; the code that writes events uses these names. */
CREATE TABLE ffrtmp_data.webhook_event_types (
    event       text PRIMARY KEY,
    description text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.webhook_event_types IS 'The events a webhook can subscribe to.';
COMMENT ON COLUMN ffrtmp_data.webhook_event_types.event IS 'Event name, as create_webhook''s events take it and as the body''s "type" says it.';
COMMENT ON COLUMN ffrtmp_data.webhook_event_types.description IS 'When the event is sent.';
ALTER TABLE ffrtmp_data.webhook_event_types OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.webhook_event_types TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_scheduler;

INSERT INTO ffrtmp_data.webhook_event_types VALUES
    ('completed',   'The job completed'),
    ('failed',      'The job failed on its last attempt, or with a failure that is not retried'),
    ('timed_out',   'The job''s last attempt ran past its timeout'),
    ('canceled',    'The job was canceled'),
    ('rejected',    'No node can run the job'),
    ('progress.25', 'A running attempt reported 25 percent or more, once per job'),
    ('progress.50', 'A running attempt reported 50 percent or more, once per job'),
    ('progress.75', 'A running attempt reported 75 percent or more, once per job');

/*
 * A tenant's endpoints.  The secret is kept as given (HMAC needs it), read
 * back only by the delivery daemon's claim function; list_webhooks shows a
 * fingerprint.  Bounds are CHECKs here and checked with their messages in
 * create_webhook first.
 */
CREATE TABLE ffrtmp_data.webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES ffrtmp_data.tenants (id),
    url        text NOT NULL CHECK (octet_length(url) <= 2048 AND url ~ '^https?://'),
    secret     text NOT NULL CHECK (octet_length(secret) BETWEEN 16 AND 256 AND secret ~ '^[!-~]+$'),
    events     text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 16),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX webhooks_tenant_idx ON ffrtmp_data.webhooks (tenant_id);
COMMENT ON TABLE ffrtmp_data.webhooks IS 'Tenants'' webhook endpoints (at most 10 per tenant): where job events are POSTed, signed with the secret.';
COMMENT ON COLUMN ffrtmp_data.webhooks.id IS 'Webhook id.';
COMMENT ON COLUMN ffrtmp_data.webhooks.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp_data.webhooks.url IS 'Endpoint: an http:// or https:// URL of at most 2048 bytes, no credentials, a host the network policy allows.';
COMMENT ON COLUMN ffrtmp_data.webhooks.secret IS 'Signing secret: 16 to 256 printable ASCII characters, no spaces. Read only by the delivery daemon.';
COMMENT ON COLUMN ffrtmp_data.webhooks.events IS 'Events sent to it: 1 to 16 names from webhook_event_types.';
COMMENT ON COLUMN ffrtmp_data.webhooks.created_by IS 'Role that created it.';
COMMENT ON COLUMN ffrtmp_data.webhooks.created_at IS 'When it was created.';
ALTER TABLE ffrtmp_data.webhooks OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.webhooks FORCE ROW LEVEL SECURITY;
-- The jobs trigger, run by the scheduler's passes too, reads which webhooks
-- want an event, never the secret.
GRANT SELECT (id, tenant_id, events) ON ffrtmp_data.webhooks TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.webhooks', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.webhooks_id_seq', '');

/*
 * The outbox and the delivery log: one row per event and webhook.  payload is
 * the event as it was when the job changed (the body is its text);
 * delivery_state is
 * pending until a 2xx answer (delivered) or until retries end (failed).  log
 * holds one entry per attempt, bounded by the retry window.
 */
CREATE TABLE ffrtmp_data.webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid NOT NULL,
    webhook_id      bigint NOT NULL REFERENCES ffrtmp_data.webhooks (id) ON DELETE CASCADE,
    job_id          bigint NOT NULL,
    event           text NOT NULL,
    event_id        uuid NOT NULL DEFAULT pg_catalog.gen_random_uuid(),
    payload         jsonb NOT NULL,
    delivery_state  text NOT NULL DEFAULT 'pending' CHECK (delivery_state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    leased_until    timestamptz,
    last_status     integer,
    last_error      text,
    log             jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at     timestamptz
);
-- What the daemon claims, a few of each webhook in turn, and what bounds a
-- webhook's backlog: pending rows by webhook, in order.
CREATE INDEX webhook_deliveries_pending_idx ON ffrtmp_data.webhook_deliveries (webhook_id, next_attempt_at, id) WHERE delivery_state = 'pending';
-- A job's deliveries (ordering per job, pruning with the job, milestones sent once).
CREATE INDEX webhook_deliveries_job_idx ON ffrtmp_data.webhook_deliveries (job_id, webhook_id, id);
-- What a tenant reads, newest first, and what ages out.
CREATE INDEX webhook_deliveries_tenant_idx ON ffrtmp_data.webhook_deliveries (tenant_id, id);
CREATE INDEX webhook_deliveries_webhook_idx ON ffrtmp_data.webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_finished_idx ON ffrtmp_data.webhook_deliveries (finished_at) WHERE delivery_state <> 'pending';
COMMENT ON TABLE ffrtmp_data.webhook_deliveries IS 'Outbox and delivery log of webhook events: one row per event and webhook, written in the job change''s transaction; pruned with the job, and after the job retention once finished.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.id IS 'Delivery id; a job''s events are delivered to a webhook in id order.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.webhook_id IS 'The webhook.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.event IS 'Event name (webhook_event_types).';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.event_id IS 'Event id, the same on every attempt: the receiver''s idempotency key.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.payload IS 'The JSON body, as it was when the event happened.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.delivery_state IS 'pending, delivered (a 2xx answer) or failed (retries ended, or refused by the network policy).';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.attempts IS 'Attempts made.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.next_attempt_at IS 'Not attempted before this time (backoff).';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.leased_until IS 'A daemon holds the current attempt until then; afterwards another may claim it.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.last_status IS 'HTTP status of the last attempt; NULL when there was no answer.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.last_error IS 'Error of the last attempt, when it failed.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.log IS 'One object per attempt: attempt, at, status, error, ms.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.created_at IS 'When the event happened.';
COMMENT ON COLUMN ffrtmp_data.webhook_deliveries.finished_at IS 'When it was delivered or given up.';
ALTER TABLE ffrtmp_data.webhook_deliveries OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.webhook_deliveries FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, DELETE ON ffrtmp_data.webhook_deliveries TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.webhook_deliveries', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.webhook_deliveries_id_seq', '');
