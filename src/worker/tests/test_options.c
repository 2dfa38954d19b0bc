/*
 * test_options.c: ffrtmp-worker's command line and configuration file:
 * defaults, every option, the file under the command line, and the errors
 * that stop it before it connects anywhere.
 */
#include "../options.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static WorkerOptions o;
static char err[256];

static int
parse(int argc, char **argv)
{
	FILE	   *sink = fopen("/dev/null", "w");
	int			rc;

	err[0] = '\0';
	worker_free_options(&o);
	rc = worker_parse_options(argc, argv, &o, sink, err, sizeof(err));
	fclose(sink);
	return rc;
}

/* Writes text to a fresh temporary file and returns its "--config=..." option. */
static char *
config(const char *text)
{
	static char option[64];
	char		path[] = "/tmp/test_options.XXXXXX";
	int			fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text))
		abort();
	close(fd);
	snprintf(option, sizeof(option), "--config=%s", path);
	return option;
}

static void
remove_config(const char *option)
{
	unlink(option + strlen("--config="));
}

#define PARSE(...) parse(sizeof((char *[]){__VA_ARGS__, NULL}) / sizeof(char *) - 1, (char *[]){__VA_ARGS__, NULL})

static void
test_listen(void)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *) &o.listen_address;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) &o.listen_address;
	static const char *const refused[] = {
		"localhost:9091", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:90x",
		"::1:9091", "[::1]", "[127.0.0.1]:9091", "[::1:9091", ":9091", "256.0.0.1:9091"
	};

	CHECK(PARSE("ffrtmp-worker") == 0 && o.listen == NULL, "no --listen: nothing is served");
	CHECK(PARSE("ffrtmp-worker", "--listen=127.0.0.1:9091") == 0 && strcmp(o.listen, "127.0.0.1:9091") == 0 &&
		  in->sin_family == AF_INET && ntohs(in->sin_port) == 9091 &&
		  ntohl(in->sin_addr.s_addr) == INADDR_LOOPBACK && o.listen_address_len == sizeof(*in),
		  "--listen=127.0.0.1:9091 is an IPv4 address and a port");
	CHECK(PARSE("ffrtmp-worker", "--listen=[::1]:9100") == 0 && in6->sin6_family == AF_INET6 &&
		  ntohs(in6->sin6_port) == 9100 && IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) &&
		  o.listen_address_len == sizeof(*in6), "--listen=[::1]:9100 is an IPv6 address in brackets");
	CHECK(PARSE("ffrtmp-worker", "--listen=0.0.0.0:9091") == 0, "every interface may be asked for");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
	{
		char		option[64];
		char		description[96];

		snprintf(option, sizeof(option), "--listen=%s", refused[i]);
		snprintf(description, sizeof(description), "--listen=%s is refused", refused[i]);
		CHECK(PARSE("ffrtmp-worker", option) == -1 && strstr(err, "invalid listen address") != NULL &&
			  strstr(err, "127.0.0.1:9091") != NULL, description);
	}
	{
		char	   *file = config("listen = 127.0.0.1:9200\n");

		CHECK(PARSE("ffrtmp-worker", file) == 0 && strcmp(o.listen, "127.0.0.1:9200") == 0 &&
			  ntohs(in->sin_port) == 9200, "listen in the configuration file");
		remove_config(file);
	}
}

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

	CHECK(PARSE("ffrtmp-worker") == 0 && o.job_memory_bytes == (8LL << 30) && o.job_cpu_seconds == 0 &&
		  o.max_output_bytes == 0 && o.io_timeout_ms == 10000 && o.config_file == NULL,
		  "limit defaults: 8G of memory, no CPU time or output size limit, 10 s I/O timeout");
	CHECK(PARSE("ffrtmp-worker", "--job-memory=512M", "--job-cpu-time=90m", "--max-output-size=20G",
				"--io-timeout=2500ms") == 0 &&
		  o.job_memory_bytes == (512LL << 20) && o.job_cpu_seconds == 5400 &&
		  o.max_output_bytes == (20LL << 30) && o.io_timeout_ms == 2500, "limits parse");
	CHECK(PARSE("ffrtmp-worker", "--job-memory=1073741824", "--max-output-size=64k") == 0 &&
		  o.job_memory_bytes == (1LL << 30) && o.max_output_bytes == 65536, "sizes in bytes and kibibytes");
	CHECK(PARSE("ffrtmp-worker", "--job-memory=unlimited", "--job-cpu-time=1500ms") == 0 &&
		  o.job_memory_bytes == 0 && o.job_cpu_seconds == 2, "unlimited memory; CPU time rounds up to whole seconds");
	CHECK(PARSE("ffrtmp-worker", "--job-memory=8 G") == -1 && strstr(err, "job memory") != NULL,
		  "a malformed size is refused");
	CHECK(PARSE("ffrtmp-worker", "--job-memory=1M") == -1, "a job memory below 64M is refused");
	CHECK(PARSE("ffrtmp-worker", "--job-cpu-time=forever") == -1 && strstr(err, "CPU time") != NULL,
		  "a bad CPU time is refused");
	CHECK(PARSE("ffrtmp-worker", "--io-timeout=0") == -1 && strstr(err, "I/O timeout") != NULL,
		  "a zero I/O timeout is refused");
	CHECK(PARSE("ffrtmp-worker", "--max-output-size=-1") == -1, "a negative size is refused");

	{
		char	   *file = config("# a worker\n"
								  "\n"
								  "name = pool-3\n"
								  "  slots=3  \n"
								  "label = zone=b\n"
								  "label = disk=ssd\n"
								  "input-root = /media/file\n"
								  "grace = 5s\n"
								  "job-memory = 2G\n"
								  "once = true\n"
								  "conninfo = host=db1,db2 dbname=ffrtmp target_session_attrs=read-write\n");

		CHECK(PARSE("ffrtmp-worker", file) == 0 && o.config_text != NULL, "a configuration file parses");
		CHECK(strcmp(o.name, "pool-3") == 0 && o.slots == 3 && o.grace_ms == 5000 && o.once &&
			  o.job_memory_bytes == (2LL << 30), "the file sets options by their long names");
		CHECK(o.nlabels == 2 && strcmp(o.labels[0], "zone=b") == 0 && o.ninput_roots == 1,
			  "the file's lists");
		CHECK(strcmp(o.conninfo, "host=db1,db2 dbname=ffrtmp target_session_attrs=read-write") == 0,
			  "the file's conninfo keeps its spaces");
		CHECK(PARSE("ffrtmp-worker", "--slots=7", file, "-l", "zone=c", "dbname=other") == 0 &&
			  o.slots == 7 && strcmp(o.name, "pool-3") == 0, "the command line wins over the file");
		CHECK(o.nlabels == 1 && strcmp(o.labels[0], "zone=c") == 0 && o.ninput_roots == 1,
			  "a list on the command line replaces the file's");
		CHECK(strcmp(o.conninfo, "dbname=other") == 0, "the command line's conninfo wins");
		remove_config(file);
	}
	{
		WorkerOptions old;

		CHECK(PARSE("ffrtmp-worker", "--name=a", "--slots=2") == 0, "options before a reload");
		old = o;
		o.config_text = NULL;	/* old keeps nothing to free */
		CHECK(PARSE("ffrtmp-worker", "--name=a", "--slots=4", "--label=x=y") == 0 &&
			  worker_options_restart_needed(&old, &o) == NULL, "slots and labels reload");
		CHECK(PARSE("ffrtmp-worker", "--name=b") == 0 && worker_options_restart_needed(&old, &o) != NULL &&
			  strcmp(worker_options_restart_needed(&old, &o), "name") == 0, "a new name needs a restart");
		CHECK(PARSE("ffrtmp-worker", "--name=a", "--tenant=acme") == 0 &&
			  strcmp(worker_options_restart_needed(&old, &o), "tenant") == 0, "a new tenant needs a restart");
		CHECK(PARSE("ffrtmp-worker", "--name=a", "dbname=x") == 0 &&
			  strcmp(worker_options_restart_needed(&old, &o), "conninfo") == 0, "a new conninfo needs a restart");
		CHECK(PARSE("ffrtmp-worker", "--name=a", "--listen=127.0.0.1:9091") == 0 &&
			  strcmp(worker_options_restart_needed(&old, &o), "listen") == 0, "a new listen address needs a restart");
	}
	test_listen();
	{
		char	   *file = config("slots = 2\nfrobnicate = yes\n");

		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, ":2: unknown option \"frobnicate\"") != NULL,
			  "an unknown key is refused with its line");
		remove_config(file);
		file = config("slots = lots\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, ":1: invalid slots \"lots\"") != NULL,
			  "a bad value in the file is refused with its line");
		remove_config(file);
		file = config("slots\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, "expected \"key = value\"") != NULL,
			  "a line without '=' is refused");
		remove_config(file);
		file = config("config = /etc/other.conf\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, "unknown option \"config\"") != NULL,
			  "the file cannot name another file");
		remove_config(file);
		file = config("name =\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, "needs a value") != NULL,
			  "an empty value is refused");
		remove_config(file);
		file = config("once = maybe\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1, "once takes true or false");
		remove_config(file);
		CHECK(PARSE("ffrtmp-worker", "--config=/nonexistent/worker.conf") == -1 &&
			  strstr(err, "could not open configuration file") != NULL, "a missing file is refused");
	}
	{
		FILE	   *help = tmpfile();
		char		text[8192];
		size_t		len;
		static const char *const documented[] = {
			"--name", "--tenant", "--slots", "--input-root", "--output-root", "--label",
			"--poll-interval", "--heartbeat-interval", "--grace", "--job-memory", "--job-cpu-time",
			"--max-output-size", "--io-timeout", "--allow-network", "--once", "--config", "--help", "--version", "SIGHUP", NULL
		};
		int			all = 1;

		worker_usage(help);
		rewind(help);
		len = fread(text, 1, sizeof(text) - 1, help);
		text[len] = '\0';
		fclose(help);
		for (const char *const *word = documented; *word; word++)
			if (strstr(text, *word) == NULL)
				all = 0;
		CHECK(all, "--help documents every option");
	}

	/* The network allow-list: repeatable, checked, and from the file under the command line. */
	CHECK(PARSE("ffrtmp-worker") == 0 && o.nallow_network == 0, "by default the network policy opens nothing");
	CHECK(PARSE("ffrtmp-worker", "--allow-network=127.0.0.0/8", "--allow-network", "media.internal, [::1]") == 0 &&
		  o.nallow_network == 2 && strcmp(o.allow_network[1], "media.internal, [::1]") == 0,
		  "--allow-network repeats, and takes several entries at once");
	CHECK(PARSE("ffrtmp-worker", "--allow-network=10.0.0.0/33") == -1 && strstr(err, "invalid prefix length"),
		  "an invalid allow-list entry stops the worker");
	CHECK(PARSE("ffrtmp-worker", "--allow-network=bad%host") == -1 && strstr(err, "network allow-list"),
		  "a malformed host name too");
	{
		char	   *file = config("allow-network = 10.1.0.0/16\nallow-network = *.cdn.internal\n");

		CHECK(PARSE("ffrtmp-worker", file) == 0 && o.nallow_network == 2 &&
			  strcmp(o.allow_network[1], "*.cdn.internal") == 0, "allow-network in the configuration file");
		CHECK(PARSE("ffrtmp-worker", file, "--allow-network=127.0.0.1") == 0 && o.nallow_network == 1 &&
			  strcmp(o.allow_network[0], "127.0.0.1") == 0, "the command line's allow-list replaces the file's");
		remove_config(file);
	}

	/* The log. */
	CHECK(PARSE("ffrtmp-worker") == 0 && o.log_level == WLOG_INFO && o.log_format == WLOG_FORMAT_TEXT,
		  "log: info and text by default");
	CHECK(PARSE("ffrtmp-worker", "--log-level=debug", "--log-format=json") == 0 && o.log_level == WLOG_DEBUG &&
		  o.log_format == WLOG_FORMAT_JSON, "log: --log-level and --log-format");
	CHECK(PARSE("ffrtmp-worker", "--log-level=verbose") == -1 &&
		  strcmp(err, "invalid log level \"verbose\": write debug, info, warning or error") == 0,
		  "log: an unknown level is refused, naming the levels");
	CHECK(PARSE("ffrtmp-worker", "--log-format=xml") == -1 &&
		  strcmp(err, "invalid log format \"xml\": write text or json") == 0,
		  "log: an unknown format is refused, naming the formats");
	{
		char	   *file = config("log-level = warning\nlog-format = json\n");

		CHECK(PARSE("ffrtmp-worker", file) == 0 && o.log_level == WLOG_WARNING && o.log_format == WLOG_FORMAT_JSON,
			  "log: the configuration file's log-level and log-format keys");
		CHECK(PARSE("ffrtmp-worker", file, "--log-level=error") == 0 && o.log_level == WLOG_ERROR,
			  "log: the command line wins over the file");
		remove_config(file);
		file = config("log-level = loud\n");
		CHECK(PARSE("ffrtmp-worker", file) == -1 && strstr(err, ":1: invalid log level \"loud\"") != NULL,
			  "log: a bad level in the file is refused with its line");
		remove_config(file);
	}

	CHECK(worker_parse_size("512M") == (512LL << 20) && worker_parse_size("8GiB") == (8LL << 30) &&
		  worker_parse_size("1t") == (1LL << 40) && worker_parse_size("100") == 100,
		  "sizes: units and bare bytes");
	CHECK(worker_parse_size("8X") == -1 && worker_parse_size("G") == -1 && worker_parse_size("99999999999T") == -1,
		  "sizes: unknown units, no number and overflow are refused");
	CHECK(worker_parse_duration_ms("90") == 90000 && worker_parse_duration_ms("1h") == 3600000 &&
		  worker_parse_duration_ms("250ms") == 250, "durations: bare seconds, hours, milliseconds");
	CHECK(worker_parse_duration_ms("99999999h") == -1 && worker_parse_duration_ms("-5s") == -1,
		  "durations: overflow and negatives are refused");
	worker_free_options(&o);
	return check_summary();
}
