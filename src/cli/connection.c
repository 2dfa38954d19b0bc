/*
 * The connection and the command's one transaction.  libpq reads the
 * PG* variables, the service file and ~/.pgpass by itself; --dsn is passed
 * as its dbname, which libpq expands when it is a conninfo string or URI.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define TEXTOID 25				/* pg_type.h, a server header */

/*
 * True when --dsn is a conninfo string or URI that libpq cannot parse: its
 * error then quotes the URI whole, or a token or key of it, which may be
 * (part of) the password.  A parsed one's errors quote hosts, users and
 * databases only.
 */
static bool
unparsable_dsn(const char *dsn)
{
	PQconninfoOption *opts;
	char	   *err = NULL;

	if (dsn == NULL || (strchr(dsn, '=') == NULL && strstr(dsn, "://") == NULL))
		return false;
	opts = PQconninfoParse(dsn, &err);
	PQconninfoFree(opts);
	PQfreemem(err);
	return opts == NULL;
}

/*
 * libpq's reason why it cannot connect, on one line; of an unparsable
 * --dsn, every quoted part of it is shown as "...".
 */
static void
connect_error(cli_ctx *ctx, const char *msg)
{
	char		reason[512];
	size_t		n = 0;
	bool		mask = unparsable_dsn(ctx->dsn);

	for (const char *s = msg; *s != '\0' && *s != '\n' && n + 6 < sizeof(reason);)
	{
		const char *end = *s == '"' ? strchr(s + 1, '"') : NULL;

		if (mask && end != NULL && end - s > 1
			&& memmem(ctx->dsn, strlen(ctx->dsn), s + 1, end - s - 1) != NULL)
		{
			memcpy(reason + n, "\"...\"", 5);
			n += 5;
			s = end + 1;
		}
		else
			reason[n++] = *s++;
	}
	reason[n] = '\0';
	cli_error(ctx, "cannot connect: %s", reason);
}

int
cli_connect(cli_ctx *ctx)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *values[] = {ctx->dsn, "ffrtmp", NULL};

	/*
	 * --api-key= with nothing after it is most likely a variable that was
	 * not set: acting without a key (as the login role) would be a surprise.
	 */
	if (ctx->api_key != NULL && ctx->api_key[0] == '\0')
		return cli_usage_error(NULL, "--api-key is empty (leave it out to act as the login role)");
	ctx->conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(ctx->conn) != CONNECTION_OK)
	{
		connect_error(ctx, PQerrorMessage(ctx->conn));
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
	/* A statement that failed because the connection was lost: no connection, not refused. */
	if (status != CLI_OK && PQstatus(ctx->conn) == CONNECTION_BAD)
		status = CLI_NO_CONNECTION;
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
