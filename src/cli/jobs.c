/*
 * ffrtmp jobs: submit, list, get, history, cancel, retry, hold, release,
 * pause, resume and logs; each one call of the SQL function of the same
 * name (docs/sql-reference.md).  watch is jobs_watch.c's.  A job is named
 * by its id or, as "#N", by its tenant's job number (ffrtmp.job_id).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jobs.h"

static int	run_submit(cli_ctx *ctx, int argc, char **argv);
static int	run_list(cli_ctx *ctx, int argc, char **argv);
static int	run_get(cli_ctx *ctx, int argc, char **argv);
static int	run_history(cli_ctx *ctx, int argc, char **argv);
static int	run_action(cli_ctx *ctx, int argc, char **argv);
static int	run_logs(cli_ctx *ctx, int argc, char **argv);

#define JOB_ARG "<id|#N>"
#define ACTION(name, fn, what, text) \
	{name, what, "ffrtmp jobs " name " " JOB_ARG "\n\n" text " (ffrtmp." fn ").\n" \
	 "A job is its id, or #N its tenant's job number (--tenant names the tenant\n" \
	 "for an administrator).\n", run_action}

static const cli_command commands[] = {
	{"submit", "queue a transcoding job",
		"ffrtmp jobs submit --input=URL [--output=URL] [--preset=NAME] [--param=KEY=VALUE]...\n"
		"                   [--params=JSON] [--priority=P] [--queue=Q] [--max-attempts=N]\n"
		"                   [--timeout=INTERVAL] [--cpu-cores=N] [--gpus=N] [--run-after=TIME]\n"
		"                   [--idempotency-key=KEY] [--retry-all-failures] [--tenant=T] [--wait]\n\n"
		"Queues a job (ffrtmp.submit_job) within the tenant's quotas and shows it.\n"
		"  --input=URL          file://, http(s)://, rtmp(s):// ... input\n"
		"  --output=URL         output path or URL (default: the server's); --output=table\n"
		"                       and --output=json are the answer's format (the global\n"
		"                       option): an output named so is --output-url=json\n"
		"  --output-url=URL     the same as --output=URL, whatever URL is\n"
		"  --preset=NAME        a preset of ffrtmp.presets\n"
		"  --param=KEY=VALUE    an encode parameter, repeatable: VALUE a JSON number,\n"
		"                       true or false as such, anything else a string\n"
		"                       (docs/encode-parameters.md)\n"
		"  --params=JSON        the encode parameters as one JSON object (with --param:\n"
		"                       --param's keys win)\n"
		"  --priority=P         higher runs first within the tenant\n"
		"  --queue=Q            live, default or batch\n"
		"  --max-attempts=N, --timeout=INTERVAL, --cpu-cores=N, --gpus=N,\n"
		"  --run-after=TIME, --idempotency-key=KEY, --retry-all-failures\n"
		"                       as submit_job's arguments of the same name\n"
		"  --wait               commit, then wait until the job ends and show it; exit 0\n"
		"                       when it completed, 1 when it ended otherwise\n",
	run_submit},
	{"list", "list a tenant's jobs, newest first",
		"ffrtmp jobs list [--state=STATE] [--limit=N] [--tenant=T]\n\n"
		"Lists the jobs of the caller's tenant, or --tenant's (ffrtmp.tenant_jobs).\n"
		"  --state=STATE        only jobs in this state (ffrtmp.job_states)\n"
		"  --limit=N            at most N jobs, the newest\n",
	run_list},
	{"get", "show one job with its latest progress",
		"ffrtmp jobs get " JOB_ARG "\n\n"
		"Shows a job with its tenant's name and latest progress (ffrtmp.get_job).\n"
		"A job is its id, or #N its tenant's job number.\n",
	run_get},
	{"history", "a job's state changes, oldest first",
		"ffrtmp jobs history " JOB_ARG "\n\n"
		"Shows a job's state changes with their reasons and actors (ffrtmp.job_history).\n",
	run_history},
	ACTION("cancel", "cancel_job", "cancel a job", "Cancels a job that has not ended"),
	ACTION("retry", "retry_job", "queue an ended job again", "Queues a failed, timed-out, canceled or rejected job again"),
	ACTION("hold", "hold_job", "keep a waiting job from being dispatched", "Holds a queued or retrying job"),
	ACTION("release", "release_job", "release a held job", "Releases a held job"),
	ACTION("pause", "pause_job", "pause a running job", "Pauses a running job"),
	ACTION("resume", "resume_job", "resume a paused job", "Resumes a paused job"),
	{"logs", "a job's worker and libav log",
		"ffrtmp jobs logs " JOB_ARG " [--attempt=N] [--follow]\n\n"
		"Shows a job's log lines, oldest first (ffrtmp.job_logs).\n"
		"  --attempt=N          only attempt N's lines\n"
		"  --follow             keep printing lines as the worker sends them, until the\n"
		"                       job ends (with --attempt: until that attempt ends); with\n"
		"                       --output=json one JSON object a line\n",
	run_logs},
	{"watch", "live progress of running jobs",
		"ffrtmp jobs watch [" JOB_ARG "...]\n\n"
		"Shows the progress (percent, fps, speed, ETA) of the named jobs until they all\n"
		"end (exit 0 when all completed, else 1), or without jobs of every job that\n"
		"holds a node, until interrupted.  On a terminal the bars are redrawn in place;\n"
		"otherwise one plain line each time a job's state or percent changes (with\n"
		"--output=json one JSON object a line; without jobs, a job shown that leaves\n"
		"the running set gets lines until its final state).  Polls once a second.\n",
	cli_jobs_watch},
	{NULL}
};

const cli_group cli_jobs_group = {"jobs", "submit, list, follow and control transcoding jobs", commands, false};

const cli_command *
cli_jobs_command(const char *name)
{
	const cli_command *c = commands;

	while (c->name != NULL && strcmp(c->name, name) != 0)
		c++;
	return c;
}

/*
 * job_id's refusal, as the server words it, except its hint when no tenant
 * was chosen (22023 from an administrator without --tenant): the server's
 * names the SQL argument (job_id(4, tenant => ...)), the CLI's option is
 * --tenant.
 */
static void
no_job_id(cli_ctx *ctx, const PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (ctx->tenant != NULL || message == NULL || sqlstate == NULL || strcmp(sqlstate, "22023") != 0)
	{
		cli_print_server_error(ctx, res);
		return;
	}
	cli_error(ctx, "%s", message);	/* "job number N names no tenant": digits only */
	fprintf(stderr, "HINT: use --tenant=NAME with a #sequence number, or the job's id.\n"
			"SQLSTATE: %s\n", sqlstate);
}

int
cli_job_id(cli_ctx *ctx, const cli_command *cmd, const char *arg, char *id, size_t len)
{
	const char *digits = arg[0] == '#' ? arg + 1 : arg;
	PGresult   *res;

	if (digits[0] == '\0' || strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 18)
		return cli_usage_error(cmd, "a job is its id or #N, not \"%s\"", arg);
	if (arg[0] != '#')
	{
		snprintf(id, len, "%s", digits);
		return CLI_OK;
	}
	{
		const char *params[] = {digits, ctx->tenant};

		res = PQexecParams(ctx->conn, "SELECT ffrtmp.job_id($1::bigint, $2)", 2, NULL, params,
						   NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		no_job_id(ctx, res);
		PQclear(res);
		return CLI_REFUSED;
	}
	snprintf(id, len, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return CLI_OK;
}

int
cli_jobs_pause(cli_ctx *ctx, unsigned int milliseconds)
{
	static bool interruptible = false;
	int			status = cli_commit(ctx);

	if (status != CLI_OK)
		return status;

	/*
	 * The reader of stdout has gone (`jobs watch | head -5`; SIGPIPE is
	 * ignored, main.c): nothing more can be shown, and with the transaction
	 * just committed ending here loses nothing.  A success, as in main.c.
	 */
	if (fflush(stdout) == EOF && errno == EPIPE)
	{
		PQfinish(ctx->conn);
		exit(CLI_OK);
	}

	/*
	 * The commands that poll (--wait, logs --follow, watch) run until the
	 * job ends or they are interrupted: SIGINT and SIGTERM end them, even
	 * when they were started from a shell without job control, which starts
	 * background commands with SIGINT ignored.  Between polls no transaction
	 * is open, so ending there loses nothing.
	 */
	if (!interruptible)
	{
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		interruptible = true;
	}
	usleep(milliseconds * 1000);
	return cli_begin(ctx);
}

/* Parses a command taking one job and no options, connects and resolves it. */
static int
one_job(cli_ctx *ctx, int argc, char **argv, char *id, size_t len)
{
	const cli_command *cmd = cli_jobs_command(argv[0]);
	const char *pos[1];
	const char *none[1];
	int			status;

	if ((status = cli_parse(cmd, argc, argv, NULL, none, pos, 1, 1)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	return cli_job_id(ctx, cmd, pos[0], id, len);
}

enum
{
	S_INPUT, S_OUTPUT, S_PRESET, S_PARAM, S_PARAMS, S_PRIORITY, S_QUEUE, S_MAX_ATTEMPTS,
	S_TIMEOUT, S_CPU_CORES, S_GPUS, S_RUN_AFTER, S_IDEMPOTENCY_KEY, S_RETRY_ALL, S_WAIT,
	S_OUTPUT_URL, S_COUNT
};

static const cli_opt submit_opts[] = {
	[S_INPUT] = {"input", CLI_VALUE},
	[S_OUTPUT] = {"output", CLI_VALUE}, /* a value other than table or json (options.c) */
	[S_PRESET] = {"preset", CLI_VALUE},
	[S_PARAM] = {"param", CLI_LIST},
	[S_PARAMS] = {"params", CLI_VALUE},
	[S_PRIORITY] = {"priority", CLI_VALUE},
	[S_QUEUE] = {"queue", CLI_VALUE},
	[S_MAX_ATTEMPTS] = {"max-attempts", CLI_VALUE},
	[S_TIMEOUT] = {"timeout", CLI_VALUE},
	[S_CPU_CORES] = {"cpu-cores", CLI_VALUE},
	[S_GPUS] = {"gpus", CLI_VALUE},
	[S_RUN_AFTER] = {"run-after", CLI_VALUE},
	[S_IDEMPOTENCY_KEY] = {"idempotency-key", CLI_VALUE},
	[S_RETRY_ALL] = {"retry-all-failures", CLI_FLAG},
	[S_WAIT] = {"wait", CLI_FLAG},
	[S_OUTPUT_URL] = {"output-url", CLI_VALUE}, /* --output's unambiguous spelling */
	[S_COUNT] = {NULL}
};

/*
 * The encode parameters' JSON object, built by the server from --params and
 * the --param pairs ($2, $3): a JSON number, true or false stays one (the
 * encode-parameter table refuses a number written as a string).  A number
 * is RFC 8259's: 007, .5, 1. and +1 are strings, as --help says.
 */
static const char params_sql[] =
	"(SELECT COALESCE($1::jsonb, '{}') || COALESCE(pg_catalog.jsonb_object_agg(p.k, "
	"CASE WHEN p.v ~ '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?$' OR p.v IN ('true', 'false') "
	"THEN p.v::jsonb ELSE pg_catalog.to_jsonb(p.v) END), '{}') "
	"FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) AS p(k, v))";

/* With --wait: commits the submission, then waits in a new transaction until the job ends. */
static int
wait_for(cli_ctx *ctx, const char *id)
{
	PGresult   *res;
	int			status;

	/* The submission committed: a worker can take the job. */
	if ((status = cli_jobs_pause(ctx, 0)) != CLI_OK)
		return status;
	for (;;)
	{
		const char *params[] = {id};
		bool		ended;

		/* wait_for_job sleeps until the job ends or 60 s pass, seeing other sessions' commits. */
		res = cli_exec(ctx, "SELECT finished_at IS NOT NULL, state = 'completed' FROM ffrtmp.wait_for_job($1::bigint)",
					   1, params);
		if (res == NULL)
			return CLI_REFUSED;
		ended = PQgetvalue(res, 0, 0)[0] == 't';
		status = PQgetvalue(res, 0, 1)[0] == 't' ? CLI_OK : CLI_REFUSED;
		PQclear(res);
		if (ended)
			break;
		if ((status = cli_jobs_pause(ctx, 0)) != CLI_OK)
			return status;
	}
	{
		const char *params[] = {id};
		int			shown = cli_show_one(ctx, "SELECT * FROM ffrtmp.get_job($1::bigint)", 1, params);

		if (shown != CLI_OK)
			return shown;
	}
	if (status != CLI_OK)
		cli_error(ctx, "job %s did not complete", id);
	return status;
}

static int
run_submit(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd = cli_jobs_command("submit");
	const char *v[S_COUNT + 1];
	const char *none[1];
	cli_pairs	pairs = {0};
	int			status;

	if ((status = cli_parse(cmd, argc, argv, submit_opts, v, none, 0, 0)) != CLI_OK)
		return status;
	if (v[S_INPUT] == NULL)
		return cli_usage_error(cmd, "--input is required");
	if (v[S_OUTPUT] != NULL && v[S_OUTPUT_URL] != NULL)
		return cli_usage_error(cmd, "--output and --output-url name the same output: give one");
	if (v[S_OUTPUT] == NULL)
		v[S_OUTPUT] = v[S_OUTPUT_URL];
	/* The --param pairs as key and value arrays (getopt kept them in order). */
	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];

		if (strncmp(a, "--param=", 8) == 0)
			a += 8;
		else if (strcmp(a, "--param") == 0 && i + 1 < argc)
			a = argv[++i];
		else
			continue;
		if (!cli_add_pair(&pairs, a))
			return cli_usage_error(cmd, "--param takes KEY=VALUE, not \"%s\"", a);
	}
	if ((status = cli_connect(ctx)) != CLI_OK)
		return status;

	{
		char		sql[2048];
		const char *params[] = {v[S_PARAMS], pairs.keys, pairs.values, v[S_INPUT], v[S_OUTPUT],
			v[S_PRESET], v[S_PRIORITY], v[S_QUEUE], v[S_MAX_ATTEMPTS], v[S_TIMEOUT], v[S_CPU_CORES],
		v[S_GPUS], v[S_RUN_AFTER], v[S_IDEMPOTENCY_KEY], v[S_RETRY_ALL], ctx->tenant};
		const char *const names[] = {NULL, NULL, NULL, "input_url", "output_url", "preset", "priority",
			"queue", "max_attempts", "timeout", "cpu_cores", "gpus", "run_after", "idempotency_key",
		"retry_all_failures", "tenant"};
		const char *const casts[] = {NULL, NULL, NULL, "", "", "", "::integer::ffrtmp.priority", "",
			"::integer", "::interval", "::integer", "::integer", "::timestamptz", "", "::boolean", ""};
		int			n = snprintf(sql, sizeof(sql), "SELECT * FROM ffrtmp.submit_job(params => %s", params_sql);
		PGresult   *res;
		char		id[32];

		/* Only the arguments given are written: the others take the function's defaults. */
		for (int i = 3; i < 16; i++)
			if (params[i] != NULL)
				n += snprintf(sql + n, sizeof(sql) - n, ", %s => $%d%s", names[i], i + 1, casts[i]);
		snprintf(sql + n, sizeof(sql) - n, ")");
		if (v[S_WAIT] == NULL)
			return cli_show_one(ctx, sql, 16, params);
		/* --wait: only the id now, the job as it ended after the wait. */
		{
			char		idsql[2200];

			snprintf(idsql, sizeof(idsql), "SELECT id FROM (%s) j", sql);
			if ((res = cli_exec(ctx, idsql, 16, params)) == NULL)
				return CLI_REFUSED;
		}
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (ctx->format == CLI_TABLE)
			fprintf(stderr, "ffrtmp: job %s submitted, waiting for it to end\n", id);
		return wait_for(ctx, id);
	}
}

static int
run_list(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"state", CLI_VALUE}, {"limit", CLI_VALUE}, {NULL}};
	static const char *const columns[] = {"id", "seq", "tenant_name", "state", "queue", "priority",
	"percent", "input_url", "output_url", "created_at", NULL};
	const char *v[3];
	const char *none[1];
	int			status;

	if ((status = cli_parse(cli_jobs_command("list"), argc, argv, opts, v, none, 0, 0)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;

	{
		const char *params[] = {ctx->tenant, v[0], v[1]};

		return cli_show_rows(ctx, "SELECT * FROM ffrtmp.tenant_jobs($1, $2) LIMIT $3::bigint", 3, params,
							 columns);
	}
}

static int
run_get(cli_ctx *ctx, int argc, char **argv)
{
	char		id[32];
	int			status;

	if ((status = one_job(ctx, argc, argv, id, sizeof(id))) != CLI_OK)
		return status;
	{
		const char *params[] = {id};

		return cli_show_one(ctx, "SELECT * FROM ffrtmp.get_job($1::bigint)", 1, params);
	}
}

/*
 * A job's history and logs are empty for a job the caller cannot see:
 * get_job, in the same transaction, refuses it as jobs get does (PT404).
 */
static int
visible_job(cli_ctx *ctx, const char *id)
{
	const char *params[] = {id};
	PGresult   *res = cli_exec(ctx, "SELECT 1 FROM ffrtmp.get_job($1::bigint)", 1, params);

	if (res == NULL)
		return CLI_REFUSED;
	PQclear(res);
	return CLI_OK;
}

static int
run_history(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const columns[] = {"at", "attempt", "from_state", "to_state", "reason", "actor", NULL};
	char		id[32];
	int			status;

	if ((status = one_job(ctx, argc, argv, id, sizeof(id))) != CLI_OK
		|| (status = visible_job(ctx, id)) != CLI_OK)
		return status;
	{
		const char *params[] = {id};

		return cli_show_rows(ctx, "SELECT * FROM ffrtmp.job_history($1::bigint)", 1, params, columns);
	}
}

/* cancel, retry, hold, release, pause, resume: ffrtmp.<name>_job(id), the job as it is now. */
static int
run_action(cli_ctx *ctx, int argc, char **argv)
{
	char		sql[80];
	char		id[32];
	int			status;

	if ((status = one_job(ctx, argc, argv, id, sizeof(id))) != CLI_OK)
		return status;
	snprintf(sql, sizeof(sql), "SELECT * FROM ffrtmp.%s_job($1::bigint)", cli_jobs_command(argv[0])->name);
	{
		const char *params[] = {id};

		return cli_show_one(ctx, sql, 1, params);
	}
}

/* Prints log rows (attempt_no, line, logged_at, level, source, message) one a line. */
static void
print_log_lines(cli_ctx *ctx, const PGresult *res, long long *last_line, int *last_attempt)
{
	for (int r = 0; r < PQntuples(res); r++)
	{
		if (ctx->format == CLI_JSON)
			cli_put_json(ctx, stdout, PQgetvalue(res, r, 6));
		else
		{
			printf("%s#%s %s %-7s %-6s%s ", cli_bold(ctx), PQgetvalue(res, r, 0),
				   PQgetvalue(res, r, 2), PQgetvalue(res, r, 3), PQgetvalue(res, r, 4),
				   cli_plain(ctx));
			cli_put_text(ctx, stdout, PQgetvalue(res, r, 5), CLI_TEXT_LINES);
			putchar('\n');
		}
		*last_attempt = atoi(PQgetvalue(res, r, 0));
		*last_line = atoll(PQgetvalue(res, r, 1));
	}
	fflush(stdout);
}

/*
 * --follow: polls the lines past the last one shown, once a second, until
 * the job has ended (or, with --attempt, moved past that attempt), then
 * prints what the end left.  Each poll is a transaction of its own
 * (cli_jobs_pause).
 */
static int
follow(cli_ctx *ctx, const char *id, const char *attempt)
{
	long long	last_line = 0;
	int			last_attempt = 0;
	bool		done = false;
	int			status;

	while (true)
	{
		char		a[16],
					l[24];
		const char *params[] = {id, attempt, a, l};
		PGresult   *res;

		snprintf(a, sizeof(a), "%d", last_attempt);
		snprintf(l, sizeof(l), "%lld", last_line);
		/* done is read before the lines: the lines of an attempt that ended are all in. */
		res = cli_exec(ctx,
					   "SELECT j.finished_at IS NOT NULL OR ($2 IS NOT NULL AND j.attempt > $2::integer) "
					   "FROM ffrtmp.jobs j WHERE j.id = $1::bigint", 2, params);
		if (res == NULL)
			return CLI_REFUSED;
		if (PQntuples(res) == 0)
		{
			PQclear(res);
			cli_error(ctx, "no job %s (or not one the caller may see)", id);
			return CLI_REFUSED;
		}
		done = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
		res = cli_exec(ctx,
					   "SELECT l.attempt_no, l.line, l.logged_at, l.level, l.source, l.message, pg_catalog.row_to_json(l) "
					   "FROM ffrtmp.job_logs($1::bigint, $2::integer) l "
					   "WHERE (l.attempt_no, l.line) > ($3::integer, $4::bigint) ORDER BY 1, 2", 4, params);
		if (res == NULL)
			return CLI_REFUSED;
		print_log_lines(ctx, res, &last_line, &last_attempt);
		PQclear(res);
		if (done)
			return CLI_OK;
		if ((status = cli_jobs_pause(ctx, 1000)) != CLI_OK)
			return status;
	}
}

static int
run_logs(cli_ctx *ctx, int argc, char **argv)
{
	static const cli_opt opts[] = {{"attempt", CLI_VALUE}, {"follow", CLI_FLAG}, {NULL}};
	static const char *const columns[] = {"attempt_no", "line", "logged_at", "level", "source", "message", NULL};
	const cli_command *cmd = cli_jobs_command("logs");
	const char *v[3];
	const char *pos[1];
	char		id[32];
	int			status;

	if ((status = cli_parse(cmd, argc, argv, opts, v, pos, 1, 1)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK
		|| (status = cli_job_id(ctx, cmd, pos[0], id, sizeof(id))) != CLI_OK
		|| (status = visible_job(ctx, id)) != CLI_OK)
		return status;
	if (v[1] != NULL)
		return follow(ctx, id, v[0]);
	{
		const char *params[] = {id, v[0]};

		return cli_show_rows(ctx, "SELECT * FROM ffrtmp.job_logs($1::bigint, $2::integer)", 2, params, columns);
	}
}
