/*
 * worker_log.c: ffrtmp-worker's log lines (see worker_log.h).
 *
 * Settings are process-wide and set once before any job's process is
 * forked (and again at a reload, in the daemon only), so the lines of a
 * job's process follow the daemon's.  A line is formatted into one buffer
 * and written with one write(), so that lines of children and of the parent
 * never interleave.
 */
#include "worker_log.h"
#include "utf8.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* A message longer than this is cut; the line with its fields fits LINE_MAX. */
#define MESSAGE_MAX 2048
#define LINE_MAX_BYTES 16384

static const char *const level_names[] = {
	[WLOG_DEBUG] = "debug", [WLOG_INFO] = "info", [WLOG_WARNING] = "warning", [WLOG_ERROR] = "error"
};

/* syslog(3) priorities, which the journal reads from a "<N>" prefix. */
static const int level_priorities[] = {
	[WLOG_DEBUG] = LOG_DEBUG, [WLOG_INFO] = LOG_INFO, [WLOG_WARNING] = LOG_WARNING, [WLOG_ERROR] = LOG_ERR
};

static WorkerLogLevel min_level = WLOG_INFO;
static WorkerLogFormat log_format = WLOG_FORMAT_TEXT;
static bool to_journal;
static char node_name[256];
static WorkerLogTap tap;

void
worker_log_set_tap(WorkerLogTap new_tap)
{
	tap = new_tap;
}

void
worker_log_configure(WorkerLogLevel level, WorkerLogFormat format)
{
	min_level = level;
	log_format = format;
	to_journal = worker_log_is_journal(STDERR_FILENO, getenv("JOURNAL_STREAM"));
}

void
worker_log_set_node(const char *node)
{
	snprintf(node_name, sizeof(node_name), "%s", node ? node : "");
}

bool
worker_log_enabled(WorkerLogLevel level)
{
	return level >= min_level;
}

const char *
worker_log_level_name(WorkerLogLevel level)
{
	return level_names[level];
}

int
worker_log_parse_level(const char *name, WorkerLogLevel *level)
{
	for (int i = WLOG_DEBUG; i <= WLOG_ERROR; i++)
		if (name != NULL && strcmp(name, level_names[i]) == 0)
		{
			*level = (WorkerLogLevel) i;
			return 0;
		}
	return -1;
}

int
worker_log_parse_format(const char *name, WorkerLogFormat *format)
{
	if (name != NULL && strcmp(name, "text") == 0)
		*format = WLOG_FORMAT_TEXT;
	else if (name != NULL && strcmp(name, "json") == 0)
		*format = WLOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

bool
worker_log_is_journal(int fd, const char *journal_stream)
{
	unsigned long long device;
	unsigned long long inode;
	char		rest;
	struct stat st;

	if (journal_stream == NULL ||
		sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &rest) != 2 || fstat(fd, &st) != 0)
		return false;
	return (unsigned long long) st.st_dev == device && (unsigned long long) st.st_ino == inode;
}

/*
 * The message as one line: runs of white space as one space, none at the
 * ends; for JSON (utf8) a byte that is not UTF-8 as '?'.
 */
static void
clean_message(const char *message, bool utf8, char *out, size_t outlen)
{
	size_t		len = 0;

	for (const unsigned char *p = (const unsigned char *) message; *p && len + 5 < outlen;)
	{
		int			n = utf8 ? utf8_length(p) : 1;

		if (isspace(*p))
		{
			if (len > 0 && out[len - 1] != ' ')
				out[len++] = ' ';
			p++;
		}
		else if (n == 0)
			out[len++] = '?', p++;
		else
		{
			memcpy(out + len, p, n);
			len += n;
			p += n;
		}
	}
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
}

static size_t
prefix_priority(char *buf, size_t size, const WorkerLogLine *line)
{
	if (!line->journal)
		return 0;
	return (size_t) snprintf(buf, size, "<%d>", level_priorities[line->level]);
}

static size_t
format_text(char *buf, size_t size, const WorkerLogLine *line, const char *message)
{
	size_t		len = prefix_priority(buf, size, line);
	struct tm	tm;

	if (!line->journal)
	{
		gmtime_r(&line->time.tv_sec, &tm);
		len += strftime(buf + len, size - len, "%Y-%m-%dT%H:%M:%S", &tm);
		len += snprintf(buf + len, size - len, ".%03ldZ ", line->time.tv_nsec / 1000000L);
	}
	len += snprintf(buf + len, size - len, "%s ", level_names[line->level]);
	if (line->job_id > 0 && len < size)
		len += snprintf(buf + len, size - len, "job=%" PRId64 " ", line->job_id);
	if (line->job_id > 0 && line->tenant != NULL && len < size)
		len += snprintf(buf + len, size - len, "tenant=%s ", line->tenant);
	if (len < size)
		len += snprintf(buf + len, size - len, "%s", message);
	return len < size ? len : size - 1;
}

/* One JSON object, without its newline; NULL when out of memory. */
static char *
json_line(const WorkerLogLine *line, const char *message)
{
	json_object *o = json_object_new_object();
	char		stamp[40];
	struct tm	tm;
	size_t		len;
	char	   *text;

	if (o == NULL)
		return NULL;
	gmtime_r(&line->time.tv_sec, &tm);
	len = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + len, sizeof(stamp) - len, ".%03ldZ", line->time.tv_nsec / 1000000L);
	json_object_object_add(o, "time", json_object_new_string(stamp));
	json_object_object_add(o, "level", json_object_new_string(level_names[line->level]));
	json_object_object_add(o, "message", json_object_new_string(message));
	if (line->job_id > 0)
		json_object_object_add(o, "job_id", json_object_new_int64(line->job_id));
	if (line->job_id > 0 && line->attempt > 0)
		json_object_object_add(o, "attempt", json_object_new_int(line->attempt));
	if (line->job_id > 0 && line->tenant != NULL)
	{
		char		tenant[128];

		clean_message(line->tenant, true, tenant, sizeof(tenant));
		json_object_object_add(o, "tenant", json_object_new_string(tenant));
	}
	if (line->node != NULL && line->node[0] != '\0')
	{
		char		node[256];

		clean_message(line->node, true, node, sizeof(node));
		json_object_object_add(o, "node", json_object_new_string(node));
	}
	text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/*
 * The JSON object of the line with its message cut to n bytes, when it fits
 * in room bytes; NULL when it does not (or out of memory).
 */
static char *
json_within(const WorkerLogLine *line, char *message, size_t n, size_t room)
{
	char		kept = message[n];
	char	   *text;

	message[n] = '\0';
	text = json_line(line, message);
	message[n] = kept;
	if (text != NULL && strlen(text) >= room)
	{
		free(text);
		text = NULL;
	}
	return text;
}

/*
 * A JSON line that does not fit loses the end of its message, on a
 * character boundary, and stays one whole object.  Escaping lengthens a
 * message by up to six times, so the longest message that fits is looked
 * for (a bisection: only an over-long line pays for it).
 */
static size_t
format_json(char *buf, size_t size, const WorkerLogLine *line, char *message)
{
	size_t		len = prefix_priority(buf, size, line);
	size_t		fits = 0;
	size_t		too_long = strlen(message) + 1;
	char	   *text = json_within(line, message, too_long - 1, size - len);

	while (text == NULL && too_long - fits > 1)
	{
		size_t		mid = fits + (too_long - fits) / 2;
		char	   *attempt = json_within(line, message, mid, size - len);

		if (attempt == NULL)
			too_long = mid;
		else
		{
			fits = mid;
			free(attempt);
		}
	}
	if (text == NULL)
	{
		while (fits > 0 && ((unsigned char) message[fits] & 0xC0) == 0x80)
			fits--;
		text = json_within(line, message, fits, size - len);
	}
	if (text == NULL)
		return len;				/* out of memory, or fields alone too long: the priority only */
	snprintf(buf + len, size - len, "%s", text);
	len += strlen(text);
	free(text);
	return len;
}

size_t
worker_log_format_line(char *buf, size_t size, const WorkerLogLine *line)
{
	char		message[MESSAGE_MAX];
	size_t		len;

	if (size < 2)
		return 0;
	clean_message(line->message, line->format == WLOG_FORMAT_JSON, message, sizeof(message));
	if (line->format == WLOG_FORMAT_JSON)
		len = format_json(buf, size - 1, line, message);
	else
		len = format_text(buf, size - 1, line, message);
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
}

static void
emit(WorkerLogLevel level, int64_t job_id, const char *tenant, int attempt, const char *format,
	 va_list args)
{
	char		line[LINE_MAX_BYTES];
	char		message[MESSAGE_MAX];
	WorkerLogLine l = {
		.level = level, .format = log_format, .journal = to_journal, .node = node_name,
		.job_id = job_id, .tenant = tenant, .attempt = attempt, .message = message
	};
	size_t		len;

	if (level < min_level && (level == WLOG_DEBUG || job_id <= 0 || tap == NULL))
		return;
	vsnprintf(message, sizeof(message), format, args);
	if (job_id > 0 && tap != NULL && level >= WLOG_INFO)
		tap(level, job_id, message);
	if (level < min_level)
		return;
	clock_gettime(CLOCK_REALTIME, &l.time);
	len = worker_log_format_line(line, sizeof(line), &l);
	if (write(STDERR_FILENO, line, len) < 0)
		return;					/* nowhere left to say so */
}

void
worker_log(WorkerLogLevel level, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	emit(level, 0, NULL, 0, format, args);
	va_end(args);
}

void
worker_log_job(WorkerLogLevel level, int64_t job_id, const char *tenant, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	emit(level, job_id, tenant, 0, format, args);
	va_end(args);
}

void
worker_log_attempt(WorkerLogLevel level, int64_t job_id, const char *tenant, int attempt,
				   const char *format,...)
{
	va_list		args;

	va_start(args, format);
	emit(level, job_id, tenant, attempt, format, args);
	va_end(args);
}
