/*
 * media_input.c: opening a job's input within whitelists and limits.
 *
 * libavformat can follow one input to others: an HLS playlist or a concat
 * list names further URLs, the image2 demuxer expands patterns, and the
 * "file:" or "concat:" protocols reach the local disk.  Each kind of input
 * therefore gets the few protocols and demuxers it needs and nothing more;
 * nested opens (HLS segments) inherit the protocol whitelist, so a playlist
 * fetched over http cannot name a file:// segment.
 */
#include "media_input.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/time.h>

#include "av_messages.h"

/*
 * Demuxers for media files: containers that never open other files.  Raw
 * elementary streams (h264, hevc) are left out: they carry no timestamps.
 */
#define FILE_FORMATS "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,flv,mpegts,avi,mpeg,wav,mp3,aac,ogg,flac,ivf"

typedef struct InputRules
{
	const char *protocols;
	const char *formats;
	const char *forced_format;	/* NULL: probe among formats */
} InputRules;

static const InputRules input_rules[] = {
	[INPUT_FILE] = {"file", FILE_FORMATS, NULL},
	[INPUT_HTTP] = {"http,https,tcp,tls", FILE_FORMATS ",hls", NULL},
	[INPUT_LIVE] = {"rtmp,rtmps,tcp,tls", "flv,live_flv", "live_flv"},
	[INPUT_TESTSRC] = {"", "lavfi", "lavfi"},
};

volatile sig_atomic_t io_watch_continued;

void
io_watch_begin(IoWatch *watch)
{
	watch->blocked_since = av_gettime_relative();
}

static int
io_watch_interrupt(void *opaque)
{
	IoWatch    *watch = opaque;

	if (*watch->stop)
		return 1;
	if (watch->continued_seen != io_watch_continued)
	{
		watch->continued_seen = io_watch_continued;
		watch->blocked_since = av_gettime_relative();
	}
	if (watch->timeout_us > 0 && av_gettime_relative() - watch->blocked_since > watch->timeout_us)
	{
		watch->timed_out = 1;
		return 1;
	}
	return 0;
}

AVIOInterruptCB
io_watch_callback(IoWatch *watch)
{
	AVIOInterruptCB cb = {io_watch_interrupt, watch};

	return cb;
}

/* Reads a decimal number of at most 5 digits into *value, within [min, max]. */
static int
bounded_number(const char **p, int min, int max, int *value)
{
	int			n = 0;
	int			digits = 0;

	while (**p >= '0' && **p <= '9' && digits < 6)
	{
		n = n * 10 + (**p - '0');
		(*p)++;
		digits++;
	}
	*value = n;
	return digits > 0 && digits < 6 && n >= min && n <= max ? 0 : -1;
}

int
media_testsrc_parse(const char *spec, TestSource *src)
{
	const char *p = spec;

	*src = (TestSource) {1280, 720, 30, 10};
	if (*p >= '0' && *p <= '9' &&
		(bounded_number(&p, 16, 7680, &src->width) < 0 || *p++ != 'x' ||
		 bounded_number(&p, 16, 4320, &src->height) < 0))
		return -1;
	if (*p == '@' && (p++, bounded_number(&p, 1, 240, &src->fps) < 0))
		return -1;
	if (*p == '?' && (strncmp(p, "?duration=", 10) != 0 ||
					  (p += 10, bounded_number(&p, 1, 86400, &src->seconds) < 0)))
		return -1;
	return *p == '\0' ? 0 : -1;
}

/*
 * The test source: a moving test pattern with a frame counter and a 1 kHz
 * tone, as a libavfilter graph read through the lavfi device.
 */
static int
testsrc_graph(const char *spec, char *graph, size_t len)
{
	TestSource	src;

	if (media_testsrc_parse(spec, &src) < 0)
		return -1;
	snprintf(graph, len,
			 "testsrc2=size=%dx%d:rate=%d:duration=%d[out0];"
			 "sine=frequency=1000:sample_rate=48000:duration=%d[out1]",
			 src.width, src.height, src.fps, src.seconds, src.seconds);
	return 0;
}

TranscodeStatus
media_input_open(const TranscodeRequest *req, IoWatch *watch, AVFormatContext **in,
				 char *err, size_t errlen)
{
	const InputRules *rules = &input_rules[req->input_kind];
	const AVInputFormat *format = NULL;
	AVDictionary *options = NULL;
	char		url[4200];
	struct stat st;
	int			ret;
	TranscodeStatus failure = req->input_kind == INPUT_FILE ? TRANSCODE_INPUT_ERROR : TRANSCODE_NETWORK_ERROR;

	if (req->input_kind == INPUT_TESTSRC)
	{
		if (testsrc_graph(req->input, url, sizeof(url)) < 0)
		{
			snprintf(err, errlen, "invalid test source \"testsrc://%.80s\": " MEDIA_TESTSRC_RULE, req->input);
			return TRANSCODE_USER_ERROR;
		}
	}
	else if (req->input_kind == INPUT_FILE)
		snprintf(url, sizeof(url), "file:%s", req->input);	/* a ':' in the name is not a protocol */
	else
		snprintf(url, sizeof(url), "%s", req->input);
	if (rules->forced_format && (format = av_find_input_format(rules->forced_format)) == NULL)
	{
		snprintf(err, errlen, "this libavformat has no %s demuxer", rules->forced_format);
		return TRANSCODE_CAPABILITY;
	}

	if ((*in = avformat_alloc_context()) == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return TRANSCODE_RESOURCE_ERROR;
	}
	(*in)->interrupt_callback = io_watch_callback(watch);
	if (rules->protocols[0])
		av_dict_set(&options, "protocol_whitelist", rules->protocols, 0);
	av_dict_set(&options, "format_whitelist", rules->formats, 0);
	av_dict_set(&options, "probesize", "5000000", 0);
	av_dict_set(&options, "analyzeduration", "5000000", 0);
	if (req->input_kind == INPUT_HTTP || req->input_kind == INPUT_LIVE)
		av_dict_set_int(&options, "rw_timeout", (int64_t) req->io_timeout_ms * 1000, 0);
	if (req->input_kind == INPUT_LIVE)
		av_dict_set(&options, "rtmp_live", "live", 0);

	/* Said plainly: libavformat would call an empty file a bad one. */
	if (req->input_kind == INPUT_FILE && stat(req->input, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
	{
		snprintf(err, errlen, "the input file is empty (0 bytes)");
		return TRANSCODE_INPUT_ERROR;
	}

	/* libav logs why it fails; the error quotes that (av_messages.h). */
	av_messages_forget();
	io_watch_begin(watch);
	ret = avformat_open_input(in, url, format, &options);
	av_dict_free(&options);
	if (ret < 0)
	{
		if (watch->timed_out)
			snprintf(err, errlen, "the input sent nothing for %d s", req->io_timeout_ms / 1000);
		else if (ret == AVERROR_INVALIDDATA || ret == AVERROR(EINVAL))
		{
			/* Reached, but not media we take: the input's fault, whatever carried it. */
			snprintf(err, errlen, "the input is not a supported media file: %s", av_err2str(ret));
			av_messages_append(err, errlen, 0);
			return TRANSCODE_INPUT_ERROR;
		}
		else
		{
			snprintf(err, errlen, "could not open the input: %s", av_err2str(ret));
			if (ret != AVERROR(ENOMEM) && !*watch->stop)
				av_messages_append(err, errlen, 0);
		}
		if (ret == AVERROR(ENOMEM))
			return TRANSCODE_RESOURCE_ERROR;
		return *watch->stop ? TRANSCODE_STOPPED : failure;
	}
	io_watch_begin(watch);
	if ((ret = avformat_find_stream_info(*in, NULL)) < 0)
	{
		if (watch->timed_out)
			snprintf(err, errlen, "the input sent no media for %d s", req->io_timeout_ms / 1000);
		else
		{
			snprintf(err, errlen, "could not read the input's streams: %s", av_err2str(ret));
			if (ret != AVERROR(ENOMEM) && !*watch->stop)
				av_messages_append(err, errlen, 0);
		}
		avformat_close_input(in);
		if (ret == AVERROR_INVALIDDATA)
			return TRANSCODE_INPUT_ERROR;
		if (ret == AVERROR(ENOMEM))
			return TRANSCODE_RESOURCE_ERROR;
		return *watch->stop ? TRANSCODE_STOPPED : failure;
	}
	/* The test pattern is progressive; said so, it needs no deinterlacer on guard. */
	for (unsigned i = 0; req->input_kind == INPUT_TESTSRC && i < (*in)->nb_streams; i++)
		if ((*in)->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
			(*in)->streams[i]->codecpar->field_order = AV_FIELD_PROGRESSIVE;
	return TRANSCODE_OK;
}
