/*
 * scheduler.c: the scheduler background workers and their leader election.
 *
 * ffrtmp.schedulers workers start with the server (on a primary only: they
 * start once recovery has finished).  Exactly one of them leads: the holder of
 * a session-level advisory lock in a key space SQL cannot reach (the
 * pg_advisory_* functions use locktag_field4 1 and 2; we use 3), so no role
 * can squat on the leadership.  Followers retry the lock every tick and so
 * take over within one interval of the leader's death.  Each new leader bumps
 * the epoch in ffrtmp_data.scheduler_state, which fences writes of a leader
 * that lost its lock.
 *
 * Each pass is one short transaction, run with the privileges of the role
 * ffrtmp_scheduler rather than the superuser the worker connects as (on
 * PostgreSQL 15 a background worker can only connect as a role that may log
 * in); the connection's superuser identity only makes it an administrator in
 * the row-level security policies.  The leader waits on its latch, which
 * submitters set at commit through shared memory (no NOTIFY on submit), and
 * on a timer of ffrtmp.scheduler_interval.
 *
 * This file holds the election, the wake-up and the pass skeleton; dispatch,
 * recovery and pruning are added to run_leader_pass().
 */
#include "ffrtmp.h"

#include "access/xact.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#define LEADER_LOCK_KEY1 0x66667274 /* "ffrt" */
#define LEADER_LOCK_KEY2 1
#define LEADER_LOCK_SPACE 3		/* locktag_field4: unreachable from SQL */

/* What the leader publishes for submitters (its latch) and for health(). */
typedef struct SchedulerShared
{
	slock_t		mutex;
	int			leader_pgprocno;	/* INVALID_PGPROCNO when none */
	pid_t		leader_pid;
	int64		epoch;
	TimestampTz last_pass;
	TimestampTz started_at;		/* when this shared memory was initialised */
} SchedulerShared;

static SchedulerShared *shared;
static shmem_request_hook_type prev_shmem_request_hook;
static shmem_startup_hook_type prev_shmem_startup_hook;

static int	scheduler_count = 1;
static int	scheduler_interval_ms = 1000;
static int	node_timeout_s = 15;
static int	retention_s = 7 * 24 * 3600;
static char *scheduler_database = NULL;

static bool wake_at_commit = false;

void		ffrtmp_scheduler_main(Datum arg);

static void
request_shmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SchedulerShared)));
}

static void
startup_shmem(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("ffrtmp scheduler", sizeof(SchedulerShared), &found);
	if (!found)
	{
		SpinLockInit(&shared->mutex);
		shared->leader_pgprocno = INVALID_PGPROCNO;
		shared->leader_pid = 0;
		shared->epoch = 0;
		shared->last_pass = 0;
		/*
		 * The postmaster initialises shared memory again after a backend
		 * crash, but pg_postmaster_start_time() keeps the first start: this
		 * is the moment workers lost their sessions, restarts included.
		 */
		shared->started_at = GetCurrentTimestamp();
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Sets the leader's latch once the submitting transaction has committed. */
static void
wake_leader_at_commit(XactEvent event, void *arg)
{
	int			pgprocno;

	if (!wake_at_commit || (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT))
		return;
	wake_at_commit = false;
	if (event != XACT_EVENT_COMMIT || shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	pgprocno = shared->leader_pgprocno;
	SpinLockRelease(&shared->mutex);
	if (pgprocno != INVALID_PGPROCNO)
		SetLatch(&ProcGlobal->allProcs[pgprocno].procLatch);
}

void
ffrtmp_wake_scheduler_at_commit(void)
{
	wake_at_commit = true;
}

void
ffrtmp_scheduler_init(void)
{
	DefineCustomIntVariable("ffrtmp.schedulers",
							"Number of scheduler background workers (one leads, the others stand by).",
							NULL, &scheduler_count, 1, 0, 8, PGC_POSTMASTER, 0, NULL, NULL, NULL);
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
	DefineCustomStringVariable("ffrtmp.database",
							   "Database in which the scheduler runs (where CREATE EXTENSION ffrtmp was run).",
							   NULL, &scheduler_database, "postgres", PGC_POSTMASTER, 0, NULL, NULL, NULL);

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request_shmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = startup_shmem;
	RegisterXactCallback(wake_leader_at_commit, NULL);

	for (int i = 0; i < scheduler_count; i++)
	{
		BackgroundWorker worker;

		memset(&worker, 0, sizeof(worker));
		worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
		worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
		worker.bgw_restart_time = 1;
		snprintf(worker.bgw_library_name, BGW_MAXLEN, "ffrtmp");
		snprintf(worker.bgw_function_name, BGW_MAXLEN, "ffrtmp_scheduler_main");
		snprintf(worker.bgw_name, BGW_MAXLEN, "ffrtmp scheduler %d", i + 1);
		snprintf(worker.bgw_type, BGW_MAXLEN, "ffrtmp scheduler");
		worker.bgw_main_arg = Int32GetDatum(i + 1);
		RegisterBackgroundWorker(&worker);
	}
}

static bool
try_leader_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, LEADER_LOCK_KEY1, LEADER_LOCK_KEY2, LEADER_LOCK_SPACE);
	return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
}

/* The extension's oid in this database, or InvalidOid while it is not installed. */
static Oid
installed_extension(void)
{
	static KeptQuery installed = {
		.sql = "SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'ffrtmp'",
	};
	bool		isnull;

	ffrtmp_run(&installed, NULL, NULL);
	return SPI_processed == 1 ? DatumGetObjectId(ffrtmp_get_datum(1, &isnull)) : InvalidOid;
}

/* A new leader takes the next epoch; returns it. */
static int64
begin_term(void)
{
	static KeptQuery next_epoch = {
		.sql = "UPDATE ffrtmp_data.scheduler_state"
		"   SET epoch = epoch + 1, leader_pid = pg_catalog.pg_backend_pid(), elected_at = pg_catalog.now()"
		" RETURNING epoch",
	};
	bool		isnull;

	ffrtmp_run(&next_epoch, NULL, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "ffrtmp_data.scheduler_state has no row");
	return DatumGetInt64(ffrtmp_get_datum(1, &isnull));
}

/* The leader's work for one pass: recover, dispatch, prune a batch. */
static void
run_leader_pass(int64 epoch)
{
	static KeptQuery recover = {
		.sql = "SELECT ffrtmp_data.recover(make_interval(secs => $1))",
		.nargs = 1, .argtypes = {INT4OID},
	};
	static KeptQuery prune = {
		.sql = "SELECT ffrtmp_data.prune(make_interval(secs => $1), 1000)",
		.nargs = 1, .argtypes = {INT4OID},
	};
	Datum		timeout = Int32GetDatum(node_timeout_s);
	Datum		retention = Int32GetDatum(retention_s);

	ffrtmp_run(&recover, &timeout, NULL);
	ffrtmp_dispatch(epoch);
	ffrtmp_run(&prune, &retention, NULL);
}

static void
run_pass(bool *leading, int64 *epoch)
{
	/* A term belongs to one installation: DROP and CREATE EXTENSION start another. */
	static Oid	term_extension = InvalidOid;
	Oid			extension;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "ffrtmp scheduler pass");

	extension = installed_extension();
	if (OidIsValid(extension))
	{
		Oid			pass_role = get_role_oid("ffrtmp_scheduler", true);

		/* Restored by the transaction's end, commit or abort. */
		if (OidIsValid(pass_role))
			SetUserIdAndSecContext(pass_role, SECURITY_LOCAL_USERID_CHANGE);
		if (!*leading)
			*leading = try_leader_lock();
		if (*leading && extension != term_extension)
		{
			term_extension = extension;
			*epoch = begin_term();
			ereport(LOG,
					(errmsg("ffrtmp scheduler %d leads, epoch %lld",
							MyBgworkerEntry ? DatumGetInt32(MyBgworkerEntry->bgw_main_arg) : 0,
							(long long) *epoch)));
		}
		if (*leading)
			run_leader_pass(*epoch);
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);

	if (*leading)
	{
		SpinLockAcquire(&shared->mutex);
		shared->leader_pgprocno = MyProc->pgprocno;
		shared->leader_pid = MyProcPid;
		shared->epoch = *epoch;
		shared->last_pass = GetCurrentTimestamp();
		SpinLockRelease(&shared->mutex);
	}
}

/* On exit the lock goes with the session; the published latch must go too. */
static void
resign(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->leader_pid == MyProcPid)
	{
		shared->leader_pgprocno = INVALID_PGPROCNO;
		shared->leader_pid = 0;
	}
	SpinLockRelease(&shared->mutex);
}

void
ffrtmp_scheduler_main(Datum arg)
{
	bool		leading = false;
	int64		epoch = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(scheduler_database, NULL, 0);
	pgstat_report_appname("ffrtmp scheduler");
	before_shmem_exit(resign, (Datum) 0);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		run_pass(&leading, &epoch);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 scheduler_interval_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * ffrtmp_data.control_plane_started_at(): when the server last (re)initialised
 * its shared memory, at start or after a crash restart.  Recovery gives nodes
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
