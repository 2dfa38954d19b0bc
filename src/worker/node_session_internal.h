/*
 * node_session_internal.h: what the files of the worker's database session
 * share, and nothing outside them may use (the rest of the daemon sees only
 * node_session.h).
 *
 *   node_session.c  the session's life: create, connect, register, LISTEN,
 *                   heartbeats, leave
 *   node_call.c     running one statement on either connection, and what a
 *                   lost connection (reconnect with backoff) or an error
 *                   that waiting cannot fix (give up) does to the session
 *   node_jobs.c     the calls about jobs but their end: fetch_assigned,
 *                   start_jobs (start_job when a batch is refused whole),
 *                   append_job_log and
 *                   node_attempts, through one helper that sends the
 *                   node's id and session token
 *   node_finish.c   finish_jobs (finish_job when a batch is refused whole),
 *                   and the finishes kept until delivered
 *
 * Invariants the pieces rely on:
 * - ready implies that both connections are open; losing either one closes
 *   both (close_connections in node_call.c), so a heartbeat never goes out
 *   for a node whose job calls cannot.
 * - Every statement goes through session_call(); a CALL_LOST means the
 *   connections are already closed and either a reconnect is scheduled
 *   (retry_at) or fatal is set.  Callers never close them themselves.
 * - sqlstate and error describe the last CALL_REFUSED and nothing else.
 * - Only node_finish.c adds to or removes from the pending list, keeping
 *   npending its length; the heartbeat reads it to list those jobs.
 */
#ifndef FFRTMP_WORKER_NODE_SESSION_INTERNAL_H
#define FFRTMP_WORKER_NODE_SESSION_INTERNAL_H

#include "node_session.h"

#include <libpq-fe.h>
#include <stdint.h>

/* Reconnects and kept finishes wait 0.5 s, doubling up to 10 s. */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 10000

/* Which connection a call uses. */
typedef enum Link
{
	LINK_CONTROL,				/* registration, LISTEN, heartbeats (with progress), leave_node */
	LINK_JOB					/* fetch_assigned, start_jobs, append_job_log, finish_jobs */
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
	int			settled;		/* recorded or refused for good: taken off the list */
	int			kept;			/* a delivery failed: logged once */
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
	int			protocol_version;	/* sent at registration (common/protocol.h) */
	int			registering;	/* a register_node call is under way */

	/* The heartbeat's schedule, and where the list of running jobs comes from. */
	int			heartbeat_ms;
	int64_t		next_heartbeat;
	int			in_heartbeat;
	NodeRunningFn running_fn;
	void	   *running_arg;
	NodeProgressFn progress_fn;
	void	   *progress_arg;
	int64_t		in_flight_job;	/* started or finished by the job call under way; 0: none */
	const AssignedJob *const *in_flight_starts;	/* started by the start_jobs call under way */
	int			nin_flight_starts;
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
	char		hint[512];		/* its hint, "" when it had none */
};

/* node_call.c */

/*
 * Runs one statement on a connection.  On CALL_OK and a non-NULL result,
 * the caller owns *result.  A job call sends heartbeats while it waits.
 */
extern CallResult session_call(NodeSession *s, Link link, const char *what, const char *sql,
							   int nparams, const char *const *values, PGresult **result);

/* Closes the connections and schedules a reconnect (or gives up under --once). */
extern void session_disconnect(NodeSession *s, const char *what, const char *why);

/*
 * Closes the connections for good: fatal becomes status.  sqlstate: of the
 * refused call that decided it, else NULL (it chooses the advice logged).
 */
extern void session_give_up(NodeSession *s, int status, const char *sqlstate, const char *what,
							const char *why);

/* Counts the notifications that arrived on the control connection. */
extern void session_collect_notifications(NodeSession *s);

/* node_session.c */

/* Sends one heartbeat and schedules the next; 0, or -1 when the connection was lost. */
extern int	session_beat(NodeSession *s);

/* node_finish.c */

/* Delivers kept finishes whose backoff has passed, or all of them. */
extern void session_flush_pending(NodeSession *s, int all);

/* Logs and frees the finishes still kept (at exit: they are lost). */
extern void session_drop_pending(NodeSession *s);

#endif
