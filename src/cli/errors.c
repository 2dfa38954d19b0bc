/*
 * Errors for people: the server's own words (message, DETAIL, HINT) and its
 * SQLSTATE, which scripts and the docs' tables key on (docs/errors.md).
 */
#include <stdarg.h>
#include <stdio.h>

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
	if (sqlstate != NULL)
		fprintf(stderr, "SQLSTATE: %s\n", sqlstate);
}
