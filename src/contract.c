/*
 * contract.c: the extension's side of the contract with the worker
 * (common/): the protocol check at registration, and ffrtmp.contract(),
 * which shows the vocabulary this library was built with, so that a test
 * can hold the SQL seed rows (failure_reasons, job_states) and the codes
 * the SQL scripts raise against the same list the worker is built from.
 */
#include "ffrtmp.h"

#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

/* What every ffrtmp-worker names its session (fallback_application_name). */
#define WORKER_APPLICATION_NAME "ffrtmp-worker"

/*
 * Whether the installed SQL is release 0.2's: a new library runs under
 * release 0.1's SQL from the restart until ALTER EXTENSION ffrtmp UPDATE, and
 * must then leave out what 0.2's SQL added.  The mark is a table that 0.2
 * added (two cache lookups, cheap enough for every call).
 */
bool
ffrtmp_sql_is_0_2(void)
{
	Oid			namespace = get_namespace_oid("ffrtmp_data", true);

	return OidIsValid(namespace) && OidIsValid(get_relname_relid("dispatch_pauses", namespace));
}

/*
 * Refuses a worker whose protocol this library cannot serve, before any
 * other check (an incompatible worker may pass its arguments differently).
 * Without a version: a node registered by hand (psql, scripts, tests) passes;
 * a session named ffrtmp-worker is a worker of release 0.1, which predates
 * the exchange and speaks protocol 1.0.  When the installed SQL predates the
 * argument (a new library under 0.1's register_node, before ALTER EXTENSION
 * UPDATE), the call is served as release 0.1 served it.
 */
void
ffrtmp_check_worker_protocol(FunctionCallInfo fcinfo, int arg)
{
	int32		version;
	char		theirs[32];
	char		ours[32];

	if (PG_NARGS() <= arg)
		return;
	if (!PG_ARGISNULL(arg))
		version = PG_GETARG_INT32(arg);
	else if (application_name != NULL && strcmp(application_name, WORKER_APPLICATION_NAME) == 0)
		version = PROTOCOL_VERSION_0_1;
	else
		return;
	if (version > 0 && protocol_compatible(version, PROTOCOL_VERSION))
		return;
	protocol_format(version, theirs, sizeof(theirs));
	protocol_format(PROTOCOL_VERSION, ours, sizeof(ours));
	if (version < PROTOCOL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_PROTOCOL_MISMATCH),
				 errmsg("worker protocol %s is not compatible with this database's protocol %s (ffrtmp %s)",
						theirs, ours, FFRTMP_VERSION),
				 errdetail("Protocols are compatible when their major numbers are equal; a worker that sends no "
						   "protocol version is of release 0.1 and speaks protocol %s.",
						   protocol_format(PROTOCOL_VERSION_0_1, theirs, sizeof(theirs))),
				 errhint("Upgrade ffrtmp-worker on this node to a release that speaks protocol %d.x (ffrtmp %s or later).",
						 PROTOCOL_VERSION / 100, PROTOCOL_RELEASE)));
	ereport(ERROR,
			(errcode(ERRCODE_FFRTMP_PROTOCOL_MISMATCH),
			 errmsg("worker protocol %s is not compatible with this database's protocol %s (ffrtmp %s)",
					theirs, ours, FFRTMP_VERSION),
			 errdetail("Protocols are compatible when their major numbers are equal."),
			 errhint("Upgrade the ffrtmp extension to a release that speaks protocol %d.x: install it on the "
					 "database server, restart the server, then run ALTER EXTENSION ffrtmp UPDATE.",
					 version / 100)));
}

/* "key": "value" with JSON escaping; first says whether a comma goes before. */
static void
add_string(StringInfo out, bool first, const char *key, const char *value)
{
	if (!first)
		appendStringInfoString(out, ", ");
	escape_json(out, key);
	appendStringInfoString(out, ": ");
	escape_json(out, value);
}

static void
add_flag(StringInfo out, const char *key, bool value)
{
	appendStringInfo(out, ", \"%s\": %s", key, value ? "true" : "false");
}

static void
add_failure_reasons(StringInfo out)
{
	appendStringInfoString(out, "\"failure_reasons\": [");
	for (int i = 0; i < FAILURE_REASON_COUNT; i++)
	{
		appendStringInfoString(out, i ? ", {" : "{");
		add_string(out, true, "reason", failure_reasons[i].name);
		add_string(out, false, "counts_against", failure_reason_counts_against(i));
		add_string(out, false, "description", failure_reasons[i].description);
		add_flag(out, "retryable", failure_reasons[i].retryable);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

static void
add_states(StringInfo out)
{
	appendStringInfoString(out, ", \"job_states\": [");
	for (int i = 0; i < JOB_STATE_COUNT; i++)
	{
		appendStringInfoString(out, i ? ", {" : "{");
		add_string(out, true, "state", job_states[i].name);
		add_flag(out, "is_active", job_states[i].is_active);
		add_flag(out, "is_waiting", job_states[i].is_waiting);
		add_flag(out, "holds_node", job_states[i].holds_node);
		add_string(out, false, "description", job_states[i].description);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoString(out, "], \"node_states\": [");
	for (int i = 0; i < NODE_STATE_COUNT; i++)
	{
		if (i)
			appendStringInfoString(out, ", ");
		escape_json(out, node_states[i]);
	}
	appendStringInfoChar(out, ']');
}

static void
add_sqlstates(StringInfo out)
{
	appendStringInfoString(out, ", \"sqlstates\": [");
	for (int i = 0; i < SQLSTATE_COUNT; i++)
	{
		appendStringInfoString(out, i ? ", {" : "{");
		add_string(out, true, "code", sqlstates[i].code);
		add_string(out, false, "name", sqlstates[i].name);
		if (sqlstates[i].http)
			appendStringInfo(out, ", \"http\": %d", sqlstates[i].http);
		else
			appendStringInfoString(out, ", \"http\": null");
		add_flag(out, "raised_by_api", sqlstates[i].raised_by_api);
		add_string(out, false, "meaning", sqlstates[i].meaning);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
}

PG_FUNCTION_INFO_V1(ffrtmp_contract);
Datum
ffrtmp_contract(PG_FUNCTION_ARGS)
{
	StringInfoData out;
	char		version[32];

	initStringInfo(&out);
	appendStringInfo(&out, "{\"protocol_version\": %d, ", PROTOCOL_VERSION);
	add_string(&out, true, "protocol", protocol_format(PROTOCOL_VERSION, version, sizeof(version)));
	add_string(&out, false, "library_version", FFRTMP_VERSION);
	add_string(&out, false, "channel_prefix", PROTOCOL_CHANNEL_PREFIX);
	appendStringInfo(&out, ", \"advisory_lock\": {\"key1\": %d, \"space\": %d, \"leader\": %d, \"pass\": %d}, ",
					 PROTOCOL_LOCK_KEY1, PROTOCOL_LOCK_SPACE, PROTOCOL_LEADER_LOCK, PROTOCOL_PASS_LOCK);
	add_failure_reasons(&out);
	add_states(&out);
	add_sqlstates(&out);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
