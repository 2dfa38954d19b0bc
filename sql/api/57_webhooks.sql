-- Webhooks (docs/webhooks.md): the tenants' API (create, list, delete, the
-- delivery log), the writers of the outbox (the jobs trigger in 30_jobs.sql
-- and report_progress call them in the job change's transaction), and the
-- delivery daemon's two calls (claim, finish).

CREATE OR REPLACE FUNCTION ffrtmp_data.check_webhook_url(url text) RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_check_webhook_url'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ffrtmp_data.check_webhook_url(text) IS
    'Refuses a webhook URL with credentials, without a valid host, or with a host the network policy (ffrtmp.network_allow) refuses, as submit_job refuses an input URL (22023).';
ALTER FUNCTION ffrtmp_data.check_webhook_url(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.check_webhook_url(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.caller_is_webhook_sender() RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_caller_is_webhook_sender'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.caller_is_webhook_sender() IS
    'True when the caller (outside any SECURITY DEFINER function) has the privileges of ffrtmp_webhook_sender: the delivery daemon.';
REVOKE ALL ON FUNCTION ffrtmp_data.caller_is_webhook_sender() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.caller_is_webhook_sender() TO PUBLIC;

-- The delivery daemon is mapped to no tenant, which current_tenant() and
-- caller_is_admin() refuse: it is asked first, and webhook_policy_tenant()
-- answers NULL for it (the planner evaluates that side while estimating).
CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_policy_tenant() RETURNS uuid
AS 'MODULE_PATHNAME', 'ffrtmp_webhook_policy_tenant'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.webhook_policy_tenant() IS
    'The tenant whose webhooks and deliveries the caller sees: current_tenant(), or NULL for the delivery daemon (which sees all through its own test).';
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_policy_tenant() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.webhook_policy_tenant() TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_tenant_status(tenant uuid) RETURNS text
AS 'MODULE_PATHNAME', 'ffrtmp_webhook_tenant_status'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION ffrtmp_data.webhook_tenant_status(uuid) IS
    'The status in force of a tenant (active, suspended, expired or deleted), read past the tenants'' policy: the delivery daemon''s claim, mapped to no tenant, skips the events of tenants not active.';
ALTER FUNCTION ffrtmp_data.webhook_tenant_status(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_tenant_status(uuid) FROM PUBLIC;

-- The tenant a webhook call acts for; an administrator must name one.
CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_target_tenant(tenant text, call text) RETURNS uuid
AS 'MODULE_PATHNAME', 'ffrtmp_webhook_target_tenant'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ffrtmp_data.webhook_target_tenant(text, text) IS
    'The tenant create_webhook, list_webhooks or webhook_deliveries (call) acts for: the caller''s, or the one named (a tenant principal: only its own); an administrator naming none is refused with 22023.';
ALTER FUNCTION ffrtmp_data.webhook_target_tenant(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_target_tenant(text, text) FROM PUBLIC;

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.webhooks;
CREATE POLICY tenant_isolation ON ffrtmp_data.webhooks
    USING (ffrtmp_data.caller_is_webhook_sender() OR ffrtmp.caller_is_admin()
           OR tenant_id = ffrtmp_data.webhook_policy_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.webhooks IS
    'A tenant sees its own webhooks; administrators and the delivery daemon see all.';
DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.webhook_deliveries;
CREATE POLICY tenant_isolation ON ffrtmp_data.webhook_deliveries
    USING (ffrtmp_data.caller_is_webhook_sender() OR ffrtmp.caller_is_admin()
           OR tenant_id = ffrtmp_data.webhook_policy_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.webhook_deliveries IS
    'A tenant sees its own deliveries; administrators and the delivery daemon see all.';

/* What the receiver gets: the event, and the job as it was when the event happened. */
CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_payload(event_id uuid, event text, job ffrtmp_data.jobs, progress jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'id', event_id, 'type', event, 'created_at', now(), 'tenant_id', job.tenant_id,
        'job', jsonb_build_object(
            'id', job.id, 'seq', job.seq, 'state', job.state, 'attempt', job.attempt,
            'queue', job.queue, 'input_url', job.input_url, 'output_url', job.output_url,
            'failure_reason', job.failure_reason, 'error', job.error, 'state_reason', job.state_reason,
            'result', job.result, 'created_at', job.created_at, 'started_at', job.started_at,
            'finished_at', job.finished_at),
        'progress', progress));
END;
COMMENT ON FUNCTION ffrtmp_data.webhook_payload(uuid, text, ffrtmp_data.jobs, jsonb) IS
    'The JSON body of a webhook event: id, type, created_at, tenant_id, the job (id, seq, state, attempt, queue, URLs, failure_reason, error, state_reason, result, timestamps) and, for a milestone, the progress reported.';
ALTER FUNCTION ffrtmp_data.webhook_payload(uuid, text, ffrtmp_data.jobs, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_payload(uuid, text, ffrtmp_data.jobs, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.webhook_payload(uuid, text, ffrtmp_data.jobs, jsonb) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * The bound on a webhook's backlog: while 10,000 of its deliveries are
 * pending (a receiver down for days, a job retried and canceled in a loop),
 * a new event is not queued but recorded as dropped, a failed delivery with
 * this reason, so that the outbox cannot grow without end and the tenant
 * sees what was lost.  Counting stops at the bound, on the pending index.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_drop_reason(webhook bigint) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
RETURN CASE WHEN EXISTS (SELECT 1 FROM ffrtmp_data.webhook_deliveries d
                          WHERE d.webhook_id = webhook AND d.delivery_state = 'pending' OFFSET 9999)
            THEN 'dropped: the webhook already has 10000 pending deliveries' END;
COMMENT ON FUNCTION ffrtmp_data.webhook_drop_reason(bigint) IS
    'Why a new event for this webhook is dropped rather than queued: NULL while it has fewer than 10000 pending deliveries.';
ALTER FUNCTION ffrtmp_data.webhook_drop_reason(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_drop_reason(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.webhook_drop_reason(bigint) TO ffrtmp_owner, ffrtmp_scheduler;

/*
 * Progress milestones: progress.25/50/75 once a running attempt reports that
 * percent or more, once per job and webhook (a retry does not send them
 * again).  report_progress calls it in its transaction.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.queue_progress_events(job ffrtmp_data.jobs, progress jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    percent numeric;
    queued integer;
BEGIN
    IF jsonb_typeof(progress -> 'percent') IS DISTINCT FROM 'number' THEN
        RETURN 0;
    END IF;
    percent := (progress ->> 'percent')::numeric;
    INSERT INTO ffrtmp_data.webhook_deliveries (tenant_id, webhook_id, job_id, event, event_id, payload,
                                                delivery_state, last_error, finished_at)
    SELECT job.tenant_id, e.webhook_id, job.id, e.event, e.event_id,
           ffrtmp_data.webhook_payload(e.event_id, e.event, job, progress),
           CASE WHEN e.dropped IS NULL THEN 'pending' ELSE 'failed' END, e.dropped,
           CASE WHEN e.dropped IS NOT NULL THEN now() END
      FROM (SELECT w.id AS webhook_id, 'progress.' || m AS event, gen_random_uuid() AS event_id, m,
                   ffrtmp_data.webhook_drop_reason(w.id) AS dropped
              FROM ffrtmp_data.webhooks w
             CROSS JOIN unnest(ARRAY[25, 50, 75]) m
             WHERE w.tenant_id = job.tenant_id AND m <= percent
               AND ('progress.' || m) = ANY (w.events)
               AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.webhook_deliveries d
                                WHERE d.job_id = job.id AND d.webhook_id = w.id AND d.event = 'progress.' || m)) e
     ORDER BY e.webhook_id, e.m;
    GET DIAGNOSTICS queued = ROW_COUNT;
    RETURN queued;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.queue_progress_events(ffrtmp_data.jobs, jsonb) IS
    'Writes the progress milestones (progress.25, progress.50, progress.75) a progress report reaches to the outbox, once per job and webhook (as dropped when the webhook has 10000 pending); returns how many.';
ALTER FUNCTION ffrtmp_data.queue_progress_events(ffrtmp_data.jobs, jsonb) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.queue_progress_events(ffrtmp_data.jobs, jsonb) FROM PUBLIC;

-- The tenants' API ------------------------------------------------------------

/* The webhook as a tenant sees it: the secret only as a fingerprint. */
CREATE OR REPLACE FUNCTION ffrtmp_data.webhook_fingerprint(secret text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'sha256:' || left(encode(pg_catalog.sha256(pg_catalog.convert_to(secret, 'UTF8')), 'hex'), 12);
COMMENT ON FUNCTION ffrtmp_data.webhook_fingerprint(text) IS
    'How a webhook''s secret is shown: "sha256:" and the first 12 hex digits of its SHA-256, enough to tell secrets apart, not to sign.';
ALTER FUNCTION ffrtmp_data.webhook_fingerprint(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.webhook_fingerprint(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.webhook_fingerprint(text) TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_webhooks()
RETURNS TABLE (id bigint, tenant_id uuid, url text, events text[], secret_fingerprint text, created_by text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT w.id, w.tenant_id, w.url, w.events, ffrtmp_data.webhook_fingerprint(w.secret), w.created_by, w.created_at
      FROM ffrtmp_data.webhooks w WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT w.id, w.tenant_id, w.url, w.events, ffrtmp_data.webhook_fingerprint(w.secret), w.created_by, w.created_at
      FROM ffrtmp_data.webhooks w WHERE NOT ffrtmp.caller_is_admin() AND w.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_webhooks() IS 'The webhooks the caller may see, without their secrets: behind ffrtmp.webhooks.';
ALTER FUNCTION ffrtmp_data.read_webhooks() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_webhooks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_webhooks() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.webhooks WITH (security_invoker = true) AS
SELECT id, tenant_id, url, events, secret_fingerprint, created_by, created_at FROM ffrtmp_data.read_webhooks();
COMMENT ON VIEW ffrtmp.webhooks IS 'Webhooks the caller may see (administrators: all), without their secrets. Change them with create_webhook and delete_webhook.';
COMMENT ON COLUMN ffrtmp.webhooks.id IS 'Webhook id.';
COMMENT ON COLUMN ffrtmp.webhooks.tenant_id IS 'Owning tenant.';
COMMENT ON COLUMN ffrtmp.webhooks.url IS 'Endpoint the events are POSTed to.';
COMMENT ON COLUMN ffrtmp.webhooks.events IS 'Events sent to it.';
COMMENT ON COLUMN ffrtmp.webhooks.secret_fingerprint IS '"sha256:" and the first 12 hex digits of the secret''s SHA-256: tells secrets apart, never the secret.';
COMMENT ON COLUMN ffrtmp.webhooks.created_by IS 'Role that created it.';
COMMENT ON COLUMN ffrtmp.webhooks.created_at IS 'When it was created.';
GRANT SELECT ON ffrtmp.webhooks TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp.create_webhook(url text, secret text, events text[], tenant text DEFAULT NULL)
RETURNS ffrtmp.webhooks
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid := ffrtmp_data.webhook_target_tenant(create_webhook.tenant, 'create_webhook');
    unknown text;
    wanted text[];
    w ffrtmp_data.webhooks;
BEGIN
    IF create_webhook.url IS NULL OR octet_length(create_webhook.url) > 2048 THEN
        RAISE EXCEPTION 'webhook url must be given, of at most 2048 bytes'
            USING ERRCODE = '22023', HINT = 'Give the endpoint as http://host/path or https://host/path.';
    END IF;
    IF create_webhook.url !~ '^https?://' THEN
        RAISE EXCEPTION 'webhook url must start with http:// or https://'
            USING ERRCODE = '22023', HINT = 'Give the endpoint as http://host/path or https://host/path, the scheme in lower case.';
    END IF;
    IF create_webhook.url ~ '[[:cntrl:][:space:]]' THEN
        RAISE EXCEPTION 'webhook url holds a space or a control character'
            USING ERRCODE = '22023', HINT = 'Percent-encode spaces and other special characters in the path.';
    END IF;
    PERFORM ffrtmp_data.check_webhook_url(create_webhook.url);
    IF create_webhook.secret IS NULL OR octet_length(create_webhook.secret) NOT BETWEEN 16 AND 256
       OR create_webhook.secret !~ '^[!-~]+$' THEN
        RAISE EXCEPTION 'webhook secret must be 16 to 256 printable ASCII characters without spaces'
            USING ERRCODE = '22023', HINT = 'Generate one, for example with: openssl rand -hex 32.';
    END IF;
    IF create_webhook.events IS NULL OR cardinality(create_webhook.events) NOT BETWEEN 1 AND 16
       OR array_position(create_webhook.events, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'webhook events must name 1 to 16 events'
            USING ERRCODE = '22023', HINT = 'The events are listed in ffrtmp.webhook_event_types.';
    END IF;
    SELECT e INTO unknown FROM unnest(create_webhook.events) e
     WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.webhook_event_types t WHERE t.event = e) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown webhook event "%" in events', left(unknown, 40)
            USING ERRCODE = '22023', HINT = 'The events are listed in ffrtmp.webhook_event_types.';
    END IF;
    SELECT array_agg(DISTINCT e ORDER BY e) INTO wanted FROM unnest(create_webhook.events) e;

    -- The bound per tenant, counted under the tenant row's lock so that two
    -- concurrent creations cannot both take the last place.
    PERFORM 1 FROM ffrtmp_data.tenants t WHERE t.id = target FOR NO KEY UPDATE;
    IF (SELECT count(*) FROM ffrtmp_data.webhooks x WHERE x.tenant_id = target) >= 10 THEN
        RAISE EXCEPTION 'the tenant already has 10 webhooks, the most it may have'
            USING ERRCODE = 'PT429', HINT = 'Delete one with ffrtmp.delete_webhook(id), or send several events to one endpoint.';
    END IF;
    INSERT INTO ffrtmp_data.webhooks (tenant_id, url, secret, events, created_by)
    VALUES (target, create_webhook.url, create_webhook.secret, wanted, ffrtmp_data.actor())
    RETURNING * INTO w;
    PERFORM ffrtmp_data.audit_webhook('webhook.create', w);
    RETURN (w.id, w.tenant_id, w.url, w.events, ffrtmp_data.webhook_fingerprint(w.secret), w.created_by, w.created_at)::ffrtmp.webhooks;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.create_webhook(text, text, text[], text) IS
    'Registers an endpoint of the caller''s tenant (administrators name tenant, 22023 otherwise; a tenant principal may name only its own; at most 10 webhooks per tenant, else PT429) to which the delivery daemon POSTs job events, signed with secret. url: http:// or https://, at most 2048 bytes, no credentials, a host the network policy allows; secret: 16 to 256 printable ASCII characters, never shown again (list_webhooks shows a fingerprint); events: 1 to 16 names from ffrtmp.webhook_event_types (completed, failed, timed_out, canceled, rejected, progress.25, progress.50, progress.75).';
ALTER FUNCTION ffrtmp.create_webhook(text, text, text[], text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.create_webhook(text, text, text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.create_webhook(text, text, text[], text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.list_webhooks(tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp.webhooks
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    -- Resolved first: in the query it would not be asked when there is no row.
    target uuid := ffrtmp_data.webhook_target_tenant(list_webhooks.tenant, 'list_webhooks');
BEGIN
    RETURN QUERY
    SELECT w.id, w.tenant_id, w.url, w.events, ffrtmp_data.webhook_fingerprint(w.secret), w.created_by, w.created_at
      FROM ffrtmp_data.webhooks w
     WHERE w.tenant_id = target
     ORDER BY w.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.list_webhooks(text) IS
    'The webhooks of the caller''s tenant, or of tenant (administrators must name it), oldest first; the secret is shown only as a fingerprint.';
ALTER FUNCTION ffrtmp.list_webhooks(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.list_webhooks(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.list_webhooks(text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.delete_webhook(id bigint)
RETURNS ffrtmp.webhooks
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    w ffrtmp_data.webhooks;
BEGIN
    -- An administrator removes any tenant's (one aimed at a third party, say).
    DELETE FROM ffrtmp_data.webhooks x
     WHERE x.id = delete_webhook.id AND (ffrtmp.caller_is_admin() OR x.tenant_id = ffrtmp.current_tenant())
    RETURNING * INTO w;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'webhook % not found', delete_webhook.id
            USING ERRCODE = 'PT404', HINT = 'ffrtmp.list_webhooks(text) lists the webhooks of your tenant.';
    END IF;
    PERFORM ffrtmp_data.audit_webhook('webhook.delete', w);
    RETURN (w.id, w.tenant_id, w.url, w.events, ffrtmp_data.webhook_fingerprint(w.secret), w.created_by, w.created_at)::ffrtmp.webhooks;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.delete_webhook(bigint) IS
    'Deletes one of the caller''s tenant''s webhooks (an administrator: any tenant''s), with its deliveries (pending ones are not sent), and returns it; another tenant''s or a missing one is PT404.';
ALTER FUNCTION ffrtmp.delete_webhook(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.delete_webhook(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.delete_webhook(bigint) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_webhook_deliveries()
RETURNS TABLE (id bigint, tenant_id uuid, webhook_id bigint, job_id bigint, event text, event_id uuid, delivery_state text,
               attempts integer, last_status integer, last_error text, next_attempt_at timestamptz,
               created_at timestamptz, finished_at timestamptz, log jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT d.id, d.tenant_id, d.webhook_id, d.job_id, d.event, d.event_id, d.delivery_state, d.attempts, d.last_status,
           d.last_error, d.next_attempt_at, d.created_at, d.finished_at, d.log
      FROM ffrtmp_data.webhook_deliveries d WHERE ffrtmp.caller_is_admin()
    UNION ALL
    SELECT d.id, d.tenant_id, d.webhook_id, d.job_id, d.event, d.event_id, d.delivery_state, d.attempts, d.last_status,
           d.last_error, d.next_attempt_at, d.created_at, d.finished_at, d.log
      FROM ffrtmp_data.webhook_deliveries d WHERE NOT ffrtmp.caller_is_admin() AND d.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_webhook_deliveries() IS 'The webhook deliveries the caller may see: behind ffrtmp.webhook_delivery_log.';
ALTER FUNCTION ffrtmp_data.read_webhook_deliveries() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_webhook_deliveries() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_webhook_deliveries() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.webhook_delivery_log WITH (security_invoker = true) AS
SELECT id, tenant_id, webhook_id, job_id, event, event_id, delivery_state, attempts, last_status, last_error,
       next_attempt_at, created_at, finished_at, log
  FROM ffrtmp_data.read_webhook_deliveries();
COMMENT ON VIEW ffrtmp.webhook_delivery_log IS 'Webhook deliveries the caller may see (administrators: all): each event sent or to send to a webhook, and how each attempt went. ffrtmp.webhook_deliveries() filters it.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.id IS 'Delivery id.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.tenant_id IS 'Tenant.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.webhook_id IS 'Webhook.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.job_id IS 'Job.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.event IS 'Event name.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.event_id IS 'Event id (the Ffrtmp-Event-Id header), the same on every attempt.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.delivery_state IS 'pending, delivered or failed.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.attempts IS 'Attempts made.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.last_status IS 'HTTP status of the last attempt (NULL: no answer).';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.last_error IS 'Error of the last attempt.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.next_attempt_at IS 'Next attempt not before (pending).';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.created_at IS 'When the event happened.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.finished_at IS 'When delivered or given up.';
COMMENT ON COLUMN ffrtmp.webhook_delivery_log.log IS 'One object per attempt: attempt, at, status, error, ms.';
GRANT SELECT ON ffrtmp.webhook_delivery_log TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp.webhook_deliveries(webhook bigint DEFAULT NULL, job bigint DEFAULT NULL,
                                                     delivery_state text DEFAULT NULL, max_rows integer DEFAULT 100,
                                                     tenant text DEFAULT NULL)
RETURNS SETOF ffrtmp.webhook_delivery_log
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    target uuid := ffrtmp_data.webhook_target_tenant(webhook_deliveries.tenant, 'webhook_deliveries');
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000'
            USING ERRCODE = '22023', HINT = 'Narrow the list with webhook, job or delivery_state instead.';
    END IF;
    IF webhook_deliveries.delivery_state IS NOT NULL AND webhook_deliveries.delivery_state NOT IN ('pending', 'delivered', 'failed') THEN
        RAISE EXCEPTION 'unknown delivery_state "%"', left(webhook_deliveries.delivery_state, 40)
            USING ERRCODE = '22023', HINT = 'Use pending, delivered or failed.';
    END IF;
    RETURN QUERY
    SELECT d.id, d.tenant_id, d.webhook_id, d.job_id, d.event, d.event_id, d.delivery_state, d.attempts, d.last_status,
           d.last_error, d.next_attempt_at, d.created_at, d.finished_at, d.log
      FROM ffrtmp_data.webhook_deliveries d
     WHERE d.tenant_id = target
       AND (webhook IS NULL OR d.webhook_id = webhook)
       AND (job IS NULL OR d.job_id = job)
       AND (webhook_deliveries.delivery_state IS NULL OR d.delivery_state = webhook_deliveries.delivery_state)
     ORDER BY d.id DESC
     LIMIT max_rows;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.webhook_deliveries(bigint, bigint, text, integer, text) IS
    'The delivery log of the caller''s tenant, or of tenant (administrators must name it), newest first: each event sent or to send to a webhook, its delivery_state (pending, delivered, failed), attempts, last HTTP status and error, and log (one entry per attempt: attempt, at, status, error, ms). Filters: webhook id, job id, delivery_state; max_rows 1 to 1000.';
ALTER FUNCTION ffrtmp.webhook_deliveries(bigint, bigint, text, integer, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.webhook_deliveries(bigint, bigint, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.webhook_deliveries(bigint, bigint, text, integer, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.webhook_event_types WITH (security_invoker = true) AS
SELECT event, description FROM ffrtmp_data.webhook_event_types;
COMMENT ON VIEW ffrtmp.webhook_event_types IS 'The events a webhook can subscribe to.';
COMMENT ON COLUMN ffrtmp.webhook_event_types.event IS 'Event name.';
COMMENT ON COLUMN ffrtmp.webhook_event_types.description IS 'When it is sent.';
GRANT SELECT ON ffrtmp.webhook_event_types TO ffrtmp_admin, ffrtmp_tenant, ffrtmp_owner;

-- The delivery daemon's calls -----------------------------------------------

CREATE OR REPLACE FUNCTION ffrtmp_data.require_webhook_sender() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT ffrtmp_data.caller_is_webhook_sender() THEN
        RAISE EXCEPTION 'permission denied to deliver webhooks'
            USING ERRCODE = '42501', HINT = 'The delivery daemon''s role needs GRANT ffrtmp_webhook_sender TO role.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.require_webhook_sender() IS 'Refuses (42501) a caller that is not a member of ffrtmp_webhook_sender.';
ALTER FUNCTION ffrtmp_data.require_webhook_sender() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.require_webhook_sender() FROM PUBLIC;

/*
 * Claims due deliveries for one attempt each, under a lease.  Only the oldest
 * pending delivery of each job and webhook can be claimed, so a later event
 * of a job never overtakes an earlier one, whatever the number of daemons
 * (SKIP LOCKED: they never wait on each other).  A claim takes the webhooks
 * in turn, at most 5 deliveries of each, so that one webhook's backlog (a
 * receiver that is down, say) never fills the claims that other tenants'
 * events wait for.  Only active tenants' deliveries are claimed; a deleted
 * tenant's are not sent: the claim marks them failed.
 */
CREATE OR REPLACE FUNCTION ffrtmp.claim_webhook_deliveries(batch integer DEFAULT 10, lease interval DEFAULT '1 minute')
RETURNS TABLE (delivery_id bigint, attempt integer, url text, secret text, event text, event_id uuid, body text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    active_hooks bigint[];
    deleted_hooks bigint[];
BEGIN
    PERFORM ffrtmp_data.require_webhook_sender();
    IF batch IS NULL OR batch NOT BETWEEN 1 AND 1000 OR lease IS NULL
       OR lease NOT BETWEEN interval '1 second' AND interval '1 hour' THEN
        RAISE EXCEPTION 'batch must be 1 to 1000 and lease 1 second to 1 hour'
            USING ERRCODE = '22023', HINT = 'Claim a few deliveries at a time, with a lease longer than the HTTP timeout.';
    END IF;
    -- The webhooks with pending deliveries (a skip scan of the pending
    -- index: the cost follows them, not every webhook), by tenant status.
    WITH RECURSIVE pending_hooks(id) AS (
        SELECT min(d.webhook_id) FROM ffrtmp_data.webhook_deliveries d WHERE d.delivery_state = 'pending'
        UNION ALL
        SELECT (SELECT min(d.webhook_id) FROM ffrtmp_data.webhook_deliveries d
                 WHERE d.delivery_state = 'pending' AND d.webhook_id > p.id)
          FROM pending_hooks p WHERE p.id IS NOT NULL)
    SELECT coalesce(array_agg(w.id) FILTER (WHERE x.status = 'active'), '{}'),
           coalesce(array_agg(w.id) FILTER (WHERE x.status = 'deleted'), '{}')
      INTO active_hooks, deleted_hooks
      FROM pending_hooks p
      JOIN ffrtmp_data.webhooks w ON w.id = p.id
     CROSS JOIN LATERAL (SELECT ffrtmp_data.webhook_tenant_status(w.tenant_id) AS status) x;

    -- A deleted tenant's pending events end unsent, a bounded number per claim.
    IF cardinality(deleted_hooks) > 0 THEN
        UPDATE ffrtmp_data.webhook_deliveries d
           SET delivery_state = 'failed', last_error = 'not sent: the tenant was deleted', leased_until = NULL,
               finished_at = now()
         WHERE d.id IN (SELECT x.id FROM ffrtmp_data.webhook_deliveries x
                         WHERE x.webhook_id = ANY (deleted_hooks) AND x.delivery_state = 'pending'
                           AND (x.leased_until IS NULL OR x.leased_until <= now())
                         LIMIT 1000
                         FOR UPDATE SKIP LOCKED);
    END IF;
    RETURN QUERY
    WITH candidates AS (
        -- Up to 5 due deliveries of each webhook of an active tenant, numbered
        -- per webhook: the claim takes every webhook's first, then seconds...
        SELECT c.id, c.next_attempt_at,
               row_number() OVER (PARTITION BY w.id ORDER BY c.next_attempt_at, c.id) AS turn
          FROM unnest(active_hooks) w(id)
         CROSS JOIN LATERAL (
               SELECT d.id, d.next_attempt_at FROM ffrtmp_data.webhook_deliveries d
                WHERE d.webhook_id = w.id AND d.delivery_state = 'pending' AND d.next_attempt_at <= now()
                  AND (d.leased_until IS NULL OR d.leased_until <= now())
                  AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.webhook_deliveries e
                                   WHERE e.job_id = d.job_id AND e.webhook_id = d.webhook_id
                                     AND e.id < d.id AND e.delivery_state = 'pending')
                ORDER BY d.next_attempt_at, d.id
                LIMIT least(batch, 5)) c),
    due AS (
        SELECT d.id, c.turn, c.next_attempt_at FROM ffrtmp_data.webhook_deliveries d
          JOIN candidates c ON c.id = d.id
         WHERE d.delivery_state = 'pending' AND (d.leased_until IS NULL OR d.leased_until <= now())
         ORDER BY c.turn, c.next_attempt_at, c.id
         LIMIT batch
         FOR UPDATE OF d SKIP LOCKED),
    claimed AS (
        UPDATE ffrtmp_data.webhook_deliveries d
           SET attempts = d.attempts + 1, leased_until = now() + lease
          FROM due WHERE d.id = due.id
        RETURNING d.id, d.attempts, d.webhook_id, d.event, d.event_id, d.payload)
    SELECT c.id, c.attempts, w.url, w.secret, c.event, c.event_id, c.payload::text
      FROM claimed c
      JOIN due ON due.id = c.id
      JOIN ffrtmp_data.webhooks w ON w.id = c.webhook_id
     ORDER BY due.turn, due.next_attempt_at, c.id;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.claim_webhook_deliveries(integer, interval) IS
    'The delivery daemon (ffrtmp_webhook_sender) claims up to batch due deliveries for one attempt each, leased for lease: the URL, the secret to sign with, the event id and the JSON body. Only the oldest pending delivery of each job and webhook is due, so a job''s events arrive in order. Webhooks are taken in turn, at most 5 deliveries of one webhook per claim, in the order to attempt them; only active tenants'' deliveries are claimed (a suspended or expired tenant''s wait), and a deleted tenant''s are marked failed, not sent. Report each with finish_webhook_delivery.';
ALTER FUNCTION ffrtmp.claim_webhook_deliveries(integer, interval) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.claim_webhook_deliveries(integer, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.claim_webhook_deliveries(integer, interval) TO ffrtmp_webhook_sender;

CREATE OR REPLACE FUNCTION ffrtmp.finish_webhook_delivery(delivery_id bigint, delivery_attempt integer, status integer,
                                                          error text, retry_in interval,
                                                          retry_for interval DEFAULT '1 day', elapsed_ms integer DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    d ffrtmp_data.webhook_deliveries;
    entry jsonb;
    outcome text;
BEGIN
    PERFORM ffrtmp_data.require_webhook_sender();
    IF status IS NOT NULL AND status NOT BETWEEN 100 AND 599 THEN
        RAISE EXCEPTION 'status % is no HTTP status', status
            USING ERRCODE = '22023', HINT = 'Report the answer''s status, or NULL when there was no answer.';
    END IF;
    SELECT * INTO d FROM ffrtmp_data.webhook_deliveries x WHERE x.id = delivery_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'webhook delivery % not found', delivery_id
            USING ERRCODE = 'PT404', HINT = 'It was deleted with its webhook or its job: nothing to report.';
    END IF;
    IF d.delivery_state <> 'pending' OR d.leased_until IS NULL OR d.attempts <> delivery_attempt THEN
        RAISE EXCEPTION 'webhook delivery % attempt % is no longer current', delivery_id, delivery_attempt
            USING ERRCODE = 'PT409', HINT = 'Another daemon took it over after the lease ended: nothing to report.';
    END IF;
    entry := jsonb_strip_nulls(jsonb_build_object('attempt', d.attempts, 'at', now(), 'status', status,
                                                  'error', left(error, 1024), 'ms', elapsed_ms));
    IF status BETWEEN 200 AND 299 THEN
        outcome := 'delivered';
    ELSIF retry_in IS NULL OR now() + retry_in > d.created_at + least(coalesce(retry_for, interval '1 day'), interval '3 days') THEN
        outcome := 'failed';
    ELSE
        outcome := 'pending';
    END IF;
    -- The log keeps the last 50 attempts.
    UPDATE ffrtmp_data.webhook_deliveries x
       SET delivery_state = outcome, last_status = status, last_error = left(error, 1024), leased_until = NULL,
           next_attempt_at = CASE WHEN outcome = 'pending' THEN now() + retry_in ELSE x.next_attempt_at END,
           finished_at = CASE WHEN outcome = 'pending' THEN NULL ELSE now() END,
           log = CASE WHEN jsonb_array_length(x.log) >= 50 THEN x.log - 0 ELSE x.log END || jsonb_build_array(entry)
     WHERE x.id = d.id;
    RETURN outcome;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.finish_webhook_delivery(bigint, integer, integer, text, interval, interval, integer) IS
    'The delivery daemon reports an attempt: status (NULL without an answer), error (kept to 1024 characters), elapsed_ms. A 2xx status delivers it; otherwise it is tried again after retry_in, unless that is NULL (a refusal that would only repeat) or past retry_for (at most 3 days) since the event: then it failed. Returns the new state; an attempt that is no longer current is PT409.';
ALTER FUNCTION ffrtmp.finish_webhook_delivery(bigint, integer, integer, text, interval, interval, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.finish_webhook_delivery(bigint, integer, integer, text, interval, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.finish_webhook_delivery(bigint, integer, integer, text, interval, interval, integer) TO ffrtmp_webhook_sender;
