/*
 * ffrtmp webhooks: create, list, delete, deliveries, events; the SQL
 * functions create_webhook, list_webhooks, delete_webhook,
 * webhook_deliveries and the webhook_event_types view (docs/webhooks.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int	run_create(cli_ctx *ctx, int argc, char **argv);
static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_delete(cli_ctx *ctx, int argc, char **argv);
static int	run_deliveries(cli_ctx *ctx, int argc, char **argv);
static int	run_events(cli_ctx *ctx, int argc, char **argv);

enum
{
	C_CREATE, C_LIST, C_DELETE, C_DELIVERIES, C_EVENTS
};

static const cli_command commands[] = {
	[C_CREATE] = {"create", "register an endpoint for job events",
		"ffrtmp webhooks create --url=URL --event=EVENT... [--secret=SECRET] [--tenant=T]\n\n"
		"Registers a webhook of the tenant (ffrtmp.create_webhook): job events are\n"
		"POSTed to URL, signed with the secret.\n"
		"  --url=URL            http:// or https:// endpoint\n"
		"  --event=EVENT        an event to send, repeatable (ffrtmp webhooks events)\n"
		"  --secret=SECRET      16 to 256 printable characters; default: the\n"
		"                       FFRTMP_WEBHOOK_SECRET variable (keeps it out of ps)\n"
		"The secret is never shown again: list shows its fingerprint.\n",
	run_create},
	[C_LIST] = {"list", "list the tenant's webhooks",
		"ffrtmp webhooks list [--tenant=T]\n\n"
		"Lists the webhooks of the caller's tenant or --tenant's, oldest first\n"
		"(ffrtmp.list_webhooks); the secret only as a fingerprint.\n",
	run_list},
	[C_DELETE] = {"delete", "delete a webhook and its deliveries",
		"ffrtmp webhooks delete <id>\n\n"
		"Deletes a webhook with its deliveries; pending ones are not sent\n"
		"(ffrtmp.delete_webhook).\n",
	run_delete},
	[C_DELIVERIES] = {"deliveries", "the delivery log, newest first",
		"ffrtmp webhooks deliveries [--webhook=ID] [--job=ID] [--state=STATE] [--limit=N] [--tenant=T]\n\n"
		"Shows each event sent or to send and how its attempts went\n"
		"(ffrtmp.webhook_deliveries).\n"
		"  --webhook=ID         one webhook's\n"
		"  --job=ID             one job's\n"
		"  --state=STATE        pending, delivered or failed\n"
		"  --limit=N            at most N (1 to 1000; the server's default 100)\n",
	run_deliveries},
	[C_EVENTS] = {"events", "the events a webhook can subscribe to",
		"ffrtmp webhooks events\n\n"
		"Lists the event names --event takes (ffrtmp.webhook_event_types).\n",
	run_events},
	{NULL}
};

const cli_group cli_webhooks_group = {"webhooks", "send job events to HTTP endpoints", commands, false};

static const char *const list_columns[] = {"id", "url", "events", "secret_fingerprint", "created_at", NULL};

static int
run_create(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"url", CLI_VALUE}, {"event", CLI_LIST}, {"secret", CLI_VALUE}, {NULL}};
	const cli_command *cmd = &commands[C_CREATE];
	const char *v[4];
	const char *none[1];
	int			status;

	if ((status = cli_parse(cmd, argc, argv, opts, v, none, 0, 0)) != CLI_OK)
		return status;
	if (v[2] == NULL)
		v[2] = getenv("FFRTMP_WEBHOOK_SECRET");
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL)
		return cli_usage_error(cmd, "--url, --event and a secret (--secret or FFRTMP_WEBHOOK_SECRET) are required");
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;
	{
		const cli_arg args[] = {{"url", "", v[0]}, {"secret", "", v[2]}, {"events", "text[]", v[1]},
		{"tenant", "", ctx->tenant}};

		return cli_call_show(ctx, false, "create_webhook", args, 4, NULL);
	}
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[C_LIST], argc, argv, NULL, none, none, 0, 0)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	{
		const cli_arg args[] = {{"tenant", "", ctx->tenant}};

		return cli_call_show(ctx, true, "list_webhooks", args, 1, list_columns);
	}
}

static int
run_delete(cli_ctx *ctx, int argc, char **argv)
{
	const char *id[1];
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[C_DELETE], argc, argv, NULL, none, id, 1, 1)) != CLI_OK)
		return status;
	if (strspn(id[0], "0123456789") != strlen(id[0]) || strlen(id[0]) > 18)
		return cli_usage_error(&commands[C_DELETE], "a webhook is its id, not \"%s\"", id[0]);
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;
	return cli_show_one(ctx, "SELECT * FROM ffrtmp.delete_webhook($1::bigint)", 1, id);
}

static int
run_deliveries(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"webhook", CLI_ID}, {"job", CLI_ID}, {"state", CLI_VALUE},
	{"limit", CLI_VALUE}, {NULL}};
	static const char *const columns[] = {"id", "webhook_id", "job_id", "event", "delivery_state", "attempts",
	"last_status", "last_error", "created_at", NULL};
	const char *v[5];
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[C_DELIVERIES], argc, argv, opts, v, none, 0, 0)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	{
		const cli_arg args[] = {{"webhook", "bigint", v[0]}, {"job", "bigint", v[1]},
			{"delivery_state", "", v[2]}, {"max_rows", "integer", v[3]},
		{"tenant", "", ctx->tenant}};

		return cli_call_show(ctx, true, "webhook_deliveries", args, 5, columns);
	}
}

static int
run_events(cli_ctx *ctx, int argc, char **argv)
{
	const char *none[1];
	int			status;

	if ((status = cli_parse(&commands[C_EVENTS], argc, argv, NULL, none, none, 0, 0)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	return cli_show_rows(ctx, "SELECT * FROM ffrtmp.webhook_event_types ORDER BY event", 0, NULL, NULL);
}
