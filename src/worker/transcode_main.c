/*
 * transcode_main.c: ffrtmp-transcode, one job's transcode run locally with
 * the worker's own engine and no database: for trying params and presets
 * before submitting, and for benchmarking the engine against ffmpeg.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_guard.h"
#include "output_probe.h"
#include "socket_filter.h"
#include "transcode.h"

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
			"\n"
			"INPUT is a file path, an rtmp://, rtmps://, http:// or https:// URL, or a test\n"
			"source testsrc://WIDTHxHEIGHT@FPS?duration=SECONDS.  OUTPUT is a file path (for\n"
			"format hls, the playlist path; segments go beside it) or an rtmp:// URL.\n"
			"\n"
			"Options:\n"
			"  -p, --params=JSON       encode parameters, as submit_job takes them\n"
			"                          (e.g. '{\"video_codec\": \"h264\", \"size\": \"1280x720\"}')\n"
			"  -j, --threads=N         encoder and decoder threads (default 1)\n"
			"      --io-timeout=SECONDS  a network input or output silent this long fails (default 10)\n"
			"      --allow-network=CIDR|HOST  connect there although the network policy refuses\n"
			"                          it (repeatable), as ffrtmp-worker's option of that name\n"
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
		{NULL, 0, NULL, 0}
	};
	const char *params = "{}";
	TranscodeRequest req = {0};
	TranscodeSummary summary;
	TranscodeStatus status;
	JobSpec		spec;
	char		err[1024];
	int			quiet = 0;
	int			c;
	const char *allow[64];
	int			nallow = 0;

	req.threads = 1;
	req.io_timeout_ms = 10000;
	while ((c = getopt_long(argc, argv, "p:j:qh", long_options, NULL)) != -1)
	{
		switch (c)
		{
			case 'p':
				params = optarg;
				break;
			case 'j':
				req.threads = atoi(optarg);
				break;
			case 't':
				req.io_timeout_ms = atoi(optarg) * 1000;
				break;
			case 'q':
				quiet = 1;
				break;
			case 'a':
				if (nallow == 64)
				{
					fprintf(stderr, "ffrtmp-transcode: at most 64 --allow-network entries\n");
					return 2;
				}
				allow[nallow++] = optarg;
				break;
			case 'h':
				usage(stdout);
				return 0;
			default:
				usage(stderr);
				return 2;
		}
	}
	if (argc - optind != 2 || req.threads < 1 || req.threads > 256 || req.io_timeout_ms <= 0)
	{
		usage(stderr);
		return 2;
	}
	if (job_spec_parse(params, argv[optind + 1], &spec, err, sizeof(err)) < 0)
	{
		fprintf(stderr, "ffrtmp-transcode: %s\n", err);
		return 2;
	}

	if (net_guard_enable(allow, nallow, err, sizeof(err)) < 0 || socket_filter_apply(err, sizeof(err)) < 0)
	{
		fprintf(stderr, "ffrtmp-transcode: %s\n", err);
		return 2;
	}

	req.spec = &spec;
	req.input = argv[optind];
	if (strncmp(req.input, "testsrc://", 10) == 0)
	{
		req.input_kind = INPUT_TESTSRC;
		req.input += 10;
	}
	else if (strncmp(req.input, "rtmp", 4) == 0)
		req.input_kind = INPUT_LIVE;
	else if (strncmp(req.input, "http", 4) == 0)
		req.input_kind = INPUT_HTTP;
	else
		req.input_kind = INPUT_FILE;
	req.output = argv[optind + 1];
	req.stop = &stop_requested;
	req.progress = quiet ? NULL : print_progress;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	status = transcode_run(&req, &summary, err, sizeof(err));
	if (net_guard_refusal(err, sizeof(err)))
		status = TRANSCODE_USER_ERROR;
	if (status != TRANSCODE_OK)
	{
		fprintf(stderr, "ffrtmp-transcode: %s (%s)\n", err, transcode_status_reason(status));
		if (spec.format != FORMAT_HLS && strncmp(req.output, "rtmp", 4) != 0)
			unlink(req.output);	/* no half-written file */
		return 1;
	}
	if (strncmp(req.output, "rtmp", 4) != 0)
	{
		json_object *result = output_probe(req.output, err, sizeof(err));

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
