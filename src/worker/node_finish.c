/*
 * node_finish.c: the end of an attempt, node_session_finish_job(), and the
 * finishes kept while the database cannot take them (see node_session.h).
 *
 * A finish the database does not answer, or answers with "not now" (a
 * tenant's lock, a timeout, a serialization failure, a stale token that the
 * next heartbeat renews), is kept and sent again with backoff, 0.5 s
 * doubling to 10 s, and at once after a reconnect: a restart or failover in
 * the middle of a job loses neither the job nor its result.
 *
 * Invariants: kept finishes are delivered in the order they were made;
 * npending is the length of the pending list, which only this file
 * changes; every kept job stays in the heartbeat's list of running jobs
 * (node_session.c reads the list), so that the database keeps its attempt
 * open until the finish arrives or is refused for good.
 */
#include "node_session_internal.h"
#include "db_link.h"
#include "worker_log.h"
#include "worker_util.h"
#include "../common/sqlstates.h"
#include "../common/states.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sends one kept finish.  1: recorded; 0: refused for good; -1: keep it. */
static int
deliver(NodeSession *s, const PendingFinish *f)
{
	static const char *const sql =
		"SELECT state, attempt FROM ffrtmp.finish_job($1::bigint, $2::integer, $3::bigint, $4,"
		" $5, $6::jsonb, $7, $8)";
	char		job[24];
	char		attempt[16];
	char		node[24];
	const char *values[8];
	PGresult   *res;

	snprintf(job, sizeof(job), "%" PRId64, f->job_id);
	snprintf(attempt, sizeof(attempt), "%d", f->attempt);
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = job;
	values[1] = attempt;
	values[2] = node;
	values[3] = s->token;
	values[4] = f->outcome;
	values[5] = f->result;
	values[6] = f->error;
	values[7] = f->failure_reason;

	switch (session_call(s, LINK_JOB, "finish_job", sql, 8, values, &res))
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			if (db_refusal_is_transient(s->sqlstate) || sqlstate_is(s->sqlstate, SQLSTATE_TENANT_BLOCKED))
			{
				/* A stale token is renewed by the next heartbeat, which retries this. */
				worker_log_attempt(WLOG_WARNING, f->job_id, f->tenant, f->attempt,
								   "could not record the %s outcome yet: %s (SQLSTATE %s); will retry",
								   f->outcome, s->error, s->sqlstate);
				return -1;
			}
			worker_log_attempt(db_refusal_is_final(s->sqlstate) ? WLOG_WARNING : WLOG_ERROR, f->job_id, f->tenant,
							   f->attempt,
							   "the database refused the %s outcome of attempt %d: %s (SQLSTATE %s); dropping it",
							   f->outcome, f->attempt, s->error, s->sqlstate);
			s->nrefused++;
			return 0;
		case CALL_OK:
			break;
	}
	if (strcmp(PQgetvalue(res, 0, 0), JOB_RETRYING) == 0)
		worker_log_attempt(WLOG_INFO, f->job_id, f->tenant, f->attempt,
						   "recorded attempt %d as %s; the job will run again as attempt %s",
						   f->attempt, f->outcome, PQgetvalue(res, 0, 1));
	else
		worker_log_attempt(WLOG_INFO, f->job_id, f->tenant, f->attempt, "recorded attempt %d as %s; the job is %s",
						   f->attempt, f->outcome, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 1;
}

static void
free_finish(PendingFinish *f)
{
	free(f->outcome);
	free(f->result);
	free(f->error);
	free(f->failure_reason);
	free(f);
}

/*
 * Delivers kept finishes in order; one that must wait is tried again after
 * its backoff (0.5 s doubling to 10 s), or at once when all is true (just
 * reconnected).
 */
void
session_flush_pending(NodeSession *s, int all)
{
	PendingFinish **link = &s->pending;

	while (*link != NULL && s->jobconn != NULL)
	{
		PendingFinish *f = *link;

		if (!all && now_ms() < f->retry_at)
		{
			link = &f->next;
			continue;
		}
		worker_log_attempt(WLOG_DEBUG, f->job_id, f->tenant, f->attempt,
						   "sending the kept %s outcome of attempt %d again", f->outcome, f->attempt);
		if (deliver(s, f) < 0)
		{
			f->retry_at = now_ms() + f->backoff_ms;
			f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : f->backoff_ms * 2;
			link = &f->next;
			continue;
		}
		*link = f->next;
		s->npending--;
		free_finish(f);
	}
}

int
node_session_finish_job(NodeSession *s, int64_t job_id, int attempt, const char *tenant,
						const char *outcome, const char *result, const char *error,
						const char *failure_reason)
{
	PendingFinish *f = calloc(1, sizeof(PendingFinish));
	PendingFinish **tail;
	int			rc = -1;

	if (f == NULL)
		return 0;
	f->job_id = job_id;
	f->attempt = attempt;
	snprintf(f->tenant, sizeof(f->tenant), "%s", tenant);
	f->outcome = strdup(outcome);
	f->result = copy_or_null(result);
	f->error = copy_or_null(error);
	f->failure_reason = copy_or_null(failure_reason);
	f->backoff_ms = BACKOFF_MIN_MS;
	f->retry_at = now_ms() + f->backoff_ms;

	/* While the call is under way, heartbeats list the job: its attempt stays open. */
	s->in_flight_job = job_id;
	if (s->ready)
		rc = deliver(s, f);
	s->in_flight_job = 0;
	if (rc >= 0)
	{
		free_finish(f);
		return rc;
	}
	worker_log_attempt(WLOG_WARNING, job_id, tenant, attempt,
					   "kept the %s outcome of attempt %d until the database answers", outcome, attempt);
	for (tail = &s->pending; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	s->npending++;
	return -1;
}

void
session_drop_pending(NodeSession *s)
{
	while (s->pending)
	{
		PendingFinish *f = s->pending;

		s->pending = f->next;
		worker_log_attempt(WLOG_ERROR, f->job_id, f->tenant, f->attempt,
						   "could not deliver the %s outcome of attempt %d before exiting; "
						   "the database will retry the job once this node's heartbeats stop",
						   f->outcome, f->attempt);
		free_finish(f);
	}
	s->npending = 0;
}
