/*
 * scheduler.c: the scheduler background workers and their leader election.
 *
 * The launcher (launcher.c) starts ffrtmp.schedulers workers in the database
 * ffrtmp.database once recovery has finished (so on a primary only), and a
 * worker leaves as soon as it finds the extension not installed there.
 * Exactly one of them leads: the holder of
 * a session-level advisory lock in a key space SQL cannot reach (the
 * pg_advisory_* functions use locktag_field4 1 and 2; we use 3), so no role
 * can squat on the leadership.  Followers retry the lock every tick and so
 * take over within one interval of the leader's death.  Each new leader bumps
 * the epoch in ffrtmp_data.scheduler_state, which fences writes of a leader
 * that lost its lock.
 *
 * Each pass is one or two short transactions (the assignments, then the
 * upkeep: see run_pass()), run with the privileges of the role
 * ffrtmp_scheduler rather than the superuser the worker connects as (on
 * PostgreSQL 15 a background worker can only connect as a role that may log
 * in); the connection's superuser identity only makes it an administrator in
 * the row-level security policies.  The leader waits on its latch, which
 * commits that queue work or free capacity set through shared memory (no
 * NOTIFY: wake.c), and on a timer of ffrtmp.scheduler_interval.
 *
 * Every pass first compares the installed SQL's version with the library's:
 * while they differ (a new library before ALTER EXTENSION ffrtmp UPDATE) the
 * workers make no pass and say so once.
 *
 * This file holds the election, the wake-up and the pass skeleton; dispatch,
 * recovery and pruning are added to run_leader_dispatch() and
 * run_leader_upkeep().
 */
#include "scheduler.h"
#include "shmem.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

/* How long ffrtmp.dispatch() waits for the leader's pass before giving up. */
#define MANUAL_PASS_WAIT_MS 30000

/* Rows an upkeep step prunes or seals at most per pass. */
#define UPKEEP_BATCH 1000

/* What the leader publishes (its latch, passes served) and the launcher's state. */
SchedulerShared *ffrtmp_shared;
#define shared ffrtmp_shared

int			ffrtmp_scheduler_count = 1;
static int	scheduler_interval_ms = 1000;
static int	node_timeout_s = 15;
static int	retention_s = 7 * 24 * 3600;
static int	reject_unrunnable_after_s = 3600;
char	   *ffrtmp_scheduler_database = NULL;

void		ffrtmp_scheduler_main(Datum arg);

static Size
shared_size(void)
{
	return sizeof(SchedulerShared);
}

/* What is not zero: no leader, no launcher, slots starting; the start time. */
static void
init_shared(void)
{
	SpinLockInit(&shared->mutex);
	shared->leader_pgprocno = INVALID_PGPROCNO;
	ConditionVariableInit(&shared->pass_done);
	shared->launcher_pgprocno = INVALID_PGPROCNO;
	for (int i = 0; i < FFRTMP_MAX_SCHEDULERS; i++)
		shared->worker_exit[i] = SCHEDULER_STARTING;
	/*
	 * The postmaster initialises shared memory again after a backend
	 * crash, but pg_postmaster_start_time() keeps the first start: this
	 * is the moment workers lost their sessions, restarts included.
	 */
	shared->started_at = GetCurrentTimestamp();
}

void
ffrtmp_scheduler_init(void)
{
	DefineCustomIntVariable("ffrtmp.schedulers",
							"Number of scheduler background workers (one leads, the others stand by).",
							NULL, &ffrtmp_scheduler_count, 1, 0, FFRTMP_MAX_SCHEDULERS, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.scheduler_interval",
							"Time between scheduler passes when nothing wakes the scheduler earlier.",
							NULL, &scheduler_interval_ms, 1000, 10, 60000, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.node_timeout",
							"A node silent for longer goes offline and its jobs are retried elsewhere.",
							NULL, &node_timeout_s, 15, 1, 3600, PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.retention",
							"Finished jobs and their history older than this are pruned.",
							NULL, &retention_s, 7 * 24 * 3600, 60, INT_MAX, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("ffrtmp.reject_unrunnable_after",
							"A queued job no node can run (CPU cores, GPUs) is rejected after this long without a capable node.",
							"0 never rejects: such jobs wait, reported by ffrtmp.health() and ffrtmp.ready().",
							&reject_unrunnable_after_s, 3600, 0, 30 * 24 * 3600, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomStringVariable("ffrtmp.database",
							   "The one database where the extension may be installed; the scheduler runs there.",
							   NULL, &ffrtmp_scheduler_database, "postgres", PGC_POSTMASTER, 0, NULL, NULL, NULL);

	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = "ffrtmp scheduler",
		.size = shared_size,
		.pointer = (void **) &shared,
		.init = init_shared,
	});
	ffrtmp_wake_init();

	/* The launcher starts the scheduler workers (none when there are none). */
	ffrtmp_register_launcher();
}

/*
 * The leader lock: session-level for a scheduler worker (it leads until it
 * exits), transaction-level for a manual pass (ffrtmp.dispatch()).
 */
static bool
try_leader_lock(bool session)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PROTOCOL_LOCK_KEY1, PROTOCOL_LEADER_LOCK, PROTOCOL_LOCK_SPACE);
	return LockAcquire(&tag, ExclusiveLock, session, true) != LOCKACQUIRE_NOT_AVAIL;
}

/*
 * The extension's oid in this database, or InvalidOid while it is not
 * installed; *version is then its installed version (in SPI memory).
 */
static Oid
installed_extension(char **version)
{
	static KeptQuery installed = {
		.sql = "SELECT oid, extversion FROM pg_catalog.pg_extension WHERE extname = 'ffrtmp'",
	};
	bool		isnull;

	ffrtmp_run(&installed, NULL, NULL);
	if (SPI_processed != 1)
		return InvalidOid;
	*version = ffrtmp_get_text(2);
	return DatumGetObjectId(ffrtmp_get_datum(1, &isnull));
}

/*
 * Whether the installed SQL is the library's version.  During an upgrade the
 * server may run a new library against the old SQL until someone runs ALTER
 * EXTENSION ffrtmp UPDATE (or the other way round, after a downgrade of the
 * package): a pass would then call functions that are missing or differ, so
 * the schedulers make none and look again every interval.  Each change is
 * logged once, whichever scheduler worker sees it first (the flag is shared).
 */
static bool
sql_matches_library(const char *installed)
{
	bool		matches = strcmp(installed, FFRTMP_VERSION) == 0;
	bool		said;

	SpinLockAcquire(&shared->mutex);
	said = shared->said_version_skew;
	shared->said_version_skew = !matches;
	SpinLockRelease(&shared->mutex);
	if (!matches && !said)
		ereport(WARNING,
				(errmsg("ffrtmp scheduler: library %s is loaded but database \"%s\" has ffrtmp %s installed",
						FFRTMP_VERSION, ffrtmp_scheduler_database, installed),
				 errdetail("The scheduler makes no passes (no dispatch, recovery or pruning) until the two match."),
				 errhint("Run ALTER EXTENSION ffrtmp UPDATE in database \"%s\".", ffrtmp_scheduler_database)));
	else if (matches && said)
		ereport(LOG,
				(errmsg("ffrtmp scheduler: database \"%s\" has ffrtmp %s installed, as the library; passes resume",
						ffrtmp_scheduler_database, installed)));
	return matches;
}

/* A new leader takes the next epoch; returns it. */
static int64
begin_term(void)
{
	static KeptQuery next_epoch = {
		.sql = "UPDATE ffrtmp_data.scheduler_state"
		"   SET epoch = epoch + 1, leader_pid = pg_catalog.pg_backend_pid(), elected_at = pg_catalog.now()"
		" WHERE id = true RETURNING epoch",
	};
	bool		isnull;

	ffrtmp_run(&next_epoch, NULL, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "ffrtmp_data.scheduler_state has no row");
	return DatumGetInt64(ffrtmp_get_datum(1, &isnull));
}

/*
 * The current epoch, fenced to the end of the transaction: a SHARE lock on
 * the scheduler_state table conflicts with every UPDATE of it (ROW
 * EXCLUSIVE), so that a term can only begin once the caller's transaction is
 * over, and the caller waits for a term being taken.  A heavyweight lock,
 * not a tuple lock: SELECT ... FOR SHARE wrote the row's xmax on every pass,
 * which cost a transaction id and a WAL record even for a pass with nothing
 * to do; passes share the lock with each other.  The epoch is read after the
 * lock is granted, in the latest snapshot, so that a term committed while we
 * waited is the one we see whatever the caller's isolation level.  By its
 * key: a pass plans with sequential scans disabled, and the disabled scan's
 * cost made this one-row read JIT-compiled, some 25 ms a pass.
 */
static int64
current_epoch(void)
{
	static KeptQuery epoch = {
		.sql = "SELECT epoch FROM ffrtmp_data.scheduler_state WHERE id = true",
	};
	bool		isnull;
	int			rc;

	(void) RangeVarGetRelid(makeRangeVar("ffrtmp_data", "scheduler_state", -1), ShareLock, false);
	if (epoch.plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(epoch.sql, 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_prepare failed (%s) for: %s", SPI_result_code_string(SPI_result), epoch.sql);
		epoch.plan = plan;
	}
	rc = SPI_execute_snapshot(epoch.plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot, true, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "ffrtmp_data.scheduler_state has no row");
	return DatumGetInt64(ffrtmp_get_datum(1, &isnull));
}

/*
 * The leader-epoch fence, for every pass (the leader's, ffrtmp.dispatch(),
 * ffrtmp_data.dispatch_pass()): share-locks the scheduler_state table to
 * the end of the transaction, so that no new term can begin under the pass,
 * and refuses a pass whose term is over.  epoch 0: a pass of no term (by
 * hand, or 0.1's ffrtmp.dispatch()), which only takes the lock.  A term begun
 * while we waited for the lock is the one we see.
 */
void
ffrtmp_require_epoch(int64 epoch)
{
	int64		current = current_epoch();

	if (epoch != 0 && epoch != current)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_CONFLICT),
				 errmsg("scheduler epoch %lld is not current", (long long) epoch),
				 errdetail("Epoch %lld began since; a pass of an earlier epoch writes nothing.",
						   (long long) current),
				 errhint("This process no longer leads: the current leader runs the passes, and ffrtmp.dispatch() runs one now.")));
}

/*
 * The leader's dispatch for one pass: in a whole pass recovery first (lost
 * nodes, timed-out attempts, retries whose backoff is over, all of it due by
 * the clock, so once an interval serves it), then the assignments, in a
 * transaction of their own so that the nodes' notifications go out at its
 * commit, not after the upkeep.  Returns jobs assigned.
 */
static int
run_leader_dispatch(int64 epoch, bool whole)
{
	static KeptQuery recover = {
		.sql = "SELECT ffrtmp_data.recover(make_interval(secs => $1))",
		.nargs = 1, .argtypes = {INT4OID},
	};
	Datum		timeout = Int32GetDatum(node_timeout_s);

	/* Recovery is fenced too, not only the assignments. */
	ffrtmp_require_epoch(epoch);
	if (whole)
		ffrtmp_run(&recover, &timeout, NULL);
	return ffrtmp_dispatch(epoch);
}

/* Runs a batch step; whether it did a whole batch (more may be waiting). */
static bool
run_batch(KeptQuery *step, Datum *values)
{
	bool		isnull;

	ffrtmp_run(step, values, NULL);
	return SPI_processed == 1 && DatumGetInt32(ffrtmp_get_datum(1, &isnull)) >= UPKEEP_BATCH;
}

/*
 * Whether the rejection step is due: at most every sixtieth of
 * ffrtmp.reject_unrunnable_after (once a minute for its hour), and never
 * more often than the upkeep.  Finding the jobs no node can run reads the
 * whole queue, which with a million queued jobs takes longer than a pass's
 * interval: run every interval, it would leave dispatch no time.  A job is
 * rejected at most a sixtieth of the setting late.
 */
static bool
rejection_due(void)
{
	static TimestampTz last = 0;
	TimestampTz now = GetCurrentTimestamp();

	/* From the setting in force now: a reload that shortens it counts at once. */
	if (last != 0 && now < TimestampTzPlusMilliseconds(last, (int64) reject_unrunnable_after_s * 1000 / 60))
		return false;
	last = now;
	return true;
}

/*
 * The leader's upkeep: reject what no node can run (when due), prune a batch
 * of each kind, seal the audit log.  Returns whether some step did a whole
 * batch, so that the next pass does the batches again rather than wait for
 * their time.
 */
static bool
run_leader_upkeep(int64 epoch, bool due)
{
	static KeptQuery prune = {
		.sql = "SELECT ffrtmp_data.prune(make_interval(secs => $1), " CppAsString2(UPKEEP_BATCH) ")",
		.nargs = 1, .argtypes = {INT4OID},
	};
	/* It reads ffrtmp.audit_retention itself: no caller chooses it. */
	static KeptQuery prune_audit = {
		.sql = "SELECT ffrtmp_data.prune_audit(" CppAsString2(UPKEEP_BATCH) ")",
	};
	static KeptQuery prune_keys = {
		.sql = "SELECT ffrtmp_data.prune_api_keys(" CppAsString2(UPKEEP_BATCH) ")",
	};
	static KeptQuery prune_invitations = {
		.sql = "SELECT ffrtmp_data.prune_invitations(" CppAsString2(UPKEEP_BATCH) ")",
	};
	static KeptQuery flush_refusals = {
		.sql = "SELECT ffrtmp_data.flush_audit_refusals()",
	};
	static KeptQuery seal_audit = {
		.sql = "SELECT ffrtmp_data.seal_audit(" CppAsString2(UPKEEP_BATCH) ")",
	};
	static KeptQuery reject = {
		.sql = "SELECT ffrtmp_data.reject_unrunnable(make_interval(secs => $1))",
		.nargs = 1, .argtypes = {INT4OID},
	};
	Datum		retention = Int32GetDatum(retention_s);
	Datum		reject_after = Int32GetDatum(reject_unrunnable_after_s);
	bool		behind;

	/* Rejection and pruning are fenced too. */
	ffrtmp_require_epoch(epoch);
	if (due && reject_unrunnable_after_s > 0 && rejection_due())
		ffrtmp_run(&reject, &reject_after, NULL);
	behind = run_batch(&prune, &retention);
	if (ffrtmp_sql_is_0_2())
	{
		/* Dead credentials go 30 days after they stopped working. */
		behind |= run_batch(&prune_keys, NULL);
		behind |= run_batch(&prune_invitations, NULL);
		ffrtmp_run(&flush_refusals, NULL, NULL);
		behind |= run_batch(&seal_audit, NULL);
	}
	if (ffrtmp_audit_retention_s > 0 && ffrtmp_sql_is_0_2())
		behind |= run_batch(&prune_audit, NULL);
	return behind;
}

/* The two parts of a pass, each a transaction. */
typedef enum PassPart
{
	PASS_DISPATCH,				/* recovery and the assignments */
	PASS_UPKEEP,				/* rejection, pruning, the audit seal */
} PassPart;

/*
 * One transaction of a scheduler worker: a follower tries to lead, a leader
 * does part of a pass (*led then true; *assigned or *behind its result).
 * Returns false when the extension is not installed (any more).
 */
static bool
pass_transaction(PassPart part, bool whole, bool *leading, int64 *epoch, bool *led, int *assigned,
				 bool *behind)
{
	/* A term belongs to one installation: DROP and CREATE EXTENSION start another. */
	static Oid	term_extension = InvalidOid;
	Oid			extension;
	char	   *version = NULL;
	int			nestlevel;

	*led = false;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, part == PASS_DISPATCH ? "ffrtmp scheduler pass" : "ffrtmp scheduler upkeep");
	nestlevel = ffrtmp_begin_index_plans();

	/*
	 * DROP EXTENSION locks the extension before its tables: holding it first
	 * makes a concurrent DROP wait for this pass instead of deadlocking with
	 * it.  A DROP that committed while we waited for the lock leaves the
	 * extension gone from the (fresh) catalog snapshot.
	 */
	extension = installed_extension(&version);
	if (OidIsValid(extension))
	{
		LockDatabaseObject(ExtensionRelationId, extension, 0, AccessShareLock);
		if (get_extension_name(extension) == NULL)
			extension = InvalidOid;
	}
	if (OidIsValid(extension) && sql_matches_library(version))
	{
		Oid			pass_role = get_role_oid("ffrtmp_scheduler", true);

		/* Restored by the transaction's end, commit or abort. */
		if (OidIsValid(pass_role))
			SetUserIdAndSecContext(pass_role, SECURITY_LOCAL_USERID_CHANGE);
		if (!*leading)
			*leading = try_leader_lock(true);
		if (*leading && extension != term_extension)
		{
			term_extension = extension;
			*epoch = begin_term();
			ereport(LOG,
					(errmsg("ffrtmp scheduler %d leads, epoch %lld",
							DatumGetInt32(MyBgworkerEntry->bgw_main_arg), (long long) *epoch)));
		}
		if (*leading && part == PASS_DISPATCH)
			*assigned = run_leader_dispatch(*epoch, whole);
		else if (*leading)
			*behind = run_leader_upkeep(*epoch, whole);
		*led = *leading;
	}

	ffrtmp_end_index_plans(nestlevel);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return OidIsValid(extension);
}

/*
 * One tick of a scheduler worker: a follower tries to lead, a leader runs a
 * pass.  Returns false when the extension is not installed (any more): the
 * worker then leaves, so that it holds no database it has nothing to do in.
 *
 * A pass dispatches in one transaction and does the upkeep in a second one,
 * so that a node learns of its work as soon as the assignments commit.  A
 * whole pass, with recovery before the dispatch and the upkeep after it, runs
 * at most once per ffrtmp.scheduler_interval: what they do is due by the
 * clock (a node's silence, a timeout, a backoff, a job waiting too long for a
 * capable node, retention), and they read what no wake-up concerns (the whole
 * queue for jobs no node can run, the history for what to prune).  A pass
 * woken by work in between only dispatches; a pass asked for by
 * ffrtmp.dispatch() is whole.  While an upkeep step has more than a batch
 * to do, the passes come at once and do the batches (pruning, sealing) too,
 * but not recovery and rejection: a tenant that writes audit rows faster
 * than a batch a pass must not make the leader read every node and the
 * whole queue back to back.
 */
static bool
run_pass(bool *leading, int64 *epoch)
{
	static TimestampTz upkeep_due = 0;
	static bool behind = false;
	bool		installed;
	bool		passed = false;
	bool		asked;
	bool		whole;
	int			assigned = 0;
	uint64		requested;
	TimestampTz began = GetCurrentTimestamp();

	/* Manual dispatch requests made until now are served by this pass. */
	SpinLockAcquire(&shared->mutex);
	requested = shared->passes_requested;
	asked = requested > shared->passes_served;
	SpinLockRelease(&shared->mutex);

	whole = asked || began >= upkeep_due;
	installed = pass_transaction(PASS_DISPATCH, whole, leading, epoch, &passed, &assigned, NULL);
	if (passed && (whole || behind))
	{
		installed = pass_transaction(PASS_UPKEEP, whole, leading, epoch, &passed, NULL, &behind);
		if (whole)
			upkeep_due = TimestampTzPlusMilliseconds(began, scheduler_interval_ms);
		/*
		 * More than a batch waits (a burst of audit rows to seal, history to
		 * prune): the next pass comes at once rather than at the next tick,
		 * so that the upkeep keeps up with any rate.
		 */
		if (behind)
			SetLatch(MyLatch);
	}

	if (passed)
	{
		/* A leader's pass, its transactions included: what ffrtmp_scheduler_pass_duration_seconds shows. */
		ffrtmp_metrics_observe_pass((double) (GetCurrentTimestamp() - began) / USECS_PER_SEC);
		SpinLockAcquire(&shared->mutex);
		shared->leader_pgprocno = MyProc->pgprocno;
		shared->leader_pid = MyProcPid;
		shared->epoch = *epoch;
		shared->last_pass = GetCurrentTimestamp();
		if (requested > shared->passes_served)
			shared->passes_served = requested;
		shared->last_assigned = assigned;
		SpinLockRelease(&shared->mutex);
		ConditionVariableBroadcast(&shared->pass_done);
	}
	return installed;
}

/* On exit the lock goes with the session; the published latch and the slot must go too. */
static void
resign(int code, Datum arg)
{
	int			slot = DatumGetInt32(arg);

	SpinLockAcquire(&shared->mutex);
	if (shared->leader_pid == MyProcPid)
	{
		shared->leader_pgprocno = INVALID_PGPROCNO;
		shared->leader_pid = 0;
	}
	if (shared->worker_pid[slot] == MyProcPid)
		shared->worker_pid[slot] = 0;
	SpinLockRelease(&shared->mutex);
}

/* Tells the launcher how this worker ended: it reads the slot once we are gone. */
static void
report_exit(int slot, SchedulerExit how)
{
	SpinLockAcquire(&shared->mutex);
	shared->worker_exit[slot] = how;
	SpinLockRelease(&shared->mutex);
}

/* A scheduler worker, started by the launcher; bgw_main_arg is its number, from 1. */
void
ffrtmp_scheduler_main(Datum arg)
{
	int			slot = DatumGetInt32(arg) - 1;
	bool		leading = false;
	int64		epoch = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	SpinLockAcquire(&shared->mutex);
	shared->worker_pid[slot] = MyProcPid;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(resign, Int32GetDatum(slot));
	report_exit(slot, SCHEDULER_STARTING);
	BackgroundWorkerInitializeConnection(ffrtmp_scheduler_database, NULL, 0);
	pgstat_report_appname("ffrtmp scheduler");

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (!run_pass(&leading, &epoch))
		{
			report_exit(slot, SCHEDULER_NO_EXTENSION);
			proc_exit(0);
		}
		report_exit(slot, SCHEDULER_SERVING);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 scheduler_interval_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Asks the leader for a pass and waits until one that began after the request
 * has completed; returns what the last completed pass assigned.  False when
 * no leader has published itself (yet).
 */
static bool
ask_leader(int *assigned)
{
	int			pgprocno;
	uint64		ticket;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), MANUAL_PASS_WAIT_MS);

	SpinLockAcquire(&shared->mutex);
	pgprocno = shared->leader_pgprocno;
	if (pgprocno != INVALID_PGPROCNO)
		ticket = ++shared->passes_requested;
	SpinLockRelease(&shared->mutex);
	if (pgprocno == INVALID_PGPROCNO)
		return false;
	SetLatch(&ProcGlobal->allProcs[pgprocno].procLatch);

	ConditionVariablePrepareToSleep(&shared->pass_done);
	for (;;)
	{
		bool		served;
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);

		SpinLockAcquire(&shared->mutex);
		served = shared->passes_served >= ticket;
		*assigned = shared->last_assigned;
		SpinLockRelease(&shared->mutex);
		if (served)
			break;
		if (left <= 0)
		{
			ConditionVariableCancelSleep();
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the scheduler leader did not complete a pass within %d seconds",
							MANUAL_PASS_WAIT_MS / 1000),
					 errhint("Check ffrtmp.health() and the server log; the leader may be waiting on a lock.")));
		}
		(void) ConditionVariableTimedSleep(&shared->pass_done, Min(left, 100), PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return true;
}

/*
 * ffrtmp.dispatch() (0.2): one pass now, never beside the leader's.  While a
 * leader holds the leader lock, the leader runs the pass (under its fence, in
 * its lock order) and this returns what it assigned; it sees committed work
 * only.  Without a leader (ffrtmp.schedulers = 0, an external runner), the
 * caller takes the leader lock for its transaction and runs the pass itself
 * under the current epoch, so that no scheduler can start a term meanwhile.
 */
PG_FUNCTION_INFO_V1(ffrtmp_dispatch_fenced);
Datum
ffrtmp_dispatch_fenced(PG_FUNCTION_ARGS)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), MANUAL_PASS_WAIT_MS);
	int			assigned = 0;

	SPI_connect();
	ffrtmp_require_admin("dispatch jobs");
	for (;;)
	{
		if (try_leader_lock(false))
		{
			int			nestlevel = ffrtmp_begin_index_plans();

			assigned = ffrtmp_dispatch(current_epoch());
			ffrtmp_end_index_plans(nestlevel);
			break;
		}
		if (ask_leader(&assigned))
			break;
		/* The lock is held by a manual pass, or by a leader not yet published. */
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("could not run a dispatch pass: the scheduler leader lock stayed busy for %d seconds",
							MANUAL_PASS_WAIT_MS / 1000),
					 errhint("Another session's transaction may hold a manual pass open; commit it and try again.")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_finish();
	PG_RETURN_INT32(assigned);
}

/*
 * Refuses work that no scheduler would ever pick up: the install script
 * refuses other databases, but a copy (CREATE DATABASE ... TEMPLATE) or a
 * 0.1 install still carries the extension elsewhere.  The answer cannot
 * change in a backend (ffrtmp.database needs a restart), so it is kept.
 */
void
ffrtmp_require_home_database(const char *action)
{
	static int	home = -1;

	if (home < 0)
	{
		char	   *name = get_database_name(MyDatabaseId);

		home = name != NULL && strcmp(name, ffrtmp_scheduler_database) == 0;
	}
	if (!home)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s in database \"%s\": the ffrtmp scheduler runs in database \"%s\"",
						action, get_database_name(MyDatabaseId), ffrtmp_scheduler_database),
				 errhint("Use database \"%s\", or set ffrtmp.database in postgresql.conf and restart the server.",
						 ffrtmp_scheduler_database)));
}

/*
 * ffrtmp_data.control_plane_started_at(): when the server last began to
 * serve as a primary: after its start, a crash restart or its promotion
 * (the launcher's first start, see launcher.c).  Recovery gives nodes
 * node_timeout from then before it calls them lost.
 */
PG_FUNCTION_INFO_V1(ffrtmp_control_plane_started_at);
Datum
ffrtmp_control_plane_started_at(PG_FUNCTION_ARGS)
{
	TimestampTz started_at;

	SpinLockAcquire(&shared->mutex);
	started_at = shared->started_at;
	SpinLockRelease(&shared->mutex);
	PG_RETURN_TIMESTAMPTZ(started_at);
}

/* ffrtmp_data.scheduler_shared(): what the leader last published. */
PG_FUNCTION_INFO_V1(ffrtmp_scheduler_shared);
Datum
ffrtmp_scheduler_shared(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	pid_t		pid;
	int64		epoch;
	TimestampTz last_pass;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "scheduler_shared must return a row");
	SpinLockAcquire(&shared->mutex);
	pid = shared->leader_pid;
	epoch = shared->epoch;
	last_pass = shared->last_pass;
	SpinLockRelease(&shared->mutex);

	values[0] = Int32GetDatum(pid);
	nulls[0] = pid == 0;
	values[1] = Int64GetDatum(epoch);
	values[2] = TimestampTzGetDatum(last_pass);
	nulls[2] = last_pass == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
