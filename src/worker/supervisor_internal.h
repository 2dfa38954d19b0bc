/*
 * supervisor_internal.h: what the files of the worker's main loop share,
 * and nothing outside them may use (the rest of the daemon sees only
 * supervisor.h).
 *
 *   supervisor.c       the loop: signals, reloads, draining, the database
 *                      session's turn, the metrics and systemd, the wait
 *   supervisor_jobs.c  the jobs: started from a fetch, followed as the
 *                      database says (paused, resumed, no longer held),
 *                      their progress and log lines relayed, and how each
 *                      ended handed to the session's queue of finishes
 *
 * Invariants: jobs[0..njobs) are the child processes that have not been
 * reaped yet, at most --slots (1 with --once); a job leaves the array only
 * when supervisor_reap_jobs ends it, after its outcome was queued.
 */
#ifndef FFRTMP_WORKER_SUPERVISOR_INTERNAL_H
#define FFRTMP_WORKER_SUPERVISOR_INTERNAL_H

#include "job_process.h"
#include "node_session.h"
#include "options.h"
#include "probe_server.h"

#include <stdint.h>

struct json_object;

#define MAX_JOBS 1024			/* --slots is at most this */
/*
 * A running job's progress changes about once a second (job_run.c reports
 * at that pace): a heartbeat goes early with it, at most once a second for
 * all of the node's jobs, so that a watcher sees it move every second, not
 * every heartbeat interval.  A node whose jobs report nothing new sends
 * nothing more than its heartbeats.
 */
#define PROGRESS_TICK_MS 1000

typedef struct Supervisor
{
	WorkerOptions options;
	int			argc;
	char	  **argv;

	/* As started: a reload cannot change them (the session has its own copies). */
	char	   *name;
	char	   *tenant;
	char	   *conninfo;
	char	   *listen;

	NodeSession *session;
	ProbeServer *probe;			/* --listen's server; NULL without it */
	int64_t		watchdog_at;	/* systemd's watchdog is next due; INT64_MAX: none */
	JobProcess *jobs[MAX_JOBS];
	int			njobs;

	int64_t		next_fetch;
	int			fetch_now;		/* a notification came, or the session just resumed */
	int			follow_now;		/* a notification, or next_follow passed: read node_attempts */
	int64_t		next_follow;	/* node_attempts is read at least this often: a heartbeat interval */
	int64_t		progress_sent;	/* when a heartbeat last took the jobs' progress */

	int			draining;		/* SIGTERM or SIGINT: take no new jobs */
	int64_t		grace_deadline;
	int			grace_over;		/* running jobs have been told to stop */
	int			drained_by_admin;	/* the heartbeat answered "draining" */
	int			fatal;

	int			once_started;
	int			once_left_pool; /* told the scheduler to give other jobs elsewhere */
	int			once_ended;
	int			once_completed;
} Supervisor;

/* supervisor_jobs.c */

/* Whether a slot is free and the worker takes jobs (not draining, --once not yet started). */
extern int	supervisor_taking_jobs(const Supervisor *sv);

/* Takes the jobs the scheduler assigned, as many as there are free slots, started in one call. */
extern void supervisor_fetch_and_start(Supervisor *sv);

/* Stops, pauses and continues the jobs as node_attempts says. */
extern void supervisor_follow_attempts(Supervisor *sv, int64_t now);

/* Sends the running jobs' log lines that are due. */
extern void supervisor_relay_logs(Supervisor *sv, int64_t now);

/* Ends the jobs whose processes exited: their outcome queued, the job forgotten. */
extern void supervisor_reap_jobs(Supervisor *sv, int64_t now);

/* Adds to the byte counters what the job read and wrote since last counted. */
extern void supervisor_count_bytes(JobProcess *p);

/* The heartbeat's sources (node_session.h): the running jobs' ids and progress. */
extern int	supervisor_running_ids(void *arg, int64_t *ids, int max);
extern void supervisor_heartbeat_progress(void *arg, struct json_object *progress);

/* When the progress tick is due (an early heartbeat with new progress); INT64_MAX: none. */
extern int64_t supervisor_progress_tick_at(const Supervisor *sv);

#endif
