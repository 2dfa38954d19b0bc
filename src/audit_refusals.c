/*
 * audit_refusals.c: permission refusals and failed authentications in the
 * audit log.
 *
 * A refusal ends its transaction with an error, which would roll back an
 * audit row written in it.  So a refusal is noted in a small queue in shared
 * memory instead, and ffrtmp_data.flush_audit_refusals() (the scheduler's
 * pass, or an administrator) writes the queued ones to the audit log in a
 * transaction of its own.  The queue is bounded, and at most
 * ffrtmp.audit_refusals_per_minute are queued a minute: a flood of refusals
 * costs a counter, never disk.  What did not fit is counted, and the count is
 * written with the next refusal logged.  A crash loses the queue (at most one
 * pass's worth).
 */
#include "ffrtmp.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#define REFUSAL_QUEUE 64

typedef struct QueuedRefusal
{
	TimestampTz at;
	char		role[NAMEDATALEN];
	char		action[64];
	char		target[128];
	char		outcome[16];
} QueuedRefusal;

typedef struct RefusalQueue
{
	slock_t		mutex;
	int			count;
	TimestampTz window_start;
	int			window_count;
	int64		dropped;
	QueuedRefusal entries[REFUSAL_QUEUE];
} RefusalQueue;

int			ffrtmp_audit_refusals_per_minute = 60;
static RefusalQueue *queue = NULL;
static shmem_request_hook_type prev_shmem_request_hook;
static shmem_startup_hook_type prev_shmem_startup_hook;

static void
request_shmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(RefusalQueue)));
}

static void
startup_shmem(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	queue = ShmemInitStruct("ffrtmp audit refusals", sizeof(RefusalQueue), &found);
	if (!found)
	{
		memset(queue, 0, sizeof(RefusalQueue));
		SpinLockInit(&queue->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
ffrtmp_audit_refusals_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = request_shmem;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = startup_shmem;
}

/*
 * Notes a refusal of the calling role: action (permission.denied,
 * auth.failed...), target (what was refused, in words), outcome ("refused"
 * or "auth_failed");
 * called just before the error is raised.  Allocates nothing, so that it is
 * safe wherever an error is about to be thrown.
 */
void
ffrtmp_audit_refusal(const char *action, const char *target, const char *outcome)
{
	TimestampTz now = GetCurrentTimestamp();
	const char *role;
	QueuedRefusal *e;

	if (queue == NULL)
		return;
	role = GetUserNameFromId(GetOuterUserId(), true);
	SpinLockAcquire(&queue->mutex);
	if (now - queue->window_start >= USECS_PER_MINUTE || now < queue->window_start)
	{
		queue->window_start = now;
		queue->window_count = 0;
	}
	if (queue->count >= REFUSAL_QUEUE || queue->window_count >= ffrtmp_audit_refusals_per_minute)
	{
		queue->dropped++;
		SpinLockRelease(&queue->mutex);
		return;
	}
	queue->window_count++;
	e = &queue->entries[queue->count++];
	e->at = now;
	strlcpy(e->role, role ? role : "?", sizeof(e->role));
	strlcpy(e->action, action, sizeof(e->action));
	strlcpy(e->target, target, sizeof(e->target));
	strlcpy(e->outcome, outcome, sizeof(e->outcome));
	SpinLockRelease(&queue->mutex);
}

/* Writes the queued refusals to the audit log (platform chain); returns how many. */
PG_FUNCTION_INFO_V1(ffrtmp_flush_audit_refusals);
Datum
ffrtmp_flush_audit_refusals(PG_FUNCTION_ARGS)
{
	static KeptQuery write = {
		.sql = "SELECT ffrtmp_data.write_audit($1, $6, NULL,"
		"       jsonb_build_object('refused_at', $4::timestamptz)"
		"       || CASE WHEN $5 > 0 THEN jsonb_build_object('refusals_not_logged_before', $5) ELSE '{}' END,"
		"       $2, $3)",
		.nargs = 6, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID, TEXTOID},
	};
	QueuedRefusal *taken;
	int			n;
	int64		dropped;

	if (queue == NULL)
		PG_RETURN_INT32(0);
	taken = palloc(sizeof(QueuedRefusal) * REFUSAL_QUEUE);
	SpinLockAcquire(&queue->mutex);
	n = queue->count;
	memcpy(taken, queue->entries, sizeof(QueuedRefusal) * n);
	queue->count = 0;
	dropped = n > 0 ? queue->dropped : 0;
	if (n > 0)
		queue->dropped = 0;
	SpinLockRelease(&queue->mutex);

	SPI_connect();
	for (int i = 0; i < n; i++)
	{
		Datum		values[6] = {
			CStringGetTextDatum(taken[i].action), CStringGetTextDatum(taken[i].outcome),
			CStringGetTextDatum(taken[i].role), TimestampTzGetDatum(taken[i].at),
			Int64GetDatum(i == 0 ? dropped : 0), CStringGetTextDatum(taken[i].target),
		};

		ffrtmp_run(&write, values, NULL);
	}
	SPI_finish();
	PG_RETURN_INT32(n);
}
