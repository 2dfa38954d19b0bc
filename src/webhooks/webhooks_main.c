/*
 * webhooks_main.c: ffrtmp-webhooks, the webhook delivery daemon (see --help
 * and docs/webhooks.md).
 *
 * The database writes each event to an outbox in the transaction of the job
 * change; this loop claims due deliveries (ffrtmp.claim_webhook_deliveries:
 * a lease, SKIP LOCKED, a job's events in order, the webhooks in turn), makes
 * one attempt of each, several at once (webhook_send.h), and reports each as
 * it ends (ffrtmp.finish_webhook_delivery, which records it in the
 * delivery log and schedules the next attempt with the backoff given here).
 * The database server itself makes no outbound connection.  Log lines have
 * ffrtmp-worker's format (worker_log.h): time, level, message.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "../worker/worker_log.h"
#include "webhook_guard.h"
#include "webhook_options.h"
#include "webhook_post.h"
#include "webhook_send.h"

#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	stopping = 1;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	/* A signal ends the sleep early: stopping is checked right after. */
	nanosleep(&ts, NULL);
}

/* Exit statuses for errors a retry would only repeat; 0 for the others. */
static int
permanent_status(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (state == NULL)
		return 0;
	if (strcmp(state, "42501") == 0)
		return EXIT_NOPERM;
	if (strcmp(state, "42883") == 0 || strcmp(state, "3F000") == 0)
		return EXIT_CONFIG;
	return 0;
}

/* Reports one attempt; a report that is no longer current (PT404, PT409) is only logged. */
static int
finish(PGconn *conn, const WebhookOptions *o, const char *id, int attempt, const WebhookResult *r)
{
	char		attempt_text[16], status_text[16], retry_text[32], retry_for_text[32], ms_text[32];
	const char *values[7];
	PGresult   *res;
	int			ok;

	snprintf(attempt_text, sizeof(attempt_text), "%d", attempt);
	snprintf(status_text, sizeof(status_text), "%d", r->status);
	snprintf(retry_text, sizeof(retry_text), "%.3f", webhook_backoff_ms(o, attempt) / 1000.0);
	snprintf(retry_for_text, sizeof(retry_for_text), "%.3f", o->retry_for_ms / 1000.0);
	snprintf(ms_text, sizeof(ms_text), "%ld", r->elapsed_ms);
	values[0] = id;
	values[1] = attempt_text;
	values[2] = r->status ? status_text : NULL;
	values[3] = r->error[0] ? r->error : NULL;
	/* A refusal by the network policy would only repeat: no retry. */
	values[4] = r->refused ? NULL : retry_text;
	values[5] = retry_for_text;
	values[6] = ms_text;
	res = PQexecParams(conn,
					   "SELECT ffrtmp.finish_webhook_delivery($1, $2, $3, $4, make_interval(secs => $5::float8),"
					   " make_interval(secs => $6::float8), $7)",
					   7, NULL, values, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok)
		worker_log(r->error[0] ? WLOG_WARNING : WLOG_INFO, "delivery %s attempt %d: %s%s%s", id, attempt,
				r->error[0] ? r->error : "delivered", r->error[0] ? ", now " : "",
				r->error[0] ? PQgetvalue(res, 0, 0) : "");
	else
		worker_log(WLOG_ERROR, "delivery %s attempt %d could not be reported: %s", id, attempt,
				PQresultErrorMessage(res));
	PQclear(res);
	return ok || PQstatus(conn) == CONNECTION_OK ? 0 : -1;
}

/* What each ended attempt is reported with. */
typedef struct Claim
{
	PGconn	   *conn;
	const WebhookOptions *o;
	PGresult   *res;
} Claim;

static int
report(int i, const WebhookResult *result, void *arg)
{
	Claim	   *c = arg;

	return finish(c->conn, c->o, PQgetvalue(c->res, i, 0), atoi(PQgetvalue(c->res, i, 1)), result);
}

/*
 * One claim and its attempts: the number of deliveries claimed, -1 when
 * the connection failed, or -(exit status) for a permanent refusal.
 */
static int
deliver_batch(PGconn *conn, const WebhookOptions *o, const WebhookGuard *guard)
{
	char		batch_text[16], lease_text[32];
	const char *values[2];
	PGresult   *res;
	WebhookRequest *requests;
	Claim		claim;
	int			n, rounds, sent;

	snprintf(batch_text, sizeof(batch_text), "%d", o->batch);
	/* The lease outlasts the claim's requests, --concurrency at a time. */
	rounds = (o->batch + o->concurrency - 1) / o->concurrency;
	snprintf(lease_text, sizeof(lease_text), "%ld", (long) rounds * o->timeout_ms / 1000 + 30);
	values[0] = batch_text;
	values[1] = lease_text;
	res = PQexecParams(conn,
					   "SELECT delivery_id, attempt, url, secret, event, event_id, body"
					   " FROM ffrtmp.claim_webhook_deliveries($1, make_interval(secs => $2::float8))",
					   2, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		int			status = permanent_status(res);

		worker_log(WLOG_ERROR, "could not claim deliveries: %s", PQresultErrorMessage(res));
		PQclear(res);
		return status ? -status : -1;
	}
	n = PQntuples(res);
	if (n == 0)
	{
		PQclear(res);
		return 0;
	}
	if ((requests = calloc(n, sizeof(WebhookRequest))) == NULL)
	{
		worker_log(WLOG_ERROR, "out of memory");
		PQclear(res);
		return -1;
	}
	for (int i = 0; i < n; i++)
		requests[i] = (WebhookRequest) {
			.url = PQgetvalue(res, i, 2),
			.secret = PQgetvalue(res, i, 3),
			.event = PQgetvalue(res, i, 4),
			.event_id = PQgetvalue(res, i, 5),
			.body = PQgetvalue(res, i, 6),
			.timeout_ms = o->timeout_ms,
		};
	claim = (Claim) {.conn = conn, .o = o, .res = res};
	sent = webhook_send(guard, requests, n, o->concurrency, report, &claim, &stopping);
	/* Claimed ones not reported (stopping, a lost connection) are claimed again once their lease ends. */
	free(requests);
	PQclear(res);
	return sent < 0 && PQstatus(conn) != CONNECTION_OK ? -1 : n;
}

int
main(int argc, char **argv)
{
	WebhookOptions o;
	WebhookGuard guard;
	char		err[512];
	PGconn	   *conn = NULL;
	long		reconnect_ms = 1000;

	if (webhook_options_parse(argc, argv, &o, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "ffrtmp-webhooks: %s\nTry \"ffrtmp-webhooks --help\" for more information.\n", err);
		return 2;
	}
	if (o.help)
	{
		webhook_options_usage();
		return 0;
	}
	if (o.version)
	{
		printf("ffrtmp-webhooks %s\n", FFRTMP_VERSION);
		return 0;
	}
	if (webhook_guard_init(&guard, o.allow_network, o.nallow_network, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "ffrtmp-webhooks: %s\n", err);
		return 2;
	}
	/* Its lines as the worker's at its default settings: under systemd, with priority prefixes. */
	worker_log_configure(WLOG_INFO, WLOG_FORMAT_TEXT);
	if (webhook_post_init() < 0)
	{
		worker_log(WLOG_ERROR, "could not initialise libcurl");
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);

	while (!stopping)
	{
		int			n;

		if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		{
			if (conn)
				PQfinish(conn);
			conn = PQconnectdb(o.conninfo ? o.conninfo : "");
			if (PQstatus(conn) != CONNECTION_OK)
			{
				worker_log(WLOG_ERROR, "could not connect: %s", PQerrorMessage(conn));
				/* Nothing was delivered: a cron job must not read success. */
				if (o.once)
				{
					PQfinish(conn);
					return 1;
				}
				sleep_ms(reconnect_ms);
				reconnect_ms = reconnect_ms < 30000 ? reconnect_ms * 2 : 30000;
				continue;
			}
			reconnect_ms = 1000;
		}
		n = deliver_batch(conn, &o, &guard);
		if (n < -1)
		{
			PQfinish(conn);
			return -n;
		}
		if (n < 0 && o.once)
		{
			PQfinish(conn);
			return 1;
		}
		if (n == 0 && o.once)
			break;
		if (n <= 0)
			sleep_ms(o.poll_ms);
	}
	if (conn)
		PQfinish(conn);
	return 0;
}
