/*
 * permission_hook.c: every API function checks its permission, in one place.
 *
 * ffrtmp_data.function_permissions names, for each function of the ffrtmp
 * schema, the permission a caller needs (or NULL: none, for the functions
 * row-level security calls and the internal daemons' calls).  PostgreSQL's
 * fmgr hooks (the ones sepgsql uses) let us run ffrtmp_require_permission()
 * before the body of any function that needs it, whatever its language and
 * however it is called: the planner never inlines a function whose hook is
 * needed.  A function of the ffrtmp schema missing from the table is refused
 * to everyone, so a new API function cannot be forgotten, only fail loudly.
 *
 * Only the outermost API call is checked: an API function calling another
 * (submit_job calling quota checks, say) does so with the permission the
 * caller was checked for, and is not checked again.  That is safe because
 * the code running inside an API call is only its author's: every API
 * function pins search_path = pg_catalog, pg_temp and qualifies every name,
 * so an inner call cannot be redirected to a function the caller chose, and
 * tenant roles may create nothing in the ffrtmp and ffrtmp_data schemas (no
 * function, trigger, operator or cast of theirs runs there).  It would break
 * with an API function that runs caller-supplied SQL or calls a function the
 * caller names (EXECUTE of a caller's string, a regproc argument), or one
 * that leaves search_path unpinned: code of the caller's would then reach any
 * other API function unchecked.
 *
 * needs_fmgr_hook is asked for every function PostgreSQL looks up (not for
 * built-ins), so its answers are kept per backend in a hash, dropped whenever
 * a function or the table changes.
 */
#include "ffrtmp.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/trigger.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

typedef enum Declared
{
	NOT_API,					/* not a function of the ffrtmp schema */
	NO_PERMISSION,				/* declared with a NULL permission */
	NEEDS_PERMISSION,
	UNDECLARED
} Declared;

typedef struct FunctionEntry
{
	Oid			fn_oid;			/* hash key */
	Declared	declared;
	char		permission[NAMEDATALEN];
	char		name[NAMEDATALEN];
} FunctionEntry;

static HTAB *functions = NULL;

/*
 * The API calls under way, innermost last: a check is made only when none
 * is.  END and ABORT pop their own call, found by its FmgrInfo, so that
 * nothing is read from a table while an error unwinds.
 */
#define MAX_OPEN_CALLS 64
static FmgrInfo *open_calls[MAX_OPEN_CALLS];
static int	n_open_calls = 0;
static Oid	function_permissions_relid = InvalidOid;	/* as last read */
static needs_fmgr_hook_type next_needs_fmgr_hook = NULL;
static fmgr_hook_type next_fmgr_hook = NULL;

static void
forget_functions(void)
{
	if (functions)
		hash_destroy(functions);
	functions = NULL;
}

static void
forget_at_function_change(Datum arg, int cacheid, uint32 hashvalue)
{
	forget_functions();
}

/*
 * What the cache holds comes from pg_proc (the syscache callback above) and
 * from function_permissions: only an invalidation of that table (its
 * statement trigger sends one at every change, and ALTER, DROP or a reload
 * of the extension send theirs) or a reset of every relation (relid
 * InvalidOid, after an overflow of the invalidation queue) empties it, not
 * the relcache traffic of every other table.
 */
static void
forget_at_relation_change(Datum arg, Oid relid)
{
	if (!OidIsValid(relid) || relid == function_permissions_relid)
		forget_functions();
}

static void
reset_depth_at_xact_end(XactEvent event, void *arg)
{
	n_open_calls = 0;
}

/*
 * What the table says of fn_oid; entry->declared stays NOT_API if it cannot
 * tell.  A function of ffrtmp_data is declared by its qualified name: the
 * readers behind the views of schema ffrtmp (ffrtmp_data.read_jobs...) are
 * checked like API functions, so a view needs what its reader needs; the
 * other internal functions are no API and are not declared.
 */
static bool
read_declaration(Oid fn_oid, FunctionEntry *entry)
{
	static const char *const columns[] = {"permission"};
	Oid			api_schema = get_namespace_oid("ffrtmp", true);
	Oid			data_schema = get_namespace_oid("ffrtmp_data", true);
	HeapTuple	proc;
	Form_pg_proc form;
	NameData	name;
	Datum		value;
	bool		isnull;
	bool		in_data_schema;

	entry->declared = NOT_API;
	if (!OidIsValid(api_schema) || !OidIsValid(data_schema) || !IsTransactionState())
		return false;
	function_permissions_relid = get_relname_relid("function_permissions", data_schema);
	if (!OidIsValid(function_permissions_relid))
		return false;			/* not installed (yet): nothing to check, nothing to keep */
	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(proc))
		return false;
	form = (Form_pg_proc) GETSTRUCT(proc);
	in_data_schema = form->pronamespace == data_schema;
	if (in_data_schema)
		snprintf(NameStr(name), NAMEDATALEN, "ffrtmp_data.%s", NameStr(form->proname));
	else
		name = form->proname;
	if (form->pronamespace != api_schema && !in_data_schema)
	{
		ReleaseSysCache(proc);
		return true;
	}
	ReleaseSysCache(proc);
	strlcpy(entry->name, NameStr(name), NAMEDATALEN);
	if (!ffrtmp_lookup_row("function_permissions", "function_permissions_pkey", "function", F_NAMEEQ,
						   NameGetDatum(&name), 1, columns, &value, &isnull))
		entry->declared = in_data_schema ? NOT_API : UNDECLARED;
	else if (isnull)
		entry->declared = NO_PERMISSION;
	else
	{
		entry->declared = NEEDS_PERMISSION;
		strlcpy(entry->permission, TextDatumGetCString(value), NAMEDATALEN);
	}
	return true;
}

static FunctionEntry *
declaration(Oid fn_oid)
{
	FunctionEntry *entry;
	FunctionEntry fresh;
	bool		found;

	if (functions)
	{
		entry = hash_search(functions, &fn_oid, HASH_FIND, NULL);
		if (entry)
			return entry;
	}
	fresh.fn_oid = fn_oid;
	if (!read_declaration(fn_oid, &fresh))
		return NULL;
	if (!functions)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(FunctionEntry);
		ctl.hcxt = TopMemoryContext;
		functions = hash_create("ffrtmp function permissions", 256, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(functions, &fn_oid, HASH_ENTER, &found);
	*entry = fresh;
	return entry;
}

static bool
needs_permission_hook(Oid fn_oid)
{
	FunctionEntry *entry = declaration(fn_oid);

	if (entry && (entry->declared == NEEDS_PERMISSION || entry->declared == UNDECLARED))
		return true;
	return next_needs_fmgr_hook ? next_needs_fmgr_hook(fn_oid) : false;
}

/* The check of the outermost API call: its permission, in this session. */
static void
check_outermost(FunctionEntry *entry)
{
	char		permission[NAMEDATALEN];
	char		name[NAMEDATALEN];

	/*
	 * A parallel worker knows the session's role but not the key the
	 * leader authenticated: it cannot check.  Declared functions are
	 * PARALLEL RESTRICTED (29_role_matrix checks), so this is a wall
	 * behind that, for one declared later without it.
	 */
	if (IsParallelWorker())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function %s cannot be checked in a parallel worker", entry->name),
				 errhint("Its author declares it PARALLEL RESTRICTED, like every function needing a permission.")));
	if (entry->declared == UNDECLARED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function ffrtmp.%s declares no permission", entry->name),
				 errhint("Its author adds it to ffrtmp_data.function_permissions; until then nobody may call it.")));

	/*
	 * The check reads the tenant context, which accepts invalidation
	 * messages: one may empty the cache entry points into.  Copy first.
	 */
	strlcpy(permission, entry->permission, sizeof permission);
	strlcpy(name, entry->name, sizeof name);
	ffrtmp_require_permission_for(permission, name);
}

static void
permission_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *arg)
{
	FunctionEntry *entry;

	if (event != FHET_START)
	{
		bool		outermost = n_open_calls == 1 && open_calls[0] == flinfo;

		if (n_open_calls > 0 && open_calls[n_open_calls - 1] == flinfo)
			n_open_calls--;
		if (next_fmgr_hook)
			next_fmgr_hook(event, flinfo, arg);

		/*
		 * ABORT runs inside fmgr_security_definer's PG_CATCH: an error
		 * leaving the outermost call is noted for the server log (a refusal
		 * is not logged, log_refusals.c) and translated for a REST client
		 * there, once, after the other hook's ABORT.
		 */
		if (event == FHET_ABORT && outermost)
		{
			ffrtmp_log_refusals_note();
			ffrtmp_rest_errors_translate(flinfo->fn_mcxt);
		}
		return;
	}
	/* Another hook's START first: if it throws, we have pushed nothing. */
	if (next_fmgr_hook)
		next_fmgr_hook(event, flinfo, arg);
	entry = declaration(flinfo->fn_oid);
	if (!entry || (entry->declared != NEEDS_PERMISSION && entry->declared != UNDECLARED))
		return;
	ffrtmp_rest_errors_prepare();
	if (n_open_calls == 0)
	{
		MemoryContext mcxt = CurrentMemoryContext;

		/* A refusal here gets no ABORT: note and translate it here. */
		PG_TRY();
		{
			check_outermost(entry);
		}
		PG_CATCH();
		{
			ffrtmp_log_refusals_note();
			ffrtmp_rest_errors_translate(mcxt);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	/*
	 * Pushed once the check passed (a refusal here gets no FHET_ABORT), and
	 * for deeper calls too, so that the depth falls back to zero only when
	 * the outermost call ends: calls made inside it are not checked again.
	 */
	if (n_open_calls < MAX_OPEN_CALLS)
		open_calls[n_open_calls++] = flinfo;
}

void
ffrtmp_permission_hook_init(void)
{
	next_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = needs_permission_hook;
	next_fmgr_hook = fmgr_hook;
	fmgr_hook = permission_hook;
	CacheRegisterSyscacheCallback(PROCOID, forget_at_function_change, (Datum) 0);
	CacheRegisterRelcacheCallback(forget_at_relation_change, (Datum) 0);
	RegisterXactCallback(reset_depth_at_xact_end, NULL);
}

/*
 * Statement trigger on function_permissions: a row change sends no
 * invalidation of its own, so make one, for every backend, at commit.
 */
PG_FUNCTION_INFO_V1(ffrtmp_function_permissions_changed);
Datum
ffrtmp_function_permissions_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "ffrtmp_function_permissions_changed: not called as a trigger");
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
