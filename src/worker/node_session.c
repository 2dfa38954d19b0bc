/*
 * node_session.c: the worker's database session (see node_session.h).
 *
 * Every statement is a constant text run with PQexecParams; whatever comes
 * from the configuration, the machine or a job travels as a parameter.  The
 * one exception is LISTEN, which takes no parameters: its channel name is
 * built from the node's integer id and nothing else.
 *
 * Two connections to the same server: the control connection carries the
 * registration, LISTEN and the heartbeats; the job connection carries the
 * calls about jobs, which touch rows a tenant can hold locked (a tenant that
 * keeps a transaction open after changing its job).  A job call waits for
 * its answer in a loop that sends the heartbeat whenever it falls due, so no
 * job call, however stuck, delays a heartbeat.  Job calls are also bounded:
 * the job connection has a short lock_timeout, and a call the database
 * answers with "not now" (a lock or statement timeout, a serialization
 * failure, a deadlock) is tried again later: a finish is kept and resent
 * with backoff, a start or a fetch waits for the next poll, a progress
 * report for the next one.
 *
 * Calls block the main loop while they run.  They are short, and the
 * connections ask the kernel to notice a silent server (TCP keepalives and
 * tcp_user_timeout), so a database that vanishes costs seconds, not the
 * minutes of TCP's own retransmission timeout.
 */
#include "node_session.h"
#include "db_link.h"
#include "exit_status.h"
#include "worker_log.h"
#include "worker_util.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 10000

/*
 * How long a call waits for a row lock before the database gives up with
 * 55P03 and the call is tried again later.  Short: the main loop waits
 * meanwhile (a job call's heartbeats do not).  Statements that run long for
 * any other reason end at the statement timeout (57014), tried again the
 * same way.  Both connections have them: the control connection's calls
 * (leave_node hands assigned jobs back) can meet a tenant's lock too.
 */
#define SESSION_SETTINGS "SET lock_timeout = '1s'; SET statement_timeout = '60s'"

/* Which connection a call uses. */
typedef enum Link
{
	LINK_CONTROL,				/* registration, LISTEN, heartbeats, leave_node */
	LINK_JOB					/* fetch_assigned, start_job, report_progress, finish_job */
} Link;

typedef enum CallResult
{
	CALL_OK,					/* the server answered with rows */
	CALL_REFUSED,				/* the server answered with an error; see sqlstate */
	CALL_LOST					/* no answer: the connection is closed, a retry scheduled */
} CallResult;

/* A finish_job waiting for the database to come back. */
typedef struct PendingFinish
{
	struct PendingFinish *next;
	int64_t		job_id;
	int			attempt;
	char		tenant[40];
	char	   *outcome;
	char	   *result;
	char	   *error;
	char	   *failure_reason;
	int64_t		retry_at;		/* not sent again before (monotonic ms) */
	int			backoff_ms;
} PendingFinish;

struct NodeSession
{
	PGconn	   *conn;			/* control: registration, LISTEN, heartbeats */
	PGconn	   *jobconn;		/* job calls */
	int			ready;			/* both connected, registered, listening */
	int64_t		retry_at;
	int			backoff_ms;
	int			fatal;			/* a WORKER_EXIT_* status: give up */
	int			give_up_early;	/* --once: the first failure to connect is fatal */
	int			ever_ready;

	/* The heartbeat's schedule, and where the list of running jobs comes from. */
	int			heartbeat_ms;
	int64_t		next_heartbeat;
	int			in_heartbeat;
	NodeRunningFn running_fn;
	void	   *running_arg;
	int64_t		in_flight_job;	/* started or finished by the job call under way; 0: none */
	int			must_register;	/* a heartbeat found the token refused or the node offline */

	/* Fixed for the life of the process: changing them needs a restart. */
	char	   *conninfo;
	char		name[256];
	char	   *tenant;
	WorkerCapabilities caps;
	char		encoders[512];	/* text[] literal */

	/* What registration sends; a reload may change them. */
	int			slots;
	char	   *labels_json;
	int			reregister;		/* they changed since the last registration */

	int64_t		node_id;		/* 0 until first registered */
	char		token[128];
	NodeState	state;
	int			notifications;

	PendingFinish *pending;
	int			npending;
	int			nrefused;

	char		sqlstate[6];	/* of the last CALL_REFUSED */
	char		error[512];
};

/* Labels "key=value" as the JSON object register_node takes (json-c escapes them). */
static char *
labels_to_json(const WorkerOptions *options)
{
	json_object *labels = json_object_new_object();
	char	   *json;

	for (int i = 0; i < options->nlabels; i++)
	{
		const char *equals = strchr(options->labels[i], '=');
		char	   *key = strndup(options->labels[i], equals - options->labels[i]);

		json_object_object_add(labels, key, json_object_new_string(equals + 1));
		free(key);
	}
	json = strdup(json_object_to_json_string_ext(labels, JSON_C_TO_STRING_PLAIN));
	json_object_put(labels);
	return json;
}

NodeSession *
node_session_create(const WorkerOptions *options, const WorkerCapabilities *caps)
{
	NodeSession *s = calloc(1, sizeof(NodeSession));
	size_t		len = 0;

	if (s == NULL)
		return NULL;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->conninfo = copy_or_null(options->conninfo);
	s->tenant = copy_or_null(options->tenant);
	if (options->name)
		snprintf(s->name, sizeof(s->name), "%s", options->name);
	else if (gethostname(s->name, sizeof(s->name) - 1) != 0)
		snprintf(s->name, sizeof(s->name), "localhost");
	s->caps = *caps;

	/* Encoder names are libavcodec's own (letters, digits, '_', '-'): no quoting needed. */
	len += snprintf(s->encoders + len, sizeof(s->encoders) - len, "{");
	for (int i = 0; i < caps->nencoders; i++)
		len += snprintf(s->encoders + len, sizeof(s->encoders) - len, "%s%s", i ? "," : "", caps->encoders[i]);
	snprintf(s->encoders + len, sizeof(s->encoders) - len, "}");

	s->slots = options->once ? 1 : options->slots;
	s->labels_json = labels_to_json(options);
	s->heartbeat_ms = options->heartbeat_ms;
	s->give_up_early = options->once;
	srandom((unsigned) getpid() ^ (unsigned) time(NULL));
	return s;
}

void
node_session_destroy(NodeSession *s)
{
	while (s->pending)
	{
		PendingFinish *f = s->pending;

		s->pending = f->next;
		worker_log_job(WLOG_ERROR, f->job_id, f->tenant,
					   "could not deliver the %s outcome of attempt %d before exiting; "
					   "the database will retry the job once this node's heartbeats stop",
					   f->outcome, f->attempt);
		free(f->outcome);
		free(f->result);
		free(f->error);
		free(f->failure_reason);
		free(f);
	}
	if (s->conn)
		PQfinish(s->conn);
	if (s->jobconn)
		PQfinish(s->jobconn);
	free(s->conninfo);
	free(s->tenant);
	free(s->labels_json);
	free(s);
}

void
node_session_set_options(NodeSession *s, const WorkerOptions *options)
{
	char	   *labels = labels_to_json(options);
	int			slots = options->once ? 1 : options->slots;

	if (slots != s->slots || strcmp(labels, s->labels_json) != 0)
	{
		s->reregister = 1;
		worker_log(WLOG_INFO, "slots or labels changed: registering node %s again", s->name);
	}
	free(s->labels_json);
	s->labels_json = labels;
	s->slots = slots;
	s->heartbeat_ms = options->heartbeat_ms;
	/* New slots or labels are registered by the next heartbeat: make it now. */
	s->next_heartbeat = now_ms();
}

void
node_session_set_running_source(NodeSession *s, NodeRunningFn fn, void *arg)
{
	s->running_fn = fn;
	s->running_arg = arg;
}

int
node_session_fatal(const NodeSession *s)
{
	return s->fatal;
}

int64_t
node_session_next_heartbeat(const NodeSession *s)
{
	return s->next_heartbeat;
}

int
node_session_ready(const NodeSession *s)
{
	return s->ready;
}

int64_t
node_session_retry_at(const NodeSession *s)
{
	return s->retry_at;
}

int
node_session_socket(const NodeSession *s)
{
	return s->ready ? PQsocket(s->conn) : -1;
}

int
node_session_pending(const NodeSession *s)
{
	return s->npending;
}

int
node_session_refused(const NodeSession *s)
{
	return s->nrefused;
}

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

static const char *
fatal_advice(int status)
{
	switch (status)
	{
		case WORKER_EXIT_NOPERM:
			return "check the role, its password and pg_hba.conf";
		case WORKER_EXIT_CONFIG:
			return "check the connection string, the database name and that the ffrtmp extension is installed there";
		default:
			return "the database could not be reached (--once tries only once)";
	}
}

/* An error that waiting cannot fix: say so once, and end the session. */
static void
give_up(NodeSession *s, int status, const char *what, const char *why)
{
	char		reason[512];

	trim_message(reason, sizeof(reason), why);
	worker_log(WLOG_ERROR, "%s: %s; giving up: %s (exit status %d)", what, reason, fatal_advice(status), status);
	close_connections(s);
	s->fatal = status;
}

/*
 * Closes the connections and schedules the next attempt: the delay doubles
 * from 0.5 s to 10 s, drawn from its upper half so that workers that lost
 * the same server do not come back in step.  --once gives up instead while
 * it has never been registered: it has no job to save.
 */
static void
disconnect(NodeSession *s, const char *what, const char *why)
{
	int			delay = s->backoff_ms / 2 + (int) (random() % (s->backoff_ms / 2 + 1));
	char		reason[512];

	if (s->give_up_early && !s->ever_ready)
	{
		give_up(s, WORKER_EXIT_UNAVAILABLE, what, why);
		return;
	}
	trim_message(reason, sizeof(reason), why);
	worker_log(WLOG_WARNING, "%s: %s; connecting again in %.1f s", what, reason, delay / 1000.0);
	close_connections(s);
	s->retry_at = now_ms() + delay;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void
collect_notifications(NodeSession *s)
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

static int	beat(NodeSession *s);

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
	PGresult   *res = NULL;
	PGresult   *next;

	while (PQconsumeInput(s->jobconn) && PQisBusy(s->jobconn))
	{
		struct pollfd fd = {.fd = PQsocket(s->jobconn), .events = POLLIN};
		int64_t		wait = s->next_heartbeat - now_ms();

		if (wait <= 0 && s->node_id != 0 && s->conn != NULL)
		{
			if (beat(s) < 0)
				return NULL;	/* the control connection was lost: both are closed */
			continue;
		}
		/* A signal (EINTR) only wakes this up: the main loop sees it once the call ends. */
		(void) poll(&fd, 1, wait <= 0 ? 1000 : wait > 1000 ? 1000 : (int) wait);
	}
	while ((next = PQgetResult(s->jobconn)) != NULL)
	{
		if (res == NULL)
			res = next;
		else
			PQclear(next);
	}
	return res;
}

/*
 * Runs one statement on a connection.  On CALL_OK and a non-NULL result,
 * the caller owns *result.  An error that means this server cannot serve
 * the node any more (a standby after a failover, a server shutting down)
 * counts as a lost connection, so that the reconnect finds the new primary;
 * the extension missing ends the session.
 */
static CallResult
call(NodeSession *s, Link link, const char *what, const char *sql, int nparams,
	 const char *const *values, PGresult **result)
{
	PGconn	   *conn = link == LINK_JOB ? s->jobconn : s->conn;
	PGresult   *res;
	const char *sqlstate;
	const char *message;
	char		context[128];

	if (result)
		*result = NULL;
	if (conn == NULL)
		return CALL_LOST;
	if (link == LINK_CONTROL)
		res = PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);
	else
	{
		res = PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0) ? job_call_result(s) : NULL;
		if (s->jobconn == NULL)
		{
			PQclear(res);
			return CALL_LOST;
		}
	}
	collect_notifications(s);
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
		disconnect(s, context, PQerrorMessage(conn));
		return CALL_LOST;
	}
	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", sqlstate ? sqlstate : "XX000");
	snprintf(s->error, sizeof(s->error), "%s", message ? message : PQresultErrorMessage(res));
	PQclear(res);
	if (strcmp(s->sqlstate, "25006") == 0 || strncmp(s->sqlstate, "57P", 3) == 0 ||
		strncmp(s->sqlstate, "08", 2) == 0)
	{
		disconnect(s, context, s->error);
		return CALL_LOST;
	}
	if (db_call_error_status(s->sqlstate) == WORKER_EXIT_CONFIG)
	{
		char		why[600];

		snprintf(why, sizeof(why), "%s (SQLSTATE %s)", s->error, s->sqlstate);
		snprintf(context, sizeof(context), "the ffrtmp extension is missing from this database (%s failed)", what);
		give_up(s, WORKER_EXIT_CONFIG, context, why);
		return CALL_LOST;
	}
	return CALL_REFUSED;
}

/* Errors that say "not now" rather than "never": serialization, resources, lock or statement timeouts. */
static int
refusal_is_transient(const char *sqlstate)
{
	return strncmp(sqlstate, "40", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
		strncmp(sqlstate, "55", 2) == 0 || strcmp(sqlstate, "57014") == 0 ||
		strcmp(sqlstate, "PT429") == 0;
}

/* The attempt is not (or no longer) this node's: another attempt or node owns the job. */
static int
refusal_is_final(const char *sqlstate)
{
	return strcmp(sqlstate, "PT409") == 0 || strcmp(sqlstate, "PT404") == 0;
}

static int
listen_for_dispatch(NodeSession *s)
{
	char		sql[64];

	if (call(s, LINK_CONTROL, "UNLISTEN", "UNLISTEN *", 0, NULL, NULL) != CALL_OK)
		return -1;
	/* An integer, never data: the one statement built rather than parameterised. */
	snprintf(sql, sizeof(sql), "LISTEN \"ffrtmp_node_%" PRId64 "\"", s->node_id);
	if (call(s, LINK_CONTROL, "LISTEN", sql, 0, NULL, NULL) != CALL_OK)
	{
		if (s->conn)
			disconnect(s, "could not listen for dispatch", s->error);
		return -1;
	}
	return 0;
}

/*
 * Registers the node (again: same name, same id, new token) and listens on
 * its channel.  Returns 0; -1 when a retry was scheduled; -2 when the
 * session gave up: the very first registration was refused for a reason
 * that waiting will not fix (no permission, a bad name or tenant), or the
 * extension is missing.
 */
static int
register_node(NodeSession *s)
{
	int			was_draining = s->state == NODE_DRAINING;
	static const char *const sql =
		"SELECT node_id, session_token FROM ffrtmp.register_node("
		"name => $1, cpu_cores => $2::integer, gpus => $3::integer, memory_mb => $4::integer,"
		" slots => $5::integer, encoders => $6::text[], labels => $7::jsonb, tenant => $8)";
	char		cores[16];
	char		gpus[16];
	char		memory[16];
	char		slots[16];
	const char *values[8];
	PGresult   *res;
	int64_t		previous = s->node_id;

	snprintf(cores, sizeof(cores), "%d", s->caps.cpu_cores);
	snprintf(gpus, sizeof(gpus), "%d", s->caps.gpus);
	snprintf(memory, sizeof(memory), "%d", s->caps.memory_mb);
	snprintf(slots, sizeof(slots), "%d", s->slots);
	values[0] = s->name;
	values[1] = cores;
	values[2] = gpus;
	values[3] = s->caps.memory_mb > 0 ? memory : NULL;
	values[4] = slots;
	values[5] = s->encoders;
	values[6] = s->labels_json;
	values[7] = s->tenant;

	switch (call(s, LINK_CONTROL, "registration", sql, 8, values, &res))
	{
		case CALL_LOST:
			return s->fatal ? -2 : -1;
		case CALL_REFUSED:
			if (previous == 0 && !refusal_is_transient(s->sqlstate))
			{
				char		what[300];
				char		why[600];

				snprintf(what, sizeof(what), "could not register node %s", s->name);
				snprintf(why, sizeof(why), "%s (SQLSTATE %s)", s->error, s->sqlstate);
				give_up(s, db_call_error_status(s->sqlstate) == WORKER_EXIT_NOPERM ?
						WORKER_EXIT_NOPERM : WORKER_EXIT_CONFIG, what, why);
				return -2;
			}
			disconnect(s, "could not register the node", s->error);
			return -1;
		case CALL_OK:
			break;
	}
	s->node_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(s->token, sizeof(s->token), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	s->reregister = 0;
	s->must_register = 0;
	s->state = NODE_ONLINE;
	if (previous != 0 && previous != s->node_id)
		worker_log(WLOG_WARNING, "node %s was removed from the database; it is node %" PRId64 " now",
				   s->name, s->node_id);
	worker_log(WLOG_INFO, "registered node %s as node %" PRId64 ": %d cpu cores, %d MiB, %d gpus, "
			   "%d slots, encoders %s, labels %s%s%s",
			   s->name, s->node_id, s->caps.cpu_cores, s->caps.memory_mb, s->caps.gpus, s->slots,
			   s->encoders, s->labels_json, s->tenant ? ", tenant " : "", s->tenant ? s->tenant : "");
	/* Registering makes a node online: a drain under way must not be undone by it. */
	if (was_draining && node_session_leave(s, 0) < 0)
		return -1;
	return listen_for_dispatch(s);
}

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

	switch (call(s, LINK_JOB, "finish_job", sql, 8, values, &res))
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			if (refusal_is_transient(s->sqlstate) || strcmp(s->sqlstate, "PT403") == 0)
			{
				/* A stale token is renewed by the next heartbeat, which retries this. */
				worker_log_job(WLOG_WARNING, f->job_id, f->tenant,
							   "could not record the %s outcome yet: %s (SQLSTATE %s); will retry",
							   f->outcome, s->error, s->sqlstate);
				return -1;
			}
			worker_log_job(refusal_is_final(s->sqlstate) ? WLOG_WARNING : WLOG_ERROR, f->job_id, f->tenant,
						   "the database refused the %s outcome of attempt %d: %s (SQLSTATE %s); dropping it",
						   f->outcome, f->attempt, s->error, s->sqlstate);
			s->nrefused++;
			return 0;
		case CALL_OK:
			break;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "retrying") == 0)
		worker_log_job(WLOG_INFO, f->job_id, f->tenant,
					   "recorded attempt %d as %s; the job will run again as attempt %s",
					   f->attempt, f->outcome, PQgetvalue(res, 0, 1));
	else
		worker_log_job(WLOG_INFO, f->job_id, f->tenant, "recorded attempt %d as %s; the job is %s",
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
static void
flush_pending(NodeSession *s, int all)
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
	worker_log_job(WLOG_WARNING, job_id, tenant,
				   "kept the %s outcome of attempt %d until the database answers", outcome, attempt);
	for (tail = &s->pending; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	s->npending++;
	return -1;
}

/*
 * "{1,2,3}": the running jobs, the kept finishes and the job whose start or
 * finish is under way, whose attempts must all stay open.
 */
static char *
running_literal(const NodeSession *s)
{
	int64_t		running[NODE_MAX_RUNNING];
	int			nrunning = s->running_fn ? s->running_fn(s->running_arg, running, NODE_MAX_RUNNING) : 0;
	size_t		size = 3 + (size_t) (nrunning + s->npending + 1) * 21;
	char	   *text = malloc(size);
	size_t		len = 0;
	int			n = 0;

	if (text == NULL)
		return NULL;
	text[len++] = '{';
	for (int i = 0; i < nrunning; i++)
		len += snprintf(text + len, size - len, "%s%" PRId64, n++ ? "," : "", running[i]);
	for (const PendingFinish *f = s->pending; f; f = f->next)
		len += snprintf(text + len, size - len, "%s%" PRId64, n++ ? "," : "", f->job_id);
	if (s->in_flight_job != 0)
		len += snprintf(text + len, size - len, "%s%" PRId64, n++ ? "," : "", s->in_flight_job);
	snprintf(text + len, size - len, "}");
	return text;
}

/*
 * Sends one heartbeat on the control connection and schedules the next.
 * It only records what the answer says: a refused token or an offline
 * answer sets must_register, which node_session_heartbeat() acts on (this
 * may run in the middle of a job call).  Returns 0, or -1 when the
 * connection was lost.
 */
static int
beat(NodeSession *s)
{
	static const char *const sql = "SELECT ffrtmp.node_heartbeat($1::bigint, $2, $3::bigint[])";
	char		node[24];
	const char *values[3];
	char	   *ids;
	PGresult   *res;
	CallResult	rc;

	s->next_heartbeat = now_ms() + s->heartbeat_ms;
	if ((ids = running_literal(s)) == NULL)
		return 0;
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = node;
	values[1] = s->token;
	values[2] = ids;
	rc = call(s, LINK_CONTROL, "heartbeat", sql, 3, values, &res);
	free(ids);
	if (rc == CALL_LOST)
		return -1;
	if (rc == CALL_REFUSED)
	{
		if (strcmp(s->sqlstate, "PT403") != 0 && strcmp(s->sqlstate, "PT404") != 0)
		{
			worker_log(WLOG_WARNING, "heartbeat refused: %s (SQLSTATE %s)", s->error, s->sqlstate);
			return 0;
		}
		/* Someone registered this name since (or removed the node): take it back. */
		worker_log(WLOG_WARNING, "the database no longer accepts this node's session: %s; "
				   "registering again (is another worker running with the name %s?)", s->error, s->name);
		s->must_register = 1;
		s->next_heartbeat = now_ms();
		return 0;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "offline") == 0)
	{
		/* Recovery gave this node's jobs to others already; their finishes will be refused. */
		worker_log(WLOG_WARNING, "the database marked this node offline (its heartbeats were late); "
				   "registering again");
		s->must_register = 1;
		s->next_heartbeat = now_ms();
	}
	else if (strcmp(PQgetvalue(res, 0, 0), "draining") == 0)
	{
		if (s->state != NODE_DRAINING)
			worker_log(WLOG_INFO, "an administrator drained this node: taking no new jobs");
		s->state = NODE_DRAINING;
	}
	else
		s->state = NODE_ONLINE;
	PQclear(res);
	return 0;
}

NodeState
node_session_heartbeat(NodeSession *s)
{
	if (!s->ready)
		return NODE_UNKNOWN;
	flush_pending(s, 0);
	/* An administrator's drain would be undone by registering: slots and labels wait. */
	if (s->ready && (s->must_register || (s->reregister && s->state != NODE_DRAINING)) &&
		register_node(s) < 0)
		return NODE_UNKNOWN;
	if (!s->ready || beat(s) < 0)
		return NODE_UNKNOWN;
	if (s->must_register && register_node(s) < 0)
		return NODE_UNKNOWN;
	flush_pending(s, 0);
	return s->ready ? s->state : NODE_UNKNOWN;
}

/*
 * Notices, and errors the server sends outside a query (a shutdown's
 * "terminating connection"), would go raw to stderr: make them log lines.
 */
static void
log_notice(void *arg, const char *message)
{
	(void) arg;
	worker_log(WLOG_WARNING, "the database says: %s", message);
}

/* Opens one of the two connections; 0, or -1 when a retry is scheduled or the session gave up. */
static int
open_connection(NodeSession *s, PGconn **conn)
{
	char		err[1024];
	int			status;
	PGresult   *res;

	if ((*conn = db_connect(s->conninfo, &status, err, sizeof(err))) == NULL)
	{
		if (status != 0)
			give_up(s, status, "could not connect to the database", err);
		else
			disconnect(s, "could not connect to the database", err);
		return -1;
	}
	PQsetNoticeProcessor(*conn, log_notice, NULL);
	res = PQexec(*conn, SESSION_SETTINGS);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		snprintf(err, sizeof(err), "%s", PQerrorMessage(*conn));
		PQclear(res);
		disconnect(s, "could not set up the database session", err);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
node_session_connect(NodeSession *s)
{
	int			rc;

	if (s->ready)
		return 1;
	if (s->fatal)
		return -1;
	if (open_connection(s, &s->conn) < 0 || open_connection(s, &s->jobconn) < 0)
		return s->fatal ? -1 : 0;
	worker_log(WLOG_INFO, "connected to the database at %s port %s",
			   PQhost(s->conn), PQport(s->conn));

	/*
	 * Resume: results kept while cut off go first, so that the heartbeat
	 * (which ends attempts the node does not list) cannot fail a job whose
	 * result is on its way.  The heartbeat then registers again if the old
	 * token is refused or the node was declared offline meanwhile.
	 */
	s->ready = 1;
	s->next_heartbeat = now_ms() + s->heartbeat_ms;
	if (s->node_id != 0)
	{
		flush_pending(s, 1);
		if (s->ready && !s->reregister && beat(s) == 0 && !s->must_register &&
			s->ready && listen_for_dispatch(s) == 0)
			goto ready;
		if (!s->ready)
			return s->fatal ? -1 : 0;
	}
	if ((rc = register_node(s)) == -2)
		return -1;
	if (rc < 0 || !s->ready)
		return s->fatal ? -1 : 0;
	flush_pending(s, 1);
	if (!s->ready)
		return s->fatal ? -1 : 0;

ready:
	s->ever_ready = 1;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->notifications++;			/* work may have been assigned while away */
	return 1;
}

int
node_session_take_notifications(NodeSession *s)
{
	int			n;

	if (!s->ready)
		return 0;
	if (!PQconsumeInput(s->conn))
	{
		disconnect(s, "lost the database connection", PQerrorMessage(s->conn));
		return 0;
	}
	collect_notifications(s);
	n = s->notifications;
	s->notifications = 0;
	return n;
}

int
node_session_fetch_assigned(NodeSession *s, AssignedJob **jobs, int *njobs)
{
	static const char *const sql =
		"SELECT id, attempt, tenant_id, input_url, output_url, params, cpu_cores, gpus,"
		"       extract(epoch FROM timeout)"
		"  FROM ffrtmp.fetch_assigned($1::bigint, $2)";
	char		node[24];
	const char *values[2];
	PGresult   *res;
	int			n;

	*jobs = NULL;
	*njobs = 0;
	if (!s->ready)
		return -1;
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = node;
	values[1] = s->token;
	switch (call(s, LINK_JOB, "fetch_assigned", sql, 2, values, &res))
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			worker_log(WLOG_WARNING, "could not fetch assigned jobs: %s (SQLSTATE %s)", s->error, s->sqlstate);
			return -1;
		case CALL_OK:
			break;
	}
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
	char		id[24];
	char		attempt[16];
	char		node[24];
	const char *values[4];
	CallResult	rc;

	if (!s->ready)
		return -1;
	snprintf(id, sizeof(id), "%" PRId64, job->id);
	snprintf(attempt, sizeof(attempt), "%d", job->attempt);
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = id;
	values[1] = attempt;
	values[2] = node;
	values[3] = s->token;
	/* Once started, the job must be in the heartbeats even before the answer arrives. */
	s->in_flight_job = job->id;
	rc = call(s, LINK_JOB, "start_job", sql, 4, values, NULL);
	s->in_flight_job = 0;
	switch (rc)
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			worker_log_job(WLOG_WARNING, job->id, job->tenant_id, "could not start attempt %d: %s (SQLSTATE %s)",
						   job->attempt, s->error, s->sqlstate);
			return refusal_is_final(s->sqlstate) ? 0 : -1;
		case CALL_OK:
			break;
	}
	return 1;
}

int
node_session_leave(NodeSession *s, int finished)
{
	static const char *const sql = "SELECT ffrtmp.leave_node($1::bigint, $2, $3::boolean)";
	char		node[24];
	const char *values[3];
	PGresult   *res;

	if (!s->ready)
		return -1;
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = node;
	values[1] = s->token;
	values[2] = finished ? "true" : "false";
	if (call(s, LINK_CONTROL, "leave_node", sql, 3, values, &res) != CALL_OK)
		return -1;
	if (atoi(PQgetvalue(res, 0, 0)) > 0)
		worker_log(WLOG_INFO, "handed %s job(s) back to the scheduler", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!finished)
		s->state = NODE_DRAINING;
	return 0;
}

int
node_session_report_progress(NodeSession *s, int64_t job_id, int attempt, const char *tenant,
							 const char *progress_json)
{
	static const char *const sql =
		"SELECT ffrtmp.report_progress($1::bigint, $2::integer, $3::bigint, $4, $5::jsonb)";
	char		id[24];
	char		attempt_text[16];
	char		node[24];
	const char *values[5];
	PGresult   *res;
	int			go_on;

	if (!s->ready)
		return -1;
	snprintf(id, sizeof(id), "%" PRId64, job_id);
	snprintf(attempt_text, sizeof(attempt_text), "%d", attempt);
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = id;
	values[1] = attempt_text;
	values[2] = node;
	values[3] = s->token;
	values[4] = progress_json;
	switch (call(s, LINK_JOB, "report_progress", sql, 5, values, &res))
	{
		case CALL_LOST:
			return -1;
		case CALL_REFUSED:
			worker_log_job(WLOG_WARNING, job_id, tenant, "progress not recorded: %s (SQLSTATE %s)",
						   s->error, s->sqlstate);
			return -1;
		case CALL_OK:
			break;
	}
	go_on = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return go_on;
}
