/*
 * db_link.c: opening one libpq connection for the worker, and what the
 * SQLSTATE of an error answer means to it (see db_link.h).  Nothing here
 * keeps state: it connects and classifies, and the session acts on that.
 *
 * A connection refused by the server ends with its FATAL message, whose
 * SQLSTATE libpq keeps only in the text it builds.  So the connection is
 * started with PQconnectStartParams and its error verbosity raised before
 * the server answers: the message then carries "FATAL:  28P01: ..." in
 * every language, and the five characters after the severity decide.
 *
 * libpq moves on to the next host of a multi-host string after
 * connect_timeout only in its blocking PQconnectdbParams.  A host that
 * neither answers nor refuses makes the polled attempt give up after one
 * connect_timeout and try once more that way: the failover still happens,
 * at the price of not knowing that attempt's SQLSTATEs (it counts as
 * transient).
 */
#include "db_link.h"
#include "exit_status.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_notify.h"
#include "worker_util.h"
#include "../common/sqlstates.h"

int
db_conninfo_check(const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption *options;
	char	   *message = NULL;

	if (conninfo == NULL)
		return 0;
	if ((options = PQconninfoParse(conninfo, &message)) != NULL)
	{
		PQconninfoFree(options);
		return 0;
	}
	snprintf(err, errlen, "invalid connection string: %s", message ? message : "out of memory");
	PQfreemem(message);
	/* libpq's messages end with a newline. */
	err[strcspn(err, "\n")] = '\0';
	return -1;
}

/* What a server's FATAL at connection time means for the worker. */
static int
connect_error_status(const char *sqlstate)
{
	/* 28000: unknown role or no pg_hba.conf entry; 28P01: wrong password. */
	if (sqlstate_is(sqlstate, SQLSTATE_CLASS_AUTHORIZATION) || sqlstate_is(sqlstate, SQLSTATE_INSUFFICIENT_PRIVILEGE))
		return WORKER_EXIT_NOPERM;
	if (sqlstate_is(sqlstate, SQLSTATE_INVALID_DATABASE))
		return WORKER_EXIT_CONFIG;
	return 0;
}

int
db_call_error_status(const char *sqlstate)
{
	if (sqlstate_is(sqlstate, SQLSTATE_INVALID_SCHEMA) || sqlstate_is(sqlstate, SQLSTATE_UNDEFINED_FUNCTION) ||
		sqlstate_is(sqlstate, SQLSTATE_UNDEFINED_TABLE))
		return WORKER_EXIT_CONFIG;
	if (sqlstate_is(sqlstate, SQLSTATE_INSUFFICIENT_PRIVILEGE))
		return WORKER_EXIT_NOPERM;
	return 0;
}

/* A standby (after a failover), a shutdown or crash, a connection exception. */
int
db_refusal_is_lost(const char *sqlstate)
{
	return sqlstate_is(sqlstate, SQLSTATE_READ_ONLY) || sqlstate_is(sqlstate, SQLSTATE_CLASS_OPERATOR) ||
		sqlstate_is(sqlstate, SQLSTATE_CLASS_CONNECTION);
}

int
db_refusal_is_transient(const char *sqlstate)
{
	return sqlstate_is(sqlstate, SQLSTATE_CLASS_ROLLBACK) || sqlstate_is(sqlstate, SQLSTATE_CLASS_RESOURCES) ||
		sqlstate_is(sqlstate, SQLSTATE_CLASS_PREREQUISITE) || sqlstate_is(sqlstate, SQLSTATE_QUERY_CANCELED) ||
		sqlstate_is(sqlstate, SQLSTATE_QUOTA_EXCEEDED);
}

/* PT409: another attempt holds the job; PT404: the job or attempt is gone. */
int
db_refusal_is_final(const char *sqlstate)
{
	return sqlstate_is(sqlstate, SQLSTATE_CONFLICT) || sqlstate_is(sqlstate, SQLSTATE_NOT_FOUND);
}

int
db_register_error_status(const char *sqlstate)
{
	if (db_registration_is_incompatible(sqlstate))
		return WORKER_EXIT_PROTOCOL;
	return db_call_error_status(sqlstate) == WORKER_EXIT_NOPERM ? WORKER_EXIT_NOPERM : WORKER_EXIT_CONFIG;
}

/*
 * PT426: the database refused this worker's protocol.  42883 at
 * registration: register_node takes no protocol_version, so the installed
 * extension predates the exchange (release 0.1).  (Without the extension at
 * all the schema is missing first: 3F000.)
 */
int
db_registration_is_incompatible(const char *sqlstate)
{
	return sqlstate_is(sqlstate, SQLSTATE_PROTOCOL_MISMATCH) || sqlstate_is(sqlstate, SQLSTATE_UNDEFINED_FUNCTION);
}

const char *
db_exit_advice(int status, const char *sqlstate)
{
	/* A registration refused for good with PT404: the tenant --tenant names. */
	if (status == WORKER_EXIT_CONFIG && sqlstate != NULL && sqlstate_is(sqlstate, SQLSTATE_NOT_FOUND))
		return "check --tenant: it names no tenant of this database";
	switch (status)
	{
		case WORKER_EXIT_NOPERM:
			return "check the role, its password and pg_hba.conf; the role needs ffrtmp_admin, or with --tenant a mapping to that tenant (ffrtmp.add_tenant_role)";
		case WORKER_EXIT_PROTOCOL:
			return "upgrade the worker or the extension so that both speak the same major protocol version";
		case WORKER_EXIT_CONFIG:
			return "check the connection string, the database name and that the ffrtmp extension is installed there";
		default:
			return "the database could not be reached (--once tries only once)";
	}
}

/*
 * The worst status among the SQLSTATEs in a verbose connection message
 * ("...failed: FATAL:  3D000: database ... does not exist"), one per host
 * tried.  A host that said something permanent decides: every host is
 * configured alike, so the others would say the same once they answer.
 */
static int
message_status(const char *message)
{
	int			status = 0;

	for (const char *p = strstr(message, ":  "); p != NULL; p = strstr(p + 1, ":  "))
	{
		char		sqlstate[6];
		int			valid = 1;

		for (int i = 0; i < 5; i++)
			if (!((p[3 + i] >= '0' && p[3 + i] <= '9') || (p[3 + i] >= 'A' && p[3 + i] <= 'Z')))
				valid = 0;
		if (!valid || p[8] != ':')
			continue;
		memcpy(sqlstate, p + 3, 5);
		sqlstate[5] = '\0';
		if (connect_error_status(sqlstate) > status)
			status = connect_error_status(sqlstate);
	}
	return status;
}

/* The message without libpq's LOCATION lines, its lines joined by "; ". */
static void
clean_message(const char *message, char *out, size_t outlen)
{
	size_t		len = 0;

	out[0] = '\0';
	for (const char *line = message; *line && len + 1 < outlen;)
	{
		size_t		n = strcspn(line, "\n");

		if (n > 0 && strncmp(line, "LOCATION:", 9) != 0)
			len += snprintf(out + len, outlen - len, "%s%.*s", len ? "; " : "", (int) n, line);
		line += n;
		if (*line == '\n')
			line++;
	}
}

/* The effective connect_timeout in milliseconds, or -1 for none. */
static int
connect_timeout_ms(PGconn *conn)
{
	PQconninfoOption *options = PQconninfo(conn);
	int			ms = -1;

	for (PQconninfoOption *o = options; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && atoi(o->val) > 0)
			ms = (atoi(o->val) < 2 ? 2 : atoi(o->val)) * 1000;	/* libpq's own minimum */
	PQconninfoFree(options);
	return ms;
}

/*
 * Drives PQconnectPoll to its end; 0, or -1 when connect_timeout passed
 * first.  Wakes at least once a second to keep systemd's watchdog: a server
 * that takes its time is not a hung worker.
 */
static int
poll_connection(PGconn *conn)
{
	int			timeout = connect_timeout_ms(conn);
	int64_t		deadline = now_ms() + timeout;
	PostgresPollingStatusType state = PGRES_POLLING_WRITING;

	while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED)
	{
		struct pollfd fd = {.fd = PQsocket(conn)};
		int			wait = -1;

		if (timeout > 0 && (wait = (int) (deadline - now_ms())) <= 0)
			return -1;
		if (wait < 0 || wait > 1000)
			wait = 1000;
		(void) service_notify_watchdog(now_ms());
		fd.events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		if (fd.fd >= 0 && poll(&fd, 1, wait) == 0)
			continue;			/* the deadline is checked above */
		state = PQconnectPoll(conn);
	}
	return 0;
}

PGconn *
db_connect(const char *conninfo, int *exit_status, char *err, size_t errlen)
{
	/*
	 * Defaults that the connection string (expanded in place of dbname,
	 * after them) can override: name the session, and notice a dead server
	 * within seconds rather than after TCP's minutes.
	 */
	const char *keywords[] = {
		"fallback_application_name", "connect_timeout", "keepalives", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname", NULL
	};
	const char *values[] = {
		"ffrtmp-worker", getenv("PGCONNECT_TIMEOUT") ? NULL : "10", "1", "10",
		"5", "3", "30000", conninfo, NULL
	};
	PGconn	   *conn;

	*exit_status = 0;
	if (db_conninfo_check(conninfo, err, errlen) != 0)
	{
		*exit_status = WORKER_EXIT_CONFIG;
		return NULL;
	}
	if ((conn = PQconnectStartParams(keywords, values, 1)) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	if (PQstatus(conn) != CONNECTION_BAD && poll_connection(conn) < 0)
	{
		PQfinish(conn);
		/* It blocks for connect_timeout per host: start it with the watchdog just kept. */
		service_notify_watchdog_now(now_ms());
		conn = PQconnectdbParams(keywords, values, 1);
		if (conn == NULL)
		{
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
	}
	if (PQstatus(conn) == CONNECTION_OK)
		return conn;
	/* The server asked for a password and none was given: libpq's own error, without a SQLSTATE. */
	*exit_status = PQconnectionNeedsPassword(conn) ? WORKER_EXIT_NOPERM : message_status(PQerrorMessage(conn));
	clean_message(PQerrorMessage(conn), err, errlen);
	PQfinish(conn);
	return NULL;
}
