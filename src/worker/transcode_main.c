/*
 * transcode_main.c: ffrtmp-transcode, one job's transcode run locally with
 * the worker's own engine and no database: for trying params and presets
 * before submitting, and for benchmarking the engine against ffmpeg.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_confine.h"
#include "media_input.h"
#include "net_guard.h"
#include "output_probe.h"
#include "output_staging.h"
#include "transcode.h"
#include "../common/names.h"

static volatile int stop_requested;

static void
on_signal(int signo)
{
	(void) signo;
	stop_requested = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
			"ffrtmp-transcode runs one transcode with ffrtmp-worker's engine, without a database.\n"
			"\n"
			"Usage: ffrtmp-transcode [OPTION]... INPUT OUTPUT\n"
			"  or:  ffrtmp-transcode --check-params [--params=JSON] [--gpus=N] [OUTPUT]\n"
			"\n"
			"INPUT is a file path (or file:///absolute/path), an rtmp://, rtmps://, http://\n"
			"or https:// URL, or a test source\n"
			"testsrc://[WIDTHxHEIGHT][@FPS][?duration=SECONDS], each part optional (16x16\n"
			"to 7680x4320, 1 to 240 fps, 1 to 86400 s; defaults 1280x720@30, 10 s).\n"
			"\n"
			"OUTPUT is a file path or an rtmp:// URL.  For format hls it is the playlist\n"
			"path, segments beside it; a path not ending in .m3u8 is a directory for the\n"
			"playlist, OUTPUT/index.m3u8, as for a job's output_url.  Missing directories\n"
			"above OUTPUT are created (as mkdir -p, mode 0755).  OUTPUT must not be INPUT.\n"
			"The output is written under a partial name beside it (.NAME.PID.partial, for\n"
			"hls a directory of that name) and renamed into place once complete: a failed or\n"
			"interrupted run leaves an earlier file at OUTPUT as it was, and nothing new.\n"
			"\n"
			"Options:\n"
			"  -p, --params=JSON       encode parameters, as submit_job takes them\n"
			"                          (e.g. '{\"video_codec\": \"h264\", \"size\": \"1280x720\"}')\n"
			"  -j, --threads=N         encoder and decoder threads, 1 to 256 (default 1)\n"
			"      --io-timeout=SECONDS  a network input or output silent this long fails,\n"
			"                          1 to 86400 (default 10)\n"
			"      --allow-network=CIDR|HOST  connect there although the network policy refuses\n"
			"                          it (repeatable), as ffrtmp-worker's option of that name\n"
			"      --gpus=N            as a job asking for N GPUs, 0 to 64 (default 0): with 1\n"
			"                          or more, h264 and h265 are encoded by NVENC\n"
			"      --check-params      only check --params as submit_job and the worker do\n"
			"                          (the same rules), OUTPUT's name picking the format\n"
			"                          when params has none; print \"ok\" and exit 0, or the\n"
			"                          error with its hint and exit 2; transcode nothing\n"
			"  -q, --quiet             no progress lines\n"
			"  -h, --help              show this help, then exit\n"
			"\n"
			"The network policy of ffrtmp-worker's jobs applies: no loopback, private,\n"
			"link-local or other special-purpose address unless --allow-network opens it,\n"
			"no Unix-domain or raw sockets.\n"
			"\n"
			"Prints progress to standard error and the probed output as JSON to standard output.\n"
			"Exit status: 0 done, 1 the transcode failed, 2 bad usage.\n");
}

/* One line on what was wrong, as coreutils do; returns the exit status of bad usage. */
static int
usage_error(const char *format,...)
{
	va_list		args;

	fputs("ffrtmp-transcode: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputs("\nTry 'ffrtmp-transcode --help' for more information.\n", stderr);
	return 2;
}

/* A whole decimal number within [min, max], or -1. */
static int
bounded_option(const char *text, int min, int max)
{
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(text, &end, 10);
	return errno == 0 && end != text && *end == '\0' && n >= min && n <= max ? (int) n : -1;
}

/* Sets the request's input from INPUT as submit_job takes it, or says why not. */
static int
plan_input(const char *input, TranscodeRequest *req)
{
	TestSource	src;

	req->input = input;
	if (strncmp(input, "testsrc://", 10) == 0)
	{
		if (media_testsrc_parse(input + 10, &src) < 0)
			return usage_error("invalid test source \"%s\": " MEDIA_TESTSRC_RULE, input);
		req->input_kind = INPUT_TESTSRC;
		req->input = input + 10;
		req->input_seconds = src.seconds;
	}
	else if (strncmp(input, "rtmp://", 7) == 0 || strncmp(input, "rtmps://", 8) == 0)
		req->input_kind = INPUT_LIVE;
	else if (strncmp(input, "http://", 7) == 0 || strncmp(input, "https://", 8) == 0)
		req->input_kind = INPUT_HTTP;
	else if (strncmp(input, "file://", 7) == 0)
	{
		/* Decoded as the worker decodes a job's input_url (names.h). */
		static char path[NAMES_PATH_MAX];
		const char *why = names_file_url_path(input, path, sizeof(path));

		if (why != NULL)
			return usage_error("invalid file URL \"%s\": %s", input, why);
		req->input_kind = INPUT_FILE;
		req->input = path;
	}
	else
		req->input_kind = INPUT_FILE;
	return 0;
}

/*
 * Why an HLS output cannot have this path, or NULL.  The HLS muxer reads the
 * segment names (the output's path, _NNNNN.ts appended) as a pattern in
 * which "%d" or "%05d" is the segment's number, with no escape; and a
 * playlist names one file a line (RFC 8216 4.1).
 */
static const char *
hls_path_refusal(const char *path)
{
	for (const char *c = strchr(path, '%'); c; c = strchr(c + 1, '%'))
		if (c[1 + strspn(c + 1, "0123456789")] == 'd')
			return "may not hold %d or %0Nd, which the HLS muxer takes for the segment number";
	if (strpbrk(path, "\r\n"))
		return "may not hold a line break, which a playlist cannot name";
	return NULL;
}

/*
 * The final path of a file output (for hls, the playlist's), refused when it
 * is the input itself (a link to it included): writing would destroy it; or
 * when it is a directory.
 */
static int
plan_output(const TranscodeRequest *req, const char *output, char *final_path, size_t len)
{
	struct stat in;
	struct stat out;

	if (req->spec->format != FORMAT_HLS)
		snprintf(final_path, len, "%s", output);
	else if (names_hls_playlist(output, final_path, len) >= len)
		return usage_error("the output path is too long");
	if (req->input_kind == INPUT_FILE && stat(req->input, &in) == 0 && stat(final_path, &out) == 0 &&
		in.st_dev == out.st_dev && in.st_ino == out.st_ino)
		return usage_error("the output %s is the input file: write to another path", final_path);
	if (req->spec->format == FORMAT_HLS && hls_path_refusal(final_path))
		return usage_error("the hls output %s %s", final_path, hls_path_refusal(final_path));
	/* Refused now, not after the whole transcode when the rename fails. */
	if ((stat(final_path, &out) == 0 && S_ISDIR(out.st_mode)) || final_path[strlen(final_path) - 1] == '/')
		return usage_error("the output %s is a directory: name a file in it", final_path);
	return 0;
}

static void
print_progress(const TranscodeProgress *p, void *arg)
{
	(void) arg;
	fprintf(stderr, "frames=%lld fps=%.1f speed=%.2fx time=%.2fs bitrate=%.0fkbps",
			(long long) p->frames, p->fps, p->speed, p->out_seconds, p->bitrate_kbps);
	if (p->percent >= 0)
		fprintf(stderr, " %.1f%%", p->percent);
	fputc('\n', stderr);
}

/*
 * Runs the transcode into the output's partial name (a file output; an rtmp
 * output is written as it goes) and moves it into place once complete.
 * Returns the exit status.
 */
static int
run(TranscodeRequest *req, const char *output, const char *const *allow, int nallow)
{
	TranscodeSummary summary;
	TranscodeStatus status;
	int			hls = req->spec->format == FORMAT_HLS;
	char		err[1024];
	char		final_path[4200];
	char		staging[4200] = "";
	char		write_to[4200];
	int64_t		bytes;
	size_t		made = 0;		/* the directories this run created, for a failure to remove */

	req->output = output;
	if (strncmp(output, "rtmp://", 7) != 0 && strncmp(output, "rtmps://", 8) != 0)
	{
		if (plan_output(req, output, final_path, sizeof(final_path)) != 0)
			return 2;
		/* The process id in the name: two runs to one OUTPUT never share a partial. */
		if (output_staging_path(final_path, (int) getpid(), staging, sizeof(staging)) < 0)
			return usage_error("the output path is too long");
	}
	if (job_confine_network(allow, nallow, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "ffrtmp-transcode: %s\n", err);
		return 2;
	}
	if (staging[0])
	{
		made = output_make_parents(final_path, 0);
		if (output_stage(final_path, staging, hls, write_to, sizeof(write_to)) < 0)
		{
			fprintf(stderr, "ffrtmp-transcode: could not create %s: %s (%s)\n", staging, strerror(errno),
					transcode_status_reason(TRANSCODE_RESOURCE_ERROR));
			output_unmake_parents(final_path, made);
			return 1;
		}
		req->output = write_to;
	}

	status = transcode_run(req, &summary, err, sizeof(err));
	if (net_guard_refusal(err, sizeof(err)))
		status = TRANSCODE_USER_ERROR;
	if (status == TRANSCODE_OK && staging[0] && output_publish(final_path, staging, hls, &bytes) < 0)
	{
		status = TRANSCODE_RESOURCE_ERROR;
		snprintf(err, sizeof(err), "could not move the output into place: %s", strerror(errno));
	}
	if (status != TRANSCODE_OK)
	{
		output_discard(staging, hls);	/* what this run wrote, nothing else */
		output_unmake_parents(final_path, made);
		fprintf(stderr, "ffrtmp-transcode: %s (%s)\n", err, transcode_status_reason(status));
		return 1;
	}
	if (staging[0])
	{
		json_object *result = output_probe(final_path, err, sizeof(err));

		if (result == NULL)
		{
			fprintf(stderr, "ffrtmp-transcode: %s\n", err);
			return 1;
		}
		transcode_summary_notes(&summary, result);
		printf("%s\n", json_object_to_json_string_ext(result, JSON_C_TO_STRING_PRETTY));
		json_object_put(result);
	}
	return 0;
}

/* --check-params: the verdict submit_job would give, as one line on standard output. */
static int
check_params(const char *params, int gpus, int noperands, char **operands)
{
	JobSpec		spec;
	char		err[1024];

	if (noperands > 1)
		return usage_error("extra operand '%s' (--check-params takes at most OUTPUT)", operands[1]);
	if (job_spec_parse(params, noperands ? operands[0] : NULL, gpus, &spec, err, sizeof(err)) < 0)
	{
		printf("%s\n", err);
		return 2;
	}
	printf("ok\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option long_options[] = {
		{"params", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 'j'},
		{"io-timeout", required_argument, NULL, 't'},
		{"quiet", no_argument, NULL, 'q'},
		{"allow-network", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{"check-params", no_argument, NULL, 'c'},
		{"gpus", required_argument, NULL, 'g'},
		{NULL, 0, NULL, 0}
	};
	const char *params = "{}";
	TranscodeRequest req = {0};
	JobSpec		spec;
	char		err[1024];
	int			quiet = 0;
	int			check_only = 0;
	int			gpus = 0;
	int			c;
	const char *allow[64];
	int			nallow = 0;
	int			seconds;

	output_json_round_doubles();
	req.threads = 1;
	req.io_timeout_ms = 10000;
	opterr = 0;					/* usage_error says it, with the hint */
	while ((c = getopt_long(argc, argv, ":p:j:qh", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
				params = optarg;
				break;
			case 'j':
				if ((req.threads = bounded_option(optarg, 1, 256)) < 0)
					return usage_error("invalid --threads '%s': a whole number from 1 to 256", optarg);
				break;
			case 't':
				if ((seconds = bounded_option(optarg, 1, 86400)) < 0)
					return usage_error("invalid --io-timeout '%s': seconds, from 1 to 86400", optarg);
				req.io_timeout_ms = seconds * 1000;
				break;
			case 'q':
				quiet = 1;
				break;
			case 'c':
				check_only = 1;
				break;
			case 'g':
				if ((gpus = bounded_option(optarg, 0, 64)) < 0)
					return usage_error("invalid --gpus '%s': a whole number from 0 to 64", optarg);
				break;
			case 'a':
				if (nallow == 64)
					return usage_error("at most 64 --allow-network entries");
				allow[nallow++] = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			case ':':
				return usage_error("option '%s' needs an argument", argv[optind - 1]);
			default:
				if (optopt != 0)
					return usage_error("invalid option -- '%c'", optopt);
				return usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (check_only)
		return check_params(params, gpus, argc - optind, argv + optind);
	if (argc - optind < 2)
		return usage_error(argc == optind ? "missing INPUT and OUTPUT" : "missing OUTPUT after '%s'", argv[optind]);
	if (argc - optind > 2)
		return usage_error("extra operand '%s' (one INPUT and one OUTPUT)", argv[optind + 2]);
	if (job_spec_parse(params, argv[optind + 1], gpus, &spec, err, sizeof(err)) < 0)
		return usage_error("%s", err);
	req.spec = &spec;
	req.prefer_gpu = gpus > 0;
	if (plan_input(argv[optind], &req) != 0)
		return 2;
	req.stop = &stop_requested;
	req.progress = quiet ? NULL : print_progress;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	return run(&req, argv[optind + 1], allow, nallow);
}
