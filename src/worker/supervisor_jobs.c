/*
 * supervisor_jobs.c: the worker's jobs as the main loop runs them (see
 * supervisor_internal.h): each fetch starts as many assigned jobs as there
 * are free slots, in one start_jobs call; node_attempts says which of them
 * the database wants paused, continued or stopped; their progress rides on
 * the heartbeats (early, with the progress tick, when it changed) and their
 * log lines go a batch a second; and how each ended goes to the session's
 * queue of finishes (node_session_finish_job), which the loop sends in one
 * finish_jobs call a turn.
 */
#include "supervisor_internal.h"

#include "progress_report.h"
#include "worker_log.h"
#include "worker_metrics.h"
#include "worker_util.h"
#include "../common/states.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* The ids of the jobs whose processes run, for every heartbeat (a NodeRunningFn). */
int
supervisor_running_ids(void *arg, int64_t *ids, int max)
{
	const Supervisor *sv = arg;
	int			n = sv->njobs < max ? sv->njobs : max;

	for (int i = 0; i < n; i++)
		ids[i] = sv->jobs[i]->job.id;
	return n;
}

/*
 * The heartbeat's progress: each running job's latest report, when it is new
 * (the heartbeat's pace, or the progress tick's, sets how often).  The child
 * writes the report, so it is parsed here and only a JSON object of at most
 * 4 KiB goes out: a malformed one must not cost the node its heartbeat.  At
 * most 3 MiB in all (the call takes 4).
 */
void
supervisor_heartbeat_progress(void *arg, json_object *progress)
{
	Supervisor *sv = arg;
	size_t		total = 0;

	sv->progress_sent = now_ms();
	for (int i = 0; i < sv->njobs; i++)
	{
		JobProcess *p = sv->jobs[i];
		char	   *report = job_process_take_progress(p);
		/* Only what jsonb takes: one bad report must not sink the heartbeat. */
		json_object *parsed = total < 3 * 1024 * 1024 ? progress_report_parse(report) : NULL;
		json_object *entry;

		if (parsed != NULL && (entry = json_object_new_object()) != NULL)
		{
			json_object_object_add(entry, "job_id", json_object_new_int64(p->job.id));
			json_object_object_add(entry, "attempt", json_object_new_int(p->job.attempt));
			json_object_object_add(entry, "progress", parsed);
			json_object_array_add(progress, entry);
			total += strlen(report) + 64;
		}
		else if (parsed != NULL)
			json_object_put(parsed);
		free(report);
	}
}

/*
 * When the progress tick is due: a second after the last heartbeat took the
 * jobs' progress, if some job has a new report by then; INT64_MAX: none.
 */
int64_t
supervisor_progress_tick_at(const Supervisor *sv)
{
	for (int i = 0; i < sv->njobs; i++)
		if (job_process_has_progress(sv->jobs[i]))
			return sv->progress_sent + PROGRESS_TICK_MS;
	return INT64_MAX;
}

int
supervisor_taking_jobs(const Supervisor *sv)
{
	int			slots = sv->options.once ? 1 : sv->options.slots;

	return !sv->draining && !sv->drained_by_admin && !(sv->options.once && sv->once_started) &&
		sv->njobs < slots;
}

static int
running_locally(const Supervisor *sv, int64_t job_id)
{
	for (int i = 0; i < sv->njobs; i++)
		if (sv->jobs[i]->job.id == job_id)
			return 1;
	return 0;
}

/* Takes the jobs the scheduler assigned, as many as there are free slots, started in one call. */
void
supervisor_fetch_and_start(Supervisor *sv)
{
	AssignedJob *jobs;
	const AssignedJob **chosen;
	int		   *started;
	int			njobs;
	int			nchosen = 0;
	int			slots = sv->options.once ? 1 : sv->options.slots;

	if (node_session_fetch_assigned(sv->session, &jobs, &njobs) < 0)
		return;
	chosen = calloc(njobs > 0 ? njobs : 1, sizeof(*chosen));
	started = calloc(njobs > 0 ? njobs : 1, sizeof(*started));
	if (chosen == NULL || started == NULL)
		njobs = 0;
	for (int i = 0; i < njobs && supervisor_taking_jobs(sv) && sv->njobs + nchosen < slots; i++)
	{
		/* An older attempt of the same job is still being stopped: not yet. */
		if (!running_locally(sv, jobs[i].id))
			chosen[nchosen++] = &jobs[i];
	}
	if (nchosen > 0)
		node_session_start_jobs(sv->session, chosen, nchosen, started);
	for (int i = 0; i < nchosen; i++)
	{
		const AssignedJob *job = chosen[i];
		JobProcess *p;
		char		err[512];
		const char *reason;

		if (started[i] <= 0)
			continue;
		if (sv->options.once)
			sv->once_started = 1;
		p = job_process_start(job, &sv->options, now_ms(), err, sizeof(err), &reason);
		if (p == NULL)
		{
			worker_log_attempt(WLOG_WARNING, job->id, job->tenant_id, job->attempt, "attempt %d could not start (%s): %s",
							   job->attempt, reason, err);
			node_session_finish_job(sv->session, job->id, job->attempt, job->tenant_id, JOB_FAILED, NULL,
									err, reason);
			worker_metrics_job_ended(JOB_FAILED, reason);
			if (sv->options.once)
				sv->once_ended = 1;
			continue;
		}
		sv->jobs[sv->njobs++] = p;
	}
	free(chosen);
	free(started);
	assigned_jobs_free(jobs, njobs);
	/* --once has its job: the scheduler should give the others to someone else. */
	if (sv->options.once && sv->once_started && !sv->once_left_pool)
		sv->once_left_pool = node_session_leave(sv->session, 0) == 0;
}

/*
 * Sends a job's waiting log lines, a batch a second beside its progress, or
 * all of them (flush) before its outcome: the database refuses lines of an
 * attempt that is over.  Returns 0 when the attempt is no longer held.
 */
static int
relay_log(Supervisor *sv, JobProcess *p, int64_t now, int flush)
{
	do
	{
		int64_t		through;
		char	   *batch = job_process_take_log(p, now, flush, &through);
		int			rc;

		if (batch == NULL)
			return 1;
		rc = node_session_append_log(sv->session, p->job.id, p->job.attempt, p->job.tenant_id, batch);
		free(batch);
		if (rc < 0)
			return 1;			/* kept for the next time */
		job_log_forget_through(&p->log, through);
		if (rc == 0)
			return 0;
	} while (flush && node_session_ready(sv->session));
	return 1;
}

/*
 * The running jobs' log lines.  Their progress goes with the heartbeat
 * (supervisor_heartbeat_progress), and an attempt the node no longer holds
 * is stopped by supervisor_follow_attempts; a refused batch of lines (the
 * attempt is over) is dropped.
 */
void
supervisor_relay_logs(Supervisor *sv, int64_t now)
{
	for (int i = 0; i < sv->njobs && node_session_ready(sv->session); i++)
	{
		JobProcess *p = sv->jobs[i];

		if (p->stop == JOB_STOP_NONE && relay_log(sv, p, now, 0) == 0)
			job_log_consume(&p->log, (int) job_log_waiting(&p->log));
	}
}

/*
 * What the database says this node's jobs should be doing (node_attempts),
 * once a heartbeat interval and on each notification, so that a lost
 * notification costs at most a heartbeat's delay: a paused attempt's process is stopped,
 * a resumed one's continued, and one the node no longer holds (canceled,
 * reassigned) ended, as a refused progress report ends it (a paused process
 * sends no reports).
 */
void
supervisor_follow_attempts(Supervisor *sv, int64_t now)
{
	NodeAttempt *attempts;
	int			nattempts;

	if (sv->njobs == 0 || node_session_attempts(sv->session, &attempts, &nattempts) < 0)
		return;
	for (int i = 0; i < sv->njobs; i++)
	{
		JobProcess *p = sv->jobs[i];
		const NodeAttempt *a = NULL;

		if (p->exited || p->stop != JOB_STOP_NONE)
			continue;
		for (int k = 0; k < nattempts && a == NULL; k++)
			if (attempts[k].job_id == p->job.id && attempts[k].attempt == p->job.attempt)
				a = &attempts[k];
		if (a == NULL)
		{
			worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt,
							   "the database no longer holds attempt %d for this node (canceled or reassigned): "
							   "stopping it", p->job.attempt);
			job_process_stop(p, JOB_STOP_CANCELED, now);
		}
		else if (a->paused && !p->paused)
		{
			if (job_process_pause(p, now) == 0)
				worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt, "attempt %d paused: process %d stopped",
								   p->job.attempt, (int) p->pid);
			else
				worker_log_attempt(WLOG_ERROR, p->job.id, p->job.tenant_id, p->job.attempt, "could not stop process %d: %s",
								   (int) p->pid, strerror(errno));
		}
		else if (!a->paused && p->paused)
		{
			if (job_process_resume(p, now) == 0)
				worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt, "attempt %d resumed: process %d continued",
								   p->job.attempt, (int) p->pid);
			else
				worker_log_attempt(WLOG_ERROR, p->job.id, p->job.tenant_id, p->job.attempt, "could not continue process %d: %s",
								   (int) p->pid, strerror(errno));
		}
	}
	free(attempts);
}

/* Adds to the byte counters what the job read and wrote since last counted. */
void
supervisor_count_bytes(JobProcess *p)
{
	worker_metrics_bytes(p->input_bytes - p->input_bytes_counted,
						 p->output_bytes_written - p->output_bytes_counted);
	p->input_bytes_counted = p->input_bytes;
	p->output_bytes_counted = p->output_bytes_written;
}

static void
remove_job(Supervisor *sv, int i)
{
	job_process_free(sv->jobs[i]);
	sv->jobs[i] = sv->jobs[--sv->njobs];
}

/* Records how an ended job went and forgets it. */
static void
end_job(Supervisor *sv, int i, int64_t now)
{
	JobProcess *p = sv->jobs[i];
	JobOutcome	o;
	double		seconds = (now - p->started_ms) / 1000.0;

	job_process_outcome(p, &o);
	supervisor_count_bytes(p);
	worker_metrics_job_ended(o.outcome, o.failure_reason);
	if (o.outcome == NULL)
		worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt,
						   "attempt %d stopped after %.1f s: the database no longer holds it for this node "
						   "(canceled or reassigned)", p->job.attempt, seconds);
	else if (strcmp(o.outcome, JOB_COMPLETED) == 0)
		worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt, "attempt %d completed in %.1f s: %s",
						   p->job.attempt, seconds, p->final_path);
	else
		worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt, "attempt %d %s after %.1f s (%s): %s",
						   p->job.attempt, o.outcome, seconds, o.failure_reason, o.error);
	if (o.outcome)
	{
		/* The last lines (libav's reason among them) while the attempt is still running. */
		if (node_session_ready(sv->session))
			relay_log(sv, p, now, 1);
		node_session_finish_job(sv->session, p->job.id, p->job.attempt, p->job.tenant_id, o.outcome,
								o.result, o.error, o.failure_reason);
	}
	if (sv->options.once)
	{
		sv->once_ended = 1;
		sv->once_completed = o.outcome != NULL && strcmp(o.outcome, JOB_COMPLETED) == 0;
	}
	remove_job(sv, i);
}

void
supervisor_reap_jobs(Supervisor *sv, int64_t now)
{
	for (int i = sv->njobs - 1; i >= 0; i--)
		if (job_process_reap(sv->jobs[i]))
			end_job(sv, i, now);
}
