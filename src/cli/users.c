/*
 * ffrtmp users: create, list, get, update, delete, disable, restore; each
 * one call of the SQL function of the same name (docs/access-control.md).
 * A user is named by its id; --tenant names the tenant of create and list
 * for an administrator.
 */
#include "cli.h"

#define N_ARGS(a) ((int) (sizeof(a) / sizeof((a)[0])))

enum
{
	C_CREATE, C_LIST, C_GET, C_UPDATE, C_DELETE, C_DISABLE, C_RESTORE
};

static int	run_create(cli_ctx *ctx, int argc, char **argv);
static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_get(cli_ctx *ctx, int argc, char **argv);
static int	run_update(cli_ctx *ctx, int argc, char **argv);
static int	run_delete(cli_ctx *ctx, int argc, char **argv);
static int	run_disable(cli_ctx *ctx, int argc, char **argv);
static int	run_restore(cli_ctx *ctx, int argc, char **argv);

static const cli_command commands[] = {
	[C_CREATE] = {"create", "create a user",
		"ffrtmp users create <email> --role=ROLE [--display-name=TEXT]\n\n"
		"Creates a user of the caller's tenant, or of --tenant for an administrator\n"
		"(ffrtmp.create_user; users.manage).\n"
		"  --role=ROLE          viewer, operator, tenant_admin (superadmin: of no tenant)\n"
		"  --display-name=TEXT  the name shown to people\n",
	run_create},
	[C_LIST] = {"list", "list users",
		"ffrtmp users list [--deleted]\n\n"
		"Lists the users of the caller's tenant, or of --tenant; an administrator\n"
		"without --tenant: every user (ffrtmp.list_users; users.manage).\n"
		"  --deleted            deleted users too\n",
	run_list},
	[C_GET] = {"get", "show one user",
		"ffrtmp users get <user-id>\n\nShows a user (ffrtmp.get_user; users.manage).\n",
	run_get},
	[C_UPDATE] = {"update", "change a user's e-mail, name, role or status",
		"ffrtmp users update <user-id> [--email=EMAIL] [--display-name=TEXT] [--role=ROLE] [--status=STATUS]\n\n"
		"Changes what is given (ffrtmp.update_user; users.manage).\n"
		"  --email=EMAIL        a new e-mail address\n"
		"  --display-name=TEXT  the name shown to people\n"
		"  --role=ROLE          viewer, operator, tenant_admin or superadmin\n"
		"  --status=STATUS      active or disabled\n",
	run_update},
	[C_DELETE] = {"delete", "soft-delete a user",
		"ffrtmp users delete <user-id>\n\n"
		"Soft-deletes a user and revokes its personal keys (ffrtmp.delete_user).\n",
	run_delete},
	[C_DISABLE] = {"disable", "disable a user",
		"ffrtmp users disable <user-id>\n\n"
		"Disables a user until `users update <id> --status=active` (ffrtmp.disable_user).\n",
	run_disable},
	[C_RESTORE] = {"restore", "restore a deleted user",
		"ffrtmp users restore <user-id>\n\nRestores a deleted user (ffrtmp.restore_user).\n",
	run_restore},
	{NULL}
};

const cli_group cli_users_group = {"users", "create, list and change users", commands, false};

static const char *const list_columns[] = {"id", "tenant", "email", "display_name", "role", "status", NULL};

static int
run_create(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"role", CLI_VALUE}, {"display-name", CLI_VALUE}, {NULL}};
	const char *v[2],
			   *pos[1];
	int			st;

	if ((st = cli_parse(&commands[C_CREATE], argc, argv, opts, v, pos, 1, 1)) != CLI_OK)
		return st;
	/* role has no default in create_user's signature. */
	if (v[0] == NULL)
		return cli_usage_error(&commands[C_CREATE], "give the user's --role");
	if ((st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"email", "", pos[0]}, {"role", "", v[0]}, {"tenant", "", ctx->tenant},
		{"display_name", "", v[1]}};

		return cli_call_show(ctx, false, "create_user", args, N_ARGS(args), NULL);
	}
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"deleted", CLI_FLAG}, {NULL}};
	const char *v[1];
	int			st;

	if ((st = cli_parse(&commands[C_LIST], argc, argv, opts, v, NULL, 0, 0)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"tenant", "", ctx->tenant}, {"include_deleted", "boolean", v[0]}};

		return cli_call_show(ctx, true, "list_users", args, N_ARGS(args), list_columns);
	}
}

/* get, delete, disable and restore: one user id in, its row out. */
static int
run_one(cli_ctx *ctx, int which, const char *function, int argc, char **argv)
{
	const char *pos[1];
	int			st;

	if ((st = cli_parse(&commands[which], argc, argv, NULL, NULL, pos, 1, 1)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"user_id", "uuid", pos[0]}};

		return cli_call_show(ctx, false, function, args, 1, NULL);
	}
}

static int
run_get(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_GET, "get_user", argc, argv);
}

static int
run_delete(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_DELETE, "delete_user", argc, argv);
}

static int
run_disable(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_DISABLE, "disable_user", argc, argv);
}

static int
run_restore(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_RESTORE, "restore_user", argc, argv);
}

static int
run_update(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"email", CLI_VALUE}, {"display-name", CLI_VALUE}, {"role", CLI_VALUE},
	{"status", CLI_VALUE}, {NULL}};
	const char *v[4],
			   *pos[1];
	int			st;

	if ((st = cli_parse(&commands[C_UPDATE], argc, argv, opts, v, pos, 1, 1)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"user_id", "uuid", pos[0]}, {"email", "", v[0]}, {"display_name", "", v[1]},
		{"role", "", v[2]}, {"status", "", v[3]}};

		return cli_call_show(ctx, false, "update_user", args, N_ARGS(args), NULL);
	}
}
