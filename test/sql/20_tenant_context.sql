-- The tenant context is the truth of this instant: what the caller acts for
-- follows savepoint rollbacks, mapping changes, tenant status and role
-- changes within one transaction.  (Changes by other sessions:
-- test/specs/tenant_context.spec.)
-- Its own fixtures: a fresh install, dropped at the end, so this file runs
-- alone (scripts/test.sh regress REGRESS_TESTS=20_tenant_context) or in any order.
CREATE EXTENSION ffrtmp;
SELECT name, plan FROM (VALUES ('acme', 'pro'), ('globex', 'basic')) AS t(tenant, tenant_plan),
  LATERAL ffrtmp.create_tenant(tenant, plan => tenant_plan);

CREATE ROLE app2 LOGIN;
CREATE ROLE app3 LOGIN;
CREATE ROLE ctx_group NOLOGIN;
CREATE ROLE ctx_member LOGIN;
SELECT id AS globex FROM ffrtmp.tenants WHERE name = 'globex' \gset
SELECT id AS acme FROM ffrtmp.tenants WHERE name = 'acme' \gset
-- Whom the caller acts for, by name, whatever the caller may read.
CREATE FUNCTION ctx_acting_for() RETURNS text SECURITY DEFINER
    LANGUAGE sql SET search_path = pg_catalog AS
$$ SELECT name || CASE WHEN ffrtmp.caller_is_admin() THEN ' (admin)' ELSE '' END
     FROM ffrtmp_data.tenants WHERE id = ffrtmp.current_tenant() $$;

-- The issue's example: a mapping rolled back with its savepoint is gone.
-- (app2 holds the API's privileges by a direct grant, so that only the
-- tenant context can refuse it.)
GRANT ffrtmp_tenant TO app2;
BEGIN; SAVEPOINT s;
SELECT ffrtmp.add_tenant_role('globex', 'app2');
SET ROLE app2; SELECT ffrtmp.current_tenant() = :'globex' AS acts_for_globex;
ROLLBACK TO s;
SET ROLE app2; SELECT ffrtmp.current_tenant();
ROLLBACK;
RESET ROLE;

-- A removal and a new mapping rolled back: the old mapping is back.
SELECT ffrtmp.add_tenant_role('globex', 'app2');
BEGIN; SAVEPOINT s;
SELECT ffrtmp.remove_tenant_role('globex', 'app2');
SELECT ffrtmp.add_tenant_role('acme', 'app2');
SET ROLE app2; SELECT ffrtmp.current_tenant() = :'acme' AS acts_for_acme;
RESET ROLE;
ROLLBACK TO s;
SET ROLE app2; SELECT ffrtmp.current_tenant() = :'globex' AS acts_for_globex;
COMMIT;
RESET ROLE;

-- A removal rolled back, and a removal that stays.
BEGIN; SAVEPOINT s;
SELECT ffrtmp.remove_tenant_role('globex', 'app2');
SAVEPOINT before_asking;
SET ROLE app2; SELECT ctx_acting_for();
ROLLBACK TO before_asking;
ROLLBACK TO s;
SET ROLE app2; SELECT ffrtmp.current_tenant() = :'globex' AS acts_for_globex;
RESET ROLE;
COMMIT;

-- Nested savepoints: each ROLLBACK TO brings back what held at its savepoint.
GRANT ffrtmp_tenant TO app3;
BEGIN;
SAVEPOINT a;
SELECT ffrtmp.add_tenant_role('globex', 'app3');
SAVEPOINT b;
SELECT ffrtmp.remove_tenant_role('globex', 'app3');
SELECT ffrtmp.add_tenant_role('acme', 'app3');
SET ROLE app3; SELECT ffrtmp.current_tenant() = :'acme' AS acts_for_acme;
RESET ROLE;
ROLLBACK TO b;
SET ROLE app3; SELECT ffrtmp.current_tenant() = :'globex' AS acts_for_globex;
RESET ROLE;
ROLLBACK TO a;
SET ROLE app3; SELECT ffrtmp.current_tenant();
ROLLBACK;
RESET ROLE;

-- SET ROLE and SET SESSION AUTHORIZATION between two mapped roles in one
-- transaction, and a SECURITY DEFINER function: the caller counts, never the
-- function's owner.
SELECT ffrtmp.add_tenant_role('acme', 'app3');
BEGIN;
SELECT ctx_acting_for();
SET ROLE app2; SELECT ctx_acting_for();
SET ROLE app3; SELECT ctx_acting_for();
SET ROLE app2; SELECT ctx_acting_for();
RESET ROLE; SELECT ctx_acting_for();
SET SESSION AUTHORIZATION app3; SELECT ctx_acting_for();
RESET SESSION AUTHORIZATION; SELECT ctx_acting_for();
COMMIT;

-- SERIALIZABLE reads mappings and status the same way, and may submit.
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET ROLE app2; SELECT ctx_acting_for();
SELECT count(*) AS submitted FROM ffrtmp.submit_job('testsrc://');
ROLLBACK;
RESET ROLE;

-- A mapped group role granted and revoked within one transaction.
SELECT ffrtmp.add_tenant_role('acme', 'ctx_group');
BEGIN;
GRANT ctx_group TO ctx_member;
SET ROLE ctx_member; SELECT ctx_acting_for();
RESET ROLE;
REVOKE ctx_group FROM ctx_member;
SET ROLE ctx_member; SELECT ctx_acting_for();
ROLLBACK;
RESET ROLE;

-- Deleted and restored within one transaction, and rolled back.
BEGIN;
SET ROLE app2; SELECT ctx_acting_for();
RESET ROLE;
SELECT name FROM ffrtmp.delete_tenant('globex');
SAVEPOINT s;
SET ROLE app2; SELECT ctx_acting_for();
ROLLBACK TO s;
RESET ROLE;
SELECT name FROM ffrtmp.restore_tenant('globex');
SET ROLE app2; SELECT ctx_acting_for();
RESET ROLE;
SELECT name FROM ffrtmp.delete_tenant('globex');
SAVEPOINT s;
SELECT name FROM ffrtmp.restore_tenant('globex');
ROLLBACK TO s;
SET ROLE app2; SELECT ctx_acting_for();
ROLLBACK;
RESET ROLE;

-- Expiry is the status in force at each statement: a transaction that began
-- before expires_at cannot submit once it has passed.
SELECT effective_status FROM ffrtmp.update_tenant('globex', expires_at => clock_timestamp() + interval '1 second');
BEGIN;
SET ROLE app2;
SELECT count(*) AS submitted FROM ffrtmp.submit_job('testsrc://');
SELECT pg_sleep(1.5);
SELECT count(*) AS submitted FROM ffrtmp.submit_job('testsrc://');
ROLLBACK;
RESET ROLE;
SELECT effective_status FROM ffrtmp.update_tenant('globex', status => 'active', expires_at => 'infinity');

-- An API key authenticated outside a transaction block is warned about: it
-- is forgotten with the statement, and the next one acts as the session role.
SELECT api_key AS ctx_key FROM ffrtmp.create_api_key('ctx', tenant => 'acme', role => 'viewer') \gset
SELECT ffrtmp.authenticate(:'ctx_key') IS NOT NULL AS authenticated;
SELECT ffrtmp.caller_role();
BEGIN;
SELECT ffrtmp.authenticate(:'ctx_key') IS NOT NULL AS authenticated;
SELECT ffrtmp.caller_role();
COMMIT;

SELECT ffrtmp.remove_tenant_role('globex', 'app2');
SELECT ffrtmp.remove_tenant_role('acme', 'app3');
SELECT ffrtmp.remove_tenant_role('acme', 'ctx_group');
DROP FUNCTION ctx_acting_for();
DROP ROLE app2;
DROP ROLE app3;
DROP ROLE ctx_group;
DROP ROLE ctx_member;

DROP EXTENSION ffrtmp CASCADE;
