/*
 * ffrtmp nodes: list, get, drain, remove; the nodes view and the SQL
 * functions of the same name (docs/sql-reference.md).  A node is its id.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_get(cli_ctx *ctx, int argc, char **argv);
static int	run_drain(cli_ctx *ctx, int argc, char **argv);
static int	run_remove(cli_ctx *ctx, int argc, char **argv);

enum
{
	C_LIST, C_GET, C_DRAIN, C_REMOVE
};

static const cli_command commands[] = {
	[C_LIST] = {"list", "list the worker nodes the caller may see",
		"ffrtmp nodes list [--tenant=T]\n\n"
		"Lists worker nodes (ffrtmp.nodes): an administrator's all, a tenant's its\n"
		"dedicated ones; with --tenant, that tenant's dedicated nodes (ffrtmp.tenant_nodes).\n",
	run_list},
	[C_GET] = {"get", "show one node",
		"ffrtmp nodes get <id>\n\n"
		"Shows a node (ffrtmp.nodes): its state, capacity, encoders and last heartbeat.\n",
	run_get},
	[C_DRAIN] = {"drain", "stop giving a node new jobs",
		"ffrtmp nodes drain <id>\n\n"
		"Drains a node (ffrtmp.drain_node): the jobs it runs finish, it gets no new\n"
		"ones, and its worker exits when idle.\n",
	run_drain},
	[C_REMOVE] = {"remove", "remove a node that runs no job",
		"ffrtmp nodes remove <id>\n\n"
		"Removes a node that runs no job (ffrtmp.remove_node); drain it first.\n",
	run_remove},
	{NULL}
};

const cli_group cli_nodes_group = {"nodes", "list, inspect, drain and remove worker nodes", commands, false};

static const char *const list_columns[] = {"id", "name", "state", "tenant_id", "cpu_cores", "gpus", "slots",
"last_heartbeat", NULL};

/* Parses <id> (digits: anything else is a usage error) and connects. */
static int
one_node(cli_ctx *ctx, int which, int argc, char **argv, const char **id)
{
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[which], argc, argv, NULL, none, id, 1, 1)) != CLI_OK)
		return status;
	if (strspn(*id, "0123456789") != strlen(*id) || strlen(*id) > 18)
		return cli_usage_error(&commands[which], "a node is its id, not \"%s\"", *id);
	return cli_connect(ctx);
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[C_LIST], argc, argv, NULL, none, none, 0, 0)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	if (ctx->tenant != NULL)
	{
		const char *params[] = {ctx->tenant};

		return cli_show_rows(ctx, "SELECT * FROM ffrtmp.tenant_nodes($1) ORDER BY id", 1, params, list_columns);
	}
	return cli_show_rows(ctx, "SELECT * FROM ffrtmp.nodes ORDER BY id", 0, NULL, list_columns);
}

static int
run_get(cli_ctx *ctx, int argc, char **argv)
{
	const char *id;
	PGresult   *res;
	int			status;

	if ((status = one_node(ctx, C_GET, argc, argv, &id)) != CLI_OK)
		return status;
	/* The view shows only the nodes the caller may see: none is "no such node" for it. */
	if ((res = cli_exec(ctx, "SELECT 1 FROM ffrtmp.nodes WHERE id = $1::bigint", 1, &id)) == NULL)
		return CLI_REFUSED;
	status = PQntuples(res) == 1 ? CLI_OK : CLI_REFUSED;
	PQclear(res);
	if (status != CLI_OK)
	{
		cli_error(ctx, "no node %s the caller may see", id);
		return status;
	}
	return cli_show_one(ctx, "SELECT * FROM ffrtmp.nodes WHERE id = $1::bigint", 1, &id);
}

static int
run_drain(cli_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int			status;

	if ((status = one_node(ctx, C_DRAIN, argc, argv, &id)) != CLI_OK)
		return status;
	return cli_show_one(ctx, "SELECT * FROM ffrtmp.drain_node($1::bigint)", 1, &id);
}

static int
run_remove(cli_ctx *ctx, int argc, char **argv)
{
	const char *id;
	int			status;

	if ((status = one_node(ctx, C_REMOVE, argc, argv, &id)) != CLI_OK)
		return status;
	return cli_show_one(ctx, "SELECT $1::bigint AS id, true AS removed FROM ffrtmp.remove_node($1::bigint)", 1, &id);
}
