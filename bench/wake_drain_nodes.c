/*
 * wake_drain_nodes: simulated worker nodes for bench/wake_drain.sh.
 *
 *     wake_drain_nodes CONNINFO NODES JOBS
 *
 * Registers NODES shared-pool nodes of one slot each, one thread and one
 * connection per node, each listening on its node's channel like the worker;
 * then lifts the dispatch pause the script set (ffrtmp.resume_dispatch) and
 * drains JOBS no-op jobs through the calls the worker makes: fetch_assigned,
 * start_job, finish_job, each its own transaction.  A node with nothing to do
 * waits for its notification, or 1 s, then heartbeats and fetches again.
 * Prints the seconds from the resume to the last finish.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *conninfo;
static int	jobs_total;
static atomic_int finished;
static atomic_int ready;
static double began, ended;

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void
die(PGconn *conn, const char *what)
{
	fprintf(stderr, "wake_drain_nodes: %s: %s", what, PQerrorMessage(conn));
	exit(1);
}

/*
 * Runs a statement with text parameters; returns its result, or exits.  A
 * call that waited its lock_timeout out (55P03) is made again, as the
 * worker makes it.
 */
static PGresult *
call(PGconn *conn, const char *sql, int n, const char *const *params)
{
	for (;;)
	{
		PGresult   *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
			return res;
		if (state == NULL || strcmp(state, "55P03") != 0)
			die(conn, sql);
		PQclear(res);
	}
}

static void *
node_main(void *arg)
{
	int			number = (int) (long) arg;
	PGconn	   *conn = PQconnectdb(conninfo);
	char		name[64], listen[96], node[32], token[128];
	const char *params[5];
	PGresult   *res;

	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	snprintf(name, sizeof(name), "bench-node-%d", number);
	params[0] = name;
	res = call(conn, "SELECT node_id, session_token FROM ffrtmp.register_node($1, cpu_cores => 1, slots => 1)",
			   1, params);
	snprintf(node, sizeof(node), "%s", PQgetvalue(res, 0, 0));
	snprintf(token, sizeof(token), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	snprintf(listen, sizeof(listen), "LISTEN ffrtmp_node_%s", node);
	PQclear(call(conn, listen, 0, NULL));
	atomic_fetch_add(&ready, 1);

	while (atomic_load(&finished) < jobs_total)
	{
		PGnotify   *note;
		struct pollfd fd = {.fd = PQsocket(conn), .events = POLLIN};
		int			jobs;

		params[0] = node;
		params[1] = token;
		res = call(conn, "SELECT id, attempt FROM ffrtmp.fetch_assigned($1, $2)", 2, params);
		jobs = PQntuples(res);
		for (int i = 0; i < jobs; i++)
		{
			const char *job[4] = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), node, token};

			PQclear(call(conn, "SELECT 1 FROM ffrtmp.start_job($1, $2, $3, $4)", 4, job));
			PQclear(call(conn, "SELECT 1 FROM ffrtmp.finish_job($1, $2, $3, $4, 'completed')", 4, job));
			if (atomic_fetch_add(&finished, 1) + 1 == jobs_total)
				ended = now_s();
		}
		PQclear(res);
		if (jobs > 0)
			continue;
		/* Nothing assigned: wait for the scheduler's notification, or poll. */
		PQconsumeInput(conn);
		if ((note = PQnotifies(conn)) != NULL)
		{
			do
				PQfreemem(note);
			while ((note = PQnotifies(conn)) != NULL);
			continue;
		}
		if (poll(&fd, 1, 1000) == 0)
			PQclear(call(conn, "SELECT ffrtmp.node_heartbeat($1, $2)", 2, params));
		PQconsumeInput(conn);
		while ((note = PQnotifies(conn)) != NULL)
			PQfreemem(note);
	}
	PQfinish(conn);
	return NULL;
}

int
main(int argc, char **argv)
{
	int			nodes;
	pthread_t  *threads;
	PGconn	   *conn;

	if (argc != 4)
	{
		fprintf(stderr, "usage: wake_drain_nodes CONNINFO NODES JOBS\n");
		return 2;
	}
	conninfo = argv[1];
	nodes = atoi(argv[2]);
	jobs_total = atoi(argv[3]);
	threads = calloc(nodes, sizeof(pthread_t));
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK)
		die(conn, "connect");
	for (long i = 0; i < nodes; i++)
		pthread_create(&threads[i], NULL, node_main, (void *) (i + 1));
	while (atomic_load(&ready) < nodes)
	{
		struct timespec ms = {0, 1000000};

		nanosleep(&ms, NULL);
	}
	began = now_s();
	PQclear(call(conn, "SELECT ffrtmp.resume_dispatch()", 0, NULL));
	for (int i = 0; i < nodes; i++)
		pthread_join(threads[i], NULL);
	printf("%.3f\n", ended - began);
	PQfinish(conn);
	return 0;
}
