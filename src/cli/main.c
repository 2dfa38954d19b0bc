/*
 * ffrtmp: the command-line client of the SQL API (docs/cli.md).
 *
 * `ffrtmp [global options] <group> [<subcommand>] [arguments]`.  The group
 * table below names every command group; each group is one file with its
 * subcommands' table (cli.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_group *const groups[] = {
	&cli_tenants_group,
	&cli_users_group,
	&cli_keys_group,
	&cli_audit_group,
	&cli_jobs_group,
	&cli_nodes_group,
	&cli_webhooks_group,
	&cli_health_group,
	&cli_import_group,
	NULL
};

static void
print_main_help(FILE *out)
{
	fputs("ffrtmp: manage an ffrtmp service (tenants, users, keys, audit, jobs, nodes, webhooks, health, import) through its SQL API.\n\n"
		  "Usage: ffrtmp [global options] <command> [<subcommand>] [arguments]\n"
		  "       ffrtmp <command> [<subcommand>] --help\n\n"
		  "Commands:\n", out);
	for (int i = 0; groups[i] != NULL; i++)
		fprintf(out, "  %-10s %s\n", groups[i]->name, groups[i]->summary);
	fprintf(out, "\n%s\n"
			"Exit status: 0 done, 1 the server refused, 2 usage error, 3 no connection (or lost).\n"
			"Colour only on a terminal and without NO_COLOR.  See ffrtmp(1) and docs/cli.md.\n",
			cli_global_help);
}

static void
print_group_help(const cli_group *g, FILE *out)
{
	fprintf(out, "ffrtmp %s: %s\n\nUsage: ffrtmp %s <subcommand> [arguments]\n\nSubcommands:\n",
			g->name, g->summary, g->name);
	for (const cli_command *c = g->commands; c->name != NULL; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nRun ffrtmp %s <subcommand> --help for its options.\n", g->name);
}

static bool
is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

static int
run(int argc, char **argv)
{
	cli_ctx		ctx = {0};
	const cli_group *g = NULL;
	const cli_command *cmd = NULL;

	/*
	 * A reader that stops early (`ffrtmp jobs list | head -1`) is no error:
	 * killed by SIGPIPE in the middle of printing, a command would also lose
	 * its transaction (jobs submit's job), which commits after the printing.
	 * Ignored, a write to the closed pipe fails quietly, the command ends as
	 * it would have, and its exit status is its own (0 on success; the
	 * polling commands stop at their next poll).
	 */
	signal(SIGPIPE, SIG_IGN);
	argc = cli_global_options(&ctx, argc, argv);
	if (argc < 0)
		return CLI_USAGE;
	if (argc < 2)
	{
		print_main_help(stderr);
		return CLI_USAGE;
	}
	if (is_help(argv[1]))
	{
		print_main_help(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
	{
		printf("ffrtmp %s\n", FFRTMP_VERSION);
		return CLI_OK;
	}
	for (int i = 0; groups[i] != NULL && g == NULL; i++)
		if (strcmp(groups[i]->name, argv[1]) == 0)
			g = groups[i];
	if (g == NULL)
		return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);

	if (g->single)
		return cli_disconnect(&ctx, g->commands[0].run(&ctx, argc - 1, argv + 1));
	if (argc < 3 || is_help(argv[2]))
	{
		print_group_help(g, argc < 3 ? stderr : stdout);
		return argc < 3 ? CLI_USAGE : CLI_OK;
	}
	for (cmd = g->commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[2]) == 0)
			break;
	if (cmd->name == NULL)
		return cli_usage_error(NULL, "unknown subcommand \"%s %s\" (see ffrtmp %s --help)",
							   g->name, argv[2], g->name);
	return cli_disconnect(&ctx, cmd->run(&ctx, argc - 2, argv + 2));
}

int
main(int argc, char **argv)
{
	cli_guard_streams();
	return cli_close_output(run(argc, argv));
}
