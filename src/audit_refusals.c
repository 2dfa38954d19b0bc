/*
 * audit_refusals.c: permission refusals and failed authentications in the
 * audit log.
 *
 * A refusal ends its transaction with an error, which would roll back an
 * audit row written in it.  So a refusal is noted in a queue in shared
 * memory instead, and ffrtmp_data.flush_audit_refusals() (the scheduler's
 * pass, or an administrator) writes the queued ones to the audit log.
 *
 * Budgets: each tenant (and "no tenant known", one more budget) may queue
 * ffrtmp.audit_refusals_per_minute a minute, so that a tenant flooding
 * refusals keeps no other tenant's out of the log; all of them together at
 * most ffrtmp.audit_refusals_max_per_minute, which bounds the disk.  What
 * did not fit is counted per tenant, and the count is written with that
 * tenant's next refusal logged (never with another tenant's).
 *
 * A flush loses nothing: the entries it writes stay in the queue, claimed by
 * its backend, until its transaction commits; a rollback (of the transaction
 * or of a savepoint around the flush) gives them back to the next flush.  A
 * crash loses the queue (at most one pass's worth).
 */
#include "ffrtmp.h"
#include "shmem.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#define REFUSAL_QUEUE 256
#define BUDGET_SLOTS 128

typedef struct QueuedRefusal
{
	TimestampTz at;
	bool		has_tenant;
	pg_uuid_t	tenant;
	int64		dropped_before; /* this tenant's refusals not logged before it */
	char		role[NAMEDATALEN];
	char		action[64];
	char		target[128];
	char		outcome[16];
} QueuedRefusal;

/* One tenant's budget in the current minute (has_tenant false: no tenant known). */
typedef struct TenantBudget
{
	bool		used;
	bool		has_tenant;
	pg_uuid_t	tenant;
	TimestampTz window_start;
	int			window_count;
	int64		dropped;
} TenantBudget;

typedef struct RefusalQueue
{
	slock_t		mutex;
	int			count;
	int			claimed;		/* entries [0, claimed) are being written by claimer */
	int			claimer;		/* its pid; 0: none */
	TimestampTz window_start;	/* the overall cap's minute */
	int			window_count;
	int64		dropped;		/* refusals of tenants no budget slot was left for */
	TenantBudget budgets[BUDGET_SLOTS];
	QueuedRefusal entries[REFUSAL_QUEUE];
} RefusalQueue;

/* A flush in this transaction: the claim as it was before, and where. */
typedef struct ClaimMark
{
	SubTransactionId subxact;
	int			claimed_before;
} ClaimMark;

int			ffrtmp_audit_refusals_per_minute = 60;
int			ffrtmp_audit_refusals_max_per_minute = 600;
static RefusalQueue *queue = NULL;
static List *claim_marks = NIL; /* in TopMemoryContext, emptied at transaction end */

static Size
queue_size(void)
{
	return sizeof(RefusalQueue);
}

static void
init_queue(void)
{
	SpinLockInit(&queue->mutex);
}

/* Our claim ends: committed, its entries leave the queue; else they stay for the next flush. */
static void
end_claim(bool written)
{
	SpinLockAcquire(&queue->mutex);
	if (queue->claimer == MyProcPid)
	{
		if (written)
		{
			memmove(&queue->entries[0], &queue->entries[queue->claimed],
					sizeof(QueuedRefusal) * (queue->count - queue->claimed));
			queue->count -= queue->claimed;
		}
		queue->claimed = 0;
		queue->claimer = 0;
	}
	SpinLockRelease(&queue->mutex);
}

/* Forgets the marks from index on (0: all). */
static void
drop_marks_from(int index)
{
	for (int i = index; i < list_length(claim_marks); i++)
		pfree(list_nth(claim_marks, i));
	if (index == 0)
	{
		list_free(claim_marks);
		claim_marks = NIL;
	}
	else
		claim_marks = list_truncate(claim_marks, index);
}

static void
claim_at_xact_end(XactEvent event, void *arg)
{
	if (claim_marks == NIL || queue == NULL)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PREPARE)
		end_claim(true);
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		end_claim(false);
	else
		return;
	drop_marks_from(0);
}

/* A savepoint rolled back: the entries claimed since it began were not written after all. */
static void
claim_at_subxact_abort(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	ListCell   *cell;

	if (event != SUBXACT_EVENT_ABORT_SUB || claim_marks == NIL || queue == NULL)
		return;
	foreach(cell, claim_marks)
	{
		ClaimMark  *mark = lfirst(cell);

		if (mark->subxact >= sub)
		{
			SpinLockAcquire(&queue->mutex);
			if (queue->claimer == MyProcPid)
			{
				queue->claimed = mark->claimed_before;
				if (queue->claimed == 0)
					queue->claimer = 0;
			}
			SpinLockRelease(&queue->mutex);
			drop_marks_from(foreach_current_index(cell));
			break;
		}
	}
}

void
ffrtmp_audit_refusals_init(void)
{
	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = "ffrtmp audit refusals",
		.size = queue_size,
		.pointer = (void **) &queue,
		.init = init_queue,
	});
	RegisterXactCallback(claim_at_xact_end, NULL);
	RegisterSubXactCallback(claim_at_subxact_abort, NULL);
}

/*
 * The budget of tenant (NULL: none known), made if need be; NULL when every
 * slot holds another tenant of this minute or a count not logged yet.
 * Called under the mutex.
 */
static TenantBudget *
budget_of(const pg_uuid_t *tenant, TimestampTz now)
{
	TenantBudget *free_slot = NULL;

	for (int i = 0; i < BUDGET_SLOTS; i++)
	{
		TenantBudget *b = &queue->budgets[i];

		if (b->used && b->has_tenant == (tenant != NULL) &&
			(tenant == NULL || memcmp(&b->tenant, tenant, sizeof(pg_uuid_t)) == 0))
			return b;
		if (free_slot == NULL &&
			(!b->used || (b->dropped == 0 && now - b->window_start >= USECS_PER_MINUTE)))
			free_slot = b;
	}
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(TenantBudget));
	free_slot->used = true;
	free_slot->has_tenant = tenant != NULL;
	if (tenant)
		free_slot->tenant = *tenant;
	return free_slot;
}

/* A new minute for a budget or the overall cap, the clock having moved either way. */
static void
roll_window(TimestampTz *start, int *count, TimestampTz now)
{
	if (now - *start >= USECS_PER_MINUTE || now < *start)
	{
		*start = now;
		*count = 0;
	}
}

/* Copies src into dst (size bytes), cut at a character boundary so the text stays valid. */
static void
copy_text(char *dst, const char *src, size_t size)
{
	int			len = pg_mbcliplen(src, strlen(src), size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Notes a refusal of the calling role: tenant (the tenant the caller acts
 * for or the key belongs to; NULL when none is known), action
 * (permission.denied, api_key.authenticate...), target (what was refused, in
 * words), outcome ("refused" or "auth_failed"); called just before the error
 * is raised, so it raises nothing itself: what it needs (the role's name) is
 * looked up before the queue's spinlock is taken.
 */
void
ffrtmp_audit_refusal(const pg_uuid_t *tenant, const char *action, const char *target, const char *outcome)
{
	ffrtmp_audit_refusal_charged(tenant, tenant, action, target, outcome);
}

/*
 * The same, written to tenant's chain but counted against charged's budget
 * (NULL: the shared budget of refusals of no known tenant).  A failed
 * authentication names a key id anyone may have seen: it is written where
 * the key's tenant sees it, but charged to the shared budget, so that a
 * flood of wrong secrets for another tenant's keys never uses up that
 * tenant's budget and keeps its own refusals out of the log.
 */
void
ffrtmp_audit_refusal_charged(const pg_uuid_t *tenant, const pg_uuid_t *charged, const char *action,
							 const char *target, const char *outcome)
{
	TimestampTz now = GetCurrentTimestamp();
	const char *role;
	TenantBudget *budget;
	QueuedRefusal e;

	if (queue == NULL)
		return;
	role = GetUserNameFromId(GetOuterUserId(), true);
	memset(&e, 0, sizeof e);
	e.at = now;
	e.has_tenant = tenant != NULL;
	if (tenant)
		e.tenant = *tenant;
	copy_text(e.role, role ? role : "?", sizeof e.role);
	copy_text(e.action, action, sizeof e.action);
	copy_text(e.target, target, sizeof e.target);
	copy_text(e.outcome, outcome, sizeof e.outcome);

	SpinLockAcquire(&queue->mutex);
	roll_window(&queue->window_start, &queue->window_count, now);
	budget = budget_of(charged, now);
	if (budget == NULL)
	{
		queue->dropped++;
		SpinLockRelease(&queue->mutex);
		return;
	}
	roll_window(&budget->window_start, &budget->window_count, now);
	if (queue->count >= REFUSAL_QUEUE ||
		queue->window_count >= ffrtmp_audit_refusals_max_per_minute ||
		budget->window_count >= ffrtmp_audit_refusals_per_minute)
	{
		budget->dropped++;
		SpinLockRelease(&queue->mutex);
		return;
	}
	queue->window_count++;
	budget->window_count++;
	/* A budget's count of refusals not logged goes on its own chain's next row only. */
	if (tenant == charged)
	{
		e.dropped_before = budget->dropped;
		budget->dropped = 0;
	}
	/* Slot-less refusals are counted with the next refusal of no known tenant. */
	if (!e.has_tenant && charged == NULL)
	{
		e.dropped_before += queue->dropped;
		queue->dropped = 0;
	}
	queue->entries[queue->count++] = e;
	SpinLockRelease(&queue->mutex);
}

/* Claims the queued entries this backend has not claimed yet: copies them to taken, returns how many. */
static int
claim_entries(QueuedRefusal *taken)
{
	ClaimMark  *mark = MemoryContextAlloc(TopMemoryContext, sizeof(ClaimMark));
	MemoryContext old;
	int			n = 0;

	mark->subxact = GetCurrentSubTransactionId();
	SpinLockAcquire(&queue->mutex);
	if (queue->claimer == 0 || queue->claimer == MyProcPid)
	{
		n = queue->count - queue->claimed;
		memcpy(taken, &queue->entries[queue->claimed], sizeof(QueuedRefusal) * n);
		mark->claimed_before = queue->claimed;
		if (n > 0)
		{
			queue->claimer = MyProcPid;
			queue->claimed += n;
		}
	}
	SpinLockRelease(&queue->mutex);
	if (n == 0)
	{
		pfree(mark);
		return 0;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	claim_marks = lappend(claim_marks, mark);
	MemoryContextSwitchTo(old);
	return n;
}

/* Claims and writes the queued refusals (each on its tenant's chain, or the platform's); returns how many. */
static int
write_refusals(void)
{
	static KeptQuery write = {
		.sql = "SELECT ffrtmp_data.write_audit($1, $6, $7,"
		"       jsonb_build_object('refused_at', $4::timestamptz)"
		"       || CASE WHEN $5 > 0 THEN jsonb_build_object('refusals_not_logged_before', $5) ELSE '{}' END,"
		"       $2, $3)",
		.nargs = 7, .argtypes = {TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID, TEXTOID, UUIDOID},
	};
	QueuedRefusal *taken = palloc(sizeof(QueuedRefusal) * REFUSAL_QUEUE);
	int			n = claim_entries(taken);

	if (n == 0)
		return 0;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (int i = 0; i < n; i++)
	{
		Datum		values[7] = {
			CStringGetTextDatum(taken[i].action), CStringGetTextDatum(taken[i].outcome),
			CStringGetTextDatum(taken[i].role), TimestampTzGetDatum(taken[i].at),
			Int64GetDatum(taken[i].dropped_before), CStringGetTextDatum(taken[i].target),
			UUIDPGetDatum(&taken[i].tenant),
		};
		char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', taken[i].has_tenant ? ' ' : 'n'};

		ffrtmp_run(&write, values, nulls);
	}
	SPI_finish();
	return n;
}

/*
 * Writes the queued refusals to the audit log; returns how many.  In a
 * subtransaction of its own: an error writing them rolls back only that
 * (the entries stay queued, and the error is a warning), so that the
 * scheduler's pass, whose transaction this runs in, goes on.
 */
PG_FUNCTION_INFO_V1(ffrtmp_flush_audit_refusals);
Datum
ffrtmp_flush_audit_refusals(PG_FUNCTION_ARGS)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			n = 0;

	if (queue == NULL)
		PG_RETURN_INT32(0);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		n = write_refusals();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(context);
		CurrentResourceOwner = owner;
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
		if (error->sqlerrcode == ERRCODE_QUERY_CANCELED || error->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(error);
		ereport(WARNING,
				(errcode(error->sqlerrcode),
				 errmsg("audit refusals not written: %s", error->message),
				 errhint("They stay queued for the next flush (the scheduler's pass).")));
		n = 0;
	}
	PG_END_TRY();
	PG_RETURN_INT32(n);
}

/*
 * ffrtmp_data.queue_refusal(target): the refusal a SQL function is about to
 * raise (42501: a role above the caller's, a scope it does not hold), queued
 * like the one check's, on the caller's tenant's chain (an administrator's on
 * the platform's).  Call it just before the RAISE.
 */
PG_FUNCTION_INFO_V1(ffrtmp_queue_refusal);
Datum
ffrtmp_queue_refusal(PG_FUNCTION_ARGS)
{
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	pg_uuid_t	tenant;
	bool		platform = ffrtmp_caller_admin();

	if (!platform)
		tenant = ffrtmp_caller_tenant();
	ffrtmp_audit_refusal(platform ? NULL : &tenant, "permission.denied", target, "refused");
	PG_RETURN_VOID();
}
