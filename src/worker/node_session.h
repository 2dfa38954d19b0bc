/*
 * node_session.h: the worker's database session, through libpq: the node's
 * registration and session token, LISTEN for dispatch and heartbeats on one
 * connection (the running jobs' progress with the heartbeats), and the calls
 * about jobs (fetch_assigned, start_jobs, append_job_log, finish_jobs) on
 * another, so that a job call stuck on a tenant's lock never holds up a
 * heartbeat.
 *
 * The session survives the database: any connection loss closes the
 * connection and schedules a reconnect with exponential backoff; after it,
 * the node resumes with its old token, or registers again (same name, same
 * node id, new token) when the database no longer accepts it.  A finish that
 * could not be delivered is kept and sent again until the database answers,
 * so a restart or failover in the middle of a job loses neither the job nor
 * its result.
 *
 * Errors that waiting cannot fix (authentication, an unknown database or
 * role, a bad connection string, the extension missing) end the session for
 * good: node_session_fatal() then says with which exit status.
 */
#ifndef FFRTMP_WORKER_NODE_SESSION_H
#define FFRTMP_WORKER_NODE_SESSION_H

#include "capabilities.h"
#include "options.h"

#include <stdint.h>

/* What the node's heartbeat says the scheduler thinks of it. */
typedef enum NodeState
{
	NODE_UNKNOWN,				/* no answer: the connection is down */
	NODE_ONLINE,
	NODE_DRAINING				/* an administrator drained it: take no new jobs */
} NodeState;

/* A job the scheduler assigned to this node, as fetch_assigned returns it. */
typedef struct AssignedJob
{
	int64_t		id;
	int			attempt;
	char		tenant_id[40];
	char	   *input_url;
	char	   *output_url;		/* NULL: the worker chooses */
	char	   *params;			/* JSON object */
	int			cpu_cores;
	int			gpus;
	int64_t		timeout_ms;		/* wall clock for this attempt; 0: none */
} AssignedJob;

typedef struct NodeSession NodeSession;

/*
 * Fills ids with the jobs whose processes run (at most max) and returns how
 * many: what every heartbeat lists, whenever it is sent.
 */
typedef int (*NodeRunningFn) (void *arg, int64_t *ids, int max);

#define NODE_MAX_RUNNING 1024

/* Nothing connects until node_session_connect(). */
extern NodeSession *node_session_create(const WorkerOptions *options, const WorkerCapabilities *caps);
extern void node_session_destroy(NodeSession *session);

/*
 * After a reload: slots and labels are registered again (now, or when next
 * connected) if they changed.  The name, tenant and connection string stay
 * those the session was created with.
 */
extern void node_session_set_options(NodeSession *session, const WorkerOptions *options);

extern void node_session_set_running_source(NodeSession *session, NodeRunningFn fn, void *arg);

/*
 * Where the heartbeat takes the running jobs' progress from: the function
 * adds to progress (a json-c array) one {"job_id", "attempt", "progress"}
 * object per job with a report due, and the heartbeat sends them with it
 * (node_heartbeat's progress argument).
 */
struct json_object;
typedef void (*NodeProgressFn) (void *arg, struct json_object *progress);
extern void node_session_set_progress_source(NodeSession *session, NodeProgressFn fn, void *arg);

/* Connected, registered and listening. */
extern int	node_session_ready(const NodeSession *session);

/* Both connections open (registered or not yet). */
extern int	node_session_connected(const NodeSession *session);

/* 0, or the WORKER_EXIT_* status of an error that retrying cannot fix. */
extern int	node_session_fatal(const NodeSession *session);

/* When (monotonic milliseconds) the next heartbeat is due. */
extern int64_t node_session_next_heartbeat(const NodeSession *session);

/* When (monotonic milliseconds) the next connection attempt is due. */
extern int64_t node_session_retry_at(const NodeSession *session);

/*
 * Connects, then delivers kept finishes, heartbeats with the old token or
 * registers, and listens.  Returns 1 when ready; 0 when a retry has been
 * scheduled; -1 when the session gave up (see node_session_fatal).  With
 * --once, failing to connect before the first registration gives up.
 */
extern int	node_session_connect(NodeSession *session);

/* The socket to poll for input while ready, else -1. */
extern int	node_session_socket(const NodeSession *session);

/*
 * Reads what the server sent and returns how many notifications arrived
 * since the last call (a hint to fetch assigned jobs); 0 as well when the
 * connection was found lost.
 */
extern int	node_session_take_notifications(NodeSession *session);

/*
 * Heartbeat, naming the running jobs (kept finishes are added, so that
 * their attempts stay open until delivered).  A refused token or an offline
 * answer registers the node again.  Also retries kept finishes whose backoff
 * has passed.  A job call that waits sends heartbeats itself when they fall
 * due.
 */
extern NodeState node_session_heartbeat(NodeSession *session);

/* Jobs assigned and not yet started; 0, or -1 when there is no answer. */
extern int	node_session_fetch_assigned(NodeSession *session, AssignedJob **jobs, int *njobs);
extern void assigned_jobs_free(AssignedJob *jobs, int njobs);

/* 1: started; 0: the job is no longer this node's (skip it); -1: no answer. */
extern int	node_session_start_job(NodeSession *session, const AssignedJob *job);

/*
 * Starts the n jobs in one start_jobs call (at most 1000), and sets
 * started[i] for each as node_session_start_job() would answer for it: 1
 * started, 0 no longer this node's, -1 not now (no answer, or a lock: the
 * next poll tries again).  Should the database refuse the whole batch for a
 * reason that waiting does not fix, each job is started alone.
 */
extern void node_session_start_jobs(NodeSession *session, const AssignedJob *const *jobs, int n,
									int *started);

/*
 * Tells the scheduler this node is leaving: finished = 0 drains it (no new
 * jobs), 1 takes it offline.  Jobs assigned but not started go back to the
 * queue without spending an attempt.  Returns 0, or -1 if the database could
 * not be told (then the node times out as before).
 */
extern int	node_session_leave(NodeSession *session, int finished);

/*
 * Sends a batch of the attempt's log lines (job_log.h's JSON array) to
 * ffrtmp.append_job_log.  1: stored (or refused as malformed, logged: never
 * to be sent again); 0: the attempt is no longer held; -1: no answer, or a
 * lock wait: send it again later.
 */
extern int	node_session_append_log(NodeSession *session, int64_t job_id, int attempt,
									const char *tenant, const char *lines_json);

/*
 * Ends an attempt: outcome "completed" (with result JSON) or "failed" /
 * "timed_out" (with error and failure_reason).  The finish is queued (the
 * heartbeats list its job meanwhile, so its attempt stays open) and sent by
 * the next node_session_send_finishes() together with the others queued by
 * then, in one call; one the database cannot take yet (no answer, or a "not
 * now": a lock held by a tenant, a timeout, a serialization failure) is kept
 * and sent again with backoff, one it refuses for good (the attempt is no
 * longer held) is dropped.
 */
extern void node_session_finish_job(NodeSession *session, int64_t job_id, int attempt,
									const char *tenant, const char *outcome, const char *result,
									const char *error, const char *failure_reason);

/* Sends the queued finishes that are due: one finish_jobs call for up to 500 of them. */
extern void node_session_send_finishes(NodeSession *session);

/* A started attempt the node holds, as node_attempts returns it. */
typedef struct NodeAttempt
{
	int64_t		job_id;
	int			attempt;
	int			paused;			/* paused by pause_job: its process is to be stopped */
} NodeAttempt;

/*
 * The started attempts the database says this node holds (running or
 * paused), for the caller to free; 0, or -1 when there is no answer.
 */
extern int	node_session_attempts(NodeSession *session, NodeAttempt **attempts, int *nattempts);

/* Finishes kept for delivery. */
extern int	node_session_pending(const NodeSession *session);

/* Finishes the database refused since the start (for --once's exit status). */
extern int	node_session_refused(const NodeSession *session);

#endif
