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

#include "import_report.h"

/*
 * A SQL fragment of the store's queries: ", column" when the column holds a
 * BLOB, which the original never writes and json_object() cannot take.
 * substr(BLOB(a) BLOB(b) '', 3) lists a row's BLOB columns, '' for none.
 */
#define BLOB(c) "iif(typeof(" c ") = 'blob', ', " c "', '') || "

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
 * ffrtmp.import_job, each in its own savepoint, reporting to r what was
 * not imported and why.  False when the table cannot be read.
 */
bool		import_jobs(ImportReport *r, sqlite3 *db, const char *tenant, ImportJobCounts *n);

/*
 * The name (names[i] for column i of st, NULL for a column not checked) of
 * the first of n text columns that holds a NUL byte, else NULL: C strings
 * would end at the NUL and the value be taken for another ("nulco\0evil"
 * for the tenant nulco), so such a row is not imported.
 */
const char *import_column_with_nul(sqlite3_stmt *st, const char *const *names, int n);

/*
 * Whether s (not NULL) is written as the original writes a time: RFC 3339
 * or Go's database/sql text, both beginning with the year (YYYY-).  Any
 * other text would reach PostgreSQL's timestamptz input, which also takes
 * the words now, today, epoch, infinity...: the import's moment or no time.
 */
bool		import_is_time(const char *s);

#endif
