/*
 * test_job_log.c: an attempt's log lines waiting for the database stay
 * within JOB_LOG_LIMIT bytes, dropping the oldest first and keeping the
 * newest; lines are numbered across drops, bounded in length, free of
 * control characters and of host paths; batches are the JSON the database
 * takes, oldest first, and only what was sent is forgotten.
 */
#include "../job_log.h"
#include "check.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT "/var/lib/ffrtmp/out/6f1c/job-7.mp4"

static json_object *
batch_of(JobLog *log, int max, int *n)
{
	int64_t		through;
	char	   *text = job_log_batch(log, max, n, &through);
	json_object *parsed = text ? json_tokener_parse(text) : NULL;

	free(text);
	return parsed;
}

static const char *
text_of(json_object *array, int i)
{
	json_object *line = json_object_array_get_idx(array, i);
	json_object *text;

	return line && json_object_object_get_ex(line, "text", &text) ? json_object_get_string(text) : "";
}

static int64_t
number_of(json_object *array, int i)
{
	json_object *line = json_object_array_get_idx(array, i);
	json_object *number;

	return line && json_object_object_get_ex(line, "line", &number) ? json_object_get_int64(number) : -1;
}

int
main(void)
{
	JobLog		log;
	json_object *batch;
	int			n;
	char		text[200];
	size_t		bytes = 0;
	int			control = 0;

	job_log_init(&log);
	{
		int64_t		through = -1;

		CHECK(job_log_batch(&log, 10, &n, &through) == NULL && n == 0 && through == 0, "an empty log has no batch");
	}

	/*
	 * A few lines, as sent, under the global double format the worker's
	 * process sets (output_probe.c), which rounds a plain double to ten digits.
	 */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	job_log_add(&log, 1700000000.25, WLOG_INFO, JOB_LOG_WORKER, "started attempt 1", NULL, OUT);
	job_log_add(&log, 1700000001.0, WLOG_ERROR, JOB_LOG_LIBAV, "mov: moov atom not found", NULL, OUT);
	job_log_add(&log, 1700000001.0, WLOG_INFO, JOB_LOG_WORKER, "", NULL, OUT);
	batch = batch_of(&log, 10, &n);
	CHECK(n == 2 && json_object_array_length(batch) == 2, "an empty line is not kept");
	CHECK(strcmp(text_of(batch, 0), "started attempt 1") == 0 && number_of(batch, 0) == 1 &&
		  number_of(batch, 1) == 2, "lines are numbered from 1, oldest first");
	{
		json_object *line = json_object_array_get_idx(batch, 1);
		json_object *level, *source, *at;

		json_object_object_get_ex(line, "level", &level);
		json_object_object_get_ex(line, "source", &source);
		json_object_object_get_ex(json_object_array_get_idx(batch, 0), "at", &at);
		CHECK(strcmp(json_object_get_string(level), "error") == 0 &&
			  strcmp(json_object_get_string(source), "libav") == 0, "level and source in the database's words");
		CHECK(json_object_get_double(at) == 1700000000.25, "the time is kept to the millisecond");
	}
	json_object_put(batch);

	/* Only what was sent is forgotten. */
	batch = batch_of(&log, 1, &n);
	CHECK(n == 1 && number_of(batch, 0) == 1, "a batch takes at most max_lines, the oldest");
	json_object_put(batch);
	job_log_consume(&log, 1);
	batch = batch_of(&log, 10, &n);
	CHECK(n == 1 && number_of(batch, 0) == 2, "consume forgets the lines sent, and no more");
	json_object_put(batch);
	job_log_consume(&log, n);
	CHECK(job_log_waiting(&log) == 0, "nothing waits once all is sent");

	/* Made fit for the tenant. */
	job_log_add(&log, 1, WLOG_WARNING, JOB_LOG_WORKER,
				"removing partial output " OUT " staged in /var/lib/ffrtmp/staging/x and\tconfig /etc/ffrtmp/worker.conf\x1b[2J",
				NULL, OUT);
	batch = batch_of(&log, 10, &n);
	CHECK(strcmp(text_of(batch, 0), "removing partial output <output> staged in <path> and config <path> [2J") == 0,
		  "host paths become placeholders, control characters spaces");
	json_object_put(batch);
	job_log_consume(&log, n);
	{
		char		long_line[5000];

		memset(long_line, 'x', sizeof(long_line) - 1);
		long_line[sizeof(long_line) - 1] = '\0';
		long_line[1000] = '\xc3';	/* half a character where the cut could fall */
		job_log_add(&log, 1, WLOG_INFO, JOB_LOG_LIBAV, long_line, NULL, NULL);
		batch = batch_of(&log, 10, &n);
		CHECK(strlen(text_of(batch, 0)) <= JOB_LOG_LINE_MAX - 1, "a long line is cut to 1024 bytes");
		json_object_put(batch);
		job_log_consume(&log, n);
	}

	/* The bound: 2,000 lines of 100 bytes (200 KiB) leave the newest 64 KiB. */
	for (int i = 1; i <= 2000; i++)
	{
		snprintf(text, sizeof(text), "%099d", i);
		job_log_add(&log, 1, WLOG_INFO, JOB_LOG_LIBAV, text, NULL, NULL);
	}
	CHECK(log.bytes <= JOB_LOG_LIMIT && log.bytes > JOB_LOG_LIMIT - 100, "what waits fills but never passes 64 KiB");
	CHECK(job_log_waiting(&log) == JOB_LOG_LIMIT / 100, "as many lines as fit wait");
	for (int sent = 0; job_log_waiting(&log) > 0; sent += n)
	{
		batch = batch_of(&log, JOB_LOG_BATCH_LINES, &n);
		for (int i = 0; i < n; i++)
		{
			bytes += strlen(text_of(batch, i)) + 1;
			control |= strpbrk(text_of(batch, i), "\n\r\t") != NULL;
		}
		if (sent == 0)
			CHECK(atoi(text_of(batch, 0)) == 2000 - JOB_LOG_LIMIT / 100 + 1, "the oldest lines were dropped first");
		if (job_log_waiting(&log) == (size_t) n)
			CHECK(atoi(text_of(batch, n - 1)) == 2000 && number_of(batch, n - 1) == 2004,
				  "the newest line is kept, numbered after the dropped ones");
		json_object_put(batch);
		job_log_consume(&log, n);
	}
	CHECK(bytes <= JOB_LOG_LIMIT && !control, "everything sent fits in 64 KiB, without control characters");

	/*
	 * Lines that come while a batch is on its way (the daemon's own lines
	 * about the call, through its log tap) may push some of the batch out:
	 * what is forgotten once it is sent is the batch, not a count.
	 */
	{
		char	   *sent;
		int64_t		through;
		int64_t		first_unsent;

		for (int i = 0; i < 700; i++)
		{
			snprintf(text, sizeof(text), "%099d", i);
			job_log_add(&log, 1, WLOG_INFO, JOB_LOG_LIBAV, text, NULL, NULL);
		}
		sent = job_log_batch(&log, JOB_LOG_BATCH_LINES, &n, &through);
		free(sent);
		first_unsent = through + 1;
		/* The log is full: a line of 100 bytes pushes the batch's oldest out. */
		snprintf(text, sizeof(text), "log lines not recorded: %075d", 0);
		job_log_add(&log, 1, WLOG_WARNING, JOB_LOG_WORKER, text, NULL, NULL);
		job_log_forget_through(&log, through);
		batch = batch_of(&log, 1, &n);
		CHECK(number_of(batch, 0) == first_unsent, "a line pushed out of a batch on its way costs no unsent line");
		json_object_put(batch);
		job_log_consume(&log, (int) job_log_waiting(&log));
	}

	/* What libav or a tenant's media can put in a line. */
	{
		static const struct
		{
			const char *text;
			const char *want;
			const char *what;
		}			cases[] = {
			{"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d0c4a1e2c0] moov atom not found",
			 "[mov,mp4,m4a,3gp,3g2,mj2] moov atom not found", "libav's context addresses are dropped"},
			{"could not open `/etc/ffrtmp/worker.conf'", "could not open `<path>'", "a path in `backquotes' is a path"},
			{"x{/srv/media/other/a.mp4} and pipe|/proc/self/fd/3", "x{<path>} and pipe|<path>",
			 "so is one in braces or after a |"},
			{"title: ok\xc2\x85" "error: forged\xc2\x9b" "2J", "title: ok?error: forged?2J", "C1 controls are not passed on"},
			{"clip \xe2\x80\xae" "4pm.exe \xe2\x81\xa6x\xe2\x81\xa9", "clip ?4pm.exe ?x?", "nor bidirectional overrides and isolates"},
			{"1920x1080 25/1 fps http://host/a/b.m3u8 caf\xc3\xa9", "1920x1080 25/1 fps http://host/a/b.m3u8 caf\xc3\xa9",
			 "ratios, URLs and other text stay"},
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		{
			job_log_add(&log, 1, WLOG_ERROR, JOB_LOG_LIBAV, cases[i].text, NULL, OUT);
			batch = batch_of(&log, 1, &n);
			if (strcmp(text_of(batch, 0), cases[i].want) != 0)
				printf("# have: %s\n# want: %s\n", text_of(batch, 0), cases[i].want);
			CHECK(strcmp(text_of(batch, 0), cases[i].want) == 0, cases[i].what);
			json_object_put(batch);
			job_log_consume(&log, n);
		}
	}

	/* Words both ways. */
	{
		WorkerLogLevel level;
		JobLogSource source;

		CHECK(job_log_parse_level("warning", &level) == 0 && level == WLOG_WARNING &&
			  job_log_parse_source("libav", &source) == 0 && source == JOB_LOG_LIBAV &&
			  job_log_parse_level("debug", &level) < 0 && job_log_parse_source("kernel", &source) < 0,
			  "levels and sources parse, unknown words do not");
	}
	job_log_free(&log);
	return check_summary();
}
