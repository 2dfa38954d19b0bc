/*
 * options.c: ffrtmp-worker's command line, with getopt_long.
 */
#include "options.h"

#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_VERSION "0.1"

void
worker_usage(FILE *out)
{
	fprintf(out,
			"ffrtmp-worker runs transcoding jobs that the ffrtmp scheduler assigns to this machine.\n"
			"\n"
			"Usage: ffrtmp-worker [OPTION]... [CONNINFO]\n"
			"\n"
			"CONNINFO is a libpq connection string or URI; without it the PG* environment\n"
			"variables and service file apply.  Several hosts with target_session_attrs=read-write\n"
			"follow a failover.\n"
			"\n"
			"Options:\n"
			"  -n, --name=NAME             node name (default: the host name)\n"
			"  -t, --tenant=TENANT         dedicate the node to a tenant (id or name); default: shared pool\n"
			"  -s, --slots=N               jobs run at once (default 1, at most 1024)\n"
			"  -i, --input-root=DIR        a directory file:// inputs may come from (repeatable)\n"
			"  -o, --output-root=DIR       where tenants' outputs are written, one directory per tenant\n"
			"  -l, --label=KEY=VALUE       a label for the node (repeatable)\n"
			"      --poll-interval=TIME    fetch assigned jobs at least this often (default 5s)\n"
			"      --heartbeat-interval=TIME  report liveness this often (default 5s)\n"
			"      --grace=TIME            on SIGTERM, how long running jobs may finish (default 60s)\n"
			"      --once                  run one job, then exit (for tests)\n"
			"  -h, --help                  show this help, then exit\n"
			"  -V, --version               show the version, then exit\n"
			"\n"
			"TIME is a number with a unit: 500ms, 5s, 2m, 1h (a bare number means seconds).\n"
			"SIGTERM drains (no new jobs); SIGHUP reloads the configuration.\n");
}

int
worker_parse_duration_ms(const char *text)
{
	char	   *end;
	long long	value;
	long long	scale;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	value = strtoll(text, &end, 10);
	if (*end == '\0' || strcmp(end, "s") == 0)
		scale = 1000;
	else if (strcmp(end, "ms") == 0)
		scale = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		scale = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		scale = 3600 * 1000;
	else
		return -1;
	if (value > INT_MAX / scale)
		return -1;
	return (int) (value * scale);
}

static int
parse_count(const char *text, int min, int max)
{
	char	   *end;
	long		value;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	value = strtol(text, &end, 10);
	return (*end == '\0' && value >= min && value <= max) ? (int) value : -1;
}

static int
invalid(char *err, size_t errlen, const char *what, const char *value, const char *expected)
{
	snprintf(err, errlen, "invalid %s \"%s\": %s", what, value ? value : "", expected);
	return -1;
}

int
worker_parse_options(int argc, char **argv, WorkerOptions *o, FILE *out, char *err, size_t errlen)
{
	enum
	{
		OPT_POLL = 256, OPT_HEARTBEAT, OPT_GRACE, OPT_ONCE
	};
	static const struct option long_options[] = {
		{"name", required_argument, NULL, 'n'},
		{"tenant", required_argument, NULL, 't'},
		{"slots", required_argument, NULL, 's'},
		{"input-root", required_argument, NULL, 'i'},
		{"output-root", required_argument, NULL, 'o'},
		{"label", required_argument, NULL, 'l'},
		{"poll-interval", required_argument, NULL, OPT_POLL},
		{"heartbeat-interval", required_argument, NULL, OPT_HEARTBEAT},
		{"grace", required_argument, NULL, OPT_GRACE},
		{"once", no_argument, NULL, OPT_ONCE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int			c;

	memset(o, 0, sizeof(*o));
	o->slots = 1;
	o->poll_ms = 5000;
	o->heartbeat_ms = 5000;
	o->grace_ms = 60000;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:s:i:o:l:hV", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'n':
				o->name = optarg;
				break;
			case 't':
				o->tenant = optarg;
				break;
			case 's':
				if ((o->slots = parse_count(optarg, 1, 1024)) < 0)
					return invalid(err, errlen, "slots", optarg, "give a whole number from 1 to 1024");
				break;
			case 'i':
				if (optarg[0] != '/')
					return invalid(err, errlen, "input root", optarg, "give an absolute directory");
				if (o->ninput_roots == WORKER_MAX_ROOTS)
					return invalid(err, errlen, "input root", optarg, "at most 16 input roots");
				o->input_roots[o->ninput_roots++] = optarg;
				break;
			case 'o':
				if (optarg[0] != '/')
					return invalid(err, errlen, "output root", optarg, "give an absolute directory");
				o->output_root = optarg;
				break;
			case 'l':
				if (strchr(optarg, '=') == NULL || optarg[0] == '=')
					return invalid(err, errlen, "label", optarg, "write KEY=VALUE");
				if (o->nlabels == WORKER_MAX_LABELS)
					return invalid(err, errlen, "label", optarg, "at most 16 labels");
				o->labels[o->nlabels++] = optarg;
				break;
			case OPT_POLL:
				if ((o->poll_ms = worker_parse_duration_ms(optarg)) <= 0)
					return invalid(err, errlen, "poll interval", optarg, "give a time such as 5s or 500ms");
				break;
			case OPT_HEARTBEAT:
				if ((o->heartbeat_ms = worker_parse_duration_ms(optarg)) <= 0)
					return invalid(err, errlen, "heartbeat interval", optarg, "give a time such as 5s");
				break;
			case OPT_GRACE:
				if ((o->grace_ms = worker_parse_duration_ms(optarg)) < 0)
					return invalid(err, errlen, "grace", optarg, "give a time such as 60s");
				break;
			case OPT_ONCE:
				o->once = 1;
				break;
			case 'h':
				worker_usage(out);
				return 1;
			case 'V':
				fprintf(out, "ffrtmp-worker %s\n", WORKER_VERSION);
				return 1;
			case ':':
				snprintf(err, errlen, "option %s needs a value (see --help)", argv[optind - 1]);
				return -1;
			default:
				snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
				return -1;
		}
	}
	if (optind < argc)
		o->conninfo = argv[optind++];
	if (optind < argc)
	{
		snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}
