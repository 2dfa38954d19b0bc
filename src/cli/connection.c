/*
 * The connection and the command's one transaction.  libpq reads the
 * PG* variables, the service file and ~/.pgpass by itself; --dsn is passed
 * as its dbname, which libpq expands when it is a conninfo string or URI.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define TEXTOID 25				/* pg_type.h, a server header */

int
cli_connect(cli_ctx *ctx)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {ctx->dsn, "ffrtmp", NULL};

	ctx->conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(ctx->conn) != CONNECTION_OK)
	{
		const char *msg = PQerrorMessage(ctx->conn);

		cli_error(ctx, "cannot connect: %.*s", (int) strcspn(msg, "\n"), msg);
		fputs("HINT: Check --dsn or the PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER).\n", stderr);
		PQfinish(ctx->conn);
		ctx->conn = NULL;
		return CLI_NO_CONNECTION;
	}
	return cli_begin(ctx);
}

int
cli_begin(cli_ctx *ctx)
{
	PGresult   *res = PQexec(ctx->conn, "BEGIN");

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		cli_print_server_error(ctx, res);
		PQclear(res);
		return CLI_NO_CONNECTION;
	}
	PQclear(res);
	if (ctx->api_key != NULL)
	{
		/* authenticate() covers this transaction only: each one asks again. */
		const char *params[] = {ctx->api_key};

		res = cli_exec(ctx, "SELECT ffrtmp.authenticate($1)", 1, params);
		if (res == NULL)
			return CLI_REFUSED;
		PQclear(res);
	}
	return CLI_OK;
}

int
cli_commit(cli_ctx *ctx)
{
	/* A COMMIT can still fail (a deferred check): the command did not happen. */
	PGresult   *res = PQexec(ctx->conn, "COMMIT");
	int			status = CLI_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		cli_print_server_error(ctx, res);
		status = PQstatus(ctx->conn) == CONNECTION_OK ? CLI_REFUSED : CLI_NO_CONNECTION;
	}
	PQclear(res);
	return status;
}

int
cli_disconnect(cli_ctx *ctx, int status)
{
	if (ctx->conn == NULL)
		return status;
	if (status == CLI_OK)
		status = cli_commit(ctx);
	PQfinish(ctx->conn);		/* an open transaction is rolled back */
	ctx->conn = NULL;
	return status;
}

PGresult *
cli_exec(cli_ctx *ctx, const char *sql, int nparams, const char *const *params)
{
	/*
	 * Every parameter is sent as text (so that a statement may leave one
	 * unused); the SQL casts where it needs another type.
	 */
	Oid			types[CLI_MAX_PARAMS];
	PGresult   *res;

	for (int i = 0; i < nparams && i < CLI_MAX_PARAMS; i++)
		types[i] = TEXTOID;
	res = PQexecParams(ctx->conn, sql, nparams, types, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	cli_print_server_error(ctx, res);
	PQclear(res);
	return NULL;
}
