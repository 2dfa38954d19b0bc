/*
 * node_finish.c: the end of an attempt, node_session_finish_job(), and the
 * finishes kept while the database cannot take them (see node_session.h).
 *
 * Finishes are queued and sent together, in one finish_jobs call (one
 * transaction and one commit for all of them) each time the supervisor
 * sends them (node_session_send_finishes): attempts that end in the same
 * turn of its loop cost the database one call.  The call refuses job by job;
 * should it refuse the whole batch for a reason that waiting cannot fix, each
 * finish is sent alone with finish_job, whose refusal concerns only it.
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

/* At most this many finishes (finish_jobs takes 1000), and about this many bytes, in one call. */
#define FINISH_BATCH_MAX 500
#define FINISH_BATCH_BYTES (2 * 1024 * 1024)

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

/* Writes value as an element of a PostgreSQL array literal: NULL, or quoted with " and \\ escaped. */
static void
put_element(FILE *out, int first, const char *value)
{
	if (!first)
		fputc(',', out);
	if (value == NULL)
	{
		fputs("NULL", out);
		return;
	}
	fputc('"', out);
	for (const char *p = value; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

/* The length of value, 0 for NULL. */
static size_t
length(const char *value)
{
	return value ? strlen(value) : 0;
}

/* A finish that must wait: kept, and tried again after its backoff, which doubles. */
static void
back_off(PendingFinish *f)
{
	if (!f->kept)
		worker_log_attempt(WLOG_WARNING, f->job_id, f->tenant, f->attempt,
						   "kept the %s outcome of attempt %d until the database answers", f->outcome, f->attempt);
	f->kept = 1;
	f->retry_at = now_ms() + f->backoff_ms;
	f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : f->backoff_ms * 2;
}

/*
 * Sends the n finishes in one finish_jobs call and settles each one its row
 * answers: recorded or refused for good (settled), or not now (55P03: kept,
 * with backoff).  Returns 0 when the database answered, -1 when the batch
 * must wait (no answer, or a refusal of the whole batch that waiting fixes:
 * all kept), 1 when the whole batch was refused for another reason (the
 * caller sends them one by one).
 */
static int
deliver_batch(NodeSession *s, PendingFinish **batch, int n)
{
	static const char *const sql =
		"SELECT f.state, f.sqlstate, f.message FROM ffrtmp.finish_jobs($1::bigint, $2,"
		" (SELECT coalesce(jsonb_agg(jsonb_build_object('job_id', u.job_id, 'attempt', u.attempt,"
		"                   'outcome', u.outcome, 'result', u.result::jsonb, 'error', u.error,"
		"                   'failure_reason', u.failure_reason) ORDER BY u.k), '[]')"
		"    FROM unnest($3::bigint[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::text[])"
		"         WITH ORDINALITY AS u(job_id, attempt, outcome, result, error, failure_reason, k))) f";
	char	   *text[6] = {NULL};
	size_t		size[6];
	FILE	   *out[6];
	char		node[24];
	const char *values[8];
	PGresult   *res;
	CallResult	rc;

	for (int c = 0; c < 6; c++)
		if ((out[c] = open_memstream(&text[c], &size[c])) == NULL)
			return -1;
	for (int c = 0; c < 6; c++)
		fputc('{', out[c]);
	for (int i = 0; i < n; i++)
	{
		char		number[24];

		snprintf(number, sizeof(number), "%" PRId64, batch[i]->job_id);
		put_element(out[0], i == 0, number);
		snprintf(number, sizeof(number), "%d", batch[i]->attempt);
		put_element(out[1], i == 0, number);
		put_element(out[2], i == 0, batch[i]->outcome);
		put_element(out[3], i == 0, batch[i]->result);
		put_element(out[4], i == 0, batch[i]->error);
		put_element(out[5], i == 0, batch[i]->failure_reason);
	}
	for (int c = 0; c < 6; c++)
	{
		fputc('}', out[c]);
		fclose(out[c]);
	}
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = node;
	values[1] = s->token;
	for (int c = 0; c < 6; c++)
		values[2 + c] = text[c];
	/* While the call is under way, heartbeats list the jobs: they are on the pending list. */
	rc = session_call(s, LINK_JOB, "finish_jobs", sql, 8, values, &res);
	for (int c = 0; c < 6; c++)
		free(text[c]);
	if (rc == CALL_OK && PQntuples(res) != n)
	{
		worker_log(WLOG_ERROR, "finish_jobs answered %d rows for %d finishes; sending them one by one",
				   PQntuples(res), n);
		PQclear(res);
		return 1;
	}
	if (rc == CALL_LOST)
		return -1;
	if (rc == CALL_REFUSED)
	{
		if (db_refusal_is_transient(s->sqlstate) || sqlstate_is(s->sqlstate, SQLSTATE_TENANT_BLOCKED))
		{
			worker_log(WLOG_WARNING, "could not record %d outcomes yet: %s (SQLSTATE %s); will retry",
					   n, s->error, s->sqlstate);
			return -1;
		}
		worker_log(WLOG_WARNING, "the database refused a batch of %d outcomes: %s (SQLSTATE %s); "
				   "sending them one by one", n, s->error, s->sqlstate);
		return 1;
	}
	for (int i = 0; i < n; i++)
	{
		PendingFinish *f = batch[i];
		const char *code = PQgetvalue(res, i, 1);

		if (PQgetisnull(res, i, 1))
		{
			worker_log_attempt(WLOG_INFO, f->job_id, f->tenant, f->attempt, "recorded attempt %d as %s; the job is %s",
							   f->attempt, f->outcome, PQgetvalue(res, i, 0));
			f->settled = 1;
		}
		else if (db_refusal_is_transient(code))
		{
			worker_log_attempt(WLOG_WARNING, f->job_id, f->tenant, f->attempt,
							   "could not record the %s outcome yet: %s (SQLSTATE %s); will retry",
							   f->outcome, PQgetvalue(res, i, 2), code);
			back_off(f);
		}
		else
		{
			worker_log_attempt(db_refusal_is_final(code) ? WLOG_WARNING : WLOG_ERROR, f->job_id, f->tenant,
							   f->attempt,
							   "the database refused the %s outcome of attempt %d: %s (SQLSTATE %s); dropping it",
							   f->outcome, f->attempt, PQgetvalue(res, i, 2), code);
			s->nrefused++;
			f->settled = 1;
		}
	}
	PQclear(res);
	return 0;
}

/* Takes the settled finishes off the pending list. */
static void
drop_settled(NodeSession *s)
{
	PendingFinish **link = &s->pending;

	while (*link != NULL)
	{
		PendingFinish *f = *link;

		if (!f->settled)
		{
			link = &f->next;
			continue;
		}
		*link = f->next;
		s->npending--;
		free_finish(f);
	}
}

/*
 * Delivers kept finishes in order, those that are due (all of them when all
 * is true: just reconnected), in batches; one that must wait is tried again
 * after its backoff (0.5 s doubling to 10 s).
 */
void
session_flush_pending(NodeSession *s, int all)
{
	for (;;)
	{
		PendingFinish *batch[FINISH_BATCH_MAX];
		int			n = 0;
		size_t		bytes = 0;
		int64_t		now = now_ms();
		int			rc;

		for (PendingFinish *f = s->pending; f != NULL && n < FINISH_BATCH_MAX; f = f->next)
		{
			size_t		more = length(f->result) + length(f->error) + 64;

			if (f->settled || (!all && now < f->retry_at))
				continue;
			if (n > 0 && bytes + more > FINISH_BATCH_BYTES)
				break;
			batch[n++] = f;
			bytes += more;
		}
		if (n == 0 || s->jobconn == NULL)
			return;
		rc = deliver_batch(s, batch, n);
		if (rc < 0)
			for (int i = 0; i < n; i++)
				back_off(batch[i]);
		for (int i = 0; rc > 0 && i < n && s->jobconn != NULL; i++)
		{
			int			one = deliver(s, batch[i]);

			if (one < 0)
				back_off(batch[i]);
			else
				batch[i]->settled = 1;
		}
		drop_settled(s);
		if (rc < 0 || s->jobconn == NULL)
			return;
	}
}

void
node_session_send_finishes(NodeSession *s)
{
	if (s->ready)
		session_flush_pending(s, 0);
}

void
node_session_finish_job(NodeSession *s, int64_t job_id, int attempt, const char *tenant,
						const char *outcome, const char *result, const char *error,
						const char *failure_reason)
{
	PendingFinish *f = calloc(1, sizeof(PendingFinish));
	PendingFinish **tail;

	if (f == NULL)
	{
		worker_log_attempt(WLOG_ERROR, job_id, tenant, attempt,
						   "out of memory: the %s outcome of attempt %d is lost; the database will retry the job",
						   outcome, attempt);
		return;
	}
	f->job_id = job_id;
	f->attempt = attempt;
	snprintf(f->tenant, sizeof(f->tenant), "%s", tenant);
	f->outcome = strdup(outcome);
	f->result = copy_or_null(result);
	f->error = copy_or_null(error);
	f->failure_reason = copy_or_null(failure_reason);
	f->backoff_ms = BACKOFF_MIN_MS;
	f->retry_at = 0;			/* due at once: sent by the next node_session_send_finishes */
	for (tail = &s->pending; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	s->npending++;
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
