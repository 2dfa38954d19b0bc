/*
 * node_session.c: the worker's database session (see node_session.h): its
 * life from creation to exit, the connection and registration, LISTEN for
 * dispatch, the heartbeats, and leaving the pool.  The other files of the
 * session are listed in node_session_internal.h.
 *
 * Every statement is a constant text run with PQexecParams; whatever comes
 * from the configuration, the machine or a job travels as a parameter.  The
 * one exception is LISTEN, which takes no parameters: its channel name is
 * built from the node's integer id and nothing else.
 *
 * Job calls are bounded: both connections have a short lock_timeout, and a
 * call the database answers with "not now" (a lock or statement timeout, a
 * serialization failure, a deadlock) is tried again later: a finish is kept
 * and resent with backoff, a start or a fetch waits for the next poll, a
 * progress report for the next one.
 *
 * Invariants: the heartbeat lists every job whose attempt must stay open
 * (running, kept, or the one in a call under way), since the database ends
 * the attempts a node stops listing; after a reconnect, kept finishes go
 * out before the first heartbeat for that reason; registering again never
 * undoes an administrator's drain.
 */
#include "node_session_internal.h"
#include "db_link.h"
#include "exit_status.h"
#include "worker_log.h"
#include "worker_util.h"
#include "../common/protocol.h"
#include "../common/sqlstates.h"
#include "../common/states.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * How long a call waits for a row lock before the database gives up with
 * 55P03 and the call is tried again later.  Short: the main loop waits
 * meanwhile (a job call's heartbeats do not).  Statements that run long for
 * any other reason end at the statement timeout (57014), tried again the
 * same way.  Both connections have them: the control connection's calls
 * (leave_node hands assigned jobs back) can meet a tenant's lock too.
 */
#define SESSION_SETTINGS "SET lock_timeout = '1s'; SET statement_timeout = '60s'"

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

/*
 * The protocol version sent at registration: PROTOCOL_VERSION, unless
 * FFRTMP_WORKER_TEST_PROTOCOL_VERSION names another.  That variable exists
 * for the tests alone (a worker of another version without building one);
 * nothing else should set it.
 */
static int
session_protocol_version(void)
{
	const char *test = getenv("FFRTMP_WORKER_TEST_PROTOCOL_VERSION");

	return test && *test ? atoi(test) : PROTOCOL_VERSION;
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
	worker_log_set_node(s->name);
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
	s->protocol_version = session_protocol_version();
	srandom((unsigned) getpid() ^ (unsigned) time(NULL));
	return s;
}

void
node_session_destroy(NodeSession *s)
{
	session_drop_pending(s);
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

void
node_session_set_progress_source(NodeSession *s, NodeProgressFn fn, void *arg)
{
	s->progress_fn = fn;
	s->progress_arg = arg;
}

/* The progress reports due, as node_heartbeat's JSON array; NULL when none is. */
static char *
progress_json(NodeSession *s)
{
	json_object *progress;
	char	   *text = NULL;

	if (s->progress_fn == NULL || (progress = json_object_new_array()) == NULL)
		return NULL;
	s->progress_fn(s->progress_arg, progress);
	if (json_object_array_length(progress) > 0)
		text = strdup(json_object_to_json_string_ext(progress, JSON_C_TO_STRING_PLAIN));
	json_object_put(progress);
	return text;
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

int
node_session_connected(const NodeSession *s)
{
	return s->conn != NULL && s->jobconn != NULL;
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

static int
listen_for_dispatch(NodeSession *s)
{
	char		channel[64];
	char		sql[80];

	if (session_call(s, LINK_CONTROL, "UNLISTEN", "UNLISTEN *", 0, NULL, NULL) != CALL_OK)
		return -1;
	/* An integer, never data: the one statement built rather than parameterised. */
	snprintf(sql, sizeof(sql), "LISTEN \"%s\"", protocol_node_channel(s->node_id, channel, sizeof(channel)));
	if (session_call(s, LINK_CONTROL, "LISTEN", sql, 0, NULL, NULL) != CALL_OK)
	{
		if (s->conn)
			session_disconnect(s, "could not listen for dispatch", s->error);
		return -1;
	}
	return 0;
}

/*
 * The database refused this worker's protocol (or predates the exchange):
 * waiting cannot fix it, on the first registration or any later one (the
 * extension may have been upgraded under a running worker).  One log line
 * with both versions and what to upgrade, then exit.
 */
static void
give_up_incompatible(NodeSession *s)
{
	char		what[400];
	char		why[1100];
	char		ours[16];
	size_t		len;

	protocol_format(s->protocol_version, ours, sizeof(ours));
	snprintf(what, sizeof(what), "could not register node %s", s->name);
	if (sqlstate_is(s->sqlstate, SQLSTATE_PROTOCOL_MISMATCH))
		snprintf(why, sizeof(why), "%s (SQLSTATE %s). %s", s->error, s->sqlstate, s->hint);
	else
		snprintf(why, sizeof(why), "%s (SQLSTATE %s). The database's ffrtmp predates protocol versions "
				 "(release 0.1) and this worker speaks protocol %s: run ALTER EXTENSION ffrtmp UPDATE there",
				 s->error, s->sqlstate, ours);
	/* The hint is a sentence; the log line goes on after it. */
	len = strlen(why);
	if (len > 0 && why[len - 1] == '.')
		why[len - 1] = '\0';
	session_give_up(s, WORKER_EXIT_PROTOCOL, s->sqlstate, what, why);
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
		" slots => $5::integer, encoders => $6::text[], labels => $7::jsonb, tenant => $8,"
		" protocol_version => $9::integer)";
	char		cores[16];
	char		gpus[16];
	char		memory[16];
	char		slots[16];
	char		protocol[16];
	const char *values[9];
	PGresult   *res;
	int64_t		previous = s->node_id;
	CallResult	rc;

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
	snprintf(protocol, sizeof(protocol), "%d", s->protocol_version);
	values[8] = protocol;

	s->registering = 1;
	rc = session_call(s, LINK_CONTROL, "registration", sql, 9, values, &res);
	s->registering = 0;
	switch (rc)
	{
		case CALL_LOST:
			return s->fatal ? -2 : -1;
		case CALL_REFUSED:
			if (db_registration_is_incompatible(s->sqlstate))
			{
				give_up_incompatible(s);
				return -2;
			}
			if (previous == 0 && !db_refusal_is_transient(s->sqlstate))
			{
				char		what[300];
				char		why[600];

				snprintf(what, sizeof(what), "could not register node %s", s->name);
				snprintf(why, sizeof(why), "%s (SQLSTATE %s)", s->error, s->sqlstate);
				session_give_up(s, db_register_error_status(s->sqlstate), s->sqlstate, what, why);
				return -2;
			}
			session_disconnect(s, "could not register the node", s->error);
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

/*
 * "{1,2,3}": the running jobs, the kept finishes and the jobs whose start or
 * finish is under way, whose attempts must all stay open.
 */
static char *
running_literal(const NodeSession *s)
{
	int64_t		running[NODE_MAX_RUNNING];
	int			nrunning = s->running_fn ? s->running_fn(s->running_arg, running, NODE_MAX_RUNNING) : 0;
	size_t		size = 3 + (size_t) (nrunning + s->npending + s->nin_flight_starts + 1) * 21;
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
	for (int i = 0; i < s->nin_flight_starts; i++)
		len += snprintf(text + len, size - len, "%s%" PRId64, n++ ? "," : "", s->in_flight_starts[i]->id);
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
int
session_beat(NodeSession *s)
{
	static const char *const sql = "SELECT ffrtmp.node_heartbeat($1::bigint, $2, $3::bigint[], $4::jsonb)";
	char		node[24];
	const char *values[4];
	char	   *ids;
	char	   *progress;
	PGresult   *res;
	CallResult	rc;

	s->next_heartbeat = now_ms() + s->heartbeat_ms;
	if ((ids = running_literal(s)) == NULL)
		return 0;
	/* The running jobs' progress rides along: one call, not a report_progress each. */
	progress = progress_json(s);
	snprintf(node, sizeof(node), "%" PRId64, s->node_id);
	values[0] = node;
	values[1] = s->token;
	values[2] = ids;
	values[3] = progress;
	rc = session_call(s, LINK_CONTROL, "heartbeat", sql, 4, values, &res);
	/*
	 * Refused, but not for its session (below): it may be the progress, which
	 * a job's process writes (progress_report.h keeps out what jsonb refuses,
	 * but a heartbeat must never depend on that).  The node must not look
	 * dead for a report: the heartbeat goes again at once without progress.
	 */
	if (rc == CALL_REFUSED && progress != NULL &&
		!sqlstate_is(s->sqlstate, SQLSTATE_TENANT_BLOCKED) && !sqlstate_is(s->sqlstate, SQLSTATE_NOT_FOUND))
	{
		worker_log(WLOG_WARNING, "heartbeat refused with its progress: %s (SQLSTATE %s); sending it again without",
				   s->error, s->sqlstate);
		values[3] = NULL;
		rc = session_call(s, LINK_CONTROL, "heartbeat", sql, 4, values, &res);
	}
	free(ids);
	free(progress);
	if (rc == CALL_LOST)
		return -1;
	if (rc == CALL_REFUSED)
	{
		if (!sqlstate_is(s->sqlstate, SQLSTATE_TENANT_BLOCKED) && !sqlstate_is(s->sqlstate, SQLSTATE_NOT_FOUND))
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
	if (strcmp(PQgetvalue(res, 0, 0), NODE_STATE_OFFLINE) == 0)
	{
		/* Recovery gave this node's jobs to others already; their finishes will be refused. */
		worker_log(WLOG_WARNING, "the database marked this node offline (its heartbeats were late); "
				   "registering again");
		s->must_register = 1;
		s->next_heartbeat = now_ms();
	}
	else if (strcmp(PQgetvalue(res, 0, 0), NODE_STATE_DRAINING) == 0)
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
	session_flush_pending(s, 0);
	/* An administrator's drain would be undone by registering: slots and labels wait. */
	if (s->ready && (s->must_register || (s->reregister && s->state != NODE_DRAINING)) &&
		register_node(s) < 0)
		return NODE_UNKNOWN;
	if (!s->ready || session_beat(s) < 0)
		return NODE_UNKNOWN;
	if (s->must_register && register_node(s) < 0)
		return NODE_UNKNOWN;
	session_flush_pending(s, 0);
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
			session_give_up(s, status, NULL, "could not connect to the database", err);
		else
			session_disconnect(s, "could not connect to the database", err);
		return -1;
	}
	PQsetNoticeProcessor(*conn, log_notice, NULL);
	res = PQexec(*conn, SESSION_SETTINGS);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		snprintf(err, sizeof(err), "%s", PQerrorMessage(*conn));
		PQclear(res);
		session_disconnect(s, "could not set up the database session", err);
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
	worker_log(WLOG_DEBUG, "connecting to the database");
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
		session_flush_pending(s, 1);
		if (s->ready && !s->reregister && session_beat(s) == 0 && !s->must_register &&
			s->ready && listen_for_dispatch(s) == 0)
			goto ready;
		if (!s->ready)
			return s->fatal ? -1 : 0;
	}
	if ((rc = register_node(s)) == -2)
		return -1;
	if (rc < 0 || !s->ready)
		return s->fatal ? -1 : 0;
	session_flush_pending(s, 1);
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
		session_disconnect(s, "lost the database connection", PQerrorMessage(s->conn));
		return 0;
	}
	session_collect_notifications(s);
	n = s->notifications;
	s->notifications = 0;
	return n;
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
	if (session_call(s, LINK_CONTROL, "leave_node", sql, 3, values, &res) != CALL_OK)
		return -1;
	if (atoi(PQgetvalue(res, 0, 0)) > 0)
		worker_log(WLOG_INFO, "handed %s job(s) back to the scheduler", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!finished)
		s->state = NODE_DRAINING;
	return 0;
}
