-- Dispatch pauses: ffrtmp.pause_dispatch() and resume_dispatch() (in C,
-- src/dispatch_pauses.c), the table's policy, and the view people read.

DROP POLICY IF EXISTS tenant_isolation ON ffrtmp_data.dispatch_pauses;
CREATE POLICY tenant_isolation ON ffrtmp_data.dispatch_pauses
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.dispatch_pauses IS
    'A tenant sees and changes its own pauses; administrators all.';
DROP POLICY IF EXISTS every_tenant ON ffrtmp_data.dispatch_pauses;
CREATE POLICY every_tenant ON ffrtmp_data.dispatch_pauses FOR SELECT
    USING (tenant_id IS NULL);
COMMENT ON POLICY every_tenant ON ffrtmp_data.dispatch_pauses IS
    'Everyone sees the pauses of every tenant (tenant_id NULL), which hold their jobs too; only administrators change them.';

CREATE OR REPLACE FUNCTION ffrtmp.pause_dispatch(tenant text DEFAULT NULL, queue text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_pause_dispatch'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.pause_dispatch(text, text) IS
    'Stops dispatching the queued jobs of a tenant (id or name), of a queue (live, default or batch), of both, or, for administrators with tenant => NULL, of every tenant; a tenant principal pauses its own tenant only (tenant => NULL is its own). Queued jobs keep their place and quota; assigned and running jobs go on. Returns false when that pause was already in force (an administrator then takes it over). A pause an administrator made only an administrator resumes.';
ALTER FUNCTION ffrtmp.pause_dispatch(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.pause_dispatch(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.pause_dispatch(text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.resume_dispatch(tenant text DEFAULT NULL, queue text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'ffrtmp_resume_dispatch'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.resume_dispatch(text, text) IS
    'Ends the pause_dispatch pause of exactly this scope (tenant and queue as pause_dispatch takes them; a narrower or wider pause stays). A tenant principal cannot end a pause an administrator made (42501). Returns false when no such pause was in force.';
ALTER FUNCTION ffrtmp.resume_dispatch(text, text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.resume_dispatch(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.resume_dispatch(text, text) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp_data.read_dispatch_pauses()
RETURNS TABLE (tenant_id uuid, tenant_name text, queue text, paused_by text, paused_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT p.tenant_id, t.name, p.queue,
           CASE WHEN p.by_admin AND NOT ffrtmp.caller_is_admin() THEN 'administrator' ELSE p.paused_by END,
           p.paused_at
      FROM ffrtmp_data.dispatch_pauses p LEFT JOIN ffrtmp_data.tenants t ON t.id = p.tenant_id
     WHERE ffrtmp.caller_is_admin() OR p.tenant_id IS NULL OR p.tenant_id = ffrtmp.current_tenant();
END;
COMMENT ON FUNCTION ffrtmp_data.read_dispatch_pauses() IS 'The dispatch pauses the caller may see: behind ffrtmp.dispatch_pauses.';
ALTER FUNCTION ffrtmp_data.read_dispatch_pauses() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_dispatch_pauses() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_dispatch_pauses() TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.dispatch_pauses WITH (security_invoker = true) AS
SELECT tenant_id, tenant_name, queue, paused_by, paused_at FROM ffrtmp_data.read_dispatch_pauses();
COMMENT ON VIEW ffrtmp.dispatch_pauses IS
    'Dispatch pauses in force (pause_dispatch): a tenant sees its own and those for every tenant; administrators see all.';
COMMENT ON COLUMN ffrtmp.dispatch_pauses.tenant_id IS 'The paused tenant; NULL: every tenant.';
COMMENT ON COLUMN ffrtmp.dispatch_pauses.tenant_name IS 'Its name; NULL with tenant_id.';
COMMENT ON COLUMN ffrtmp.dispatch_pauses.queue IS 'The paused queue; NULL: every queue.';
COMMENT ON COLUMN ffrtmp.dispatch_pauses.paused_by IS 'The role that paused; to a tenant, an administrator''s pause shows administrator.';
COMMENT ON COLUMN ffrtmp.dispatch_pauses.paused_at IS 'When the pause began.';
REVOKE ALL ON ffrtmp.dispatch_pauses FROM PUBLIC;
GRANT SELECT ON ffrtmp.dispatch_pauses TO ffrtmp_admin, ffrtmp_tenant;
