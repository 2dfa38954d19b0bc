/*
 * import_sqlite.h: `ffrtmp import sqlite <master.db>`, the importer from the
 * original system's SQLite store (see import_sqlite.c and docs/cli.md).
 */
#ifndef FFRTMP_CLI_IMPORT_SQLITE_H
#define FFRTMP_CLI_IMPORT_SQLITE_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

/* What cli_import_sqlite returns. */
#define IMPORT_OK 0			/* imported, or nothing to do */
#define IMPORT_REFUSED 1	/* the server refused a statement */
#define IMPORT_UNREADABLE 2 /* the file is not a readable SQLite database */

/*
 * Reads the store at path (opened read-only) and creates or updates its
 * tenants, and imports its finished jobs for tenant (import_jobs.c), through
 * the SQL API on conn, in one transaction (a savepoint when conn is already
 * in one, as in the ffrtmp command's, after ffrtmp.authenticate).  dry_run runs the
 * same statements and rolls them back.  Prints a summary to out: what was
 * created, changed or left as it was, and what could not be mapped, each
 * with its reason; json: the same as one JSON document (import_report.c).
 * Errors that stop the import go to stderr.
 */
int			cli_import_sqlite(PGconn *conn, const char *path, bool dry_run, bool json, const char *tenant,
							  FILE *out);

#endif
