/*
 * ffrtmp jobs watch: the progress of running jobs (percent, fps, speed,
 * ETA) as ffrtmp.job_details gives it, polled once a second.  On a terminal
 * the lines are redrawn in place (ANSI cursor movement; colour only without
 * NO_COLOR); otherwise a plain line (or JSON object) is printed each time a
 * job's state or percent changes, so that a log or a pipe gets no repeats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "jobs.h"

#define BAR_WIDTH 30			/* the bar's width when the line fits */
#define BAR_MIN 10				/* its width on a narrow terminal */

/* What was last printed of a job, in the plain form. */
typedef struct seen
{
	char		id[24];
	char		key[64];		/* state and percent */
	bool		ended;			/* its final line is printed */
} seen;

typedef struct watch
{
	cli_ctx    *ctx;
	bool		terminal;		/* stdout is a terminal: redraw in place */
	int			drawn;			/* lines drawn by the last redraw */
	seen	   *seen;			/* every job the plain form has shown: grown as needed */
	int			nseen;
	int			nalloc;
} watch;

/* The columns the statements below select, in order. */
enum
{
	W_ID, W_SEQ, W_TENANT, W_STATE, W_PERCENT, W_FPS, W_SPEED, W_ETA, W_ENDED, W_COMPLETED, W_JSON,
	W_FAILURE
};

#define WATCH_COLUMNS \
	"SELECT d.id, d.seq, d.tenant_name, d.state, d.percent, d.fps, d.speed, d.eta, " \
	"d.finished_at IS NOT NULL, d.state = 'completed', pg_catalog.row_to_json(d), d.failure_reason FROM ffrtmp.job_details d "

static const char named_sql[] = WATCH_COLUMNS "WHERE d.id = ANY ($1::bigint[]) ORDER BY d.id";
/*
 * The jobs that hold a node, and ($1) those the plain form has shown that
 * have not ended: a job that leaves the running set gets its final line.
 */
static const char running_sql[] = WATCH_COLUMNS
	"JOIN ffrtmp.job_states s ON s.state = d.state "
	"WHERE s.holds_node OR d.id = ANY ($1::bigint[]) ORDER BY d.id";

static const char *
state_colour(watch *w, const char *state)
{
	if (!w->ctx->colour)
		return "";
	if (strcmp(state, "completed") == 0)
		return "\033[32m";
	if (strcmp(state, "running") == 0)
		return "\033[36m";
	if (strcmp(state, "paused") == 0 || strcmp(state, "assigned") == 0)
		return "\033[33m";
	return strcmp(state, "failed") == 0 || strcmp(state, "timed_out") == 0
		|| strcmp(state, "rejected") == 0 ? "\033[31m" : "";
}

/*
 * One job's line: "job 12 (acme #3)  running    [#####-----]  45.0%  120.0 fps  4.00x  ETA 00:00:12".
 * A job that has ended has no progress (job_details keeps only a running
 * attempt's): its line is its state, and its failure class if it failed.
 */
/*
 * A stored text of the line (the tenant's name, the failure class) as
 * cli_put_text shows it; both have a grammar today, but the line is only
 * as safe as its least checked part.
 */
static const char *
shown(watch *w, const char *s, char *buf, size_t len)
{
	FILE	   *f;

	/* Zeroed first: fmemopen writes no NUL when nothing is written, none when full. */
	memset(buf, 0, len);
	if ((f = fmemopen(buf, len - 1, "w")) == NULL)
		return "?";
	cli_put_text(w->ctx, f, s, CLI_TEXT_CELL);
	fclose(f);
	return buf;
}

static void
format_line(watch *w, const PGresult *res, int r, char *line, size_t len, int width)
{
	char		tenant[128];
	char		failure[128];
	const char *percent = PQgetvalue(res, r, W_PERCENT);
	const char *state = PQgetvalue(res, r, W_STATE);
	char		bar[BAR_WIDTH + 1];
	int			filled = PQgetisnull(res, r, W_PERCENT) ? 0 : (int) (atof(percent) * width / 100.0);

	for (int i = 0; i < width; i++)
		bar[i] = i < filled ? '#' : '-';
	bar[width] = '\0';
	/* An ended job has nothing left to show but how it ended (and why). */
	if (PQgetvalue(res, r, W_ENDED)[0] == 't')
	{
		snprintf(line, len, "job %s (%s #%s)  %s%s%s%s%s",
				 PQgetvalue(res, r, W_ID), shown(w, PQgetvalue(res, r, W_TENANT), tenant, sizeof(tenant)),
				 PQgetvalue(res, r, W_SEQ),
				 state_colour(w, state), state, w->ctx->colour ? "\033[0m" : "",
				 PQgetisnull(res, r, W_FAILURE) ? "" : ": ",
				 shown(w, PQgetvalue(res, r, W_FAILURE), failure, sizeof(failure)));
		return;
	}
	snprintf(line, len, "job %s (%s #%s)  %s%-9s%s  [%s]  %5s%%  %s fps  %sx  ETA %s",
			 PQgetvalue(res, r, W_ID), shown(w, PQgetvalue(res, r, W_TENANT), tenant, sizeof(tenant)),
				 PQgetvalue(res, r, W_SEQ),
			 state_colour(w, state), state, w->ctx->colour ? "\033[0m" : "", bar,
			 PQgetisnull(res, r, W_PERCENT) ? "--" : percent,
			 PQgetisnull(res, r, W_FPS) ? "--" : PQgetvalue(res, r, W_FPS),
			 PQgetisnull(res, r, W_SPEED) ? "--" : PQgetvalue(res, r, W_SPEED),
			 PQgetisnull(res, r, W_ETA) ? "--" : PQgetvalue(res, r, W_ETA));
}

/* Characters a terminal shows of s: escape sequences and UTF-8 continuation bytes take none. */
static int
visible(const char *s)
{
	int			n = 0;

	for (; *s != '\0'; s++)
	{
		if (*s == '\033')
			while (s[1] != '\0' && *s != 'm')
				s++;
		else
			n += ((unsigned char) *s & 0xC0) != 0x80;
	}
	return n;
}

/* Cuts line to at most cols - 1 shown characters (a full line would wrap). */
static void
cut(char *line, int cols)
{
	int			n = 0;

	for (char *s = line; *s != '\0'; s++)
	{
		if (*s == '\033')
			while (s[1] != '\0' && *s != 'm')
				s++;
		else if (((unsigned char) *s & 0xC0) != 0x80 && ++n == cols)
		{
			*s = '\0';
			return;
		}
	}
}

/*
 * A terminal line: narrower bar, then cut, so that it never wraps (a
 * wrapped line would throw the redraw's cursor movement off).
 */
static void
terminal_line(watch *w, const PGresult *res, int r, char *line, size_t len)
{
	struct winsize ws;
	int			cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
	int			over;

	format_line(w, res, r, line, len, BAR_WIDTH);
	if (cols <= 0 || (over = visible(line) - (cols - 1)) <= 0)
		return;
	format_line(w, res, r, line, len, over < BAR_WIDTH - BAR_MIN ? BAR_WIDTH - over : BAR_MIN);
	cut(line, cols);
	/* The cut may fall inside the state's colour. */
	if (w->ctx->colour && strlen(line) + 5 <= len)
		strcat(line, "\033[0m");
}

/* Whether the job's state or percent differs from what was last printed (and remembers it). */
static bool
changed(watch *w, const PGresult *res, int r)
{
	const char *id = PQgetvalue(res, r, W_ID);
	char		key[64];
	int			i;

	snprintf(key, sizeof(key), "%s %s", PQgetvalue(res, r, W_STATE), PQgetvalue(res, r, W_PERCENT));
	for (i = 0; i < w->nseen && strcmp(w->seen[i].id, id) != 0; i++)
		;
	if (i == w->nseen)
	{
		if (w->nseen == w->nalloc)
		{
			int			n = w->nalloc > 0 ? 2 * w->nalloc : 64;
			seen	   *grown = realloc(w->seen, n * sizeof(seen));

			if (grown == NULL)
				return true;	/* out of memory: a repeated line, not a lost one */
			w->seen = grown;
			w->nalloc = n;
		}
		memset(&w->seen[w->nseen], 0, sizeof(seen));
		snprintf(w->seen[w->nseen++].id, sizeof(w->seen[0].id), "%s", id);
	}
	else if (strcmp(w->seen[i].key, key) == 0)
		return false;
	w->seen[i].ended = PQgetvalue(res, r, W_ENDED)[0] == 't';
	snprintf(w->seen[i].key, sizeof(w->seen[0].key), "%s", key);
	return true;
}

static void
show(watch *w, const PGresult *res)
{
	char		line[512];

	if (w->terminal && w->ctx->format == CLI_TABLE)
	{
		/* Back to the first line drawn, then each line cleared and drawn again. */
		if (w->drawn > 0)
			printf("\033[%dA", w->drawn);
		for (int r = 0; r < PQntuples(res); r++)
		{
			terminal_line(w, res, r, line, sizeof(line));
			printf("\r\033[2K%s\n", line);
		}
		/* Lines of jobs no longer shown are cleared. */
		for (int r = PQntuples(res); r < w->drawn; r++)
			printf("\r\033[2K\n");
		if (w->drawn > PQntuples(res))
			printf("\033[%dA", w->drawn - PQntuples(res));
		w->drawn = PQntuples(res);
	}
	else
		for (int r = 0; r < PQntuples(res); r++)
		{
			if (!changed(w, res, r))
				continue;
			if (w->ctx->format == CLI_JSON)
				cli_put_json(w->ctx, stdout, PQgetvalue(res, r, W_JSON));
			else
			{
				format_line(w, res, r, line, sizeof(line), BAR_WIDTH);
				printf("%s\n", line);
			}
		}
	fflush(stdout);
}

/*
 * The jobs the plain form has shown that have not ended, as a bigint[]
 * literal in *array (NULL when none); false when out of memory.
 */
static bool
followed(const watch *w, char **array)
{
	free(*array);
	*array = NULL;
	for (int i = 0; i < w->nseen; i++)
		if (!w->seen[i].ended && !cli_array_add(array, w->seen[i].id))
			return false;
	return true;
}

/* The first of the named jobs the answer lacks (one the caller cannot see), or NULL. */
static const char *
missing(const PGresult *res, char (*ids)[32], int nids)
{
	for (int i = 0; i < nids; i++)
	{
		int			r = 0;

		while (r < PQntuples(res) && strcmp(PQgetvalue(res, r, W_ID), ids[i]) != 0)
			r++;
		if (r == PQntuples(res))
			return ids[i];
	}
	return NULL;
}

int
cli_jobs_watch(cli_ctx *ctx, int argc, char **argv)
{
	const cli_command *cmd = cli_jobs_command("watch");
	watch		w = {.ctx = ctx, .terminal = isatty(STDOUT_FILENO) == 1};
	char	   *array = NULL;	/* the ids as a bigint[] literal */
	char		(*ids)[32] = calloc(argc > 0 ? argc : 1, sizeof(*ids));
	int			nids = 0;
	const char *none[1];
	const char **pos = calloc(argc > 0 ? argc : 1, sizeof(char *));
	int			status;

	if (pos == NULL || ids == NULL)
		return cli_usage_error(NULL, "out of memory");
	if ((status = cli_parse(cmd, argc, argv, NULL, none, pos, 0, argc)) != CLI_OK
		|| (status = cli_connect(ctx)) != CLI_OK)
		return status;
	for (int i = 0; i < argc && pos[i] != NULL; i++)
	{
		int			j = 0;

		if ((status = cli_job_id(ctx, cmd, pos[i], ids[nids], sizeof(ids[0]))) != CLI_OK)
			return status;
		while (j < nids && strcmp(ids[j], ids[nids]) != 0)
			j++;
		if (j < nids)
			continue;			/* named twice */
		if (!cli_array_add(&array, ids[nids++]))
			return cli_usage_error(NULL, "out of memory");
	}
	for (;;)
	{
		const char *params[1];
		PGresult   *res;
		bool		all_ended = true;
		bool		all_completed = true;
		const char *lacking;

		if (nids == 0 && !followed(&w, &array))
			return cli_usage_error(NULL, "out of memory");
		params[0] = array;
		res = cli_exec(ctx, nids > 0 ? named_sql : running_sql, 1, params);

		if (res == NULL)
			return CLI_REFUSED;
		if ((lacking = missing(res, ids, nids)) != NULL)
		{
			cli_error(ctx, "job %s does not exist", lacking);
			fprintf(stderr, "HINT: ffrtmp jobs list lists the jobs you can see.\n");
			PQclear(res);
			return CLI_REFUSED;
		}
		show(&w, res);
		for (int r = 0; r < PQntuples(res); r++)
		{
			all_ended &= PQgetvalue(res, r, W_ENDED)[0] == 't';
			all_completed &= PQgetvalue(res, r, W_COMPLETED)[0] == 't';
		}
		PQclear(res);
		if (nids > 0 && all_ended)
			return all_completed ? CLI_OK : CLI_REFUSED;
		if ((status = cli_jobs_pause(ctx, 1000)) != CLI_OK)
			return status;
	}
}
