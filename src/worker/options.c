/*
 * options.c: ffrtmp-worker's configuration, from getopt_long and from the
 * --config file (see options.h).
 *
 * Both sources go through one apply_option(), so a key in the file means
 * exactly what the long option of the same name means, with the same checks
 * and the same error messages.  The file is applied first and the command
 * line over it; a repeatable option (--input-root, --label, --allow-network)
 * given on the command line replaces the file's list rather than adding to it.
 */
#include "options.h"
#include "worker_log.h"

#include "../common/net_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define WORKER_VERSION "0.2"

/* A configuration file larger than this is a mistake, not a configuration. */
#define CONFIG_MAX_BYTES (1024 * 1024)

enum
{
	OPT_POLL = 256, OPT_HEARTBEAT, OPT_GRACE, OPT_ONCE, OPT_CONFIG, OPT_JOB_MEMORY,
	OPT_JOB_CPU_TIME, OPT_MAX_OUTPUT_SIZE, OPT_IO_TIMEOUT, OPT_CONNINFO, OPT_ALLOW_NETWORK, OPT_LISTEN
};

enum
{
	OPT_LOG_LEVEL = 512, OPT_LOG_FORMAT
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
	{"job-memory", required_argument, NULL, OPT_JOB_MEMORY},
	{"job-cpu-time", required_argument, NULL, OPT_JOB_CPU_TIME},
	{"max-output-size", required_argument, NULL, OPT_MAX_OUTPUT_SIZE},
	{"io-timeout", required_argument, NULL, OPT_IO_TIMEOUT},
	{"allow-network", required_argument, NULL, OPT_ALLOW_NETWORK},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"once", no_argument, NULL, OPT_ONCE},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	/* The log (worker_log.h). */
	{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{NULL, 0, NULL, 0}
};

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
			"  -n, --name=NAME             node name (default: the host name); registering the\n"
			"                              same name again keeps the node's id\n"
			"  -t, --tenant=TENANT         dedicate the node to a tenant (id or name); default: shared pool\n"
			"  -s, --slots=N               jobs run at once (default 1, at most 1024)\n"
			"  -i, --input-root=DIR        a directory file:// inputs may come from (repeatable)\n"
			"  -o, --output-root=DIR       where tenants' outputs are written, one directory per tenant\n"
			"  -l, --label=KEY=VALUE       a label for the node (repeatable)\n"
			"      --poll-interval=TIME    fetch assigned jobs at least this often (default 5s)\n"
			"      --heartbeat-interval=TIME  report liveness this often (default 5s)\n"
			"      --grace=TIME            on SIGTERM, how long running jobs may finish before they\n"
			"                              are stopped and go back to the queue (default 60s)\n"
			"      --job-memory=SIZE       address space of each job's process (default 8G)\n"
			"      --job-cpu-time=TIME     CPU time of each job's process (default unlimited)\n"
			"      --max-output-size=SIZE  largest file a job may write (default unlimited)\n"
			"      --io-timeout=TIME       a network input or output silent this long fails the\n"
			"                              job (default 10s)\n"
			"      --allow-network=CIDR|HOST  let jobs connect there although the network policy\n"
			"                              refuses it: 10.1.0.0/16, 2001:db8::/32, media.internal,\n"
			"                              *.cdn.internal (repeatable; commas separate several)\n"
			"      --listen=ADDRESS:PORT   serve /metrics, /health and /ready over HTTP there:\n"
			"                              127.0.0.1:9091, [::1]:9091 (default: not at all)\n"
			"      --once                  run one job, then exit: 0 if it completed, else 1 (for tests)\n"
			"      --config=FILE           read options from FILE, one \"key = value\" a line\n"
			"      --log-level=LEVEL       debug, info (default), warning or error\n"
			"      --log-format=FORMAT     text (default) or json (one JSON object a line)\n"
			"  -h, --help                  show this help, then exit\n"
			"  -V, --version               show the version, then exit\n"
			"\n"
			"TIME is a number with a unit: 500ms, 5s, 2m, 1h (a bare number means seconds).\n"
			"SIZE is a number of bytes, or with a unit: 64k, 512M, 8G, 1T (powers of 1024).\n"
			"\"unlimited\" (or 0) lifts a limit.\n"
			"\n"
			"The configuration file's keys are the long option names without \"--\", and\n"
			"\"conninfo\"; lines starting with # are comments; \"once = true\" for --once.\n"
			"Options on the command line win over the file.\n"
			"\n"
			"The network policy: jobs connect only to public addresses that are not this\n"
			"machine's; loopback, private, link-local, multicast and other special-purpose\n"
			"addresses are refused after name resolution, before each connection, unless\n"
			"--allow-network opens them.  Jobs cannot open Unix-domain or raw sockets.\n"
			"\n"
			"SIGTERM or SIGINT drains: no new jobs, and running jobs get --grace.  SIGHUP\n"
			"reads the configuration again: slots, labels, intervals, grace, roots, limits and\n"
			"the network allow-list change (the last three for jobs started afterwards); a\n"
			"changed name, tenant, conninfo or listen address needs a restart.\n"
			"\n"
			"--listen serves the worker's metrics (Prometheus text format), /health (200\n"
			"while the process serves) and /ready (200 when connected to the database and\n"
			"registered, else 503) to anyone who can reach the address, without\n"
			"authentication: no secrets, URLs or tenants are in them, but keep it on loopback\n"
			"or a private network.  Under systemd (Type=notify) it also reports readiness,\n"
			"the watchdog and its status.\n"
			"\n"
			"The log goes to stderr.  Under systemd (JOURNAL_STREAM names stderr) each line\n"
			"starts with its syslog priority (<3> error, <4> warning, <6> info, <7> debug)\n"
			"and a text line leaves the time to the journal.  The --log-level and\n"
			"--log-format of a reload apply at once.\n"
			"\n"
			"Exit status: 0 after a drain (or --once with its job completed); 1 for --once\n"
			"with its job not completed, or an internal failure; 2 for a bad command line or\n"
			"configuration file; 69 when --once cannot reach the database; 76 when the\n"
			"database speaks an incompatible protocol version (upgrade the worker or the\n"
			"extension, as the log says); 77 when the database refuses the role (password,\n"
			"unknown role, no permission); 78 for a bad connection string, an unknown\n"
			"database, or a database without the ffrtmp extension.  Other database failures\n"
			"are retried with backoff, forever.\n");
}

int
worker_parse_duration_ms(const char *text)
{
	char	   *end;
	long long	value;
	long long	scale;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno == ERANGE)
		return -1;
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

int64_t
worker_parse_size(const char *text)
{
	char	   *end;
	long long	value;
	int64_t		scale;

	if (text == NULL || !isdigit((unsigned char) text[0]))
		return -1;
	errno = 0;
	value = strtoll(text, &end, 10);
	if (errno == ERANGE)
		return -1;
	switch (tolower((unsigned char) *end))
	{
		case '\0':
			scale = 1;
			break;
		case 'k':
			scale = INT64_C(1) << 10;
			break;
		case 'm':
			scale = INT64_C(1) << 20;
			break;
		case 'g':
			scale = INT64_C(1) << 30;
			break;
		case 't':
			scale = INT64_C(1) << 40;
			break;
		default:
			return -1;
	}
	/* "8G", "8GB" and "8GiB" all mean the same. */
	if (*end != '\0')
	{
		end++;
		if (strcmp(end, "") != 0 && strcmp(end, "B") != 0 && strcmp(end, "iB") != 0)
			return -1;
	}
	if (value > INT64_MAX / scale)
		return -1;
	return value * scale;
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

int
worker_parse_listen(const char *text, struct sockaddr_storage *address, socklen_t *len)
{
	char		host[INET6_ADDRSTRLEN + 2];
	const char *colon = text ? strrchr(text, ':') : NULL;
	size_t		host_len;
	int			port;

	if (colon == NULL || (port = parse_count(colon + 1, 1, 65535)) < 0)
		return -1;
	host_len = (size_t) (colon - text);
	if (host_len == 0 || host_len >= sizeof(host))
		return -1;
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	memset(address, 0, sizeof(*address));
	if (host[0] == '[' && host[host_len - 1] == ']')
	{
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) address;

		host[host_len - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -1;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t) port);
		*len = sizeof(*in6);
	}
	else
	{
		struct sockaddr_in *in = (struct sockaddr_in *) address;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			return -1;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t) port);
		*len = sizeof(*in);
	}
	return 0;
}

static int
invalid(char *err, size_t errlen, const char *what, const char *value, const char *expected)
{
	snprintf(err, errlen, "invalid %s \"%s\": %s", what, value ? value : "", expected);
	return -1;
}

/* Sets one option from its value; the same checks for the file and the command line. */
static int
apply_option(WorkerOptions *o, int id, const char *value, char *err, size_t errlen)
{
	int			ms;

	switch (id)
	{
		case 'n':
			o->name = value;
			break;
		case 't':
			o->tenant = value;
			break;
		case OPT_CONNINFO:
			o->conninfo = value;
			break;
		case 's':
			if ((o->slots = parse_count(value, 1, 1024)) < 0)
				return invalid(err, errlen, "slots", value, "give a whole number from 1 to 1024");
			break;
		case 'i':
			if (value[0] != '/')
				return invalid(err, errlen, "input root", value, "give an absolute directory");
			if (o->ninput_roots == WORKER_MAX_ROOTS)
				return invalid(err, errlen, "input root", value, "at most 16 input roots");
			o->input_roots[o->ninput_roots++] = value;
			break;
		case 'o':
			if (value[0] != '/')
				return invalid(err, errlen, "output root", value, "give an absolute directory");
			o->output_root = value;
			break;
		case 'l':
			if (strchr(value, '=') == NULL || value[0] == '=')
				return invalid(err, errlen, "label", value, "write KEY=VALUE");
			if (o->nlabels == WORKER_MAX_LABELS)
				return invalid(err, errlen, "label", value, "at most 16 labels");
			o->labels[o->nlabels++] = value;
			break;
		case OPT_POLL:
			if ((o->poll_ms = worker_parse_duration_ms(value)) <= 0)
				return invalid(err, errlen, "poll interval", value, "give a time such as 5s or 500ms");
			break;
		case OPT_HEARTBEAT:
			if ((o->heartbeat_ms = worker_parse_duration_ms(value)) <= 0)
				return invalid(err, errlen, "heartbeat interval", value, "give a time such as 5s");
			break;
		case OPT_GRACE:
			if ((o->grace_ms = worker_parse_duration_ms(value)) < 0)
				return invalid(err, errlen, "grace", value, "give a time such as 60s");
			break;
		case OPT_IO_TIMEOUT:
			if ((o->io_timeout_ms = worker_parse_duration_ms(value)) <= 0)
				return invalid(err, errlen, "I/O timeout", value, "give a time such as 10s");
			break;
		case OPT_JOB_MEMORY:
			if (strcmp(value, "unlimited") == 0)
				o->job_memory_bytes = 0;
			else if ((o->job_memory_bytes = worker_parse_size(value)) < 0 ||
					 (o->job_memory_bytes > 0 && o->job_memory_bytes < (INT64_C(64) << 20)))
				return invalid(err, errlen, "job memory", value,
							   "give a size of at least 64M, such as 8G, or unlimited");
			break;
		case OPT_MAX_OUTPUT_SIZE:
			if (strcmp(value, "unlimited") == 0)
				o->max_output_bytes = 0;
			else if ((o->max_output_bytes = worker_parse_size(value)) < 0)
				return invalid(err, errlen, "maximum output size", value,
							   "give a size such as 20G, or unlimited");
			break;
		case OPT_JOB_CPU_TIME:
			if (strcmp(value, "unlimited") == 0)
				o->job_cpu_seconds = 0;
			else if ((ms = worker_parse_duration_ms(value)) < 0)
				return invalid(err, errlen, "job CPU time", value, "give a time such as 2h, or unlimited");
			else
				/* RLIMIT_CPU counts whole seconds: round up, never to no limit. */
				o->job_cpu_seconds = ms / 1000 + (ms % 1000 != 0);
			break;
		case OPT_ALLOW_NETWORK:
			{
				static NpAllowList scratch;
				char		why[200];

				memset(&scratch, 0, sizeof(scratch));
				if (np_allow_parse(&scratch, value, why, sizeof(why)) < 0)
					return invalid(err, errlen, "network allow-list entry", value, why);
				if (o->nallow_network == WORKER_MAX_ALLOW)
					return invalid(err, errlen, "network allow-list entry", value, "at most 64 entries");
				o->allow_network[o->nallow_network++] = value;
				break;
			}
		case OPT_LOG_LEVEL:
			if (worker_log_parse_level(value, &o->log_level) < 0)
				return invalid(err, errlen, "log level", value, "write debug, info, warning or error");
			break;
		case OPT_LOG_FORMAT:
			if (worker_log_parse_format(value, &o->log_format) < 0)
				return invalid(err, errlen, "log format", value, "write text or json");
			break;
		case OPT_LISTEN:
			if (worker_parse_listen(value, &o->listen_address, &o->listen_address_len) < 0)
				return invalid(err, errlen, "listen address", value,
							   "give an IP address and a port, such as 127.0.0.1:9091 or [::1]:9091");
			o->listen = value;
			break;
		case OPT_ONCE:
			if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "on") == 0 ||
				strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
				o->once = 1;
			else if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 ||
					 strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
				o->once = 0;
			else
				return invalid(err, errlen, "once", value, "write true or false");
			break;
	}
	return 0;
}

static char *
trim(char *text)
{
	char	   *end;

	while (isspace((unsigned char) *text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return text;
}

/* The option id a configuration key names, or 0 when it names none the file may set. */
static int
config_key(const char *key)
{
	if (strcmp(key, "conninfo") == 0)
		return OPT_CONNINFO;
	if (strcmp(key, "config") == 0 || strcmp(key, "help") == 0 || strcmp(key, "version") == 0)
		return 0;
	for (const struct option *opt = long_options; opt->name; opt++)
		if (strcmp(key, opt->name) == 0)
			return opt->val;
	return 0;
}

/*
 * Reads the configuration file into o->config_text and applies each line.
 * The text is kept (and split in place) because string options point into it.
 */
static int
apply_config_file(WorkerOptions *o, const char *path, char *err, size_t errlen)
{
	FILE	   *file = fopen(path, "r");
	size_t		len;
	char	   *line;
	int			lineno = 0;

	if (file == NULL)
	{
		snprintf(err, errlen, "could not open configuration file \"%s\": %s", path, strerror(errno));
		return -1;
	}
	o->config_text = malloc(CONFIG_MAX_BYTES + 1);
	if (o->config_text == NULL)
	{
		fclose(file);
		snprintf(err, errlen, "out of memory reading configuration file \"%s\"", path);
		return -1;
	}
	len = fread(o->config_text, 1, CONFIG_MAX_BYTES + 1, file);
	if (ferror(file) || len > CONFIG_MAX_BYTES)
	{
		snprintf(err, errlen, "could not read configuration file \"%s\": %s", path,
				 ferror(file) ? strerror(errno) : "larger than 1 MiB");
		fclose(file);
		return -1;
	}
	fclose(file);
	o->config_text[len] = '\0';

	for (line = o->config_text; line != NULL;)
	{
		char	   *next = strchr(line, '\n');
		char	   *equals;
		char	   *key;
		char	   *value;
		int			id;

		if (next)
			*next++ = '\0';
		lineno++;
		line = trim(line);
		if (line[0] == '\0' || line[0] == '#')
		{
			line = next;
			continue;
		}
		if ((equals = strchr(line, '=')) == NULL)
		{
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
			return -1;
		}
		*equals = '\0';
		key = trim(line);
		value = trim(equals + 1);
		/* Quotes keep a value's outer spaces, or make an empty one explicit. */
		len = strlen(value);
		if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		{
			value[len - 1] = '\0';
			value++;
		}
		if ((id = config_key(key)) == 0)
		{
			snprintf(err, errlen, "%s:%d: unknown option \"%s\"", path, lineno, key);
			return -1;
		}
		if (value[0] == '\0' && id != OPT_CONNINFO)
		{
			snprintf(err, errlen, "%s:%d: option \"%s\" needs a value", path, lineno, key);
			return -1;
		}
		if (apply_option(o, id, value, err, errlen) < 0)
		{
			/* Prefix the location; the message itself came from apply_option. */
			char		message[512];

			snprintf(message, sizeof(message), "%s", err);
			snprintf(err, errlen, "%s:%d: %s", path, lineno, message);
			return -1;
		}
		line = next;
	}
	return 0;
}

int
worker_parse_options(int argc, char **argv, WorkerOptions *o, FILE *out, char *err, size_t errlen)
{
	int		   *ids = calloc(argc + 1, sizeof(int));
	const char **values = calloc(argc + 1, sizeof(char *));
	int			ngiven = 0;
	int			c;
	int			rc = -1;

	memset(o, 0, sizeof(*o));
	o->slots = 1;
	o->poll_ms = 5000;
	o->heartbeat_ms = 5000;
	o->grace_ms = 60000;
	o->job_memory_bytes = INT64_C(8) << 30;
	o->io_timeout_ms = 10000;
	o->log_level = WLOG_INFO;
	o->log_format = WLOG_FORMAT_TEXT;
	if (ids == NULL || values == NULL)
	{
		snprintf(err, errlen, "out of memory");
		goto end;
	}

	/* First collect the command line, so that the file can be applied under it. */
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:t:s:i:o:l:hV", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'h':
				worker_usage(out);
				rc = 1;
				goto end;
			case 'V':
				fprintf(out, "ffrtmp-worker %s\n", WORKER_VERSION);
				rc = 1;
				goto end;
			case ':':
				snprintf(err, errlen, "option %s needs a value (see --help)", argv[optind - 1]);
				goto end;
			case '?':
				snprintf(err, errlen, "unknown option %s (see --help)", argv[optind - 1]);
				goto end;
			case OPT_CONFIG:
				o->config_file = optarg;
				break;
			default:
				ids[ngiven] = c;
				values[ngiven++] = optarg;
				break;
		}
	}
	if (optind < argc)
	{
		ids[ngiven] = OPT_CONNINFO;
		values[ngiven++] = argv[optind++];
	}
	if (optind < argc)
	{
		snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", argv[optind]);
		goto end;
	}

	if (o->config_file && apply_config_file(o, o->config_file, err, errlen) < 0)
		goto end;

	/* A list given on the command line replaces the file's. */
	for (int i = 0; i < ngiven; i++)
	{
		if (ids[i] == 'i')
			o->ninput_roots = 0;
		if (ids[i] == 'l')
			o->nlabels = 0;
		if (ids[i] == OPT_ALLOW_NETWORK)
			o->nallow_network = 0;
	}
	for (int i = 0; i < ngiven; i++)
		if (apply_option(o, ids[i], values[i], err, errlen) < 0)
			goto end;
	rc = 0;

end:
	free(ids);
	free(values);
	if (rc != 0)
		worker_free_options(o);
	return rc;
}

void
worker_free_options(WorkerOptions *o)
{
	free(o->config_text);
	o->config_text = NULL;
}

static int
differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

const char *
worker_options_restart_needed(const WorkerOptions *old, const WorkerOptions *new)
{
	if (differs(old->name, new->name))
		return "name";
	if (differs(old->tenant, new->tenant))
		return "tenant";
	if (differs(old->conninfo, new->conninfo))
		return "conninfo";
	if (differs(old->listen, new->listen))
		return "listen";
	return NULL;
}
