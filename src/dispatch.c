/*
 * dispatch.c: one dispatch pass, set-based.
 *
 * 1. Free capacity: online nodes with free slots, and the CPU cores and GPUs
 *    their assigned and running jobs leave free.
 * 2. Candidates, fairest first (start-time fair queueing): every tenant has a
 *    virtual time, its dispatched jobs divided by its weight, and the system
 *    has one, the clock (ffrtmp_data.dispatch_clock): the least virtual time
 *    of the tenants with runnable jobs at the last pass.  A tenant that was
 *    idle or paused starts from the clock, so idling earns no burst.  A
 *    tenant's k-th runnable job has the key vtime + k / weight, so the tenant
 *    furthest below its weighted share goes first.  Within a tenant, jobs
 *    rank by queue (live, then default, then batch), then by priority, then
 *    age: the queue decides which of the tenant's jobs use its share, never
 *    how large the share is.  A job that has waited longer than
 *    ffrtmp.queue_max_wait goes before all of them, oldest first, so that
 *    neither a queue nor a stream of higher priorities starves it for ever.  Jobs that would take a tenant past a quota that
 *    dispatch takes (CPU cores and GPUs: see the table in quota_checks.c) are
 *    left out, and so are jobs that a dispatch pause (ffrtmp.pause_dispatch,
 *    dispatch_pauses.c) holds: they stay queued, in their place.
 * 3. Matching, in C: each candidate in order takes a node that fits it, its
 *    tenant's dedicated nodes first, then the shared pool.  Dedicated nodes
 *    never run another tenant's job; GPU jobs only go to nodes with free GPUs;
 *    a job goes only to a node offering every encoder it needs
 *    (ffrtmp_data.job_encoders, the rule the worker encodes by; a node that
 *    listed no encoders, registered by hand, is not asked).  A batch job
 *    leaves ffrtmp.live_reserve free slots in the shared pool for live and
 *    default work that may come (a batch job promoted by its wait does not).
 * 4. One UPDATE assigns every matched job (the state trigger moves the usage
 *    counters and records the events), and one NOTIFY per node with work,
 *    carrying no tenant data.
 * The statements of steps 2 and 4 are built in dispatch_sql.c.
 *
 * Locks: a pass never waits for a lock a tenant can hold, so that one
 * tenant's open transaction stalls nobody else.  It takes, in this order and
 * each set in key order: the pass lock (an advisory lock in a key space SQL
 * cannot reach: one pass at a time, so two passes can neither deadlock nor
 * both fill one node's free slots), then with SKIP LOCKED the usage rows
 * with pending changes (folded in at once), those of the waiting tenants,
 * the nodes it may fill (KEY SHARE: heartbeats go on, a
 * node cannot be removed, drained or left under the pass) and the jobs it
 * assigns.  What is locked by someone else (a tenant's submit,
 * cancel or retry still open) is left for the next pass.  Holding the usage
 * rows keeps the CPU and GPU quotas exact and lets the state trigger move the
 * counters without waiting.
 *
 * A tenant submitting without pause holds its usage row nearly all the time,
 * a few milliseconds per submit, and SKIP LOCKED alone would never dispatch
 * it.  So the least-served few tenants whose rows were skipped get one more
 * try each, waiting at most ffrtmp.dispatch_lock_wait (10 ms): a busy
 * submitter's row comes free by then, while a tenant idling in a transaction
 * costs each pass at most RETRY_TENANTS such waits.
 */
#include "ffrtmp.h"
#include "dispatch.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"

#define RETRY_TENANTS 4

/* Jobs a pass reads of each waiting tenant at least, before it reads them all. */
#define MIN_TENANT_READS 8

static int	dispatch_lock_wait_ms = 10;
static int	live_reserve = 1;
static int	queue_max_wait_s = 600;

void
ffrtmp_dispatch_init(void)
{
	DefineCustomIntVariable("ffrtmp.dispatch_lock_wait",
							"Longest a dispatch pass waits for a tenant's usage row that another transaction holds.",
							"Up to 4 such tenants per pass, least served first; 0 only skips them until a later pass.",
							&dispatch_lock_wait_ms, 10, 0, 60000, PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.live_reserve",
							"Free slots of the shared pool that batch jobs leave for live and default jobs.",
							"A batch job takes a shared node's slot only while more than this many shared slots are free; 0 lets batch fill the pool.",
							&live_reserve, 1, 0, 1024, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.queue_max_wait",
							"Longest a job waits behind its tenant's jobs of earlier queues before it ranks with live jobs.",
							"Within a tenant, live jobs go before default before batch; jobs runnable for longer than this go before all of them, oldest first, and may use the live reserve.  0: never.",
							&queue_max_wait_s, 600, 0, 7 * 86400, PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
}

/* Text array elements as C strings. */
typedef struct Names
{
	int			count;
	char	  **names;
} Names;

typedef struct FreeNode
{
	int64		id;
	bool		dedicated;
	pg_uuid_t	tenant;
	int32		slots;
	int32		cores;
	int32		gpus;
	Names		encoders;
} FreeNode;

static Names
names_from_array(Datum array)
{
	Names		result = {0};
	Datum	   *items;
	bool	   *nulls;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &result.count);
	result.names = palloc(sizeof(char *) * Max(result.count, 1));
	for (int i = 0; i < result.count; i++)
		result.names[i] = nulls[i] ? "" : TextDatumGetCString(items[i]);
	return result;
}

/* Whether the node offers every encoder in need; a node that listed none is not asked. */
static bool
offers(const FreeNode *node, const Names *need)
{
	if (node->encoders.count == 0)
		return true;
	for (int i = 0; i < need->count; i++)
	{
		bool		found = false;

		for (int k = 0; k < node->encoders.count && !found; k++)
			found = strcmp(node->encoders.names[k], need->names[i]) == 0;
		if (!found)
			return false;
	}
	return true;
}

static bool
fits(const FreeNode *node, int32 cores, int32 gpus, const Names *encoders)
{
	return node->slots > 0 && node->cores >= cores && node->gpus >= gpus && offers(node, encoders);
}

static bool
same_tenant(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN) == 0;
}

/*
 * The node a job should take: among the fitting nodes dedicated to tenant (or
 * in the shared pool when tenant is NULL), the one with the fewest free GPUs,
 * so that CPU jobs leave GPU nodes to GPU jobs; then the one with the most
 * free slots, so that work spreads: a node fetches and starts its jobs one
 * call after another, and a job given to a node with nothing to do starts at
 * once instead of behind that node's other new jobs; then the fewest free
 * cores.
 */
static FreeNode *
best_fit(FreeNode *nodes, int count, const pg_uuid_t *tenant, int32 cores, int32 gpus, const Names *encoders)
{
	FreeNode   *best = NULL;

	for (int i = 0; i < count; i++)
	{
		FreeNode   *node = &nodes[i];

		if (node->dedicated != (tenant != NULL) ||
			(tenant != NULL && !same_tenant(&node->tenant, tenant)) || !fits(node, cores, gpus, encoders))
			continue;
		if (best == NULL || node->gpus < best->gpus ||
			(node->gpus == best->gpus && node->slots > best->slots) ||
			(node->gpus == best->gpus && node->slots == best->slots && node->cores < best->cores))
			best = node;
	}
	return best;
}

static ArrayType *
int64_array(int64 *values, int count)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(count, 1));

	for (int i = 0; i < count; i++)
		datums[i] = Int64GetDatum(values[i]);
	return construct_array(datums, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

static ArrayType *
uuid_array(pg_uuid_t *values, int count)
{
	Datum	   *datums = palloc(sizeof(Datum) * Max(count, 1));

	for (int i = 0; i < count; i++)
		datums[i] = UUIDPGetDatum(&values[i]);
	return construct_array(datums, count, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

/*
 * Moves the fair-share clock to the least virtual time, after this pass, of
 * the tenants that had candidates (tenants $1; $2 the clock as the pass read
 * it).  A tenant whose jobs could not be read (none runnable, all paused,
 * none within its quota, or it had none at all) holds the clock back no
 * more: when it has runnable jobs again, it starts from the clock (its own
 * virtual time if later), so that neither idling nor a pause earns a burst.
 * A tenant waiting throughout is never behind the clock, so it loses nothing.
 */
static void
advance_clock(pg_uuid_t *tenants, int count, double floor)
{
	static KeptQuery clock = {
		.sql = "UPDATE ffrtmp_data.dispatch_clock c"
		"   SET vtime = m.vtime"
		"  FROM (SELECT min(greatest(u.vtime, $2)) AS vtime FROM ffrtmp_data.usage u WHERE u.tenant_id = ANY ($1)) m"
		" WHERE c.id = true AND m.vtime > c.vtime",
		.nargs = 2, .argtypes = {UUIDARRAYOID, FLOAT8OID},
	};
	Datum		values[2];

	if (count == 0)
		return;
	values[0] = PointerGetDatum(uuid_array(tenants, count));
	values[1] = Float8GetDatum(floor);
	ffrtmp_run(&clock, values, NULL);
}

/* Takes the pass lock until the end of the transaction, unless another pass holds it. */
static bool
try_pass_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PROTOCOL_LOCK_KEY1, PROTOCOL_PASS_LOCK, PROTOCOL_LOCK_SPACE);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * Tries to lock a tenant's usage row, waiting at most dispatch_lock_wait, in
 * a subtransaction so that a timeout costs nothing else.  Returns whether the
 * row is now locked.
 */
static bool
lock_usage_briefly(Datum tenant)
{
	static KeptQuery lock = {
		.sql = "SELECT 1 FROM ffrtmp_data.usage WHERE tenant_id = $1 FOR NO KEY UPDATE",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		locked = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		int			guc_level = NewGUCNestLevel();
		char		timeout[32];

		snprintf(timeout, sizeof(timeout), "%dms", dispatch_lock_wait_ms);
		(void) set_config_option("lock_timeout", timeout, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		ffrtmp_run(&lock, &tenant, NULL);
		locked = SPI_processed == 1;
		AtEOXact_GUC(true, guc_level);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *error;

		MemoryContextSwitchTo(context);
		error = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
		if (error->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(error);
		FreeErrorData(error);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	CurrentResourceOwner = owner;
	return locked;
}

/*
 * Folds what jobs gave back (ffrtmp_data.pending_usage) into the usage rows
 * of the tenants nobody else holds, locked in tenant order and kept to the
 * end of the pass, so that the quota filter reads exact counts for them.  A
 * held row keeps its pending changes, for the next pass or its holder.
 */
static void
fold_pending_usage(void)
{
	static KeptQuery lock = {
		.sql = "SELECT array_agg(l.tenant_id ORDER BY l.tenant_id) FROM ("
		"  SELECT u.tenant_id FROM ffrtmp_data.usage u"
		"   WHERE u.tenant_id IN (SELECT p.tenant_id FROM ffrtmp_data.pending_usage p)"
		"   ORDER BY u.tenant_id FOR NO KEY UPDATE SKIP LOCKED) l",
		.nargs = 0,
	};
	/* A statement of its own: its snapshot is taken under the locks. */
	static KeptQuery fold = {
		.sql = "SELECT ffrtmp_data.fold_pending_usage($1)",
		.nargs = 1, .argtypes = {UUIDARRAYOID},
	};
	Datum		tenants;
	bool		isnull;

	/* Release 0.1's trigger updates the rows itself: nothing is ever pending. */
	if (!ffrtmp_sql_is_0_2())
		return;
	ffrtmp_run(&lock, NULL, NULL);
	tenants = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return;
	tenants = SPI_datumTransfer(tenants, false, -1);
	ffrtmp_run(&fold, &tenants, NULL);
}

/*
 * Locks the usage rows of the tenants with runnable work: every row nobody
 * else holds, then, waiting briefly, the rows of the least-served few that
 * someone held (each set in tenant order, like every lock of a pass).  A
 * tenant paused as a whole is not waiting: a pass never waits for its row,
 * which its submits may hold while it loads work to resume at once.
 */
static void
lock_waiting_tenants(bool pauses)
{
	static KeptQuery skipped[2] = {
		{.nargs = 1, .argtypes = {INT4OID}},
		{.nargs = 1, .argtypes = {INT4OID}},
	};
	Datum		limit = Int32GetDatum(RETRY_TENANTS);
	Datum		tenants[RETRY_TENANTS];
	int			count;
	bool		isnull;

	if (dispatch_lock_wait_ms == 0)
		return;					/* the candidates query locks what is free */
	if (skipped[pauses].sql == NULL)
	{
		StringInfoData sql;

		initStringInfo(&sql);
		appendStringInfoString(&sql,
							   "WITH w AS ("
							   "  SELECT u.tenant_id, u.vtime"
							   "    FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = u.tenant_id"
							   "   WHERE u.queued_jobs > 0 AND l.effective_status = 'active' AND NOT ");
		ffrtmp_dispatch_append_paused(&sql, pauses, "u.tenant_id", "NULL");
		appendStringInfoString(&sql,
							   "),"
							   " locked AS ("
							   "  SELECT u.tenant_id FROM ffrtmp_data.usage u"
							   "   WHERE u.tenant_id IN (SELECT tenant_id FROM w)"
							   "   ORDER BY u.tenant_id FOR NO KEY UPDATE SKIP LOCKED)"
							   " SELECT s.tenant_id FROM ("
							   "  SELECT w.tenant_id FROM w"
							   "   WHERE NOT EXISTS (SELECT 1 FROM locked WHERE locked.tenant_id = w.tenant_id)"
							   "   ORDER BY w.vtime, w.tenant_id LIMIT $1) s"
							   " ORDER BY s.tenant_id");
		skipped[pauses].sql = ffrtmp_kept_sql(&sql);
	}
	ffrtmp_run(&skipped[pauses], &limit, NULL);
	count = (int) SPI_processed;
	for (int i = 0; i < count; i++)
		tenants[i] = SPI_datumTransfer(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull),
									   false, UUID_LEN);
	for (int i = 0; i < count; i++)
		(void) lock_usage_briefly(tenants[i]);
}

/*
 * Matches the candidates of SPI_tuptable, in order, to nodes (their free
 * capacity taken as they go) until every free slot has a job; returns the
 * number matched, the jobs and their nodes; limit: the most candidates the
 * query returns.  *complete: whether reading only
 * t.reads jobs of each tenant changed nothing, that is, whether no job a
 * tenant had beyond them could have ranked before a candidate looked at (its
 * fairness key next_key, column 9, below that of the last one looked at), or
 * filled a slot left free when the candidates ran out.
 */
static int
match(FreeNode *nodes, int node_count, int free_slots, int shared_free, int limit, int64 *jobs,
	  int64 *job_nodes, bool *complete)
{
	TupleDesc	desc = SPI_tuptable->tupdesc;
	double		horizon = get_float8_infinity();
	double		last_key = -get_float8_infinity();
	int			matched = 0;
	uint64		c;
	bool		isnull;

	for (c = 0; c < SPI_processed; c++)
	{
		Datum		next_key = SPI_getbinval(SPI_tuptable->vals[c], desc, 9, &isnull);

		if (!isnull)
			horizon = Min(horizon, DatumGetFloat8(next_key));
	}
	for (c = 0; c < SPI_processed && matched < free_slots; c++)
	{
		HeapTuple	row = SPI_tuptable->vals[c];
		pg_uuid_t	tenant = *DatumGetUUIDP(SPI_getbinval(row, desc, 2, &isnull));
		int32		cores = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
		int32		gpus = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
		int32		queue_rank = DatumGetInt32(SPI_getbinval(row, desc, 6, &isnull));
		bool		gone;
		Datum		need = SPI_getbinval(row, desc, 7, &gone);
		Names		encoders;
		FreeNode   *chosen;

		last_key = DatumGetFloat8(SPI_getbinval(row, desc, 8, &isnull));

		/*
		 * A job_queue row whose job is gone (its encoders, read from the
		 * job's row, are NULL) is no job to give a node: only the jobs
		 * triggers write job_queue, but a row they never saw removed
		 * (triggers disabled, session_replication_role = replica) must not
		 * take the server down at every pass.
		 */
		if (gone)
			continue;
		encoders = names_from_array(need);
		chosen = best_fit(nodes, node_count, &tenant, cores, gpus, &encoders);
		/* Batch work leaves the shared pool's last live_reserve slots free. */
		if (chosen == NULL && (queue_rank < QUEUE_RANK_BATCH || shared_free > live_reserve))
			chosen = best_fit(nodes, node_count, NULL, cores, gpus, &encoders);
		if (chosen == NULL)
			continue;
		if (!chosen->dedicated)
			shared_free--;
		chosen->slots--;
		chosen->cores -= cores;
		chosen->gpus -= gpus;
		jobs[matched] = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		job_nodes[matched] = chosen->id;
		matched++;
	}
	/* Candidates cut at limit in all: the missing jobs rank after the last of them too. */
	*complete = isinf(horizon) ||
		(horizon > last_key && (matched == free_slots || SPI_processed >= (uint64) limit));
	return matched;
}

/*
 * Runs one pass and returns the number of jobs assigned.  epoch: the caller's
 * leadership term, fenced by ffrtmp_require_epoch() (an error when it is no
 * longer current); 0 for a pass of no term (an administrator's by hand).
 * Returns 0 at once when another pass is running.  SPI must be connected.
 */
int
ffrtmp_dispatch(int64 epoch)
{
	/* [release 0.1's SQL, which has no job_leases][0.2's] */
	static KeptQuery free_nodes[2] = {
		{.sql = "SELECT n.id, n.tenant_id,"
			"       n.slots - coalesce(h.jobs, 0)::integer,"
			"       n.cpu_cores - coalesce(h.cores, 0)::integer,"
			"       n.gpus - coalesce(h.gpus, 0)::integer, n.encoders"
			"  FROM ffrtmp_data.nodes n"
			"  LEFT JOIN LATERAL (SELECT count(*) AS jobs, sum(j.cpu_cores) AS cores, sum(j.gpus) AS gpus"
			"                       FROM ffrtmp_data.jobs j"
			"                      WHERE j.node_id = n.id AND j.state IN ('" JOB_ASSIGNED "', '" JOB_RUNNING "', '" JOB_PAUSED "')) h ON true"
			" WHERE n.state = '" NODE_STATE_ONLINE "' AND n.slots > coalesce(h.jobs, 0)"
			" ORDER BY n.id"
			"   FOR KEY SHARE OF n SKIP LOCKED"},
		{.sql = "SELECT n.id, n.tenant_id,"
			"       n.slots - coalesce(h.jobs, 0)::integer,"
			"       n.cpu_cores - coalesce(h.cores, 0)::integer,"
			"       n.gpus - coalesce(h.gpus, 0)::integer, n.encoders"
			"  FROM ffrtmp_data.nodes n"
			"  LEFT JOIN LATERAL (SELECT count(*) AS jobs, sum(l.cpu_cores) AS cores, sum(l.gpus) AS gpus"
			"                       FROM ffrtmp_data.job_leases l WHERE l.node_id = n.id) h ON true"
			" WHERE n.state = '" NODE_STATE_ONLINE "' AND n.slots > coalesce(h.jobs, 0)"
			" ORDER BY n.id"
			"   FOR KEY SHARE OF n SKIP LOCKED"},
	};
	static KeptQuery candidates[2] = {
		{.nargs = 5, .argtypes = {INT4OID, INT8OID, INT4OID, INT4OID, INT4OID}},
		{.nargs = 5, .argtypes = {INT4OID, INT8OID, INT4OID, INT4OID, INT4OID}},
	};
	static KeptQuery advance = {
		.sql = "UPDATE ffrtmp_data.usage u"
		"   SET vtime = greatest(u.vtime, $2) + d.n::float8 / l.weight"
		"  FROM (SELECT tenant_id, count(*) AS n FROM ffrtmp_data.jobs WHERE id = ANY ($1) GROUP BY tenant_id) d"
		"  JOIN ffrtmp_data.tenant_limits l ON l.tenant_id = d.tenant_id"
		" WHERE u.tenant_id = d.tenant_id",
		.nargs = 2, .argtypes = {INT8ARRAYOID, FLOAT8OID},
	};
	static KeptQuery assign[2] = {
		{.nargs = 2, .argtypes = {INT8ARRAYOID, INT8ARRAYOID}},
		{.nargs = 2, .argtypes = {INT8ARRAYOID, INT8ARRAYOID}},
	};
	static KeptQuery notify = {
		.sql = "SELECT pg_notify('" PROTOCOL_CHANNEL_PREFIX "' || n, '') FROM (SELECT DISTINCT unnest($1::bigint[])) AS d(n)",
		.nargs = 1, .argtypes = {INT8ARRAYOID},
	};
	FreeNode   *nodes;
	FreeNode   *capacity;
	int			node_count;
	int			free_slots = 0;
	int			shared_free = 0;
	int64	   *jobs;
	int64	   *job_nodes;
	int			matched = 0;
	Datum		values[5];
	bool		isnull;
	int			assigned = 0;
	double		floor = 0;
	bool		pauses;
	pg_uuid_t  *waiting;
	int			waiting_count;

	/* A stale leader is refused; another pass at work will do this one's work. */
	ffrtmp_require_epoch(epoch);
	if (!try_pass_lock())
		return 0;
	fold_pending_usage();
	pauses = ffrtmp_sql_is_0_2();
	ffrtmp_run(&free_nodes[pauses], NULL, NULL);
	node_count = (int) SPI_processed;
	if (node_count == 0)
		return 0;
	nodes = palloc(sizeof(FreeNode) * node_count);
	for (int i = 0; i < node_count; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		shared_pool;
		Datum		tenant = SPI_getbinval(row, desc, 2, &shared_pool);

		nodes[i].id = DatumGetInt64(SPI_getbinval(row, desc, 1, &isnull));
		nodes[i].dedicated = !shared_pool;
		if (!shared_pool)
			nodes[i].tenant = *DatumGetUUIDP(tenant);
		nodes[i].slots = DatumGetInt32(SPI_getbinval(row, desc, 3, &isnull));
		nodes[i].cores = DatumGetInt32(SPI_getbinval(row, desc, 4, &isnull));
		nodes[i].gpus = DatumGetInt32(SPI_getbinval(row, desc, 5, &isnull));
		nodes[i].encoders = names_from_array(SPI_getbinval(row, desc, 6, &isnull));
		free_slots += nodes[i].slots;
		if (shared_pool)
			shared_free += nodes[i].slots;
	}

	lock_waiting_tenants(pauses);

	/*
	 * Enough candidates to fill every slot even when some fit no free node:
	 * first from a fair share of each tenant's jobs, then, when a tenant cut
	 * short could have had more of them (few tenants waiting, or one far
	 * behind the others), from every tenant's free_slots first jobs.
	 */
	if (candidates[pauses].sql == NULL)
		candidates[pauses].sql = ffrtmp_dispatch_candidates_sql(pauses);
	jobs = palloc(sizeof(int64) * Max(free_slots, 1));
	job_nodes = palloc(sizeof(int64) * Max(free_slots, 1));
	capacity = palloc(sizeof(FreeNode) * node_count);
	memcpy(capacity, nodes, sizeof(FreeNode) * node_count);
	for (int reads = MIN_TENANT_READS;; reads = free_slots)
	{
		bool		complete;

		values[0] = Int32GetDatum(free_slots);
		values[1] = Int64GetDatum(ffrtmp_current_minute());
		values[2] = Int32GetDatum(free_slots * 4);
		values[3] = Int32GetDatum(queue_max_wait_s);
		values[4] = Int32GetDatum(reads);
		ffrtmp_run(&candidates[pauses], values, NULL);
		memcpy(nodes, capacity, sizeof(FreeNode) * node_count);
		matched = match(nodes, node_count, free_slots, shared_free, free_slots * 4, jobs, job_nodes, &complete);
		if (complete || reads >= free_slots)
			break;
	}

	waiting_count = (int) SPI_processed;
	waiting = palloc(sizeof(pg_uuid_t) * Max(waiting_count, 1));
	for (int c = 0; c < waiting_count; c++)
	{
		waiting[c] = *DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[c], SPI_tuptable->tupdesc, 2, &isnull));
		floor = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[c], SPI_tuptable->tupdesc, 5, &isnull));
	}
	if (matched == 0)
	{
		if (pauses)
			advance_clock(waiting, waiting_count, floor);
		return 0;
	}

	values[0] = PointerGetDatum(int64_array(jobs, matched));
	values[1] = PointerGetDatum(int64_array(job_nodes, matched));
	if (assign[pauses].sql == NULL)
		assign[pauses].sql = ffrtmp_dispatch_assign_sql(pauses);
	ffrtmp_run(&assign[pauses], values, NULL);
	assigned = (int) SPI_processed;
	if (assigned > 0)
	{
		int64	   *assigned_jobs = palloc(sizeof(int64) * assigned);
		int64	   *notified = palloc(sizeof(int64) * assigned);

		for (int i = 0; i < assigned; i++)
		{
			assigned_jobs[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
			notified[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		}
		values[0] = PointerGetDatum(int64_array(notified, assigned));
		ffrtmp_run(&notify, values, NULL);

		/* Only the jobs really assigned (a locked one was skipped) advance their tenant's time. */
		values[0] = PointerGetDatum(int64_array(assigned_jobs, assigned));
		values[1] = Float8GetDatum(floor);
		ffrtmp_run(&advance, values, NULL);
	}
	if (pauses)
		advance_clock(waiting, waiting_count, floor);
	return assigned;
}

/* ffrtmp.dispatch(): one pass by hand, for administrators or an external scheduler. */
PG_FUNCTION_INFO_V1(ffrtmp_dispatch_pass);
Datum
ffrtmp_dispatch_pass(PG_FUNCTION_ARGS)
{
	int			assigned;

	SPI_connect();
	ffrtmp_require_admin("dispatch jobs");
	assigned = ffrtmp_dispatch(0);
	SPI_finish();
	PG_RETURN_INT32(assigned);
}

/*
 * ffrtmp_data.dispatch_pass(epoch): the pass body itself, under the given
 * leadership term (0: none), in the caller's transaction.  For the scheduler
 * and for tests that race a pass against other sessions.
 */
PG_FUNCTION_INFO_V1(ffrtmp_dispatch_epoch_pass);
Datum
ffrtmp_dispatch_epoch_pass(PG_FUNCTION_ARGS)
{
	int			assigned;

	SPI_connect();
	assigned = ffrtmp_dispatch(PG_GETARG_INT64(0));
	SPI_finish();
	PG_RETURN_INT32(assigned);
}
