-- Tenant lifecycle from psql: create, read, update, soft delete and restore,
-- and the errors each refuses bad input with.
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=02_tenants) or in any order.
CREATE EXTENSION ffrtmp;

SELECT name, plan, display_name, effective_status, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour
FROM ffrtmp.create_tenant('acme', plan => 'pro', display_name => 'Acme Corp',
                          description => 'Video platform', metadata => '{"region": "eu"}');
SELECT name, plan, effective_status, max_jobs FROM ffrtmp.create_tenant('globex');
SELECT name, plan, effective_status FROM ffrtmp.create_tenant('initech', plan => 'basic',
                                                              expires_at => now() + interval '30 days');

-- Ids are generated UUIDs; names are unique slugs.
SELECT count(*) AS tenants, count(DISTINCT id) AS ids FROM ffrtmp.tenants;
SELECT name FROM ffrtmp.create_tenant('acme');
SELECT name FROM ffrtmp.create_tenant('Acme');
SELECT name FROM ffrtmp.create_tenant('9lives');
SELECT name FROM ffrtmp.create_tenant('trailing-');
SELECT name FROM ffrtmp.create_tenant('');
SELECT name FROM ffrtmp.create_tenant('''; DROP TABLE ffrtmp_data.jobs; --');
SELECT name FROM ffrtmp.create_tenant(repeat('a', 64));
SELECT name FROM ffrtmp.create_tenant('00000000-0000-0000-0000-00000000abcd');
SELECT name FROM ffrtmp.create_tenant(NULL);
SELECT name FROM ffrtmp.create_tenant('hooli', plan => 'platinum');
SELECT name FROM ffrtmp.create_tenant('hooli', expires_at => now() - interval '1 day');
SELECT name FROM ffrtmp.create_tenant('hooli', display_name => repeat('é', 10000));
SELECT name FROM ffrtmp.create_tenant('hooli', metadata => '[1, 2]');
SELECT name FROM ffrtmp.create_tenant('hooli', metadata => jsonb_build_object('blob', repeat('x', 20000)));
SELECT name FROM ffrtmp.create_tenant('hooli', metadata => '{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}}');
-- Eight levels are fine.
SELECT name, metadata FROM ffrtmp.create_tenant('hooli', metadata => '{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":1}}}}}}}}');
-- None of the failed calls left a row behind.
SELECT name FROM ffrtmp.tenants ORDER BY name;

-- Reading by id or name.
SELECT name, display_name, metadata FROM ffrtmp.get_tenant('acme');
SELECT name FROM ffrtmp.get_tenant((SELECT id::text FROM ffrtmp.tenants WHERE name = 'globex'));
SELECT name FROM ffrtmp.get_tenant('nobody');
SELECT name, effective_status FROM ffrtmp.list_tenants();

-- Updates: plan, quotas (merged; null = unlimited; "default" = back to the plan's), status.
SELECT name, plan, max_jobs, max_gpus FROM ffrtmp.update_tenant('globex', plan => 'basic');
SELECT quota_overrides, max_jobs, max_gpus
FROM ffrtmp.update_tenant('globex', quotas => '{"max_jobs": 75, "max_gpus": null}');
SELECT quota_overrides, max_jobs, max_gpus
FROM ffrtmp.update_tenant('globex', quotas => '{"max_jobs_per_hour": 10}');
SELECT quota_overrides, max_jobs, max_gpus, max_jobs_per_hour
FROM ffrtmp.update_tenant('globex', quotas => '{"max_jobs": "default", "max_gpus": "default"}');
SELECT name FROM ffrtmp.update_tenant('globex', quotas => '{"max_cats": 1}');
SELECT name FROM ffrtmp.update_tenant('globex', quotas => '{"max_jobs": -1}');
SELECT name FROM ffrtmp.update_tenant('globex', quotas => '{"max_jobs": 1.5}');
SELECT name FROM ffrtmp.update_tenant('globex', plan => 'gold');
SELECT name FROM ffrtmp.update_tenant('globex', status => 'sleeping');
SELECT display_name, description FROM ffrtmp.update_tenant('acme', display_name => 'ACME', description => '');
SELECT name, status, effective_status FROM ffrtmp.update_tenant('globex', status => 'suspended');
SELECT name, effective_status FROM ffrtmp.list_tenants(active_only => true);
SELECT name, status, effective_status FROM ffrtmp.update_tenant('globex', status => 'active');

-- A passed expires_at makes a tenant expired at once; 'infinity' removes the expiry.
SELECT name, status, effective_status
FROM ffrtmp.update_tenant('initech', expires_at => now() - interval '1 second');
SELECT name, status, effective_status, expires_at
FROM ffrtmp.update_tenant('initech', expires_at => 'infinity');

-- Soft delete keeps the row and is undone by restore; both are idempotent.
SELECT name, effective_status, deleted_at IS NOT NULL AS deleted FROM ffrtmp.delete_tenant('globex');
SELECT name, effective_status FROM ffrtmp.delete_tenant('globex');
SELECT name FROM ffrtmp.update_tenant('globex', plan => 'pro');
SELECT name FROM ffrtmp.create_tenant('globex');
SELECT name, effective_status FROM ffrtmp.list_tenants(active_only => true);
SELECT name, effective_status, deleted_at IS NULL AS restored FROM ffrtmp.restore_tenant('globex');

-- The default tenant is always there and always active.
SELECT name FROM ffrtmp.delete_tenant('default');
SELECT name FROM ffrtmp.update_tenant('default', status => 'suspended');
SELECT name FROM ffrtmp.update_tenant('default', expires_at => now() + interval '1 day');
SELECT name, effective_status FROM ffrtmp.get_tenant('default');

DROP EXTENSION ffrtmp CASCADE;
