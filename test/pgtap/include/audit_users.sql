-- Included by 32_audit_chain.sql and 32_audit_refusals.sql (\ir), after
-- include/audit_setup.sql: pg_temp.sqlstate_of(q), and au-a's users for each
-- tenant role (:viewer_id, :operator_id, :boss_id) acting through au_viewer,
-- au_operator and au_boss.
-- SQLSTATE of q's error.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.sqlstate_of(text) TO PUBLIC;


\o /dev/null
SELECT ffrtmp.add_tenant_role('au-a', 'au_worker');
-- Users of au-a for each tenant role, each acting through its database role.
SELECT id AS viewer_id FROM ffrtmp.create_user('viewer@a.example', 'viewer', tenant => 'au-a') \gset
SELECT id AS operator_id FROM ffrtmp.create_user('operator@a.example', 'operator', tenant => 'au-a') \gset
SELECT id AS boss_id FROM ffrtmp.create_user('boss@a.example', 'tenant_admin', tenant => 'au-a') \gset
SELECT ffrtmp.map_user_role(:'viewer_id', 'au_viewer');
SELECT ffrtmp.map_user_role(:'operator_id', 'au_operator');
SELECT ffrtmp.map_user_role(:'boss_id', 'au_boss');
\o
