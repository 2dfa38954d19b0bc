/*
 * refusal_counts.c: the API refusals kept out of the server log
 * (log_refusals.c), counted per tenant and SQLSTATE in shared memory, so
 * that a tenant probing other tenants' job ids, or a client hammering a
 * forbidden call, still shows (ffrtmp_tenant_api_refusals_total).
 *
 * Memory is a small fixed table: REFUSAL_COUNTERS (tenant, SQLSTATE) pairs;
 * past it a pair counts under the tenant "(other)", one counter per
 * SQLSTATE, of which there are at most the contract's refusals and
 * PostgREST's PGRST: the series stay bounded and every refusal is counted.
 * An administrator's refusal counts under "(admin)" in the metric, whatever
 * tenant its call named (which is not known while the error unwinds): the
 * default tenant of its context would read as that tenant's probing.  One
 * made with no caller known (an unknown API key) counts under "(none)".
 * Counting runs
 * while the error is reported: a spinlock and a scan of the table, no
 * allocation.  Counts start at zero with the server.
 */
#include "ffrtmp.h"
#include "shmem.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#define REFUSAL_COUNTERS 64
#define OVERFLOW_COUNTERS (SQLSTATE_COUNT + 1)

typedef struct RefusalCount
{
	FfrtmpCachedCaller who;
	pg_uuid_t	tenant;			/* CACHED_CALLER_TENANT's; zeroes for the others */
	int			code;			/* a SQLSTATE; 0: a free entry */
	int64		count;
} RefusalCount;

typedef struct RefusalShared
{
	slock_t		mutex;
	RefusalCount counts[REFUSAL_COUNTERS];
	RefusalCount overflow[OVERFLOW_COUNTERS];	/* tenant "(other)": who, tenant unused */
} RefusalShared;

static RefusalShared *shared = NULL;

static Size
shared_size(void)
{
	return sizeof(RefusalShared);
}

static void
init_shared(void)
{
	SpinLockInit(&shared->mutex);
}

/*
 * The entry of (key's who and tenant, code) in table, entered if there is
 * room; NULL if none.  key NULL: code alone (the overflow table).
 */
static RefusalCount *
entry(RefusalCount *table, int size, const RefusalCount *key, int code)
{
	for (int i = 0; i < size; i++)
	{
		if (table[i].code == 0)
		{
			if (key)
			{
				table[i].who = key->who;
				table[i].tenant = key->tenant;
			}
			table[i].code = code;
			return &table[i];
		}
		if (table[i].code == code && (key == NULL || (table[i].who == key->who &&
													  memcmp(&table[i].tenant, &key->tenant, sizeof(pg_uuid_t)) == 0)))
			return &table[i];
	}
	return NULL;
}

/* Counts one refusal kept out of the log; tenant is read for CACHED_CALLER_TENANT only. */
void
ffrtmp_refusal_counts_add(FfrtmpCachedCaller who, const pg_uuid_t *tenant, int code)
{
	RefusalCount key = {.who = who};
	RefusalCount *e;

	if (shared == NULL || code == 0)
		return;
	if (who == CACHED_CALLER_TENANT)
		key.tenant = *tenant;
	SpinLockAcquire(&shared->mutex);
	e = entry(shared->counts, REFUSAL_COUNTERS, &key, code);
	if (e == NULL)
		e = entry(shared->overflow, OVERFLOW_COUNTERS, NULL, code);
	if (e != NULL)
		e->count++;
	SpinLockRelease(&shared->mutex);
}

void
ffrtmp_refusal_counts_init(void)
{
	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = "ffrtmp api refusals",
		.size = shared_size,
		.pointer = (void **) &shared,
		.init = init_shared,
	});
}

static void
put_row(ReturnSetInfo *rsinfo, const RefusalCount *c, bool overflow)
{
	static const char *const counted_as[] = {
		[CACHED_CALLER_UNKNOWN] = "none",
		[CACHED_CALLER_ADMIN] = "admin",
		[CACHED_CALLER_TENANT] = "tenant",
	};
	Datum		values[4];
	bool		nulls[4] = {overflow || c->who != CACHED_CALLER_TENANT, false, false, false};
	pg_uuid_t  *tenant = palloc(sizeof(pg_uuid_t));

	*tenant = c->tenant;
	values[0] = UUIDPGetDatum(tenant);
	values[1] = CStringGetTextDatum(overflow ? "other" : counted_as[c->who]);
	values[2] = CStringGetTextDatum(unpack_sql_state(c->code));
	values[3] = Int64GetDatum(c->count);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Every counter: tenant_id (a tenant's only), counted_as, code, total. */
PG_FUNCTION_INFO_V1(ffrtmp_api_refusal_totals);
Datum
ffrtmp_api_refusal_totals(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RefusalShared *copy = palloc(sizeof(RefusalShared));

	InitMaterializedSRF(fcinfo, 0);
	SpinLockAcquire(&shared->mutex);
	memcpy(copy, shared, sizeof(RefusalShared));
	SpinLockRelease(&shared->mutex);
	for (int i = 0; i < REFUSAL_COUNTERS && copy->counts[i].code != 0; i++)
		put_row(rsinfo, &copy->counts[i], false);
	for (int i = 0; i < OVERFLOW_COUNTERS && copy->overflow[i].code != 0; i++)
		put_row(rsinfo, &copy->overflow[i], true);
	return (Datum) 0;
}
