/*
 * test_worker_log.c: the worker's log lines: level names and the level
 * filter (on stderr, and what the job log's tap still gets), text and JSON
 * lines, JSON escaping (quotes, backslashes, controls, bytes that are not
 * UTF-8), an over-long JSON line cut and still whole, the journal's
 * priority prefixes without a second time, and JOURNAL_STREAM matching.
 */
#include "../worker_log.h"
#include "check.h"

#include <json-c/json.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[20000];

static bool
matches(const char *text, const char *pattern)
{
	regex_t		re;
	bool		ok;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	ok = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static WorkerLogLine
line_of(WorkerLogLevel level, WorkerLogFormat format, const char *message)
{
	WorkerLogLine l = {.level = level, .format = format, .message = message};

	l.time.tv_sec = 1738324800;	/* 2025-01-31T12:00:00Z */
	l.time.tv_nsec = 123456789;
	return l;
}

/* The JSON line in buf as an object (NULL when it does not parse); the newline is checked too. */
static json_object *
parsed(const char *text)
{
	size_t		len = strlen(text);

	if (len == 0 || text[len - 1] != '\n' || memchr(text, '\n', len - 1) != NULL)
		return NULL;
	return json_tokener_parse(text);
}

static const char *
field(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

/* Everything written to stderr while fn runs. */
static char captured[4096];
static void
capture(void (*fn) (void))
{
	FILE	   *tmp = tmpfile();
	int			saved = dup(STDERR_FILENO);
	size_t		n;

	dup2(fileno(tmp), STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof(captured) - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
}

static int	tapped;
static WorkerLogLevel tapped_level;
static void
tap(WorkerLogLevel level, int64_t job_id, const char *message)
{
	(void) job_id;
	(void) message;
	tapped++;
	tapped_level = level;
}

static void
log_each_level(void)
{
	worker_log(WLOG_DEBUG, "a debug line");
	worker_log(WLOG_INFO, "an info line");
	worker_log(WLOG_WARNING, "a warning line");
	worker_log(WLOG_ERROR, "an error line");
}

static void
log_job_lines(void)
{
	worker_log_attempt(WLOG_DEBUG, 42, "t1", 2, "fetched");
	worker_log_attempt(WLOG_INFO, 42, "t1", 2, "started attempt 2");
}

static void
test_levels(void)
{
	WorkerLogLevel level = WLOG_ERROR;
	WorkerLogFormat format = WLOG_FORMAT_JSON;

	CHECK(!worker_log_enabled(WLOG_DEBUG) && worker_log_enabled(WLOG_INFO),
		  "before any configuration: info and above");
	CHECK(worker_log_parse_level("debug", &level) == 0 && level == WLOG_DEBUG &&
		  worker_log_parse_level("info", &level) == 0 && level == WLOG_INFO &&
		  worker_log_parse_level("warning", &level) == 0 && level == WLOG_WARNING &&
		  worker_log_parse_level("error", &level) == 0 && level == WLOG_ERROR,
		  "the four level names parse");
	CHECK(worker_log_parse_level("verbose", &level) < 0 && worker_log_parse_level("", &level) < 0 &&
		  worker_log_parse_level("INFO", &level) < 0 && worker_log_parse_level(NULL, &level) < 0,
		  "other level names are refused");
	CHECK(worker_log_parse_format("text", &format) == 0 && format == WLOG_FORMAT_TEXT &&
		  worker_log_parse_format("json", &format) == 0 && format == WLOG_FORMAT_JSON &&
		  worker_log_parse_format("jsonl", &format) < 0 && worker_log_parse_format("", &format) < 0,
		  "formats: text and json only");

	worker_log_configure(WLOG_WARNING, WLOG_FORMAT_TEXT);
	CHECK(!worker_log_enabled(WLOG_INFO) && worker_log_enabled(WLOG_WARNING) && worker_log_enabled(WLOG_ERROR),
		  "warning lets through warning and error only");
	capture(log_each_level);
	CHECK(!strstr(captured, "debug line") && !strstr(captured, "info line") &&
		  strstr(captured, " warning a warning line\n") && strstr(captured, " error an error line\n"),
		  "at warning, stderr has the warning and error lines only");

	worker_log_configure(WLOG_INFO, WLOG_FORMAT_TEXT);
	capture(log_each_level);
	CHECK(!strstr(captured, "debug") && strstr(captured, " info an info line\n"),
		  "at info (the default), no debug line");

	worker_log_configure(WLOG_DEBUG, WLOG_FORMAT_TEXT);
	capture(log_each_level);
	CHECK(matches(captured, "^[0-9T:.-]+Z debug a debug line\n"), "at debug, the debug line too, first");

	/* The job's log in the database is the tenant's: the operator's level does not thin it. */
	worker_log_set_tap(tap);
	worker_log_configure(WLOG_ERROR, WLOG_FORMAT_TEXT);
	tapped = 0;
	capture(log_job_lines);
	CHECK(captured[0] == '\0' && tapped == 1 && tapped_level == WLOG_INFO,
		  "at error, a job's info line still reaches the tap, and its debug line does not");
	worker_log_configure(WLOG_DEBUG, WLOG_FORMAT_TEXT);
	tapped = 0;
	capture(log_job_lines);
	CHECK(tapped == 1 && strstr(captured, " debug job=42 tenant=t1 fetched\n"),
		  "at debug, the debug line goes to stderr only");
	worker_log_set_tap(NULL);
	worker_log_configure(WLOG_INFO, WLOG_FORMAT_TEXT);
}

static void
test_text(void)
{
	WorkerLogLine l = line_of(WLOG_INFO, WLOG_FORMAT_TEXT, "started attempt 1");

	l.job_id = 42;
	l.tenant = "6f1c";
	l.attempt = 1;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strcmp(buf, "2025-01-31T12:00:00.123Z info job=42 tenant=6f1c started attempt 1\n") == 0,
		  "text: time with ms in UTC, level, job, tenant, message");

	l = line_of(WLOG_WARNING, WLOG_FORMAT_TEXT, "server said:\n\tERROR:  boom\n");
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strcmp(buf, "2025-01-31T12:00:00.123Z warning server said: ERROR: boom\n") == 0,
		  "text: a message of several lines is one line");

	l.journal = true;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strcmp(buf, "<4>warning server said: ERROR: boom\n") == 0,
		  "journal: <4> for a warning, and no time of its own");
	l.level = WLOG_ERROR;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strncmp(buf, "<3>error ", 9) == 0, "journal: <3> for an error");
	l.level = WLOG_INFO;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strncmp(buf, "<6>info ", 8) == 0, "journal: <6> for info");
	l.level = WLOG_DEBUG;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strncmp(buf, "<7>debug ", 9) == 0, "journal: <7> for debug");
}

static void
test_json(void)
{
	WorkerLogLine l = line_of(WLOG_ERROR, WLOG_FORMAT_JSON,
							  "quote \" backslash \\ slash </x> tab\tnew\nline \x01 bad \xff\xfe caf\xc3\xa9 \xe2\x82");
	json_object *o;
	json_object *v;
	char		longer[8000];

	l.job_id = 42;
	l.tenant = "6f1c";
	l.attempt = 3;
	l.node = "gpu-7";
	worker_log_format_line(buf, sizeof(buf), &l);
	o = parsed(buf);
	CHECK(o != NULL, "json: one line that parses as one object");
	CHECK(o && strcmp(field(o, "time"), "2025-01-31T12:00:00.123Z") == 0, "json: time in RFC 3339 UTC with ms");
	CHECK(o && strcmp(field(o, "level"), "error") == 0, "json: level");
	CHECK(o && strcmp(field(o, "message"), "quote \" backslash \\ slash </x> tab new line \x01 bad ?? caf\xc3\xa9 ??") == 0,
		  "json: quotes, backslashes and controls escaped, white space one space, bytes not UTF-8 as ?");
	CHECK(strstr(buf, "\\u0001") != NULL && strstr(buf, "</x>") != NULL, "json: a control as \\u0001, / left alone");
	CHECK(o && json_object_object_get_ex(o, "job_id", &v) && json_object_is_type(v, json_type_int) &&
		  json_object_get_int64(v) == 42, "json: job_id is a number");
	CHECK(o && json_object_object_get_ex(o, "attempt", &v) && json_object_get_int(v) == 3, "json: attempt");
	CHECK(o && strcmp(field(o, "tenant"), "6f1c") == 0 && strcmp(field(o, "node"), "gpu-7") == 0,
		  "json: tenant and node");
	json_object_put(o);

	l = line_of(WLOG_INFO, WLOG_FORMAT_JSON, "connected");
	worker_log_format_line(buf, sizeof(buf), &l);
	o = parsed(buf);
	CHECK(o && json_object_object_length(o) == 3, "json: a line about no job has time, level and message only");
	json_object_put(o);

	l.journal = true;
	l.level = WLOG_DEBUG;
	worker_log_format_line(buf, sizeof(buf), &l);
	CHECK(strncmp(buf, "<7>{", 4) == 0 && (o = parsed(buf + 3)) != NULL && field(o, "time") != NULL,
		  "json in the journal: the priority, then the object with its time");
	json_object_put(o);

	/* Over-long: controls escape to six bytes each; the line is cut and stays an object. */
	memset(longer, '\x02', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	l = line_of(WLOG_INFO, WLOG_FORMAT_JSON, longer);
	CHECK(worker_log_format_line(buf, 1000, &l) <= 999 && (o = parsed(buf)) != NULL &&
		  strlen(field(o, "message")) > 100, "json: a line over the limit is cut in its message and still parses");
	json_object_put(o);
	l.format = WLOG_FORMAT_TEXT;
	CHECK(worker_log_format_line(buf, 100, &l) == 99 && buf[98] == '\n', "text: cut to the limit, newline kept");
}

static void
test_journal_stream(void)
{
	struct stat st;
	char		value[64];
	FILE	   *tmp = tmpfile();

	fstat(fileno(tmp), &st);
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
	CHECK(worker_log_is_journal(fileno(tmp), value), "JOURNAL_STREAM naming the descriptor's device:inode matches");
	snprintf(value, sizeof(value), "%llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino + 1);
	CHECK(!worker_log_is_journal(fileno(tmp), value), "another inode does not (stderr was redirected)");
	CHECK(!worker_log_is_journal(fileno(tmp), NULL) && !worker_log_is_journal(fileno(tmp), "") &&
		  !worker_log_is_journal(fileno(tmp), "8:1x") && !worker_log_is_journal(fileno(tmp), "journal"),
		  "unset, empty or malformed: not the journal");
	fclose(tmp);
}

int
main(void)
{
	test_levels();
	test_text();
	test_json();
	test_journal_stream();
	return check_summary();
}
