-- Webhooks: create_webhook's bounds, the secret never read back, row-level
-- security between tenants, the outbox written by job changes in their own
-- transaction (a rolled-back change writes nothing), the events filter,
-- progress milestones once per job, the delivery daemon's claim (a job's
-- events in order) and finish (retries, bounded), and pruning.
BEGIN;
SELECT plan(56);

\o /dev/null
SELECT ffrtmp.create_tenant('hook-a', plan => 'pro');
SELECT ffrtmp.create_tenant('hook-b', plan => 'pro');
CREATE ROLE hook_alice LOGIN;
CREATE ROLE hook_bob LOGIN;
CREATE ROLE hook_sender LOGIN IN ROLE ffrtmp_webhook_sender;
SELECT ffrtmp.add_tenant_role('hook-a', 'hook_alice');
SELECT ffrtmp.add_tenant_role('hook-b', 'hook_bob');
\o

-- One value of q as role target, or 'error <SQLSTATE>' (always rolled back).
CREATE FUNCTION pg_temp.as_role(target text, q text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    result text;
BEGIN
    BEGIN
        EXECUTE format('SET ROLE %I', target);
        EXECUTE q INTO result;
        RAISE EXCEPTION USING ERRCODE = 'PTRES', MESSAGE = coalesce(result, '<null>');
    EXCEPTION WHEN OTHERS THEN
        IF SQLSTATE = 'PTRES' THEN
            RETURN SQLERRM;
        END IF;
        RETURN 'error ' || SQLSTATE;
    END;
END
$fn$;

-- Bounds, each refused with 22023 (as alice).
SET ROLE hook_alice;
SELECT throws_ok($$SELECT ffrtmp.create_webhook('ftp://example.com/x', repeat('s', 32), '{completed}')$$,
                 '22023', 'webhook url must start with http:// or https://', 'a URL that is not http(s) is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('HTTPS://example.com/x', repeat('s', 32), '{completed}')$$,
                 '22023', 'webhook url must start with http:// or https://', 'the scheme is written in lower case');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/' || repeat('a', 2030), repeat('s', 32), '{completed}')$$,
                 '22023', 'webhook url must be given, of at most 2048 bytes', 'a URL longer than 2048 bytes is refused');
SELECT throws_like($$SELECT ffrtmp.create_webhook('https://user:pw@example.com/x', repeat('s', 32), '{completed}')$$,
                   '%carries credentials%', 'a URL with credentials is refused');
SELECT throws_like($$SELECT ffrtmp.create_webhook('http://10.1.2.3/x', repeat('s', 32), '{completed}')$$,
                   '%a private address, refused by the network policy%', 'a private address is refused by the network policy');
SELECT throws_like($$SELECT ffrtmp.create_webhook('http://169.254.169.254/latest', repeat('s', 32), '{completed}')$$,
                   '%refused by the network policy%', 'the metadata address is refused');
SELECT throws_like($$SELECT ffrtmp.create_webhook('http://0xa9fea9fe/latest', repeat('s', 32), '{completed}')$$,
                   '%refused by the network policy%', 'in any spelling');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/a b', repeat('s', 32), '{completed}')$$,
                 '22023', 'webhook url holds a space or a control character', 'a URL with a space is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', 'short', '{completed}')$$,
                 '22023', 'webhook secret must be 16 to 256 printable ASCII characters without spaces', 'a secret under 16 characters is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', repeat('s', 257), '{completed}')$$,
                 '22023', NULL, 'a secret over 256 characters is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', repeat('s', 20) || E'\n', '{completed}')$$,
                 '22023', NULL, 'a secret with a control character is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', repeat('s', 32), '{}')$$,
                 '22023', 'webhook events must name 1 to 16 events', 'no events is refused');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', repeat('s', 32), '{completed,started}')$$,
                 '22023', 'unknown webhook event "started" in events', 'an unknown event is refused, named');
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/x', repeat('s', 32), array_fill('completed'::text, ARRAY[17]))$$,
                 '22023', NULL, 'more than 16 events is refused');

-- A webhook; the secret is never shown again.
SELECT id AS hook FROM ffrtmp.create_webhook('http://127.0.0.1:9/hook', 'whsec-0123456789abcdef',
                                             '{completed,failed,canceled,progress.50,completed}') \gset
SELECT is((SELECT events FROM ffrtmp.list_webhooks() WHERE id = :hook), '{canceled,completed,failed,progress.50}'::text[],
          'the events are kept once each');
SELECT is((SELECT secret_fingerprint FROM ffrtmp.list_webhooks() WHERE id = :hook),
          'sha256:' || left(encode(sha256('whsec-0123456789abcdef'), 'hex'), 12),
          'list_webhooks shows a fingerprint of the secret');
SELECT ok(NOT EXISTS (SELECT 1 FROM ffrtmp.list_webhooks() l WHERE l::text LIKE '%0123456789abcdef%'),
          'and never the secret');
SELECT throws_ok('SELECT * FROM ffrtmp_data.webhooks', '42501', NULL, 'a tenant cannot read the table');
SELECT throws_ok('SELECT * FROM ffrtmp.claim_webhook_deliveries()', '42501', NULL, 'nor claim deliveries with their secrets');
SELECT id AS job1 FROM ffrtmp.submit_job('testsrc://') \gset
SELECT id AS job2 FROM ffrtmp.submit_job('testsrc://') \gset
SELECT id AS job3 FROM ffrtmp.submit_job('testsrc://') \gset
RESET ROLE;

-- Another tenant sees nothing and cannot delete.
SELECT is(pg_temp.as_role('hook_bob', 'SELECT count(*) FROM ffrtmp.list_webhooks()'), '0', 'another tenant lists none of them');
SELECT is(pg_temp.as_role('hook_bob', format('SELECT id FROM ffrtmp.delete_webhook(%s)', :hook)), 'error PT404',
          'another tenant cannot delete it (not found)');
SELECT is((SELECT count(*) FROM ffrtmp_data.webhooks WHERE id = :hook), 1::bigint, 'it is still there');

-- The bound per tenant.
SET ROLE hook_bob;
SELECT ffrtmp.create_webhook('https://example.com/' || n, repeat('b', 16), '{completed}') FROM generate_series(1, 10) n;
SELECT throws_ok($$SELECT ffrtmp.create_webhook('https://example.com/11', repeat('b', 16), '{completed}')$$,
                 'PT429', 'the tenant already has 10 webhooks, the most it may have', 'an eleventh webhook is refused');
SELECT id AS bob_job FROM ffrtmp.submit_job('testsrc://') \gset
RESET ROLE;

-- The outbox: written in the change's transaction, filtered by events.
SET ROLE hook_alice;
SELECT ffrtmp.cancel_job(:job1);
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1), 1::bigint,
          'canceling a job writes one delivery to the webhook that asks for canceled');
SELECT is((SELECT payload ->> 'type' FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1), 'canceled', 'of type canceled');
SELECT is((SELECT payload -> 'job' ->> 'state' FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1), 'canceled',
          'with the job''s state');
SELECT is((SELECT (payload ->> 'id')::uuid = event_id FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1), true,
          'and the event id of the delivery');
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :bob_job), 0::bigint,
          'another tenant''s webhooks get nothing of it');

SAVEPOINT before_cancel;
SET ROLE hook_alice;
SELECT ffrtmp.cancel_job(:job2);
RESET ROLE;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), 1::bigint, 'a second cancel writes its delivery');
ROLLBACK TO SAVEPOINT before_cancel;
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), 0::bigint,
          'and a rolled-back cancel leaves none');

-- A node runs job2 and job3: progress milestones, then completed; rejected is not asked for.
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('hook-node', cpu_cores => 8, slots => 4) \gset
SELECT ffrtmp_data.dispatch_pass(0);
SELECT ffrtmp.start_job(:job2, 1, :node, :'token');
SELECT ffrtmp.report_progress(:job2, 1, :node, :'token', '{"percent": 30}');
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), 0::bigint,
          '30 percent reaches no milestone asked for (progress.25 is not)');
SELECT ffrtmp.report_progress(:job2, 1, :node, :'token', '{"percent": 80}');
SELECT ffrtmp.report_progress(:job2, 1, :node, :'token', '{"percent": 90}');
SELECT is((SELECT array_agg(event ORDER BY id) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), '{progress.50}',
          'progress.50 is written once, though two reports passed it');
SELECT is((SELECT (payload -> 'progress' ->> 'percent')::int FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), 80,
          'with the progress reported');
SELECT ffrtmp.finish_job(:job2, 1, :node, :'token', 'completed', '{"duration": 1}');
SELECT is((SELECT array_agg(event ORDER BY id) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2),
          '{progress.50,completed}', 'completing writes completed after the milestone');
SELECT ffrtmp.start_job(:job3, 1, :node, :'token');
SELECT ffrtmp.finish_job(:job3, 1, :node, :'token', 'timed_out', error => 'too slow');
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job3), 0::bigint,
          'an attempt that times out and is retried sends nothing, and timed_out is not asked for');

-- The tenant's delivery log: its own only.
SELECT is(pg_temp.as_role('hook_alice', 'SELECT count(*) FROM ffrtmp.webhook_deliveries()'), '3', 'the tenant reads its deliveries');
SELECT is(pg_temp.as_role('hook_alice', format('SELECT count(*) FROM ffrtmp.webhook_deliveries(job => %s)', :job2)), '2',
          'filtered by job');
SELECT is(pg_temp.as_role('hook_bob', 'SELECT count(*) FROM ffrtmp.webhook_deliveries()'), '0', 'another tenant reads none');
SELECT is(pg_temp.as_role('hook_alice', 'SELECT count(*) FROM ffrtmp.webhook_deliveries(max_rows => 0)'), 'error 22023',
          'max_rows is bounded');

-- The daemon's claim: the oldest pending event of each job and webhook only.
SELECT id AS p50 FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2 AND event = 'progress.50' \gset
SELECT id AS done FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2 AND event = 'completed' \gset
SELECT id AS canc FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1 \gset
SET ROLE hook_sender;
SELECT is((SELECT array_agg(event ORDER BY delivery_id) FROM ffrtmp.claim_webhook_deliveries(10)), '{canceled,progress.50}',
          'a claim takes the first event of each job, not the later one');
SELECT is((SELECT count(*) FROM ffrtmp.claim_webhook_deliveries(10)), 0::bigint, 'claimed ones are leased; the later one waits');
SELECT is(ffrtmp.finish_webhook_delivery(:p50, 1, 500, 'HTTP 500', '10 seconds'), 'pending', 'a 500 is retried later');
SELECT is((SELECT count(*) FROM ffrtmp.claim_webhook_deliveries(10)), 0::bigint,
          'while it waits for its retry, the job''s next event still waits');
SELECT throws_ok(format('SELECT ffrtmp.finish_webhook_delivery(%s, 1, 200, NULL, NULL)', :p50), 'PT409', NULL,
                 'a report of an attempt that is no longer current is refused');
RESET ROLE;
UPDATE ffrtmp_data.webhook_deliveries SET next_attempt_at = now() WHERE job_id = :job2 AND event = 'progress.50';
SET ROLE hook_sender;
SELECT is((SELECT array_agg(attempt) FROM ffrtmp.claim_webhook_deliveries(10)), '{2}', 'then it is claimed again, attempt 2');
SELECT is(ffrtmp.finish_webhook_delivery(:p50, 2, 204, NULL, '20 seconds', elapsed_ms => 12), 'delivered', 'a 2xx delivers it');
SELECT is((SELECT array_agg(event) FROM ffrtmp.claim_webhook_deliveries(10)), '{completed}', 'and the job''s next event comes');
SELECT is(ffrtmp.finish_webhook_delivery(:done, 1, NULL, 'network policy refused', NULL), 'failed',
          'a refusal without retry fails at once');
SELECT is(ffrtmp.finish_webhook_delivery(:canc, 1, 503, 'HTTP 503', '2 days', retry_for => '1 day'), 'failed',
          'a retry past the retry window fails it');
RESET ROLE;
SELECT is(pg_temp.as_role('hook_alice', format('SELECT jsonb_agg(e - ''at'') FROM ffrtmp.webhook_deliveries(job => %s, delivery_state => ''delivered'') d, jsonb_array_elements(d.log) e', :job2)),
          '[{"error": "HTTP 500", "status": 500, "attempt": 1}, {"ms": 12, "status": 204, "attempt": 2}]',
          'the log shows each attempt with its status and error');
SELECT is(pg_temp.as_role('hook_bob', 'SELECT count(*) FROM ffrtmp.claim_webhook_deliveries()'), 'error 42501',
          'a tenant cannot claim');

-- Deleting a webhook takes its deliveries; pruning takes a pruned job's.
SET ROLE hook_alice;
SELECT id AS hook2 FROM ffrtmp.create_webhook('https://example.com/two', repeat('x', 16), '{rejected}') \gset
SELECT is((SELECT count(*) FROM ffrtmp.delete_webhook(:hook2)), 1::bigint, 'a tenant deletes its webhook');
SELECT is((SELECT count(*) FROM ffrtmp.list_webhooks()), 1::bigint, 'and it is gone');
RESET ROLE;
UPDATE ffrtmp_data.jobs SET finished_at = now() - interval '40 days' WHERE id = :job1;
SELECT is(ffrtmp_data.prune('30 days', 100), 1, 'pruning takes the old job');
SELECT is((SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job1), 0::bigint, 'with its deliveries');
UPDATE ffrtmp_data.webhook_deliveries SET finished_at = now() - interval '40 days' WHERE job_id = :job2 AND delivery_state = 'delivered';
SELECT ffrtmp_data.prune('30 days', 100);
SELECT is((SELECT array_agg(event) FROM ffrtmp_data.webhook_deliveries WHERE job_id = :job2), '{completed}',
          'finished deliveries older than the retention age out though their job stays');

SELECT * FROM finish();
ROLLBACK;
