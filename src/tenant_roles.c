/*
 * tenant_roles.c: mapping database roles to the tenant they act for.
 *
 * A mapped role is granted ffrtmp_tenant (the privileges to call the API),
 * and loses it when unmapped, so that an unmapped role cannot fall back to
 * acting for the default tenant.  A role that may create objects anywhere is
 * refused: a function it owned would run, when another tenant's role called
 * it, as its code acting for that other tenant.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "catalog/catalog.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

typedef struct MappingArgs
{
	pg_uuid_t	tenant;
	char	   *tenant_text;
	Oid			role;
	char	   *role_name;
	NameData	canonical_name; /* as the catalog spells it */
} MappingArgs;

/*
 * The arguments of add_tenant_role and remove_tenant_role.  must_exist false
 * (removing) lets a role that was dropped be named: its mapping is stale, and
 * listed by ffrtmp.ready() until removed (args.role is then InvalidOid).
 */
static MappingArgs
mapping_args(FunctionCallInfo fcinfo, const char *action, bool must_exist)
{
	MappingArgs args;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tenant and role_name must not be null"),
				 errhint("Call ffrtmp.%s('tenant-name', 'role_name').", action)));
	ffrtmp_require_admin("map roles to tenants");
	args.tenant_text = ffrtmp_tenant_arg(fcinfo, 0);
	args.role_name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ffrtmp_check_text_bytes("role_name", args.role_name, ROLE_NAME_MAX_BYTES);
	args.role = get_role_oid(args.role_name, true);
	if (!OidIsValid(args.role) && !must_exist)
	{
		namestrcpy(&args.canonical_name, args.role_name);
		args.tenant = ffrtmp_find_tenant(args.tenant_text);
		return args;
	}
	if (!OidIsValid(args.role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" does not exist", ffrtmp_echo(args.role_name)),
				 errhint("Create it first, for example CREATE ROLE %s LOGIN PASSWORD '...'.",
						 quote_identifier(args.role_name))));
	namestrcpy(&args.canonical_name, GetUserNameFromId(args.role, false));
	args.tenant = ffrtmp_find_tenant(args.tenant_text);
	return args;
}

/* GRANT/REVOKE take no parameters; the role name comes from the catalog and is quoted. */
static void
set_api_membership(Oid role, bool member)
{
	Oid			api_role = get_role_oid("ffrtmp_tenant", false);
	bool		is_member = SearchSysCacheExists2(AUTHMEMROLEMEM, ObjectIdGetDatum(api_role),
												  ObjectIdGetDatum(role));
	char	   *sql;

	if (is_member == member)
		return;
	sql = psprintf(member ? "GRANT ffrtmp_tenant TO %s" : "REVOKE ffrtmp_tenant FROM %s",
				   quote_identifier(GetUserNameFromId(role, false)));
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "could not change membership in ffrtmp_tenant");
}

/*
 * Where role may create objects: "schema x" (or "database y", where it may
 * create schemas), or NULL when nowhere.  Counts the role's own privileges,
 * those of every role it may become (SET ROLE, so NOINHERIT is no way out),
 * of ffrtmp_tenant (which mapping grants) and of PUBLIC.  Temporary schemas
 * do not count: each is private to its session.  Reads only the catalog, so
 * it works whatever version of the extension's SQL is installed.
 */
static char *
create_right(Oid role)
{
	static KeptQuery where = {
		.sql = "WITH r AS (SELECT a.oid FROM pg_catalog.pg_roles a"
		"            WHERE a.oid = $1 OR a.rolname = 'ffrtmp_tenant'"
		"               OR pg_catalog.pg_has_role($1, a.oid, 'MEMBER'))"
		" SELECT w FROM ("
		"   SELECT 1, pg_catalog.format('schema %I', n.nspname) FROM pg_catalog.pg_namespace n"
		"    WHERE n.nspname !~ '^pg_(toast_)?temp_'"
		"      AND EXISTS (SELECT 1 FROM r WHERE pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE'))"
		"   UNION ALL"
		"   SELECT 2, pg_catalog.format('database %I', pg_catalog.current_database())"
		"    WHERE EXISTS (SELECT 1 FROM r WHERE pg_catalog.has_database_privilege(r.oid,"
		"                                          pg_catalog.current_database(), 'CREATE'))"
		" ) x(kind, w) ORDER BY kind, w LIMIT 1",
		.nargs = 1, .argtypes = {OIDOID},
	};
	Datum		arg = ObjectIdGetDatum(role);

	ffrtmp_run(&where, &arg, NULL);
	return SPI_processed == 0 ? NULL : ffrtmp_get_text(1);
}

PG_FUNCTION_INFO_V1(ffrtmp_create_right);
Datum
ffrtmp_create_right(PG_FUNCTION_ARGS)
{
	char	   *where;
	Datum		result = (Datum) 0;

	SPI_connect();
	where = create_right(PG_GETARG_OID(0));
	if (where != NULL)
		result = SPI_datumTransfer(PointerGetDatum(cstring_to_text(where)), false, -1);
	SPI_finish();
	if (where == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * Why role can never act for one tenant only, or NULL.  Row-level security
 * is what confines a tenant's role, and these roles are past it: superusers
 * and BYPASSRLS roles skip the policies; replication roles read every row
 * through a replication connection; members of pg_read_all_data and
 * pg_write_all_data (NOINHERIT ones too: they may SET ROLE to it) reach the
 * tables no policy guards; PostgreSQL's other pg_* roles
 * and ffrtmp_* roles are the system's own.  map_user_role() comes here too.
 */
static const char *
unconfinable(Oid role, const char *name)
{
	if (has_bypassrls_privilege(role))
		return "Superusers and roles with BYPASSRLS bypass row-level security.";
	if (has_rolreplication(role))
		return "Replication roles read every row through replication, past row-level security.";
	if (strncmp(name, "ffrtmp_", 7) == 0)
		return "ffrtmp_* roles are the extension's own.";
	if (IsReservedName(name))
		return "pg_* roles are PostgreSQL's built-in roles, shared by the whole cluster.";
	if (is_member_of_role(role, ROLE_PG_READ_ALL_DATA) || is_member_of_role(role, ROLE_PG_WRITE_ALL_DATA))
		return "Members of pg_read_all_data or pg_write_all_data read or write every table, those without row-level security included.";
	return NULL;
}

PG_FUNCTION_INFO_V1(ffrtmp_add_tenant_role);
Datum
ffrtmp_add_tenant_role(PG_FUNCTION_ARGS)
{
	static KeptQuery current = {
		.sql = "SELECT r.tenant_id = $2, t.name, t.deleted_at IS NOT NULL"
		" FROM ffrtmp_data.tenants t LEFT JOIN ffrtmp_data.tenant_roles r ON r.role_name = $1"
		" WHERE t.id = $2",
		.nargs = 2, .argtypes = {NAMEOID, UUIDOID},
	};
	static KeptQuery insert_0_1 = {
		.sql = "INSERT INTO ffrtmp_data.tenant_roles (role_name, tenant_id) VALUES ($1, $2)",
		.nargs = 2, .argtypes = {NAMEOID, UUIDOID},
	};
	static KeptQuery insert = {
		.sql = "INSERT INTO ffrtmp_data.tenant_roles (role_name, tenant_id, role_oid) VALUES ($1, $2, $3)",
		.nargs = 3, .argtypes = {NAMEOID, UUIDOID, OIDOID},
	};
	/* A mapping made for a role since dropped, whose name this role now has. */
	static KeptQuery stale = {
		.sql = "DELETE FROM ffrtmp_data.tenant_roles WHERE role_name = $1 AND role_oid IS DISTINCT FROM $3"
		" RETURNING tenant_id",
		.nargs = 3, .argtypes = {NAMEOID, UUIDOID, OIDOID},
	};
	MappingArgs args;
	Datum		values[3];
	const char *why;
	char	   *where;
	bool		unmapped;
	bool		isnull;

	SPI_connect();
	args = mapping_args(fcinfo, "add_tenant_role", true);
	why = unconfinable(args.role, args.role_name);
	if (why != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" cannot be confined to a tenant", ffrtmp_echo(args.role_name)),
				 errdetail("%s", why),
				 errhint("Map an ordinary login role or group role.")));
	where = create_right(args.role);
	if (where != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" may create objects in %s", args.role_name, where),
				 errdetail("A role acting for a tenant must create nothing: a function it owned would run, when another tenant's role called it, as its code acting for that tenant."),
				 errhint("Revoke the privilege from the role, from the role it comes through or from PUBLIC (for example REVOKE CREATE ON SCHEMA public FROM PUBLIC), then map the role again.")));

	values[0] = NameGetDatum(&args.canonical_name);
	values[1] = UUIDPGetDatum(&args.tenant);
	values[2] = ObjectIdGetDatum(args.role);
	if (ffrtmp_sql_is_0_2())
	{
		ffrtmp_run(&stale, values, NULL);
		if (SPI_processed > 0)
		{
			pg_uuid_t	old_tenant = *DatumGetUUIDP(ffrtmp_get_datum(1, &isnull));

			ffrtmp_audit_write("tenant_role.remove", psprintf("role:%s", NameStr(args.canonical_name)),
							   &old_tenant, NULL);
		}
	}
	ffrtmp_run(&current, values, NULL);
	if (DatumGetBool(ffrtmp_get_datum(3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("tenant \"%s\" is deleted", ffrtmp_get_text(2)),
				 errhint("Restore it first with ffrtmp.restore_tenant().")));
	(void) ffrtmp_get_datum(1, &unmapped);
	if (!unmapped && !DatumGetBool(ffrtmp_get_datum(1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("role \"%s\" already acts for another tenant", ffrtmp_echo(args.role_name)),
				 errhint("A role acts for one tenant only; remove the other mapping first with ffrtmp.remove_tenant_role().")));

	if (unmapped)
	{
		ffrtmp_run(ffrtmp_sql_is_0_2() ? &insert : &insert_0_1, values, NULL);
		ffrtmp_audit_write("tenant_role.add", psprintf("role:%s", NameStr(args.canonical_name)), &args.tenant, NULL);
	}
	set_api_membership(args.role, true);
	ffrtmp_context_reset();
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ffrtmp_remove_tenant_role);
Datum
ffrtmp_remove_tenant_role(PG_FUNCTION_ARGS)
{
	static KeptQuery delete = {
		.sql = "DELETE FROM ffrtmp_data.tenant_roles WHERE role_name = $1 AND tenant_id = $2",
		.nargs = 2, .argtypes = {NAMEOID, UUIDOID},
	};
	MappingArgs args;
	Datum		values[2];

	SPI_connect();
	args = mapping_args(fcinfo, "remove_tenant_role", false);
	values[0] = NameGetDatum(&args.canonical_name);
	values[1] = UUIDPGetDatum(&args.tenant);
	ffrtmp_run(&delete, values, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("role \"%s\" is not mapped to tenant \"%s\"",
						ffrtmp_echo(args.role_name), ffrtmp_echo(args.tenant_text)),
				 errhint("SELECT * FROM ffrtmp.tenant_roles lists the mappings.")));
	ffrtmp_audit_write("tenant_role.remove", psprintf("role:%s", NameStr(args.canonical_name)), &args.tenant, NULL);
	if (OidIsValid(args.role))
		set_api_membership(args.role, false);
	ffrtmp_context_reset();
	SPI_finish();
	PG_RETURN_VOID();
}
