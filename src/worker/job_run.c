/*
 * job_run.c: one job's life inside its child process: read the params,
 * confine the input and the output, transcode into partial files, probe the
 * result, and only then rename the output into place.  Everything the
 * supervisor needs to know travels as lines on the report pipe (job_run.h).
 */
#include "job_run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "av_messages.h"
#include "confine.h"
#include "job_log.h"
#include "job_spec.h"
#include "media_input.h"
#include "net_guard.h"
#include "output_probe.h"
#include "output_staging.h"
#include "transcode.h"
#include "worker_log.h"

#include <libavutil/log.h>

#include "../common/job_params.h"
#include "../common/names.h"
#include "../common/net_policy.h"

#define PATH_BYTES 4200

/* Where a job reads from and writes to, once confined. */
typedef struct JobPlan
{
	JobSpec		spec;
	InputKind	input_kind;
	char		input[PATH_BYTES];	/* what the transcode opens */
	double		input_seconds;	/* known length (test source), else 0 */
	char		final_path[PATH_BYTES]; /* file or playlist path, or rtmp URL */
	char		partial_path[PATH_BYTES];	/* "" for network outputs */
	char		relative[PATH_BYTES];	/* final_path below the tenant's directory */
	int			network_output;
} JobPlan;

/* Writes one whole report line; the pipe is the supervisor's only view of us. */
static void
report(int fd, const char *format,...)
{
	char		line[JOB_RUN_LINE_MAX];
	va_list		args;
	size_t		len;
	size_t		done = 0;

	va_start(args, format);
	vsnprintf(line, sizeof(line) - 1, format, args);
	va_end(args);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	len = strlen(line);
	line[len++] = '\n';
	while (done < len)
	{
		ssize_t		n = write(fd, line + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;				/* the supervisor is gone; the exit status still tells */
		done += (size_t) n;
	}
}

static int
is_uuid(const char *s)
{
	return s != NULL && strlen(s) == 36 && strspn(s, "0123456789abcdef-") == 36;
}

/* Creates the directories of relative below root; confine_output checks what is there afterwards. */
static void
make_parent_dirs(const char *root, const char *relative)
{
	char		path[PATH_BYTES];

	if (snprintf(path, sizeof(path), "%s/%s", root, relative) < (int) sizeof(path))
		output_make_parents(path, strlen(root));
}

/*
 * An HLS output is many files, so an attempt writes them all in a staging
 * directory of its own beside the output, ".<playlist>.<attempt>.partial/",
 * under their final names, and a file under ".name.<attempt>.partial"
 * (output_staging.h): a failed attempt never touches an earlier output.
 */
static int
plan_output(const JobRunRequest *req, JobPlan *plan, const char **why)
{
	char		tenant_root[PATH_BYTES];
	char	   *relative = plan->relative;
	const char *url = req->output_url;

	if (job_params_is_network_output(url))
	{
		/* job_spec_parse() refused any other format for it (job_params_check): kept should that change. */
		if (!job_params_output_carries(url, job_spec_format_name(plan->spec.format)))
		{
			*why = "an rtmp output carries format flv";
			return -1;
		}
		snprintf(plan->final_path, sizeof(plan->final_path), "%s", url);
		plan->network_output = 1;
		return 0;
	}
	if (req->output_root == NULL)
	{
		*why = "this worker has no output root (start it with --output-root)";
		return -1;
	}
	if (!is_uuid(req->tenant_id))
	{
		*why = "the job's tenant id is not a UUID";
		return -1;
	}
	if (url == NULL)
		snprintf(relative, PATH_BYTES, plan->spec.format == FORMAT_HLS ? "job-%lld/index.%s" : "job-%lld.%s",
				 (long long) req->job_id, job_spec_extension(plan->spec.format));
	else if (plan->spec.format == FORMAT_HLS)
	{
		if (names_hls_playlist(url, relative, PATH_BYTES) >= PATH_BYTES)
		{
			*why = "the output path is too long";
			return -1;
		}
	}
	else
		snprintf(relative, PATH_BYTES, "%s", url);

	snprintf(tenant_root, sizeof(tenant_root), "%s/%s", req->output_root, req->tenant_id);
	(void) mkdir(tenant_root, 0755);
	if (confine_output(tenant_root, relative, plan->final_path, sizeof(plan->final_path), why) < 0)
		return -1;
	make_parent_dirs(tenant_root, relative);
	if (confine_output(tenant_root, relative, plan->final_path, sizeof(plan->final_path), why) < 0 ||
		output_staging_path(plan->final_path, req->attempt, plan->partial_path, sizeof(plan->partial_path)) < 0)
	{
		*why = *why ? *why : "the output path is too long";
		return -1;
	}
	return 0;
}

/* A file input is read under the input roots; the sandbox opens them to no other kind. */
static int
input_is_file(const char *url)
{
	return strncmp(url, "file://", 7) == 0;
}

static int
plan_input(const JobRunRequest *req, JobPlan *plan, const char **why)
{
	const char *url = req->input_url;

	if (input_is_file(url))
	{
		char		path[NAMES_PATH_MAX];

		plan->input_kind = INPUT_FILE;
		if ((*why = names_file_url_path(url, path, sizeof(path))) != NULL)
			return -1;
		return confine_input(req->input_roots, req->ninput_roots, path, plan->input, sizeof(plan->input), why);
	}
	if (strncmp(url, "testsrc://", 10) == 0)
	{
		TestSource	src;

		if (media_testsrc_parse(url + 10, &src) < 0)
		{
			*why = "invalid test source: " MEDIA_TESTSRC_RULE;
			return -1;
		}
		plan->input_kind = INPUT_TESTSRC;
		plan->input_seconds = src.seconds;
		snprintf(plan->input, sizeof(plan->input), "%s", url + 10);
		return 0;
	}
	if (strncmp(url, "rtmp://", 7) == 0 || strncmp(url, "rtmps://", 8) == 0)
		plan->input_kind = INPUT_LIVE;
	else if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		plan->input_kind = INPUT_HTTP;
	else
	{
		*why = "unsupported input scheme (use file://, rtmp://, rtmps://, http://, https:// or testsrc://)";
		return -1;
	}
	snprintf(plan->input, sizeof(plan->input), "%s", url);
	return 0;
}

static int
make_plan(const JobRunRequest *req, JobPlan *plan, char *err, size_t errlen)
{
	const char *why = NULL;

	memset(plan, 0, sizeof(*plan));
	if (job_spec_parse(req->params_json, req->output_url, req->gpus, &plan->spec, err, errlen) < 0)
		return -1;
	if (plan_output(req, plan, &why) < 0)
	{
		snprintf(err, errlen, "output refused: %s", why);
		return -1;
	}
	return 0;
}

int
job_run_output_paths(const JobRunRequest *req, char *final_path, size_t final_len,
					 char *partial_path, size_t partial_len, const char **why)
{
	static char reason[256];
	JobPlan    *plan = calloc(1, sizeof(JobPlan));
	int			rc;

	if (plan == NULL)
	{
		*why = "out of memory";
		return -1;
	}
	rc = make_plan(req, plan, reason, sizeof(reason));
	if (rc == 0)
	{
		snprintf(final_path, final_len, "%s", plan->final_path);
		snprintf(partial_path, partial_len, "%s", plan->partial_path);
	}
	else
		*why = reason;
	free(plan);
	return rc;
}

static void
discard(const JobPlan *plan)
{
	if (!plan->network_output)
		output_discard(plan->partial_path, plan->spec.format == FORMAT_HLS);
}

void
job_run_discard(const JobRunRequest *req)
{
	char		err[256];
	JobPlan    *plan = calloc(1, sizeof(JobPlan));

	if (plan && make_plan(req, plan, err, sizeof(err)) == 0)
		discard(plan);
	free(plan);
}

/* Moves a finished output into place. */
static int
publish(const JobPlan *plan, int64_t *bytes)
{
	*bytes = 0;
	return plan->network_output ? 0 :
		output_publish(plan->final_path, plan->partial_path, plan->spec.format == FORMAT_HLS, bytes);
}

static void
relay_progress(const TranscodeProgress *p, void *arg)
{
	int			fd = *(int *) arg;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "frames", json_object_new_int64(p->frames));
	json_object_object_add(o, "fps", json_object_new_double(p->fps));
	json_object_object_add(o, "speed", json_object_new_double(p->speed));
	if (p->percent >= 0)
		json_object_object_add(o, "percent", json_object_new_double(p->percent));
	json_object_object_add(o, "out_time", json_object_new_double(p->out_seconds));
	json_object_object_add(o, "bitrate_kbps", json_object_new_double(p->bitrate_kbps));
	json_object_object_add(o, "size", json_object_new_int64(p->bytes));
	json_object_object_add(o, "input_size", json_object_new_int64(p->input_bytes));
	report(fd, "progress %s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static json_object *
describe_output(const JobPlan *plan, const TranscodeSummary *summary,
				int64_t bytes, double elapsed, char *err, size_t errlen)
{
	json_object *result;
	char		redacted[PATH_BYTES];

	np_redact_url(plan->final_path, redacted, sizeof(redacted));
	if (plan->network_output)
	{
		result = json_object_new_object();
		json_object_object_add(result, "url", json_object_new_string(redacted));
		json_object_object_add(result, "duration", json_object_new_double(summary->last.out_seconds));
	}
	else if ((result = output_probe(plan->final_path, err, errlen)) == NULL)
		return NULL;
	json_object_object_add(result, "output",
						   json_object_new_string(plan->network_output ? redacted : plan->relative));
	json_object_object_add(result, "size", json_object_new_int64(plan->network_output ? summary->last.bytes : bytes));
	json_object_object_add(result, "frames", json_object_new_int64(summary->last.frames));
	json_object_object_add(result, "elapsed", json_object_new_double(elapsed));
	if (summary->ended_by_silence)
		json_object_object_add(result, "ended_by", json_object_new_string("input went silent"));
	transcode_summary_notes(summary, result);

	return result;
}

/*
 * What the job's process may reach once confined: its input roots when the
 * input is a file, and the directory its output goes to (for a top-level
 * output, the tenant's directory; nothing for a network output, which has
 * no partial path).
 */
void
job_run_file_access(const JobRunRequest *req, const char *final_path, const char *partial_path,
					const char *const **read_roots, int *nread, char *write_dir, size_t write_len)
{
	char	   *slash;

	*read_roots = input_is_file(req->input_url) ? req->input_roots : NULL;
	*nread = input_is_file(req->input_url) ? req->ninput_roots : 0;
	/* Too long to hold: writable nowhere, so the job fails rather than write elsewhere. */
	if (partial_path[0] == '\0' || snprintf(write_dir, write_len, "%s", final_path) >= (int) write_len)
		write_dir[0] = '\0';
	else if ((slash = strrchr(write_dir, '/')) != NULL)
		*slash = '\0';
}

/* libav's own messages go to the worker's log as lines about this job. */
static const JobRunRequest *logging_job;

/*
 * Every line about the job (libav's among them, marked "libav: ") also goes
 * to the supervisor as "log <level> <source> <text>", for the attempt's log
 * in the database; sanitized here, where the job's input and output paths
 * are known, and again by the supervisor, which trusts nothing a job's
 * process says.  libav's threads log too: each report is one write().
 */
static int	log_fd = -1;
static int	log_pipe_size;		/* 0: unknown */
static const JobPlan *log_plan;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static long log_dropped;

/*
 * Whether a log line of len bytes leaves the pipe at least half free.  A
 * supervisor busy with a slow database call reads nothing for a while: log
 * lines are then dropped rather than block the transcode (a write to a full
 * pipe would stop libav's threads), and the other reports keep their room.
 */
static int
log_has_room(size_t len)
{
	int			unread = 0;

	if (log_pipe_size <= 0 || ioctl(log_fd, FIONREAD, &unread) != 0)
		return 1;
	return (size_t) unread + len <= (size_t) log_pipe_size / 2;
}

static void
tap_to_report(WorkerLogLevel level, int64_t job_id, const char *message)
{
	JobLogSource source = JOB_LOG_WORKER;
	char		clean[JOB_LOG_LINE_MAX];

	(void) job_id;
	if (log_fd < 0)
		return;
	if (strncmp(message, "libav: ", 7) == 0)
	{
		source = JOB_LOG_LIBAV;
		message += 7;
	}
	av_messages_sanitize(message, log_plan && log_plan->input[0] ? log_plan->input : NULL,
						 log_plan ? log_plan->final_path : NULL, clean, sizeof(clean));
	if (clean[0] == '\0')
		return;
	pthread_mutex_lock(&log_lock);
	if (!log_has_room(strlen(clean) + 64))
		log_dropped++;
	else
	{
		if (log_dropped > 0)
			report(log_fd, "log warning worker %ld log lines dropped: the worker was busy", log_dropped);
		log_dropped = 0;
		report(log_fd, "log %s %s %s", job_log_level_name(level), job_log_source_name(source), clean);
	}
	pthread_mutex_unlock(&log_lock);
}

static void
log_libav(void *avcl, int level, const char *format, va_list args)
{
	static int	print_prefix = 1;
	char		line[1024];
	size_t		len;

	if (level > av_log_get_level())
		return;
	av_log_format_line(avcl, level, format, args, line, sizeof(line), &print_prefix);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	if (len > 0)
	{
		char		redacted[sizeof(line) + 64];

		np_redact_url(line, redacted, sizeof(redacted));
		worker_log_attempt(level <= AV_LOG_ERROR ? WLOG_ERROR : WLOG_WARNING, logging_job->job_id,
						   logging_job->tenant_id, logging_job->attempt, "libav: %s", redacted);
	}
}

int
job_run(const JobRunRequest *req, int report_fd, volatile int *stop)
{
	JobPlan    *plan = calloc(1, sizeof(JobPlan));
	TranscodeRequest treq = {0};
	TranscodeSummary summary;
	TranscodeStatus status;
	struct timespec started;
	struct timespec ended;
	json_object *result;
	const char *why = NULL;
	char		err[1024];
	char		staged[PATH_BYTES];
	int64_t		bytes = 0;

	logging_job = req;
	log_fd = report_fd;
	log_pipe_size = fcntl(report_fd, F_GETPIPE_SZ);
	log_plan = plan;
	worker_log_set_tap(tap_to_report);
	av_messages_install(log_libav);
	if (plan == NULL)
	{
		report(report_fd, "failed resource_error out of memory");
		return 1;
	}
	if (make_plan(req, plan, err, sizeof(err)) < 0)
	{
		report(report_fd, "failed user_error %s", err);
		return 1;
	}
	if (plan_input(req, plan, &why) < 0)
	{
		report(report_fd, "failed input_error input refused: %s", why);
		return 1;
	}

	treq.spec = &plan->spec;
	treq.input_kind = plan->input_kind;
	treq.input = plan->input;
	treq.input_seconds = plan->input_seconds;
	if (!plan->network_output &&
		output_stage(plan->final_path, plan->partial_path, plan->spec.format == FORMAT_HLS,
					 staged, sizeof(staged)) < 0)
	{
		report(report_fd, "failed resource_error could not create %s: %s", plan->partial_path, strerror(errno));
		free(plan);
		return 1;
	}
	treq.output = plan->network_output ? plan->final_path : staged;
	treq.threads = req->cpu_cores > 0 ? req->cpu_cores : 1;
	treq.prefer_gpu = req->gpus > 0;
	treq.io_timeout_ms = req->io_timeout_ms > 0 ? req->io_timeout_ms : 10000;
	treq.stop = stop;
	treq.progress = relay_progress;
	treq.progress_arg = &report_fd;

	clock_gettime(CLOCK_MONOTONIC, &started);
	status = transcode_run(&treq, &summary, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &ended);
	/*
	 * A refused connection fails the job, even one libavformat got past (an
	 * HLS segment it skipped): said as the policy's refusal, not as what the
	 * network answered, since there was no answer.
	 */
	if (net_guard_refusal(err, sizeof(err)))
	{
		status = TRANSCODE_USER_ERROR;
		worker_log_attempt(WLOG_WARNING, req->job_id, req->tenant_id, req->attempt, "%s", err);
	}
	if (status == TRANSCODE_OK && publish(plan, &bytes) < 0)
	{
		status = TRANSCODE_RESOURCE_ERROR;
		snprintf(err, sizeof(err), "could not move the output into place: %s", strerror(errno));
	}
	if (status != TRANSCODE_OK)
	{
		discard(plan);
		report(report_fd, "failed %s %s", transcode_status_reason(status), err);
		free(plan);
		return 1;
	}
	result = describe_output(plan, &summary, bytes,
							 (ended.tv_sec - started.tv_sec) + (ended.tv_nsec - started.tv_nsec) / 1e9,
							 err, sizeof(err));
	if (result == NULL)
		report(report_fd, "failed runtime_error %s", err);
	else
		report(report_fd, "done %s", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN));
	json_object_put(result);
	free(plan);
	return result ? 0 : 1;
}
