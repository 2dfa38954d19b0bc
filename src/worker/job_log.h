/*
 * job_log.h: the lines of one attempt's log not yet sent to the database.
 *
 * The worker's own lines about a job and libav's messages from its process
 * are kept here, made fit for the tenant to read (av_messages_sanitize: no
 * control characters, the job's input and output as <input> and <output>,
 * every other host path as <path>, valid UTF-8, at most JOB_LOG_LINE_MAX - 1
 * bytes), and sent in batches beside the progress reports
 * (ffrtmp.append_job_log).  What waits is bounded like what the database
 * keeps: JOB_LOG_LIMIT bytes (each line's length plus one), the oldest lines
 * dropped first, so a job that logs faster than the database takes its lines
 * never grows the worker, and the newest lines always get through.
 *
 * Lines are numbered from 1 per attempt, dropped ones included: a gap in the
 * numbers the database holds is lines dropped on the way.
 */
#ifndef FFRTMP_WORKER_JOB_LOG_H
#define FFRTMP_WORKER_JOB_LOG_H

#include "worker_log.h"

#include <stddef.h>
#include <stdint.h>

#define JOB_LOG_LIMIT 65536			/* bytes, as the database keeps per attempt */
#define JOB_LOG_LINE_MAX 1025		/* with the NUL: 1024 bytes, as the database takes */
#define JOB_LOG_BATCH_LINES 500		/* the database takes at most 1000 per call */

typedef enum JobLogSource
{
	JOB_LOG_WORKER, JOB_LOG_LIBAV
} JobLogSource;

typedef struct JobLogLine
{
	int64_t		number;
	double		at;				/* unix seconds */
	WorkerLogLevel level;
	JobLogSource source;
	char	   *text;
} JobLogLine;

typedef struct JobLog
{
	JobLogLine *lines;			/* a ring: the oldest at head */
	size_t		capacity;
	size_t		head;
	size_t		count;
	size_t		bytes;			/* of the lines waiting, each counted with one more */
	int64_t		last_number;	/* of the newest line added */
} JobLog;

extern void job_log_init(JobLog *log);
extern void job_log_free(JobLog *log);

/*
 * Adds a line logged at unix time at, sanitized (see above; output is the
 * job's output path, or NULL, input likewise), dropping the oldest lines
 * until what waits fits JOB_LOG_LIMIT.  An empty line is not kept.  Returns
 * 0, or -1 when out of memory (the line is lost, its number too).
 */
extern int	job_log_add(JobLog *log, double at, WorkerLogLevel level, JobLogSource source,
						const char *text, const char *input, const char *output);

/*
 * The oldest lines waiting, at most max_lines, as the JSON array that
 * ffrtmp.append_job_log takes, in a new string for the caller to free;
 * *n is how many, *through the number of the newest among them.  NULL (and
 * *n = 0, *through = 0) when none wait or out of memory.
 */
extern char *job_log_batch(const JobLog *log, int max_lines, int *n, int64_t *through);

/* Forgets the oldest n lines: they were sent, or cannot be. */
extern void job_log_consume(JobLog *log, int n);

/*
 * Forgets the lines numbered up to through: a batch once sent.  Not a count:
 * while the batch was on its way, lines may have come and pushed some of it
 * out, and a count would then forget lines never sent.
 */
extern void job_log_forget_through(JobLog *log, int64_t through);

/* How many lines wait. */
extern size_t job_log_waiting(const JobLog *log);

/* The level and source in the words of the database and of the report pipe. */
extern const char *job_log_level_name(WorkerLogLevel level);
extern const char *job_log_source_name(JobLogSource source);

/* Parses those words; -1 when unknown. */
extern int	job_log_parse_level(const char *name, WorkerLogLevel *level);
extern int	job_log_parse_source(const char *name, JobLogSource *source);

#endif
