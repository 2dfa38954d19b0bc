-- The plans' REST API request rate, max_api_requests_per_minute
-- (docs/rest.md#rate-limits): its bounds as a plan column, and as a
-- quota_overrides key of update_tenant like the other quotas.  The rate
-- itself is enforced in shared memory: test/t/059_rest_rate.pl.
BEGIN;
SELECT * FROM no_plan();

SELECT results_eq($$SELECT name, max_api_requests_per_minute FROM ffrtmp.plans ORDER BY weight$$,
                  $$VALUES ('free', 60), ('basic', 300), ('pro', 1200), ('enterprise', NULL::integer)$$,
                  'the seeded plans: free 60, basic 300, pro 1200 a minute, enterprise unlimited');
SELECT throws_ok($$UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = -1 WHERE name = 'free'$$,
                 '23514', NULL, 'a plan''s rate is never negative');
SELECT lives_ok($$UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 0 WHERE name = 'free'$$,
                'a plan''s rate may be 0 (every request refused)');

\o /dev/null
SELECT ffrtmp.create_tenant('rate-quota', plan => 'basic');
\o
SELECT lives_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": 5}')$$,
                'update_tenant accepts max_api_requests_per_minute as a quota');
SELECT is((SELECT quota_overrides -> 'max_api_requests_per_minute' FROM ffrtmp_data.tenants WHERE name = 'rate-quota'),
          '5'::jsonb, 'and stores it as an override');
SELECT lives_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": null}')$$,
                'null: unlimited');
SELECT lives_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": 1000000000}')$$,
                'the bound, 1000000000, is accepted');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": 1000000001}')$$,
                 '22023', 'invalid value for quota "max_api_requests_per_minute"', 'past the bound is refused');
SELECT throws_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": -1}')$$,
                 '22023', 'invalid value for quota "max_api_requests_per_minute"', 'a negative rate is refused');
SELECT lives_ok($$SELECT ffrtmp.update_tenant('rate-quota', quotas => '{"max_api_requests_per_minute": "default"}')$$,
                '"default" returns it to the plan''s');
SELECT is((SELECT quota_overrides ? 'max_api_requests_per_minute' FROM ffrtmp_data.tenants WHERE name = 'rate-quota'),
          false, 'which removes the override');

SELECT * FROM finish();
ROLLBACK;
