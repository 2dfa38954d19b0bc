/*
 * nodes.c: registering worker nodes and their heartbeats.
 *
 * A node proves who it is with a session token handed out at registration;
 * only its SHA-256 is stored.  Re-registering under the same name replaces the
 * token, so a worker that was cut off and came back cannot be impersonated by
 * its old session.  Dedicated nodes count against their tenant's max_workers.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#define TOKEN_BYTES 32

static char *
new_session_token(void)
{
	uint8		random_bytes[TOKEN_BYTES];
	char	   *hex = palloc(TOKEN_BYTES * 2 + 1);

	if (!pg_strong_random(random_bytes, sizeof(random_bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a session token"),
				 errhint("Check that the server can read its source of strong random numbers.")));
	hex_encode((const char *) random_bytes, TOKEN_BYTES, hex);
	hex[TOKEN_BYTES * 2] = '\0';
	return hex;
}

static void
check_count(const char *what, FunctionCallInfo fcinfo, int n, int min, int max)
{
	if (!PG_ARGISNULL(n) && (PG_GETARG_INT32(n) < min || PG_GETARG_INT32(n) > max))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d, not %d", what, min, max, PG_GETARG_INT32(n)),
				 errhint("Pass a %s from %d to %d.", what, min, max)));
}

/* register_node's arguments: each bounded, each error naming its argument. */
static void
check_node_args(FunctionCallInfo fcinfo)
{
	char	   *name;
	size_t		len;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name and cpu_cores must not be null"),
				 errhint("Call ffrtmp.register_node('host-name', cpu_cores => 8).")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	len = strlen(name);
	ffrtmp_check_text_bytes("name", name, NODE_NAME_MAX_BYTES);
	if (len == 0 || !isalnum((unsigned char) name[0]) ||
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid node name \"%s\"", ffrtmp_echo(name)),
				 errhint("Use 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit.",
						 NODE_NAME_MAX_BYTES)));
	check_count("cpu_cores", fcinfo, 1, 1, NODE_CPU_CORES_MAX);
	check_count("gpus", fcinfo, 2, 0, NODE_GPUS_MAX);
	check_count("memory_mb", fcinfo, 3, 1, NODE_MEMORY_MB_MAX);
	check_count("slots", fcinfo, 4, 1, NODE_SLOTS_MAX);
	if (!PG_ARGISNULL(5))
		ffrtmp_check_word_array("encoders", PG_GETARG_ARRAYTYPE_P(5), ENCODERS_MAX, ENCODER_NAME_MAX_BYTES);
	if (!PG_ARGISNULL(6))
		ffrtmp_check_json_object("labels", PG_GETARG_JSONB_P(6), LABELS_MAX_BYTES, LABELS_MAX_DEPTH);
	(void) ffrtmp_tenant_arg_text(fcinfo, 7);
}

/*
 * Offline nodes are kept for their history, but not forever: before a new
 * node name of a tenant (or of the shared pool, tenant NULL) is registered,
 * its oldest offline nodes that hold no job go, so that at most
 * OFFLINE_NODES_KEPT remain with the new one.  A node coming back under a
 * name it had is not new and recycles nothing.  A tenant's nodes in any state
 * stay under NODES_PER_TENANT_MAX whatever its plan's max_workers.  Runs
 * under the tenant's usage row lock, so concurrent registrations count
 * right.
 */
static void
bound_registered_nodes(pg_uuid_t *tenant, Datum name, const TenantUsage *usage)
{
	static KeptQuery known = {
		.sql = "SELECT 1 FROM ffrtmp_data.nodes"
		" WHERE (tenant_id = $1 OR (tenant_id IS NULL AND $1::uuid IS NULL)) AND name = $2",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	/* [release 0.1's SQL][0.2's, whose job_leases lists the jobs nodes hold] */
	static KeptQuery recycle[2] = {
		{.sql = "DELETE FROM ffrtmp_data.nodes WHERE id IN ("
			"  SELECT n.id FROM ffrtmp_data.nodes n"
			"   WHERE (n.tenant_id = $1 OR (n.tenant_id IS NULL AND $1::uuid IS NULL))"
			"     AND n.state = '" NODE_STATE_OFFLINE "'"
			"     AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.jobs j"
			"                      WHERE j.node_id = n.id AND j.state IN ('" JOB_ASSIGNED "', '" JOB_RUNNING "', '" JOB_PAUSED "'))"
			"   ORDER BY n.last_heartbeat DESC, n.id DESC OFFSET $2"
			"   FOR UPDATE OF n SKIP LOCKED)",
		.nargs = 2, .argtypes = {UUIDOID, INT4OID}},
		{.sql = "DELETE FROM ffrtmp_data.nodes WHERE id IN ("
			"  SELECT n.id FROM ffrtmp_data.nodes n"
			"   WHERE (n.tenant_id = $1 OR (n.tenant_id IS NULL AND $1::uuid IS NULL))"
			"     AND n.state = '" NODE_STATE_OFFLINE "'"
			"     AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.job_leases l WHERE l.node_id = n.id)"
			"   ORDER BY n.last_heartbeat DESC, n.id DESC OFFSET $2"
			"   FOR UPDATE OF n SKIP LOCKED)",
		.nargs = 2, .argtypes = {UUIDOID, INT4OID}},
	};
	static KeptQuery registered = {
		.sql = "SELECT count(*)::integer FROM ffrtmp_data.nodes WHERE tenant_id = $1",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	Datum		values[2];
	char		nulls[2] = {tenant ? ' ' : 'n', ' '};
	bool		isnull;

	values[0] = tenant ? UUIDPGetDatum(tenant) : (Datum) 0;
	values[1] = name;
	ffrtmp_run(&known, values, nulls);
	if (SPI_processed > 0)
		return;
	values[1] = Int32GetDatum(OFFLINE_NODES_KEPT - 1);
	ffrtmp_run(&recycle[ffrtmp_sql_is_0_2()], values, nulls);
	if (tenant == NULL)
		return;
	ffrtmp_run(&registered, values, NULL);
	if (ffrtmp_get_int32(1, &isnull) >= NODES_PER_TENANT_MAX)
		ffrtmp_require_room(usage, "registered nodes", NODES_PER_TENANT_MAX, NODES_PER_TENANT_MAX,
							"Remove nodes that are gone with ffrtmp.remove_node(); offline ones are recycled by new registrations.");
}

PG_FUNCTION_INFO_V1(ffrtmp_register_node);
Datum
ffrtmp_register_node(PG_FUNCTION_ARGS)
{
	/*
	 * The node's row, when it exists, is locked FOR UPDATE before the upsert
	 * changes it: the upsert alone takes a lock (no key column changes) that
	 * the job calls' fence (ffrtmp_data.hold_session, FOR KEY SHARE, so that
	 * heartbeats never wait for job calls) would not conflict with.  A job
	 * call of the previous session under way is waited for; one that comes
	 * later finds the new token.
	 */
	static KeptQuery hold = {
		.sql = "SELECT 1 FROM ffrtmp_data.nodes"
		" WHERE (tenant_id = $1 OR (tenant_id IS NULL AND $1::uuid IS NULL)) AND name = $2 FOR UPDATE",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	static KeptQuery counted = {
		.sql = "SELECT 1 FROM ffrtmp_data.nodes"
		" WHERE tenant_id = $1 AND name = $2 AND state <> '" NODE_STATE_OFFLINE "'",
		.nargs = 2, .argtypes = {UUIDOID, TEXTOID},
	};
	static KeptQuery upsert = {
		.sql = "INSERT INTO ffrtmp_data.nodes AS n"
		"   (tenant_id, name, cpu_cores, gpus, memory_mb, slots, encoders, labels, token_hash,"
		"    session_pid, session_started)"
		" VALUES ($1, $2, $3, coalesce($4, 0), $5, coalesce($6, 1), coalesce($7, '{}'), coalesce($8, '{}'),"
		"         sha256(convert_to($9, 'UTF8')),"
		"         CASE WHEN $10 THEN pg_backend_pid() END,"
		"         CASE WHEN $10 THEN $11::timestamptz END)"
		" ON CONFLICT ON CONSTRAINT nodes_tenant_name_key DO UPDATE SET"
		"   state = '" NODE_STATE_ONLINE "', cpu_cores = EXCLUDED.cpu_cores, gpus = EXCLUDED.gpus,"
		"   memory_mb = EXCLUDED.memory_mb, slots = EXCLUDED.slots, encoders = EXCLUDED.encoders,"
		"   labels = EXCLUDED.labels, token_hash = EXCLUDED.token_hash,"
		"   session_pid = EXCLUDED.session_pid, session_started = EXCLUDED.session_started,"
		"   last_heartbeat = now(), registered_at = clock_timestamp()"
		" RETURNING n.id",
		.nargs = 11,
		.argtypes = {UUIDOID, TEXTOID, INT4OID, INT4OID, INT4OID, INT4OID, TEXTARRAYOID, JSONBOID, TEXTOID,
		BOOLOID, TIMESTAMPTZOID},
	};
	/* Who registered which node: it receives the tenant's jobs.  Never its token. */
	static KeptQuery audit = {
		.sql = "SELECT ffrtmp_data.audit_node('node.register', NULL, n) FROM ffrtmp_data.nodes n WHERE n.id = $1",
		.nargs = 1, .argtypes = {INT8OID},
	};
	bool		shared_pool;
	pg_uuid_t	tenant;
	TenantUsage usage = {0};
	char	   *token = new_session_token();
	Datum		values[11];
	char		nulls[11];
	bool		isnull;
	TupleDesc	result_desc;
	Datum		result[2];
	bool		result_nulls[2] = {false, false};

	/* protocol_version (0.2): an incompatible worker hears that first. */
	ffrtmp_check_worker_protocol(fcinfo, 9);
	check_node_args(fcinfo);
	ffrtmp_require_home_database("register nodes");
	SPI_connect();

	/* Administrators register shared-pool nodes by naming no tenant. */
	shared_pool = PG_ARGISNULL(7) && ffrtmp_caller_admin();
	if (!shared_pool)
	{
		tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 7));
		usage = ffrtmp_lock_usage(&tenant);
		ffrtmp_require_active_tenant(usage.name, usage.status, "register nodes");
		values[0] = UUIDPGetDatum(&tenant);
		values[1] = PG_GETARG_DATUM(0);
		ffrtmp_run(&counted, values, NULL);
		if (SPI_processed == 0)
			ffrtmp_require_quotas(&usage, QUOTA_AT_NODE);
	}
	bound_registered_nodes(shared_pool ? NULL : &tenant, PG_GETARG_DATUM(0), &usage);

	for (int i = 0; i < 7; i++)
	{
		values[i + 1] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i + 1] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	values[0] = shared_pool ? (Datum) 0 : UUIDPGetDatum(&tenant);
	nulls[0] = shared_pool ? 'n' : ' ';
	values[8] = CStringGetTextDatum(token);
	nulls[8] = ' ';
	values[9] = BoolGetDatum(!PG_ARGISNULL(8) && PG_GETARG_BOOL(8));
	nulls[9] = ' ';
	/* This session's start, as pg_stat_activity shows it to the scheduler. */
	values[10] = TimestampTzGetDatum(MyStartTimestamp);
	nulls[10] = ' ';
	/*
	 * registered_at is the clock once the row is held (SET is computed after
	 * the conflicting row is locked): a job call of the previous session that
	 * held the row (ffrtmp_data.hold_session) has committed by then, and
	 * stamped its start earlier, so a heartbeat tells that session's attempts
	 * from the new session's by started_at < registered_at.
	 */
	ffrtmp_run(&hold, values, nulls);
	ffrtmp_run(&upsert, values, nulls);

	result[0] = ffrtmp_get_datum(1, &isnull);
	result[1] = CStringGetTextDatum(token);
	if (ffrtmp_sql_is_0_2())
		ffrtmp_run(&audit, &result[0], NULL);
	/* A node that joins or comes back online offers its slots at once. */
	ffrtmp_wake_scheduler_at_commit();
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "register_node must return a row");
	SPI_finish();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(result_desc), result, result_nulls)));
}

PG_FUNCTION_INFO_V1(ffrtmp_node_heartbeat);
Datum
ffrtmp_node_heartbeat(PG_FUNCTION_ARGS)
{
	static KeptQuery beat = {
		.sql = "UPDATE ffrtmp_data.nodes SET last_heartbeat = now(),"
		"   session_pid = CASE WHEN session_pid IS NOT NULL THEN pg_backend_pid() END,"
		"   session_started = CASE WHEN session_pid IS NOT NULL THEN $3::timestamptz END"
		" WHERE id = $1 AND token_hash = sha256(convert_to($2, 'UTF8'))"
		" RETURNING state",
		.nargs = 3, .argtypes = {INT8OID, TEXTOID, TIMESTAMPTZOID},
	};
	static KeptQuery authenticate = {
		.sql = "SELECT ffrtmp_data.authenticated_node($1, $2)",
		.nargs = 2, .argtypes = {INT8OID, TEXTOID},
	};
	static KeptQuery end_lost = {
		.sql = "SELECT ffrtmp_data.end_lost_sessions()",
		.nargs = 0,
	};
	static KeptQuery record_progress = {
		.sql = "SELECT ffrtmp_data.record_node_progress($1, $2)",
		.nargs = 2, .argtypes = {INT8OID, JSONBOID},
	};
	/*
	 * Both queries lock every row before the first attempt ends: locked
	 * lazily, a second job of the same tenant would find its usage row
	 * already changed by this statement's first fail_attempt and be skipped
	 * (until the next heartbeat).  An attempt is the previous session's when
	 * it started before the node registered again: started_at (the clock at
	 * start_job), or, once the attempt was paused (resume_job moves
	 * started_at later by the time paused), its first running event, stamped
	 * with start_job's transaction start.
	 */
	/*
	 * [release 0.1's SQL][0.2's]: the node's jobs are read from job_leases
	 * under 0.2, whose jobs has no index by node; their state is checked
	 * again on the locked row.
	 */
#define NODE_JOBS_0_1 "         SELECT j.id FROM ffrtmp_data.jobs j"
#define NODE_JOBS_0_2 "         SELECT j.id FROM ffrtmp_data.job_leases h JOIN ffrtmp_data.jobs j ON j.id = h.job_id"
#define FORGET(node_jobs) \
		{.sql = "SELECT ffrtmp_data.fail_attempt(f.id, '" JOB_FAILED "', '" FAILURE_PLATFORM_ERROR_NAME "'," \
			"                                     'the node no longer runs this attempt')" \
			"  FROM unnest((SELECT array_agg(l.id ORDER BY l.id) FROM (" \
			node_jobs \
			"           JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id" \
			"          WHERE j.node_id = $1 AND j.state IN ('" JOB_RUNNING "', '" JOB_PAUSED "') AND NOT (j.id = ANY ($2))" \
			"          ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED) l)) AS f(id)", \
		.nargs = 2, .argtypes = {INT8OID, INT8ARRAYOID}}
#define ORPHANED(node_jobs) \
		{.sql = "SELECT ffrtmp_data.fail_attempt(f.id, '" JOB_FAILED "', '" FAILURE_PLATFORM_ERROR_NAME "'," \
			"                                     'the node registered again and its new session does not list this attempt')" \
			"  FROM unnest((SELECT array_agg(l.id ORDER BY l.id) FROM (" \
			node_jobs \
			"           JOIN ffrtmp_data.nodes n ON n.id = j.node_id" \
			"           JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id" \
			"          WHERE j.node_id = $1 AND j.state IN ('" JOB_RUNNING "', '" JOB_PAUSED "')" \
			"            AND least(j.started_at, (SELECT min(e.at) FROM ffrtmp_data.job_events e" \
			"                                      WHERE e.job_id = j.id AND e.attempt = j.attempt" \
			"                                        AND e.to_state = '" JOB_RUNNING "'" \
			"                                        AND EXISTS (SELECT 1 FROM ffrtmp_data.job_events p" \
			"                                                     WHERE p.job_id = j.id AND p.attempt = j.attempt" \
			"                                                       AND p.to_state = '" JOB_PAUSED "'))) < n.registered_at" \
			"          ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED) l)) AS f(id)", \
		.nargs = 1, .argtypes = {INT8OID}}
	static KeptQuery forget[2] = {FORGET(NODE_JOBS_0_1), FORGET(NODE_JOBS_0_2 " AND h.node_id = $1")};
	static KeptQuery orphaned[2] = {ORPHANED(NODE_JOBS_0_1), ORPHANED(NODE_JOBS_0_2 " AND h.node_id = $1")};
	Datum		values[3];
	char		nulls[3] = {PG_ARGISNULL(0) ? 'n' : ' ', PG_ARGISNULL(1) ? 'n' : ' ', ' '};
	text	   *state;

	if (!PG_ARGISNULL(2))
		ffrtmp_check_array_length("running_jobs", PG_GETARG_ARRAYTYPE_P(2), RUNNING_JOBS_MAX);
	values[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	values[2] = TimestampTzGetDatum(MyStartTimestamp);
	SPI_connect();

	/*
	 * The node-token fence every worker call goes through (it refuses a null,
	 * oversized, stale or unknown token, each the same way everywhere).  The
	 * update checks the token again so that a registration committed in
	 * between cannot have its session binding moved to this stale session;
	 * should it find no row, the fence says why.
	 */
	ffrtmp_run(&authenticate, values, nulls);
	ffrtmp_run(&beat, values, nulls);
	if (SPI_processed == 0)
	{
		ffrtmp_run(&authenticate, values, nulls);
		elog(ERROR, "node %lld changed its session token during a heartbeat", (long long) PG_GETARG_INT64(0));
	}
	state = cstring_to_text(ffrtmp_get_text(1));

	/*
	 * Jobs the database believes run on this node but the node no longer
	 * lists (its child crashed and it forgot them, say) end their attempt.
	 * fail_attempt is in the extension; it is called only from here and recovery.
	 * A heartbeat without a list vouches only for the attempts its own
	 * session started: those a previous session of the node started (before
	 * the node registered again) have no owner left, since no caller lists
	 * them, so they end too; an attempt's start is its first running event,
	 * since resume_job moves started_at later by the time paused.  (A worker
	 * that registers again while its jobs
	 * run lists them, and keeps them.)  A job or usage row locked by someone
	 * else (a tenant's open cancel, say) is skipped until a later heartbeat:
	 * a heartbeat never waits for a tenant.
	 */
	if (!PG_ARGISNULL(2))
	{
		values[1] = PG_GETARG_DATUM(2);
		ffrtmp_run(&forget[ffrtmp_sql_is_0_2()], values, NULL);
	}
	else
		ffrtmp_run(&orphaned[ffrtmp_sql_is_0_2()], values, NULL);

	/*
	 * Every live node heartbeats, so lost sessions (session-bound nodes whose
	 * database session is gone) end here too, without the scheduler; after
	 * this node's own work, so that nothing of theirs is held meanwhile.
	 * Release 0.1's SQL (before ALTER EXTENSION UPDATE) has no such step.
	 */
	if (ffrtmp_sql_is_0_2())
		ffrtmp_run(&end_lost, NULL, NULL);

	/*
	 * The running jobs' progress, when the heartbeat carries it (0.2's SQL
	 * declares the argument): one call for all of them instead of a
	 * report_progress each.  Last, on rows this call does not otherwise touch.
	 */
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		values[1] = PG_GETARG_DATUM(3);
		ffrtmp_run(&record_progress, values, NULL);
	}
	state = (text *) SPI_datumTransfer(PointerGetDatum(state), false, -1);
	SPI_finish();
	PG_RETURN_TEXT_P(state);
}

PG_FUNCTION_INFO_V1(ffrtmp_tenant_nodes);
Datum
ffrtmp_tenant_nodes(PG_FUNCTION_ARGS)
{
	static KeptQuery list = {
		.sql = "SELECT id, tenant_id, name, state, cpu_cores, memory_mb, gpus, slots, encoders, labels,"
		" last_heartbeat, registered_at FROM ffrtmp_data.nodes WHERE tenant_id = $1 ORDER BY name",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	pg_uuid_t	tenant;
	Datum		arg;

	SPI_connect();
	tenant = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
	arg = UUIDPGetDatum(&tenant);
	ffrtmp_run(&list, &arg, NULL);
	ffrtmp_return_rows(fcinfo);
	return (Datum) 0;
}
