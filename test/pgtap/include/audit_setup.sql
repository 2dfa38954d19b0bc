-- Included by the 32_audit_*.sql files (\ir): their tenants au-a and au-b,
-- the database roles acting for them (au_alice, au_bob, an administrator,
-- a tenant role without a tenant, the users' roles) and au-a's two nodes
-- (:node with :token, :node2).
\o /dev/null
CREATE ROLE au_alice LOGIN;
CREATE ROLE au_bob LOGIN;
CREATE ROLE au_admin LOGIN IN ROLE ffrtmp_admin;
CREATE ROLE au_nobody LOGIN IN ROLE ffrtmp_tenant;
CREATE ROLE au_viewer LOGIN;
CREATE ROLE au_operator LOGIN;
CREATE ROLE au_boss LOGIN;
CREATE ROLE au_worker LOGIN;
CREATE ROLE au_walk LOGIN;
CREATE ROLE au_walk2 LOGIN;
GRANT au_admin TO CURRENT_USER;
SET ROLE au_admin;
SELECT ffrtmp.create_tenant('au-a', plan => 'pro');
SELECT ffrtmp.create_tenant('au-b', plan => 'pro');
RESET ROLE;
SELECT ffrtmp.add_tenant_role('au-a', 'au_alice');
SELECT ffrtmp.add_tenant_role('au-b', 'au_bob');
SELECT node_id AS node, session_token AS token FROM ffrtmp.register_node('au-1', cpu_cores => 8, slots => 1, tenant => 'au-a') \gset
SELECT node_id AS node2 FROM ffrtmp.register_node('au-2', cpu_cores => 8, slots => 1, tenant => 'au-a') \gset
\o
