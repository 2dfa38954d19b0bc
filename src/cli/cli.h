/*
 * ffrtmp: the command-line client of the SQL API (docs/cli.md).
 *
 * The framework every command group codes against.  A group (tenants.c,
 * health.c, ...) is one file with one table of subcommands, named in
 * main.c's group table; adding a group is adding that file and one row.
 *
 * Invariants:
 * - The tool adds no logic of its own: every rule, check and number comes
 *   from the SQL API; a command sends its statement with PQexecParams (every
 *   value a parameter, sent as text) and presents what comes back.
 * - One command is one transaction.  cli_connect() opens it (BEGIN, then
 *   SELECT ffrtmp.authenticate($1) when an API key is given); main.c
 *   commits it when the command returns CLI_OK and otherwise drops it.
 *   A command that polls commits and begins again on the same connection
 *   (cli_commit, cli_begin).
 * - Exit codes (enum cli_exit) are the tool's contract with scripts.
 * - Errors go to stderr, results to stdout: with --output=json stdout holds
 *   exactly one JSON document, as the server built it.
 */
#ifndef FFRTMP_CLI_H
#define FFRTMP_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <libpq-fe.h>

/* Exit codes: documented in docs/cli.md and ffrtmp(1). */
enum cli_exit
{
	CLI_OK = 0,					/* done */
	CLI_REFUSED = 1,			/* the server refused (an SQL error) */
	CLI_USAGE = 2,				/* the command line is wrong */
	CLI_NO_CONNECTION = 3		/* no connection to the database */
};

enum cli_format
{
	CLI_TABLE,					/* aligned columns for people (default) */
	CLI_JSON					/* one JSON document for scripts */
};

/* The global options (options.c) and the open connection. */
typedef struct cli_ctx
{
	const char *dsn;			/* --dsn: a conninfo string or URI; NULL: PG* */
	const char *api_key;		/* --api-key or FFRTMP_API_KEY; NULL: none */
	const char *tenant;			/* --tenant or FFRTMP_TENANT; NULL: none */
	enum cli_format format;		/* --output */
	bool		colour;			/* stdout is a terminal and NO_COLOR unset */
	bool		err_colour;		/* the same for stderr */
	PGconn	   *conn;			/* set by cli_connect() */
} cli_ctx;

/*
 * One subcommand.  run() gets argv with argv[0] the subcommand's name (the
 * group's name for a group without subcommands) and the global options
 * already taken out; it returns an enum cli_exit.  help is the text of
 * `--help`: its first line is the synopsis, the rest the options.
 */
typedef struct cli_command
{
	const char *name;
	const char *summary;		/* one line, for the group's help */
	const char *help;
	int			(*run) (cli_ctx *ctx, int argc, char **argv);
} cli_command;

/* A command group: `ffrtmp <group> <subcommand>`. */
typedef struct cli_group
{
	const char *name;
	const char *summary;
	const cli_command *commands;	/* ends with a row whose name is NULL */
	bool		single;			/* one command run as `ffrtmp <group>` */
} cli_group;

/* The groups (one file each). */
extern const cli_group cli_tenants_group;
extern const cli_group cli_health_group;
extern const cli_group cli_users_group;
extern const cli_group cli_keys_group;
extern const cli_group cli_audit_group;
extern const cli_group cli_jobs_group;
extern const cli_group cli_nodes_group;
extern const cli_group cli_webhooks_group;
extern const cli_group cli_import_group;

/* options.c */

/*
 * Takes the global options out of argv wherever they stand (so that
 * `ffrtmp tenants list --output=json` works), reading the environment for
 * what they leave unset; compacts argv and returns the new argc, or -1 after
 * a usage error was printed.
 */
extern int	cli_global_options(cli_ctx *ctx, int argc, char **argv);

/* The global options' help, printed under every command's. */
extern const char cli_global_help[];

/*
 * getopt_long over a subcommand's argv with its options plus --help (which
 * prints cmd->help and exits 0).  Returns the option's val, -1 at the end,
 * or '?' after printing a usage error (return CLI_USAGE then).
 */
struct option;
extern int	cli_getopt(int argc, char **argv, const struct option *longopts,
					   const cli_command *cmd);

/* One option of a subcommand, for cli_parse. */
typedef struct cli_opt
{
	const char *name;			/* --name */
	enum
	{
		CLI_VALUE,				/* --name=VALUE: the value */
		CLI_ID,					/* --name=VALUE naming something (an id or a name): never empty */
		CLI_FLAG,				/* --name: "true" */
		CLI_LIST				/* repeatable --name=VALUE: a text[] literal */
	}			kind;
} cli_opt;

/*
 * Parses a subcommand's argv: values[i] gets opts[i]'s value (NULL: not
 * given; opts ends with a NULL name), positional[] the min_pos to max_pos
 * arguments (NULL past those given).  Returns CLI_OK or CLI_USAGE (printed).
 */
extern int	cli_parse(const cli_command *cmd, int argc, char **argv, const cli_opt *opts,
					  const char **values, const char **positional, int min_pos, int max_pos);

/* Prints "ffrtmp: <message>" and a pointer to --help; returns CLI_USAGE. */
extern int	cli_usage_error(const cli_command *cmd, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* connection.c */

/*
 * Connects (libpq's conventions: --dsn, else PG* variables, service files
 * and ~/.pgpass) and opens the command's transaction, authenticating the API
 * key in it.  Returns CLI_OK, CLI_NO_CONNECTION, CLI_USAGE (an empty key)
 * or CLI_REFUSED (a key the server refused), with the error printed.
 */
extern int	cli_connect(cli_ctx *ctx);

/*
 * A command that runs for long (jobs watch, logs --follow, submit --wait)
 * ends its transaction with cli_commit() and opens the next one on the same
 * connection with cli_begin(), which authenticates the API key again: so
 * that it holds no transaction (nor its snapshot) open between polls, and a
 * revoked key stops it at its next transaction.  Each returns CLI_OK or the
 * exit code of the error it printed.
 */
extern int	cli_begin(cli_ctx *ctx);
extern int	cli_commit(cli_ctx *ctx);

/*
 * Commits (ok) or drops the transaction, and closes.  Returns the exit code:
 * CLI_NO_CONNECTION when the connection was lost under the command.
 */
extern int	cli_disconnect(cli_ctx *ctx, int status);

/*
 * Runs sql with nparams (at most CLI_MAX_PARAMS) text parameters (NULL: SQL
 * NULL).  Returns the
 * result, or NULL after printing the server's error (CLI_REFUSED).
 */
#define CLI_MAX_PARAMS 16
extern PGresult *cli_exec(cli_ctx *ctx, const char *sql, int nparams,
						  const char *const *params);

/* call.c */

/* One named argument of an SQL API function; value NULL: left out. */
typedef struct cli_arg
{
	const char *name;			/* the argument's name, quoted if a keyword */
	const char *cast;			/* its type for the cast of $n, "" for text */
	const char *value;
} cli_arg;

/*
 * "<select> ffrtmp.<function>(name => $1::cast, ...)" of the args given,
 * their values in params[] (CLI_MAX_PARAMS); malloc'd, NULL when out of
 * memory.  Arguments left out take the function's defaults.
 */
extern char *cli_call(const char *select, const char *function, const cli_arg *args,
					  int nargs, const char **params, int *nparams);

/* cli_call shown by cli_show_rows (rows) or cli_show_one. */
extern int	cli_call_show(cli_ctx *ctx, bool rows, const char *function,
						  const cli_arg *args, int nargs, const char *const *columns);

/* pairs.c */

/*
 * Repeated key=value arguments, as two text[] literals (NULL while none)
 * for a statement's unnest($k::text[], $v::text[]).
 */
typedef struct cli_pairs
{
	char	   *keys;
	char	   *values;
} cli_pairs;

/* Adds "key=value"; false when arg has no key and '=' (or out of memory). */
extern bool cli_add_pair(cli_pairs *pairs, const char *arg);

/* Appends s to the text[] literal *array (NULL: empty); false when out of memory. */
extern bool cli_array_add(char **array, const char *s);

/* errors.c */

/* Prints a failed result: message, DETAIL, HINT and SQLSTATE. */
extern void cli_print_server_error(cli_ctx *ctx, const PGresult *res);
/* The hint added when the extension is not in the database connected to, or NULL. */
extern const char *cli_extension_hint(const char *sqlstate, const char *message);

/* Prints "ffrtmp: error: <message>" (coloured on a terminal). */
extern void cli_error(cli_ctx *ctx, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/*
 * The standard streams (streams.c): cli_guard_streams puts /dev/null in
 * place of a closed one at the start; cli_close_output flushes and closes
 * stdout at the end, and turns status into 1 (a message printed) when the
 * output could not be written (but to a reader that left: EPIPE).
 */
extern void cli_guard_streams(void);
extern int	cli_close_output(int status);

/* output.c */

/*
 * The two shapes of an answer.  rows: sql returns rows; the table shows the
 * columns named in columns (NULL-terminated; NULL: all), JSON is an array of
 * every column's object.  one: sql returns one row; the table is a list of
 * "column  value" lines, JSON one object.  Both return an exit code.
 */
extern int	cli_show_rows(cli_ctx *ctx, const char *sql, int nparams,
						  const char *const *params, const char *const *columns);
extern int	cli_show_one(cli_ctx *ctx, const char *sql, int nparams,
						 const char *const *params);

/* Prints a JSON document built by the server (column 0 of row 0). */
extern void cli_print_json(cli_ctx *ctx, const PGresult *res);

/*
 * Writes the server's JSON text and a newline, with the C1 controls, bidi
 * controls and line/paragraph separators in its strings as \uXXXX: the
 * same value to a parser, nothing that moves or reorders a terminal's text.
 */
extern void cli_put_json(cli_ctx *ctx, FILE *out, const char *json);

/* Prints res as aligned columns with a header line. */
extern void cli_print_table(cli_ctx *ctx, const PGresult *res, const char *const *columns);

/* text.c */

/* Where a stored text is shown: a table cell (one line) or lines of their own. */
enum cli_text
{
	CLI_TEXT_CELL,				/* newline and tab shown as \n and \t */
	CLI_TEXT_LINES				/* newline and tab kept */
};

/*
 * Writes s to out with every control character (C0 but newline and tab in
 * CLI_TEXT_LINES, DEL, C1) and bidi control shown as an escape (\r, \xHH,
 * \uXXXX), as psql does; cli_text_width is the terminal columns it takes.
 */
extern void cli_put_text(cli_ctx *ctx, FILE *out, const char *s, enum cli_text how);
extern int	cli_text_width(cli_ctx *ctx, const char *s, enum cli_text how);

/*
 * The bytes of the well-formed UTF-8 character at s (RFC 3629: 1-4), or 0
 * when the byte at s begins none (utf8.c): it stands alone, invalid.
 */
extern int	cli_utf8_length(const unsigned char *s);

/* The code point of the well-formed UTF-8 character of len bytes at s. */
extern unsigned cli_utf8_code_point(const unsigned char *s, int len);

/*
 * Whether code point c reorders or breaks what follows on a screen: the
 * bidi marks, embeddings, overrides, isolates and the line and paragraph
 * separators (utf8.c).
 */
extern bool cli_is_bidi_control(unsigned c);

/* Bold text on a colour terminal, else as is. */
extern const char *cli_bold(cli_ctx *ctx);
extern const char *cli_plain(cli_ctx *ctx);

#endif							/* FFRTMP_CLI_H */
