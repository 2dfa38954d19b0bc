/*
 * quota_checks.h: the one table of a tenant's quotas, and what is built from it.
 *
 * Every quota is declared once, in quota_checks.c.  The submit statement's
 * conditions, the explanation of a refusal, dispatch's quota filter, the
 * checks of retry_job and register_node, tenant_stats' used and available
 * columns (and its summary), the keys update_tenant accepts and the SQL
 * function ffrtmp.quota_checks() are all produced from that table, so a
 * quota cannot be added to one of them and forgotten in another.
 */
#ifndef QUOTA_CHECKS_H
#define QUOTA_CHECKS_H

#include "lib/stringinfo.h"

/* The changes that add to a quota's usage. */
typedef enum QuotaEvent
{
	QUOTA_AT_SUBMIT = 1 << 0,	/* submit_job: the job is new */
	QUOTA_AT_RETRY = 1 << 1,	/* retry_job: the job is active again */
	QUOTA_AT_DISPATCH = 1 << 2, /* a dispatch pass: the job holds a node */
	QUOTA_AT_NODE = 1 << 3,		/* register_node: a dedicated node comes online */
} QuotaEvent;

typedef struct QuotaCheck
{
	/* Column of plans and tenant_limits, and key of quota_overrides. */
	const char *key;
	/* What is counted, as the refusal names it: "active jobs". */
	const char *unit;
	/* SQL over the usage row u: what is used now ($2 is the current minute). */
	const char *used;
	/* Column of jobs that says how much one job takes; NULL: one per job or node. */
	const char *job_column;
	/* QuotaEvent bits: the changes that take from the quota (and check it). */
	int			taken_at;
	/* errhint of the refusal. */
	const char *hint;
	/* tenant_stats: the columns (of its row type) and summary labels. */
	const char *used_column;
	const char *used_label;
	const char *available_column;
	const char *available_label;
} QuotaCheck;

extern const QuotaCheck ffrtmp_quota_checks[];
extern const int ffrtmp_quota_count;

/* A limit that is NULL (unlimited), in C; and room for the table's rows in TenantUsage. */
#define FFRTMP_UNLIMITED (-1)
#define FFRTMP_MAX_QUOTAS 16

/*
 * The REST API request rate (api_requests.c): a plans column and
 * quota_overrides key like the table's quotas, but outside the table, as it
 * counts nothing in usage and is checked by no statement built from it.
 */
#define FFRTMP_API_RATE_QUOTA "max_api_requests_per_minute"

/* SQL fragments, built from the table's constant identifiers only. */
extern void ffrtmp_quota_append_demand(StringInfo sql, const QuotaCheck *quota, const char *row);
extern void ffrtmp_quota_append_submit_check(StringInfo sql, const QuotaCheck *quota);
extern bool ffrtmp_quota_checked_at_submit(const QuotaCheck *quota);
extern bool ffrtmp_quota_checked_for_fit(const QuotaCheck *quota);
extern char *ffrtmp_quota_key_list(void);
extern const QuotaCheck *ffrtmp_find_quota(const char *key);

#endif							/* QUOTA_CHECKS_H */
