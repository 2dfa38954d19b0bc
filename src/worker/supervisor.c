/*
 * supervisor.c: ffrtmp-worker's main loop (see supervisor.h).
 *
 * One thread waits in poll() on everything that can happen: the database
 * socket (a NOTIFY from the scheduler), each job's report pipe, and a pipe
 * that the signal handlers write to, so that a signal is handled in the loop
 * like any other event rather than inside a handler.  The poll timeout is
 * the nearest deadline: a heartbeat, a fetch, a progress tick, a job's
 * timeout or kill, the end of the grace period, a reconnect.
 *
 * The jobs themselves (started, followed, relayed, ended) are
 * supervisor_jobs.c's; supervisor_internal.h lists what the two share.
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
#include "supervisor_internal.h"

#include "capabilities.h"
#include "exit_status.h"
#include "service_notify.h"
#include "worker_log.h"
#include "worker_metrics.h"
#include "worker_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WAIT_MS 60000

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
			/* SIGCHLD only wakes the loop; supervisor_reap_jobs() looks at every child. */
		}
	}
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

	/* The heartbeat when due, or early with new progress (the progress tick). */
	if (node_session_ready(sv->session) &&
		(now >= node_session_next_heartbeat(sv->session) || now >= supervisor_progress_tick_at(sv)))
	{
		NodeState	state = node_session_heartbeat(sv->session);

		if (state == NODE_DRAINING && !sv->drained_by_admin)
		{
			sv->drained_by_admin = 1;
			service_notify_stopping("drained by an administrator: taking no new jobs");
		}
	}
	/* At the heartbeat's pace, however often progress ticks go. */
	if (now >= sv->next_follow)
		sv->follow_now = 1;
	if (sv->follow_now && node_session_ready(sv->session))
	{
		sv->follow_now = 0;
		supervisor_follow_attempts(sv, now_ms());
		sv->next_follow = now_ms() + sv->options.heartbeat_ms;
	}
	/* The attempts that ended in this turn, in one call. */
	node_session_send_finishes(sv->session);
	supervisor_relay_logs(sv, now_ms());
	if (node_session_ready(sv->session) && supervisor_taking_jobs(sv) &&
		(sv->fetch_now || now >= sv->next_fetch))
	{
		sv->fetch_now = 0;
		supervisor_fetch_and_start(sv);
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

		supervisor_count_bytes(p);
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
		if (supervisor_progress_tick_at(sv) < next)
			next = supervisor_progress_tick_at(sv);
		if (sv->njobs > 0 && sv->next_follow < next)
			next = sv->next_follow;
		if (supervisor_taking_jobs(sv) && sv->next_fetch < next)
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
	node_session_set_running_source(sv->session, supervisor_running_ids, sv);
	node_session_set_progress_source(sv->session, supervisor_heartbeat_progress, sv);
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
		supervisor_reap_jobs(sv, now);
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
