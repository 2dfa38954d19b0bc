/*
 * ffrtmp import: `ffrtmp import sqlite <master.db> [--dry-run]`, the
 * importer from the original system's SQLite store (import_sqlite.c), run
 * in the command's connection and transaction like every command: --dsn,
 * the PG* variables and --api-key work as for the others.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "import_sqlite.h"

static int	run_sqlite(cli_ctx *ctx, int argc, char **argv);

static const cli_command commands[] = {
	{"sqlite", "import the original system's master.db",
		"ffrtmp import sqlite <master.db> [--dry-run]\n\n"
		"Reads the original Go system's SQLite store (opened read-only) and creates\n"
		"the same tenants, plans and quotas (ffrtmp.create_tenant, update_tenant) and\n"
		"its finished jobs (ffrtmp.import_job) in ffrtmp; administrators.  A second\n"
		"run changes nothing.  The jobs go to --tenant's tenant, else \"default\".\n"
		"Prints what was imported and what could not be mapped, with the reason\n"
		"(--output=json: one JSON document, its fields in docs/cli.md).  The store\n"
		"is read in one read transaction: one snapshot while the master writes.\n"
		"  --dry-run            run the same statements and roll them back\n"
		"Exit status: 0 done, 1 the server refused something (the rest is\n"
		"committed), 2 the file is not a readable SQLite database, 3 cannot connect.\n",
	run_sqlite},
	{NULL}
};

const cli_group cli_import_group = {"import", "import another system's state", commands, false};

static int
run_sqlite(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL}};
	bool		dry_run = false;
	int			c;
	int			status;
	int			rc;

	while ((c = cli_getopt(argc, argv, opts, &commands[0])) != -1)
	{
		if (c != 'n')
			return CLI_USAGE;
		dry_run = true;
	}
	if (optind >= argc)
		return cli_usage_error(&commands[0], "name the SQLite file (master.db)");
	if (optind + 1 < argc)
		return cli_usage_error(&commands[0], "unexpected argument \"%s\"", argv[optind + 1]);
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;
	rc = cli_import_sqlite(ctx->conn, argv[optind], dry_run, ctx->format == CLI_JSON,
						   ctx->tenant != NULL ? ctx->tenant : "default", stdout);

	/*
	 * What the server refused was rolled back alone (a savepoint each), and
	 * a dry run or a failed import rolled its own savepoint back: the rest
	 * is committed whatever the outcome.
	 */
	status = cli_disconnect(ctx, CLI_OK);
	return rc != IMPORT_OK ? rc : status;
}
