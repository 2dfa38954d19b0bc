/*
 * job_log.c: an attempt's log lines waiting to be sent (see job_log.h).
 */
#include "job_log.h"

#include "av_messages.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A job's log (the database's job_logs.level) has no debug lines. */
static const char *const level_names[] = {
	[WLOG_INFO] = "info", [WLOG_WARNING] = "warning", [WLOG_ERROR] = "error"
};
static const char *const source_names[] = {"worker", "libav"};

void
job_log_init(JobLog *log)
{
	memset(log, 0, sizeof(*log));
}

static JobLogLine *
line_at(const JobLog *log, size_t i)
{
	return &log->lines[(log->head + i) % log->capacity];
}

static void
drop_oldest(JobLog *log)
{
	JobLogLine *oldest = line_at(log, 0);

	log->bytes -= strlen(oldest->text) + 1;
	free(oldest->text);
	oldest->text = NULL;
	log->head = (log->head + 1) % log->capacity;
	log->count--;
}

/* Room for one more line: the ring doubles, keeping its order. */
static int
make_room(JobLog *log)
{
	size_t		capacity = log->capacity ? log->capacity * 2 : 64;
	JobLogLine *lines;

	if (log->count < log->capacity)
		return 0;
	lines = malloc(capacity * sizeof(JobLogLine));
	if (lines == NULL)
		return -1;
	for (size_t i = 0; i < log->count; i++)
		lines[i] = *line_at(log, i);
	free(log->lines);
	log->lines = lines;
	log->capacity = capacity;
	log->head = 0;
	return 0;
}

int
job_log_add(JobLog *log, double at, WorkerLogLevel level, JobLogSource source,
			const char *text, const char *input, const char *output)
{
	char		clean[JOB_LOG_LINE_MAX];
	size_t		cost;
	JobLogLine *line;

	av_messages_sanitize(text, input, output, clean, sizeof(clean));
	if (clean[0] == '\0')
		return 0;
	log->last_number++;
	cost = strlen(clean) + 1;
	while (log->count > 0 && log->bytes + cost > JOB_LOG_LIMIT)
		drop_oldest(log);
	if (make_room(log) < 0)
		return -1;
	line = line_at(log, log->count);
	line->text = strdup(clean);
	if (line->text == NULL)
		return -1;
	line->number = log->last_number;
	line->at = at;
	line->level = level;
	line->source = source;
	log->count++;
	log->bytes += cost;
	return 0;
}

char *
job_log_batch(const JobLog *log, int max_lines, int *n, int64_t *through)
{
	json_object *array;
	char	   *batch = NULL;
	int			taken = 0;

	*n = 0;
	*through = 0;
	if (log->count == 0 || max_lines <= 0 || (array = json_object_new_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < log->count && taken < max_lines; i++, taken++)
	{
		const JobLogLine *line = line_at(log, i);
		json_object *o = json_object_new_object();
		char		at[32];

		json_object_object_add(o, "line", json_object_new_int64(line->number));
		/*
		 * Milliseconds, written as such: json-c's double format is global
		 * (output_probe.c sets %.10g), which would round a Unix time to
		 * whole seconds.
		 */
		snprintf(at, sizeof(at), "%.3f", line->at);
		json_object_object_add(o, "at", json_object_new_double_s(line->at, at));
		json_object_object_add(o, "level", json_object_new_string(job_log_level_name(line->level)));
		json_object_object_add(o, "source", json_object_new_string(job_log_source_name(line->source)));
		json_object_object_add(o, "text", json_object_new_string(line->text));
		json_object_array_add(array, o);
	}
	batch = strdup(json_object_to_json_string_ext(array, JSON_C_TO_STRING_PLAIN));
	json_object_put(array);
	if (batch)
	{
		*n = taken;
		*through = line_at(log, taken - 1)->number;
	}
	return batch;
}

void
job_log_consume(JobLog *log, int n)
{
	for (int i = 0; i < n && log->count > 0; i++)
		drop_oldest(log);
}

void
job_log_forget_through(JobLog *log, int64_t through)
{
	while (log->count > 0 && line_at(log, 0)->number <= through)
		drop_oldest(log);
}

size_t
job_log_waiting(const JobLog *log)
{
	return log->count;
}

void
job_log_free(JobLog *log)
{
	job_log_consume(log, (int) log->count);
	free(log->lines);
	memset(log, 0, sizeof(*log));
}

const char *
job_log_level_name(WorkerLogLevel level)
{
	return level_names[level];
}

const char *
job_log_source_name(JobLogSource source)
{
	return source_names[source];
}

int
job_log_parse_level(const char *name, WorkerLogLevel *level)
{
	for (int i = WLOG_INFO; i <= WLOG_ERROR; i++)
		if (strcmp(name, level_names[i]) == 0)
		{
			*level = (WorkerLogLevel) i;
			return 0;
		}
	return -1;
}

int
job_log_parse_source(const char *name, JobLogSource *source)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(name, source_names[i]) == 0)
		{
			*source = (JobLogSource) i;
			return 0;
		}
	return -1;
}
