/*
 * test_options.c: ffrtmp-worker's command line: defaults, every option, and
 * the errors that stop it before it connects anywhere.
 */
#include "../options.h"
#include "check.h"

#include <string.h>

static WorkerOptions o;
static char err[256];

static int
parse(int argc, char **argv)
{
	FILE	   *sink = fopen("/dev/null", "w");
	int			rc;

	err[0] = '\0';
	rc = worker_parse_options(argc, argv, &o, sink, err, sizeof(err));
	fclose(sink);
	return rc;
}

#define PARSE(...) parse(sizeof((char *[]){__VA_ARGS__, NULL}) / sizeof(char *) - 1, (char *[]){__VA_ARGS__, NULL})

int
main(void)
{
	CHECK(PARSE("ffrtmp-worker") == 0, "no options is fine");
	CHECK(o.slots == 1 && o.poll_ms == 5000 && o.heartbeat_ms == 5000 && o.grace_ms == 60000 && !o.once,
		  "defaults: 1 slot, 5 s poll and heartbeat, 60 s grace");
	CHECK(o.conninfo == NULL && o.tenant == NULL && o.name == NULL, "no conninfo, shared pool, host name");

	CHECK(PARSE("ffrtmp-worker", "--name=gpu-7", "-t", "acme", "--slots", "4", "-i", "/media/a", "--input-root=/media/b",
				"-o", "/srv/out", "-l", "zone=a", "--label=gpu=t4", "--poll-interval=500ms",
				"--heartbeat-interval=2s", "--grace=2m", "--once", "host=db1,db2 target_session_attrs=read-write") == 0,
		  "every option parses");
	CHECK(strcmp(o.name, "gpu-7") == 0 && strcmp(o.tenant, "acme") == 0 && o.slots == 4, "name, tenant, slots");
	CHECK(o.ninput_roots == 2 && strcmp(o.input_roots[1], "/media/b") == 0, "input roots repeat");
	CHECK(strcmp(o.output_root, "/srv/out") == 0, "output root");
	CHECK(o.nlabels == 2 && strcmp(o.labels[1], "gpu=t4") == 0, "labels repeat");
	CHECK(o.poll_ms == 500 && o.heartbeat_ms == 2000 && o.grace_ms == 120000 && o.once, "times and --once");
	CHECK(strcmp(o.conninfo, "host=db1,db2 target_session_attrs=read-write") == 0, "the connection string");

	CHECK(PARSE("ffrtmp-worker", "--help") == 1, "--help asks to exit");
	CHECK(PARSE("ffrtmp-worker", "-V") == 1, "--version asks to exit");

	CHECK(PARSE("ffrtmp-worker", "--slots=0") == -1 && strstr(err, "slots") != NULL, "0 slots is refused");
	CHECK(PARSE("ffrtmp-worker", "--slots=many") == -1, "a word for slots is refused");
	CHECK(PARSE("ffrtmp-worker", "--slots=5000") == -1, "too many slots are refused");
	CHECK(PARSE("ffrtmp-worker", "--poll-interval=soon") == -1 && strstr(err, "poll interval") != NULL,
		  "a bad time is refused");
	CHECK(PARSE("ffrtmp-worker", "--poll-interval=0") == -1, "a zero poll interval is refused");
	CHECK(PARSE("ffrtmp-worker", "--input-root=media") == -1, "a relative input root is refused");
	CHECK(PARSE("ffrtmp-worker", "--output-root=out") == -1, "a relative output root is refused");
	CHECK(PARSE("ffrtmp-worker", "--label=zone") == -1, "a label without a value is refused");
	CHECK(PARSE("ffrtmp-worker", "--frobnicate") == -1 && strstr(err, "unknown option") != NULL,
		  "an unknown option is refused by name");
	CHECK(PARSE("ffrtmp-worker", "--slots") == -1 && strstr(err, "needs a value") != NULL,
		  "an option without its value is refused");
	CHECK(PARSE("ffrtmp-worker", "dbname=a", "dbname=b") == -1, "two connection strings are refused");

	CHECK(worker_parse_duration_ms("90") == 90000 && worker_parse_duration_ms("1h") == 3600000 &&
		  worker_parse_duration_ms("250ms") == 250, "durations: bare seconds, hours, milliseconds");
	CHECK(worker_parse_duration_ms("99999999h") == -1 && worker_parse_duration_ms("-5s") == -1,
		  "durations: overflow and negatives are refused");
	return check_summary();
}
