/*
 * ffrtmp keys: create, list, rotate, revoke; each one call of the SQL
 * function (create_api_key, list_api_keys, rotate_api_key, revoke_api_key;
 * docs/access-control.md).  A key's secret is shown once, by create and
 * rotate, as the server returns it.
 */
#include "cli.h"

#define N_ARGS(a) ((int) (sizeof(a) / sizeof((a)[0])))

enum
{
	C_CREATE, C_LIST, C_ROTATE, C_REVOKE
};

static int	run_create(cli_ctx *ctx, int argc, char **argv);
static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_rotate(cli_ctx *ctx, int argc, char **argv);
static int	run_revoke(cli_ctx *ctx, int argc, char **argv);

static const cli_command commands[] = {
	[C_CREATE] = {"create", "create an API key (shown once)",
		"ffrtmp keys create <name> [--user=USER-ID] [--role=ROLE] [--scope=PERMISSION]... [--expires=TIME]\n\n"
		"Creates an API key and prints it once (ffrtmp.create_api_key; keys.manage):\n"
		"a user's key with --user, else a service key of the caller's tenant or of\n"
		"--tenant (administrators).\n"
		"  --user=USER-ID       the user the key acts as\n"
		"  --role=ROLE          a service key's role (the server's default: operator)\n"
		"  --scope=PERMISSION   limit the key to this permission; repeatable\n"
		"  --expires=TIME       when it stops working\n",
	run_create},
	[C_LIST] = {"list", "list API keys (never their secrets)",
		"ffrtmp keys list\n\n"
		"Lists the API keys of the caller's tenant, or of --tenant (ffrtmp.list_api_keys).\n",
	run_list},
	[C_ROTATE] = {"rotate", "replace a key; the old one works for a grace period",
		"ffrtmp keys rotate <key-id> [--grace=INTERVAL]\n\n"
		"Issues a new key in place of key-id and prints it once (ffrtmp.rotate_api_key);\n"
		"the old one keeps working for the grace period.\n"
		"  --grace=INTERVAL     e.g. '2 hours' (the server's default: 1 day)\n",
	run_rotate},
	[C_REVOKE] = {"revoke", "revoke a key at once",
		"ffrtmp keys revoke <key-id>\n\nRevokes a key at once (ffrtmp.revoke_api_key).\n",
	run_revoke},
	{NULL}
};

const cli_group cli_keys_group = {"keys", "create, list, rotate and revoke API keys", commands, false};

static int
run_create(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"user", CLI_ID}, {"role", CLI_VALUE}, {"scope", CLI_LIST},
	{"expires", CLI_VALUE}, {NULL}};
	const char *v[4],
			   *pos[1];
	int			st;

	if ((st = cli_parse(&commands[C_CREATE], argc, argv, opts, v, pos, 1, 1)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"name", "", pos[0]}, {"\"user\"", "uuid", v[0]}, {"role", "", v[1]},
		{"scopes", "text[]", v[2]}, {"expires_at", "timestamptz", v[3]}, {"tenant", "", ctx->tenant}};

		return cli_call_show(ctx, false, "create_api_key", args, N_ARGS(args), NULL);
	}
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const columns[] = {"key_id", "prefix", "name", "role", "scopes", "created_at", "expires_at",
	"revoked_at", NULL};
	int			st;

	if ((st = cli_parse(&commands[C_LIST], argc, argv, NULL, NULL, NULL, 0, 0)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"tenant", "", ctx->tenant}};

		return cli_call_show(ctx, true, "list_api_keys", args, 1, columns);
	}
}

static int
run_rotate(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"grace", CLI_VALUE}, {NULL}};
	const char *v[1],
			   *pos[1];
	int			st;

	if ((st = cli_parse(&commands[C_ROTATE], argc, argv, opts, v, pos, 1, 1)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"key_id", "", pos[0]}, {"grace", "interval", v[0]}};

		return cli_call_show(ctx, false, "rotate_api_key", args, N_ARGS(args), NULL);
	}
}

static int
run_revoke(cli_ctx *ctx, int argc, char **argv)
{
	const char *pos[1];
	int			st;

	if ((st = cli_parse(&commands[C_REVOKE], argc, argv, NULL, NULL, pos, 1, 1)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"key_id", "", pos[0]}};

		return cli_call_show(ctx, false, "revoke_api_key", args, 1, NULL);
	}
}
