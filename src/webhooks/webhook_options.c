/*
 * webhook_options.c: ffrtmp-webhooks' command line (see --help).
 */
#include "webhook_options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/net_policy.h"
#include "webhook_send.h"

enum
{
	OPT_ALLOW_NETWORK = 256, OPT_BATCH, OPT_CONCURRENCY, OPT_TIMEOUT, OPT_POLL, OPT_RETRY_INITIAL, OPT_RETRY_MAX,
	OPT_RETRY_FOR, OPT_ONCE
};

static const struct option long_options[] = {
	{"allow-network", required_argument, NULL, OPT_ALLOW_NETWORK},
	{"batch", required_argument, NULL, OPT_BATCH},
	{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"poll-interval", required_argument, NULL, OPT_POLL},
	{"retry-initial", required_argument, NULL, OPT_RETRY_INITIAL},
	{"retry-max", required_argument, NULL, OPT_RETRY_MAX},
	{"retry-for", required_argument, NULL, OPT_RETRY_FOR},
	{"once", no_argument, NULL, OPT_ONCE},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0}
};

void
webhook_options_usage(void)
{
	printf("ffrtmp-webhooks delivers the webhook events of ffrtmp's jobs: it claims due\n"
		   "deliveries from the database, POSTs each event's JSON body to its webhook's URL,\n"
		   "signed with the webhook's secret, and records how each attempt went.\n"
		   "\n"
		   "Usage: ffrtmp-webhooks [OPTION]... [CONNINFO]\n"
		   "\n"
		   "CONNINFO is a libpq connection string or URI; without it the PG* environment\n"
		   "variables and service file apply.  Its role needs ffrtmp_webhook_sender\n"
		   "(GRANT ffrtmp_webhook_sender TO role).  Several daemons may run at once.\n"
		   "\n"
		   "Options:\n"
		   "      --allow-network=CIDR|HOST  let webhooks connect there although the network\n"
		   "                              policy refuses it: 10.1.0.0/16, 2001:db8::/32,\n"
		   "                              hooks.internal, *.internal (repeatable; commas\n"
		   "                              separate several)\n"
		   "      --batch=N               deliveries claimed at a time (default 10, 1 to 1000);\n"
		   "                              a claim takes the webhooks in turn, at most 5\n"
		   "                              deliveries of one webhook\n"
		   "      --concurrency=N         requests in flight at once, each with its own\n"
		   "                              --timeout (default 8, 1 to 64)\n"
		   "      --timeout=TIME          longest one request may take (default 10s, 100ms to 5m)\n"
		   "      --poll-interval=TIME    look for due deliveries this often when idle (default 1s)\n"
		   "      --retry-initial=TIME    wait after a first failed attempt (default 10s); each\n"
		   "                              further failure doubles it\n"
		   "      --retry-max=TIME        longest wait between two attempts (default 1h)\n"
		   "      --retry-for=TIME        how long after the event attempts go on before the\n"
		   "                              delivery fails (default 24h, at most 72h)\n"
		   "      --once                  deliver what is due, then exit (for tests and cron)\n"
		   "  -h, --help                  show this help, then exit\n"
		   "  -V, --version               show the version, then exit\n"
		   "\n"
		   "TIME is a number with a unit: 500ms, 5s, 2m, 1h (a bare number means seconds).\n"
		   "\n"
		   "Each request: POST with Content-Type: application/json and the headers\n"
		   "Ffrtmp-Event-Id (the same on every attempt), Ffrtmp-Event, Ffrtmp-Timestamp (Unix\n"
		   "seconds) and Ffrtmp-Signature: v1=HEX, HEX being HMAC-SHA256 keyed with the\n"
		   "webhook's secret over the timestamp, a dot and the body.  A 2xx answer delivers\n"
		   "the event; anything else is tried again later.  A job's events reach a webhook\n"
		   "in order: a later one waits while an earlier one is pending.\n"
		   "\n"
		   "The network policy, as for jobs: webhooks connect only to public addresses that\n"
		   "are not this machine's; loopback, private, link-local (cloud metadata),\n"
		   "multicast and other special-purpose addresses are refused after name\n"
		   "resolution, before each connection, unless --allow-network opens them.  A\n"
		   "refused delivery fails at once, its error says why.  Redirects are not followed\n"
		   "and proxies are not used.\n"
		   "\n"
		   "SIGTERM or SIGINT: start no further request; stop once those in flight end.\n"
		   "\n"
		   "Exit status: 0 after SIGTERM (or --once); 1 for an internal failure, or with\n"
		   "--once a database it could not reach; 2 for a bad command line; 77 when the\n"
		   "role lacks ffrtmp_webhook_sender; 78 for a database without the ffrtmp\n"
		   "extension (or an older one without webhooks).  Other database failures,\n"
		   "a refused connection included, are retried with backoff.\n");
}

long
webhook_parse_duration_ms(const char *text)
{
	char	   *end;
	long long	value;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno != 0 || value > 100000000LL)
		return -1;
	if (strcmp(end, "ms") == 0)
		return (long) value;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		return (long) (value * 1000);
	if (strcmp(end, "m") == 0)
		return (long) (value * 60 * 1000);
	if (strcmp(end, "h") == 0)
		return (long) (value * 3600 * 1000);
	return -1;
}

long
webhook_backoff_ms(const WebhookOptions *o, int attempt)
{
	long		wait = o->retry_initial_ms;

	for (int i = 1; i < attempt && wait < o->retry_max_ms; i++)
		wait *= 2;
	return wait < o->retry_max_ms ? wait : o->retry_max_ms;
}

static int
invalid(char *err, size_t errlen, const char *what, const char *value, const char *why)
{
	snprintf(err, errlen, "invalid %s \"%s\": %s", what, value, why);
	return -1;
}

/* A duration option between min and max ms. */
static int
duration(const char *name, const char *value, long min, long max, long *out, char *err, size_t errlen)
{
	long		ms = webhook_parse_duration_ms(value);
	char		why[100];

	if (ms < 0)
		return invalid(err, errlen, name, value, "write a number with a unit: 500ms, 10s, 2m, 1h");
	if (ms < min || ms > max)
	{
		snprintf(why, sizeof(why), "between %ld ms and %ld s", min, max / 1000);
		return invalid(err, errlen, name, value, why);
	}
	*out = ms;
	return 0;
}

int
webhook_options_parse(int argc, char **argv, WebhookOptions *o, char *err, size_t errlen)
{
	int			c;

	memset(o, 0, sizeof(*o));
	o->batch = 10;
	o->concurrency = 8;
	o->timeout_ms = 10000;
	o->poll_ms = 1000;
	o->retry_initial_ms = 10000;
	o->retry_max_ms = 3600 * 1000;
	o->retry_for_ms = 24L * 3600 * 1000;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", long_options, NULL)) != -1)
	{
		const char *v = optarg;
		char		why[300];
		NpAllowList scratch;
		char	   *end;
		int			r = 0;

		switch (c)
		{
			case OPT_ALLOW_NETWORK:
				memset(&scratch, 0, sizeof(scratch));
				if (np_allow_parse(&scratch, v, why, sizeof(why)) < 0)
					return invalid(err, errlen, "network allow-list entry", v, why);
				if (o->nallow_network == WEBHOOK_MAX_ALLOW)
					return invalid(err, errlen, "network allow-list entry", v, "at most 64 entries");
				o->allow_network[o->nallow_network++] = v;
				break;
			case OPT_BATCH:
				o->batch = (int) strtol(v, &end, 10);
				if (!isdigit((unsigned char) v[0]) || *end != '\0' || o->batch < 1 || o->batch > 1000)
					return invalid(err, errlen, "--batch", v, "a number from 1 to 1000");
				break;
			case OPT_CONCURRENCY:
				o->concurrency = (int) strtol(v, &end, 10);
				if (!isdigit((unsigned char) v[0]) || *end != '\0' || o->concurrency < 1 ||
					o->concurrency > WEBHOOK_MAX_CONCURRENCY)
					return invalid(err, errlen, "--concurrency", v, "a number from 1 to 64");
				break;
			case OPT_TIMEOUT:
				r = duration("--timeout", v, 100, 300 * 1000, &o->timeout_ms, err, errlen);
				break;
			case OPT_POLL:
				r = duration("--poll-interval", v, 10, 3600 * 1000, &o->poll_ms, err, errlen);
				break;
			case OPT_RETRY_INITIAL:
				r = duration("--retry-initial", v, 1000, 24L * 3600 * 1000, &o->retry_initial_ms, err, errlen);
				break;
			case OPT_RETRY_MAX:
				r = duration("--retry-max", v, 1000, 24L * 3600 * 1000, &o->retry_max_ms, err, errlen);
				break;
			case OPT_RETRY_FOR:
				r = duration("--retry-for", v, 1000, 72L * 3600 * 1000, &o->retry_for_ms, err, errlen);
				break;
			case OPT_ONCE:
				o->once = 1;
				break;
			case 'h':
				o->help = 1;
				break;
			case 'V':
				o->version = 1;
				break;
			case ':':
				snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
				return -1;
			default:
				snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
				return -1;
		}
		if (r < 0)
			return -1;
	}
	if (optind < argc)
		o->conninfo = argv[optind++];
	if (optind < argc)
	{
		snprintf(err, errlen, "unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	return 0;
}
