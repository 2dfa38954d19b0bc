/*
 * job_process.c: a job's child process, from fork to outcome (see
 * job_process.h).
 *
 * The child is the unit of failure: a crash, a runaway allocation or a
 * hostile input ends it, never the daemon.  It leaves the daemon's process
 * group, keeps only its report pipe, and is told to stop when the daemon
 * dies (PR_SET_PDEATHSIG sends SIGTERM, which discards the partial output):
 * a job whose worker was SIGKILLed is given to another node, and an orphan
 * still writing the same output must not compete with it.
 */
#include "job_process.h"
#include "job_confine.h"
#include "media_input.h"
#include "worker_log.h"
#include "worker_util.h"
#include "../common/failure_reasons.h"
#include "../common/net_policy.h"
#include "../common/states.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOG_EVERY_MS 1000
#define KILL_AFTER_MS 1000

static double
unix_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec + now.tv_nsec / 1e9;
}

/* Set by the child's SIGTERM handler; job_run() polls it. */
static volatile sig_atomic_t child_stop;

static void
child_on_sigterm(int signo)
{
	(void) signo;
	child_stop = 1;
}

static void
child_on_sigcont(int signo)
{
	(void) signo;
	io_watch_continued++;
}

/*
 * What the job's process keeps once confined (job_confine.h): its report
 * pipe, PATH, the worker's per-job limits, its input roots (for a file
 * input) and its output's directory, and the network policy's allow-list.
 */
static void
confinement(const JobProcess *p, const JobRunRequest *req, const WorkerOptions *options, int report_fd,
			JobConfinement *c, char *write_dir, size_t write_len)
{
	static const char *const environment[] = {"PATH=/usr/bin:/bin", NULL};

	memset(c, 0, sizeof(*c));
	c->report_fd = report_fd;
	c->environment = environment;
	c->memory_bytes = options->job_memory_bytes;
	c->cpu_seconds = options->job_cpu_seconds;
	c->output_bytes = options->max_output_bytes;
	job_run_file_access(req, p->final_path, p->partial_path, &c->read_roots, &c->nread_roots,
						write_dir, write_len);
	c->write_dir = write_dir[0] ? write_dir : NULL;
	c->allow_network = req->allow_network;
	c->nallow_network = req->nallow_network;
}

/* In the child, from the fork to the end of the job. */
static void
run_child(const JobProcess *p, const JobRunRequest *req, int report_fd, const WorkerOptions *options,
		  pid_t parent)
{
	struct sigaction action;
	sigset_t	none;
	JobConfinement confine;
	char		write_dir[PATH_MAX];
	char		err[512];
	int			rc;

	/*
	 * Nothing of the daemon's signal handling applies here; SIGTERM asks to
	 * stop.  Signals stay blocked (since before the fork) until this is done.
	 */
	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_DFL;
	for (int signo = 1; signo < NSIG; signo++)
		(void) sigaction(signo, &action, NULL);
	action.sa_handler = child_on_sigterm;
	sigemptyset(&action.sa_mask);
	(void) sigaction(SIGTERM, &action, NULL);
	/*
	 * A paused (stopped) job whose daemon dies is left in an orphaned
	 * process group: the kernel sends it SIGHUP, then SIGCONT, and SIGHUP
	 * comes before the pending parent-death SIGTERM.  It too asks to stop
	 * and clean up, else the partial output would stay.
	 */
	(void) sigaction(SIGHUP, &action, NULL);
	/* Continued after a pause: the I/O stall timeout does not count the pause. */
	action.sa_handler = child_on_sigcont;
	action.sa_flags = SA_RESTART;
	(void) sigaction(SIGCONT, &action, NULL);
	action.sa_flags = 0;
	/* A closed network peer or report pipe is an error to report, not a silent death. */
	action.sa_handler = SIG_IGN;
	(void) sigaction(SIGPIPE, &action, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* A Ctrl-C at a terminal drains the daemon; it must not kill its jobs outright. */
	(void) setpgid(0, 0);
	(void) prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);				/* the daemon died before PDEATHSIG was armed */

	/* Every confinement of the job's process, in one place and order (job_confine.h). */
	confinement(p, req, options, report_fd, &confine, write_dir, sizeof(write_dir));
	rc = job_confine_process(&confine, err, sizeof(err));
	if (rc < 0)
	{
		char		line[600];
		int			len = snprintf(line, sizeof(line), "failed " FAILURE_PLATFORM_ERROR_NAME " %s\n", err);

		if (write(JOB_CONFINE_REPORT_FD, line, len) < 0)
			_exit(1);
		_exit(1);
	}
	if (rc == 0)
		worker_log_attempt(WLOG_WARNING, req->job_id, req->tenant_id, req->attempt,
						   "this kernel has no Landlock: the job runs without the file sandbox");
	worker_log_attempt(WLOG_DEBUG, req->job_id, req->tenant_id, req->attempt,
					   "process %d confined (file sandbox %s): running attempt %d", (int) getpid(),
					   rc == 0 ? "unavailable" : "on", req->attempt);

	_exit(job_run(req, JOB_CONFINE_REPORT_FD, (volatile int *) &child_stop));
}

/* The job's own part of a JobRunRequest; the worker's settings are the caller's to add. */
static void
job_request(const JobProcess *p, JobRunRequest *req)
{
	memset(req, 0, sizeof(*req));
	req->job_id = p->job.id;
	req->attempt = p->job.attempt;
	req->tenant_id = p->job.tenant_id;
	req->input_url = p->job.input_url;
	req->output_url = p->job.output_url;
	req->params_json = p->job.params;
	req->cpu_cores = p->job.cpu_cores;
	req->gpus = p->job.gpus;
	req->output_root = p->output_root[0] ? p->output_root : NULL;
}

JobProcess *
job_process_start(const AssignedJob *job, const WorkerOptions *options, int64_t now_ms,
				  char *err, size_t errlen, const char **failure_reason)
{
	JobProcess *p = calloc(1, sizeof(JobProcess));
	JobRunRequest req;
	const char *why;
	int			fds[2];
	pid_t		parent = getpid();
	sigset_t	all;
	sigset_t	saved;
	int			fork_errno;
	char		redacted_input[4200];
	char		redacted_output[4200];

	*failure_reason = FAILURE_PLATFORM_ERROR_NAME;
	if (p == NULL)
	{
		snprintf(err, errlen, "out of memory starting the job");
		return NULL;
	}
	p->job = *job;
	p->job.input_url = strdup(job->input_url);
	p->job.output_url = copy_or_null(job->output_url);
	p->job.params = strdup(job->params);
	p->fd = -1;
	p->pid = -1;
	p->started_ms = now_ms;
	p->deadline_ms = job->timeout_ms > 0 ? now_ms + job->timeout_ms : 0;
	p->cpu_seconds = options->job_cpu_seconds;
	p->output_bytes = options->max_output_bytes;
	if (p->job.input_url == NULL || p->job.params == NULL || (job->output_url && p->job.output_url == NULL))
	{
		snprintf(err, errlen, "out of memory starting the job");
		goto fail;
	}

	snprintf(p->output_root, sizeof(p->output_root), "%s", options->output_root ? options->output_root : "");
	job_request(p, &req);
	req.input_roots = options->input_roots;
	req.ninput_roots = options->ninput_roots;
	req.io_timeout_ms = options->io_timeout_ms;
	req.allow_network = options->allow_network;
	req.nallow_network = options->nallow_network;

	/* Decided here, before the fork, so that the parent can remove what a killed child left. */
	if (job_run_output_paths(&req, p->final_path, sizeof(p->final_path),
							 p->partial_path, sizeof(p->partial_path), &why) < 0)
	{
		snprintf(err, errlen, "%s", why);
		*failure_reason = FAILURE_USER_ERROR_NAME;
		goto fail;
	}

	if (pipe2(fds, O_CLOEXEC) != 0)
	{
		snprintf(err, errlen, "could not create a pipe for the job: %s", strerror(errno));
		goto fail;
	}

	/*
	 * Signals wait until the child has its own handlers: until then it
	 * would run the daemon's, and a SIGTERM meant for the job would reach
	 * the daemon's signal pipe as if the daemon had been told to drain.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	p->pid = fork();
	if (p->pid == 0)
	{
		close(fds[0]);
		run_child(p, &req, fds[1], options, parent);
	}
	fork_errno = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(fds[1]);
	if (p->pid < 0)
	{
		snprintf(err, errlen, "could not fork the job's process: %s", strerror(fork_errno));
		close(fds[0]);
		goto fail;
	}
	p->fd = fds[0];
	if (fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK) != 0)
		worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
						   "could not make the report pipe non-blocking: %s", strerror(errno));
	np_redact_url(p->job.input_url, redacted_input, sizeof(redacted_input));
	np_redact_url(p->final_path, redacted_output, sizeof(redacted_output));
	worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt,
					   "started attempt %d in process %d: %s -> %s", p->job.attempt, (int) p->pid,
					   redacted_input, redacted_output);
	/* Not yet among the supervisor's jobs, so its log tap cannot see this one. */
	snprintf(redacted_output, sizeof(redacted_output), "started attempt %d", p->job.attempt);
	job_process_log(p, WLOG_INFO, redacted_output);
	return p;

fail:
	job_process_free(p);
	return NULL;
}

static int
known_failure_reason(const char *reason)
{
	return failure_reason_find(reason) >= 0;
}

static double
number_in(json_object *o, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(o, key, &value) ? json_object_get_double(value) : 0;
}

/* A progress report's figures for the metrics (job_run.c writes them). */
static void
note_progress(JobProcess *p, const char *json)
{
	json_object *o = json_tokener_parse(json);

	if (o == NULL || !json_object_is_type(o, json_type_object))
	{
		json_object_put(o);
		return;
	}
	p->reported = 1;
	p->fps = number_in(o, "fps");
	p->speed = number_in(o, "speed");
	/* Totals so far: never let one go back (a report out of order would count twice). */
	if ((int64_t) number_in(o, "input_size") > p->input_bytes)
		p->input_bytes = (int64_t) number_in(o, "input_size");
	if ((int64_t) number_in(o, "size") > p->output_bytes_written)
		p->output_bytes_written = (int64_t) number_in(o, "size");
	json_object_put(o);
}

/* One complete line from the child. */
static void
handle_line(JobProcess *p, char *line)
{
	if (strncmp(line, "progress ", 9) == 0)
	{
		/* Bytes read and written count even when the job is being stopped. */
		note_progress(p, line + 9);
		/* Only the latest matters: older ones are superseded before they are due. */
		if (p->stop != JOB_STOP_NONE)
			return;				/* a job being stopped has nothing more to tell */
		free(p->progress);
		/* What the database has already been sent is no change: no tick for it. */
		p->progress = p->progress_relayed && strcmp(p->progress_relayed, line + 9) == 0
			? NULL : strdup(line + 9);
	}
	else if (strncmp(line, "log ", 4) == 0)
	{
		/* "log <level> <source> <text>": the child's lines for the attempt's log. */
		char	   *level_word = line + 4;
		char	   *source_word = level_word + strcspn(level_word, " ");
		char	   *text;
		WorkerLogLevel level;
		JobLogSource source;

		if (*source_word)
			*source_word++ = '\0';
		text = source_word + strcspn(source_word, " ");
		if (*text)
			*text++ = '\0';
		if (job_log_parse_level(level_word, &level) == 0 && job_log_parse_source(source_word, &source) == 0)
			job_log_add(&p->log, unix_seconds(), level, source, text, NULL, p->final_path);
	}
	else if (strncmp(line, "done ", 5) == 0)
	{
		free(p->done_json);
		p->done_json = strdup(line + 5);
	}
	else if (strncmp(line, "failed ", 7) == 0)
	{
		char	   *reason = line + 7;
		size_t		len = strcspn(reason, " ");
		const char *message = reason[len] ? reason + len + 1 : "";

		snprintf(p->failed_reason, sizeof(p->failed_reason), "%.*s", (int) len, reason);
		free(p->failed_message);
		p->failed_message = strdup(message);
	}
	else
		worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
						   "ignored an unexpected report from the transcode: %.80s", line);
}

static void
feed(JobProcess *p, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		if (data[i] == '\n')
		{
			if (!p->overlong)
			{
				p->line[p->line_len] = '\0';
				handle_line(p, p->line);
			}
			p->line_len = 0;
			p->overlong = 0;
		}
		else if (p->overlong)
			continue;
		else if (p->line_len == JOB_RUN_LINE_MAX)
		{
			worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
							   "ignored a report longer than %d bytes", JOB_RUN_LINE_MAX);
			p->overlong = 1;
			p->line_len = 0;
		}
		else
			p->line[p->line_len++] = data[i];
	}
}

void
job_process_read(JobProcess *p)
{
	char		buf[8192];
	ssize_t		n;

	while (p->fd >= 0)
	{
		n = read(p->fd, buf, sizeof(buf));
		if (n > 0)
			feed(p, buf, n);
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
		{
			if (n < 0)
				worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
								   "could not read the job's reports: %s", strerror(errno));
			/* A last line without its newline still counts. */
			if (p->line_len > 0 && !p->overlong)
				feed(p, "\n", 1);
			close(p->fd);
			p->fd = -1;
		}
	}
}

void
job_process_stop(JobProcess *p, JobStopReason why, int64_t now_ms)
{
	if (p->exited || p->stop != JOB_STOP_NONE)
		return;
	p->stop = why;
	p->kill_at_ms = now_ms + KILL_AFTER_MS;
	free(p->progress);
	p->progress = NULL;
	if (kill(p->pid, SIGTERM) != 0 && errno != ESRCH)
		worker_log_attempt(WLOG_ERROR, p->job.id, p->job.tenant_id, p->job.attempt, "could not signal process %d: %s",
						   (int) p->pid, strerror(errno));
	/* A stopped process acts on its SIGTERM once continued. */
	if (p->paused)
		(void) job_process_resume(p, now_ms);
}

/*
 * The whole process group (the child makes itself its leader): whatever the
 * job's process may have started stops and continues with it.  A child
 * signalled before its setpgid() is reached by its pid.
 */
static int
signal_group(const JobProcess *p, int signo)
{
	if (kill(-p->pid, signo) == 0)
		return 0;
	if (errno == ESRCH && (kill(p->pid, signo) == 0 || errno == ESRCH))
		return 0;
	return -1;
}

int
job_process_pause(JobProcess *p, int64_t now_ms)
{
	if (p->exited || p->paused || p->stop != JOB_STOP_NONE)
		return 0;
	if (signal_group(p, SIGSTOP) != 0)
		return -1;
	p->paused = 1;
	p->paused_ms = now_ms;
	return 0;
}

int
job_process_resume(JobProcess *p, int64_t now_ms)
{
	if (!p->paused)
		return 0;
	if (signal_group(p, SIGCONT) != 0)
		return -1;
	p->paused = 0;
	if (p->deadline_ms != 0 && now_ms > p->paused_ms)
		p->deadline_ms += now_ms - p->paused_ms;
	return 0;
}

void
job_process_tick(JobProcess *p, int64_t now_ms)
{
	if (p->exited)
		return;
	if (p->stop == JOB_STOP_NONE && !p->paused && p->deadline_ms != 0 && now_ms >= p->deadline_ms)
	{
		worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
						   "attempt %d ran past its timeout of %.1f s: stopping it",
						   p->job.attempt, p->job.timeout_ms / 1000.0);
		job_process_stop(p, JOB_STOP_TIMEOUT, now_ms);
	}
	if (p->stop != JOB_STOP_NONE && !p->killed && now_ms >= p->kill_at_ms)
	{
		worker_log_attempt(WLOG_WARNING, p->job.id, p->job.tenant_id, p->job.attempt,
						   "process %d still runs %d ms after SIGTERM: killing it", (int) p->pid, KILL_AFTER_MS);
		if (kill(p->pid, SIGKILL) != 0 && errno != ESRCH)
			worker_log_attempt(WLOG_ERROR, p->job.id, p->job.tenant_id, p->job.attempt, "could not kill process %d: %s",
							   (int) p->pid, strerror(errno));
		p->killed = 1;
	}
}

int64_t
job_process_next_deadline(const JobProcess *p, int relaying)
{
	int64_t		next = INT64_MAX;

	if (p->exited)
		return next;
	if (p->stop == JOB_STOP_NONE && !p->paused && p->deadline_ms != 0)
		next = p->deadline_ms;
	if (p->stop != JOB_STOP_NONE && !p->killed && p->kill_at_ms < next)
		next = p->kill_at_ms;
	if (relaying && job_log_waiting(&p->log) > 0 && p->log_sent_ms + LOG_EVERY_MS < next)
		next = p->log_sent_ms + LOG_EVERY_MS;
	return next;
}

int
job_process_has_progress(const JobProcess *p)
{
	return p->progress != NULL && p->stop == JOB_STOP_NONE;
}

char *
job_process_take_progress(JobProcess *p)
{
	char	   *progress = p->progress;

	if (!job_process_has_progress(p))
		return NULL;
	p->progress = NULL;
	free(p->progress_relayed);
	p->progress_relayed = strdup(progress);
	return progress;
}

char *
job_process_take_log(JobProcess *p, int64_t now_ms, int flush, int64_t *through)
{
	int			n;

	*through = 0;
	if (job_log_waiting(&p->log) == 0 || (!flush && now_ms < p->log_sent_ms + LOG_EVERY_MS))
		return NULL;
	p->log_sent_ms = now_ms;
	return job_log_batch(&p->log, JOB_LOG_BATCH_LINES, &n, through);
}

void
job_process_log(JobProcess *p, WorkerLogLevel level, const char *message)
{
	job_log_add(&p->log, unix_seconds(), level,
				strncmp(message, "libav: ", 7) == 0 ? JOB_LOG_LIBAV : JOB_LOG_WORKER,
				strncmp(message, "libav: ", 7) == 0 ? message + 7 : message, NULL, p->final_path);
}

int
job_process_reap(JobProcess *p)
{
	pid_t		pid;
	int			status;

	if (p->exited)
		return 1;
	pid = waitpid(p->pid, &status, WNOHANG);
	if (pid == 0 || (pid < 0 && errno == EINTR))
		return 0;
	if (pid < 0)
	{
		worker_log_attempt(WLOG_ERROR, p->job.id, p->job.tenant_id, p->job.attempt, "could not wait for process %d: %s",
						   (int) p->pid, strerror(errno));
		status = W_EXITCODE(1, 0);
	}
	p->exited = 1;
	p->status = status;
	if (WIFSIGNALED(status))
		worker_log_attempt(WLOG_DEBUG, p->job.id, p->job.tenant_id, p->job.attempt,
						   "process %d of attempt %d ended by signal %d", (int) p->pid, p->job.attempt,
						   WTERMSIG(status));
	else
		worker_log_attempt(WLOG_DEBUG, p->job.id, p->job.tenant_id, p->job.attempt,
						   "process %d of attempt %d exited with status %d", (int) p->pid, p->job.attempt,
						   WEXITSTATUS(status));
	/* Its last reports are still in the pipe; once they are read, the write end is gone. */
	job_process_read(p);
	if (p->fd >= 0)
	{
		close(p->fd);
		p->fd = -1;
	}
	return 1;
}

/*
 * What a stopped or killed child left: its partial file, or an HLS output's
 * partial playlists and segments (job_run knows their names).
 */
static void
remove_partial(JobProcess *p)
{
	JobRunRequest req;
	struct stat st;

	if (p->partial_path[0] == '\0')
		return;
	job_request(p, &req);
	if (lstat(p->partial_path, &st) == 0)
		worker_log_attempt(WLOG_INFO, p->job.id, p->job.tenant_id, p->job.attempt, "removing partial output %s", p->partial_path);
	job_run_discard(&req);
}

static int
result_is_object(const char *json)
{
	json_object *parsed = json_tokener_parse(json);
	int			ok = parsed != NULL && json_object_is_type(parsed, json_type_object);

	json_object_put(parsed);
	return ok;
}

void
job_process_outcome(JobProcess *p, JobOutcome *o)
{
	int			exited_ok = WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;

	memset(o, 0, sizeof(*o));
	o->error = o->error_buf;

	/* A transcode that finished before its stop took effect is complete all the same. */
	if (p->done_json && exited_ok && p->stop != JOB_STOP_CANCELED)
	{
		if (result_is_object(p->done_json))
		{
			o->outcome = JOB_COMPLETED;
			o->result = p->done_json;
			o->error = NULL;
			return;
		}
		o->outcome = JOB_FAILED;
		o->failure_reason = FAILURE_RUNTIME_ERROR_NAME;
		snprintf(o->error_buf, sizeof(o->error_buf), "the transcode reported a result that is not a JSON object");
	}
	else if (p->stop == JOB_STOP_CANCELED)
		o->outcome = NULL;
	else if (p->stop == JOB_STOP_TIMEOUT)
	{
		o->outcome = JOB_TIMED_OUT;
		o->failure_reason = FAILURE_TIMEOUT_NAME;
		snprintf(o->error_buf, sizeof(o->error_buf), "the attempt ran past its timeout of %.1f s",
				 p->job.timeout_ms / 1000.0);
	}
	else if (p->stop == JOB_STOP_SHUTDOWN)
	{
		o->outcome = JOB_FAILED;
		o->failure_reason = FAILURE_PLATFORM_ERROR_NAME;
		snprintf(o->error_buf, sizeof(o->error_buf), "worker shutting down");
	}
	else if (p->failed_reason[0] != '\0')
	{
		o->outcome = JOB_FAILED;
		o->failure_reason = known_failure_reason(p->failed_reason) ? p->failed_reason : FAILURE_RUNTIME_ERROR_NAME;
		/* As the transcode said it, whole: the database bounds what it stores. */
		o->error = p->failed_message && p->failed_message[0] ? p->failed_message : "the transcode failed";
	}
	else if (WIFSIGNALED(p->status))
	{
		int			signo = WTERMSIG(p->status);

		o->outcome = JOB_FAILED;
		o->failure_reason = FAILURE_RUNTIME_ERROR_NAME;
		if (signo == SIGXCPU)
		{
			o->failure_reason = FAILURE_RESOURCE_ERROR_NAME;
			snprintf(o->error_buf, sizeof(o->error_buf),
					 "the transcode used up its CPU time limit of %d s and was killed by signal %d (%s)",
					 p->cpu_seconds, signo, strsignal(signo));
		}
		else if (signo == SIGXFSZ)
		{
			o->failure_reason = FAILURE_RESOURCE_ERROR_NAME;
			snprintf(o->error_buf, sizeof(o->error_buf),
					 "the output reached the maximum output size of %" PRId64 " bytes; the transcode was killed by signal %d (%s)",
					 p->output_bytes, signo, strsignal(signo));
		}
		else
			snprintf(o->error_buf, sizeof(o->error_buf), "the transcode process was killed by signal %d (%s)",
					 signo, strsignal(signo));
	}
	else
	{
		o->outcome = JOB_FAILED;
		o->failure_reason = FAILURE_RUNTIME_ERROR_NAME;
		snprintf(o->error_buf, sizeof(o->error_buf),
				 "the transcode process exited with status %d without reporting an outcome",
				 WIFEXITED(p->status) ? WEXITSTATUS(p->status) : -1);
	}
	remove_partial(p);
}

void
job_process_free(JobProcess *p)
{
	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p->job.input_url);
	free(p->job.output_url);
	free(p->job.params);
	free(p->progress);
	free(p->progress_relayed);
	free(p->done_json);
	free(p->failed_message);
	job_log_free(&p->log);
	free(p);
}
