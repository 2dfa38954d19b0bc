/*
 * ffrtmp-sample: samples what the backends of a cluster are doing, for the
 * bench's profiled rounds (bench/profile.sh, bench/profile_lib.sh).
 *
 * Every --interval-ms (10) it reads pg_stat_activity once and prints, for
 * each group of backends in a statement or in an open transaction, one line
 *     w SAMPLE BACKEND_TYPE WAIT_EVENT_TYPE WAIT_EVENT COUNT
 * (BACKEND_TYPE with "_" for its spaces: client_backend, ffrtmp_scheduler)
 * where a backend in a statement that waits on nothing is "CPU CPU" (running
 * or waiting for a CPU: PostgreSQL cannot tell them apart) and one idle in
 * a transaction "Client InTransaction".  Every --locks-every (10) samples,
 * with --match TEXT, it also reads pg_locks and prints for each backend
 * whose current statement contains TEXT
 *     l SAMPLE RELATION_LOCKS OFF_FAST_PATH
 * (reading pg_locks takes every lock partition, so it is read less often).
 * It stops on SIGTERM or SIGINT and prints "n SAMPLES SECONDS" last.  Its
 * own connection is left out.  Needs only libpq.
 */
#include <libpq-fe.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *activity_sql =
	"SELECT replace(backend_type, ' ', '_'), "
	"       CASE WHEN state = 'active' THEN coalesce(wait_event_type, 'CPU') ELSE 'Client' END, "
	"       CASE WHEN state = 'active' THEN coalesce(wait_event, 'CPU') ELSE 'InTransaction' END, "
	"       count(*) "
	"  FROM pg_stat_activity "
	" WHERE state IN ('active', 'idle in transaction', 'idle in transaction (aborted)') "
	"   AND pid <> pg_backend_pid() "
	" GROUP BY 1, 2, 3";

static const char *locks_sql =
	"SELECT count(*) FILTER (WHERE l.locktype = 'relation'), "
	"       count(*) FILTER (WHERE l.locktype = 'relation' AND NOT l.fastpath) "
	"  FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
	" WHERE a.state = 'active' AND a.pid <> pg_backend_pid() "
	"   AND strpos(a.query, $1) > 0 "
	" GROUP BY a.pid";

/* Runs one query and prints each row as "TAG SAMPLE col col ...". */
static int
sample(PGconn *conn, const char *tag, long n, const char *sql, const char *match)
{
	PGresult   *res;
	const char *params[1] = {match};

	res = match ? PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0) : PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "ffrtmp-sample: %s", PQerrorMessage(conn));
		PQclear(res);
		return -1;
	}
	for (int r = 0; r < PQntuples(res); r++)
	{
		printf("%s %ld", tag, n);
		for (int c = 0; c < PQnfields(res); c++)
			printf(" %s", PQgetvalue(res, r, c));
		putchar('\n');
	}
	PQclear(res);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dsn = "";
	const char *match = NULL;
	int			interval_ms = 10;
	int			locks_every = 10;
	static struct option longopts[] = {
		{"dsn", 1, NULL, 'd'}, {"interval-ms", 1, NULL, 'i'}, {"locks-every", 1, NULL, 'l'},
		{"match", 1, NULL, 'm'}, {NULL, 0, NULL, 0}};
	int			c;
	PGconn	   *conn;
	long		n = 0;
	double		t0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd': dsn = optarg; break;
			case 'i': interval_ms = atoi(optarg); break;
			case 'l': locks_every = atoi(optarg); break;
			case 'm': match = optarg; break;
			default:
				fprintf(stderr, "usage: ffrtmp-sample --dsn=DSN [--interval-ms=10] [--locks-every=10] [--match=TEXT]\n");
				return 2;
		}
	}
	if (interval_ms < 1 || locks_every < 1)
	{
		fprintf(stderr, "ffrtmp-sample: --interval-ms and --locks-every must be at least 1\n");
		return 2;
	}
	conn = PQconnectdb(dsn);
	if (PQstatus(conn) != CONNECTION_OK)
	{
		fprintf(stderr, "ffrtmp-sample: %s", PQerrorMessage(conn));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t0 = now();
	while (!stop)
	{
		double		next = now() + interval_ms / 1000.0;

		n++;
		if (sample(conn, "w", n, activity_sql, NULL) < 0)
			break;
		if (match && n % locks_every == 0 && sample(conn, "l", n, locks_sql, match) < 0)
			break;
		fflush(stdout);
		for (double left = next - now(); left > 0 && !stop; left = next - now())
		{
			struct timespec ts = {0, (long) (left * 1e9)};

			nanosleep(&ts, NULL);
		}
	}
	printf("n %ld %.3f\n", n, now() - t0);
	PQfinish(conn);
	return 0;
}
