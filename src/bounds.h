/*
 * bounds.h: how large anything a tenant or a node can store may be, and how
 * much of a caller's value an error message echoes.
 *
 * Every value a caller passes to the API ends up in a shared table, in an
 * error message or in the server log, so each has a bound here, checked
 * before any row is touched.  A value over its bound is refused with SQLSTATE
 * 22023 (HTTP 400), an error that names the argument, and a hint with the
 * limit; nothing is truncated silently.  The "Bounds" table of docs/security.md lists
 * the same numbers: change both together.
 */
#ifndef FFRTMP_BOUNDS_H
#define FFRTMP_BOUNDS_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/jsonb.h"

/* ---- Error messages -------------------------------------------------------- */

/*
 * Bytes of a caller's value an error message repeats (cut on a character
 * boundary): enough to recognise it, never a flood in the log.
 */
#define ECHO_MAX_BYTES 40

/* ---- Tenants (create_tenant, update_tenant) -------------------------------- */

/* Characters; a name people read in a list, not a document. */
#define DISPLAY_NAME_MAX_CHARS 200
/* Characters; a paragraph or two (newlines and tabs allowed). */
#define DESCRIPTION_MAX_CHARS 4000
/* Bytes of the stored jsonb; caller data that belongs elsewhere if larger. */
#define METADATA_MAX_BYTES 16384
/* Levels of nested objects and arrays (a flat object is 1). */
#define METADATA_MAX_DEPTH 8
/* Bytes of quotas: five quotas, each a number, null or "default". */
#define QUOTAS_MAX_BYTES 1024
/* Bytes; plans are short words (free, basic, pro, enterprise). */
#define PLAN_MAX_BYTES 63
/* Bytes; a tenant argument is a tenant name (at most 63) or a UUID (36). */
#define TENANT_REF_MAX_BYTES 63

/* ---- Nodes (register_node, node_heartbeat) --------------------------------- */

/* Bytes of a node name: a host name, [A-Za-z0-9._-], as the table's CHECK says. */
#define NODE_NAME_MAX_BYTES 128
/* Elements of encoders: libavcodec has a few hundred encoders; the worker sends ~20. */
#define ENCODERS_MAX 256
/* Bytes of one encoder name ([A-Za-z0-9_.-]): libavcodec's longest is ~25. */
#define ENCODER_NAME_MAX_BYTES 64
/* Bytes of the stored labels jsonb; labels are a few key=value pairs. */
#define LABELS_MAX_BYTES 4096
/* Levels of nesting in labels (a flat object is 1). */
#define LABELS_MAX_DEPTH 2
/* CPU cores, GPUs, MiB of memory and job slots a node may offer. */
#define NODE_CPU_CORES_MAX 4096
#define NODE_GPUS_MAX 64
#define NODE_MEMORY_MB_MAX (64 * 1024 * 1024)	/* 64 TiB */
#define NODE_SLOTS_MAX 1024
/* (A session token's 128 bytes are checked by the node-token fence, ffrtmp_data.authenticated_node.) */
/* Elements of node_heartbeat's running_jobs: at most one per slot. */
#define RUNNING_JOBS_MAX NODE_SLOTS_MAX

/*
 * Registered nodes of one tenant (or of the shared pool) that are offline and
 * kept for their history: registering a new node name beyond this recycles
 * the oldest offline ones first.  Online and draining nodes are bounded by
 * the plan's max_workers, and all of a tenant's nodes by NODES_PER_TENANT_MAX.
 */
#define OFFLINE_NODES_KEPT 32
/* Registered nodes (any state) of one tenant, whatever its plan says. */
#define NODES_PER_TENANT_MAX 1000

/* ---- Jobs (submit_job) ----------------------------------------------------- */

/* Bytes of a URL; common servers refuse longer request lines. */
#define URL_MAX_BYTES 4096
/* Output paths and file names: src/common/names.h. */
/* Bytes of the caller's params jsonb: the largest valid ladder is ~2 KiB. */
#define PARAMS_MAX_BYTES 16384
/* Levels of nesting in params: params > renditions > rendition. */
#define PARAMS_MAX_DEPTH 3
/* Bytes of a preset name. */
#define PRESET_MAX_BYTES 63
/* Bytes of an idempotency key (a UUID is 36); printable, no control characters. */
#define IDEMPOTENCY_KEY_MAX_BYTES 255
/* Bytes of a queue or job state word (live, default, batch; queued...). */
#define WORD_ARG_MAX_BYTES 63
/*
 * Days ahead of now a job's run_after may be: a queued job holds a unit of
 * its tenant's quota until it runs, so "infinity" (or the year 3000) would
 * hold it forever.  Later or recurring work is submitted when it is due (a
 * pg_cron job calling submit_job).  A time in the past means now.
 */
#define RUN_AFTER_MAX_DAYS 365
/*
 * Jobs in one submit_jobs call: its arrays and its transaction stay a few
 * MiB at most, and the usage row lock is held for a bounded time.
 */
#define SUBMIT_JOBS_MAX 1000

/* ---- Roles (add_tenant_role, remove_tenant_role) --------------------------- */

/* Bytes of a role name: PostgreSQL's identifiers are at most NAMEDATALEN - 1. */
#define ROLE_NAME_MAX_BYTES (NAMEDATALEN - 1)

/* echo.c */
extern char *ffrtmp_echo(const char *value);

/* bounds.c */
typedef enum TextRule
{
	TEXT_ONE_LINE,				/* no control characters at all */
	TEXT_MULTI_LINE,			/* newlines and tabs allowed, other controls not */
} TextRule;

extern void ffrtmp_check_text_bytes(const char *what, const char *value, int max_bytes);
extern void ffrtmp_check_no_controls(const char *what, const char *value, TextRule rule);
extern void ffrtmp_check_text_field(const char *what, text *value, int max_chars, TextRule rule);
extern void ffrtmp_check_json_object(const char *what, Jsonb *value, int max_bytes, int max_depth);
extern void ffrtmp_check_word_array(const char *what, ArrayType *value, int max_elements,
									int max_element_bytes);
extern void ffrtmp_check_array_length(const char *what, ArrayType *value, int max_elements);
extern char *ffrtmp_tenant_arg(FunctionCallInfo fcinfo, int n);
extern text *ffrtmp_tenant_arg_text(FunctionCallInfo fcinfo, int n);

#endif							/* FFRTMP_BOUNDS_H */
