/*
 * launcher.c: the background worker that starts the scheduler workers.
 *
 * The launcher connects to no database (it reads only the shared catalog
 * pg_database), so it holds none.  While the database ffrtmp.database does
 * not exist (not created yet, dropped, or the setting misspelt) it logs that
 * once and looks again after a back-off of 1 s doubling up to 60 s.  Once the
 * database exists it starts ffrtmp.schedulers scheduler workers there as
 * dynamic background workers that report to it.  A worker that finds the
 * extension not installed (or dropped) leaves at once, so that DROP DATABASE
 * is not refused because of it; the launcher then waits with the same
 * back-off, and CREATE EXTENSION wakes it at commit.  A worker that ends any
 * other way (an error, pg_terminate_backend) is started again after a second,
 * as the postmaster would restart it.  The leader's election stays among the
 * workers (scheduler.c).
 *
 * The launcher starts when recovery has finished: at the server's start,
 * after a crash restart, and when a standby is promoted (Patroni's failover).
 * Its first start marks when this server began to serve as a primary
 * (ffrtmp_data.control_plane_started_at()): no worker could heartbeat here
 * before, so recovery gives nodes ffrtmp.node_timeout from then.  A failover
 * longer than the node timeout then costs no attempt of the workers that
 * reconnect within it.
 */
#include "scheduler.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define RESTART_MS 1000			/* after a worker's error, like bgw_restart_time */
#define POLL_MS 1000			/* workers of a previous launcher do not notify us */

void		ffrtmp_launcher_main(Datum arg);

static bool wake_at_commit = false;

/* The launcher's own state: its workers, and when to look again. */
static BackgroundWorkerHandle *handles[FFRTMP_MAX_SCHEDULERS];
static int	backoff_ms = 0;
static TimestampTz next_start = 0;
static bool said_no_database = false;
static bool said_no_extension = false;

/* Asks the launcher to look for databases to serve now, not at its next poll. */
void
ffrtmp_wake_launcher_now(void)
{
	int			pgprocno;

	if (ffrtmp_shared == NULL)
		return;
	SpinLockAcquire(&ffrtmp_shared->mutex);
	ffrtmp_shared->launcher_wake = true;
	pgprocno = ffrtmp_shared->launcher_pgprocno;
	SpinLockRelease(&ffrtmp_shared->mutex);
	if (pgprocno != INVALID_PGPROCNO)
		SetLatch(&ProcGlobal->allProcs[pgprocno].procLatch);
}

/*
 * Wakes the launcher once CREATE EXTENSION has committed.  A prepared
 * transaction forgets the mark: COMMIT PREPARED wakes it (two_phase.c).
 */
static void
wake_launcher_at_commit(XactEvent event, void *arg)
{
	if (!wake_at_commit ||
		(event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT && event != XACT_EVENT_PREPARE))
		return;
	wake_at_commit = false;
	if (event == XACT_EVENT_COMMIT)
		ffrtmp_wake_launcher_now();
}

void
ffrtmp_register_launcher(void)
{
	BackgroundWorker worker;

	RegisterXactCallback(wake_launcher_at_commit, NULL);
	if (ffrtmp_scheduler_count == 0)
		return;
	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 1;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ffrtmp");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ffrtmp_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ffrtmp launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "ffrtmp launcher");
	RegisterBackgroundWorker(&worker);
}

/*
 * ffrtmp_data.start_schedulers(): the install script's request that the
 * launcher start the scheduler workers as soon as the install commits.
 */
PG_FUNCTION_INFO_V1(ffrtmp_start_schedulers);
Datum
ffrtmp_start_schedulers(PG_FUNCTION_ARGS)
{
	wake_at_commit = true;
	PG_RETURN_VOID();
}

/* A worker found its database and the extension: what goes missing next is news. */
static void
served(void)
{
	backoff_ms = 0;
	said_no_database = said_no_extension = false;
}

static void
grow_backoff(void)
{
	backoff_ms = backoff_ms == 0 ? BACKOFF_MIN_MS : Min(backoff_ms * 2, BACKOFF_MAX_MS);
	next_start = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), backoff_ms);
}

/*
 * True when the database ffrtmp.database names exists.  Without a database
 * only a heap scan of the shared catalog works (as in the autovacuum launcher).
 */
static bool
database_exists(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (!found && (tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		found = strcmp(NameStr(db->datname), ffrtmp_scheduler_database) == 0;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return found;
}

static bool
start_worker(int slot)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "ffrtmp");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "ffrtmp_scheduler_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "ffrtmp scheduler %d", slot + 1);
	snprintf(worker.bgw_type, BGW_MAXLEN, "ffrtmp scheduler");
	worker.bgw_main_arg = Int32GetDatum(slot + 1);
	worker.bgw_notify_pid = MyProcPid;

	SpinLockAcquire(&ffrtmp_shared->mutex);
	ffrtmp_shared->worker_exit[slot] = SCHEDULER_STARTING;
	SpinLockRelease(&ffrtmp_shared->mutex);
	return RegisterDynamicBackgroundWorker(&worker, &handles[slot]);
}

/*
 * Notes how each worker is doing; returns how many slots are free.  A worker
 * that served resets the back-off; one that left for want of the extension
 * sets it.
 */
static int
free_slots(void)
{
	int			vacant = 0;
	bool		no_extension = false;

	for (int slot = 0; slot < ffrtmp_scheduler_count; slot++)
	{
		pid_t		pid;
		pid_t		slot_pid;
		SchedulerExit how;

		if (handles[slot] != NULL && GetBackgroundWorkerPid(handles[slot], &pid) == BGWH_STOPPED)
		{
			pfree(handles[slot]);
			handles[slot] = NULL;
			SpinLockAcquire(&ffrtmp_shared->mutex);
			how = ffrtmp_shared->worker_exit[slot];
			SpinLockRelease(&ffrtmp_shared->mutex);
			if (how == SCHEDULER_NO_EXTENSION)
				no_extension = true;
			else
				next_start = Max(next_start,
								 TimestampTzPlusMilliseconds(GetCurrentTimestamp(), RESTART_MS));
			if (how == SCHEDULER_SERVING)
				served();
		}
		SpinLockAcquire(&ffrtmp_shared->mutex);
		how = ffrtmp_shared->worker_exit[slot];
		slot_pid = ffrtmp_shared->worker_pid[slot];
		SpinLockRelease(&ffrtmp_shared->mutex);
		if (how == SCHEDULER_SERVING && slot_pid != 0)
			served();
		/* A worker of a launcher that died is still ours to count. */
		if (handles[slot] == NULL && slot_pid == 0)
			vacant++;
	}
	if (no_extension)
	{
		if (!said_no_extension)
			ereport(LOG,
					(errmsg("ffrtmp scheduler: extension \"ffrtmp\" is not installed in database \"%s\"; waiting for CREATE EXTENSION",
							ffrtmp_scheduler_database)));
		said_no_extension = true;
		/* Once per round: the other workers leave for the same reason. */
		if (next_start <= GetCurrentTimestamp())
			grow_backoff();
	}
	return vacant;
}

/* Starts the workers whose slots are free, once the back-off allows and the database exists. */
static void
start_workers(void)
{
	if (free_slots() == 0 || GetCurrentTimestamp() < next_start)
		return;
	if (!database_exists())
	{
		if (!said_no_database)
			ereport(LOG,
					(errmsg("ffrtmp scheduler: database \"%s\" named by ffrtmp.database does not exist; waiting for it",
							ffrtmp_scheduler_database),
					 errhint("Create the database and the extension in it, or set ffrtmp.database and restart the server.")));
		said_no_database = true;
		said_no_extension = false;	/* a database made again is news */
		grow_backoff();
		return;
	}
	/*
	 * Seen to exist: its next disappearance is news, even if no worker served
	 * in between (the launcher may not have looked while one did).
	 */
	said_no_database = false;
	for (int slot = 0; slot < ffrtmp_scheduler_count; slot++)
	{
		pid_t		slot_pid;

		SpinLockAcquire(&ffrtmp_shared->mutex);
		slot_pid = ffrtmp_shared->worker_pid[slot];
		SpinLockRelease(&ffrtmp_shared->mutex);
		if (handles[slot] != NULL || slot_pid != 0)
			continue;
		if (!start_worker(slot))
		{
			/* No background worker slot free: max_worker_processes is too low. */
			ereport(WARNING,
					(errmsg("ffrtmp scheduler: could not start scheduler worker %d", slot + 1),
					 errhint("Raise max_worker_processes.")));
			grow_backoff();
			return;
		}
	}
}

static void
leave(int code, Datum arg)
{
	SpinLockAcquire(&ffrtmp_shared->mutex);
	if (ffrtmp_shared->launcher_pgprocno == MyProc->pgprocno)
		ffrtmp_shared->launcher_pgprocno = INVALID_PGPROCNO;
	SpinLockRelease(&ffrtmp_shared->mutex);
}

void
ffrtmp_launcher_main(Datum arg)
{
	TimestampTz opened_at;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* No database: only shared catalogs, so the launcher keeps none from being dropped. */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	opened_at = GetCurrentTimestamp();
	SpinLockAcquire(&ffrtmp_shared->mutex);
	ffrtmp_shared->launcher_pgprocno = MyProc->pgprocno;
	/* Only the first start: a launcher restarted after an error moves nothing. */
	if (!ffrtmp_shared->control_opened)
	{
		ffrtmp_shared->started_at = opened_at;
		ffrtmp_shared->control_opened = true;
	}
	SpinLockRelease(&ffrtmp_shared->mutex);
	before_shmem_exit(leave, (Datum) 0);

	for (;;)
	{
		bool		wake;
		long		sleep_ms = POLL_MS;
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		SpinLockAcquire(&ffrtmp_shared->mutex);
		wake = ffrtmp_shared->launcher_wake;
		ffrtmp_shared->launcher_wake = false;
		SpinLockRelease(&ffrtmp_shared->mutex);
		if (wake)
		{
			backoff_ms = 0;
			next_start = 0;
		}
		start_workers();

		now = GetCurrentTimestamp();
		if (next_start > now)
			sleep_ms = Min(sleep_ms, TimestampDifferenceMilliseconds(now, next_start));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(sleep_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
