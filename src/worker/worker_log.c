/*
 * worker_log.c: ffrtmp-worker's log lines (see worker_log.h).
 */
#include "worker_log.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"info", "warning", "error"};
static WorkerLogTap tap;

void
worker_log_set_tap(WorkerLogTap new_tap)
{
	tap = new_tap;
}

static void
emit(WorkerLogLevel level, int64_t job_id, const char *tenant, const char *format, va_list args)
{
	char		line[2048];
	char		stamp[40];
	struct timespec now;
	struct tm	tm;
	int			len;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

	if (job_id > 0 && tap != NULL)
	{
		char		message[2048];
		va_list		copy;

		va_copy(copy, args);
		vsnprintf(message, sizeof(message), format, copy);
		va_end(copy);
		tap(level, job_id, message);
	}
	len = snprintf(line, sizeof(line), "%s.%03ldZ %s ", stamp, now.tv_nsec / 1000000L, level_names[level]);
	if (job_id > 0)
		len += snprintf(line + len, sizeof(line) - len, "job=%" PRId64 " ", job_id);
	if (job_id > 0 && tenant != NULL)
		len += snprintf(line + len, sizeof(line) - len, "tenant=%s ", tenant);
	vsnprintf(line + len, sizeof(line) - len, format, args);

	/*
	 * Messages carry server errors and transcoder reports, which may span
	 * lines (libpq's end with a newline and indent with tabs); a log line
	 * must stay one line to stay greppable.  Runs of white space become one
	 * space.
	 */
	len = 0;
	for (char *c = line; *c; c++)
	{
		char		ch = isspace((unsigned char) *c) ? ' ' : *c;

		if (ch == ' ' && (len == 0 || line[len - 1] == ' '))
			continue;
		line[len++] = ch;
	}
	line[len] = '\0';
	if (len == sizeof(line) - 1)
		len--;					/* room for the newline */
	while (len > 0 && line[len - 1] == ' ')
		line[--len] = '\0';

	/* One write per line, so that lines from children and the parent never interleave. */
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0)
		return;					/* nowhere left to say so */
}

void
worker_log(WorkerLogLevel level, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	emit(level, 0, NULL, format, args);
	va_end(args);
}

void
worker_log_job(WorkerLogLevel level, int64_t job_id, const char *tenant, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	emit(level, job_id, tenant, format, args);
	va_end(args);
}
