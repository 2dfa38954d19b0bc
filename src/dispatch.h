/*
 * dispatch.h: what dispatch.c (a pass) and dispatch_sql.c (its statements)
 * share.
 */
#ifndef FFRTMP_DISPATCH_H
#define FFRTMP_DISPATCH_H

#include "lib/stringinfo.h"

/* Queue ranks within a tenant: live first (the order of qs in the candidates). */
#define QUEUE_RANK_LIVE 0
#define QUEUE_RANK_BATCH 2

/* The condition that a dispatch pause holds a job of tenant in queue (SQL expressions). */
extern void ffrtmp_dispatch_append_paused(StringInfo sql, bool pauses, const char *tenant, const char *queue);
/* The candidates query: $1 to $5 and its columns are described at its definition. */
extern char *ffrtmp_dispatch_candidates_sql(bool pauses);
/* The assignment of jobs $1 (bigint[]) to nodes $2 (bigint[]). */
extern char *ffrtmp_dispatch_assign_sql(bool pauses);

#endif
