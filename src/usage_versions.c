/*
 * usage_versions.c: where this transaction last wrote each tenant's usage row.
 *
 * Every take of a quota UPDATEs the tenant's usage row.  Versions written by
 * the transaction still in progress cannot be pruned, so a lookup by
 * tenant_id walks every earlier version this transaction made (a sequential
 * scan reads every page they filled, an index scan every entry they added):
 * N submits in one statement cost O(N^2).  Remembering the new version's
 * ctid from the UPDATE's RETURNING lets the next take of the same tenant
 * reach it with a TID scan, in one step.
 *
 * The ctid is only a hint.  The statement that uses it still says
 * tenant_id = $1 and still sees only the version visible to it, which is the
 * newest: an older one was updated by this transaction, one rolled back to a
 * savepoint is invisible, a slot pruned and reused holds another version.
 * When the hint finds no row the caller runs its statement by tenant_id.
 * The hints live in transaction memory and are forgotten at its end.
 */
#include "ffrtmp.h"

#include "storage/proc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

typedef struct UsageVersion
{
	pg_uuid_t	tenant;			/* hash key */
	ItemPointerData tid;
} UsageVersion;

static HTAB *versions = NULL;
static LocalTransactionId versions_lxid = InvalidLocalTransactionId;

/* This transaction's table, created on first use; NULL when asked not to create. */
static HTAB *
transaction_versions(bool create)
{
	HASHCTL		ctl;

	/* A table of an earlier transaction was freed with its memory. */
	if (versions != NULL && versions_lxid == MyProc->lxid)
		return versions;
	versions = NULL;
	if (!create)
		return NULL;
	ctl.keysize = sizeof(pg_uuid_t);
	ctl.entrysize = sizeof(UsageVersion);
	ctl.hcxt = TopTransactionContext;
	versions = hash_create("ffrtmp usage versions", 16, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	versions_lxid = MyProc->lxid;
	return versions;
}

/* Where this transaction last wrote the tenant's usage row, if it did. */
bool
ffrtmp_usage_version(const pg_uuid_t *tenant, ItemPointer tid)
{
	HTAB	   *table = transaction_versions(false);
	UsageVersion *entry;

	if (table == NULL)
		return false;
	entry = hash_search(table, tenant, HASH_FIND, NULL);
	if (entry == NULL)
		return false;
	ItemPointerCopy(&entry->tid, tid);
	return true;
}

/* Notes the version of the tenant's usage row that this transaction just wrote. */
void
ffrtmp_note_usage_version(const pg_uuid_t *tenant, ItemPointer tid)
{
	UsageVersion *entry = hash_search(transaction_versions(true), tenant, HASH_ENTER, NULL);

	ItemPointerCopy(tid, &entry->tid);
}
