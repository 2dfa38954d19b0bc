/*
 * worker_log.h: ffrtmp-worker's log, one line per event on stderr, in one
 * of two formats (--log-format):
 *
 *   text: 2025-01-31T12:00:00.123Z info job=42 tenant=6f1c... started attempt 1
 *   json: {"time":"2025-01-31T12:00:00.123Z","level":"info","message":"started attempt 1",
 *          "job_id":42,"attempt":1,"tenant":"6f1c...","node":"gpu-7"}
 *
 * job= and tenant= appear only when the event is about a job, so that
 * `grep job=42` finds a job's whole story; a JSON line (JSON Lines: one
 * object a line, valid UTF-8) has the fields known of the event.  Lines
 * below the configured level (--log-level: debug, info, warning, error) are
 * not written.
 *
 * When stderr is the systemd journal's stream (JOURNAL_STREAM names its
 * device and inode, as systemd.exec(5) says), each line starts with its
 * syslog priority, <3> error, <4> warning, <6> info, <7> debug, which the
 * journal takes as the entry's priority and strips; a text line then has no
 * time of its own, the journal's being the one shown.
 */
#ifndef FFRTMP_WORKER_LOG_H
#define FFRTMP_WORKER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* In order of severity: a level lets through itself and the ones after it. */
typedef enum WorkerLogLevel
{
	WLOG_DEBUG, WLOG_INFO, WLOG_WARNING, WLOG_ERROR
} WorkerLogLevel;

typedef enum WorkerLogFormat
{
	WLOG_FORMAT_TEXT, WLOG_FORMAT_JSON
} WorkerLogFormat;

extern void worker_log(WorkerLogLevel level, const char *format,...)
			__attribute__((format(printf, 2, 3)));

/* An event about one job: tenant may be NULL when it is not known. */
extern void worker_log_job(WorkerLogLevel level, int64_t job_id, const char *tenant,
						   const char *format,...)
			__attribute__((format(printf, 4, 5)));

/* An event about one attempt of a job: a JSON line also carries the attempt. */
extern void worker_log_attempt(WorkerLogLevel level, int64_t job_id, const char *tenant, int attempt,
							   const char *format,...)
			__attribute__((format(printf, 5, 6)));

/*
 * The level and format from now on; also looks whether stderr is the
 * journal.  Until it is called: info, text, no journal (ffrtmp-transcode).
 * A job's process inherits the daemon's settings.
 */
extern void worker_log_configure(WorkerLogLevel min_level, WorkerLogFormat format);

/* The node's name, for JSON lines' "node" field; NULL: none. */
extern void worker_log_set_node(const char *node);

/* Whether a line at level would be written (to skip work for a debug line). */
extern bool worker_log_enabled(WorkerLogLevel level);

/* "debug"... and back; the parse returns -1 for an unknown name. */
extern const char *worker_log_level_name(WorkerLogLevel level);
extern int	worker_log_parse_level(const char *name, WorkerLogLevel *level);
extern int	worker_log_parse_format(const char *name, WorkerLogFormat *format);

/*
 * Whether JOURNAL_STREAM ("<device>:<inode>", decimal) names the file
 * descriptor fd: then fd writes to the journal.
 */
extern bool worker_log_is_journal(int fd, const char *journal_stream);

/* One line, as worker_log_format_line() writes it (exposed for the tests). */
typedef struct WorkerLogLine
{
	struct timespec time;
	WorkerLogLevel level;
	WorkerLogFormat format;
	bool		journal;		/* priority prefix; a text line without its time */
	const char *node;			/* NULL: not known */
	int64_t		job_id;			/* 0: not about a job */
	const char *tenant;			/* NULL: not known */
	int			attempt;		/* 0: not known */
	const char *message;
} WorkerLogLine;

/*
 * Writes the line, with its newline, into buf (NUL-terminated) and returns
 * its length.  The message's runs of white space (newlines, tabs) become one
 * space, so that every event is one line; a JSON line's strings are escaped
 * and their bytes that are not UTF-8 written as '?'.  A line longer than
 * size - 1 is cut, its newline kept (a JSON line is then cut in its message,
 * still a whole object).
 */
extern size_t worker_log_format_line(char *buf, size_t size, const WorkerLogLine *line);

/*
 * Where lines about a job go besides stderr: the job's log in the database
 * (job_log.h).  The tap gets the message as formatted, without the time,
 * level and job prefixes, at levels info and above whatever --log-level
 * says: a tenant's job log does not depend on how the operator logs.  NULL:
 * nowhere.  A job's process and the daemon each set their own.
 */
typedef void (*WorkerLogTap) (WorkerLogLevel level, int64_t job_id, const char *message);
extern void worker_log_set_tap(WorkerLogTap tap);

#endif
