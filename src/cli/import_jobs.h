/*
 * import_jobs.h: the job history part of `ffrtmp import sqlite`
 * (import_jobs.c), called by import_sqlite.c inside its transaction.
 */
#ifndef FFRTMP_CLI_IMPORT_JOBS_H
#define FFRTMP_CLI_IMPORT_JOBS_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>
#include <sqlite3.h>

/* What became of the store's jobs. */
typedef struct ImportJobCounts
{
	long long	imported;		/* created in ffrtmp now */
	long long	existing;		/* imported by an earlier run: unchanged */
	long long	unfinished;		/* not finished in the store: not imported */
	long long	unknown;		/* a status the original does not have: not imported */
	long long	unmappable;		/* a cell that cannot be read (a BLOB, a retry_count that is no count) */
	long long	refused;		/* refused by the server */
	long long	past_retention; /* imported now, finished before ffrtmp.retention: pruned soon */
	char		retention[32];	/* ffrtmp.retention as the server shows it */
} ImportJobCounts;

/*
 * Imports the finished jobs of db's jobs table for tenant through
 * ffrtmp.import_job, each in its own savepoint, reporting to out what was
 * not imported and why.  False when the table cannot be read.
 */
bool		import_jobs(PGconn *conn, sqlite3 *db, const char *tenant, FILE *out, ImportJobCounts *n);

/*
 * fprintf that shows every character of the formatted text through the
 * CLI's one escaping function (cli_put_text): the values come from the
 * store or the server, and a control character in them must not reach the
 * terminal raw.  The formats themselves are plain text and newlines.
 */
void		import_printf(PGconn *conn, FILE *out, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* "ffrtmp: error: " and the formatted text, escaped as import_printf does, on stderr. */
void		import_error(PGconn *conn, const char *fmt,...) __attribute__((format(printf, 2, 3)));

#endif
