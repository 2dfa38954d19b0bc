/*
 * transcode_codecs.c: opening decoders and encoders with the job's settings,
 * mapped onto each encoder's own options.
 */
#include "transcode_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavutil/opt.h>

#include "../common/job_params.h"

/* Decoders ------------------------------------------------------------------ */

TranscodeStatus
transcode_open_decoder(Transcoder *t, int index, AVCodecContext **dec)
{
	AVStream   *st = t->in->streams[index];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	AVDictionary *options = NULL;
	int			ret;

	if (codec == NULL)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "the input's codec cannot be decoded here", 0);
	if ((*dec = avcodec_alloc_context3(codec)) == NULL)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	if ((ret = avcodec_parameters_to_context(*dec, st->codecpar)) < 0)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "bad stream parameters in the input", ret);
	(*dec)->pkt_timebase = st->time_base;
	(*dec)->framerate = av_guess_frame_rate(t->in, st, NULL);
	(*dec)->thread_count = t->req->threads;
	av_dict_set_int(&options, "max_pixels", MEDIA_MAX_PIXELS, 0);
	ret = avcodec_open2(*dec, codec, &options);
	av_dict_free(&options);
	if (ret < 0 && (int64_t) st->codecpar->width * st->codecpar->height > MEDIA_MAX_PIXELS)
	{
		char		what[160];

		/* The limit is this service's, not the file's fault alone: say it. */
		snprintf(what, sizeof(what), "the input's %dx%d picture is larger than the %d pixels (7680x4320) "
				 "this service decodes", st->codecpar->width, st->codecpar->height, MEDIA_MAX_PIXELS);
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, what, ret);
	}
	if (ret < 0)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not open the input's decoder", ret);
	return TRANSCODE_OK;
}

/* Encoders ------------------------------------------------------------------ */

/*
 * The colour plan (colour.c) from what the decoder reports and what the
 * encoder takes; the filters and every encoder follow it.
 */
TranscodeStatus
transcode_plan_colour(Transcoder *t)
{
	AVCodecContext *dec = t->video_dec;
	const char *name = job_params_encoder(t->spec->video_codec, t->req->prefer_gpu);
	const AVCodec *codec = name ? avcodec_find_encoder_by_name(name) : NULL;
	ColourInput in = {
		.pix_fmt = dec->pix_fmt, .width = dec->width, .height = dec->height,
		.range = dec->color_range, .space = dec->colorspace, .primaries = dec->color_primaries, .trc = dec->color_trc,
		.codec = t->spec->video_codec, .encoder = name, .encoder_formats = codec ? codec->pix_fmts : NULL,
		.hdr = t->spec->hdr,
	};

	if (colour_plan(&in, &t->colour, t->err, t->errlen) < 0)
		return TRANSCODE_USER_ERROR;
	if (t->colour.prefix[0] && avfilter_get_by_name("zscale") == NULL)
	{
		snprintf(t->err, t->errlen, "this machine's libavfilter has no zscale filter (libzimg) to tone-map the "
				 "input's HDR video to SDR");
		return TRANSCODE_CAPABILITY;
	}
	return TRANSCODE_OK;
}

/* The colour plan's conversions for a frame whose picture differs from the one planned for. */
TranscodeStatus
transcode_follow_colour(Transcoder *t, const AVFrame *frame)
{
	ColourInput in = {
		.pix_fmt = frame->format, .width = frame->width, .height = frame->height,
		.range = frame->color_range, .space = frame->colorspace, .primaries = frame->color_primaries,
		.trc = frame->color_trc, .codec = t->spec->video_codec, .hdr = t->spec->hdr,
	};

	return colour_follow_input(&in, &t->colour, t->err, t->errlen) < 0 ? TRANSCODE_USER_ERROR : TRANSCODE_OK;
}

/*
 * Encoder speed presets are x264's words; encoders with other scales get the
 * nearest step (job_params_speed_rank()), so one preset name means the same
 * trade-off whatever the codec.
 */
static TranscodeStatus
set_encoder_speed(Transcoder *t, AVCodecContext *enc, const char *name)
{
	const char *preset = t->spec->encoder_preset;
	int			rank = preset[0] ? job_params_speed_rank(preset) : -1;
	int			ret = 0;
	char		number[16];

	if (strcmp(name, "libvpx-vp9") == 0)
	{
		/* libvpx defaults to its slowest useful speed; 4 is its usual VOD choice. */
		snprintf(number, sizeof(number), "%d", rank >= 0 ? (rank * 8 + 4) / 9 : 4);
		av_opt_set(enc->priv_data, "deadline", "good", 0);
		av_opt_set(enc->priv_data, "row-mt", "1", 0);
		ret = av_opt_set(enc->priv_data, "cpu-used", number, 0);
	}
	else if (strcmp(name, "libsvtav1") == 0 || strcmp(name, "libaom-av1") == 0)
	{
		int			top = strcmp(name, "libsvtav1") == 0 ? 12 : 8;

		snprintf(number, sizeof(number), "%d", rank >= 0 ? 2 + rank * (top - 2) / 9 : top - 2);
		ret = av_opt_set(enc->priv_data, strcmp(name, "libsvtav1") == 0 ? "preset" : "cpu-used", number, 0);
	}
	else if (strstr(name, "_nvenc") != NULL && rank >= 0)
		ret = av_opt_set(enc->priv_data, "preset", job_spec_nvenc_preset(preset), 0);
	else if (preset[0])
		ret = av_opt_set(enc->priv_data, "preset", preset, 0);
	if (ret < 0 || (preset[0] && rank < 0 && strcmp(name, "libx264") != 0 && strcmp(name, "libx265") != 0 &&
					strstr(name, "nvenc") == NULL))
	{
		snprintf(t->err, t->errlen, "%s does not take encoder_preset \"%s\"", name, preset);
		return TRANSCODE_USER_ERROR;
	}
	return TRANSCODE_OK;
}

/*
 * Interlaced coding for kept fields (params.deinterlace off): field-aware
 * DCT and motion estimation, in the input's field order, which the muxers
 * read from field_order and libx264 from its own tff/bff options (FFmpeg
 * 5.1's wrapper codes top field first whatever the frames say).  A
 * deinterlaced output says it is progressive.
 */
static void
set_field_coding(const Transcoder *t, AVCodecContext *enc)
{
	enum AVFieldOrder order = t->in->streams[t->video_index]->codecpar->field_order;

	if (!t->keep_fields)
	{
		if (order != AV_FIELD_UNKNOWN && order != AV_FIELD_PROGRESSIVE)
			enc->field_order = AV_FIELD_PROGRESSIVE;	/* deinterlaced */
		return;
	}
	enc->flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME;
	enc->field_order = order;
	if (strcmp(enc->codec->name, "libx264") == 0)
		av_opt_set(enc->priv_data, "x264opts",
				   order == AV_FIELD_BB || order == AV_FIELD_BT ? "bff=1" : "tff=1", 0);
}

TranscodeStatus
transcode_open_video_encoder(Transcoder *t, Output *out, const Rendition *r)
{
	const char *name = job_params_encoder(t->spec->video_codec, t->req->prefer_gpu);
	const AVCodec *codec = name ? avcodec_find_encoder_by_name(name) : NULL;
	AVFilterContext *sink = out->video_sink;
	AVRational	rate = av_buffersink_get_frame_rate(sink);
	AVCodecContext *enc;
	TranscodeStatus status;
	int			ret;

	if (codec == NULL)
	{
		snprintf(t->err, t->errlen, "this machine's libavcodec has no %s encoder", name ? name : t->spec->video_codec);
		return TRANSCODE_CAPABILITY;
	}
	if ((out->video_enc = enc = avcodec_alloc_context3(codec)) == NULL)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	if (rate.num <= 0 || rate.den <= 0)
		rate = (AVRational) {25, 1};
	enc->width = av_buffersink_get_w(sink);
	enc->height = av_buffersink_get_h(sink);
	/* Square pixels (setsar=1), except for kept fields, which keep the input's SAR. */
	enc->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(sink);
	if (enc->sample_aspect_ratio.num <= 0 || enc->sample_aspect_ratio.den <= 0)
		enc->sample_aspect_ratio = (AVRational) {1, 1};
	set_field_coding(t, enc);
	enc->pix_fmt = av_buffersink_get_format(sink);
	/* Written by the encoder (H.264/HEVC VUI, VP9/AV1 headers) and the muxer (colr, Colour). */
	enc->color_range = t->colour.range;
	enc->colorspace = t->colour.space;
	enc->color_primaries = t->colour.primaries;
	enc->color_trc = t->colour.trc;
	enc->framerate = rate;
	enc->time_base = av_buffersink_get_time_base(sink);
	/* The job's cores are shared by its renditions' encoders. */
	enc->thread_count = FFMAX(1, t->req->threads / t->noutputs);
	/*
	 * Fixed GOPs keep HLS segments and ladder rungs aligned: as asked, else
	 * 2 s, or for HLS the largest length up to 2 s that divides a segment
	 * evenly, so every segment can be cut at its nominal length.
	 */
	if (t->spec->gop > 0)
		enc->gop_size = t->spec->gop;
	else
	{
		double		seconds = 2;

		if (t->spec->format == FORMAT_HLS)
			seconds = t->spec->hls_segment_seconds / ceil(t->spec->hls_segment_seconds / 2);
		enc->gop_size = (int) FFMAX(1, lrint(seconds * av_q2d(rate)));
	}
	enc->keyint_min = enc->gop_size;
	enc->bit_rate = r->video_bitrate;
	enc->rc_max_rate = r->maxrate;
	enc->rc_buffer_size = r->bufsize ? r->bufsize : (r->maxrate ? 2 * r->maxrate : 0);
	if (r->crf >= 0)
		av_opt_set_int(enc->priv_data, "crf", r->crf, 0);
	else if (r->video_bitrate == 0 && strcmp(name, "libvpx-vp9") == 0)
		av_opt_set_int(enc->priv_data, "crf", 32, 0);	/* constant quality, as libvpx needs a target */
	if (t->spec->profile[0] && av_opt_set(enc->priv_data, "profile", t->spec->profile, 0) < 0)
	{
		snprintf(t->err, t->errlen, "%s does not take profile \"%s\"", name, t->spec->profile);
		return TRANSCODE_USER_ERROR;
	}
	if ((status = set_encoder_speed(t, enc, name)) != TRANSCODE_OK)
		return status;
	if (out->mux->oformat->flags & AVFMT_GLOBALHEADER)
		enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	/* Encoder libraries chat on stderr at their info level; the worker logs errors only. */
	if (strcmp(name, "libx265") == 0)
		av_opt_set(enc->priv_data, "x265-params", "log-level=error", 0);
	if ((ret = avcodec_open2(enc, codec, NULL)) < 0)
	{
		char		what[160];

		snprintf(what, sizeof(what), "%s refused these settings (encoder_preset \"%s\", profile \"%s\")",
				 name, t->spec->encoder_preset, t->spec->profile);
		return transcode_fail(t, TRANSCODE_USER_ERROR, what, ret);
	}
	return TRANSCODE_OK;
}

static int
supported_rate(const AVCodec *codec, int rate)
{
	if (codec->supported_samplerates == NULL)
		return rate;
	for (const int *r = codec->supported_samplerates; *r; r++)
		if (*r == rate)
			return rate;
	return 48000;
}

/*
 * The channel layout the audio encoder codes for a channel count: FFmpeg's
 * default one, except for Opus with 3 or 4 channels.  libopus codes more than
 * two channels in Vorbis order (RFC 7845 mapping family 1), whose layouts
 * for 3 and 4 are 3.0 and quad; FFmpeg's defaults, 2.1 and 4.0, it refuses
 * ("Invalid channel layout 2.1 for mapping family -1").  From 5 to 8 the two
 * agree (5.0, 5.1, 6.1, 7.1).
 */
static void
audio_layout(const char *codec, int channels, AVChannelLayout *layout)
{
	if (strcmp(codec, "opus") == 0 && channels == 3)
		*layout = (AVChannelLayout) AV_CHANNEL_LAYOUT_SURROUND;
	else if (strcmp(codec, "opus") == 0 && channels == 4)
		*layout = (AVChannelLayout) AV_CHANNEL_LAYOUT_QUAD;
	else
		av_channel_layout_default(layout, channels);
}

TranscodeStatus
transcode_open_audio_encoder(Transcoder *t)
{
	const char *name = job_params_encoder(t->spec->audio_codec, 0);
	const AVCodec *codec = name ? avcodec_find_encoder_by_name(name) : NULL;
	AVCodecContext *enc;
	int			channels;
	int			ret;

	if (codec == NULL)
	{
		snprintf(t->err, t->errlen, "this machine's libavcodec has no %s encoder", name ? name : t->spec->audio_codec);
		return TRANSCODE_CAPABILITY;
	}
	if ((t->audio_enc = enc = avcodec_alloc_context3(codec)) == NULL)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	channels = t->spec->audio_channels ? t->spec->audio_channels : FFMIN(t->audio_dec->ch_layout.nb_channels, 2);
	audio_layout(t->spec->audio_codec, channels, &enc->ch_layout);
	enc->sample_rate = supported_rate(codec, t->spec->audio_rate ? t->spec->audio_rate : t->audio_dec->sample_rate);
	enc->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_FLTP;
	enc->time_base = (AVRational) {1, enc->sample_rate};
	enc->bit_rate = t->spec->audio_bitrate ? t->spec->audio_bitrate : 128000;
	/* Every output that takes this audio gets the same extradata. */
	for (int i = 0; i < t->noutputs; i++)
		if (t->outputs[i].mux->oformat->flags & AVFMT_GLOBALHEADER)
			enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	if ((ret = avcodec_open2(enc, codec, NULL)) < 0)
		return transcode_fail(t, TRANSCODE_USER_ERROR, "could not open the audio encoder with these settings", ret);
	return TRANSCODE_OK;
}
