-- Access control (docs/access-control.md): the roles, ranked, each holding
-- the permissions of the roles below it; the permission names; which role a
-- permission is first granted at; and the users, each holding one role.
-- Roles, permissions and their grants are the documentation of what each
-- role may do, so every principal may read them.

CREATE TABLE ffrtmp_data.roles (
    name          text PRIMARY KEY,
    rank          integer NOT NULL UNIQUE CHECK (rank > 0),
    tenant_scoped boolean NOT NULL,
    description   text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.roles IS 'The roles a user can hold, ranked: a role holds every permission of the roles of lower rank.';
COMMENT ON COLUMN ffrtmp_data.roles.name IS 'Role name: superadmin, tenant_admin, operator or viewer.';
COMMENT ON COLUMN ffrtmp_data.roles.rank IS 'Higher holds more: the permissions of every role of lower rank, and may grant any role up to its own.';
COMMENT ON COLUMN ffrtmp_data.roles.tenant_scoped IS 'True when a user holding it belongs to one tenant and acts inside it only; false for platform roles (superadmin).';
COMMENT ON COLUMN ffrtmp_data.roles.description IS 'Who the role is for.';
ALTER TABLE ffrtmp_data.roles OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.roles TO PUBLIC;

INSERT INTO ffrtmp_data.roles VALUES
    ('viewer',       10, true,  'Reads the tenant''s jobs, nodes, usage and metrics'),
    ('operator',     20, true,  'A viewer who also submits and controls jobs'),
    ('tenant_admin', 30, true,  'An operator who also manages the tenant''s users, API keys and webhooks and reads its audit log'),
    ('superadmin',   40, false, 'Platform administrator: every permission, on every tenant');

CREATE TABLE ffrtmp_data.permissions (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z]+\.[a-z]+$'),
    description text NOT NULL
);
COMMENT ON TABLE ffrtmp_data.permissions IS 'The permissions API functions require.';
COMMENT ON COLUMN ffrtmp_data.permissions.name IS 'Permission name: <object>.<verb>, for example jobs.cancel.';
COMMENT ON COLUMN ffrtmp_data.permissions.description IS 'What it allows.';
ALTER TABLE ffrtmp_data.permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.permissions TO PUBLIC;

INSERT INTO ffrtmp_data.permissions VALUES
    ('tenants.view',    'Read the own tenant, its plan, quotas and usage'),
    ('jobs.view',       'List and read jobs, their events, logs and results'),
    ('nodes.view',      'List nodes (a tenant: its own dedicated nodes)'),
    ('metrics.view',    'Read usage and metrics'),
    ('jobs.create',     'Submit jobs and batches of jobs'),
    ('jobs.cancel',     'Cancel, hold, release, pause, resume and retry jobs'),
    ('users.manage',    'Create, change, disable and delete users and invitations of the own tenant'),
    ('keys.manage',     'Create, rotate and revoke API keys of the own tenant'),
    ('webhooks.manage', 'Create, change and delete webhooks of the own tenant'),
    ('audit.view',      'Read the own tenant''s audit log'),
    ('tenants.manage',  'Create, change, suspend and delete tenants and their quotas'),
    ('platform.view',   'Read the platform''s health, scheduler status, usage checks and worker contract'),
    ('nodes.work',      'Run a worker: register a node of the own tenant, heartbeat, fetch, start, report and finish its jobs'),
    ('nodes.manage',    'Drain and remove nodes, pause and resume dispatch (a tenant: its own dedicated nodes)');

/* Each permission once, at the lowest role holding it; ffrtmp.role_permissions expands the ranks. */
CREATE TABLE ffrtmp_data.role_permissions (
    role       text NOT NULL REFERENCES ffrtmp_data.roles (name),
    permission text PRIMARY KEY REFERENCES ffrtmp_data.permissions (name)
);
COMMENT ON TABLE ffrtmp_data.role_permissions IS 'The lowest-ranked role that holds each permission; every role ranked above it holds it too (see ffrtmp.role_permissions).';
COMMENT ON COLUMN ffrtmp_data.role_permissions.role IS 'The lowest role holding the permission.';
COMMENT ON COLUMN ffrtmp_data.role_permissions.permission IS 'The permission.';
ALTER TABLE ffrtmp_data.role_permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.role_permissions TO PUBLIC;

INSERT INTO ffrtmp_data.role_permissions VALUES
    ('viewer', 'tenants.view'), ('viewer', 'jobs.view'), ('viewer', 'nodes.view'), ('viewer', 'metrics.view'),
    ('operator', 'jobs.create'), ('operator', 'jobs.cancel'), ('operator', 'nodes.work'),
    ('tenant_admin', 'users.manage'), ('tenant_admin', 'keys.manage'),
    ('tenant_admin', 'webhooks.manage'), ('tenant_admin', 'audit.view'), ('tenant_admin', 'nodes.manage'),
    ('superadmin', 'tenants.manage'), ('superadmin', 'platform.view');

/*
 * The e-mail rule, in one place: the CHECK on users.email and on
 * invitations.email, and ffrtmp_data.normalize_email, all call it.  Stored
 * state (those constraints depend on it), so it is defined with the tables.
 */
CREATE FUNCTION ffrtmp_data.is_email(email text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN pg_catalog.octet_length(email) <= 254
           AND email OPERATOR(pg_catalog.~) '^[^@[:space:][:cntrl:]]+@[^@[:space:][:cntrl:]]+$';
COMMENT ON FUNCTION ffrtmp_data.is_email(text) IS
    'True when email is one plausible address (a local part, one @, a domain; no spaces or control characters) of at most 254 bytes; NULL for NULL.';
ALTER FUNCTION ffrtmp_data.is_email(text) OWNER TO ffrtmp_owner;
-- As normalize_email, which calls it with its caller's privileges (the
-- tables' CHECKs run as their owner, through the API functions).
REVOKE ALL ON FUNCTION ffrtmp_data.is_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.is_email(text) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * People (and, from 0.1 role mappings, roles) who use the API.  A platform
 * user (superadmin) belongs to no tenant; every other user to exactly one.
 * Soft delete keeps the row (and the audit trail's target) and frees the
 * e-mail for a new user; restore_user refuses if a live user took it.
 */
CREATE TABLE ffrtmp_data.users (
    id           uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    tenant_id    uuid REFERENCES ffrtmp_data.tenants (id),
    email        text CHECK (ffrtmp_data.is_email(email)),
    display_name text CHECK (octet_length(display_name) <= 200),
    role         text NOT NULL REFERENCES ffrtmp_data.roles (name),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    db_role      name,
    db_role_oid  oid,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    deleted_at   timestamptz,
    CONSTRAINT users_platform_role CHECK ((tenant_id IS NULL) = (role = 'superadmin')),
    CONSTRAINT users_named CHECK (email IS NOT NULL OR db_role IS NOT NULL),
    CONSTRAINT users_db_role_oid CHECK ((db_role IS NULL) = (db_role_oid IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON ffrtmp_data.users (tenant_id, email) NULLS NOT DISTINCT
    WHERE deleted_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX users_db_role_key ON ffrtmp_data.users (db_role) WHERE deleted_at IS NULL AND db_role IS NOT NULL;
CREATE INDEX users_db_role_idx ON ffrtmp_data.users (db_role) WHERE db_role IS NOT NULL;
COMMENT ON INDEX ffrtmp_data.users_db_role_idx IS
    'Every user mapped to a database role, deleted ones included: the tenant context refuses a role whose user was deleted (src/role_user.c).';
CREATE INDEX users_tenant_idx ON ffrtmp_data.users (tenant_id);
COMMENT ON TABLE ffrtmp_data.users IS 'Users: one role each, of one tenant or (superadmin) of none; soft-deleted, never removed.';
COMMENT ON COLUMN ffrtmp_data.users.id IS 'Generated user id.';
COMMENT ON COLUMN ffrtmp_data.users.tenant_id IS 'The tenant the user belongs to and acts inside; NULL exactly for superadmin.';
COMMENT ON COLUMN ffrtmp_data.users.email IS 'E-mail, normalised (trimmed, NFC, lower case), at most 254 bytes, unique per tenant among users not deleted; NULL only for users made from a role mapping.';
COMMENT ON COLUMN ffrtmp_data.users.display_name IS 'Name shown to people, at most 200 bytes.';
COMMENT ON COLUMN ffrtmp_data.users.role IS 'The role the user holds.';
COMMENT ON COLUMN ffrtmp_data.users.status IS 'active, or disabled: a disabled user (and its keys) can do nothing.';
COMMENT ON COLUMN ffrtmp_data.users.db_role IS 'The database role that acts as this user (psql), by name; a role is at most one user not deleted.';
COMMENT ON COLUMN ffrtmp_data.users.db_role_oid IS 'The OID db_role had when it was mapped: a role of that name with another OID (dropped and created again) is not this user; ffrtmp.ready() lists such a mapping, to be made again with map_user_role.';
COMMENT ON COLUMN ffrtmp_data.users.created_by IS 'The principal that created the user.';
COMMENT ON COLUMN ffrtmp_data.users.created_at IS 'When the user was created.';
COMMENT ON COLUMN ffrtmp_data.users.updated_at IS 'When the user last changed.';
COMMENT ON COLUMN ffrtmp_data.users.deleted_at IS 'When delete_user deleted it; NULL while it exists.';
ALTER TABLE ffrtmp_data.users OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.users FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.users TO ffrtmp_admin;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.users', '');

/*
 * The permission each function of the ffrtmp schema requires, checked before
 * its body by the extension's fmgr hook (src/permission_hook.c).  By name:
 * API functions are not overloaded.  The rows are part of the API's code, so
 * sql/api writes them again on every update; a function missing here is
 * refused to everyone.
 */
CREATE TABLE ffrtmp_data.function_permissions (
    function   name PRIMARY KEY,
    permission text REFERENCES ffrtmp_data.permissions (name)
);
COMMENT ON TABLE ffrtmp_data.function_permissions IS 'The permission each function of the ffrtmp schema requires, checked before it runs; a function not listed is refused to everyone.';
COMMENT ON COLUMN ffrtmp_data.function_permissions.function IS 'Function name in schema ffrtmp.';
COMMENT ON COLUMN ffrtmp_data.function_permissions.permission IS 'The permission its caller needs; NULL: none (the functions row-level security calls, and those of the daemons, which are granted to them alone).';
ALTER TABLE ffrtmp_data.function_permissions OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.function_permissions TO PUBLIC;
