/*
 * api_requests.c: REST API requests counted per tenant and endpoint, and the
 * plans' request rate (max_api_requests_per_minute) enforced, in shared
 * memory: a GET runs in a READ ONLY transaction and no request should write
 * a row just to be counted.
 *
 * The rate is a generic cell rate algorithm (GCRA, the token bucket kept as
 * one timestamp, the theoretical arrival time): a plan allowing L requests a
 * minute is a bucket of L requests refilled at L a minute, one every 60/L
 * seconds.  So L pass at once, L a minute pass sustained, and at most 2L pass
 * in any one minute (a full bucket, then its refill).  A refused request
 * takes nothing, and its Retry-After is the exact wait, rounded up to whole
 * seconds.
 *
 * Memory is fixed at start: ffrtmp.api_request_counters tenants, and as many
 * (tenant, endpoint) counters.  An endpoint that finds the table full is
 * counted under its tenant's "(other)" endpoint, and so is a tenant's
 * endpoint past its fair share of the table, max(8, counters / 8) endpoints:
 * one tenant's many paths (request.path is what the client sent) cannot
 * take every counter and leave the other tenants only "(other)".  A tenant's rate state whose
 * bucket is full again (theoretical arrival time <= now) is the state of a
 * tenant never seen, so when the tenant table is full such a slot is given to
 * the new tenant (its endpoint counters stay: they are in the other table;
 * its "(other)" counts move to the tenant-less "(other)" row).  Only when
 * every slot is a tenant limited within the last minute is there no room:
 * the request counts in the tenant-less row and, if its plan has a limit,
 * is refused until the first slot frees (fail closed).  Counters only grow,
 * until the server restarts: Prometheus counter semantics.
 */
#include "ffrtmp.h"
#include "quota_checks.h"
#include "shmem.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* request.path as counted: longer paths are cut (at a character boundary) to 63 bytes. */
#define ENDPOINT_LEN 64
#define OTHER_ENDPOINT "(other)"
#define TRANCHE "ffrtmp api requests"

typedef struct EndpointKey
{
	pg_uuid_t	tenant;
	char		endpoint[ENDPOINT_LEN];
} EndpointKey;

typedef struct EndpointCounts
{
	EndpointKey key;
	int64		requests;
	int64		refused;
} EndpointCounts;

/* How many endpoint counters a tenant holds (they outlive its rate slot). */
typedef struct TenantEndpoints
{
	pg_uuid_t	tenant;
	int			endpoints;
} TenantEndpoints;

typedef struct TenantRate
{
	pg_uuid_t	tenant;
	TimestampTz tat;			/* GCRA's theoretical arrival time */
	int64		other_requests; /* its endpoints that found the table full */
	int64		other_refused;
} TenantRate;

typedef struct ApiRequestsShared
{
	LWLock	   *lock;
	/* the tenant-less "(other)" row: tenants that found no room, reused slots' "(other)" */
	int64		overflow_requests;
	int64		overflow_refused;
} ApiRequestsShared;

static int	api_request_counters = 1000;
static ApiRequestsShared *shared = NULL;
static HTAB *tenant_rates = NULL;
static HTAB *endpoint_counts = NULL;
static HTAB *tenant_endpoints = NULL;

static Size
shared_size(void)
{
	return sizeof(ApiRequestsShared);
}

/* The hash tables' space, sized by ffrtmp.api_request_counters, and the lock. */
static void
request_tables(void)
{
	RequestAddinShmemSpace(hash_estimate_size(api_request_counters, sizeof(TenantRate)) +
						   hash_estimate_size(api_request_counters, sizeof(EndpointCounts)) +
						   hash_estimate_size(api_request_counters, sizeof(TenantEndpoints)));
	RequestNamedLWLockTranche(TRANCHE, 1);
}

static void
init_shared(void)
{
	shared->lock = &(GetNamedLWLockTranche(TRANCHE))->lock;
}

/* Every process looks its tables up (ShmemInitHash creates them the first time). */
static void
attach_tables(void)
{
	HASHCTL		info;

	/* init_size = max_size and HASH_FIXED_SIZE: all allocated now, never more. */
	info.keysize = sizeof(pg_uuid_t);
	info.entrysize = sizeof(TenantRate);
	tenant_rates = ShmemInitHash("ffrtmp api request tenants", api_request_counters, api_request_counters,
								 &info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	info.keysize = sizeof(EndpointKey);
	info.entrysize = sizeof(EndpointCounts);
	endpoint_counts = ShmemInitHash("ffrtmp api request endpoints", api_request_counters, api_request_counters,
									&info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	/* Each tenant here holds an endpoint counter: no more tenants than counters. */
	info.keysize = sizeof(pg_uuid_t);
	info.entrysize = sizeof(TenantEndpoints);
	tenant_endpoints = ShmemInitHash("ffrtmp api request tenant endpoints", api_request_counters, api_request_counters,
									 &info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
}

void
ffrtmp_api_requests_init(void)
{
	DefineCustomIntVariable("ffrtmp.api_request_counters",
							"Tenants, and (tenant, endpoint) pairs, whose REST API requests are counted one by one.",
							"A tenant holds at most max(8, this / 8) endpoint counters; past them, or past the table, its requests count under the endpoint \"(other)\". A new tenant takes the slot of one whose rate bucket is full again.",
							&api_request_counters, 1000, 1, 100000, PGC_POSTMASTER, 0, NULL, NULL, NULL);
	ffrtmp_shmem_register(&(FfrtmpShmemArea) {
		.name = TRANCHE,
		.size = shared_size,
		.pointer = (void **) &shared,
		.init = init_shared,
		.request = request_tables,
		.attach = attach_tables,
	});
}

/*
 * The tenant's request rate (-1: unlimited) and its plan: the tenant's
 * override (quota_overrides, as update_tenant stores it) over the plan's
 * column.  Two primary-key reads, no SPI, nothing cached: a changed plan or
 * override counts from the next request.
 */
static int32
tenant_rate_limit(pg_uuid_t *tenant, char **plan, bool *overridden)
{
	static const char *const tenant_columns[] = {"plan", "quota_overrides"};
	static const char *const plan_columns[] = {FFRTMP_API_RATE_QUOTA};
	Datum		values[2];
	bool		nulls[2] = {true, true};
	Datum		value;
	bool		isnull = true;

	*plan = NULL;
	*overridden = false;
	if (!ffrtmp_lookup_row("tenants", "tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(tenant),
						   2, tenant_columns, values, nulls) || nulls[0])
		return -1;
	*plan = TextDatumGetCString(values[0]);
	if (!nulls[1])
	{
		JsonbValue	key;
		JsonbValue *found;

		key.type = jbvString;
		key.val.string.val = FFRTMP_API_RATE_QUOTA;
		key.val.string.len = strlen(FFRTMP_API_RATE_QUOTA);
		found = findJsonbValueFromContainer(&DatumGetJsonbP(values[1])->root, JB_FOBJECT, &key);
		*overridden = found != NULL;
		if (found && found->type == jbvNull)
			return -1;
		if (found && found->type == jbvNumeric)
			return DatumGetInt32(DirectFunctionCall1(numeric_int4, NumericGetDatum(found->val.numeric)));
	}
	if (!ffrtmp_lookup_row("plans", "plans_pkey", "name", F_TEXTEQ, values[0],
						   1, plan_columns, &value, &isnull) || isnull)
		return -1;
	return DatumGetInt32(value);
}

/*
 * GCRA: whether a request at now passes a limit of per_minute (> 0); else
 * *wait_us says when the next one would.  Advances *tat only when it passes.
 * The bucket is full when *tat <= now; each request moves *tat 60/L seconds
 * on, and one passes while *tat stays within a minute of now.
 */
static bool
gcra_pass(TimestampTz *tat, TimestampTz now, int32 per_minute, int64 *wait_us)
{
	int64		interval = USECS_PER_MINUTE / per_minute;
	TimestampTz next = Max(*tat, now) + interval;

	if (next - now <= USECS_PER_MINUTE)
	{
		*tat = next;
		return true;
	}
	*wait_us = next - USECS_PER_MINUTE - now;
	return false;
}

/*
 * The tenant's rate slot, entered if new: a free one, else one whose bucket
 * is full again (see the head comment).  NULL when every slot is a tenant
 * limited within the last minute; *free_us then says when the first frees.
 */
static TenantRate *
tenant_slot(pg_uuid_t *tenant, TimestampTz now, int64 *free_us)
{
	TenantRate *rate;
	TenantRate *reusable = NULL;
	TimestampTz first_free = PG_INT64_MAX;
	HASH_SEQ_STATUS seq;
	pg_uuid_t	old;
	bool		found;

	rate = hash_search(tenant_rates, tenant, HASH_ENTER_NULL, &found);
	if (rate == NULL)
	{
		hash_seq_init(&seq, tenant_rates);
		while ((rate = hash_seq_search(&seq)) != NULL)
		{
			if (rate->tat <= now)
			{
				reusable = rate;
				hash_seq_term(&seq);
				break;
			}
			first_free = Min(first_free, rate->tat);
		}
		if (reusable == NULL)
		{
			*free_us = first_free - now;
			return NULL;
		}
		shared->overflow_requests += reusable->other_requests;
		shared->overflow_refused += reusable->other_refused;
		old = reusable->tenant;
		hash_search(tenant_rates, &old, HASH_REMOVE, NULL);
		/* Not partitioned: one free list, so the entry just freed is found. */
		rate = hash_search(tenant_rates, tenant, HASH_ENTER_NULL, &found);
		Assert(rate != NULL && !found);
	}
	if (!found)
	{
		rate->tat = 0;
		rate->other_requests = 0;
		rate->other_refused = 0;
	}
	return rate;
}

/* The endpoint counters one tenant may hold: a fair share of the table. */
static int
endpoints_per_tenant(void)
{
	return Max(8, api_request_counters / 8);
}

/*
 * A new endpoint counter for key, if the table has room and its tenant has
 * not used up its share; NULL: count under the tenant's "(other)".  The
 * caller holds the lock exclusively.
 */
static EndpointCounts *
new_endpoint(const EndpointKey *key)
{
	TenantEndpoints *owner;
	EndpointCounts *counts;
	bool		found;

	owner = hash_search(tenant_endpoints, &key->tenant, HASH_ENTER_NULL, &found);
	if (owner == NULL)
		return NULL;
	if (!found)
		owner->endpoints = 0;
	if (owner->endpoints >= endpoints_per_tenant())
		return NULL;
	counts = hash_search(endpoint_counts, key, HASH_ENTER_NULL, &found);
	if (counts == NULL)
	{
		if (owner->endpoints == 0)
			hash_search(tenant_endpoints, &key->tenant, HASH_REMOVE, NULL);
		return NULL;
	}
	counts->requests = counts->refused = 0;
	owner->endpoints++;
	return counts;
}

/*
 * Counts one request of tenant at endpoint; whether the rate let it through.
 * *full: refused because the tenant found no rate slot.
 */
static bool
count_request(pg_uuid_t *tenant, const char *endpoint, int32 limit, int64 *wait_us, bool *full)
{
	TenantRate *rate;
	EndpointCounts *counts;
	EndpointKey key;
	TimestampTz now = GetCurrentTimestamp();
	int64		free_us = 0;
	bool		passed = true;

	memset(&key, 0, sizeof(key));
	key.tenant = *tenant;
	strlcpy(key.endpoint, endpoint, ENDPOINT_LEN);
	*full = false;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	rate = tenant_slot(tenant, now, &free_us);
	if (limit == 0)
	{
		passed = false;
		*wait_us = USECS_PER_MINUTE;
	}
	else if (limit > 0 && rate == NULL)
	{
		passed = false;
		*full = true;
		*wait_us = free_us;
	}
	else if (limit > 0)
		passed = gcra_pass(&rate->tat, now, limit, wait_us);

	if (rate == NULL)
	{
		shared->overflow_requests++;
		shared->overflow_refused += passed ? 0 : 1;
		LWLockRelease(shared->lock);
		return passed;
	}
	counts = hash_search(endpoint_counts, &key, HASH_FIND, NULL);
	if (counts == NULL)
		counts = new_endpoint(&key);
	if (counts == NULL)
	{
		rate->other_requests++;
		rate->other_refused += passed ? 0 : 1;
	}
	else
	{
		counts->requests++;
		counts->refused += passed ? 0 : 1;
	}
	LWLockRelease(shared->lock);
	return passed;
}

/* "1 request", "2 requests": n and its noun, singular or plural. */
static const char *
count_of(int64 n, const char *one, const char *many)
{
	return psprintf("%lld %s", (long long) n, n == 1 ? one : many);
}

/* PostgREST's error form: SQLSTATE PGRST, the JSON body as message, status and headers as detail. */
static void
refuse(int32 limit, const char *plan, bool overridden, bool full, int64 wait_us)
{
	int64		wait_s = Max(1, (wait_us + USECS_PER_SEC - 1) / USECS_PER_SEC);
	const char *retry = count_of(wait_s, "second", "seconds");
	const char *rate = count_of(limit, "request", "requests");
	StringInfoData body;
	StringInfoData text;

	initStringInfo(&body);
	initStringInfo(&text);
	if (full)
	{
		appendStringInfoString(&body, "{\"code\": \"PT429\", \"message\": \"the server's api rate table is full\", \"details\": ");
		appendStringInfo(&text, "every one of its %s is a tenant limited within the last minute; this tenant's plan allows %s per minute",
						 count_of(api_request_counters, "slot", "slots"), rate);
	}
	else
	{
		appendStringInfoString(&body, "{\"code\": \"PT429\", \"message\": \"api request rate exceeded\", \"details\": ");
		if (overridden)
			appendStringInfo(&text, "%s per minute for this tenant (its override of plan %s)", rate, plan);
		else
			appendStringInfo(&text, "%s per minute for plan %s", rate, plan);
	}
	escape_json(&body, text.data);
	resetStringInfo(&text);
	if (full)
		appendStringInfo(&text, "Retry after %s; an administrator can raise the setting ffrtmp.api_request_counters (it needs a restart).", retry);
	else if (limit == 0)
		appendStringInfo(&text, "Retry after %s; no API requests are allowed: an administrator can change the tenant's plan or its max_api_requests_per_minute with ffrtmp.update_tenant().", retry);
	else
		appendStringInfo(&text, "Retry after %s, or send requests less often; an administrator can raise the tenant's max_api_requests_per_minute with ffrtmp.update_tenant().", retry);
	appendStringInfoString(&body, ", \"hint\": ");
	escape_json(&body, text.data);
	appendStringInfoChar(&body, '}');
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE('P', 'G', 'R', 'S', 'T')),
			 errmsg_internal("%s", body.data),
			 errdetail_internal("{\"status\": 429, \"headers\": {\"Retry-After\": \"%lld\"}}", (long long) wait_s)));
}

/*
 * ffrtmp_data.count_api_request(): called by ffrtmp.pre_request() once the
 * request's API key is known; counts the request under the caller's tenant
 * and request.path, and refuses it with HTTP 429 past the plan's rate.
 */
PG_FUNCTION_INFO_V1(ffrtmp_count_api_request);
Datum
ffrtmp_count_api_request(PG_FUNCTION_ARGS)
{
	pg_uuid_t	tenant = ffrtmp_caller_tenant();
	const char *path = GetConfigOption("request.path", true, false);
	char		endpoint[ENDPOINT_LEN];
	char	   *plan;
	int32		limit;
	bool		overridden;
	int64		wait_us = 0;
	bool		full;

	if (path == NULL || path[0] == '\0')
		path = "/";
	strlcpy(endpoint, path, pg_mbcliplen(path, strlen(path), ENDPOINT_LEN - 1) + 1);
	limit = tenant_rate_limit(&tenant, &plan, &overridden);
	if (!count_request(&tenant, endpoint, limit, &wait_us, &full))
		refuse(limit, plan, overridden, full, wait_us);
	PG_RETURN_VOID();
}

/* One row of the reader; tenant NULL for the tenant-less overflow row. */
static void
put_row(Tuplestorestate *store, TupleDesc desc, const pg_uuid_t *tenant, const char *endpoint,
		int64 requests, int64 refused)
{
	Datum		values[4];
	bool		nulls[4] = {tenant == NULL, false, false, false};
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	if (tenant)
		*copy = *tenant;
	values[0] = UUIDPGetDatum(copy);
	values[1] = CStringGetTextDatum(endpoint);
	values[2] = Int64GetDatum(requests);
	values[3] = Int64GetDatum(refused);
	tuplestore_putvalues(store, desc, values, nulls);
}

/* Every counter row, or only those of tenant own when all is false. */
static void
put_counters(ReturnSetInfo *rsinfo, bool all, const pg_uuid_t *own)
{
	HASH_SEQ_STATUS seq;
	EndpointCounts *counts;
	TenantRate *rate;

	LWLockAcquire(shared->lock, LW_SHARED);
	hash_seq_init(&seq, endpoint_counts);
	while ((counts = hash_seq_search(&seq)) != NULL)
		if (all || memcmp(&counts->key.tenant, own, sizeof(pg_uuid_t)) == 0)
			put_row(rsinfo->setResult, rsinfo->setDesc, &counts->key.tenant, counts->key.endpoint,
					counts->requests, counts->refused);
	hash_seq_init(&seq, tenant_rates);
	while ((rate = hash_seq_search(&seq)) != NULL)
		if (rate->other_requests > 0 && (all || memcmp(&rate->tenant, own, sizeof(pg_uuid_t)) == 0))
			put_row(rsinfo->setResult, rsinfo->setDesc, &rate->tenant, OTHER_ENDPOINT,
					rate->other_requests, rate->other_refused);
	if (all && shared->overflow_requests > 0)
		put_row(rsinfo->setResult, rsinfo->setDesc, NULL, OTHER_ENDPOINT,
				shared->overflow_requests, shared->overflow_refused);
	LWLockRelease(shared->lock);
}

/*
 * ffrtmp_data.api_request_counters(): the counters; a tenant principal gets
 * its own tenant's rows only, an administrator every row.
 */
PG_FUNCTION_INFO_V1(ffrtmp_api_request_counters);
Datum
ffrtmp_api_request_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		admin = ffrtmp_caller_admin();
	pg_uuid_t	own = ffrtmp_caller_tenant();

	InitMaterializedSRF(fcinfo, 0);
	put_counters(rsinfo, admin, &own);
	return (Datum) 0;
}

/*
 * ffrtmp_data.api_request_totals(): every counter row, asking no caller
 * context: for the metrics readers (sql/api/90_metrics.sql), whose monitoring
 * role is mapped to no tenant; EXECUTE is their owner's alone.
 */
PG_FUNCTION_INFO_V1(ffrtmp_api_request_totals);
Datum
ffrtmp_api_request_totals(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	put_counters(rsinfo, true, NULL);
	return (Datum) 0;
}
