/*
 * worker_log.h: ffrtmp-worker's log, one line per event on stderr:
 *
 *   2025-01-31T12:00:00.123Z info job=42 tenant=6f1c... started attempt 1
 *
 * job= and tenant= appear only when the event is about a job, so that
 * `grep job=42` finds a job's whole story.  Under systemd the lines go to
 * the journal as they are.
 */
#ifndef FFRTMP_WORKER_LOG_H
#define FFRTMP_WORKER_LOG_H

#include <stdint.h>

typedef enum WorkerLogLevel
{
	WLOG_INFO, WLOG_WARNING, WLOG_ERROR
} WorkerLogLevel;

extern void worker_log(WorkerLogLevel level, const char *format,...)
			__attribute__((format(printf, 2, 3)));

/* An event about one job: tenant may be NULL when it is not known. */
extern void worker_log_job(WorkerLogLevel level, int64_t job_id, const char *tenant,
						   const char *format,...)
			__attribute__((format(printf, 4, 5)));

/*
 * Where lines about a job go besides stderr: the job's log in the database
 * (job_log.h).  The tap gets the message as formatted, without the time,
 * level and job prefixes; NULL: nowhere.  A job's process and the daemon
 * each set their own.
 */
typedef void (*WorkerLogTap) (WorkerLogLevel level, int64_t job_id, const char *message);
extern void worker_log_set_tap(WorkerLogTap tap);

#endif
