-- Webhook claims between tenants: one tenant's backlog must not fill every
-- claim of the delivery daemon (which attempts a claim's deliveries one
-- after the other, each up to --timeout), a soft-deleted tenant's events are
-- not sent, only the daemon's claim ever reads a secret, and an
-- administrator can remove any tenant's webhook (one aimed at a third party).
BEGIN;
SELECT plan(9);

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
CREATE TEMP TABLE claimed AS SELECT * FROM ffrtmp.claim_webhook_deliveries(10);
RESET ROLE;
SELECT is((SELECT count(*) FROM claimed), 10::bigint, 'a claim takes 10 deliveries');
SELECT todo('claims are in next_attempt_at order only: a tenant with a backlog fills every claim, and the daemon attempts them one after the other', 1);
SELECT ok((SELECT count(*) FROM claimed c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
                                      JOIN ffrtmp_data.tenants t ON t.id = d.tenant_id
            WHERE t.name = 'claim-b') = 1,
          'tenant b''s event is in the claim, though tenant a has 30 due before it');
ROLLBACK TO SAVEPOINT before_claim;

-- A soft-deleted tenant: its users are locked out; its pending events should not go out.
SELECT ffrtmp.delete_tenant('claim-b') \gset
SET ROLE claim_sender;
CREATE TEMP TABLE claimed_after AS SELECT * FROM ffrtmp.claim_webhook_deliveries(1000);
RESET ROLE;
SELECT todo('the claim does not look at the tenant: a deleted tenant''s events are still sent', 1);
SELECT is((SELECT count(*) FROM claimed_after c JOIN ffrtmp_data.webhook_deliveries d ON d.id = c.delivery_id
            WHERE d.tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-b')), 0::bigint,
          'a deleted tenant''s pending events are not claimed');

-- An administrator removes another tenant's webhook, with its deliveries.
SELECT id AS a_hook FROM ffrtmp_data.webhooks
 WHERE tenant_id = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'claim-a') \gset
SET ROLE claim_admin;
SELECT is((SELECT count(*) FROM ffrtmp.delete_webhook(:a_hook)), 1::bigint,
          'an administrator deletes another tenant''s webhook');
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE webhook_id = :a_hook), 0::bigint,
          'with its deliveries');

SELECT * FROM finish();
ROLLBACK;
