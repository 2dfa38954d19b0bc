/*
 * supervisor.c: ffrtmp-worker's main loop (see supervisor.h).
 *
 * One thread waits in poll() on everything that can happen: the database
 * socket (a NOTIFY from the scheduler), each job's report pipe, and a pipe
 * that the signal handlers write to, so that a signal is handled in the loop
 * like any other event rather than inside a handler.  The poll timeout is
 * the nearest deadline: a heartbeat, a fetch, a progress relay, a job's
 * timeout or kill, the end of the grace period, a reconnect.
 *
 * Each turn also publishes what the metrics (worker_metrics.h) and systemd
 * (service_notify.h) are told: the session's state, the running jobs'
 * rates and bytes, the watchdog.  --listen's HTTP server runs on a thread
 * of its own and only reads them.
 *
 * Draining: SIGTERM or SIGINT stops taking jobs; running jobs get --grace,
 * then are stopped and recorded as platform_error "worker shutting down" so
 * that the scheduler retries them elsewhere.  A second signal ends the grace
 * at once.  An administrator's drain_node lets running jobs finish however
 * long they take.  Either way the worker exits once nothing is left to do.
 */
#include "supervisor.h"

#include "capabilities.h"
#include "exit_status.h"
#include "job_process.h"
#include "node_session.h"
#include "probe_server.h"
#include "progress_report.h"
#include "service_notify.h"
#include "worker_log.h"
#include "worker_metrics.h"
#include "worker_util.h"
#include "../common/states.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 1024			/* --slots is at most this */
#define MAX_WAIT_MS 60000

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
	int			follow_now;		/* a notification or a heartbeat: read node_attempts */

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

static int	signal_pipe[2] = {-1, -1};

/* The supervisor whose jobs' logs the worker's own lines about a job go to. */
static Supervisor *log_owner;

static void
tap_to_job_log(WorkerLogLevel level, int64_t job_id, const char *message)
{
	if (log_owner == NULL)
		return;
	for (int i = 0; i < log_owner->njobs; i++)
		if (log_owner->jobs[i]->job.id == job_id)
			job_process_log(log_owner->jobs[i], level, message);
}

static void
on_signal(int signo)
{
	int			saved_errno = errno;
	unsigned char byte = (unsigned char) signo;

	/* Non-blocking: if the pipe is full, the loop is awake anyway. */
	if (write(signal_pipe[1], &byte, 1) < 0)
		(void) 0;
	errno = saved_errno;
}

static int
setup_signals(void)
{
	struct sigaction action;
	static const int handled[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};

	if (pipe2(signal_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		return -1;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	action.sa_flags = SA_RESTART;
	sigemptyset(&action.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (sigaction(handled[i], &action, NULL) != 0)
			return -1;
	/* A peer that went away is an error on the write, not a reason to die. */
	action.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &action, NULL);
}

/* The ids of the jobs whose processes run, for every heartbeat (a NodeRunningFn). */
static int
running_ids(void *arg, int64_t *ids, int max)
{
	const Supervisor *sv = arg;
	int			n = sv->njobs < max ? sv->njobs : max;

	for (int i = 0; i < n; i++)
		ids[i] = sv->jobs[i]->job.id;
	return n;
}

/*
 * The heartbeat's progress: each running job's latest report when one is due
 * (at most one a second).  The child writes the report, so it is parsed here
 * and only a JSON object of at most 4 KiB goes out: a malformed one must not
 * cost the node its heartbeat.  At most 3 MiB in all (the call takes 4).
 */
static void
heartbeat_progress(void *arg, json_object *progress)
{
	Supervisor *sv = arg;
	int64_t		now = now_ms();
	size_t		total = 0;

	for (int i = 0; i < sv->njobs; i++)
	{
		JobProcess *p = sv->jobs[i];
		char	   *report = job_process_take_progress(p, now);
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

/* A limit in words: "unlimited", or its value in the unit given. */
static const char *
limit_text(char *buf, size_t len, int64_t value, int64_t unit, const char *unit_name)
{
	if (value == 0)
		return "unlimited";
	snprintf(buf, len, "%" PRId64 " %s", (value + unit - 1) / unit, unit_name);
	return buf;
}

static void
log_settings(const Supervisor *sv, const char *what)
{
	const WorkerOptions *o = &sv->options;
	char		memory[32];
	char		cpu[32];
	char		output[32];

	worker_log(WLOG_INFO, "%s: %d slot(s)%s, poll every %.1f s, heartbeat every %.1f s, grace %.1f s, "
			   "per job: memory %s, cpu time %s, output size %s, I/O timeout %.1f s",
			   what, o->once ? 1 : o->slots, o->once ? " (--once)" : "", o->poll_ms / 1000.0,
			   o->heartbeat_ms / 1000.0, o->grace_ms / 1000.0,
			   limit_text(memory, sizeof(memory), o->job_memory_bytes, 1024 * 1024, "MiB"),
			   limit_text(cpu, sizeof(cpu), o->job_cpu_seconds, 1, "s"),
			   limit_text(output, sizeof(output), o->max_output_bytes, 1024 * 1024, "MiB"),
			   o->io_timeout_ms / 1000.0);
}

static int
taking_jobs(const Supervisor *sv)
{
	int			slots = sv->options.once ? 1 : sv->options.slots;

	return !sv->draining && !sv->drained_by_admin && !(sv->options.once && sv->once_started) &&
		sv->njobs < slots;
}

static const char *
signal_name(int signo)
{
	return signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : signo == SIGHUP ? "SIGHUP" : "a signal";
}

static void
begin_drain(Supervisor *sv, int signo, int64_t now)
{
	if (sv->draining)
	{
		if (!sv->grace_over)
		{
			worker_log(WLOG_INFO, "received %s again: stopping running jobs now", signal_name(signo));
			sv->grace_deadline = now;
		}
		return;
	}
	sv->draining = 1;
	sv->grace_deadline = now + sv->options.grace_ms;
	service_notify_stopping("draining: taking no new jobs");
	(void) node_session_leave(sv->session, 0);
	worker_log(WLOG_INFO, "received %s: draining; taking no new jobs, %d running get %.1f s to finish",
			   signal_name(signo), sv->njobs, sv->options.grace_ms / 1000.0);
}

/*
 * SIGHUP: the command line and the --config file, parsed again.  What the
 * session was started with (name, tenant, connection) stays; the rest
 * applies from now on, to jobs started from now on.
 */
static void
reload(Supervisor *sv, int64_t now)
{
	WorkerOptions fresh;
	WorkerOptions started;
	char		err[512];
	FILE	   *sink = fopen("/dev/null", "w");
	const char *changed;
	int			rc;

	rc = worker_parse_options(sv->argc, sv->argv, &fresh, sink ? sink : stderr, err, sizeof(err));
	if (sink)
		fclose(sink);
	if (rc != 0)
	{
		worker_log(WLOG_ERROR, "could not reload the configuration: %s; keeping the current one",
				   rc < 0 ? err : "unexpected --help or --version");
		return;
	}
	started = fresh;
	started.name = sv->name;
	started.tenant = sv->tenant;
	started.conninfo = sv->conninfo;
	started.listen = sv->listen;
	while ((changed = worker_options_restart_needed(&started, &fresh)) != NULL)
	{
		worker_log(WLOG_WARNING, "ignored the new %s: it takes effect only after a restart", changed);
		if (strcmp(changed, "name") == 0)
			fresh.name = sv->name;
		else if (strcmp(changed, "tenant") == 0)
			fresh.tenant = sv->tenant;
		else if (strcmp(changed, "listen") == 0)
			fresh.listen = sv->listen;
		else
			fresh.conninfo = sv->conninfo;
	}
	fresh.once = sv->options.once;
	worker_log_configure(fresh.log_level, fresh.log_format);
	node_session_set_options(sv->session, &fresh);
	worker_free_options(&sv->options);
	sv->options = fresh;

	if (sv->next_fetch > now + fresh.poll_ms)
		sv->next_fetch = now + fresh.poll_ms;
	log_settings(sv, "reloaded the configuration");
}

static void
handle_signals(Supervisor *sv, int64_t now)
{
	unsigned char bytes[64];
	ssize_t		n;

	while ((n = read(signal_pipe[0], bytes, sizeof(bytes))) > 0)
	{
		for (ssize_t i = 0; i < n; i++)
		{
			if (bytes[i] == SIGTERM || bytes[i] == SIGINT)
				begin_drain(sv, bytes[i], now);
			else if (bytes[i] == SIGHUP)
				reload(sv, now);
			/* SIGCHLD only wakes the loop; reap_jobs() looks at every child. */
		}
	}
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

/* Adds to the byte counters what the job read and wrote since last counted. */
static void
count_job_bytes(JobProcess *p)
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
	count_job_bytes(p);
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

static void
reap_jobs(Supervisor *sv, int64_t now)
{
	for (int i = sv->njobs - 1; i >= 0; i--)
		if (job_process_reap(sv->jobs[i]))
			end_job(sv, i, now);
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
static void
fetch_and_start(Supervisor *sv)
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
	for (int i = 0; i < njobs && taking_jobs(sv) && sv->njobs + nchosen < slots; i++)
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
 * The running jobs' log lines.  Their progress goes with the heartbeat
 * (heartbeat_progress), and an attempt the node no longer holds is stopped
 * after the heartbeat by follow_attempts; a refused batch of lines (the
 * attempt is over) is dropped.
 */
static void
relay_progress(Supervisor *sv, int64_t now)
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
 * after each heartbeat and each notification, so that a lost notification
 * costs at most a heartbeat's delay: a paused attempt's process is stopped,
 * a resumed one's continued, and one the node no longer holds (canceled,
 * reassigned) ended, as a refused progress report ends it (a paused process
 * sends no reports).
 */
static void
follow_attempts(Supervisor *sv, int64_t now)
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

static void
talk_to_database(Supervisor *sv)
{
	int64_t		now = now_ms();

	if (node_session_fatal(sv->session))
	{
		sv->fatal = 1;
		return;
	}
	if (!node_session_ready(sv->session))
	{
		int			rc;

		if (now < node_session_retry_at(sv->session))
			return;
		rc = node_session_connect(sv->session);
		if (rc < 0)
		{
			sv->fatal = 1;
			return;
		}
		if (rc == 0)
			return;
		now = now_ms();
	}
	if (node_session_take_notifications(sv->session) > 0)
		sv->fetch_now = sv->follow_now = 1;

	if (node_session_ready(sv->session) && now >= node_session_next_heartbeat(sv->session))
	{
		NodeState	state = node_session_heartbeat(sv->session);

		if (state == NODE_DRAINING && !sv->drained_by_admin)
		{
			sv->drained_by_admin = 1;
			service_notify_stopping("drained by an administrator: taking no new jobs");
		}
		sv->follow_now = 1;
	}
	if (sv->follow_now && node_session_ready(sv->session))
	{
		sv->follow_now = 0;
		follow_attempts(sv, now_ms());
	}
	/* The attempts that ended in this turn, in one call. */
	node_session_send_finishes(sv->session);
	relay_progress(sv, now_ms());
	if (node_session_ready(sv->session) && taking_jobs(sv) &&
		(sv->fetch_now || now >= sv->next_fetch))
	{
		sv->fetch_now = 0;
		fetch_and_start(sv);
		sv->next_fetch = now_ms() + sv->options.poll_ms;
		/* Those that could not start. */
		node_session_send_finishes(sv->session);
	}
}

/*
 * What the metrics and systemd are told after each turn: the session's
 * state, the running jobs (rates from their latest reports, bytes since
 * last counted), and the status line.
 */
static void
publish_state(Supervisor *sv)
{
	int			slots = sv->options.once ? 1 : sv->options.slots;
	int			reporting = 0;
	double		fps = 0;
	double		speed = 0;
	char		status[160];

	worker_metrics_session(node_session_connected(sv->session), node_session_ready(sv->session));
	worker_metrics_slots(slots);
	for (int i = 0; i < sv->njobs; i++)
	{
		JobProcess *p = sv->jobs[i];

		count_job_bytes(p);
		/* A paused job encodes nothing; one not yet reporting has no rate to average. */
		if (p->reported && !p->paused && !p->exited)
		{
			reporting++;
			fps += p->fps;
			speed += p->speed;
		}
	}
	worker_metrics_running(sv->njobs, fps, reporting > 0 ? speed / reporting : 0);

	if (sv->draining || sv->drained_by_admin)
		snprintf(status, sizeof(status), "draining: %d job(s) running", sv->njobs);
	else if (node_session_ready(sv->session))
		snprintf(status, sizeof(status), "ready: %d of %d slot(s) busy", sv->njobs, slots);
	else
		snprintf(status, sizeof(status), "waiting for the database: %d job(s) running", sv->njobs);
	if (node_session_ready(sv->session) && !sv->draining && !sv->drained_by_admin)
		service_notify_ready(status);
	else
		service_notify_status(status);
}

/* Whether everything is done: drained or the one job ended, and its outcome delivered. */
static int
finished(const Supervisor *sv, int64_t now)
{
	int			pending = node_session_pending(sv->session);

	if (sv->fatal || node_session_fatal(sv->session))
		return 1;
	if (sv->njobs > 0)
		return 0;
	/* Undelivered outcomes hold the exit until the grace is over. */
	if (sv->draining)
		return pending == 0 || now >= sv->grace_deadline;
	if (sv->drained_by_admin || (sv->options.once && sv->once_ended))
		return pending == 0;
	return 0;
}

static int
wait_ms(const Supervisor *sv, int64_t now)
{
	int64_t		next = now + MAX_WAIT_MS;

	if (!node_session_ready(sv->session))
		next = node_session_retry_at(sv->session) < next ? node_session_retry_at(sv->session) : next;
	else
	{
		if (node_session_next_heartbeat(sv->session) < next)
			next = node_session_next_heartbeat(sv->session);
		if (taking_jobs(sv) && sv->next_fetch < next)
			next = sv->next_fetch;
	}
	if (sv->draining && !sv->grace_over && sv->grace_deadline < next)
		next = sv->grace_deadline;
	if (sv->watchdog_at < next)
		next = sv->watchdog_at;
	for (int i = 0; i < sv->njobs; i++)
	{
		int64_t		deadline = job_process_next_deadline(sv->jobs[i], node_session_ready(sv->session));

		if (deadline < next)
			next = deadline;
	}
	return next <= now ? 0 : (int) (next - now);
}

static void
wait_for_events(Supervisor *sv, int64_t now)
{
	struct pollfd fds[MAX_JOBS + 2];
	int			nfds = 0;
	int			session_slot = -1;
	int			job_slot[MAX_JOBS];

	fds[nfds].fd = signal_pipe[0];
	fds[nfds++].events = POLLIN;
	if (node_session_socket(sv->session) >= 0)
	{
		session_slot = nfds;
		fds[nfds].fd = node_session_socket(sv->session);
		fds[nfds++].events = POLLIN;
	}
	for (int i = 0; i < sv->njobs; i++)
	{
		job_slot[i] = -1;
		if (sv->jobs[i]->fd < 0)
			continue;
		job_slot[i] = nfds;
		fds[nfds].fd = sv->jobs[i]->fd;
		fds[nfds++].events = POLLIN;
	}
	if (poll(fds, nfds, wait_ms(sv, now)) <= 0)
		return;					/* a timeout, or EINTR from a signal the pipe also holds */
	for (int i = 0; i < sv->njobs; i++)
		if (job_slot[i] >= 0 && fds[job_slot[i]].revents != 0)
			job_process_read(sv->jobs[i]);
	if (session_slot >= 0 && fds[session_slot].revents != 0 &&
		node_session_take_notifications(sv->session) > 0)
	{
		worker_log(WLOG_DEBUG, "notified by the database: fetching assigned jobs");
		sv->fetch_now = sv->follow_now = 1;
	}
}

int
supervisor_run(WorkerOptions *options, int argc, char **argv)
{
	Supervisor *sv = calloc(1, sizeof(Supervisor));
	WorkerCapabilities caps;
	int			status;

	if (sv == NULL || setup_signals() != 0)
	{
		worker_log(WLOG_ERROR, "could not set up signal handling: %s", strerror(errno));
		free(sv);
		return WORKER_EXIT_FAILURE;
	}
	sv->options = *options;
	sv->argc = argc;
	sv->argv = argv;
	sv->name = copy_or_null(options->name);
	sv->tenant = copy_or_null(options->tenant);
	sv->conninfo = copy_or_null(options->conninfo);
	sv->listen = copy_or_null(options->listen);
	capabilities_detect(&caps);
	sv->session = node_session_create(&sv->options, &caps);
	if (sv->session == NULL)
	{
		worker_log(WLOG_ERROR, "out of memory");
		return WORKER_EXIT_FAILURE;
	}
	node_session_set_running_source(sv->session, running_ids, sv);
	node_session_set_progress_source(sv->session, heartbeat_progress, sv);
	log_owner = sv;
	worker_log_set_tap(tap_to_job_log);
	if (sv->options.output_root == NULL)
		worker_log(WLOG_WARNING, "no --output-root: jobs that write files will fail");
	log_settings(sv, "ffrtmp-worker starting");
	service_notify_init(now_ms());
	if (worker_metrics_init() != 0)
		worker_log(WLOG_WARNING, "out of memory: no metrics");
	if (sv->listen != NULL)
	{
		char		err[256];

		sv->probe = probe_server_start((const struct sockaddr *) &sv->options.listen_address,
									   sv->options.listen_address_len, sv->listen, err, sizeof(err));
		if (sv->probe == NULL)
		{
			worker_log(WLOG_ERROR, "%s", err);
			sv->fatal = 1;
		}
		else
			worker_log(WLOG_INFO, "serving /metrics, /health and /ready on http://%s", sv->listen);
	}

	for (;;)
	{
		int64_t		now = now_ms();

		if (sv->fatal)
			break;
		handle_signals(sv, now);
		reap_jobs(sv, now);
		for (int i = 0; i < sv->njobs; i++)
			job_process_tick(sv->jobs[i], now);
		if (sv->draining && !sv->grace_over && now >= sv->grace_deadline)
		{
			sv->grace_over = 1;
			if (sv->njobs > 0)
				worker_log(WLOG_WARNING, "the grace period is over: stopping %d running jobs; "
						   "they will be retried elsewhere", sv->njobs);
			for (int i = 0; i < sv->njobs; i++)
				job_process_stop(sv->jobs[i], JOB_STOP_SHUTDOWN, now);
		}
		talk_to_database(sv);
		publish_state(sv);
		sv->watchdog_at = service_notify_watchdog(now_ms());
		if (finished(sv, now_ms()))
			break;
		wait_for_events(sv, now_ms());
	}

	if (sv->fatal || node_session_fatal(sv->session))
		status = node_session_fatal(sv->session) ? node_session_fatal(sv->session) : WORKER_EXIT_FAILURE;
	else if (sv->options.once)
		status = sv->once_completed && node_session_refused(sv->session) == 0 &&
			node_session_pending(sv->session) == 0 ? WORKER_EXIT_OK : WORKER_EXIT_FAILURE;
	else
		status = WORKER_EXIT_OK;
	(void) node_session_leave(sv->session, 1);
	worker_log(WLOG_INFO, "ffrtmp-worker exiting with status %d", status);
	probe_server_stop(sv->probe);
	worker_metrics_free();
	node_session_destroy(sv->session);
	worker_free_options(&sv->options);
	free(sv->name);
	free(sv->tenant);
	free(sv->conninfo);
	free(sv->listen);
	free(sv);
	return status;
}
