/*
 * The CLI framework's pure parts, without a database: the text[] literals
 * of repeated options (quoting), the calls cli_call writes (only the
 * arguments given, every value a parameter), the global options taken out
 * of argv wherever they stand (--output the format or jobs submit's
 * output), the subcommand options of cli_parse, stored text escaped for
 * a terminal (cli_put_text), and the hint for a database without the
 * extension (cli_extension_hint).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "../../worker/tests/check.h"

static const cli_command dummy = {"x", "", "ffrtmp x [--a=V] [--f] [--l=V]...\n", NULL};

static void
test_arrays(void)
{
	cli_pairs	p = {0};
	char	   *a = NULL;

	CHECK(cli_add_pair(&p, "max_jobs=5") && cli_add_pair(&p, "k=a\"b\\c=d"), "key=value pairs are taken");
	CHECK(strcmp(p.keys, "{\"max_jobs\",\"k\"}") == 0, "keys as a text[] literal");
	CHECK(strcmp(p.values, "{\"5\",\"a\\\"b\\\\c=d\"}") == 0, "values quoted: \" and \\ escaped, = after the first kept");
	CHECK(!cli_add_pair(&p, "novalue") && !cli_add_pair(&p, "=x"), "no '=' or no key: refused");
	CHECK(cli_array_add(&a, "") && strcmp(a, "{\"\"}") == 0, "an empty element stays one");
	free(p.keys);
	free(p.values);
	free(a);
}

static void
test_call(void)
{
	const char *params[CLI_MAX_PARAMS];
	int			n = -1;
	cli_arg		args[] = {{"name", "", "ci"}, {"\"user\"", "uuid", NULL}, {"scopes", "text[]", "{a}"}};
	char	   *sql = cli_call("SELECT * FROM", "create_api_key", args, 3, params, &n);

	CHECK(sql != NULL && strcmp(sql, "SELECT * FROM ffrtmp.create_api_key(name => $1, scopes => $2::text[])") == 0,
		  "cli_call writes the arguments given only, numbered in order");
	CHECK(n == 2 && strcmp(params[0], "ci") == 0 && strcmp(params[1], "{a}") == 0, "their values are the parameters");
	free(sql);
	args[0].value = NULL;
	args[2].value = NULL;
	sql = cli_call("SELECT * FROM", "create_api_key", args, 3, params, &n);
	CHECK(sql != NULL && strcmp(sql, "SELECT * FROM ffrtmp.create_api_key()") == 0 && n == 0,
		  "none given: the function's defaults");
	free(sql);
}

static void
test_global_options(void)
{
	cli_ctx		ctx = {0};
	char	   *argv[] = {"ffrtmp", "tenants", "--dsn", "host=x", "list", "--output=json", "--active",
	"--api-key=k", "-o", "table", "--tenant=acme", "--", "--dsn=y", NULL};
	int			argc;

	unsetenv("FFRTMP_API_KEY");
	unsetenv("FFRTMP_TENANT");
	setenv("NO_COLOR", "1", 1);
	argc = cli_global_options(&ctx, 13, argv);
	CHECK(argc == 6, "the global options are taken out wherever they stand");
	CHECK(strcmp(argv[1], "tenants") == 0 && strcmp(argv[2], "list") == 0 && strcmp(argv[3], "--active") == 0
		  && strcmp(argv[4], "--") == 0 && strcmp(argv[5], "--dsn=y") == 0 && argv[6] == NULL,
		  "the rest keep their order, and what follows -- is the command's");
	CHECK(strcmp(ctx.dsn, "host=x") == 0 && strcmp(ctx.api_key, "k") == 0 && strcmp(ctx.tenant, "acme") == 0,
		  "--dsn VALUE, --api-key=VALUE, --tenant=VALUE");
	CHECK(ctx.format == CLI_TABLE, "the last --output/-o wins");
	CHECK(!ctx.colour && !ctx.err_colour, "NO_COLOR: no colour");

	{
		cli_ctx		c2 = {0};
		char	   *a2[] = {"ffrtmp", "health", NULL};

		setenv("FFRTMP_API_KEY", "envkey", 1);
		setenv("FFRTMP_TENANT", "", 1);
		cli_global_options(&c2, 2, a2);
		CHECK(c2.api_key != NULL && strcmp(c2.api_key, "envkey") == 0, "FFRTMP_API_KEY is the default key");
		CHECK(c2.tenant == NULL, "an empty FFRTMP_TENANT is unset");
	}
}

/* --output is the format only when its value is one; any other stays the command's. */
static void
test_output_or_url(void)
{
	cli_ctx		ctx = {0};
	char	   *argv[] = {"ffrtmp", "jobs", "submit", "--output", "out/a.mp4", "--output=json", "--input=i",
	"--output=b.mp4", "--output", NULL};
	int			argc = cli_global_options(&ctx, 9, argv);

	CHECK(ctx.format == CLI_JSON, "--output=json is the format, also on jobs submit");
	CHECK(argc == 8 && strcmp(argv[3], "--output") == 0 && strcmp(argv[4], "out/a.mp4") == 0
		  && strcmp(argv[5], "--input=i") == 0 && strcmp(argv[6], "--output=b.mp4") == 0
		  && strcmp(argv[7], "--output") == 0 && argv[8] == NULL,
		  "--output URL, --output=URL and a last --output without a value stay the command's");

	{
		cli_ctx		c2 = {0};
		char	   *a2[] = {"ffrtmp", "--format", "json", "jobs", "submit", "--output", "table", NULL};

		argc = cli_global_options(&c2, 7, a2);
		CHECK(argc == 3 && c2.format == CLI_TABLE, "--format VALUE, and --output table after it wins");
	}
	{
		cli_ctx		c3 = {0};
		char	   *a3[] = {"ffrtmp", "jobs", "submit", "--format=yaml", NULL};

		CHECK(cli_global_options(&c3, 4, a3) == -1, "--format takes table or json only");
	}
}

/* A command option's separate-word value is never read as a global option. */
static void
test_value_not_global(void)
{
	cli_ctx		ctx = {0};
	char	   *argv[] = {"ffrtmp", "tenants", "create", "dash", "--display-name", "-only",
		"--description", "--tenant", "--notes", "-output is x", "-o", "json", NULL};
	int			argc = cli_global_options(&ctx, 12, argv);

	CHECK(argc == 10 && strcmp(argv[4], "--display-name") == 0 && strcmp(argv[5], "-only") == 0
		  && strcmp(argv[6], "--description") == 0 && strcmp(argv[7], "--tenant") == 0
		  && strcmp(argv[9], "-output is x") == 0 && argv[10] == NULL,
		  "-only, --tenant and \"-output is x\" stay the values of the options before them");
	CHECK(ctx.tenant == NULL, "--tenant as --description's value is not the tenant");
	CHECK(ctx.format == CLI_JSON, "a real -o json after them is still the format");

	{
		cli_ctx		c2 = {0};
		char	   *a2[] = {"ffrtmp", "jobs", "logs", "j", "--follow", "--tenant", "t", "-ojson", NULL};

		argc = cli_global_options(&c2, 8, a2);
		CHECK(argc == 5 && c2.tenant != NULL && strcmp(c2.tenant, "t") == 0 && c2.format == CLI_JSON,
			  "after a flag (--follow) --tenant VALUE and -ojson are global");
	}
	{
		cli_ctx		c3 = {0};
		char	   *a3[] = {"ffrtmp", "tenants", "create", "-oxyz", NULL};
		char	   *a4[] = {"ffrtmp", "tenants", "create", "--", "-only", NULL};

		/* No command has a -o: -oX is the global option, refused as -o X is. */
		CHECK(cli_global_options(&c3, 4, a3) == -1 && c3.format == CLI_TABLE,
			  "-oX with X neither table nor json: the format is refused");
		argc = cli_global_options(&c3, 5, a4);
		CHECK(argc == 5 && strcmp(a4[4], "-only") == 0 && c3.format == CLI_TABLE,
			  "-only after -- is the command's");
	}
}

static void
test_parse(void)
{
	static const cli_opt opts[] = {{"a", CLI_VALUE}, {"f", CLI_FLAG}, {"l", CLI_LIST}, {NULL}};
	const char *v[3],
			   *pos[2];
	char	   *argv[] = {"x", "one", "--l=p", "--a", "A", "--f", "--l=q", NULL};

	optind = 1;
	CHECK(cli_parse(&dummy, 7, argv, opts, v, pos, 1, 2) == CLI_OK, "cli_parse: options around an argument");
	CHECK(strcmp(v[0], "A") == 0 && strcmp(v[1], "true") == 0 && strcmp(v[2], "{\"p\",\"q\"}") == 0,
		  "a value, a flag, a repeated option as a text[] literal");
	CHECK(strcmp(pos[0], "one") == 0 && pos[1] == NULL, "the positional argument; the one not given is NULL");
}

/* What cli_put_text writes for s, in buf. */
static const char *
put(const char *s, enum cli_text how, char *buf, size_t len)
{
	FILE	   *f;

	memset(buf, 0, len);
	f = fmemopen(buf, len - 1, "w");
	cli_put_text(NULL, f, s, how);
	fclose(f);
	return buf;
}

static void
test_text(void)
{
	char		b[256];

	CHECK(strcmp(put("a\rb\x1b[2Jc\x7f", CLI_TEXT_CELL, b, sizeof(b)), "a\\rb\\x1B[2Jc\\x7F") == 0,
		  "C0 controls and DEL shown as \\r and \\xHH");
	CHECK(strcmp(put("Evil\xc2\x9b" "2J\xc2\x9d" "0;t\xc2\x9c", CLI_TEXT_CELL, b, sizeof(b)),
				 "Evil\\u009B2J\\u009D0;t\\u009C") == 0, "C1 controls (CSI, OSC, ST) shown as \\uXXXX");
	CHECK(strcmp(put("a\xe2\x80\xae" "b\xe2\x81\xa6", CLI_TEXT_CELL, b, sizeof(b)), "a\\u202Eb\\u2066") == 0,
		  "bidi overrides and isolates shown as \\uXXXX");
	/* ALM, LRM, RLM, LINE SEPARATOR, PARAGRAPH SEPARATOR. */
	CHECK(strcmp(put("a\xd8\x9c" "b\xe2\x80\x8e" "c\xe2\x80\x8f" "d\xe2\x80\xa8" "e\xe2\x80\xa9",
					 CLI_TEXT_LINES, b, sizeof(b)),
				 "a\\u061Cb\\u200Ec\\u200Fd\\u2028e\\u2029") == 0,
		  "bidi marks and line/paragraph separators shown as \\uXXXX");
	CHECK(cli_text_width(NULL, "\xe2\x80\x8f" "\xe2\x80\xa8", CLI_TEXT_CELL) == 12,
		  "an escaped mark or separator is as wide as its escape");
	CHECK(strcmp(put("l1\nl2\tx", CLI_TEXT_CELL, b, sizeof(b)), "l1\\nl2\\tx") == 0,
		  "a table cell: newline and tab escaped, one row a line");
	CHECK(strcmp(put("l1\nl2\tx\r", CLI_TEXT_LINES, b, sizeof(b)), "l1\nl2\tx\\r") == 0,
		  "lines of their own: newline and tab kept, CR escaped");
	CHECK(strcmp(put("caf\xc3\xa9 \xe6\x97\xa5", CLI_TEXT_CELL, b, sizeof(b)), "caf\xc3\xa9 \xe6\x97\xa5") == 0,
		  "printable UTF-8 as it is");
	CHECK(strcmp(put("", CLI_TEXT_CELL, b, sizeof(b)), "") == 0 && cli_text_width(NULL, "", CLI_TEXT_CELL) == 0,
		  "an empty text stays empty");
	CHECK(cli_text_width(NULL, "\xe6\x97\xa5\xe6\x9c\xac", CLI_TEXT_CELL) == 4, "a CJK character is two columns wide");
	CHECK(cli_text_width(NULL, "e\xcc\x81", CLI_TEXT_CELL) == 1, "a combining accent takes none");
	CHECK(cli_text_width(NULL, "a\rb\xc2\x9b", CLI_TEXT_CELL) == 10, "an escape is as wide as its text");
}

static void
test_extension_hint(void)
{
	CHECK(cli_extension_hint("3F000", "schema \"ffrtmp\" does not exist") != NULL,
		  "schema ffrtmp missing: the hint to connect to the extension's database");
	CHECK(strstr(cli_extension_hint("3F000", "schema \"ffrtmp\" does not exist"), "ffrtmp.database") != NULL &&
		  strstr(cli_extension_hint("3F000", "schema \"ffrtmp\" does not exist"), "--dsn") != NULL,
		  "... naming ffrtmp.database and --dsn");
	CHECK(cli_extension_hint("42883", "function ffrtmp.list_tenants() does not exist") != NULL,
		  "an ffrtmp function missing: the same hint");
	CHECK(cli_extension_hint("3F000", "schema \"other\" does not exist") == NULL,
		  "another schema missing: no hint");
	CHECK(cli_extension_hint("42883", "function lower(integer) does not exist") == NULL,
		  "another function missing: no hint");
	CHECK(cli_extension_hint("PT404", "job 5 not found") == NULL && cli_extension_hint(NULL, NULL) == NULL,
		  "other errors, or none: no hint");
}

/* The UTF-8 validator (RFC 3629's table of well-formed sequences). */
static void
test_utf8(void)
{
	char		b[256];

	CHECK(cli_utf8_length((const unsigned char *) "a") == 1, "ASCII: one byte");
	CHECK(cli_utf8_length((const unsigned char *) "\xc3\xa9") == 2, "U+00E9: two bytes");
	CHECK(cli_utf8_length((const unsigned char *) "\xe6\x97\xa5") == 3, "U+65E5: three bytes");
	CHECK(cli_utf8_length((const unsigned char *) "\xf0\x9f\x98\x80") == 4, "U+1F600: four bytes");
	CHECK(cli_utf8_length((const unsigned char *) "\xf4\x8f\xbf\xbf") == 4, "U+10FFFF: four bytes");
	CHECK(cli_utf8_length((const unsigned char *) "\xf0\x1b[2J") == 0, "a 4-byte lead before an ESC: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xf0\x9f\x98") == 0, "a truncated sequence: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xf5\x80\x80") == 0, "lead 0xF5: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xff\x80\x80\x80") == 0, "lead 0xFF: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xc0\xaf") == 0, "overlong 2-byte form: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xe0\x80\xaf") == 0, "overlong 3-byte form: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xf0\x80\x80\xaf") == 0, "overlong 4-byte form: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xed\xa0\x80") == 0, "a surrogate: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\xf4\x90\x80\x80") == 0, "past U+10FFFF: invalid");
	CHECK(cli_utf8_length((const unsigned char *) "\x80") == 0, "a lone continuation byte: invalid");
	CHECK(strcmp(put("a\xf0\x1b[2J\x07", CLI_TEXT_CELL, b, sizeof(b)), "a\\xF0\\x1B[2J\\x07") == 0,
		  "text: an invalid lead escaped alone, the ESC after it escaped too");
	CHECK(strcmp(put("\xf5\x80\x80z", CLI_TEXT_CELL, b, sizeof(b)), "\\xF5\\x80\\x80z") == 0,
		  "text: lead 0xF5 and its continuation bytes escaped byte by byte");
	CHECK(strcmp(put("x\xe6\x97", CLI_TEXT_CELL, b, sizeof(b)), "x\\xE6\\x97") == 0,
		  "text: a truncated sequence at the end escaped byte by byte");
	{
		FILE	   *f;

		memset(b, 0, sizeof(b));
		f = fmemopen(b, sizeof(b) - 1, "w");
		cli_put_json(NULL, f, "[\"a\xe2\x80\xa8" "b\xe2\x80\xae" "c\xc2\x9b" "d\xc3\xa9\xe6\x97\xa5\"]");
		fclose(f);
		CHECK(strcmp(b, "[\"a\\u2028b\\u202Ec\\u009Bd\xc3\xa9\xe6\x97\xa5\"]\n") == 0,
			  "server JSON: separators, bidi and C1 controls as \\uXXXX, other text as it is");
	}
}

int
main(void)
{
	test_arrays();
	test_call();
	test_global_options();
	test_output_or_url();
	test_value_not_global();
	test_parse();
	test_text();
	test_extension_hint();
	test_utf8();
	return check_summary();
}
