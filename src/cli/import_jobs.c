/*
 * import_jobs.c: the original system's finished jobs as ffrtmp job history,
 * one ffrtmp.import_job call each (docs/cli.md, "Importing from the original
 * system").  The original's jobs table (shared/pkg/store/sqlite.go) and its
 * Job model (shared/pkg/models/job.go) at commit 913e7d8e decide the
 * mapping:
 *   id                 the import's key: ffrtmp keeps it as 'import:' || id,
 *                      so that a second run finds the job and changes nothing;
 *   status             completed, failed, timed_out, canceled and rejected
 *                      are final in both systems and keep their name; queued,
 *                      assigned, running, retrying and the legacy pending,
 *                      processing and paused are not finished: reported;
 *   parameters.input   the input: a URL as is, an absolute path as file://,
 *                      none (the original's worker generated one from the
 *                      scenario) as testsrc://;
 *   parameters.output  the output when it is an rtmp(s):// URL; a path on the
 *                      original's worker means nothing here: none;
 *   queue, priority    the same words (live/default/batch, high/medium/low);
 *   created_at, started_at, completed_at (else last_activity_at)  the times;
 *   retry_count        attempt = retry_count + 1, when it is a whole number
 *                      import_job's attempt can be one more of, else the
 *                      job is reported and skipped;
 *   a BLOB in any of these  the row is reported and skipped;
 *   failure_reason, error  the same (its reasons are ffrtmp's too);
 *   scenario, confidence, engine, parameters, node_id, progress,
 *   max_retries, retry_reason, state_transitions  no ffrtmp field means the
 *                      same: kept whole as the job's result.original;
 *   logs               not imported: no SQL API takes a finished job's log.
 */
#include "import_jobs.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The original's statuses of jobs that have not finished (models/fsm.go, job.go). */
static const char *const unfinished[] = {
	"queued", "assigned", "running", "retrying", "pending", "processing", "paused", NULL
};
static const char *const final[] = {
	"completed", "failed", "timed_out", "canceled", "rejected", NULL
};

static bool
in(const char *s, const char *const *list)
{
	for (int i = 0; s != NULL && list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static const char *
text(sqlite3_stmt *st, int i)
{
	return (const char *) sqlite3_column_text(st, i);
}

const char *
import_column_with_nul(sqlite3_stmt *st, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
	{
		const unsigned char *s;

		if (names[i] == NULL || (s = sqlite3_column_text(st, i)) == NULL)
			continue;
		/* Bytes after sqlite3_column_text: the length of the text itself. */
		if ((size_t) sqlite3_column_bytes(st, i) != strlen((const char *) s))
			return names[i];
	}
	return NULL;
}

bool
import_is_time(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[4] == '-';
}

/* The input URL of a job (malloc'd): see the mapping above. */
static char *
input_url(const char *input)
{
	static const char hex[] = "0123456789ABCDEF";
	char	   *url;
	char	   *o;

	if (input == NULL || input[0] == '\0')
		return strdup("testsrc://");
	if (strstr(input, "://") != NULL || input[0] != '/')
		return strdup(input);
	/* file:// with the path percent-encoded where a URL needs it. */
	if ((url = malloc(strlen("file://") + 3 * strlen(input) + 1)) == NULL)
		return NULL;
	o = url + sprintf(url, "file://");
	for (const unsigned char *c = (const unsigned char *) input; *c; c++)
	{
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("/-._~", *c))
			*o++ = *c;
		else
		{
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	*o = '\0';
	return url;
}

/*
 * The attempt import_job takes (1 or more, an integer) from retry_count, or
 * false when retry_count is not a whole number in that range: an INTEGER
 * cell, NULL meaning none recorded.  Text, a fraction or a number past the
 * bound is no count, and guessing one would write a wrong history.
 */
static bool
attempt_of(sqlite3_stmt *st, int i, char *attempt, size_t size)
{
	long long	retries = 0;

	if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
		retries = sqlite3_column_int64(st, i);
	else if (sqlite3_column_type(st, i) != SQLITE_NULL)
		return false;
	if (retries < 0 || retries > INT_MAX - 1)
		return false;
	snprintf(attempt, size, "%lld", retries + 1);
	return true;
}

static bool
command(PGconn *conn, const char *sql)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		import_error(conn, "%s", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/*
 * One finished job, in a savepoint so that a refusal leaves the others.
 * Returns false when the server refused the caller itself (42501): the
 * other jobs would be refused alike.
 */
static bool
import_one(ImportReport *r, sqlite3_stmt *st, const char *tenant, ImportJobCounts *n)
{
	PGconn	   *conn = r->conn;
	const char *queue = text(st, 4);
	const char *priority = text(st, 5);
	char		attempt[24];
	char	   *input = input_url(text(st, 2));
	const char *output = text(st, 3);
	const char *params[14];
	PGresult   *res;
	bool		allowed = true;

	/* The store's names of the columns read (finished_at: completed_at or the last activity). */
	static const char *const names[] = {"id", "status", "parameters", "parameters", "queue", "priority",
		"created_at", "started_at", "completed_at", "retry_count", "failure_reason", "error"};
	const char *nul = import_column_with_nul(st, names, sizeof(names) / sizeof(names[0]));

	for (int i = 6; nul == NULL && i <= 8; i++)
		if (text(st, i) != NULL && !import_is_time(text(st, i)))
		{
			report_not_imported(r, "job", text(st, 0), "%s \"%s\" is not a time as the original writes one "
								"(RFC 3339: 2025-12-03T10:00:00Z)", names[i], text(st, i));
			free(input);
			n->unmappable++;
			return true;
		}
	if (nul != NULL)
	{
		report_not_imported(r, "job", text(st, 0), "%s holds a NUL byte, which no text of the original has", nul);
		free(input);
		n->unmappable++;
		return true;
	}
	if (!attempt_of(st, 9, attempt, sizeof(attempt)))
	{
		report_not_imported(r, "job", text(st, 0), "retry_count \"%s\" is not a count (a whole number from 0 to %d)",
							text(st, 9) ? text(st, 9) : "", INT_MAX - 1);
		free(input);
		n->unmappable++;
		return true;
	}
	if (queue != NULL && strcmp(queue, "live") != 0 && strcmp(queue, "default") != 0 && strcmp(queue, "batch") != 0)
	{
		report_adjusted(r, "job", text(st, 0), "queue \"%s\" is not live, default or batch: imported in default", queue);
		queue = NULL;
	}
	if (priority != NULL && strcmp(priority, "high") != 0 && strcmp(priority, "medium") != 0 && strcmp(priority, "low") != 0)
	{
		report_adjusted(r, "job", text(st, 0), "priority \"%s\" is not high, medium or low: imported as medium", priority);
		priority = NULL;
	}
	if (output != NULL && strncmp(output, "rtmp://", 7) != 0 && strncmp(output, "rtmps://", 8) != 0)
		output = NULL;
	params[0] = text(st, 0);	/* original_id */
	params[1] = text(st, 1);	/* state */
	params[2] = input;
	params[3] = text(st, 6);	/* created_at */
	params[4] = text(st, 8);	/* finished_at */
	params[5] = tenant;
	params[6] = text(st, 7);	/* started_at */
	params[7] = output;
	params[8] = queue ? queue : "default";
	params[9] = priority ? priority : "medium";
	params[10] = attempt;
	params[11] = text(st, 10) && text(st, 10)[0] ? text(st, 10) : NULL; /* failure_reason */
	params[12] = text(st, 11) && text(st, 11)[0] ? text(st, 11) : NULL; /* error */
	params[13] = text(st, 12);	/* original */

	if (input == NULL || !command(conn, "SAVEPOINT ffrtmp_import_job"))
	{
		free(input);
		n->refused++;
		return true;
	}
	/* How old the job is against the pruning's retention, for one warning. */
	res = PQexecParams(conn, "SELECT imported, "
					   "coalesce($5::timestamptz < now() - current_setting('ffrtmp.retention', true)::interval, false), "
					   "current_setting('ffrtmp.retention', true) FROM ffrtmp.import_job(original_id => $1, state => $2, "
					   "input_url => $3, created_at => $4::timestamptz, finished_at => $5::timestamptz, "
					   "tenant => $6, started_at => $7::timestamptz, output_url => $8, queue => $9, "
					   "priority => $10::ffrtmp.priority, attempt => $11::integer, failure_reason => $12, "
					   "error => $13, original => $14::jsonb)", 14, NULL, params, NULL, NULL, 0);
	free(input);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		{
			n->imported++;
			if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
				n->past_retention++;
			snprintf(n->retention, sizeof(n->retention), "%s", PQgetvalue(res, 0, 2));
		}
		else
			n->existing++;
	}
	else
	{
		report_refused(r, "job", params[0], res);
		n->refused++;
		allowed = strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE) ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "", "42501") != 0;
		command(conn, "ROLLBACK TO SAVEPOINT ffrtmp_import_job");
	}
	PQclear(res);
	command(conn, "RELEASE SAVEPOINT ffrtmp_import_job");
	return allowed;
}

bool
import_jobs(ImportReport *r, sqlite3 *db, const char *tenant, ImportJobCounts *n)
{
	PGconn	   *conn = r->conn;
	sqlite3_stmt *st;
	long long	with_logs = 0;
	long long	not_tried = 0;
	bool		allowed = true;
	int			rc;

	/*
	 * Malformed JSON is kept as text: json() would fail the whole statement.
	 * So would a BLOB in json_object(): a row with one is named in blobs and
	 * reported alone, its JSON not built.
	 */
	rc = sqlite3_prepare_v2(db,
							"SELECT id, status, "
							"  CASE WHEN blobs <> '' THEN NULL WHEN json_valid(parameters) THEN json_extract(parameters, '$.input') END, "
							"  CASE WHEN blobs <> '' THEN NULL WHEN json_valid(parameters) THEN json_extract(parameters, '$.output') END, "
							"  nullif(queue, ''), nullif(priority, ''), created_at, nullif(started_at, ''), "
							"  coalesce(nullif(completed_at, ''), nullif(last_activity_at, ''), nullif(started_at, ''), created_at), "
							"  retry_count, failure_reason, error, "
							"  CASE WHEN blobs = '' THEN json_object('id', id, 'sequence_number', sequence_number, 'scenario', scenario, "
							"    'confidence', confidence, 'engine', engine, "
							"    'parameters', CASE WHEN json_valid(parameters) THEN json(parameters) ELSE parameters END, "
							"    'node_id', node_id, 'progress', progress, 'max_retries', max_retries, "
							"    'retry_reason', retry_reason, 'state_transitions', "
							"    CASE WHEN json_valid(state_transitions) THEN json(state_transitions) ELSE state_transitions END) END, "
							"  coalesce(logs, '') <> '', blobs "
							"FROM (SELECT *, substr(" BLOB("id") BLOB("sequence_number") BLOB("scenario") BLOB("confidence")
							BLOB("engine") BLOB("parameters") BLOB("status") BLOB("queue") BLOB("priority") BLOB("progress")
							BLOB("node_id") BLOB("created_at") BLOB("started_at") BLOB("last_activity_at") BLOB("completed_at")
							BLOB("retry_count") BLOB("max_retries") BLOB("retry_reason") BLOB("error") BLOB("failure_reason")
							BLOB("state_transitions") "'', 3) AS blobs FROM jobs) "
							"ORDER BY sequence_number, id", -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		import_error(conn, "cannot read the jobs table: %s", sqlite3_errmsg(db));
		return false;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		const char *status = text(st, 1);

		if (text(st, 14)[0] != '\0')
		{
			report_not_imported(r, "job", text(st, 0), "%s %s a BLOB (binary), not the original's text or number",
								text(st, 14), strchr(text(st, 14), ',') ? "hold" : "holds");
			n->unmappable++;
		}
		else if (in(status, final) && !allowed)
			not_tried++;
		else if (in(status, final))
		{
			allowed = import_one(r, st, tenant, n);
			with_logs += sqlite3_column_int(st, 13);
		}
		else if (in(status, unfinished))
		{
			report_not_imported(r, "job", text(st, 0), "%s, not finished (submit it to ffrtmp if it should still run)", status);
			n->unfinished++;
		}
		else
		{
			report_not_imported(r, "job", text(st, 0), "status \"%s\" is not a status of the original system",
								status ? status : "");
			n->unknown++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
	{
		import_error(conn, "cannot read the jobs table: %s", sqlite3_errmsg(db));
		return false;
	}
	if (not_tried > 0)
		report_note(r, "jobs: %lld more not tried: the server refused the caller (above)\n", not_tried);
	n->refused += not_tried;
	if (n->imported + n->existing > 0)
		report_note(r, "jobs: scenario, confidence, engine, parameters, node, progress, retries and state transitions "
				"kept as each job's result.original: no ffrtmp field means the same\n");
	if (with_logs > 0)
		report_note(r, "jobs: the logs of %lld %s not imported: no SQL API takes a finished job's log\n",
					  with_logs, with_logs == 1 ? "job" : "jobs");
	if (n->past_retention > 0)
		report_note(r, "jobs: %lld imported %s older than the retention of %s (ffrtmp.retention) "
					  "and will be pruned by the next pass\n", n->past_retention,
					  n->past_retention == 1 ? "job is" : "jobs are", n->retention);
	return true;
}
