-- Which tenant a webhook call acts for.  An administrator acts for every
-- tenant, so create_webhook, list_webhooks and webhook_deliveries refuse one
-- that names none (22023, with a hint) instead of acting for the default
-- tenant; named, the tenant is the one named.  A tenant principal acts for
-- its own, and may name only its own.
BEGIN;
SELECT plan(13);

\o /dev/null
SELECT ffrtmp.create_tenant('tw-a', plan => 'pro');
SELECT ffrtmp.create_tenant('tw-b', plan => 'pro');
CREATE ROLE tw_alice LOGIN;
CREATE ROLE tw_admin LOGIN IN ROLE ffrtmp_admin;
SELECT ffrtmp.add_tenant_role('tw-a', 'tw_alice');
\o

-- SQLSTATE, message and hint of q's error, one per line.
CREATE FUNCTION pg_temp.refusal(q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    state text; message text; hint text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(E'\n', state, message, hint);
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.refusal(text) TO PUBLIC;

SET ROLE tw_admin;
SELECT is(pg_temp.refusal($$SELECT ffrtmp.create_webhook('https://hooks.example.com/a', repeat('s', 32), '{completed}')$$),
          E'22023\ncreate_webhook names no tenant\nName the tenant: ffrtmp.create_webhook(..., tenant => ''name'').',
          'an administrator naming no tenant is refused with 22023 and told to name one');
SELECT is((SELECT count(*) FROM ffrtmp.webhooks), 0::bigint, 'and no webhook was created (none for the default tenant)');
SELECT is(split_part(pg_temp.refusal($$SELECT * FROM ffrtmp.list_webhooks()$$), E'\n', 2), 'list_webhooks names no tenant',
          'list_webhooks refuses it too, though there is no webhook');
SELECT is(split_part(pg_temp.refusal($$SELECT * FROM ffrtmp.webhook_deliveries()$$), E'\n', 2), 'webhook_deliveries names no tenant',
          'and webhook_deliveries');

SELECT is((SELECT t.name FROM ffrtmp.create_webhook('https://hooks.example.com/b', repeat('s', 32), '{completed}', tenant => 'tw-b') w
             JOIN ffrtmp.tenants t ON t.id = w.tenant_id), 'tw-b', 'named, the webhook is the named tenant''s');
SELECT is((SELECT count(*) FROM ffrtmp.list_webhooks(tenant => 'tw-b')), 1::bigint, 'list_webhooks lists the named tenant''s');
SELECT is((SELECT count(*) FROM ffrtmp.list_webhooks(tenant => 'tw-a')), 0::bigint, 'and only its');
SELECT is((SELECT count(*) FROM ffrtmp.webhook_deliveries(tenant => 'tw-b')), 0::bigint, 'webhook_deliveries takes tenant too');
SELECT is(split_part(pg_temp.refusal($$SELECT ffrtmp.create_webhook('https://hooks.example.com/c', repeat('s', 32), '{completed}', tenant => 'nope')$$), E'\n', 1),
          'PT404', 'a tenant that does not exist is not found');
RESET ROLE;

SET ROLE tw_alice;
SELECT is((SELECT t.name FROM ffrtmp.create_webhook('https://hooks.example.com/d', repeat('s', 32), '{completed}') w
             JOIN ffrtmp.tenants t ON t.id = w.tenant_id), 'tw-a', 'a tenant principal naming none acts for its own tenant');
SELECT is((SELECT count(*) FROM ffrtmp.list_webhooks(tenant => 'tw-a')), 1::bigint, 'and may name its own');
SELECT is(split_part(pg_temp.refusal($$SELECT ffrtmp.create_webhook('https://hooks.example.com/e', repeat('s', 32), '{completed}', tenant => 'tw-b')$$), E'\n', 1),
          '42501', 'but not another');
SELECT is(split_part(pg_temp.refusal($$SELECT * FROM ffrtmp.webhook_deliveries(tenant => 'tw-b')$$), E'\n', 1),
          '42501', 'not even to read its delivery log');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
