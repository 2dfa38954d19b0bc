/*
 * node_jobs.c: the calls about jobs that are not their end: fetch_assigned,
 * start_jobs (all the jobs of a fetch in one call and one transaction) and
 * append_job_log on the job connection, and node_attempts on the control
 * connection (see node_session.h; the finishes are in node_finish.c, as they
 * are kept when they cannot be sent; progress goes with the heartbeat).
 *
 * None of them is kept: a call the database answers with "not now" simply
 * waits for the next poll (a fetch or a start) or the next report (a
 * progress), since the main loop repeats them anyway.  Every one takes the
 * node's id and session token, so an attempt is only ever touched by the
 * node that holds it.
 */
#include "node_session_internal.h"
#include "db_link.h"
#include "worker_log.h"
#include "../common/sqlstates.h"
#include "../common/states.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Runs one of this file's calls.  Each one passes the node's id and session
 * token, the fence that lets only the node holding an attempt touch it: a
 * call about the node sends ($1 node, $2 token); a call about an attempt
 * (job_id not 0) sends ($1 job, $2 attempt, $3 node, $4 token), then
 * $5 = json unless it is NULL.  When the session is not ready nothing is
 * sent and the answer is CALL_LOST, which every caller treats alike: the
 * main loop repeats the call at its next pass.
 */
static CallResult
node_call(NodeSession *s, Link link, const char *what, const char *sql,
		  int64_t job_id, int attempt, const char *json, PGresult **res)
{
	char		id[24];
	char		attempt_text[16];
	char		node[24];
	const char *values[5];
	int			n = 0;

	if (!s->ready)
		return CALL_LOST;
	if (job_id != 0)
	{
		snprintf(id, sizeof(id), "%" PRId64, job_id);
		snprintf(attempt_text, sizeof(attempt_text), "%d", attempt);
		values[n++] = id;
		values[n++] = attempt_text;
	}
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[n++] = node;
	values[n++] = s->token;
	if (json != NULL)
		values[n++] = json;
	return session_call(s, link, what, sql, n, values, res);
}

int
node_session_fetch_assigned(NodeSession *s, AssignedJob **jobs, int *njobs)
{
	static const char *const sql =
		"SELECT id, attempt, tenant_id, input_url, output_url, params, cpu_cores, gpus,"
		"       extract(epoch FROM timeout)"
		"  FROM ffrtmp.fetch_assigned($1::bigint, $2)";
	PGresult   *res;
	CallResult	rc;
	int			n;

	*jobs = NULL;
	*njobs = 0;
	rc = node_call(s, LINK_JOB, "fetch_assigned", sql, 0, 0, NULL, &res);
	if (rc == CALL_REFUSED)
		worker_log(WLOG_WARNING, "could not fetch assigned jobs: %s (SQLSTATE %s)", s->error, s->sqlstate);
	if (rc != CALL_OK)
		return -1;
	n = PQntuples(res);
	if (n > 0 && (*jobs = calloc(n, sizeof(AssignedJob))) == NULL)
	{
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		AssignedJob *job = &(*jobs)[i];

		job->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		job->attempt = atoi(PQgetvalue(res, i, 1));
		snprintf(job->tenant_id, sizeof(job->tenant_id), "%s", PQgetvalue(res, i, 2));
		job->input_url = strdup(PQgetvalue(res, i, 3));
		job->output_url = PQgetisnull(res, i, 4) ? NULL : strdup(PQgetvalue(res, i, 4));
		job->params = strdup(PQgetvalue(res, i, 5));
		job->cpu_cores = atoi(PQgetvalue(res, i, 6));
		job->gpus = atoi(PQgetvalue(res, i, 7));
		job->timeout_ms = PQgetisnull(res, i, 8) ? 0 : (int64_t) (strtod(PQgetvalue(res, i, 8), NULL) * 1000);
		if (!PQgetisnull(res, i, 8) && job->timeout_ms <= 0)
			job->timeout_ms = 1;	/* a zero timeout is over at once, not "none" */
		*njobs = i + 1;
		worker_log_attempt(WLOG_DEBUG, job->id, job->tenant_id, job->attempt,
						   "fetched: attempt %d is assigned to this node (%d cpu cores, %d gpus, timeout %.1f s)",
						   job->attempt, job->cpu_cores, job->gpus, job->timeout_ms / 1000.0);
		if (job->input_url == NULL || job->params == NULL)
			break;				/* out of memory: run what was copied */
	}
	PQclear(res);
	return 0;
}

void
assigned_jobs_free(AssignedJob *jobs, int njobs)
{
	for (int i = 0; i < njobs; i++)
	{
		free(jobs[i].input_url);
		free(jobs[i].output_url);
		free(jobs[i].params);
	}
	free(jobs);
}

int
node_session_start_job(NodeSession *s, const AssignedJob *job)
{
	static const char *const sql =
		"SELECT state FROM ffrtmp.start_job($1::bigint, $2::integer, $3::bigint, $4)";
	CallResult	rc;

	/* Once started, the job must be in the heartbeats even before the answer arrives. */
	s->in_flight_job = job->id;
	rc = node_call(s, LINK_JOB, "start_job", sql, job->id, job->attempt, NULL, NULL);
	s->in_flight_job = 0;
	switch (rc)
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			worker_log_attempt(WLOG_WARNING, job->id, job->tenant_id, job->attempt,
							   "could not start attempt %d: %s (SQLSTATE %s)", job->attempt, s->error, s->sqlstate);
			return db_refusal_is_final(s->sqlstate) ? 0 : -1;
		case CALL_OK:
			break;
	}
	worker_log_attempt(WLOG_DEBUG, job->id, job->tenant_id, job->attempt,
					   "start_job accepted attempt %d: starting its process", job->attempt);
	return 1;
}

/* Writes "{a,b,c}" of the n jobs' ids (attempts when attempts is true) into a new string. */
static char *
id_array(const AssignedJob *const *jobs, int n, int attempts)
{
	size_t		size = 3 + (size_t) n * 21;
	char	   *text = malloc(size);
	size_t		len = 0;

	if (text == NULL)
		return NULL;
	text[len++] = '{';
	for (int i = 0; i < n; i++)
		len += attempts ? snprintf(text + len, size - len, "%s%d", i ? "," : "", jobs[i]->attempt)
			: snprintf(text + len, size - len, "%s%" PRId64, i ? "," : "", jobs[i]->id);
	snprintf(text + len, size - len, "}");
	return text;
}

void
node_session_start_jobs(NodeSession *s, const AssignedJob *const *jobs, int n, int *started)
{
	static const char *const sql =
		"SELECT sqlstate, message FROM ffrtmp.start_jobs($1::bigint, $2, $3::bigint[], $4::integer[])";
	char		node[24];
	char	   *ids = id_array(jobs, n, 0);
	char	   *attempts = id_array(jobs, n, 1);
	const char *values[4];
	PGresult   *res = NULL;
	CallResult	rc = CALL_LOST;

	for (int i = 0; i < n; i++)
		started[i] = -1;
	if (s->ready && ids != NULL && attempts != NULL)
	{
		snprintf(node, sizeof(node), "%" PRId64, s->node_id);
		values[0] = node;
		values[1] = s->token;
		values[2] = ids;
		values[3] = attempts;
		/* Once started, the jobs must be in the heartbeats even before the answer arrives. */
		s->in_flight_starts = jobs;
		s->nin_flight_starts = n;
		rc = session_call(s, LINK_JOB, "start_jobs", sql, 4, values, &res);
		s->in_flight_starts = NULL;
		s->nin_flight_starts = 0;
	}
	free(ids);
	free(attempts);
	if (rc == CALL_OK && PQntuples(res) != n)
	{
		worker_log(WLOG_ERROR, "start_jobs answered %d rows for %d jobs", PQntuples(res), n);
		PQclear(res);
		return;
	}
	if (rc == CALL_REFUSED && !db_refusal_is_transient(s->sqlstate) &&
		!sqlstate_is(s->sqlstate, SQLSTATE_TENANT_BLOCKED))
	{
		worker_log(WLOG_WARNING, "the database refused a batch of %d starts: %s (SQLSTATE %s); "
				   "starting them one by one", n, s->error, s->sqlstate);
		for (int i = 0; i < n && s->ready; i++)
			started[i] = node_session_start_job(s, jobs[i]);
		return;
	}
	if (rc == CALL_REFUSED)
		worker_log(WLOG_WARNING, "could not start %d jobs yet: %s (SQLSTATE %s)", n, s->error, s->sqlstate);
	if (rc != CALL_OK)
		return;
	for (int i = 0; i < n; i++)
	{
		const AssignedJob *job = jobs[i];
		const char *code = PQgetvalue(res, i, 0);

		if (PQgetisnull(res, i, 0))
		{
			worker_log_attempt(WLOG_DEBUG, job->id, job->tenant_id, job->attempt,
							   "start_jobs accepted attempt %d: starting its process", job->attempt);
			started[i] = 1;
			continue;
		}
		worker_log_attempt(WLOG_WARNING, job->id, job->tenant_id, job->attempt,
						   "could not start attempt %d: %s (SQLSTATE %s)", job->attempt, PQgetvalue(res, i, 1), code);
		started[i] = db_refusal_is_final(code) ? 0 : -1;
	}
	PQclear(res);
}

int
node_session_append_log(NodeSession *s, int64_t job_id, int attempt, const char *tenant, const char *lines_json)
{
	static const char *const sql =
		"SELECT ffrtmp.append_job_log($1::bigint, $2::integer, $3::bigint, $4, $5::jsonb)";
	switch (node_call(s, LINK_JOB, "append_job_log", sql, job_id, attempt, lines_json, NULL))
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			if (db_refusal_is_final(s->sqlstate))
				return 0;
			if (sqlstate_is(s->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE))
			{
				/* A tenant holds the job's row: next time. */
				worker_log_attempt(WLOG_DEBUG, job_id, tenant, attempt,
								   "append_job_log waited for a lock: %s (SQLSTATE %s); sending the lines again later",
								   s->error, s->sqlstate);
				return -1;
			}
			/* Sending the same lines again would be refused again. */
			worker_log_job(WLOG_WARNING, job_id, tenant, "log lines not recorded: %s (SQLSTATE %s)",
						   s->error, s->sqlstate);
			return 1;
		case CALL_OK:
			break;
	}
	return 1;
}

/*
 * On the control connection, like the heartbeat it follows: it reads and
 * locks nothing, so a tenant's lock cannot hold it up.
 */
int
node_session_attempts(NodeSession *s, NodeAttempt **attempts, int *nattempts)
{
	static const char *const sql =
		"SELECT job_id, attempt, state = '" JOB_PAUSED "' FROM ffrtmp.node_attempts($1::bigint, $2)";
	PGresult   *res;
	CallResult	rc;
	int			n;

	*attempts = NULL;
	*nattempts = 0;
	rc = node_call(s, LINK_CONTROL, "node_attempts", sql, 0, 0, NULL, &res);
	if (rc == CALL_REFUSED)
		worker_log(WLOG_WARNING, "could not read this node's attempts: %s (SQLSTATE %s)", s->error, s->sqlstate);
	if (rc != CALL_OK)
		return -1;
	n = PQntuples(res);
	if (n > 0 && (*attempts = calloc(n, sizeof(NodeAttempt))) == NULL)
	{
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < n; i++)
	{
		(*attempts)[i].job_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		(*attempts)[i].attempt = atoi(PQgetvalue(res, i, 1));
		(*attempts)[i].paused = strcmp(PQgetvalue(res, i, 2), "t") == 0;
	}
	*nattempts = n;
	PQclear(res);
	return 0;
}
