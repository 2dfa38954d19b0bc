-- Row-level security: ENABLEd and FORCEd on every tenant-owned table, so that
-- the owner (and so every SECURITY DEFINER API function) is confined too.
-- Administrators see every tenant; everyone else sees only current_tenant().

ALTER TABLE ffrtmp_data.tenants      ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.tenants      FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.tenant_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.tenant_roles FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.usage        ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.usage        FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.jobs         ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.jobs         FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_events   ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.job_events   FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.nodes        ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.nodes        FORCE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.presets      ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.presets      FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON ffrtmp_data.tenants
    USING (ffrtmp.caller_is_admin() OR id = ffrtmp.current_tenant());
CREATE POLICY tenant_isolation ON ffrtmp_data.tenant_roles
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
CREATE POLICY tenant_isolation ON ffrtmp_data.usage
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
CREATE POLICY tenant_isolation ON ffrtmp_data.jobs
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
CREATE POLICY tenant_isolation ON ffrtmp_data.job_events
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
CREATE POLICY tenant_isolation ON ffrtmp_data.nodes
    USING (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());
-- Built-in presets (tenant_id NULL) are readable by all but writable by administrators only.
CREATE POLICY tenant_isolation ON ffrtmp_data.presets
    USING (tenant_id IS NULL OR ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant())
    WITH CHECK (ffrtmp.caller_is_admin() OR tenant_id = ffrtmp.current_tenant());

COMMENT ON POLICY tenant_isolation ON ffrtmp_data.tenants IS 'A tenant sees its own row; administrators see all.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.tenant_roles IS 'A tenant sees its own role mappings; administrators see all.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.usage IS 'A tenant sees its own counters; administrators see all.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.jobs IS 'A tenant sees its own jobs; administrators see all.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.job_events IS 'A tenant sees its own job history; administrators see all.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.nodes IS 'A tenant sees its dedicated nodes; administrators see all, shared pool included.';
COMMENT ON POLICY tenant_isolation ON ffrtmp_data.presets IS 'Everyone sees the built-in presets; a tenant sees its own as well.';
