/*
 * dispatch_pauses.c: ffrtmp.pause_dispatch() and ffrtmp.resume_dispatch().
 *
 * A pause is a row of ffrtmp_data.dispatch_pauses: (tenant, queue), either
 * NULL meaning "every".  Dispatch (dispatch.c) assigns no queued job that a
 * pause matches; the jobs stay queued, keeping their place and the quota they
 * hold, and jobs already assigned or running are not touched.
 *
 * Who may pause what: administrators any tenant, any queue, or everything
 * (tenant => NULL); a tenant principal its own tenant only (tenant => NULL
 * means its own tenant, and naming another is refused with 42501 by the
 * tenant lookup, which cannot tell it whether that tenant exists).  A pause
 * an administrator made only an administrator ends: a tenant's resume of it
 * is refused (42501), and tenants see "administrator" as who paused.
 *
 * Both calls are idempotent and return whether they changed anything; the
 * row is written under FORCEd row-level security as the table's owner.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

/* The scope a call names: *tenant_is_null for every tenant (administrators only). */
static void
pause_scope(FunctionCallInfo fcinfo, pg_uuid_t *tenant, bool *tenant_is_null, char **queue)
{
	*queue = ffrtmp_text_arg(fcinfo, 1);
	if (*queue)
		ffrtmp_check_queue(*queue);
	*tenant_is_null = PG_ARGISNULL(0) && ffrtmp_caller_admin();
	if (!*tenant_is_null)
		*tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
}

/*
 * An administrator's pause binds tenants: a tenant principal cannot end it
 * (42501), and an administrator pausing what a tenant paused takes the pause
 * over, so that the tenant cannot end that one either.
 */
static void
refuse_admin_pause(Datum *values, const char *nulls)
{
	static KeptQuery by_admin = {
		.sql = "SELECT 1 FROM ffrtmp_data.dispatch_pauses"
		" WHERE tenant_id IS NOT DISTINCT FROM $1 AND queue IS NOT DISTINCT FROM $2 AND by_admin",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};

	ffrtmp_run(&by_admin, values, nulls);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an administrator paused this dispatch"),
				 errhint("Only an administrator can resume it; ask one to call ffrtmp.resume_dispatch.")));
}

static bool
change_pause(FunctionCallInfo fcinfo, bool pause)
{
	static KeptQuery insert = {
		.sql = "INSERT INTO ffrtmp_data.dispatch_pauses (tenant_id, queue, paused_by, by_admin)"
		" VALUES ($1, $2, ffrtmp_data.actor(), $3)"
		" ON CONFLICT ON CONSTRAINT dispatch_pauses_scope_key DO NOTHING",
		.nargs = 3, .argtypes = {UUIDOID, TEXTOID, BOOLOID},
	};
	static KeptQuery take_over = {
		.sql = "UPDATE ffrtmp_data.dispatch_pauses SET by_admin = true, paused_by = ffrtmp_data.actor()"
		" WHERE tenant_id IS NOT DISTINCT FROM $1 AND queue IS NOT DISTINCT FROM $2 AND NOT by_admin",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	static KeptQuery delete = {
		.sql = "DELETE FROM ffrtmp_data.dispatch_pauses"
		" WHERE tenant_id IS NOT DISTINCT FROM $1 AND queue IS NOT DISTINCT FROM $2",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	pg_uuid_t	tenant;
	bool		all_tenants;
	bool		admin;
	char	   *queue;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		changed;
	bool		taken_over = false;

	SPI_connect();
	pause_scope(fcinfo, &tenant, &all_tenants, &queue);
	admin = ffrtmp_caller_admin();
	values[0] = all_tenants ? (Datum) 0 : UUIDPGetDatum(&tenant);
	nulls[0] = all_tenants ? 'n' : ' ';
	values[1] = queue ? CStringGetTextDatum(queue) : (Datum) 0;
	nulls[1] = queue ? ' ' : 'n';
	values[2] = BoolGetDatum(admin);
	if (!pause && !admin)
		refuse_admin_pause(values, nulls);
	ffrtmp_run(pause ? &insert : &delete, values, nulls);
	changed = SPI_processed > 0;
	/* The pause was in force already: still false, but now the administrator's. */
	if (pause && admin && !changed)
	{
		ffrtmp_run(&take_over, values, nulls);
		taken_over = SPI_processed > 0;
	}

	/*
	 * A call that changed nothing writes no row (docs/audit.md), like
	 * delete_tenant or drain_node of one already deleted or draining.  The
	 * scope is the row's tenant (NULL: every tenant, the platform's chain)
	 * and its queue.
	 */
	if (changed || taken_over)
		ffrtmp_audit_write(pause ? "dispatch.pause" : "dispatch.resume",
						   psprintf("dispatch:%s", queue ? queue : "every queue"),
						   all_tenants ? NULL : &tenant,
						   psprintf("{\"queue\": %s, \"by_admin\": %s}", ffrtmp_json_string(queue),
									admin ? "true" : "false"));
	SPI_finish();
	/* A resume may let work run at once. */
	if (changed && !pause)
		ffrtmp_wake_scheduler_at_commit();
	return changed;
}

PG_FUNCTION_INFO_V1(ffrtmp_pause_dispatch);
Datum
ffrtmp_pause_dispatch(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(change_pause(fcinfo, true));
}

PG_FUNCTION_INFO_V1(ffrtmp_resume_dispatch);
Datum
ffrtmp_resume_dispatch(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(change_pause(fcinfo, false));
}
