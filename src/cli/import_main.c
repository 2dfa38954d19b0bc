/*
 * import_main.c: ffrtmp-import-test, a driver of cli_import_sqlite for the
 * tests (test/t/080_cli_import.pl) until the ffrtmp command calls it as
 * `ffrtmp import sqlite`.  Never installed.
 *
 *   ffrtmp-import-test [--dry-run] [--dsn=CONNINFO] [--api-key=KEY | --in-transaction] MASTER.DB
 *
 * Connects the libpq way (CONNINFO, else the PG* variables).  --api-key runs
 * the import as the ffrtmp command will: BEGIN, ffrtmp.authenticate(KEY),
 * the import, COMMIT; --in-transaction the same without a key, so that the
 * import runs inside a transaction it did not begin.  Exit status as
 * cli_import_sqlite's, 2 for a wrong command line, 3 when it cannot connect.
 */
#include <stdio.h>
#include <string.h>

#include "import_sqlite.h"

/* BEGIN, and authenticate when key is not NULL; false (and why) on failure. */
static bool
begin(PGconn *conn, const char *key)
{
	PGresult   *res = PQexec(conn, "BEGIN");
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	if (ok && key != NULL)
	{
		res = PQexecParams(conn, "SELECT ffrtmp.authenticate($1)", 1, NULL, &key, NULL, NULL, 0);
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
	}
	if (!ok)
		fprintf(stderr, "%s", PQerrorMessage(conn));
	return ok;
}

int
main(int argc, char **argv)
{
	const char *dsn = "";
	const char *path = NULL;
	const char *key = NULL;
	bool		dry_run = false;
	bool		in_transaction = false;
	PGconn	   *conn;
	PGresult   *res;
	int			rc;

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--in-transaction") == 0)
			in_transaction = true;
		else if (strncmp(argv[i], "--dsn=", 6) == 0)
			dsn = argv[i] + 6;
		else if (strncmp(argv[i], "--api-key=", 10) == 0)
			key = argv[i] + 10, in_transaction = true;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (path == NULL)
	{
		fprintf(stderr, "usage: %s [--dry-run] [--dsn=CONNINFO] [--api-key=KEY | --in-transaction] MASTER.DB\n", argv[0]);
		return 2;
	}
	conn = PQconnectdb(dsn);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 3;
	}
	if (in_transaction && !begin(conn, key))
	{
		PQfinish(conn);
		return 1;
	}
	rc = cli_import_sqlite(conn, path, dry_run, stdout);
	if (in_transaction)
	{
		res = PQexec(conn, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			fprintf(stderr, "%s", PQerrorMessage(conn));
			rc = 1;
		}
		PQclear(res);
	}
	PQfinish(conn);
	return rc;
}
