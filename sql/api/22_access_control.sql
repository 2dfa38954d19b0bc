-- Access control (docs/access-control.md): who may see which users, and the
-- effective permission table.

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.users;
CREATE POLICY tenant_isolation ON ffrtmp_data.users
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.users IS 'A tenant sees its own users; administrators see all.';

CREATE OR REPLACE VIEW ffrtmp.role_permissions WITH (security_invoker = true) AS
SELECT r.name AS role, p.permission, p.role AS granted_at_role
FROM ffrtmp_data.roles r
JOIN ffrtmp_data.role_permissions p ON true
JOIN ffrtmp_data.roles g ON g.name = p.role
WHERE g.rank <= r.rank;
COMMENT ON VIEW ffrtmp.role_permissions IS 'Every permission each role holds, its own and those inherited from the roles ranked below it: the table each API function''s check follows.';
COMMENT ON COLUMN ffrtmp.role_permissions.role IS 'Role.';
COMMENT ON COLUMN ffrtmp.role_permissions.permission IS 'A permission the role holds.';
COMMENT ON COLUMN ffrtmp.role_permissions.granted_at_role IS 'The lowest role holding it: the role itself, or the one it inherits it from.';
ALTER VIEW ffrtmp.role_permissions OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp.role_permissions FROM PUBLIC;
GRANT SELECT ON ffrtmp.role_permissions TO PUBLIC;

-- The one check (src/permissions.c): the caller's role, and whether it holds
-- a permission.  require_permission is what the API functions call.

CREATE OR REPLACE FUNCTION ffrtmp.caller_role() RETURNS text
    AS 'MODULE_PATHNAME', 'ffrtmp_caller_role_sql'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.caller_role() IS
    'The role the caller acts with: under an API key authenticated in this transaction, its user''s role or the service key''s role (28000 once the key may no longer act); else superadmin for superusers and members of ffrtmp_admin; the role of the user whose database role the caller is (refused 42501 while the user is disabled); tenant_admin for a role mapped with add_tenant_role and no user; anyone else is refused (42501).';
REVOKE ALL ON FUNCTION ffrtmp.caller_role() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.caller_role() TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.has_permission(permission text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ffrtmp_has_permission'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp.has_permission(text) IS
    'True when the caller''s role (ffrtmp.caller_role()) holds permission, by ffrtmp.role_permissions, and the scopes of the API key authenticated (if any) include it; an unknown permission is refused (22023).';
REVOKE ALL ON FUNCTION ffrtmp.has_permission(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.has_permission(text) TO PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp_data.require_permission(permission text) RETURNS void
    AS 'MODULE_PATHNAME', 'ffrtmp_require_permission_sql'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.require_permission(text) IS
    'The one permission check: refuses (42501, HTTP 403, naming the permission and the caller''s role) a caller whose role does not hold permission, or whose API key''s scopes leave it out. API functions in SQL call it first.';
REVOKE ALL ON FUNCTION ffrtmp_data.require_permission(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.require_permission(text) TO ffrtmp_owner, ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.caller_user_id() RETURNS uuid
    AS 'MODULE_PATHNAME', 'ffrtmp_caller_user_id_sql'
    LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ffrtmp_data.caller_user_id() IS
    'The id of the user the caller acts as (an authenticated API key''s user, else the user of the session''s database role), NULL for a service key, an administrator role or a role mapped with no user: whose own personal keys and invitations are whose.';
ALTER FUNCTION ffrtmp_data.caller_user_id() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.caller_user_id() FROM PUBLIC;
