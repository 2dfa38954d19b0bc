/*
 * The command line: the global options, which may stand anywhere, and each
 * subcommand's own, parsed with getopt_long plus a common --help.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char	cli_global_help[] =
"Global options (anywhere on the line, except as the value of a command's\n"
"option: in --description --tenant, --tenant is the description):\n"
"  --dsn=CONNINFO      conninfo string or postgresql:// URI (default: the PG*\n"
"                      variables, service file and ~/.pgpass, as libpq does)\n"
"  --api-key=KEY       act as this API key (default: $FFRTMP_API_KEY)\n"
"  --tenant=TENANT     the tenant, by name or id, for commands that take one\n"
"                      (default: $FFRTMP_TENANT, else the caller's own)\n"
"  --format=FORMAT     the answer's format: table (default) or json\n"
"  -o, --output=FORMAT the same, for FORMAT table or json (on jobs submit,\n"
"                      --output with any other value is the job's output URL)\n"
"  --help              this help\n";

/* The global options that take a value, and where each goes. */
static const char **
global_slot(cli_ctx *ctx, const char *name, size_t len)
{
	if (len == 3 && strncmp(name, "dsn", 3) == 0)
		return &ctx->dsn;
	if (len == 7 && strncmp(name, "api-key", 7) == 0)
		return &ctx->api_key;
	if (len == 6 && strncmp(name, "tenant", 6) == 0)
		return &ctx->tenant;
	return NULL;
}

static int
set_output(cli_ctx *ctx, const char *value)
{
	if (strcmp(value, "table") == 0)
		ctx->format = CLI_TABLE;
	else if (strcmp(value, "json") == 0)
		ctx->format = CLI_JSON;
	else
		return cli_usage_error(NULL, "the format must be table or json, not \"%s\"", value);
	return CLI_OK;
}

/* --output=table and --output=json are the format; another value may be a URL. */
static bool
is_format(const char *value)
{
	return strcmp(value, "table") == 0 || strcmp(value, "json") == 0;
}

/*
 * The subcommands' options that take no value (CLI_FLAG, no_argument): every
 * other "--name" written without "=" owns the next word as its value, so
 * that word is never read as a global option ("--display-name -only").
 */
static const char *const command_flags[] = {
	"active", "deleted", "dry-run", "follow", "help", "retry-all-failures", "wait", NULL
};

static bool
owns_next_word(const char *word)
{
	if (strncmp(word, "--", 2) != 0 || word[2] == '\0' || strchr(word, '=') != NULL)
		return false;
	for (int i = 0; command_flags[i] != NULL; i++)
		if (strcmp(word + 2, command_flags[i]) == 0)
			return false;
	return true;
}

/* An empty variable counts as unset, as libpq reads PG* variables. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
cli_global_options(cli_ctx *ctx, int argc, char **argv)
{
	int			out = 1;
	const char *output = NULL;	/* --format, -o, --output: the last wins */
	bool		no_colour = env("NO_COLOR") != NULL;
	bool		owned = false;	/* argv[i] is a command option's value */

	for (int i = 1; i < argc; i++)
	{
		char	   *a = argv[i];
		const char **slot = NULL;
		const char *value;
		size_t		len;

		if (owned)
		{
			argv[out++] = argv[i];
			owned = false;
			continue;
		}

		if (strcmp(a, "--") == 0)
		{
			/*
			 * Everything after it is the command's; before the command
			 * ("ffrtmp -- tenants list") it only ends the global options.
			 */
			if (out == 1)
				i++;
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strncmp(a, "--", 2) == 0)
		{
			len = strcspn(a + 2, "=");
			slot = global_slot(ctx, a + 2, len);
			if (slot == NULL && len == 6 && strncmp(a + 2, "format", 6) == 0)
				slot = &output;
			if (slot == NULL && len == 6 && strncmp(a + 2, "output", 6) == 0)
			{
				/*
				 * --output is the format only when its value is one: any
				 * other stays the command's (jobs submit's output URL;
				 * cli_getopt refuses it elsewhere).
				 */
				value = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[i + 1] : NULL);
				if (value != NULL && is_format(value))
					slot = &output;
				else if (value != NULL && a[8] != '=')
					argv[out++] = argv[i++];	/* "--output" "URL": both */
			}
		}
		else if (strncmp(a, "-o", 2) == 0)
		{
			/* No command has a -o: -oxyz is refused as -o xyz is. */
			slot = &output;
			len = 0;
			a = a[2] != '\0' ? a + 2 : a;	/* -ojson */
		}
		if (slot == NULL)
		{
			owned = owns_next_word(argv[i]);
			argv[out++] = argv[i];
			continue;
		}
		if (a != argv[i])		/* -oVALUE */
			value = a;
		else if (a[2 + len] == '=')
			value = a + 3 + len;
		else if (i + 1 < argc)
			value = argv[++i];
		else
			{
			cli_usage_error(NULL, "%s needs a value", argv[i]);
			return -1;
		}
		if (slot == &ctx->tenant && value[0] == '\0')
		{
			cli_usage_error(NULL, "--tenant is empty: name one, or leave the option out");
			return -1;
		}
		*slot = value;
	}
	argv[out] = NULL;

	if (ctx->api_key == NULL)
		ctx->api_key = env("FFRTMP_API_KEY");
	if (ctx->tenant == NULL)
		ctx->tenant = env("FFRTMP_TENANT");
	if (output != NULL && set_output(ctx, output) != CLI_OK)
		return -1;
	ctx->colour = !no_colour && isatty(STDOUT_FILENO);
	ctx->err_colour = !no_colour && isatty(STDERR_FILENO);
	return out;
}

static void
print_help(const cli_command *cmd)
{
	printf("%s\n%s", cmd->help, cli_global_help);
}

/*
 * After getopt_long's '?': was it a short option?  Only -h is one, so any
 * other letter of a "-xyz" group is unknown.  getopt then reports the letter
 * in optopt, but argv[optind - 1] is not its word while the group goes on
 * ("-n5").  A long option's '?' has optopt 0 (unknown) or the option's val
 * ("--dry-run=x": a flag given a value), and the word is argv[optind - 1].
 */
static bool
is_short_error(char **argv, const struct option *all)
{
	const char *word = argv[optind - 1];
	size_t		len;

	if (optopt == 0)
		return false;
	if (strncmp(word, "--", 2) != 0 || strchr(word, '=') == NULL)
		return true;
	len = strcspn(word + 2, "=");
	for (int i = 0; all[i].name != NULL; i++)
		if (strncmp(all[i].name, word + 2, len) == 0 && all[i].has_arg == no_argument &&
			all[i].val == optopt)
			return false;
	return true;
}

/* The unknown short option by its character, escaped when not printable. */
static void
short_error(const cli_command *cmd)
{
	if (optopt > ' ' && optopt < 0x7F)
		cli_usage_error(cmd, "unknown option -%c", optopt);
	else
		cli_usage_error(cmd, "unknown option -\\x%02X", (unsigned char) optopt);
}

int
cli_getopt(int argc, char **argv, const struct option *longopts, const cli_command *cmd)
{
	struct option all[32];
	int			n = 0;
	int			c;

	while (longopts != NULL && longopts[n].name != NULL && n < 30)
	{
		all[n] = longopts[n];
		n++;
	}
	all[n++] = (struct option) {"help", no_argument, NULL, 'h'};
	all[n] = (struct option) {0};

	opterr = 0;
	c = getopt_long(argc, argv, ":h", all, NULL);
	if (c == 'h')
	{
		print_help(cmd);
		exit(CLI_OK);
	}
	if (c == '?' && is_short_error(argv, all))
		short_error(cmd);
	else if (c == '?' && strncmp(argv[optind - 1], "--output=", 9) == 0)
		cli_usage_error(cmd, "--output must be table or json (the answer's format), not \"%s\"",
						argv[optind - 1] + 9);
	else if (c == '?' && strcmp(argv[optind - 1], "--output") == 0 && optind < argc)
		cli_usage_error(cmd, "--output must be table or json (the answer's format), not \"%s\"",
						argv[optind]);
	else if (c == '?' && strcmp(argv[optind - 1], "--output") == 0)
		cli_usage_error(cmd, "--output needs a value: table or json");
	else if (c == '?' && optopt != 0)
		cli_usage_error(cmd, "%.*s takes no value", (int) strcspn(argv[optind - 1], "="),
						argv[optind - 1]);
	else if (c == '?')
		cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
	if (c == ':')
	{
		/* Only long options take a value: the word is the last one read. */
		cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
		c = '?';
	}
	return c;
}

int
cli_usage_error(const cli_command *cmd, const char *fmt,...)
{
	va_list		ap;

	char		message[1024];

	/*
	 * The message may quote the command line, which may hold any byte: shown
	 * escaped, as a server's text is (text.c), never raw on a terminal.
	 */
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	fputs("ffrtmp: ", stderr);
	cli_put_text(NULL, stderr, message, CLI_TEXT_CELL);
	fputc('\n', stderr);
	if (cmd != NULL)
		fprintf(stderr, "Usage: %.*s\n", (int) strcspn(cmd->help, "\n"), cmd->help);
	fputs("Try --help for the options.\n", stderr);
	return CLI_USAGE;
}

int
cli_parse(const cli_command *cmd, int argc, char **argv, const cli_opt *opts,
		  const char **values, const char **positional, int min_pos, int max_pos)
{
	struct option longopts[32];
	int			n = 0;
	int			c;
	int			npos = 0;

	for (; opts != NULL && opts[n].name != NULL && n < 30; n++)
	{
		longopts[n] = (struct option) {opts[n].name, opts[n].kind == CLI_FLAG ? no_argument : required_argument,
		NULL, n + 1};
		values[n] = NULL;
	}
	longopts[n] = (struct option) {0};
	while ((c = cli_getopt(argc, argv, longopts, cmd)) != -1)
	{
		if (c < 1 || c > n)
			return CLI_USAGE;
		if (opts[c - 1].kind == CLI_FLAG)
			values[c - 1] = "true";
		else if (opts[c - 1].kind == CLI_VALUE)
			values[c - 1] = optarg;
		else if (opts[c - 1].kind == CLI_ID && optarg[0] == '\0')
			/* Most likely an unset variable: never "no such user", never all of them. */
			return cli_usage_error(cmd, "--%s is empty: name one, or leave the option out", opts[c - 1].name);
		else if (opts[c - 1].kind == CLI_ID)
			values[c - 1] = optarg;
		else
		{
			char	   *list = (char *) values[c - 1];

			if (!cli_array_add(&list, optarg))
				return cli_usage_error(cmd, "out of memory");
			values[c - 1] = list;
		}
	}
	for (; optind < argc; optind++)
	{
		if (npos == max_pos)
			return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
		positional[npos++] = argv[optind];
	}
	if (npos < min_pos)
		return cli_usage_error(cmd, "missing argument");
	for (; npos < max_pos; npos++)
		positional[npos] = NULL;
	return CLI_OK;
}
