/*
 * ffrtmp-sim: simulated nodes and submitters for the queue benchmarks.
 *
 * Each node is a process with one connection that speaks the worker's
 * protocol through the same SQL calls as ffrtmp-worker (register_node,
 * LISTEN on its channel, fetch_assigned on a notification or every poll
 * interval, start_job and finish_job per job on that one connection as the
 * worker's job link does, node_heartbeat every 5 s from a second process
 * and connection as the worker's session link does, leave_node at the end);
 * its jobs are no-ops, finished 'completed' as soon as started.  With
 * --protocol=batch a node starts all the jobs of one fetch with one
 * start_jobs call and ends them with one finish_jobs call, as the worker
 * does with jobs that start or end together.  Submitters
 * are processes too: either batches of submit_jobs (drain) or single
 * submit_job calls paced to a rate (latency).
 *
 * Every node writes "job_id tenant_id fetch_time" per fetched job and every
 * paced submitter "job_id commit_time" per job into --out, times in Unix
 * seconds from CLOCK_REALTIME (one clock: one machine).  The program prints
 * one line: jobs, seconds (from the moment every node is registered, when
 * nodes may fetch and submitters start, and a backlog drained with --target
 * may be dispatched, to the last finish), jobs/s and the
 * simulator's own CPU share of the machine over that time, so that a reader
 * sees whether the simulator, not the database, was the bottleneck.
 */
#include <libpq-fe.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct Shared
{
	atomic_long finished;		/* jobs finished by all nodes */
	atomic_long submitted;		/* jobs committed by all submitters */
	atomic_int	registered;		/* nodes ready (registered and listening) */
	atomic_int	submitters_done;
	atomic_int	stop;			/* set by the parent: nodes leave */
	atomic_long errors;			/* refused calls */
	atomic_long retries;		/* calls made again (lock timeouts, deadlocks) */
} Shared;

static struct
{
	const char *dsn;
	int			nodes;
	int			slots;
	long		jobs;			/* drain: this many, in batches */
	long		target;			/* with no submitters: finish this many queued jobs */
	int			batch;
	double		rate;			/* latency: jobs per second, all submitters */
	double		seconds;
	int			tenants;
	int			submitters;
	int			poll_ms;
	int			timeout_s;
	const char *out;
	const char *input;
	int			batch_protocol;	/* --protocol=batch: start_jobs and finish_jobs */
}			opt = {"", 100, 16, 0, 0, 1000, 0, 0, 10, 4, 5000, 600, ".", "testsrc://1280x720@30?duration=10", 0};

static Shared *shared;
/* Its write end is held by the parent alone, which closes it to start the nodes. */
static int	start_pipe[2];

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die(const char *what, PGconn *conn)
{
	fprintf(stderr, "ffrtmp-sim: %s: %s", what, conn ? PQerrorMessage(conn) : "failed\n");
	exit(1);
}

static PGconn *
connect_db(const char *name)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *values[] = {opt.dsn, name, NULL};
	PGconn	   *conn = PQconnectdbParams(keys, values, 1);

	if (PQstatus(conn) != CONNECTION_OK)
		die("could not connect", conn);
	return conn;
}

/*
 * Pauses (or resumes) dispatch for every tenant, on a connection of its own,
 * from the parent.  A drain of a queued backlog (--target) pauses it before
 * the nodes register, since each registration wakes the leader, which would
 * assign the backlog to the nodes already registered before the clock
 * starts; it resumes when the clock starts.
 */
static int
set_dispatch(int on)
{
	const char *keys[] = {"dbname", "application_name", NULL};
	const char *values[] = {opt.dsn, "ffrtmp-sim", NULL};
	PGconn	   *conn = PQconnectdbParams(keys, values, 1);
	PGresult   *res = PQexec(conn, on ? "SELECT ffrtmp.resume_dispatch()" : "SELECT ffrtmp.pause_dispatch()");
	int			ok = PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "ffrtmp-sim: %s: %s", on ? "resume_dispatch" : "pause_dispatch", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok;
}

static pid_t parent_pid;
static int	dispatch_paused;

/* The parent never leaves dispatch paused, whatever ends it (atexit runs in the children too). */
static void
resume_at_exit(void)
{
	if (getpid() == parent_pid && dispatch_paused)
	{
		dispatch_paused = 0;
		(void) set_dispatch(1);
	}
}

/*
 * Whether the worker makes a refused call again (docs/protocol.md): classes
 * 40 (a serialization failure, a deadlock), 53 (insufficient resources) and
 * 55 (55P03: a lock a tenant holds, waited for 1 s).
 */
static int
transient(const PGresult *res)
{
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return code != NULL && (strncmp(code, "40", 2) == 0 || strncmp(code, "53", 2) == 0 ||
							strncmp(code, "55", 2) == 0);
}

/* One call, made again while transient; a refusal is counted and reported, never fatal. */
static PGresult *
call(PGconn *conn, const char *sql, int n, const char *const *values)
{
	PGresult   *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);

	for (int again = 0; again < 100 && PQresultStatus(res) == PGRES_FATAL_ERROR && transient(res); again++)
	{
		atomic_fetch_add(&shared->retries, 1);
		PQclear(res);
		usleep(10000);
		res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		if (atomic_fetch_add(&shared->errors, 1) < 5)
			fprintf(stderr, "ffrtmp-sim: %s", PQresultErrorMessage(res));
		if (PQstatus(conn) != CONNECTION_OK)
			die("connection lost", conn);
	}
	return res;
}

/* Waits for a notification on conn, at most ms milliseconds. */
static void
wait_notify(PGconn *conn, int ms)
{
	PGnotify   *n;
	int			got = 0;
	struct timeval tv;
	fd_set		fds;

	PQconsumeInput(conn);
	while ((n = PQnotifies(conn)) != NULL)
	{
		got = 1;
		PQfreemem(n);
	}
	if (got)
		return;
	/* In slices, so that a node stops soon after the run ends. */
	for (int waited = 0; !got && waited < ms && !atomic_load(&shared->stop); waited += 100)
	{
		tv.tv_sec = 0;
		tv.tv_usec = 100 * 1000;
		FD_ZERO(&fds);
		FD_SET(PQsocket(conn), &fds);
		if (select(PQsocket(conn) + 1, &fds, NULL, NULL, &tv) > 0)
			PQconsumeInput(conn);
		while ((n = PQnotifies(conn)) != NULL)
		{
			got = 1;
			PQfreemem(n);
		}
	}
}

/*
 * The node's heartbeat every 5 s on a connection of its own, as the worker
 * sends it on its session link while the job link waits on locks: a node
 * busy with its jobs does not go silent past ffrtmp.node_timeout.
 */
static void
heartbeat_main(const char *node, const char *token)
{
	PGconn	   *conn = connect_db("ffrtmp-sim");
	const char *v[2] = {node, token};

	while (!atomic_load(&shared->stop))
	{
		for (int slice = 0; slice < 50 && !atomic_load(&shared->stop); slice++)
			usleep(100000);
		if (!atomic_load(&shared->stop))
			PQclear(call(conn, "SELECT ffrtmp.node_heartbeat($1::bigint, $2)", 2, v));
	}
	PQfinish(conn);
	exit(0);
}

/* One fetched job, started and finished by the single calls. */
static void
run_single(PGconn *conn, const PGresult *fetched, int i, const char *node, const char *token)
{
	PGresult   *r;
	const char *jv[5] = {PQgetvalue(fetched, i, 0), PQgetvalue(fetched, i, 1), node, token, "completed"};

	r = call(conn, "SELECT state FROM ffrtmp.start_job($1::bigint, $2::integer, $3::bigint, $4)", 4, jv);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
	{
		PQclear(r);
		r = call(conn, "SELECT state, attempt FROM ffrtmp.finish_job($1::bigint, $2::integer,"
				 " $3::bigint, $4, $5)", 5, jv);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			atomic_fetch_add(&shared->finished, 1);
	}
	PQclear(r);
}

/* Appends to *buf (of *cap bytes, grown as needed) what fmt says. */
static void
append(char **buf, size_t *len, size_t *cap, const char *fmt, const char *a, const char *b)
{
	int			need = snprintf(NULL, 0, fmt, a, b);

	if (*len + need + 1 > *cap)
	{
		*cap = (*len + need + 1) * 2;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			die("out of memory", NULL);
	}
	*len += snprintf(*buf + *len, *cap - *len, fmt, a, b);
}

/*
 * One batched call for the jobs (ids[i], attempts[i]): start_jobs, or
 * finish_jobs with outcome completed.  Rows refused with 55P03 (a job
 * locked by another transaction: the call skips it without waiting) are
 * sent again, as the worker does, up to 100 times; the ids and attempts
 * of the jobs it accepted are left in ids and attempts, their number
 * returned.  Other refusals count as errors: the scheduler's recovery moves
 * such a job, as it would a lost worker's.
 */
static int
batch_call(PGconn *conn, int finish, const char *node, const char *token, char **ids, char **attempts, int n)
{
	int			done = 0;
	char	  **left_ids = malloc(n * sizeof(char *)), **left_attempts = malloc(n * sizeof(char *));
	int			nleft = n;

	if (!left_ids || !left_attempts)
		die("out of memory", NULL);
	memcpy(left_ids, ids, n * sizeof(char *));
	memcpy(left_attempts, attempts, n * sizeof(char *));
	for (int again = 0; nleft > 0 && again < 100 && !atomic_load(&shared->stop); again++)
	{
		char	   *a = NULL, *b = NULL;
		size_t		la = 0, ca = 0, lb = 0, cb = 0;
		const char *v[4] = {node, token};
		PGresult   *r;
		int			retry = 0;

		if (again > 0)
		{
			atomic_fetch_add(&shared->retries, 1);
			usleep(10000);
		}
		append(&a, &la, &ca, finish ? "[" : "{", "", "");
		if (!finish)
			append(&b, &lb, &cb, "{", "", "");
		for (int i = 0; i < nleft; i++)
		{
			if (finish)
				append(&a, &la, &ca, i ? ",{\"job_id\":%s,\"attempt\":%s,\"outcome\":\"completed\"}"
					   : "{\"job_id\":%s,\"attempt\":%s,\"outcome\":\"completed\"}", left_ids[i], left_attempts[i]);
			else
			{
				append(&a, &la, &ca, i ? ",%s" : "%s", left_ids[i], "");
				append(&b, &lb, &cb, i ? ",%s" : "%s", left_attempts[i], "");
			}
		}
		append(&a, &la, &ca, finish ? "]" : "}", "", "");
		if (!finish)
			append(&b, &lb, &cb, "}", "", "");
		v[2] = a;
		v[3] = b;
		r = finish ? call(conn, "SELECT sqlstate FROM ffrtmp.finish_jobs($1::bigint, $2, $3::jsonb)", 3, v)
			: call(conn, "SELECT sqlstate FROM ffrtmp.start_jobs($1::bigint, $2, $3::bigint[], $4::integer[])", 4, v);
		free(a);
		free(b);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != nleft)
		{
			PQclear(r);
			break;
		}
		for (int i = 0; i < nleft; i++)
		{
			if (PQgetisnull(r, i, 0))
			{
				ids[done] = left_ids[i];
				attempts[done++] = left_attempts[i];
			}
			else if (strcmp(PQgetvalue(r, i, 0), "55P03") == 0)
			{
				left_ids[retry] = left_ids[i];
				left_attempts[retry++] = left_attempts[i];
			}
			else if (atomic_fetch_add(&shared->errors, 1) < 5)
				fprintf(stderr, "ffrtmp-sim: job %s refused with SQLSTATE %s\n", left_ids[i], PQgetvalue(r, i, 0));
		}
		nleft = retry;
		PQclear(r);
	}
	atomic_fetch_add(&shared->errors, nleft);
	free(left_ids);
	free(left_attempts);
	return done;
}

/*
 * All the fetched jobs, at most 1000 at a time (the calls' bound): one
 * start_jobs, then one finish_jobs for those it started.
 */
static void
run_batch(PGconn *conn, const PGresult *fetched, const char *node, const char *token)
{
	int			n = PQntuples(fetched);

	for (int from = 0; from < n; from += 1000)
	{
		int			count = from + 1000 < n ? 1000 : n - from;
		char	   *ids[1000], *attempts[1000];
		int			started;

		for (int i = 0; i < count; i++)
		{
			ids[i] = PQgetvalue(fetched, from + i, 0);
			attempts[i] = PQgetvalue(fetched, from + i, 1);
		}
		started = batch_call(conn, 0, node, token, ids, attempts, count);
		atomic_fetch_add(&shared->finished, batch_call(conn, 1, node, token, ids, attempts, started));
	}
}

static void
node_main(int index)
{
	char		name[32], slots[16], node[24], listen[64], path[512];
	const char *v[8];
	PGconn	   *conn;
	PGresult   *res;
	FILE	   *log;
	char	   *token;
	char		byte;
	pid_t		beat;

	close(start_pipe[1]);
	snprintf(name, sizeof(name), "sim-%d", index);
	snprintf(slots, sizeof(slots), "%d", opt.slots);
	snprintf(path, sizeof(path), "%s/fetch.%d", opt.out, index);
	if ((log = fopen(path, "w")) == NULL)
		die(path, NULL);
	conn = connect_db("ffrtmp-sim");
	v[0] = name;
	v[1] = slots;
	res = call(conn, "SELECT node_id, session_token FROM ffrtmp.register_node($1, $2::integer,"
			   " slots => $2::integer, protocol_version => 200)", 2, v);
	if (PQntuples(res) != 1)
		die("register_node", conn);
	snprintf(node, sizeof(node), "%s", PQgetvalue(res, 0, 0));
	token = strdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	snprintf(listen, sizeof(listen), "LISTEN \"ffrtmp_node_%s\"", node);
	PQclear(call(conn, listen, 0, NULL));
	if ((beat = fork()) < 0)
		die("fork", NULL);
	if (beat == 0)
		heartbeat_main(node, token);
	atomic_fetch_add(&shared->registered, 1);

	/*
	 * No fetch before every node is ready and the clock runs: with a backlog
	 * queued (--target), the first nodes would otherwise drain it while the
	 * last ones register, untimed.  The wait blocks (a spinning wait of 100
	 * nodes starved the registrations and heartbeats of a 2-CPU machine).
	 */
	while (read(start_pipe[0], &byte, 1) < 0 && errno == EINTR)
		;
	while (!atomic_load(&shared->stop))
	{
		int			n;

		v[0] = node;
		v[1] = token;
		res = call(conn, "SELECT id, attempt, tenant_id FROM ffrtmp.fetch_assigned($1::bigint, $2)", 2, v);
		n = PQntuples(res);
		if (n > 0)
		{
			double		t = now();

			for (int i = 0; i < n; i++)
				fprintf(log, "%s %s %.6f\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 2), t);
		}
		if (opt.batch_protocol)
			run_batch(conn, res, node, token);
		else
			for (int i = 0; i < n; i++)
				run_single(conn, res, i, node, token);
		PQclear(res);
		if (n == 0)
			wait_notify(conn, opt.poll_ms);
	}
	v[0] = node;
	v[1] = token;
	waitpid(beat, NULL, 0);
	PQclear(call(conn, "SELECT ffrtmp.leave_node($1::bigint, $2, true)", 2, v));
	PQfinish(conn);
	fclose(log);
	exit(0);
}

/* Drain: this submitter's share of --jobs, in submit_jobs batches. */
static void
submit_batches(PGconn *conn, int index)
{
	long		mine = opt.jobs / opt.submitters + (index < opt.jobs % opt.submitters);
	size_t		one = strlen(opt.input) + 20;
	char	   *json = malloc(one * opt.batch + 4);
	char		tenant[32];
	long		done = 0;

	for (int b = index; done < mine; b += opt.submitters)
	{
		int			k = (mine - done < opt.batch) ? (int) (mine - done) : opt.batch;
		char	   *p = json;
		const char *v[2] = {json, tenant};
		PGresult   *res;

		*p++ = '[';
		for (int i = 0; i < k; i++)
			p += sprintf(p, "%s{\"input_url\":\"%s\"}", i ? "," : "", opt.input);
		strcpy(p, "]");
		snprintf(tenant, sizeof(tenant), "bench-%d", b % opt.tenants + 1);
		res = call(conn, "SELECT count(*) FROM ffrtmp.submit_jobs($1::jsonb, tenant => $2)", 2, v);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			die("submit_jobs", conn);
		PQclear(res);
		done += k;
		atomic_fetch_add(&shared->submitted, k);
	}
	free(json);
}

/* Latency: single submit_job calls at this submitter's share of --rate. */
static void
submit_paced(PGconn *conn, int index, FILE *log)
{
	double		interval = opt.submitters / opt.rate;
	double		start = now();
	char		tenant[32];

	for (long i = 0;; i++)
	{
		double		due = start + i * interval;
		double		t = now();
		const char *v[2] = {opt.input, tenant};
		PGresult   *res;

		/* At the end of the run, even when behind the pace: the run lasts S seconds. */
		if (due - start >= opt.seconds || t - start >= opt.seconds)
			break;
		if (due > t)
		{
			struct timespec ts = {(time_t) (due - t), (long) ((due - t - (time_t) (due - t)) * 1e9)};

			nanosleep(&ts, NULL);
		}
		snprintf(tenant, sizeof(tenant), "bench-%ld", (i * opt.submitters + index) % opt.tenants + 1);
		res = call(conn, "SELECT id FROM ffrtmp.submit_job($1, tenant => $2)", 2, v);
		t = now();
		if (PQntuples(res) == 1)
		{
			fprintf(log, "%s %.6f\n", PQgetvalue(res, 0, 0), t);
			atomic_fetch_add(&shared->submitted, 1);
		}
		PQclear(res);
	}
}

static void
submitter_main(int index)
{
	char		path[512];
	FILE	   *log;
	PGconn	   *conn = connect_db("ffrtmp-sim-submit");

	snprintf(path, sizeof(path), "%s/submit.%d", opt.out, index);
	if ((log = fopen(path, "w")) == NULL)
		die(path, NULL);
	if (opt.jobs > 0)
		submit_batches(conn, index);
	else
		submit_paced(conn, index, log);
	fclose(log);
	PQfinish(conn);
	atomic_fetch_add(&shared->submitters_done, 1);
	exit(0);
}

static pid_t
spawn(void (*fn) (int), int index)
{
	pid_t		pid = fork();

	if (pid < 0)
		die("fork", NULL);
	if (pid == 0)
		fn(index);
	return pid;
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: ffrtmp-sim --dsn=DBNAME-OR-CONNINFO [--nodes=100] [--slots=16] [--tenants=10]\n"
			"                  [--submitters=4] [--poll-ms=5000] [--timeout=600] [--out=DIR]\n"
			"                  [--protocol=single|batch]\n"
			"                  (--jobs=N [--batch=1000] | --rate=JOBS_PER_S --seconds=S | --submitters=0 --target=N)\n"
			"Drain (--jobs): submits N jobs with submit_jobs and waits until the nodes finished them all.\n"
			"Latency (--rate): submits single jobs at that rate (or as fast as they commit, when slower)\n"
			"for S seconds, then waits likewise.\n"
			"Backlog: --nodes=0 --jobs=N only submits; --submitters=0 --target=N only drains N queued jobs.\n"
			"--protocol: single (start_job and finish_job per job, the default) or batch (start_jobs and\n"
			"finish_jobs for all the jobs of a fetch).\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dsn", 1, NULL, 'd'}, {"nodes", 1, NULL, 'n'}, {"slots", 1, NULL, 's'},
		{"jobs", 1, NULL, 'j'}, {"target", 1, NULL, 'g'}, {"batch", 1, NULL, 'b'}, {"rate", 1, NULL, 'r'},
		{"seconds", 1, NULL, 'S'}, {"tenants", 1, NULL, 't'}, {"submitters", 1, NULL, 'p'},
		{"poll-ms", 1, NULL, 'P'}, {"timeout", 1, NULL, 'T'}, {"out", 1, NULL, 'o'}, {"protocol", 1, NULL, 'R'},
		{"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int			c, nprocs;
	pid_t	   *pids;
	double		t0, t1, cpu;
	long		expected;
	struct rusage ru_self, ru_children;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
	{
		switch (c)
		{
			case 'd': opt.dsn = optarg; break;
			case 'n': opt.nodes = atoi(optarg); break;
			case 's': opt.slots = atoi(optarg); break;
			case 'j': opt.jobs = atol(optarg); break;
			case 'g': opt.target = atol(optarg); break;
			case 'b': opt.batch = atoi(optarg); break;
			case 'r': opt.rate = atof(optarg); break;
			case 'S': opt.seconds = atof(optarg); break;
			case 't': opt.tenants = atoi(optarg); break;
			case 'p': opt.submitters = atoi(optarg); break;
			case 'P': opt.poll_ms = atoi(optarg); break;
			case 'T': opt.timeout_s = atoi(optarg); break;
			case 'o': opt.out = optarg; break;
			case 'R':
				if (strcmp(optarg, "single") != 0 && strcmp(optarg, "batch") != 0)
					usage();
				opt.batch_protocol = strcmp(optarg, "batch") == 0;
				break;
			default: usage();
		}
	}
	if (opt.nodes < 0 || opt.slots < 1 || opt.tenants < 1 || opt.submitters < 0 || opt.batch < 1)
		usage();
	if (opt.submitters == 0 ? (opt.target <= 0 || opt.nodes == 0)
		: (opt.jobs <= 0 && (opt.rate <= 0 || opt.seconds <= 0)))
		usage();

	shared = mmap(NULL, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap", NULL);
	memset(shared, 0, sizeof(Shared));
	nprocs = opt.nodes + opt.submitters;
	pids = calloc(nprocs, sizeof(pid_t));
	if (pipe(start_pipe) < 0)
		die("pipe", NULL);
	parent_pid = getpid();
	atexit(resume_at_exit);
	if (opt.target > 0 && opt.nodes > 0)
	{
		if (!set_dispatch(0))
			exit(1);
		dispatch_paused = 1;
	}
	for (int i = 0; i < opt.nodes; i++)
		pids[i] = spawn(node_main, i + 1);
	t0 = now();
	while (atomic_load(&shared->registered) < opt.nodes)
	{
		if (waitpid(-1, NULL, WNOHANG) > 0 || now() - t0 > 60)
		{
			atomic_store(&shared->stop, 1);	/* the nodes leave, not drain on */
			die("a node did not start", NULL);
		}
		usleep(10000);
	}

	t0 = now();
	close(start_pipe[1]);		/* every node's read returns: go */
	if (dispatch_paused)
	{
		if (!set_dispatch(1))	/* its commit wakes the leader */
			exit(1);			/* resume_at_exit tries once more */
		dispatch_paused = 0;
	}
	for (int i = 0; i < opt.submitters; i++)
		pids[opt.nodes + i] = spawn(submitter_main, i);
	for (;;)
	{
		int			all_in = atomic_load(&shared->submitters_done) == opt.submitters;

		expected = opt.target > 0 ? opt.target : atomic_load(&shared->submitted);
		/* Without nodes (loading a backlog), done when all is submitted. */
		if (all_in && (opt.nodes == 0 || atomic_load(&shared->finished) >= expected))
			break;
		if (now() - t0 > opt.timeout_s)
		{
			fprintf(stderr, "ffrtmp-sim: timed out: %ld of %ld jobs finished\n",
					atomic_load(&shared->finished), expected);
			break;
		}
		usleep(2000);
	}
	t1 = now();
	atomic_store(&shared->stop, 1);
	for (int i = 0; i < nprocs; i++)
		waitpid(pids[i], NULL, 0);
	getrusage(RUSAGE_SELF, &ru_self);
	getrusage(RUSAGE_CHILDREN, &ru_children);
	cpu = ru_self.ru_utime.tv_sec + ru_self.ru_stime.tv_sec + ru_children.ru_utime.tv_sec +
		ru_children.ru_stime.tv_sec + (ru_self.ru_utime.tv_usec + ru_self.ru_stime.tv_usec +
									   ru_children.ru_utime.tv_usec + ru_children.ru_stime.tv_usec) / 1e6;
	printf("jobs %ld finished %ld seconds %.3f jobs_per_s %.1f sim_cpu_share %.3f errors %ld retries %ld\n",
		   expected, atomic_load(&shared->finished), t1 - t0,
		   (opt.nodes == 0 ? atomic_load(&shared->submitted) : atomic_load(&shared->finished)) / (t1 - t0),
		   cpu / (t1 - t0) / sysconf(_SC_NPROCESSORS_ONLN), atomic_load(&shared->errors),
		   atomic_load(&shared->retries));
	return (opt.nodes == 0 || atomic_load(&shared->finished) >= expected) ? 0 : 1;
}
