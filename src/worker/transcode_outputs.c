/*
 * transcode_outputs.c: a transcode's outputs: one muxer per file, HLS
 * variant or RTMP stream, the streams it carries (encoded, or copied with
 * what the container can hold), where it writes, and for HLS the playlists
 * measured and renamed into place once every segment is written.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>

#include "av_messages.h"
#include "confine.h"
#include "hls_playlist.h"
#include "picture.h"
#include "transcode_internal.h"

/* HLS names ----------------------------------------------------------------- */

/* "dir/stem.m3u8" -> "dir/stem" + suffix; -1 when it does not fit. */
static int
hls_name(const char *final_playlist, const char *variant, const char *suffix, char *out, size_t outlen)
{
	const char *dot = strrchr(final_playlist, '.');
	int			stem = (dot && strchr(dot, '/') == NULL) ? (int) (dot - final_playlist) : (int) strlen(final_playlist);
	int			n;

	n = snprintf(out, outlen, "%.*s%s%s%s", stem, final_playlist, variant ? "_" : "", variant ? variant : "", suffix);
	return (n < 0 || (size_t) n >= outlen) ? -1 : 0;
}

int
transcode_hls_variant_playlist(const char *final_playlist, const char *variant, char *out, size_t outlen)
{
	return hls_name(final_playlist, variant, ".m3u8", out, outlen);
}

int
transcode_hls_segment_pattern(const char *final_playlist, const char *variant, char *out, size_t outlen)
{
	return hls_name(final_playlist, variant, "_%05d.ts", out, outlen);
}

/*
 * A libav code says what kind of failure ("Invalid argument"); libav logged
 * why just before (av_messages.h), so the error quotes that too.  Not for
 * running out of something, a stop or a timeout: there the code says it all.
 */
/* Outputs ------------------------------------------------------------------- */

static const char *
muxer_name(OutputFormat format)
{
	static const char *const muxers[] = {"mp4", "matroska", "webm", "hls", "flv"};

	return muxers[format];
}

TranscodeStatus
transcode_alloc_output(Transcoder *t, Output *out, int index)
{
	const JobSpec *spec = t->spec;
	const char *url = t->req->output;
	int			ret;

	if (spec->format == FORMAT_HLS)
	{
		char		final_playlist[4200];

		if (transcode_hls_variant_playlist(t->req->output, spec->ladder ? spec->renditions[index].name : NULL,
										   final_playlist, sizeof(final_playlist)) < 0 ||
			partial_name(final_playlist, out->playlist, sizeof(out->playlist)) < 0)
			return transcode_fail(t, TRANSCODE_USER_ERROR, "the output path is too long", 0);
		url = out->playlist;
	}
	ret = avformat_alloc_output_context2(&out->mux, NULL, muxer_name(spec->format), url);
	if (ret < 0)
		return transcode_fail(t, TRANSCODE_CAPABILITY, "this libavformat lacks the muxer", ret);
	/* Only network outputs are timed: a slow disk (or faststart's rewrite) is not a silent peer. */
	out->mux->interrupt_callback = strncmp(t->req->output, "rtmp", 4) == 0 ?
		io_watch_callback(&t->watch) : io_watch_callback(&t->stop_only);
	return TRANSCODE_OK;
}

/*
 * The codecs an HLS variant's MPEG-TS segments carry (RFC 8216 3.2 and the
 * HLS authoring specification: H.264 and HEVC video, AAC, MP3, AC-3 and
 * E-AC-3 audio; Opus as FFmpeg's muxer writes it).  libavformat's mpegts
 * muxer answers "maybe" for everything and writes anything else as an
 * opaque data stream no player decodes.
 */
static int
hls_carries(enum AVCodecID codec)
{
	static const enum AVCodecID carried[] = {
		AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_AAC, AV_CODEC_ID_MP3, AV_CODEC_ID_AC3,
		AV_CODEC_ID_EAC3, AV_CODEC_ID_OPUS
	};

	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++)
		if (codec == carried[i])
			return 1;
	return 0;
}

/* A copied stream must be one the container can hold, or the muxer fails obscurely. */
static TranscodeStatus
check_copy(Transcoder *t, Output *out, int index)
{
	enum AVCodecID codec = t->in->streams[index]->codecpar->codec_id;

	if (t->spec->format == FORMAT_HLS ? !hls_carries(codec) :
		avformat_query_codec(out->mux->oformat, codec, FF_COMPLIANCE_NORMAL) == 0)
	{
		snprintf(t->err, t->errlen, "format %s cannot hold the input's %s stream: encode it instead of copying",
				 out->mux->oformat->name, avcodec_get_name(codec));
		return TRANSCODE_USER_ERROR;
	}
	return TRANSCODE_OK;
}

/* An output stream keeps its input's language tag, as with ffmpeg (and a chosen audio track says which it was). */
static void
keep_language(const AVStream *in_st, AVStream *out_st)
{
	const AVDictionaryEntry *tag = av_dict_get(in_st->metadata, "language", NULL, 0);

	if (tag)
		av_dict_set(&out_st->metadata, "language", tag->value, 0);
}

/*
 * A copied video stream keeps its SAR and display matrix, as the ffmpeg
 * command line's stream copy does: its stream side data (the matrix among
 * it) goes onto the output stream.  Of the worker's formats only MP4 writes
 * a display matrix (its 'tkhd' box); copying a turned or mirrored picture
 * into another would deliver it sideways, so that is refused.
 */
static TranscodeStatus
copy_video_properties(Transcoder *t, Output *out, const AVStream *in_st)
{
	size_t		size = 0;
	const int32_t *matrix = (const int32_t *) av_stream_get_side_data(in_st, AV_PKT_DATA_DISPLAYMATRIX, &size);
	PictureOrientation turn;

	picture_orientation(size >= 9 * sizeof(int32_t) ? matrix : NULL, &turn);
	if ((turn.degrees != 0 || turn.mirrored) && strcmp(out->mux->oformat->name, "mp4") != 0)
	{
		char		matrix_words[64];

		picture_describe(&turn, matrix_words, sizeof(matrix_words));
		snprintf(t->err, t->errlen, "format %s cannot carry the input's display matrix (%s): "
				 "encode the video instead of copying, which turns the picture upright",
				 muxer_name(t->spec->format), matrix_words);
		return TRANSCODE_USER_ERROR;
	}
	out->video_st->sample_aspect_ratio = in_st->sample_aspect_ratio;
	for (int i = 0; i < in_st->nb_side_data; i++)
	{
		const AVPacketSideData *sd = &in_st->side_data[i];
		uint8_t    *dst = av_stream_new_side_data(out->video_st, sd->type, sd->size);

		if (dst == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
		memcpy(dst, sd->data, sd->size);
	}
	return TRANSCODE_OK;
}

TranscodeStatus
transcode_add_output_streams(Transcoder *t, Output *out)
{
	TranscodeStatus status;
	int			ret;

	if (t->video_mode == STREAM_COPY && (status = check_copy(t, out, t->video_index)) != TRANSCODE_OK)
		return status;
	if (t->audio_mode == STREAM_COPY && (status = check_copy(t, out, t->audio_index)) != TRANSCODE_OK)
		return status;

	if (t->video_mode != STREAM_DROP)
	{
		AVStream   *in_st = t->in->streams[t->video_index];

		if ((out->video_st = avformat_new_stream(out->mux, NULL)) == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
		if (t->video_mode == STREAM_COPY)
		{
			ret = avcodec_parameters_copy(out->video_st->codecpar, in_st->codecpar);
			out->video_st->codecpar->codec_tag = 0;
			out->video_st->time_base = in_st->time_base;
			out->video_st->avg_frame_rate = in_st->avg_frame_rate;
			if (ret >= 0 && (status = copy_video_properties(t, out, in_st)) != TRANSCODE_OK)
				return status;
		}
		else
		{
			ret = avcodec_parameters_from_context(out->video_st->codecpar, out->video_enc);
			out->video_st->time_base = out->video_enc->time_base;
			out->video_st->avg_frame_rate = out->video_enc->framerate;
			out->video_st->sample_aspect_ratio = out->video_enc->sample_aspect_ratio;
		}
		if (ret < 0)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "could not describe the output video", ret);
		keep_language(in_st, out->video_st);
	}
	if (t->audio_mode != STREAM_DROP)
	{
		AVStream   *in_st = t->in->streams[t->audio_index];

		if ((out->audio_st = avformat_new_stream(out->mux, NULL)) == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
		if (t->audio_mode == STREAM_COPY)
		{
			ret = avcodec_parameters_copy(out->audio_st->codecpar, in_st->codecpar);
			out->audio_st->codecpar->codec_tag = 0;
			out->audio_st->time_base = in_st->time_base;
		}
		else
		{
			ret = avcodec_parameters_from_context(out->audio_st->codecpar, t->audio_enc);
			out->audio_st->time_base = t->audio_enc->time_base;
		}
		if (ret < 0)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "could not describe the output audio", ret);
		keep_language(in_st, out->audio_st);
	}
	return TRANSCODE_OK;
}

TranscodeStatus
transcode_open_output(Transcoder *t, Output *out)
{
	const JobSpec *spec = t->spec;
	AVDictionary *options = NULL;
	int			network = strncmp(t->req->output, "rtmp", 4) == 0;
	int			ret;

	if (!(out->mux->oformat->flags & AVFMT_NOFILE))
	{
		AVDictionary *io_options = NULL;
		char		url[4200];

		/* Outputs write where they were confined to, or to an RTMP server. */
		av_dict_set(&io_options, "protocol_whitelist", network ? "rtmp,rtmps,tcp,tls" : "file", 0);
		if (network)
			av_dict_set_int(&io_options, "rw_timeout", (int64_t) t->req->io_timeout_ms * 1000, 0);
		snprintf(url, sizeof(url), "%s%s", network ? "" : "file:", out->mux->url);
		io_watch_begin(&t->watch);
		ret = avio_open2(&out->mux->pb, url, AVIO_FLAG_WRITE, &out->mux->interrupt_callback, &io_options);
		av_dict_free(&io_options);
		if (ret < 0)
			return transcode_fail(t, network ? TRANSCODE_NETWORK_ERROR : TRANSCODE_RESOURCE_ERROR,
						"could not open the output", ret);
	}
	if (spec->format == FORMAT_MP4)
		av_dict_set(&options, "movflags", "+faststart", 0);
	if (spec->format == FORMAT_HLS)
	{
		char		pattern[4200];

		transcode_hls_segment_pattern(t->req->output,
									  spec->ladder ? spec->renditions[out - t->outputs].name : NULL,
									  pattern, sizeof(pattern));
		av_dict_set(&options, "hls_segment_filename", pattern, 0);
		av_dict_set_int(&options, "hls_time", lrint(spec->hls_segment_seconds), 0);
		av_dict_set(&options, "hls_list_size", "0", 0);
		av_dict_set(&options, "hls_playlist_type", "vod", 0);
		av_dict_set(&options, "hls_flags", "independent_segments", 0);
		av_dict_set(&options, "protocol_whitelist", "file", 0);
	}
	if (network)
		av_dict_set(&options, "flvflags", "no_duration_filesize", 0);
	io_watch_begin(&t->watch);
	ret = avformat_write_header(out->mux, &options);
	av_dict_free(&options);
	if (ret < 0)
		return transcode_fail(t, network ? TRANSCODE_NETWORK_ERROR : TRANSCODE_USER_ERROR, "could not start the output", ret);
	return TRANSCODE_OK;
}

/*
 * Writes pkt to out's muxer and counts it; the caller holds t->mux_lock (a
 * ladder's encoders write from their own threads).  Returns 0 or an AVERROR.
 */
int
transcode_mux_packet(Transcoder *t, Output *out, AVPacket *pkt)
{
	t->bytes += pkt->size;
	/* The input's watch also covers network outputs; file outputs only stop. */
	if (out->mux->interrupt_callback.opaque == &t->watch)
		io_watch_begin(&t->watch);
	return av_interleaved_write_frame(out->mux, pkt);
}

TranscodeStatus
transcode_write_failure(Transcoder *t, int averror)
{
	/* A full disk is a resource_error (transcode_fail). */
	return transcode_fail(t, strncmp(t->req->output, "rtmp", 4) == 0 ? TRANSCODE_NETWORK_ERROR : TRANSCODE_RUNTIME_ERROR,
						  "could not write the output", averror);
}

TranscodeStatus
transcode_write_packet(Transcoder *t, Output *out, AVPacket *pkt)
{
	int			ret;

	pthread_mutex_lock(&t->mux_lock);
	ret = transcode_mux_packet(t, out, pkt);
	pthread_mutex_unlock(&t->mux_lock);
	return ret < 0 ? transcode_write_failure(t, ret) : TRANSCODE_OK;
}

/* HLS playlists ------------------------------------------------------------- */

/*
 * The HLS playlists, measured once their segments are final: each variant's
 * TARGETDURATION raised where RFC 8216 needs it, and for a ladder the master
 * playlist beside the variants, with what the segments really hold
 * (hls_playlist.c): peak and average bit rates, codecs, size, frame rate.
 */
TranscodeStatus
transcode_write_playlists(Transcoder *t)
{
	HlsVariant	variants[JOB_SPEC_MAX_RENDITIONS];
	char		partial[4200];
	char		why[512];
	FILE	   *f;

	for (int i = 0; i < t->noutputs; i++)
	{
		HlsVariant *v = &variants[i];
		AVCodecContext *enc = t->outputs[i].video_enc;
		char		variant[4200];

		memset(v, 0, sizeof(*v));
		if (hls_finish_media_playlist(t->outputs[i].playlist, v, why, sizeof(why)) < 0)
		{
			/* The HLS muxer logs a segment it could not write and carries on: its reason is the cause. */
			TranscodeStatus status = transcode_fail(t, TRANSCODE_RESOURCE_ERROR, why, 0);

			av_messages_append(t->err, t->errlen, 0);
			return status;
		}
		if (!t->spec->ladder)
			continue;
		transcode_hls_variant_playlist(t->req->output, t->spec->renditions[i].name, variant, sizeof(variant));
		av_strlcpy(v->uri, strrchr(variant, '/') ? strrchr(variant, '/') + 1 : variant, sizeof(v->uri));
		v->width = enc->width;
		v->height = enc->height;
		/* The encoder's rate: what the rendition was made at, not a guess from its timestamps. */
		if (enc->framerate.num > 0 && enc->framerate.den > 0)
			v->frame_rate = av_q2d(enc->framerate);
		if (t->colour.hdr_kept)
			snprintf(v->video_range, sizeof(v->video_range), "%s",
					 t->colour.trc == AVCOL_TRC_ARIB_STD_B67 ? "HLG" : "PQ");
	}
	if (!t->spec->ladder)
		return TRANSCODE_OK;
	if (partial_name(t->req->output, partial, sizeof(partial)) < 0 || (f = fopen(partial, "w")) == NULL)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not write the master playlist", AVERROR(errno));
	hls_master_print(f, variants, t->noutputs);
	if (fclose(f) != 0)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not write the master playlist", AVERROR(errno));
	return TRANSCODE_OK;
}

/*
 * An HLS output appears when its playlists take their final names: the
 * variants first, then the master that points at them.
 */
TranscodeStatus
transcode_publish_playlists(Transcoder *t)
{
	char		final_path[4200];
	char		partial[4200];

	for (int i = 0; i < t->noutputs; i++)
	{
		transcode_hls_variant_playlist(t->req->output, t->spec->ladder ? t->spec->renditions[i].name : NULL,
									   final_path, sizeof(final_path));
		if (rename(t->outputs[i].playlist, final_path) != 0)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not move the playlist into place", AVERROR(errno));
	}
	if (t->spec->ladder && (partial_name(t->req->output, partial, sizeof(partial)) < 0 ||
							rename(partial, t->req->output) != 0))
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not move the master playlist into place", AVERROR(errno));
	return TRANSCODE_OK;
}
