/*
 * Errors for people: the server's own words (message, DETAIL, HINT) and its
 * SQLSTATE, which scripts and the docs' tables key on (docs/errors.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
label(cli_ctx *ctx, const char *what)
{
	if (ctx != NULL && ctx->err_colour)
		fprintf(stderr, "\033[1;31m%s\033[0m", what);
	else
		fputs(what, stderr);
}

void
cli_error(cli_ctx *ctx, const char *fmt,...)
{
	va_list		ap;

	fputs("ffrtmp: ", stderr);
	label(ctx, "error:");
	fputc(' ', stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The hint for a database without the extension, or NULL: the server says
 * only that schema "ffrtmp" (3F000) or a function ffrtmp.* (42883) does not
 * exist, which reads like a bug of the client when the user merely
 * connected to another database.  The words are matched as the server
 * quotes the names, whatever the language of its messages.
 */
const char *
cli_extension_hint(const char *sqlstate, const char *message)
{
	if (sqlstate == NULL || message == NULL)
		return NULL;
	if ((strcmp(sqlstate, "3F000") == 0 && strstr(message, "\"ffrtmp\"") != NULL) ||
		(strcmp(sqlstate, "42883") == 0 && strstr(message, "ffrtmp.") != NULL))
		return "connect to the database where the extension is installed (ffrtmp.database), "
			"e.g. --dsn 'dbname=video' or PGDATABASE.";
	return NULL;
}

static void
field(cli_ctx *ctx, const char *name, const char *value)
{
	if (value == NULL)
		return;
	fputs(name, stderr);
	cli_put_text(ctx, stderr, value, CLI_TEXT_LINES);
	fputc('\n', stderr);
}

void
cli_print_server_error(cli_ctx *ctx, const PGresult *res)
{
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	/* A result without fields: libpq's own failure (a lost connection). */
	if (message == NULL)
	{
		cli_error(ctx, "%s", PQresultErrorMessage(res));
		return;
	}
	/* A message, DETAIL or HINT may quote a stored text: escaped as on stdout. */
	fputs("ffrtmp: ", stderr);
	label(ctx, "error:");
	fputc(' ', stderr);
	cli_put_text(ctx, stderr, message, CLI_TEXT_LINES);
	fputc('\n', stderr);
	field(ctx, "DETAIL: ", detail);
	field(ctx, "HINT: ", hint);
	field(ctx, "HINT: ", cli_extension_hint(sqlstate, message));
	if (sqlstate != NULL)
		fprintf(stderr, "SQLSTATE: %s\n", sqlstate);
}
