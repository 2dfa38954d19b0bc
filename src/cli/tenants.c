/*
 * ffrtmp tenants: create, list, get, update, stats, delete, restore; each
 * one call of the SQL function of the same name (docs/administration.md).
 * A tenant is named by name or id, as the functions take it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int	run_create(cli_ctx *ctx, int argc, char **argv);
static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_get(cli_ctx *ctx, int argc, char **argv);
static int	run_update(cli_ctx *ctx, int argc, char **argv);
static int	run_stats(cli_ctx *ctx, int argc, char **argv);
static int	run_delete(cli_ctx *ctx, int argc, char **argv);
static int	run_restore(cli_ctx *ctx, int argc, char **argv);

enum
{
	C_CREATE, C_LIST, C_GET, C_UPDATE, C_STATS, C_DELETE, C_RESTORE
};

static const cli_command commands[] = {
	[C_CREATE] = {"create", "create a tenant",
		"ffrtmp tenants create <name> [--plan=PLAN] [--display-name=TEXT] [--description=TEXT] [--expires=TIME]\n\n"
		"Creates a tenant (ffrtmp.create_tenant; administrators).\n"
		"  --plan=PLAN          free, basic, pro or enterprise (default: the server's, free)\n"
		"  --display-name=TEXT  the name shown to people\n"
		"  --description=TEXT   free text\n"
		"  --expires=TIME       when it expires (a timestamp PostgreSQL reads)\n",
	run_create},
	[C_LIST] = {"list", "list the tenants the caller may see",
		"ffrtmp tenants list [--active]\n\n"
		"Lists tenants (ffrtmp.list_tenants): an administrator's all, a tenant's its own.\n"
		"  --active             only tenants whose effective status is active\n",
	run_list},
	[C_GET] = {"get", "show one tenant",
		"ffrtmp tenants get <id|name>\n\n"
		"Shows a tenant and its quotas in force (ffrtmp.get_tenant).\n",
	run_get},
	[C_UPDATE] = {"update", "change a tenant's plan, status, names or quotas",
		"ffrtmp tenants update <id|name> [--plan=PLAN] [--status=STATUS] [--display-name=TEXT]\n"
		"                      [--description=TEXT] [--expires=TIME] [--quota=KEY=VALUE]...\n\n"
		"Changes what is given, leaves the rest (ffrtmp.update_tenant; administrators).\n"
		"  --plan=PLAN          free, basic, pro or enterprise\n"
		"  --status=STATUS      active, suspended or expired\n"
		"  --display-name=TEXT  the name shown to people ('' clears it)\n"
		"  --description=TEXT   free text ('' clears it)\n"
		"  --expires=TIME       when it expires ('infinity': never)\n"
		"  --quota=KEY=VALUE    a quota override, repeatable: KEY max_jobs, max_workers,\n"
		"                       max_cpu_cores, max_gpus or max_jobs_per_hour; VALUE a\n"
		"                       number, 'unlimited' (or 'null'), or 'default' (back\n"
		"                       to the plan's)\n",
	run_update},
	[C_STATS] = {"stats", "a tenant's usage and what is left under its quotas",
		"ffrtmp tenants stats [<id|name>]\n\n"
		"Shows usage and available resources (ffrtmp.tenant_stats); without a tenant,\n"
		"--tenant's, else the caller's own.  \"unlimited\" where a quota is unlimited.\n",
	run_stats},
	[C_DELETE] = {"delete", "soft-delete a tenant",
		"ffrtmp tenants delete <id|name>\n\n"
		"Soft-deletes a tenant: keeps every row, locks its users out\n"
		"(ffrtmp.delete_tenant; administrators).  tenants restore undoes it.\n",
	run_delete},
	[C_RESTORE] = {"restore", "restore a deleted tenant",
		"ffrtmp tenants restore <id|name>\n\n"
		"Restores a soft-deleted tenant (ffrtmp.restore_tenant; administrators).\n",
	run_restore},
	{NULL}
};

const cli_group cli_tenants_group = {"tenants", "create, list, change and inspect tenants", commands, false};

/*
 * The options these commands take; val is the index of its value in
 * parsed.opt[], from 1 so that a list of them is a C string.
 */
enum
{
	O_PLAN = 1, O_STATUS, O_DISPLAY_NAME, O_DESCRIPTION, O_EXPIRES, O_ACTIVE, O_QUOTA, O_COUNT
};

static const struct option all_options[] = {
	{"plan", required_argument, NULL, O_PLAN},
	{"status", required_argument, NULL, O_STATUS},
	{"display-name", required_argument, NULL, O_DISPLAY_NAME},
	{"description", required_argument, NULL, O_DESCRIPTION},
	{"expires", required_argument, NULL, O_EXPIRES},
	{"active", no_argument, NULL, O_ACTIVE},
	{"quota", required_argument, NULL, O_QUOTA},
	{NULL}
};

typedef struct parsed
{
	const char *opt[O_COUNT];	/* each option's value; NULL: not given */
	cli_pairs	quotas;
	const char *tenant;			/* the positional <id|name> */
} parsed;

/*
 * Parses argv with the options in `allowed` (a string of O_* values) and at
 * most one positional tenant.  Returns CLI_OK or CLI_USAGE (printed).
 */
static int
parse(const cli_command *cmd, int argc, char **argv, const char *allowed, parsed *p)
{
	struct option opts[O_COUNT + 1];
	int			n = 0;
	int			c;

	memset(p, 0, sizeof(*p));
	for (const char *a = allowed; *a != '\0'; a++)
		opts[n++] = all_options[*a - 1];
	opts[n] = (struct option) {0};
	while ((c = cli_getopt(argc, argv, opts, cmd)) != -1)
	{
		if (c < 1 || c >= O_COUNT)
			return CLI_USAGE;
		if (c == O_QUOTA && !cli_add_pair(&p->quotas, optarg))
			return cli_usage_error(cmd, "--quota takes KEY=VALUE, not \"%s\"", optarg);
		p->opt[c] = c == O_ACTIVE ? "true" : optarg;
	}
	if (optind < argc)
		p->tenant = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	return CLI_OK;
}

/* The tenant a command acts on: its argument, else --tenant; required unless optional. */
static int
need_tenant(cli_ctx *ctx, const cli_command *cmd, parsed *p, bool optional)
{
	if (p->tenant == NULL)
		p->tenant = ctx->tenant;
	if (p->tenant == NULL && !optional)
		return cli_usage_error(cmd, "name the tenant (its name or id)");
	return CLI_OK;
}

#define OPTS(...) ((const char[]) {__VA_ARGS__, '\0'})

static int
run_create(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd = &commands[C_CREATE];
	parsed		p;
	int			status;

	if ((status = parse(cmd, argc, argv, OPTS(O_PLAN, O_DISPLAY_NAME, O_DESCRIPTION, O_EXPIRES), &p)) != CLI_OK)
		return status;
	if (p.tenant == NULL)
		return cli_usage_error(cmd, "name the new tenant");
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;

	{
		const char *params[] = {p.tenant, p.opt[O_PLAN], p.opt[O_DISPLAY_NAME], p.opt[O_DESCRIPTION],
		p.opt[O_EXPIRES]};

		/* Without --plan the function's own default applies (a NULL plan is refused). */
		return cli_show_one(ctx, p.opt[O_PLAN] != NULL
							? "SELECT * FROM ffrtmp.create_tenant($1, plan => $2, display_name => $3, "
							"description => $4, expires_at => $5::timestamptz)"
							: "SELECT * FROM ffrtmp.create_tenant($1, display_name => $3, "
							"description => $4, expires_at => $5::timestamptz)",
							5, params);
	}
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const columns[] = {"id", "name", "display_name", "plan", "effective_status", NULL};
	parsed		p;
	int			status;

	if ((status = parse(&commands[C_LIST], argc, argv, OPTS(O_ACTIVE), &p)) != CLI_OK)
		return status;
	if (p.tenant != NULL)
		return cli_usage_error(&commands[C_LIST], "unexpected argument \"%s\"", p.tenant);
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;

	{
		const char *params[] = {p.opt[O_ACTIVE] != NULL ? "true" : "false"};

		return cli_show_rows(ctx, "SELECT * FROM ffrtmp.list_tenants($1::boolean)", 1, params, columns);
	}
}

/* get, delete and restore: one tenant in, its row out. */
static int
run_one(cli_ctx *ctx, int which, const char *sql, int argc, char **argv)
{
	parsed		p;
	int			status;

	if ((status = parse(&commands[which], argc, argv, "", &p)) != CLI_OK
		|| (status = need_tenant(ctx, &commands[which], &p, false)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	return cli_show_one(ctx, sql, 1, &p.tenant);
}

static int
run_get(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_GET, "SELECT * FROM ffrtmp.get_tenant($1)", argc, argv);
}

static int
run_delete(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_DELETE, "SELECT * FROM ffrtmp.delete_tenant($1)", argc, argv);
}

static int
run_restore(cli_ctx *ctx, int argc, char **argv)
{
	return run_one(ctx, C_RESTORE, "SELECT * FROM ffrtmp.restore_tenant($1)", argc, argv);
}

static int
run_update(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd = &commands[C_UPDATE];
	parsed		p;
	int			status;

	if ((status = parse(cmd, argc, argv,
						OPTS(O_PLAN, O_STATUS, O_DISPLAY_NAME, O_DESCRIPTION, O_EXPIRES, O_QUOTA), &p)) != CLI_OK
		|| (status = need_tenant(ctx, cmd, &p, false)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;

	{
		const char *params[] = {p.tenant, p.opt[O_PLAN], p.opt[O_STATUS], p.opt[O_DISPLAY_NAME],
		p.opt[O_DESCRIPTION], p.opt[O_EXPIRES], p.quotas.keys, p.quotas.values};

		/*
		 * The quotas' JSON object, built by the server: "unlimited" (or
		 * "null") is JSON null (the SQL API's unlimited), digits a number, anything else a
		 * string ("default", or one update_tenant refuses with its message).
		 */
		return cli_show_one(ctx,
							"SELECT * FROM ffrtmp.update_tenant($1, plan => $2, status => $3, display_name => $4, "
							"description => $5, expires_at => $6::timestamptz, quotas => "
							"(SELECT pg_catalog.jsonb_object_agg(q.k, CASE WHEN q.v IN ('unlimited', 'null') THEN 'null'::jsonb "
							"WHEN q.v ~ '^[0-9]+$' THEN pg_catalog.to_jsonb(q.v::numeric) "
							"ELSE pg_catalog.to_jsonb(q.v) END) "
							"FROM ROWS FROM (pg_catalog.unnest($7::text[]), pg_catalog.unnest($8::text[])) AS q(k, v)))",
							8, params);
	}
}

/* One "  Label: value" line; a NULL available is an unlimited quota. */
static void
stat_line(const PGresult *res, const char *label, const char *column)
{
	int			c = PQfnumber(res, column);

	printf("  %s: %s\n", label, PQgetisnull(res, 0, c) ? "unlimited" : PQgetvalue(res, 0, c));
}

static int
run_stats(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd = &commands[C_STATS];
	parsed		p;
	int			status;
	PGresult   *res;
	static const char sql[] =
		"SELECT s.*, t.display_name, t.plan, t.effective_status "
		"FROM ffrtmp.tenant_stats($1) s JOIN ffrtmp.tenants t ON t.id = s.tenant_id";

	if ((status = parse(cmd, argc, argv, "", &p)) != CLI_OK
		|| (status = need_tenant(ctx, cmd, &p, true)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	if (ctx->format == CLI_JSON)
		return cli_show_one(ctx, sql, 1, &p.tenant);
	if ((res = cli_exec(ctx, sql, 1, &p.tenant)) == NULL)
		return CLI_REFUSED;
	if (PQntuples(res) != 1)
	{
		cli_error(ctx, "the server returned no statistics for this tenant");
		PQclear(res);
		return CLI_REFUSED;
	}
	/* The layout of issue 14, for people; scripts use --output=json. */
	fputs("Tenant: ", stdout);
	cli_put_text(ctx, stdout, PQgetvalue(res, 0, PQfnumber(res, PQgetisnull(res, 0, PQfnumber(res, "display_name"))
															? "tenant_name" : "display_name")),
				 CLI_TEXT_CELL);
	printf(" (%s)\n", PQgetvalue(res, 0, PQfnumber(res, "plan")));
	printf("Status: %s\n\nCurrent Usage:\n", PQgetvalue(res, 0, PQfnumber(res, "effective_status")));
	stat_line(res, "Active Jobs", "active_jobs");
	stat_line(res, "Active Workers", "active_workers");
	stat_line(res, "CPU Cores Used", "cpu_cores_used");
	stat_line(res, "GPUs Used", "gpus_used");
	stat_line(res, "Jobs This Hour", "jobs_this_hour");
	printf("\nAvailable Resources:\n");
	stat_line(res, "Jobs Available", "jobs_available");
	stat_line(res, "Workers Available", "workers_available");
	stat_line(res, "CPU Cores Available", "cpu_cores_available");
	stat_line(res, "GPUs Available", "gpus_available");
	PQclear(res);
	return CLI_OK;
}
