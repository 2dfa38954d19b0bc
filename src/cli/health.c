/*
 * ffrtmp health: the service's health as ffrtmp.health() reports it (the
 * scheduler's leader, queue depth, nodes online, ...).
 */
#include <getopt.h>

#include "cli.h"

static int	run_health(cli_ctx *ctx, int argc, char **argv);

static const cli_command commands[] = {
	{"health", "the service's health (ffrtmp.health())",
		"ffrtmp health\n\n"
		"Shows ffrtmp.health(): the scheduler's leader and last pass, queue depth,\n"
		"nodes online, unrunnable jobs, dispatch pauses, whether the database is\n"
		"writable.  JSON: the function's object as it returns it.\n",
	run_health},
	{NULL}
};

const cli_group cli_health_group = {"health", "the service's health", commands, true};

static int
run_health(cli_ctx *ctx, int argc, char **argv)
{
	int			c;
	int			status;
	PGresult   *res;

	while ((c = cli_getopt(argc, argv, NULL, &commands[0])) != -1)
		return CLI_USAGE;
	if (optind < argc)
		return cli_usage_error(&commands[0], "unexpected argument \"%s\"", argv[optind]);
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;
	if (ctx->format == CLI_TABLE)
		return cli_show_rows(ctx, "SELECT key, value FROM pg_catalog.jsonb_each(ffrtmp.health())", 0, NULL, NULL);
	res = cli_exec(ctx, "SELECT ffrtmp.health()", 0, NULL);
	if (res == NULL)
		return CLI_REFUSED;
	cli_print_json(ctx, res);
	PQclear(res);
	return CLI_OK;
}
