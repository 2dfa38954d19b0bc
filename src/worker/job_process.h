/*
 * job_process.h: one job run in a forked child process, seen from the
 * supervisor: starting it under the per-job limits, reading its reports
 * (the line protocol of job_run.h), stopping it, and turning how it ended
 * into the outcome finish_job records.
 *
 * A child is stopped with SIGTERM, which asks job_run() to stop and clean
 * up, and SIGKILL one second later if it has not exited; then the partial
 * output is removed here, since a killed child could not.  A paused child
 * (SIGSTOP) is continued right after the SIGTERM, so that it can clean up.
 */
#ifndef FFRTMP_WORKER_JOB_PROCESS_H
#define FFRTMP_WORKER_JOB_PROCESS_H

#include "job_log.h"
#include "job_run.h"
#include "node_session.h"
#include "options.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum JobStopReason
{
	JOB_STOP_NONE,
	JOB_STOP_CANCELED,			/* the database says the attempt is no longer ours */
	JOB_STOP_TIMEOUT,			/* past the job's wall-clock timeout */
	JOB_STOP_SHUTDOWN			/* the worker is shutting down and the grace is over */
} JobStopReason;

typedef struct JobProcess
{
	AssignedJob job;			/* own copies of the strings */
	pid_t		pid;
	int			fd;				/* read end of the report pipe; -1 after EOF */
	char		final_path[PATH_MAX];
	char		partial_path[PATH_MAX];	/* "" for network outputs */
	char		output_root[PATH_MAX];	/* as it was when the job started */
	int64_t		started_ms;
	int64_t		deadline_ms;	/* wall-clock timeout; 0: none */
	int			cpu_seconds;	/* the limits it runs under, to explain a kill */
	int64_t		output_bytes;

	/* Reports, as they arrive. */
	char		line[JOB_RUN_LINE_MAX + 1];
	size_t		line_len;
	int			overlong;		/* discarding the rest of a too long line */
	char	   *progress;		/* latest, when it differs from the one relayed last */
	char	   *progress_relayed;	/* the one the database was last sent */
	char	   *done_json;
	char		failed_reason[32];
	char	   *failed_message;
	JobLog		log;			/* lines of the attempt's log not yet sent */
	int64_t		log_sent_ms;

	/*
	 * The latest progress report's figures, for the worker's metrics: every
	 * report counts, relayed or not.  The byte counts are the job's totals so
	 * far; the supervisor remembers how much of them it has counted.
	 */
	int			reported;		/* a progress report has come */
	double		fps;
	double		speed;
	int64_t		input_bytes;
	int64_t		output_bytes_written;
	int64_t		input_bytes_counted;
	int64_t		output_bytes_counted;

	/* Paused (SIGSTOP of its process group) since paused_ms; the timeout waits meanwhile. */
	int			paused;
	int64_t		paused_ms;

	/* Stopping and ending. */
	JobStopReason stop;
	int64_t		kill_at_ms;
	int			killed;
	int			exited;
	int			status;			/* from waitpid */
} JobProcess;

/* What to record about an attempt that ended; outcome NULL: nothing (it is not ours any more). */
typedef struct JobOutcome
{
	const char *outcome;		/* completed, failed, timed_out */
	const char *result;			/* JSON, when completed */
	const char *failure_reason;
	const char *error;
	char		error_buf[600];
} JobOutcome;

/*
 * Forks the child for job (its output paths decided first, here, so that the
 * parent can clean up after it).  Returns a new JobProcess, or NULL with a
 * message in err and the failure class in *failure_reason when the job
 * cannot start (a refused output path, no process or pipe left).
 */
extern JobProcess *job_process_start(const AssignedJob *job, const WorkerOptions *options,
									 int64_t now_ms, char *err, size_t errlen,
									 const char **failure_reason);

/* Reads what the child wrote since the last call; call when its fd is readable. */
extern void job_process_read(JobProcess *process);

/* Sends SIGTERM (once) and arms the SIGKILL one second later. */
extern void job_process_stop(JobProcess *process, JobStopReason why, int64_t now_ms);

/*
 * pause_job and resume_job: stops the job's process group with SIGSTOP, or
 * continues it with SIGCONT; the wall-clock timeout does not count the time
 * between.  Returns 0, or -1 with errno when the signal could not be sent.
 */
extern int	job_process_pause(JobProcess *process, int64_t now_ms);
extern int	job_process_resume(JobProcess *process, int64_t now_ms);

/* Fires the wall-clock timeout and the SIGKILL escalation when due. */
extern void job_process_tick(JobProcess *process, int64_t now_ms);

/*
 * The next time job_process_tick, or a log relay when relaying (the
 * database is connected), has something to do; INT64_MAX: none.
 */
extern int64_t job_process_next_deadline(const JobProcess *process, int relaying);

/*
 * Whether the job has a progress report the database has not been sent:
 * one that differs from the last relayed (a job being stopped has none).
 */
extern int	job_process_has_progress(const JobProcess *process);

/*
 * That report, for the caller to relay and free (the heartbeat paces the
 * relays); NULL when there is none.
 */
extern char *job_process_take_progress(JobProcess *process);

/*
 * The oldest waiting lines of the attempt's log when a batch is due (at
 * most one a second, or at once when flush), as the JSON array for
 * append_job_log, for the caller to free, with the number of the newest in
 * *through; NULL otherwise.  job_log_forget_through(&process->log, *through)
 * once they are sent.
 */
extern char *job_process_take_log(JobProcess *process, int64_t now_ms, int flush, int64_t *through);

/* A line of the worker's own about the job, for the attempt's log. */
extern void job_process_log(JobProcess *process, WorkerLogLevel level, const char *message);

/* Reaps the child without blocking; 1 once it has exited and its reports are read. */
extern int	job_process_reap(JobProcess *process);

/*
 * How the ended attempt went.  Removes the partial output unless it
 * completed.  Valid while process lives.
 */
extern void job_process_outcome(JobProcess *process, JobOutcome *outcome);

extern void job_process_free(JobProcess *process);

#endif
