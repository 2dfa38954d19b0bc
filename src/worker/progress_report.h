/*
 * progress_report.h: a job's progress report as the heartbeat carries it.
 *
 * A job's process may send anything on its pipe (it reads hostile media),
 * and json-c reads more than PostgreSQL's jsonb takes: NaN and Infinity,
 * \u0000 in a string, bytes that are not UTF-8.  One such report in a
 * heartbeat's progress would make the database refuse the whole heartbeat,
 * every time, until the node looked dead and lost every job it runs.  So a
 * report goes into a heartbeat only if jsonb takes it.
 */
#ifndef FFRTMP_WORKER_PROGRESS_REPORT_H
#define FFRTMP_WORKER_PROGRESS_REPORT_H

#include <json-c/json.h>

/* At most this many bytes of report text (report_progress's bound). */
#define PROGRESS_REPORT_MAX 4096

/*
 * The report parsed, when it is a JSON object of at most PROGRESS_REPORT_MAX
 * bytes whose numbers are finite and whose keys and strings are UTF-8
 * without NUL; else NULL.  The caller owns the object.
 */
extern json_object *progress_report_parse(const char *report);

#endif
