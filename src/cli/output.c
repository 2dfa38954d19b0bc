/*
 * Presenting answers: aligned tables for people, the server's own JSON for
 * scripts.  JSON is built by the server (json_agg, row_to_json) from the
 * same statement the table shows, so that field names are the SQL API's
 * column names and values are exactly the server's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *
cli_bold(cli_ctx *ctx)
{
	return ctx->colour ? "\033[1m" : "";
}

const char *
cli_plain(cli_ctx *ctx)
{
	return ctx->colour ? "\033[0m" : "";
}

/* A table cell: its terminal columns, its text padded to "to" columns. */
static int
width(cli_ctx *ctx, const char *s)
{
	return cli_text_width(ctx, s, CLI_TEXT_CELL);
}

static void
pad(cli_ctx *ctx, const char *s, int to)
{
	cli_put_text(ctx, stdout, s, CLI_TEXT_CELL);
	for (int w = width(ctx, s); w < to; w++)
		putchar(' ');
}

void
cli_print_json(cli_ctx *ctx, const PGresult *res)
{
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		cli_put_json(ctx, stdout, PQgetvalue(res, 0, 0));
	else
		printf("null\n");
}

void
cli_print_table(cli_ctx *ctx, const PGresult *res, const char *const *columns)
{
	int			ncols = 0;
	int			col[64];
	int			w[64];

	/* The columns shown: those named, in that order, else all. */
	for (int i = 0; ncols < 64 && (columns != NULL ? columns[i] != NULL : i < PQnfields(res)); i++)
	{
		int			c = columns != NULL ? PQfnumber(res, columns[i]) : i;

		if (c >= 0)
			col[ncols++] = c;
	}
	for (int j = 0; j < ncols; j++)
	{
		w[j] = width(ctx, PQfname(res, col[j]));
		for (int r = 0; r < PQntuples(res); r++)
		{
			int			vw = width(ctx, PQgetvalue(res, r, col[j]));

			if (vw > w[j])
				w[j] = vw;
		}
	}
	fputs(cli_bold(ctx), stdout);
	for (int j = 0; j < ncols; j++)
		pad(ctx, PQfname(res, col[j]), j + 1 < ncols ? w[j] + 2 : 0);
	printf("%s\n", cli_plain(ctx));
	for (int r = 0; r < PQntuples(res); r++)
	{
		for (int j = 0; j < ncols; j++)
			pad(ctx, PQgetvalue(res, r, col[j]), j + 1 < ncols ? w[j] + 2 : 0);
		putchar('\n');
	}
}

/* One row as "column  value" lines. */
static void
print_vertical(cli_ctx *ctx, const PGresult *res)
{
	int			wn = 0;

	for (int c = 0; c < PQnfields(res); c++)
		if (width(ctx, PQfname(res, c)) > wn)
			wn = width(ctx, PQfname(res, c));
	for (int r = 0; r < PQntuples(res); r++)
	{
		if (r > 0)
			putchar('\n');
		for (int c = 0; c < PQnfields(res); c++)
		{
			fputs(cli_bold(ctx), stdout);
			pad(ctx, PQfname(res, c), wn + 2);
			fputs(cli_plain(ctx), stdout);
			cli_put_text(ctx, stdout, PQgetvalue(res, r, c), CLI_TEXT_LINES);
			putchar('\n');
		}
	}
}

/*
 * Runs sql wrapped in a constant template (the wrapping is the tool's own
 * text; every value stays a parameter).
 */
static PGresult *
exec_wrapped(cli_ctx *ctx, const char *template, const char *sql, int nparams,
			 const char *const *params)
{
	size_t		len = strlen(template) + strlen(sql);
	char	   *full = malloc(len);
	PGresult   *res;

	if (full == NULL)
	{
		cli_error(ctx, "out of memory");
		return NULL;
	}
	snprintf(full, len, template, sql);
	res = cli_exec(ctx, full, nparams, params);
	free(full);
	return res;
}

int
cli_show_rows(cli_ctx *ctx, const char *sql, int nparams, const char *const *params,
			  const char *const *columns)
{
	PGresult   *res;

	if (ctx->format == CLI_JSON)
		res = exec_wrapped(ctx, "SELECT coalesce(pg_catalog.json_agg(r), '[]') FROM (%s) r", sql, nparams, params);
	else
		res = cli_exec(ctx, sql, nparams, params);
	if (res == NULL)
		return CLI_REFUSED;
	if (ctx->format == CLI_JSON)
		cli_print_json(ctx, res);
	else
		cli_print_table(ctx, res, columns);
	PQclear(res);
	return CLI_OK;
}

int
cli_show_one(cli_ctx *ctx, const char *sql, int nparams, const char *const *params)
{
	PGresult   *res;

	if (ctx->format == CLI_JSON)
		res = exec_wrapped(ctx, "SELECT pg_catalog.row_to_json(r) FROM (%s) r", sql, nparams, params);
	else
		res = cli_exec(ctx, sql, nparams, params);
	if (res == NULL)
		return CLI_REFUSED;
	if (ctx->format == CLI_JSON)
		cli_print_json(ctx, res);
	else
		print_vertical(ctx, res);
	PQclear(res);
	return CLI_OK;
}
