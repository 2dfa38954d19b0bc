/*
 * A call of an SQL API function with named arguments, of which only those
 * given are written, so that every argument left out takes the function's
 * own default (the tool never repeats a default, nor sends NULL for one).
 * Only constant names and casts are written into the statement; every
 * value is a parameter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *
cli_call(const char *select, const char *function, const cli_arg *args, int nargs,
		 const char **params, int *nparams)
{
	size_t		len = strlen(select) + strlen(function) + 32;
	char	   *sql;
	char	   *p;

	for (int i = 0; i < nargs; i++)
		len += strlen(args[i].name) + strlen(args[i].cast) + 16;
	if ((sql = malloc(len)) == NULL)
		return NULL;
	p = sql + sprintf(sql, "%s ffrtmp.%s(", select, function);
	*nparams = 0;
	for (int i = 0; i < nargs && *nparams < CLI_MAX_PARAMS; i++)
	{
		if (args[i].value == NULL)
			continue;
		params[*nparams] = args[i].value;
		p += sprintf(p, "%s%s => $%d%s%s", *nparams > 0 ? ", " : "", args[i].name, *nparams + 1,
					 args[i].cast[0] != '\0' ? "::" : "", args[i].cast);
		(*nparams)++;
	}
	strcpy(p, ")");
	return sql;
}

int
cli_call_show(cli_ctx *ctx, bool rows, const char *function, const cli_arg *args, int nargs,
			  const char *const *columns)
{
	const char *params[CLI_MAX_PARAMS];
	int			nparams;
	char	   *sql = cli_call("SELECT * FROM", function, args, nargs, params, &nparams);
	int			status;

	if (sql == NULL)
	{
		cli_error(ctx, "out of memory");
		return CLI_REFUSED;
	}
	status = rows ? cli_show_rows(ctx, sql, nparams, params, columns)
		: cli_show_one(ctx, sql, nparams, params);
	free(sql);
	return status;
}
