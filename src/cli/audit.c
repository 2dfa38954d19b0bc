/*
 * ffrtmp audit: a page of the audit log (ffrtmp.audit_events; audit.view,
 * docs/audit.md), filtered by time, action and --tenant.
 */
#include "cli.h"

#define N_ARGS(a) ((int) (sizeof(a) / sizeof((a)[0])))

static int	run_audit(cli_ctx *ctx, int argc, char **argv);

static const cli_command commands[] = {
	{"audit", "read the audit log",
		"ffrtmp audit [--since=TIME] [--action=ACTION] [--after=ID] [--limit=N]\n\n"
		"Prints audit log rows the caller may read, in id order (ffrtmp.audit_events;\n"
		"audit.view); --tenant (a global option) keeps one tenant's.\n"
		"  --since=TIME         rows at or after TIME\n"
		"  --action=ACTION      rows of one action (tenant.create, api_key.revoke, ...)\n"
		"  --after=ID           rows with an id above ID (the next page)\n"
		"  --limit=N            at most N rows (the server's default: 1000)\n",
	run_audit},
	{NULL}
};

const cli_group cli_audit_group = {"audit", "read the audit log", commands, true};

static int
run_audit(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"since", CLI_VALUE}, {"action", CLI_VALUE}, {"after", CLI_VALUE},
	{"limit", CLI_VALUE}, {NULL}};
	static const char *const columns[] = {"id", "at", "tenant_id", "db_role", "key_id", "action", "target",
	"outcome", NULL};
	const char *v[4];
	int			st;

	if ((st = cli_parse(&commands[0], argc, argv, opts, v, NULL, 0, 0)) != CLI_OK
		|| (st = cli_connect(ctx)) != CLI_OK)
		return st;
	{
		cli_arg		args[] = {{"after_id", "bigint", v[2]}, {"since", "timestamptz", v[0]}, {"action", "", v[1]},
		{"tenant", "", ctx->tenant}, {"max_rows", "integer", v[3]}};

		return cli_call_show(ctx, true, "audit_events", args, N_ARGS(args), columns);
	}
}
