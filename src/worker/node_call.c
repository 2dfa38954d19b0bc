/*
 * node_call.c: how the worker's database session runs a statement, and what
 * a failure does to the session (see node_session_internal.h).
 *
 * Two connections to the same server: the control connection carries the
 * registration, LISTEN and the heartbeats; the job connection carries the
 * calls about jobs, which touch rows a tenant can hold locked (a tenant that
 * keeps a transaction open after changing its job).  A job call waits for
 * its answer in a loop that sends the heartbeat whenever it falls due, so no
 * job call, however stuck, delays a heartbeat.
 *
 * Calls block the main loop while they run.  They are short, and the
 * connections ask the kernel to notice a silent server (TCP keepalives and
 * tcp_user_timeout), so a database that vanishes costs seconds, not the
 * minutes of TCP's own retransmission timeout.  Waiting for an answer wakes
 * every second to keep systemd's watchdog, which is for a hung loop, not a
 * slow server.
 *
 * Invariants: a failure closes both connections together (one without the
 * other would leave heartbeats going for jobs nobody can finish, or the
 * reverse), and then either schedules a reconnect (retry_at, with backoff)
 * or sets fatal; never both, and callers never close a connection
 * themselves.  Which SQLSTATE means what is decided in db_link.c.
 */
#include "node_session_internal.h"
#include "db_link.h"
#include "exit_status.h"
#include "service_notify.h"
#include "worker_log.h"
#include "worker_metrics.h"
#include "worker_util.h"

#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Always both: see the invariant in node_session_internal.h. */
static void
close_connections(NodeSession *s)
{
	if (s->conn)
		PQfinish(s->conn);
	if (s->jobconn)
		PQfinish(s->jobconn);
	s->conn = NULL;
	s->jobconn = NULL;
	s->ready = 0;
}

/* libpq's messages end with a newline. */
static void
trim_message(char *reason, size_t size, const char *why)
{
	size_t		len;

	snprintf(reason, size, "%s", why);
	len = strlen(reason);
	while (len > 0 && (reason[len - 1] == '\n' || reason[len - 1] == ' '))
		reason[--len] = '\0';
}

/* An error that waiting cannot fix: say so once, and end the session. */
void
session_give_up(NodeSession *s, int status, const char *sqlstate, const char *what, const char *why)
{
	char		reason[512];

	trim_message(reason, sizeof(reason), why);
	worker_log(WLOG_ERROR, "%s: %s; giving up: %s (exit status %d)", what, reason,
			   db_exit_advice(status, sqlstate), status);
	close_connections(s);
	s->fatal = status;
}

/*
 * Closes the connections and schedules the next attempt: the delay doubles
 * from 0.5 s to 10 s, drawn from its upper half so that workers that lost
 * the same server do not come back in step.  --once gives up instead while
 * it has never been registered: it has no job to save.
 */
void
session_disconnect(NodeSession *s, const char *what, const char *why)
{
	int			delay = s->backoff_ms / 2 + (int) (random() % (s->backoff_ms / 2 + 1));
	char		reason[512];

	if (s->give_up_early && !s->ever_ready)
	{
		session_give_up(s, WORKER_EXIT_UNAVAILABLE, NULL, what, why);
		return;
	}
	trim_message(reason, sizeof(reason), why);
	worker_log(WLOG_WARNING, "%s: %s; connecting again in %.1f s", what, reason, delay / 1000.0);
	close_connections(s);
	s->retry_at = now_ms() + delay;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

void
session_collect_notifications(NodeSession *s)
{
	PGnotify   *notify;

	if (s->conn == NULL)
		return;
	while ((notify = PQnotifies(s->conn)) != NULL)
	{
		s->notifications++;
		PQfreemem(notify);
	}
}

/* The first result of the call sent on conn, the rest discarded; NULL when there is none. */
static PGresult *
first_result(PGconn *conn)
{
	PGresult   *res = NULL;
	PGresult   *next;

	while ((next = PQgetResult(conn)) != NULL)
	{
		if (res == NULL)
			res = next;
		else
			PQclear(next);
	}
	return res;
}

/* Waits for the answer to the call sent on the control connection. */
static PGresult *
control_call_result(NodeSession *s)
{
	while (PQconsumeInput(s->conn) && PQisBusy(s->conn))
	{
		struct pollfd fd = {.fd = PQsocket(s->conn), .events = POLLIN};

		(void) service_notify_watchdog(now_ms());
		(void) poll(&fd, 1, 1000);
	}
	return first_result(s->conn);
}

/*
 * Waits for the answer to the job call sent on the job connection.  The
 * heartbeat goes out on the control connection whenever it falls due
 * meanwhile: a call stuck behind a tenant's lock must not make the node look
 * dead, nor cost another tenant's running job its attempt.  Returns the
 * call's result, or NULL when either connection was lost (both are then
 * closed when it was the control connection).
 */
static PGresult *
job_call_result(NodeSession *s)
{
	while (PQconsumeInput(s->jobconn) && PQisBusy(s->jobconn))
	{
		struct pollfd fd = {.fd = PQsocket(s->jobconn), .events = POLLIN};
		int64_t		wait = s->next_heartbeat - now_ms();

		(void) service_notify_watchdog(now_ms());
		if (wait <= 0 && s->node_id != 0 && s->conn != NULL)
		{
			if (session_beat(s) < 0)
				return NULL;	/* the control connection was lost: both are closed */
			continue;
		}
		/* A signal (EINTR) only wakes this up: the main loop sees it once the call ends. */
		(void) poll(&fd, 1, wait <= 0 ? 1000 : wait > 1000 ? 1000 : (int) wait);
	}
	return first_result(s->jobconn);
}

/*
 * Runs one statement on a connection.  On CALL_OK and a non-NULL result,
 * the caller owns *result.  An error that means this server cannot serve
 * the node any more (a standby after a failover, a server shutting down)
 * counts as a lost connection, so that the reconnect finds the new primary;
 * the extension missing ends the session.
 */
CallResult
session_call(NodeSession *s, Link link, const char *what, const char *sql, int nparams,
	 const char *const *values, PGresult **result)
{
	PGconn	   *conn = link == LINK_JOB ? s->jobconn : s->conn;
	PGresult   *res;
	const char *sqlstate;
	const char *message;
	char		context[128];
	int64_t		sent_us;

	if (result)
		*result = NULL;
	if (conn == NULL)
		return CALL_LOST;
	sent_us = now_us();
	if (link == LINK_CONTROL)
		res = PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0) ? control_call_result(s) : NULL;
	else
	{
		res = PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0) ? job_call_result(s) : NULL;
		if (s->jobconn == NULL)
		{
			PQclear(res);
			return CALL_LOST;
		}
	}
	/* Answers only, refusals included: a lost connection has no round trip to tell. */
	if (res != NULL && PQstatus(conn) != CONNECTION_BAD)
		worker_metrics_round_trip((now_us() - sent_us) / 1e6);
	session_collect_notifications(s);
	if (res != NULL &&
		(PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK))
	{
		if (result)
			*result = res;
		else
			PQclear(res);
		return CALL_OK;
	}

	snprintf(context, sizeof(context), "lost the database connection during %s", what);
	if (res == NULL || PQstatus(conn) == CONNECTION_BAD)
	{
		PQclear(res);
		session_disconnect(s, context, PQerrorMessage(conn));
		return CALL_LOST;
	}
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", sqlstate ? sqlstate : "XX000");
	snprintf(s->error, sizeof(s->error), "%s", message ? message : PQresultErrorMessage(res));
	message = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	snprintf(s->hint, sizeof(s->hint), "%s", message ? message : "");
	PQclear(res);
	if (db_refusal_is_lost(s->sqlstate))
	{
		session_disconnect(s, context, s->error);
		return CALL_LOST;
	}
	/* At registration, a missing function is an older extension: register_node() decides. */
	if (db_call_error_status(s->sqlstate) == WORKER_EXIT_CONFIG &&
		!(s->registering && db_registration_is_incompatible(s->sqlstate)))
	{
		char		why[600];

		snprintf(why, sizeof(why), "%s (SQLSTATE %s)", s->error, s->sqlstate);
		snprintf(context, sizeof(context), "the ffrtmp extension is missing from this database (%s failed)", what);
		session_give_up(s, WORKER_EXIT_CONFIG, s->sqlstate, context, why);
		return CALL_LOST;
	}
	return CALL_REFUSED;
}
