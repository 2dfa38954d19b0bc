-- Webhook claims between tenants: one tenant's backlog does not fill the
-- delivery daemon's claims (webhooks are taken in turn, at most 5 of one per
-- claim), a suspended tenant's events wait and a soft-deleted tenant's are
-- not sent, a webhook's backlog is bounded, only the daemon's claim ever
-- reads a secret, and an administrator can remove any tenant's webhook (one
-- aimed at a third party).
BEGIN;
SELECT plan(18);

\o /dev/null
SELECT ffrtmp.create_tenant('claim-a', plan => 'enterprise');
SELECT ffrtmp.create_tenant('claim-b', plan => 'enterprise');
CREATE ROLE claim_alice LOGIN;
CREATE ROLE claim_bob LOGIN;
CREATE ROLE claim_sender LOGIN IN ROLE ffrtmp_webhook_sender;
CREATE ROLE claim_admin LOGIN IN ROLE ffrtmp_admin;
SELECT ffrtmp.add_tenant_role('claim-a', 'claim_alice');
SELECT ffrtmp.add_tenant_role('claim-b', 'claim_bob');
SET ROLE claim_alice;
SELECT ffrtmp.create_webhook('https://a.example.com/hook', repeat('a', 20), '{canceled}');
SET ROLE claim_bob;
SELECT ffrtmp.create_webhook('https://b.example.com/hook', repeat('b', 20), '{canceled}');
RESET ROLE;
-- Tenant a: 30 canceled jobs first (a backlog, its receiver down, say); then one of b.
SELECT ffrtmp.cancel_job((ffrtmp.submit_job('testsrc://', tenant => 'claim-a', cpu_cores => 64)).id) FROM generate_series(1, 30);
SELECT ffrtmp.cancel_job(j.id) FROM ffrtmp.submit_job('testsrc://', tenant => 'claim-b', cpu_cores => 64) j;
\o

SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE delivery_state = 'pending'), 31::bigint,
          '31 events wait: 30 of tenant a, then 1 of tenant b');

-- Only the daemon's claim reads a secret.
SET ROLE claim_alice;
SELECT throws_ok('SELECT secret FROM ffrtmp_data.webhooks', '42501', NULL, 'a tenant cannot read a secret');
SET ROLE claim_sender;
SELECT throws_ok('SELECT secret FROM ffrtmp_data.webhooks', '42501', NULL,
                 'nor the delivery daemon outside its claim');
SET ROLE ffrtmp_scheduler;
SELECT throws_ok('SELECT secret FROM ffrtmp_data.webhooks', '42501', NULL, 'nor the scheduler, which writes events');
RESET ROLE;

-- A claim of 10 while tenant a has 30 due.
SAVEPOINT before_claim;
SET ROLE claim_sender;
CREATE TEMP TABLE claimed AS SELECT row_number() OVER () AS n, * FROM ffrtmp.claim_webhook_deliveries(10);
RESET ROLE;
SELECT is((SELECT count(*) FROM claimed), 6::bigint, 'a claim of 10 takes at most 5 deliveries of one webhook');
SELECT ok((SELECT count(*) FROM claimed c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
                                      JOIN ffrtmp_data.tenants t ON t.id = d.tenant_id
            WHERE t.name = 'claim-b') = 1,
          'tenant b''s event is in the claim, though tenant a has 30 due before it');
SELECT cmp_ok((SELECT c.n FROM claimed c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
                WHERE d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), '<=', 2::bigint,
              'newest of all, it still comes in the claim''s first turn, to be attempted first');
SET ROLE claim_sender;
CREATE TEMP TABLE claimed_next AS SELECT * FROM ffrtmp.claim_webhook_deliveries(10);
RESET ROLE;
SELECT is((SELECT array_agg(d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-a') ORDER BY d.id)
             FROM claimed_next c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id),
          ARRAY[true, true, true, true, true],
          'the next claim takes tenant a''s next 5');
ROLLBACK TO SAVEPOINT before_claim;

-- A suspended tenant's events wait: not claimed, still pending; they go
-- out once it is active again.
SAVEPOINT before_suspend;
SELECT ffrtmp.update_tenant('claim-b', status => 'suspended') \gset
SET ROLE claim_sender;
CREATE TEMP TABLE claimed_suspended AS SELECT * FROM ffrtmp.claim_webhook_deliveries(1000);
RESET ROLE;
SELECT is((SELECT count(*) FROM claimed_suspended c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
            WHERE d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), 0::bigint,
          'a suspended tenant''s pending events are not claimed');
SELECT is((SELECT string_agg(delivery_state, ',') FROM ffrtmp_data.webhook_deliveries
            WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), 'pending',
          'they wait');
SELECT ffrtmp.update_tenant('claim-b', status => 'active') \gset
SET ROLE claim_sender;
CREATE TEMP TABLE claimed_active AS SELECT * FROM ffrtmp.claim_webhook_deliveries(1000);
RESET ROLE;
SELECT is((SELECT count(*) FROM claimed_active c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
            WHERE d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), 1::bigint,
          'once active again, they are claimed');
ROLLBACK TO SAVEPOINT before_suspend;

-- A soft-deleted tenant: its users are locked out; its pending events do not go out.
SELECT ffrtmp.delete_tenant('claim-b') \gset
SET ROLE claim_sender;
CREATE TEMP TABLE claimed_after AS SELECT * FROM ffrtmp.claim_webhook_deliveries(1000);
RESET ROLE;
SELECT is((SELECT count(*) FROM claimed_after c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
            WHERE d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), 0::bigint,
          'a deleted tenant''s pending events are not claimed');
SELECT is((SELECT delivery_state || ' ' || attempts || ' ' || last_error || ' ' || (finished_at IS NOT NULL)
             FROM ffrtmp_data.webhook_deliveries
            WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')),
          'failed 0 not sent: the tenant was deleted true',
          'they fail unsent, saying why, in the delivery log');

-- An administrator removes another tenant's webhook, with its deliveries.
SELECT id AS a_hook FROM ffrtmp_data.webhooks
 WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-a') \gset
SET ROLE claim_admin;
SELECT is((SELECT count(*) FROM ffrtmp.delete_webhook(:a_hook)), 1::bigint,
          'an administrator deletes another tenant''s webhook');
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE webhook_id = :a_hook), 0::bigint,
          'with its deliveries');

-- The bound on a webhook's backlog: at 10000 pending, a new event is
-- recorded as dropped, not queued (a job retried and canceled in a loop).
SELECT ffrtmp.create_tenant('claim-c', plan => 'enterprise') \gset
CREATE ROLE claim_carol LOGIN;
SELECT ffrtmp.add_tenant_role('claim-c', 'claim_carol') \gset
SET ROLE claim_carol;
SELECT id AS c_hook FROM ffrtmp.create_webhook('https://c.example.com/hook', repeat('c', 20), '{canceled}') \gset
SELECT (ffrtmp.submit_job('testsrc://', cpu_cores => 64)).id AS c_job \gset
SELECT ffrtmp.cancel_job(:c_job) \gset
RESET ROLE;
INSERT INTO ffrtmp_data.webhook_deliveries (tenant_id, webhook_id, job_id, event, payload)
SELECT tenant_id, webhook_id, job_id, event, payload FROM ffrtmp_data.webhook_deliveries, generate_series(1, 9998)
 WHERE webhook_id = :c_hook;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE webhook_id = :c_hook AND delivery_state = 'pending'),
          9999::bigint, 'a webhook with 9999 pending deliveries');
SET ROLE claim_carol;
SELECT ffrtmp.retry_job(:c_job) \gset
SELECT ffrtmp.cancel_job(:c_job) \gset
SELECT ffrtmp.retry_job(:c_job) \gset
SELECT ffrtmp.cancel_job(:c_job) \gset
SELECT ffrtmp.retry_job(:c_job) \gset
SELECT ffrtmp.cancel_job(:c_job) \gset
SELECT results_eq(
    format($$SELECT event, delivery_state, last_error, finished_at IS NOT NULL
               FROM ffrtmp.webhook_deliveries(job => %s, max_rows => 3) ORDER BY id$$, :c_job),
    $$VALUES ('canceled', 'pending', NULL::text, false),
             ('canceled', 'failed', 'dropped: the webhook already has 10000 pending deliveries', true),
             ('canceled', 'failed', 'dropped: the webhook already has 10000 pending deliveries', true)$$,
    'the 10000th is queued; beyond it, events are recorded as dropped, in the tenant''s delivery log');
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE webhook_id = :c_hook AND delivery_state = 'pending'),
          10000::bigint, 'the backlog stays at 10000');

SELECT * FROM finish();
ROLLBACK;
