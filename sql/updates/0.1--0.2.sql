-- ffrtmp 0.1 -> 0.2: what this release changes in stored state.  An update
-- runs the deltas from the installed version on, then every part of sql/api/
-- (functions, views, policies, triggers and casts as they are now), so only
-- what sql/api/ cannot redefine is here: indexes, privileges on tables, the
-- comments of table columns.  Once released, never edited (see
-- docs/upgrading.md).
\echo Use "ALTER EXTENSION ffrtmp UPDATE" to load this file. \quit

-- Functions whose signature or result type changes in 0.2 are new
-- functions, so the old ones go: register_node takes the worker's protocol
-- version (sql/api/65_node_api.sql); submit_job takes retry_all_failures
-- (sql/api/55_job_api.sql); get_job and tenant_jobs return
-- ffrtmp.job_details, the job with its tenant's name and latest progress
-- (sql/api/30_jobs.sql).  What users made on the old ones would go with them
-- without a word: a privilege granted by hand (sql/api/ grants the new ones
-- to the extension's roles only), or an object of theirs that depends on
-- one (PostgreSQL's own refusal would hint at a CASCADE that ALTER EXTENSION
-- cannot take).  The update refuses instead, naming them and what to do, and
-- changes nothing.
DO $keep$
DECLARE
    old_name text;
    old_signature pg_catalog.regprocedure;
    granted text;
    dependents text;
BEGIN
    FOREACH old_name IN ARRAY ARRAY[
        'ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean)',
        'ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text)',
        'ffrtmp.get_job(bigint)',
        'ffrtmp.tenant_jobs(text, text)'] LOOP
        old_signature := old_name::pg_catalog.regprocedure;
        -- PUBLIC (grantee 0) is no role: a grant to it counts too.
        SELECT pg_catalog.string_agg(DISTINCT coalesce(pg_catalog.quote_ident(r.rolname), 'PUBLIC'), ', ') INTO granted
          FROM pg_catalog.pg_proc p
         CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
         WHERE p.oid = old_signature AND a.grantee <> p.proowner
           AND (a.grantee = 0 OR r.rolname NOT IN ('ffrtmp_owner', 'ffrtmp_admin', 'ffrtmp_tenant'));
        IF granted IS NOT NULL THEN
            RAISE EXCEPTION '% has privileges granted by hand, to %', pg_catalog.split_part(old_name, '(', 1), granted
                USING ERRCODE = '2BP01',
                      DETAIL = 'Release 0.2 replaces it with a new signature or result type; the update would lose these privileges.',
                      HINT = pg_catalog.format('Run REVOKE EXECUTE ON FUNCTION %s FROM %s; then ALTER EXTENSION ffrtmp UPDATE; then GRANT EXECUTE ON FUNCTION %s TO %s.',
                                               old_name, granted, pg_catalog.split_part(old_name, '(', 1), granted);
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO dependents
          FROM pg_catalog.pg_depend d
         WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = old_signature
           AND d.deptype = 'n';
        IF dependents IS NOT NULL THEN
            RAISE EXCEPTION 'objects depend on %: %', pg_catalog.split_part(old_name, '(', 1), dependents
                USING ERRCODE = '2BP01',
                      DETAIL = 'Release 0.2 replaces it with a new signature or result type; the update cannot drop the old one under them.',
                      HINT = 'Drop these objects, run ALTER EXTENSION ffrtmp UPDATE, then create them again.';
        END IF;
    END LOOP;
END
$keep$;
DROP FUNCTION ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean);
DROP FUNCTION ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text);
DROP FUNCTION ffrtmp.get_job(bigint);
DROP FUNCTION ffrtmp.tenant_jobs(text, text);

-- A tenant's job history and job progress are read by tenant, too.
CREATE INDEX job_events_tenant_idx ON ffrtmp_data.job_events (tenant_id, id);
CREATE INDEX job_progress_tenant_idx ON ffrtmp_data.job_progress (tenant_id);

-- Every worker call of every node looks for session-bound nodes whose session
-- is gone (ffrtmp_data.end_lost_sessions()): it reads those nodes only.
CREATE INDEX nodes_session_bound_idx ON ffrtmp_data.nodes (id) WHERE session_pid IS NOT NULL;

-- Sessions registered under 0.1 may be 0.1 workers, which go on running
-- until they are upgraded (docs/upgrading.md) and know nothing of pauses:
-- pause_job refuses their jobs until the node registers again (a trigger in
-- sql/api/40_nodes.sql clears the mark; 0.1 workers cannot register under 0.2).
ALTER TABLE ffrtmp_data.nodes ADD COLUMN pre_0_2_session boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ffrtmp_data.nodes.pre_0_2_session IS 'The node''s current session registered under release 0.1: its worker may be one of 0.1, which knows nothing of pauses (pause_job refuses its jobs) until it registers again.';
UPDATE ffrtmp_data.nodes SET pre_0_2_session = true;

-- Tenant principals lose every privilege on what holds tenant rows (column
-- privileges on nodes go with the table's): they read through the views of
-- schema ffrtmp, which call SECURITY DEFINER readers (sql/api/20_tenants.sql).
-- Administrators keep theirs.
REVOKE ALL ON ffrtmp_data.tenants, ffrtmp_data.tenant_roles, ffrtmp_data.usage, ffrtmp_data.presets,
    ffrtmp_data.jobs, ffrtmp_data.job_events, ffrtmp_data.nodes, ffrtmp_data.job_progress,
    ffrtmp_data.tenant_limits
    FROM ffrtmp_tenant;

-- Role mappings keep the role's OID beside its name: PostgreSQL fires no
-- event trigger for DROP ROLE, and a role created again under the name must
-- not become the old mapping.  0.1's mappings take the OID their role has
-- now; one whose role is gone keeps NULL, which never matches.
ALTER TABLE ffrtmp_data.tenant_roles ADD COLUMN role_oid oid;
UPDATE ffrtmp_data.tenant_roles m SET role_oid = r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = m.role_name;
COMMENT ON COLUMN ffrtmp_data.tenant_roles.role_name IS 'The mapped role, by name; a role acts for at most one tenant.';
COMMENT ON COLUMN ffrtmp_data.tenant_roles.role_oid IS 'The OID the role had when it was mapped: PostgreSQL tells no extension of DROP ROLE, so a mapping whose role of that name has another OID (dropped and created again, or a restore into another cluster) is no mapping until it is made again; ffrtmp.ready() lists it. NULL (a 0.1 mapping of a role gone before the update) never matches.';

-- Bounds on what a tenant or a node can store (checked in C): the columns'
-- descriptions say them.
COMMENT ON COLUMN ffrtmp_data.tenants.display_name IS 'Name shown to people: one line, at most 200 characters, no control characters.';
COMMENT ON COLUMN ffrtmp_data.tenants.description IS 'Free text: at most 4000 characters; newlines and tabs allowed, no other control characters.';
COMMENT ON COLUMN ffrtmp_data.nodes.encoders IS 'Encoders the node''s libavcodec offers (libx264, h264_nvenc...): at most 256 names of at most 64 bytes.';
COMMENT ON COLUMN ffrtmp_data.nodes.labels IS 'Free-form labels: a JSON object of at most 4 KiB and 2 levels.';
COMMENT ON COLUMN ffrtmp_data.jobs.idempotency_key IS 'Caller key (1 to 255 bytes, no control characters): repeating a submit with the same key and parameters returns this job.';

-- Retryability is a property of each failure class (sql/schema/30_jobs.sql):
-- a deterministic failure (the input, the job's settings, what no node
-- offers) ends the job at once instead of using every attempt.  Jobs of 0.1
-- are left as they are: a completed job's row may still show the failure of
-- an earlier attempt (0.2 clears it on completion), but that failure is
-- also in job_events, and rewriting finished rows would move updated_at and
-- fire the jobs trigger for no change of state.
ALTER TABLE ffrtmp_data.failure_reasons ADD COLUMN retryable boolean NOT NULL DEFAULT true;
COMMENT ON TABLE ffrtmp_data.failure_reasons IS 'Classes of job failure, whether the platform or the input is to blame, and whether another attempt is made.';
COMMENT ON COLUMN ffrtmp_data.failure_reasons.retryable IS 'Whether another attempt may succeed: false for deterministic failures, which end the job failed at once.';
UPDATE ffrtmp_data.failure_reasons SET retryable = false
 WHERE reason IN ('capability_mismatch', 'user_error', 'input_error');

-- Queues mean something to dispatch (src/dispatch.c): it reads each tenant's
-- queued jobs queue by queue, in priority order.
DROP INDEX ffrtmp_data.jobs_queued_idx;
CREATE INDEX jobs_queued_idx ON ffrtmp_data.jobs (tenant_id, queue, priority DESC, id) WHERE state = 'queued';
-- And in the order they began waiting, for the jobs past ffrtmp.queue_max_wait.
CREATE INDEX jobs_queued_since_idx ON ffrtmp_data.jobs (tenant_id, queue, greatest(run_after, updated_at), id) WHERE state = 'queued';
-- A queue is live, default or batch.  Release 0.1 stored any word a caller
-- gave: such a job would wait in a queue dispatch never reads, so it moves
-- to 'default', the queue it was given by default, before the column refuses
-- other words.  Only the queue changes (no state, so no event or counter).
UPDATE ffrtmp_data.jobs SET queue = 'default' WHERE queue NOT IN ('live', 'default', 'batch');
ALTER TABLE ffrtmp_data.jobs ADD CONSTRAINT jobs_queue_check CHECK (queue IN ('live', 'default', 'batch'));
COMMENT ON COLUMN ffrtmp_data.jobs.queue IS 'live, default or batch: within its tenant''s share, dispatch takes live before default before batch; batch leaves ffrtmp.live_reserve free slots of the shared pool (docs/scheduler.md).';

-- Dispatch paused for a tenant, a queue, or both, or for everything.
CREATE TABLE ffrtmp_data.dispatch_pauses (
    tenant_id  uuid REFERENCES ffrtmp_data.tenants (id),
    queue      text CHECK (queue IN ('live', 'default', 'batch')),
    paused_by  text NOT NULL,
    by_admin   boolean NOT NULL DEFAULT false,
    paused_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT dispatch_pauses_scope_key UNIQUE NULLS NOT DISTINCT (tenant_id, queue)
);
COMMENT ON TABLE ffrtmp_data.dispatch_pauses IS 'Dispatch pauses (ffrtmp.pause_dispatch): no queued job they match is assigned to a node; queued jobs keep their place and quota, running ones go on.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.tenant_id IS 'The tenant whose jobs wait; NULL: every tenant.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.queue IS 'The queue whose jobs wait (live, default or batch); NULL: every queue.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_by IS 'The role that paused.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.by_admin IS 'Made by an administrator: only an administrator ends it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_at IS 'When the pause began.';
ALTER TABLE ffrtmp_data.dispatch_pauses OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.dispatch_pauses ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.dispatch_pauses FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.dispatch_pauses TO ffrtmp_admin, ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.dispatch_pauses', '');

/*
 * The last lines of each attempt's worker and libav log, as the worker sends
 * them with its progress (ffrtmp.append_job_log): at most 64 KiB per attempt
 * (each line's bytes plus one, as in a log file), the oldest lines dropped
 * first; a line is at most 1024 bytes, without control characters, and the
 * worker has replaced host paths by placeholders.  Deleted with the job when
 * it is pruned.
 */
CREATE TABLE ffrtmp_data.job_logs (
    job_id    bigint NOT NULL,
    attempt   integer NOT NULL,
    line      bigint NOT NULL,
    tenant_id uuid NOT NULL,
    logged_at timestamptz NOT NULL,
    level     text NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    source    text NOT NULL CHECK (source IN ('worker', 'libav')),
    message   text NOT NULL,
    PRIMARY KEY (job_id, attempt, line)
);
COMMENT ON TABLE ffrtmp_data.job_logs IS 'The last lines (at most 64 KiB per attempt, oldest dropped first) of each attempt''s worker and libav log.';
COMMENT ON COLUMN ffrtmp_data.job_logs.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_logs.attempt IS 'The attempt that logged the line.';
COMMENT ON COLUMN ffrtmp_data.job_logs.line IS 'The line''s number in the attempt''s log, from 1; a gap is lines the worker dropped.';
COMMENT ON COLUMN ffrtmp_data.job_logs.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_logs.logged_at IS 'When the worker logged the line (never later than when it arrived).';
COMMENT ON COLUMN ffrtmp_data.job_logs.level IS 'info, warning or error.';
COMMENT ON COLUMN ffrtmp_data.job_logs.source IS 'worker (ffrtmp-worker''s own lines about the job) or libav (the libraries'' messages).';
COMMENT ON COLUMN ffrtmp_data.job_logs.message IS 'The line: at most 1024 bytes, no control characters, host paths shown as <input>, <output> or <path>.';
ALTER TABLE ffrtmp_data.job_logs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_logs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_logs TO ffrtmp_admin;
GRANT SELECT, DELETE ON ffrtmp_data.job_logs TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.job_logs', '');
-- Webhooks (docs/webhooks.md): the delivery daemon's role, the event names,
-- the tenants' endpoints and the outbox, as sql/schema/60_webhooks.sql creates them.
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
-- A per-job override of the failure classes' retryability: a job submitted
-- with retry_all_failures retries every failed attempt while attempts are
-- left (sql/api/60_worker_calls.sql, fail_attempt).  Jobs of 0.1 keep the
-- classes' rule.
ALTER TABLE ffrtmp_data.jobs ADD COLUMN retry_all_failures boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN ffrtmp_data.jobs.retry_all_failures IS 'Retry every failed attempt while attempts are left, whatever failure_reasons.retryable says of its class (submit_job''s per-job override).';

-- Holds and pauses (sql/schema/30_jobs.sql): held keeps a queued or retrying
-- job out of dispatch with its place and its unit of quota; paused keeps a
-- running job's node and slot while its process is stopped.  A paused job
-- holds its node, so the index of the jobs each node holds covers it.
INSERT INTO ffrtmp_data.job_states VALUES
    ('held',      true,  false, false, 'Held by hold_job: not dispatched until release_job; keeps its place and its unit of quota'),
    ('paused',    true,  false, true,  'Paused by pause_job: its process is stopped on its node, which it keeps, until resume_job');
INSERT INTO ffrtmp_data.job_transitions VALUES
    ('queued',    'held'),     ('retrying', 'held'),
    ('held',      'queued'),   ('held',     'retrying'), ('held',    'canceled'),
    ('running',   'paused'),   ('paused',   'running'),  ('paused',  'canceled'),
    ('paused',    'completed'), ('paused',  'failed'),   ('paused',  'timed_out'), ('paused', 'retrying');
DROP INDEX ffrtmp_data.jobs_node_idx;
CREATE INDEX jobs_node_idx ON ffrtmp_data.jobs (node_id) WHERE state IN ('assigned', 'running', 'paused');
COMMENT ON COLUMN ffrtmp_data.jobs.started_at IS 'When the current attempt started running, moved later by the time it spent paused: timeout counts running time only.';
-- Held and paused jobs are active (max_jobs); paused ones hold their node.
COMMENT ON COLUMN ffrtmp_data.plans.max_jobs IS 'Most active (queued, assigned, running, retrying, held or paused) jobs a tenant may have at once.';
COMMENT ON COLUMN ffrtmp_data.usage.active_jobs IS 'Jobs queued, assigned, running, retrying, held or paused.';
COMMENT ON COLUMN ffrtmp_data.usage.running_jobs IS 'Jobs assigned, running or paused on a node.';
COMMENT ON COLUMN ffrtmp_data.usage.cpu_cores_used IS 'CPU cores held by assigned, running and paused jobs.';
COMMENT ON COLUMN ffrtmp_data.usage.gpus_used IS 'GPUs held by assigned, running and paused jobs.';
-- The fair-share clock (src/dispatch.c): the virtual time a tenant starts
-- from when it begins waiting again, so that idling or a pause earns no burst.
CREATE TABLE ffrtmp_data.dispatch_clock (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    vtime  double precision NOT NULL DEFAULT 0
);
COMMENT ON TABLE ffrtmp_data.dispatch_clock IS 'The system virtual time of fair-share dispatch: one row, moved by each pass to the least virtual time of the tenants it found runnable; a tenant that starts waiting again starts from it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.vtime IS 'Least virtual time of the runnable tenants at the last pass; never goes back.';
ALTER TABLE ffrtmp_data.dispatch_clock OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.dispatch_clock TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.dispatch_clock TO ffrtmp_scheduler;
-- Not dumped (like scheduler_state): CREATE EXTENSION on restore inserts the
-- row again, and the first pass moves it to the restored tenants' times.
INSERT INTO ffrtmp_data.dispatch_clock DEFAULT VALUES;

-- Access control (sql/schema/70_access_control.sql, docs/access-control.md):
-- roles ranked, permissions, the lowest role holding each, and users.
CREATE TABLE ffrtmp_data.roles (
    name          text PRIMARY KEY,
    rank          integer NOT NULL UNIQUE CHECK (rank > 0),
    tenant_scoped boolean NOT NULL,
    description   text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.roles IS 'The roles a user can hold, ranked: a role holds every permission of the roles of lower rank.';
COMMENT ON COLUMN ffrtmp_data.roles.name IS 'Role name: superadmin, tenant_admin, operator or viewer.';
COMMENT ON COLUMN ffrtmp_data.roles.rank IS 'Higher holds more: the permissions of every role of lower rank, and may grant any role up to its own.';
COMMENT ON COLUMN ffrtmp_data.roles.tenant_scoped IS 'True when a user holding it belongs to one tenant and acts inside it only; false for platform roles (superadmin).';
COMMENT ON COLUMN ffrtmp_data.roles.description IS 'Who the role is for.';
ALTER TABLE ffrtmp_data.roles OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.roles TO PUBLIC;

INSERT INTO ffrtmp_data.roles VALUES
    ('viewer',       10, true,  'Reads the tenant''s jobs, nodes, usage and metrics'),
    ('operator',     20, true,  'A viewer who also submits and controls jobs'),
    ('tenant_admin', 30, true,  'An operator who also manages the tenant''s users, API keys and webhooks and reads its audit log'),
    ('superadmin',   40, false, 'Platform administrator: every permission, on every tenant');

CREATE TABLE ffrtmp_data.permissions (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z]+\.[a-z]+$'),
    description text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.permissions IS 'The permissions API functions require.';
COMMENT ON COLUMN ffrtmp_data.permissions.name IS 'Permission name: <object>.<verb>, for example jobs.cancel.';
COMMENT ON COLUMN ffrtmp_data.permissions.description IS 'What it allows.';
ALTER TABLE ffrtmp_data.permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.permissions TO PUBLIC;

INSERT INTO ffrtmp_data.permissions VALUES
    ('tenants.view',    'Read the own tenant, its plan, quotas and usage'),
    ('jobs.view',       'List and read jobs, their events, logs and results'),
    ('nodes.view',      'List nodes (a tenant: its own dedicated nodes)'),
    ('metrics.view',    'Read usage and metrics'),
    ('jobs.create',     'Submit jobs and batches of jobs'),
    ('jobs.cancel',     'Cancel, hold, release, pause, resume and retry jobs'),
    ('users.manage',    'Create, change, disable and delete users and invitations of the own tenant'),
    ('keys.manage',     'Create, rotate and revoke API keys of the own tenant'),
    ('webhooks.manage', 'Create, change and delete webhooks of the own tenant'),
    ('audit.view',      'Read the own tenant''s audit log'),
    ('tenants.manage',  'Create, change, suspend and delete tenants and their quotas'),
    ('platform.view',   'Read the platform''s health, scheduler status, usage checks and worker contract'),
    ('nodes.work',      'Run a worker: register a node of the own tenant, heartbeat, fetch, start, report and finish its jobs'),
    ('nodes.manage',    'Drain and remove nodes, pause and resume dispatch (a tenant: its own dedicated nodes)');

/* Each permission once, at the lowest role holding it; ffrtmp.role_permissions expands the ranks. */
CREATE TABLE ffrtmp_data.role_permissions (
    role       text NOT NULL REFERENCES ffrtmp_data.roles (name),
    permission text PRIMARY KEY REFERENCES ffrtmp_data.permissions (name)
);
COMMENT ON TABLE ffrtmp_data.role_permissions IS 'The lowest-ranked role that holds each permission; every role ranked above it holds it too (see ffrtmp.role_permissions).';
COMMENT ON COLUMN ffrtmp_data.role_permissions.role IS 'The lowest role holding the permission.';
COMMENT ON COLUMN ffrtmp_data.role_permissions.permission IS 'The permission.';
ALTER TABLE ffrtmp_data.role_permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.role_permissions TO PUBLIC;

INSERT INTO ffrtmp_data.role_permissions VALUES
    ('viewer', 'tenants.view'), ('viewer', 'jobs.view'), ('viewer', 'nodes.view'), ('viewer', 'metrics.view'),
    ('operator', 'jobs.create'), ('operator', 'jobs.cancel'), ('operator', 'nodes.work'),
    ('tenant_admin', 'users.manage'), ('tenant_admin', 'keys.manage'),
    ('tenant_admin', 'webhooks.manage'), ('tenant_admin', 'audit.view'), ('tenant_admin', 'nodes.manage'),
    ('superadmin', 'tenants.manage'), ('superadmin', 'platform.view');

/*
 * The e-mail rule, in one place: the CHECK on users.email and on
 * invitations.email, and ffrtmp_data.normalize_email, all call it.  Stored
 * state (those constraints depend on it), so it is defined with the tables.
 */
CREATE FUNCTION ffrtmp_data.is_email(email text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.octet_length(email) <= 254
           AND email OPERATOR(pg_catalog.~) '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$';
COMMENT ON FUNCTION ffrtmp_data.is_email(text) IS
    'True when email is one plausible address (a local part, one @, a domain; no spaces or control characters) of at most 254 bytes; NULL for NULL.';
ALTER FUNCTION ffrtmp_data.is_email(text) OWNER TO ffrtmp_owner;
-- As normalize_email, which calls it with its caller's privileges (the
-- tables' CHECKs run as their owner, through the API functions).
REVOKE ALL ON FUNCTION ffrtmp_data.is_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.is_email(text) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * People (and, from 0.1 role mappings, roles) who use the API.  A platform
 * user (superadmin) belongs to no tenant; every other user to exactly one.
 * Soft delete keeps the row (and the audit trail's target) and frees the
 * e-mail for a new user; restore_user refuses if a live user took it.
 */
CREATE TABLE ffrtmp_data.users (
    id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id    uuid REFERENCES ffrtmp_data.tenants (id),
    email        text CHECK (ffrtmp_data.is_email(email)),
    display_name text CHECK (octet_length(display_name) <= 200),
    role         text NOT NULL REFERENCES ffrtmp_data.roles (name),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    db_role      name,
    db_role_oid  oid,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deleted_at   timestamptz,
    CONSTRAINT users_platform_role CHECK ((tenant_id IS NULL) = (role = 'superadmin')),
    CONSTRAINT users_named CHECK (email IS NOT NULL OR db_role IS NOT NULL),
    CONSTRAINT users_db_role_oid CHECK ((db_role IS NULL) = (db_role_oid IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON ffrtmp_data.users (tenant_id, email) NULLS NOT DISTINCT
    WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX users_db_role_key ON ffrtmp_data.users (db_role) WHERE deleted_at IS NULL AND db_role IS NOT NULL;
CREATE INDEX users_db_role_idx ON ffrtmp_data.users (db_role) WHERE db_role IS NOT NULL;
COMMENT ON INDEX ffrtmp_data.users_db_role_idx IS
    'Every user mapped to a database role, deleted ones included: the tenant context refuses a role whose user was deleted (src/role_user.c).';
CREATE INDEX users_tenant_idx ON ffrtmp_data.users (tenant_id);
COMMENT ON TABLE ffrtmp_data.users IS 'Users: one role each, of one tenant or (superadmin) of none; soft-deleted, never removed.';
COMMENT ON COLUMN ffrtmp_data.users.id IS 'Generated user id.';
COMMENT ON COLUMN ffrtmp_data.users.tenant_id IS 'The tenant the user belongs to and acts inside; NULL exactly for superadmin.';
COMMENT ON COLUMN ffrtmp_data.users.email IS 'E-mail, normalised (trimmed, NFC, lower case), at most 254 bytes, unique per tenant among users not deleted; NULL only for users made from a role mapping.';
COMMENT ON COLUMN ffrtmp_data.users.display_name IS 'Name shown to people, at most 200 bytes.';
COMMENT ON COLUMN ffrtmp_data.users.role IS 'The role the user holds.';
COMMENT ON COLUMN ffrtmp_data.users.status IS 'active, or disabled: a disabled user (and its keys) can do nothing.';
COMMENT ON COLUMN ffrtmp_data.users.db_role IS 'The database role that acts as this user (psql), by name; a role is at most one user not deleted.';
COMMENT ON COLUMN ffrtmp_data.users.db_role_oid IS 'The OID db_role had when it was mapped: a role of that name with another OID (dropped and created again) is not this user; ffrtmp.ready() lists such a mapping, to be made again with map_user_role.';
COMMENT ON COLUMN ffrtmp_data.users.created_by IS 'The principal that created the user.';
COMMENT ON COLUMN ffrtmp_data.users.created_at IS 'When the user was created.';
COMMENT ON COLUMN ffrtmp_data.users.updated_at IS 'When the user last changed.';
COMMENT ON COLUMN ffrtmp_data.users.deleted_at IS 'When delete_user deleted it; NULL while it exists.';
ALTER TABLE ffrtmp_data.users OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.users FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.users TO ffrtmp_admin;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.users', '');

/*
 * The permission each function of the ffrtmp schema requires, checked before
 * its body by the extension's fmgr hook (src/permission_hook.c).  By name:
 * API functions are not overloaded.  The rows are part of the API's code, so
 * sql/api writes them again on every update; a function missing here is
 * refused to everyone.
 */
CREATE TABLE ffrtmp_data.function_permissions (
    function   name PRIMARY KEY,
    permission text REFERENCES ffrtmp_data.permissions (name)
);
COMMENT ON TABLE ffrtmp_data.function_permissions IS 'The permission each function of the ffrtmp schema requires, checked before it runs; a function not listed is refused to everyone.';
COMMENT ON COLUMN ffrtmp_data.function_permissions.function IS 'Function name in schema ffrtmp.';
COMMENT ON COLUMN ffrtmp_data.function_permissions.permission IS 'The permission its caller needs; NULL: none (the functions row-level security calls, and those of the daemons, which are granted to them alone).';
ALTER TABLE ffrtmp_data.function_permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.function_permissions TO PUBLIC;

-- API keys (sql/schema/70_api_keys.sql): a user's keys and tenant service
-- keys, of which only the SHA-256 of the secret is stored.
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

-- The audit log (docs/audit.md), as sql/schema/70_audit.sql creates it.
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
-- The tenants of 0.1 get their chain's head, as create_tenant gives a new one.
INSERT INTO ffrtmp_data.audit_chain_heads (chain) SELECT t.id FROM ffrtmp_data.tenants t;

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

-- PostgREST (docs/rest.md): the authenticator, anonymous and API-key roles.
DO $rest_roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_authenticator') THEN
        CREATE ROLE ffrtmp_authenticator LOGIN NOINHERIT NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_anon') THEN
        CREATE ROLE ffrtmp_anon NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_api') THEN
        CREATE ROLE ffrtmp_api NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_api_admin') THEN
        CREATE ROLE ffrtmp_api_admin NOLOGIN NOBYPASSRLS;
    END IF;
END
$rest_roles$;
COMMENT ON ROLE ffrtmp_authenticator IS
    'PostgREST logs in as this role (NOINHERIT: no privilege of its own) and becomes ffrtmp_anon, a JWT''s role or ffrtmp_api for each request; request claims and headers are trusted only when it is the session user.';
COMMENT ON ROLE ffrtmp_anon IS
    'PostgREST''s anonymous role: may authenticate (the pre-request function) and nothing else.';
COMMENT ON ROLE ffrtmp_api IS
    'The role a request authenticated with an API key runs as: the key decides its tenant and permissions (ffrtmp.authenticate).';
GRANT ffrtmp_anon, ffrtmp_api TO ffrtmp_authenticator;
-- The key's user or role decides what it may do; the group gives the
-- EXECUTE privileges a tenant's API calls need.
GRANT ffrtmp_tenant TO ffrtmp_api;
COMMENT ON ROLE ffrtmp_api_admin IS
    'The role a request with the JWT of a superadmin (not narrowed below superadmin by ffrtmp_role) runs as, switched to by the pre-request function: ffrtmp_api''s privileges and ffrtmp_admin''s, so that the administrators'' functions may be executed.';
-- A superadmin's JWT: the database privileges follow the claims' user now
-- (ffrtmp.pre_request switches to it only while that user is a superadmin).
GRANT ffrtmp_api, ffrtmp_admin TO ffrtmp_api_admin;
GRANT ffrtmp_api_admin TO ffrtmp_authenticator;
GRANT USAGE ON SCHEMA ffrtmp TO ffrtmp_anon, ffrtmp_api;
-- A JWT claiming the authenticator reaches pre_request's 401 (sql/schema/00_schemas_and_roles.sql).
GRANT USAGE ON SCHEMA ffrtmp TO ffrtmp_authenticator;

-- The plans' REST API request rate (src/api_requests.c), NULL: unlimited.
ALTER TABLE ffrtmp_data.plans ADD COLUMN max_api_requests_per_minute integer
    CHECK (max_api_requests_per_minute >= 0);
COMMENT ON COLUMN ffrtmp_data.plans.max_api_requests_per_minute IS 'REST API requests a tenant may make: a bucket of this many requests, refilled at this many a minute (so at most twice as many in any one minute; ffrtmp_data.count_api_request); 0 refuses every request; NULL: unlimited.';
UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = v.rate
FROM (VALUES ('free', 60), ('basic', 300), ('pro', 1200)) AS v(name, rate)
WHERE plans.name = v.name;

-- Monitoring roles (sql/schema/00_schemas_and_roles.sql, docs/metrics.md).
/*
 * Monitoring (docs/metrics.md).  ffrtmp_monitor is the group a metrics
 * scraper's login role joins (prometheus-postgres-exporter's): it may call
 * ffrtmp.metrics(), ffrtmp.health(), ffrtmp.ready() and the metric readers
 * of deploy/prometheus/queries.yaml, and nothing else.  The readers
 * aggregate across tenants for a caller mapped to no tenant, so they run as
 * ffrtmp_metrics_reader: BYPASSRLS, SELECT on the few tables they count, no
 * login, granted to no one.
 */
DO $monitor_roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_monitor') THEN
        CREATE ROLE ffrtmp_monitor NOLOGIN NOBYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'ffrtmp_metrics_reader') THEN
        CREATE ROLE ffrtmp_metrics_reader NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$monitor_roles$;
COMMENT ON ROLE ffrtmp_monitor IS
    'Metrics scrapers: may execute ffrtmp.metrics(), ffrtmp.health(), ffrtmp.ready() and the metric readers (ffrtmp_data.metric_*) and nothing else; GRANT it to the exporter''s login role.';
COMMENT ON ROLE ffrtmp_metrics_reader IS
    'Owns the metric readers (ffrtmp_data.metric_*), which count across tenants for ffrtmp_monitor: BYPASSRLS with SELECT on tenants, plans, usage (with pending_usage, and the views tenant_limits and current_usage over them), jobs (with job_queue, its queued jobs) and nodes only; no login, granted to no one.';

-- pg_dump carries the default tenant's row and usage row too (its plan,
-- quotas and metadata, its jobs' counters): pg_restore writes them over the
-- ones CREATE EXTENSION made (the trigger ffrtmp_data.restore_over_default,
-- sql/api/20_tenants.sql).  0.1 left them out of the dump.
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.tenants', '');
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.usage', '');

-- Quota accounting: changes that give quota back wait in pending_usage
-- instead of locking the tenant's usage row (docs/quotas.md).
CREATE TABLE ffrtmp_data.pending_usage (
    tenant_id       uuid NOT NULL,
    active_jobs     integer NOT NULL,
    queued_jobs     integer NOT NULL,
    running_jobs    integer NOT NULL,
    cpu_cores_used  integer NOT NULL,
    gpus_used       integer NOT NULL
);
CREATE INDEX pending_usage_tenant_idx ON ffrtmp_data.pending_usage (tenant_id);
COMMENT ON TABLE ffrtmp_data.pending_usage IS 'Changes to the job counters of usage that take no quota, not yet folded into usage (ffrtmp_data.current_usage adds them).';
COMMENT ON COLUMN ffrtmp_data.pending_usage.tenant_id IS 'The tenant counted.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.active_jobs IS 'Change to usage.active_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.queued_jobs IS 'Change to usage.queued_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.running_jobs IS 'Change to usage.running_jobs.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.cpu_cores_used IS 'Change to usage.cpu_cores_used.';
COMMENT ON COLUMN ffrtmp_data.pending_usage.gpus_used IS 'Change to usage.gpus_used.';
ALTER TABLE ffrtmp_data.pending_usage OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.pending_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.pending_usage FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.pending_usage TO ffrtmp_admin;
GRANT SELECT, INSERT, DELETE ON ffrtmp_data.pending_usage TO ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.pending_usage', '');

-- The batched worker protocol: node_heartbeat takes the running jobs'
-- progress (sql/api/65_node_api.sql), a new signature, so the old one goes,
-- refused as above when users granted it by hand or made objects on it.
DO $keep_heartbeat$
DECLARE
    old_name text := 'ffrtmp.node_heartbeat(bigint, text, bigint[])';
    granted text;
    dependents text;
BEGIN
    SELECT pg_catalog.string_agg(DISTINCT coalesce(pg_catalog.quote_ident(r.rolname), 'PUBLIC'), ', ') INTO granted
      FROM pg_catalog.pg_proc p
     CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
     WHERE p.oid = old_name::pg_catalog.regprocedure AND a.grantee <> p.proowner
       AND (a.grantee = 0 OR r.rolname NOT IN ('ffrtmp_owner', 'ffrtmp_admin', 'ffrtmp_tenant'));
    IF granted IS NOT NULL THEN
        RAISE EXCEPTION 'ffrtmp.node_heartbeat has privileges granted by hand, to %', granted
            USING ERRCODE = '2BP01',
                  DETAIL = 'Release 0.2 replaces it with a new signature or result type; the update would lose these privileges.',
                  HINT = pg_catalog.format('Run REVOKE EXECUTE ON FUNCTION %s FROM %s; then ALTER EXTENSION ffrtmp UPDATE; then GRANT EXECUTE ON FUNCTION ffrtmp.node_heartbeat TO %s.',
                                           old_name, granted, granted);
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') INTO dependents
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.refobjid = old_name::pg_catalog.regprocedure
       AND d.deptype = 'n';
    IF dependents IS NOT NULL THEN
        RAISE EXCEPTION 'objects depend on ffrtmp.node_heartbeat: %', dependents
            USING ERRCODE = '2BP01',
                  DETAIL = 'Release 0.2 replaces it with a new signature or result type; the update cannot drop the old one under them.',
                  HINT = 'Drop these objects, run ALTER EXTENSION ffrtmp UPDATE, then create them again.';
    END IF;
END
$keep_heartbeat$;
DROP FUNCTION ffrtmp.node_heartbeat(bigint, text, bigint[]);

-- Many submits in one transaction: a tenant's usage row versions stay on a
-- page of their own, updated as heap-only tuples (sql/schema/20_tenants.sql).
ALTER TABLE ffrtmp_data.usage SET (fillfactor = 10);

-- The drain: room on each page of jobs for the versions its updates write
-- (dispatch, start and finish each write one), so that they stay on their
-- job's page instead of all extending the table at its end.
ALTER TABLE ffrtmp_data.jobs SET (fillfactor = 80);

-- HOT updates on jobs: the scheduler's lookups of waiting and held jobs move
-- to narrow tables (sql/schema/30_jobs.sql), filled here from the jobs as
-- they are; jobs keeps only indexes on columns that dispatch, start, pause
-- and resume leave alone, so that those updates are heap-only.
CREATE TABLE ffrtmp_data.job_queue (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    queue     text NOT NULL,
    priority  integer NOT NULL,
    cpu_cores integer NOT NULL,
    gpus      integer NOT NULL,
    run_after timestamptz NOT NULL,
    ready_at  timestamptz NOT NULL
);
-- What dispatch reads: a tenant's queued jobs per queue in priority order,
CREATE INDEX job_queue_priority_idx ON ffrtmp_data.job_queue (tenant_id, queue, priority DESC, job_id);
-- and in the order they became ready, for the jobs past ffrtmp.queue_max_wait.
CREATE INDEX job_queue_ready_idx ON ffrtmp_data.job_queue (tenant_id, queue, ready_at, job_id);
COMMENT ON TABLE ffrtmp_data.job_queue IS 'The queued jobs, with what dispatch sorts and fits them by; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_queue.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_queue.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_queue.queue IS 'The job''s queue: live, default or batch.';
COMMENT ON COLUMN ffrtmp_data.job_queue.priority IS 'The job''s priority.';
COMMENT ON COLUMN ffrtmp_data.job_queue.cpu_cores IS 'CPU cores the job needs.';
COMMENT ON COLUMN ffrtmp_data.job_queue.gpus IS 'GPUs the job needs.';
COMMENT ON COLUMN ffrtmp_data.job_queue.run_after IS 'Not dispatched before this time (the job''s run_after).';
COMMENT ON COLUMN ffrtmp_data.job_queue.ready_at IS 'When the job became runnable: the later of its run_after and its last change while queued.';
ALTER TABLE ffrtmp_data.job_queue OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_queue FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_queue TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_queue TO ffrtmp_scheduler;

CREATE TABLE ffrtmp_data.job_backoffs (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    run_after timestamptz NOT NULL
);
-- What recovery reads: the backoffs that are over.
CREATE INDEX job_backoffs_run_after_idx ON ffrtmp_data.job_backoffs (run_after);
COMMENT ON TABLE ffrtmp_data.job_backoffs IS 'The retrying jobs and when their backoff ends; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_backoffs.run_after IS 'When the backoff ends and recovery queues the job again.';
ALTER TABLE ffrtmp_data.job_backoffs OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_backoffs ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_backoffs FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_backoffs TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_backoffs TO ffrtmp_scheduler;

CREATE TABLE ffrtmp_data.job_leases (
    job_id    bigint PRIMARY KEY,
    tenant_id uuid NOT NULL,
    node_id   bigint,
    attempt   integer NOT NULL,
    cpu_cores integer NOT NULL,
    gpus      integer NOT NULL,
    deadline  timestamptz
);
-- What dispatch, the worker calls and node changes read: the jobs a node holds.
CREATE INDEX job_leases_node_idx ON ffrtmp_data.job_leases (node_id);
-- What recovery reads: the attempts that run past their timeout.
CREATE INDEX job_leases_deadline_idx ON ffrtmp_data.job_leases (deadline) WHERE deadline IS NOT NULL;
COMMENT ON TABLE ffrtmp_data.job_leases IS 'The jobs a node holds (assigned, running, paused), with what a node''s capacity and the timeouts need; written only by the jobs triggers.';
COMMENT ON COLUMN ffrtmp_data.job_leases.job_id IS 'The job.';
COMMENT ON COLUMN ffrtmp_data.job_leases.tenant_id IS 'The job''s tenant.';
COMMENT ON COLUMN ffrtmp_data.job_leases.node_id IS 'The node that holds it (NULL only for a job set to such a state by hand without one).';
COMMENT ON COLUMN ffrtmp_data.job_leases.attempt IS 'The attempt the node holds.';
COMMENT ON COLUMN ffrtmp_data.job_leases.cpu_cores IS 'CPU cores the job takes on the node.';
COMMENT ON COLUMN ffrtmp_data.job_leases.gpus IS 'GPUs the job takes on the node.';
COMMENT ON COLUMN ffrtmp_data.job_leases.deadline IS 'When a running attempt times out: started_at + timeout, taking at most 1000 years of the timeout (no check bounds timeout, and a later instant would overflow timestamptz); NULL while assigned or paused, or without a timeout.';
ALTER TABLE ffrtmp_data.job_leases OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.job_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_leases FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.job_leases TO ffrtmp_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON ffrtmp_data.job_leases TO ffrtmp_scheduler;

INSERT INTO ffrtmp_data.job_queue (job_id, tenant_id, queue, priority, cpu_cores, gpus, run_after, ready_at)
SELECT j.id, j.tenant_id, j.queue, j.priority, j.cpu_cores, j.gpus, j.run_after, greatest(j.run_after, j.updated_at)
  FROM ffrtmp_data.jobs j WHERE j.state = 'queued' ORDER BY j.id;
INSERT INTO ffrtmp_data.job_backoffs (job_id, tenant_id, run_after)
SELECT j.id, j.tenant_id, j.run_after FROM ffrtmp_data.jobs j WHERE j.state = 'retrying' ORDER BY j.id;
INSERT INTO ffrtmp_data.job_leases (job_id, tenant_id, node_id, attempt, cpu_cores, gpus, deadline)
SELECT j.id, j.tenant_id, j.node_id, j.attempt, j.cpu_cores, j.gpus,
       CASE WHEN j.state = 'running' AND j.timeout IS NOT NULL THEN j.started_at OPERATOR(pg_catalog.+) least(j.timeout, interval '1000 years') END
  FROM ffrtmp_data.jobs j WHERE j.state IN ('assigned', 'running', 'paused') ORDER BY j.id;
DROP INDEX ffrtmp_data.jobs_queued_idx;
DROP INDEX ffrtmp_data.jobs_queued_since_idx;
DROP INDEX ffrtmp_data.jobs_node_idx;
DROP INDEX ffrtmp_data.jobs_retrying_idx;
DROP INDEX ffrtmp_data.jobs_running_timeout_idx;
DROP INDEX ffrtmp_data.jobs_finished_idx;
-- What pruning reads: finished_at is set by the last update of a job's run only.
CREATE INDEX jobs_finished_idx ON ffrtmp_data.jobs (finished_at) WHERE finished_at IS NOT NULL;
-- Room for a new version of every job on its page, so that its updates are
-- HOT even when a pass assigns every job of the page at once.
ALTER TABLE ffrtmp_data.jobs SET (fillfactor = 50);
