/*
 * tenants.c: the tenant lifecycle, for administrators: create, read, update,
 * soft delete and restore.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

/*
 * The free text of a tenant: display_name is one line, description may have
 * newlines and tabs; neither may hold other control characters.
 */
static void
check_tenant_texts(FunctionCallInfo fcinfo, int display_name_arg, int metadata_arg)
{
	int			description_arg = display_name_arg + 1;

	ffrtmp_check_text_field("display_name", PG_ARGISNULL(display_name_arg) ? NULL : PG_GETARG_TEXT_PP(display_name_arg),
							DISPLAY_NAME_MAX_CHARS, TEXT_ONE_LINE);
	ffrtmp_check_text_field("description", PG_ARGISNULL(description_arg) ? NULL : PG_GETARG_TEXT_PP(description_arg),
							DESCRIPTION_MAX_CHARS, TEXT_MULTI_LINE);
	if (!PG_ARGISNULL(metadata_arg))
		ffrtmp_check_metadata(PG_GETARG_JSONB_P(metadata_arg));
}

static void
check_plan(const char *plan)
{
	static KeptQuery plan_exists = {
		.sql = "SELECT 1 FROM ffrtmp_data.plans WHERE name = $1",
		.nargs = 1, .argtypes = {TEXTOID},
	};
	Datum		arg;

	ffrtmp_check_text_bytes("plan", plan, PLAN_MAX_BYTES);
	arg = CStringGetTextDatum(plan);
	ffrtmp_run(&plan_exists, &arg, NULL);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown plan \"%s\"", ffrtmp_echo(plan)),
				 errhint("The plans are listed in ffrtmp.plans: free, basic, pro and enterprise.")));
}

/* Returns the tenant's row of ffrtmp.tenants as the function result and leaves SPI. */
static Datum
return_tenant(FunctionCallInfo fcinfo, pg_uuid_t *id)
{
	static KeptQuery tenant_row = {
		.sql = "SELECT * FROM ffrtmp.tenants WHERE id = $1",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	Datum		arg = UUIDPGetDatum(id);

	ffrtmp_run(&tenant_row, &arg, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "tenant vanished while being read");
	return ffrtmp_return_row(fcinfo);
}

PG_FUNCTION_INFO_V1(ffrtmp_create_tenant);
Datum
ffrtmp_create_tenant(PG_FUNCTION_ARGS)
{
	static KeptQuery name_taken = {
		.sql = "SELECT deleted_at IS NOT NULL FROM ffrtmp_data.tenants WHERE name = $1",
		.nargs = 1, .argtypes = {TEXTOID},
	};
	static KeptQuery insert_tenant = {
		.sql = "WITH t AS (INSERT INTO ffrtmp_data.tenants"
		"                 (name, plan, display_name, description, expires_at, metadata)"
		"               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),"
		"     u AS (INSERT INTO ffrtmp_data.usage (tenant_id) SELECT id FROM t)"
		" SELECT id FROM t",
		.nargs = 6, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, JSONBOID},
	};
	char	   *name;
	char	   *plan;
	Datum		values[6];
	char		nulls[6] = "      ";
	bool		isnull;
	pg_uuid_t	id;

	ffrtmp_require_arg(fcinfo, 0, "name");
	ffrtmp_require_arg(fcinfo, 1, "plan");
	name = ffrtmp_text_arg(fcinfo, 0);
	plan = ffrtmp_text_arg(fcinfo, 1);
	ffrtmp_check_tenant_name(name);
	ffrtmp_check_text_bytes("plan", plan, PLAN_MAX_BYTES);
	check_tenant_texts(fcinfo, 2, 5);
	if (!PG_ARGISNULL(4) && PG_GETARG_TIMESTAMPTZ(4) <= GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_at is in the past"),
				 errhint("Pass a future time, or leave expires_at out for a tenant that never expires.")));

	SPI_connect();
	ffrtmp_require_admin("create tenants");
	check_plan(plan);

	values[0] = CStringGetTextDatum(name);
	ffrtmp_run(&name_taken, values, NULL);
	if (SPI_processed > 0)
	{
		bool		deleted = DatumGetBool(ffrtmp_get_datum(1, &isnull));

		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("tenant name \"%s\" is already taken", name),
				 deleted ? errhint("A deleted tenant has this name: restore it with ffrtmp.restore_tenant('%s') or choose another name.", name)
				 : errhint("Choose another name.")));
	}

	values[1] = CStringGetTextDatum(plan);
	values[2] = PG_ARGISNULL(2) ? (nulls[2] = 'n', (Datum) 0) : PG_GETARG_DATUM(2);
	values[3] = PG_ARGISNULL(3) ? (nulls[3] = 'n', (Datum) 0) : PG_GETARG_DATUM(3);
	values[4] = PG_ARGISNULL(4) ? (nulls[4] = 'n', (Datum) 0) : PG_GETARG_DATUM(4);
	values[5] = PG_ARGISNULL(5) ? DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")) : PG_GETARG_DATUM(5);
	ffrtmp_run(&insert_tenant, values, nulls);
	id = *DatumGetUUIDP(ffrtmp_get_datum(1, &isnull));
	ffrtmp_audit_tenant("tenant.create", &id, (Datum) 0, true);
	PG_RETURN_DATUM(return_tenant(fcinfo, &id));
}

PG_FUNCTION_INFO_V1(ffrtmp_get_tenant);
Datum
ffrtmp_get_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t	id;

	ffrtmp_require_arg(fcinfo, 0, "tenant");
	SPI_connect();
	id = ffrtmp_find_tenant(ffrtmp_tenant_arg(fcinfo, 0));
	PG_RETURN_DATUM(return_tenant(fcinfo, &id));
}

PG_FUNCTION_INFO_V1(ffrtmp_list_tenants);
Datum
ffrtmp_list_tenants(PG_FUNCTION_ARGS)
{
	static KeptQuery list = {
		.sql = "SELECT * FROM ffrtmp.tenants"
		" WHERE NOT $1 OR effective_status = 'active' ORDER BY name",
		.nargs = 1, .argtypes = {BOOLOID},
	};
	Datum		active_only = BoolGetDatum(!PG_ARGISNULL(0) && PG_GETARG_BOOL(0));

	SPI_connect();
	ffrtmp_run(&list, &active_only, NULL);
	ffrtmp_return_rows(fcinfo);
	return (Datum) 0;
}

typedef struct TenantFacts
{
	pg_uuid_t	id;
	char	   *name;
	bool		deleted;
	bool		is_default;
} TenantFacts;

/* Finds the tenant an administrator names and what guards changes to it. */
static TenantFacts
tenant_for_change(FunctionCallInfo fcinfo, const char *action)
{
	static KeptQuery facts = {
		.sql = "SELECT name, deleted_at IS NOT NULL, id = '" FFRTMP_DEFAULT_TENANT "'"
		" FROM ffrtmp_data.tenants WHERE id = $1",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	TenantFacts result;
	Datum		arg;
	bool		isnull;

	ffrtmp_require_arg(fcinfo, 0, "tenant");
	ffrtmp_require_admin(action);
	result.id = ffrtmp_find_tenant(ffrtmp_tenant_arg(fcinfo, 0));
	arg = UUIDPGetDatum(&result.id);
	ffrtmp_run(&facts, &arg, NULL);
	result.name = ffrtmp_get_text(1);
	result.deleted = DatumGetBool(ffrtmp_get_datum(2, &isnull));
	result.is_default = DatumGetBool(ffrtmp_get_datum(3, &isnull));
	return result;
}

static void
refuse_for_default(const TenantFacts *tenant, const char *what)
{
	if (tenant->is_default)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("the default tenant cannot be %s", what),
				 errhint("The default tenant serves callers mapped to no tenant; it is always active.")));
}

PG_FUNCTION_INFO_V1(ffrtmp_update_tenant);
Datum
ffrtmp_update_tenant(PG_FUNCTION_ARGS)
{
	static KeptQuery update = {
		.sql = "UPDATE ffrtmp_data.tenants SET"
		"  plan = coalesce($2, plan),"
		"  status = coalesce($3, status),"
		"  display_name = CASE WHEN $4 IS NULL THEN display_name ELSE nullif($4, '') END,"
		"  description = CASE WHEN $5 IS NULL THEN description ELSE nullif($5, '') END,"
		"  expires_at = CASE WHEN $6 IS NULL THEN expires_at"
		"                    WHEN $6 = 'infinity' THEN NULL ELSE $6 END,"
		"  metadata = coalesce($7, metadata),"
		"  quota_overrides = CASE WHEN $8 IS NULL THEN quota_overrides ELSE"
		"      (quota_overrides || coalesce((SELECT jsonb_object_agg(key, value) FROM jsonb_each($8)"
		"                                    WHERE value <> '\"default\"'), '{}'))"
		"      - coalesce((SELECT array_agg(key) FROM jsonb_each($8)"
		"                  WHERE value = '\"default\"'), '{}') END,"
		"  updated_at = now()"
		" WHERE id = $1",
		.nargs = 8, .argtypes = {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, JSONBOID, JSONBOID},
	};
	char	   *status = ffrtmp_text_arg(fcinfo, 2);
	TenantFacts tenant;
	Datum		values[8];
	char		nulls[8];
	Datum		before;
	bool		before_isnull;

	if (status && strcmp(status, "active") != 0 && strcmp(status, "suspended") != 0 &&
		strcmp(status, "expired") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid tenant status \"%s\"", ffrtmp_echo(status)),
				 errhint("Use active, suspended or expired; delete_tenant() deletes.")));
	if (!PG_ARGISNULL(1))
		ffrtmp_check_text_bytes("plan", ffrtmp_text_arg(fcinfo, 1), PLAN_MAX_BYTES);
	check_tenant_texts(fcinfo, 3, 6);
	if (!PG_ARGISNULL(7))
		ffrtmp_check_quotas(PG_GETARG_JSONB_P(7));

	SPI_connect();
	tenant = tenant_for_change(fcinfo, "update tenants");
	if (tenant.deleted)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("tenant \"%s\" is deleted", tenant.name),
				 errhint("Restore it first with ffrtmp.restore_tenant('%s').", tenant.name)));
	if (status && strcmp(status, "active") != 0)
		refuse_for_default(&tenant, status);
	if (!PG_ARGISNULL(5) && !TIMESTAMP_IS_NOEND(PG_GETARG_TIMESTAMPTZ(5)))
		refuse_for_default(&tenant, "given an expiry time");
	if (!PG_ARGISNULL(1))
		check_plan(ffrtmp_text_arg(fcinfo, 1));

	before = ffrtmp_audit_tenant_before(&tenant.id, &before_isnull);
	values[0] = UUIDPGetDatum(&tenant.id);
	nulls[0] = ' ';
	for (int i = 1; i < 8; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	ffrtmp_run(&update, values, nulls);
	ffrtmp_audit_tenant("tenant.update", &tenant.id, before, before_isnull);
	/* A plan or quota raised (or the tenant active again) may let queued jobs run now. */
	ffrtmp_wake_scheduler_at_commit();
	ffrtmp_context_reset();
	PG_RETURN_DATUM(return_tenant(fcinfo, &tenant.id));
}

/*
 * Soft delete and restore only stamp deleted_at: every row stays, and the
 * tenant's users are locked out by current_tenant() while it is set.
 * Both are idempotent.
 */
static Datum
set_deleted(FunctionCallInfo fcinfo, bool deleted)
{
	static KeptQuery stamp = {
		.sql = "UPDATE ffrtmp_data.tenants"
		" SET deleted_at = CASE WHEN $2 THEN now() END, updated_at = now()"
		" WHERE id = $1 AND (deleted_at IS NOT NULL) <> $2",
		.nargs = 2, .argtypes = {UUIDOID, BOOLOID},
	};
	TenantFacts tenant;
	Datum		values[2];
	Datum		before;
	bool		before_isnull;

	SPI_connect();
	tenant = tenant_for_change(fcinfo, deleted ? "delete tenants" : "restore tenants");
	if (deleted)
		refuse_for_default(&tenant, "deleted");
	before = ffrtmp_audit_tenant_before(&tenant.id, &before_isnull);
	values[0] = UUIDPGetDatum(&tenant.id);
	values[1] = BoolGetDatum(deleted);
	ffrtmp_run(&stamp, values, NULL);
	/* Both are idempotent: a call that changed nothing writes no row. */
	if (SPI_processed > 0)
	{
		ffrtmp_audit_tenant(deleted ? "tenant.delete" : "tenant.restore", &tenant.id, before, before_isnull);
		/* A restored tenant's queued jobs may run again. */
		if (!deleted)
			ffrtmp_wake_scheduler_at_commit();
	}
	ffrtmp_context_reset();
	return return_tenant(fcinfo, &tenant.id);
}

PG_FUNCTION_INFO_V1(ffrtmp_delete_tenant);
Datum
ffrtmp_delete_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(set_deleted(fcinfo, true));
}

PG_FUNCTION_INFO_V1(ffrtmp_restore_tenant);
Datum
ffrtmp_restore_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(set_deleted(fcinfo, false));
}
