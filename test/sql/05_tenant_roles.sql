-- A database role mapped to a tenant sees and acts for that tenant only.
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=05_tenant_roles) or in any order.
CREATE EXTENSION ffrtmp;
SELECT name, plan FROM (VALUES ('acme', 'pro'), ('globex', 'basic')) AS t(tenant, tenant_plan),
  LATERAL ffrtmp.create_tenant(tenant, plan => tenant_plan);
-- globex has a job before bob's; acme has 8 queued jobs and a dedicated node.
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'globex')) AS globex_jobs;
SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'acme')) AS acme_jobs FROM generate_series(1, 8);
SELECT node_id IS NOT NULL AS registered FROM ffrtmp.register_node('acme-1', cpu_cores => 8, tenant => 'acme');

CREATE ROLE bob LOGIN;
CREATE ROLE carol LOGIN;
CREATE ROLE root_like SUPERUSER;

SELECT ffrtmp.add_tenant_role('globex', 'bob');
SELECT ffrtmp.add_tenant_role('globex', 'bob');
SELECT ffrtmp.add_tenant_role('acme', 'bob');
SELECT ffrtmp.add_tenant_role('acme', 'nobody');
SELECT ffrtmp.add_tenant_role('acme', 'root_like');
SELECT ffrtmp.add_tenant_role('acme', 'ffrtmp_admin');
SELECT t.name AS tenant, r.role_name FROM ffrtmp.tenant_roles r JOIN ffrtmp.tenants t ON t.id = r.tenant_id;
SELECT pg_has_role('bob', 'ffrtmp_tenant', 'MEMBER') AS bob_can_call_api;

SET ROLE bob;
SELECT ffrtmp.caller_is_admin();
SELECT name FROM ffrtmp.list_tenants();
SELECT (SELECT name FROM ffrtmp.tenants WHERE id = ffrtmp.current_tenant()) AS acting_for;
SELECT seq, state FROM ffrtmp.submit_job('testsrc://640x360@25?duration=3', preset => '480p-h264');
SELECT count(*) AS jobs_bob_sees, count(DISTINCT tenant_id) AS tenants FROM ffrtmp.jobs;
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'acme');
SELECT name FROM ffrtmp.get_tenant('acme');
SELECT name FROM ffrtmp.create_tenant('bobs-own');
SELECT summary FROM ffrtmp.tenant_stats();
RESET ROLE;

-- An unmapped role has no access at all, and loses it again when unmapped.
SET ROLE carol;
SELECT count(*) FROM ffrtmp.jobs;
RESET ROLE;
SELECT ffrtmp.remove_tenant_role('globex', 'bob');
SELECT ffrtmp.remove_tenant_role('globex', 'bob');
SELECT pg_has_role('bob', 'ffrtmp_tenant', 'MEMBER') AS bob_can_call_api;
SET ROLE bob;
SELECT count(*) FROM ffrtmp.jobs;
RESET ROLE;

-- What tenant_stats reports, in the operators' format.
SELECT active_jobs, queued_jobs, running_jobs, active_workers, cpu_cores_used, gpus_used,
       jobs_this_hour, jobs_available, workers_available, cpu_cores_available, gpus_available
FROM ffrtmp.tenant_stats('acme');
SELECT summary FROM ffrtmp.tenant_stats('acme');
SELECT summary FROM ffrtmp.tenant_stats('default');

DROP ROLE bob;
DROP ROLE carol;
DROP ROLE root_like;

DROP EXTENSION ffrtmp CASCADE;
