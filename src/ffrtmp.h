/*
 * ffrtmp.h: what the extension's C files share.
 *
 * One module per concept: tenant_context.c (who is calling),
 * tenant_timeouts.c (how long a tenant may hold a transaction), spi_query.c
 * (kept plans and row returns), validate.c (argument checks), network_allow.c
 * (the network policy at submit; its rules are in common/), tenants.c,
 * tenant_roles.c, jobs.c, nodes.c, node_sessions.c (whether a node's
 * database session still exists), quota_checks.c (the table of quotas),
 * usage.c (counters, and the quota checks built from that table), priority.c,
 * dispatch.c (one dispatch pass), scheduler.c (the background workers and
 * their election), contract.c (the vocabulary and protocol shared with the
 * worker, from common/), shmem.c (the shared memory areas) and ffrtmp.c
 * (_PG_init).  The worker daemon is in worker/.
 */
#ifndef FFRTMP_H
#define FFRTMP_H

#include "postgres.h"

/*
 * ffrtmp's own text domain, as PL/pgSQL has its own: its ereports are told
 * apart from PostgreSQL's (log_refusals.c hides only ffrtmp's refusals).
 */
#undef TEXTDOMAIN
#define TEXTDOMAIN "ffrtmp"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "common/failure_reasons.h"
#include "common/protocol.h"
#include "common/sqlstates.h"
#include "common/states.h"
#include "quota_checks.h"

/*
 * SQLSTATEs of the API, chosen for the HTTP status PostgREST maps them to
 * (PTxyz becomes status xyz; 22023 becomes 400 and 42501 becomes 403), from
 * the one table the worker compares with (common/sqlstates.h).
 */
#define FFRTMP_ERRCODE(which) \
	MAKE_SQLSTATE(sqlstates[which].code[0], sqlstates[which].code[1], sqlstates[which].code[2], \
				  sqlstates[which].code[3], sqlstates[which].code[4])
#define ERRCODE_FFRTMP_NOT_FOUND       FFRTMP_ERRCODE(SQLSTATE_NOT_FOUND)
#define ERRCODE_FFRTMP_QUOTA_EXCEEDED  FFRTMP_ERRCODE(SQLSTATE_QUOTA_EXCEEDED)
#define ERRCODE_FFRTMP_TENANT_BLOCKED  FFRTMP_ERRCODE(SQLSTATE_TENANT_BLOCKED)
#define ERRCODE_FFRTMP_CONFLICT        FFRTMP_ERRCODE(SQLSTATE_CONFLICT)
#define ERRCODE_FFRTMP_PROTOCOL_MISMATCH FFRTMP_ERRCODE(SQLSTATE_PROTOCOL_MISMATCH)

/* The library's version: the Makefile's EXTVERSION, the one home of the number. */
#ifndef FFRTMP_VERSION
#error "FFRTMP_VERSION is not defined: build with the Makefile, which passes EXTVERSION"
#endif

#define FFRTMP_DEFAULT_TENANT "00000000-0000-0000-0000-000000000000"

/* tenant_context.c */
extern void ffrtmp_context_init(void);
extern void ffrtmp_context_reset(void);
extern pg_uuid_t ffrtmp_caller_tenant(void);
/* Who the caller last worked out is, looked up from nothing (ffrtmp_cached_caller). */
typedef enum FfrtmpCachedCaller
{
	CACHED_CALLER_UNKNOWN,		/* none worked out yet, or an unknown API key */
	CACHED_CALLER_ADMIN,		/* an administrator, whatever tenant it names */
	CACHED_CALLER_TENANT,		/* a tenant's user or API key */
} FfrtmpCachedCaller;
extern FfrtmpCachedCaller ffrtmp_cached_caller(pg_uuid_t *tenant);
extern bool ffrtmp_caller_admin(void);
extern void ffrtmp_require_admin(const char *action);
extern pg_uuid_t ffrtmp_target_tenant(text *tenant_arg);
extern pg_uuid_t ffrtmp_find_tenant(const char *id_or_name);
extern bool ffrtmp_lookup_row(const char *table, const char *index, const char *key_column, RegProcedure key_eq,
							  Datum key, int ncolumns, const char *const *columns, Datum *values, bool *nulls);
extern void ffrtmp_require_active_tenant(const char *name, const char *status, const char *action);
extern void ffrtmp_require_active_now(pg_uuid_t *tenant, const char *action);
extern const char *ffrtmp_tenant_status(pg_uuid_t *tenant);
extern Snapshot ffrtmp_authorization_snapshot(void);
extern bool ffrtmp_mapping_names(bool has_column, Datum recorded, bool is_null, Oid role);

/* role_user.c: the user a database role acts as */
typedef struct FfrtmpUser
{
	pg_uuid_t	id;
	bool		has_tenant;		/* false for a superadmin */
	pg_uuid_t	tenant;
	char		role[NAMEDATALEN];
	char	   *email;			/* NULL for a user made from a role mapping */
	bool		disabled;
	bool		deleted;
} FfrtmpUser;
extern bool ffrtmp_role_user(Oid role, FfrtmpUser *user);
extern const FfrtmpUser *ffrtmp_caller_user(void);
extern bool ffrtmp_claims_user(FfrtmpUser *user);

/* permissions.c: the caller's role and the one permission check */
extern const char *ffrtmp_caller_role(void);
extern int	ffrtmp_role_rank(const char *role);
extern bool ffrtmp_role_holds(const char *role, const char *permission);
extern void ffrtmp_require_permission(const char *permission);
extern void ffrtmp_require_permission_for(const char *permission, const char *function);
extern bool ffrtmp_caller_user_id(pg_uuid_t *user_id);

/* permission_hook.c: the check run before every API function */
extern void ffrtmp_permission_hook_init(void);

/* rest_errors.c: a refusal reaches a REST client as 403, not PostgREST's 401 */
#define ERRCODE_POSTGREST_RAISE MAKE_SQLSTATE('P','G','R','S','T')
extern void ffrtmp_rest_errors_init(void);
extern void ffrtmp_rest_errors_prepare(void);
extern bool ffrtmp_in_rest_request(void);
extern void ffrtmp_rest_errors_translate(MemoryContext mcxt);

/* log_refusals.c: the API's expected refusals stay out of the server log */
extern void ffrtmp_log_refusals_init(void);
extern void ffrtmp_log_refusals_note(void);

/* refusal_counts.c: the refusals kept out of the log, counted per tenant and SQLSTATE */
extern void ffrtmp_refusal_counts_init(void);
extern void ffrtmp_refusal_counts_add(FfrtmpCachedCaller who, const pg_uuid_t *tenant, int code);

/* api_keys.c: the key authenticated in this transaction */
extern void ffrtmp_api_keys_init(void);
extern bool ffrtmp_key_tenant(pg_uuid_t *tenant);
extern bool ffrtmp_key_allows(const char *permission);
extern const char *ffrtmp_key_id(void);
extern const char *ffrtmp_key_role(void);
extern bool ffrtmp_key_user(pg_uuid_t *user);

/* rest_claims.c: PostgREST's request settings, believed only from the authenticator */
extern bool ffrtmp_rest_trusted(void);
extern const char *ffrtmp_rest_tenant_header(void);
extern pg_uuid_t ffrtmp_rest_selected_tenant(void);
extern void ffrtmp_rest_require_own_tenant(const pg_uuid_t *own, const char *principal);

/* invitations.c: the invitation being accepted, a source of the tenant context */
extern bool ffrtmp_invitation_tenant(pg_uuid_t *tenant);
/* tenant_timeouts.c: statement and idle-transaction caps for tenant principals */
extern void ffrtmp_timeouts_init(void);

/* spi_query.c: a query prepared once per backend and kept (SPI_keepplan). */
#define FFRTMP_MAX_ARGS 17
typedef struct KeptQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[FFRTMP_MAX_ARGS];
	SPIPlanPtr	plan;
} KeptQuery;

extern int	ffrtmp_run(KeptQuery *query, Datum *values, const char *nulls);
extern int	ffrtmp_begin_index_plans(void);
extern void ffrtmp_end_index_plans(int nestlevel);
extern Datum ffrtmp_return_row(FunctionCallInfo fcinfo);
extern void ffrtmp_return_rows(FunctionCallInfo fcinfo);
extern Datum ffrtmp_return_named_row(FunctionCallInfo fcinfo);
extern Datum ffrtmp_get_datum(int column, bool *isnull);
extern char *ffrtmp_get_text(int column);
extern int32 ffrtmp_get_int32(int column, bool *isnull);
extern bool ffrtmp_parse_uuid(const char *text, pg_uuid_t *uuid);
extern bool ffrtmp_parse_uuid_any(const char *text, pg_uuid_t *uuid);

/* validate.c */
extern char *ffrtmp_text_arg(FunctionCallInfo fcinfo, int n);
extern void ffrtmp_require_arg(FunctionCallInfo fcinfo, int n, const char *name);
extern void ffrtmp_check_queue(const char *queue);
extern bool ffrtmp_word_in_list(const char *word, const char *list);
extern void ffrtmp_check_tenant_name(const char *name);
extern void ffrtmp_check_metadata(Jsonb *metadata);
extern void ffrtmp_check_quotas(Jsonb *quotas);
extern void ffrtmp_check_input_url(const char *url);
extern void ffrtmp_check_output_url(const char *url);
extern void ffrtmp_check_params(Jsonb *params, const char *output_url, int gpus);

/* network_allow.c */
extern void ffrtmp_network_policy_init(void);
extern void ffrtmp_check_url_host(const char *what, const char *url);
extern void ffrtmp_check_webhook_url_host(const char *url);
extern char *ffrtmp_echo_url(const char *url);

/* contract.c: the protocol check of register_node, and which release's SQL is installed */
extern bool ffrtmp_sql_is_0_2(void);
extern void ffrtmp_check_worker_protocol(FunctionCallInfo fcinfo, int arg);

/* scheduler.c */
extern void ffrtmp_require_home_database(const char *action);
extern void ffrtmp_require_epoch(int64 epoch);

/* dispatch.c */
extern void ffrtmp_dispatch_init(void);
extern int	ffrtmp_dispatch(int64 epoch);

/* job_waits.c */
extern void ffrtmp_job_waits_init(void);
extern void ffrtmp_job_waits_broadcast(void);

/* audit.c: the audit log's settings and the C API's audit rows */
extern int	ffrtmp_audit_retention_s;
extern void ffrtmp_audit_init(void);
extern Datum ffrtmp_audit_tenant_before(pg_uuid_t *tenant, bool *isnull);
extern void ffrtmp_audit_tenant(const char *action, pg_uuid_t *tenant, Datum old, bool old_isnull);
extern Datum ffrtmp_audit_job_before(int64 job, bool *isnull);
extern void ffrtmp_audit_job(const char *action, int64 job, Datum old, bool old_isnull);
extern void ffrtmp_audit_submitted(const int64 *ids, int n);
extern void ffrtmp_audit_write(const char *action, const char *target, pg_uuid_t *tenant, const char *change);
extern char *ffrtmp_json_string(const char *s);
/* audit_refusals.c: refusals queued in shared memory, written by the scheduler's pass */
extern int	ffrtmp_audit_refusals_per_minute;
extern int	ffrtmp_audit_refusals_max_per_minute;
extern void ffrtmp_audit_refusals_init(void);
extern void ffrtmp_audit_refusal(const pg_uuid_t *tenant, const char *action, const char *target, const char *outcome);
extern void ffrtmp_audit_refusal_charged(const pg_uuid_t *tenant, const pg_uuid_t *charged, const char *action,
										 const char *target, const char *outcome);

/* scheduler.c */
extern void ffrtmp_scheduler_init(void);

/* wake.c: wakes the scheduler leader at commit */
extern void ffrtmp_wake_init(void);
extern void ffrtmp_wake_scheduler_at_commit(void);
extern void ffrtmp_wake_scheduler_now(void);

/* two_phase.c: COMMIT PREPARED wakes the leader and the job waiters */
extern void ffrtmp_two_phase_init(void);

/* api_requests.c: REST API requests counted and rate limited in shared memory */
extern void ffrtmp_api_requests_init(void);

/* metrics.c: histograms and counters of ffrtmp.metrics() in shared memory */
extern void ffrtmp_metrics_init(void);
extern void ffrtmp_metrics_observe_pass(double seconds);

/* usage.c: a tenant's counters and quotas, read under a row lock. */
typedef struct TenantUsage
{
	char	   *name;
	char	   *status;			/* effective: active, suspended, expired, deleted */
	/* Per quota of ffrtmp_quota_checks[], in its order. */
	int64		limit[FFRTMP_MAX_QUOTAS];	/* FFRTMP_UNLIMITED when NULL */
	int64		used[FFRTMP_MAX_QUOTAS];
} TenantUsage;

extern int64 ffrtmp_current_minute(void);
extern TenantUsage ffrtmp_lock_usage(pg_uuid_t *tenant);
extern bool ffrtmp_fold_usage(pg_uuid_t *tenant);
extern void ffrtmp_require_room(const TenantUsage *usage, const char *what, int64 used, int64 limit,
								const char *hint);
extern void ffrtmp_require_quotas(const TenantUsage *usage, QuotaEvent event);
extern void ffrtmp_require_job_fits(const TenantUsage *usage, int64 job_id);
extern void ffrtmp_refuse_quota(const char *tenant, const QuotaCheck *quota, int64 demand, int64 limit);
extern char *ffrtmp_kept_sql(StringInfo sql);

/* usage_versions.c: where this transaction last wrote each tenant's usage row (a hint). */
extern bool ffrtmp_usage_version(const pg_uuid_t *tenant, ItemPointer tid);
extern void ffrtmp_note_usage_version(const pg_uuid_t *tenant, ItemPointer tid);

#endif							/* FFRTMP_H */
