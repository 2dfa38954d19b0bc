/*
 * transcode_changes.c: inputs whose picture or sound changes mid-stream
 * (clips joined together): the filter graph in front of the encoders is
 * rebuilt for the new picture or sound, and the encoders go on as they were
 * opened.
 */
#include <stdio.h>

#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>

#include "transcode_internal.h"

/* A unset aspect ratio, in one spelling (0/1). */
static AVRational
known_ratio(AVRational q)
{
	return (q.num > 0 && q.den > 0) ? q : (AVRational) {0, 1};
}

/* Whether two pixel aspects show the same (an unknown one is square, as picture.c reads it). */
static int
same_aspect(AVRational a, AVRational b)
{
	AVRational	square = {1, 1};

	return av_cmp_q(a.num > 0 && a.den > 0 ? a : square, b.num > 0 && b.den > 0 ? b : square) == 0;
}

/* The video graph's source, as the decoder announces the stream before its first frame. */
void
transcode_describe_video_source(Transcoder *t)
{
	AVStream   *st = t->in->streams[t->video_index];

	t->src.width = t->video_dec->width;
	t->src.height = t->video_dec->height;
	t->src.format = t->video_dec->pix_fmt;
	t->src.full_range = t->video_dec->color_range == AVCOL_RANGE_JPEG;
	t->src.trc = t->video_dec->color_trc;
	t->src.sar = known_ratio(av_guess_sample_aspect_ratio(t->in, st, NULL));
}

/*
 * Clips joined together can change picture size, pixel format, range,
 * SDR or HDR transfer or pixel aspect mid-stream, but a buffer source is configured once: a frame of
 * another size would reach the encoder as it is, cropped or overrun.  As
 * the ffmpeg command line does, the old graph is drained into the encoders
 * and a new one built for the new picture, which fits it into the size the
 * encoders were opened with (aspect kept, padded; transcode_build_video_graph)
 * and converts it to the colour they were opened with.
 */
TranscodeStatus
transcode_follow_picture_change(Transcoder *t, const AVFrame *frame)
{
	AVStream   *st = t->in->streams[t->video_index];
	TranscodeStatus status;
	int			ret;

	if (frame->width == t->src.width && frame->height == t->src.height && frame->format == t->src.format &&
		(frame->color_range == AVCOL_RANGE_JPEG) == t->src.full_range &&
		colour_is_hdr(frame->color_trc) == colour_is_hdr(t->src.trc) &&
		same_aspect(av_guess_sample_aspect_ratio(t->in, st, (AVFrame *) frame), t->src.sar))
		return TRANSCODE_OK;
	if (t->keep_fields && (frame->width != t->src.width || frame->height != t->src.height))
	{
		snprintf(t->err, t->errlen, "the input's picture changes from %dx%d to %dx%d mid-stream, which deinterlace "
				 "off cannot follow (its fields are coded as they are): use deinterlace auto",
				 t->src.width, t->src.height, frame->width, frame->height);
		return TRANSCODE_USER_ERROR;
	}
	/* The old picture lasts until the new one starts (or as far as the stream has got, without a timestamp). */
	if ((ret = av_buffersrc_close(t->video_src, frame->pts != AV_NOPTS_VALUE ? frame->pts : t->video_end, 0)) < 0)
		return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the video filters failed", ret);
	if ((status = transcode_pull_filters(t, 0)) != TRANSCODE_OK)
		return status;
	avfilter_graph_free(&t->video_graph);
	t->src.width = frame->width;
	t->src.height = frame->height;
	t->src.format = frame->format;
	t->src.full_range = frame->color_range == AVCOL_RANGE_JPEG;
	t->src.trc = frame->color_trc;
	if ((status = transcode_follow_colour(t, frame)) != TRANSCODE_OK)
		return status;
	t->src.sar = known_ratio(av_guess_sample_aspect_ratio(t->in, st, (AVFrame *) frame));
	return transcode_build_video_graph(t);
}

/* The audio graph's source, as the decoder announces the stream before its first frame. */
int
transcode_describe_audio_source(Transcoder *t)
{
	t->asrc.sample_rate = t->audio_dec->sample_rate;
	t->asrc.format = t->audio_dec->sample_fmt;
	return av_channel_layout_copy(&t->asrc.layout, &t->audio_dec->ch_layout);
}

/*
 * Joined clips can change sample rate, sample format or channel layout
 * mid-stream too, which an abuffer source refuses.  As the ffmpeg command
 * line does, the frames the old graph has ready go to the encoder, and a
 * new graph resamples and remixes the new sound to what the encoder takes;
 * what the old graph held back (less than one encoder frame) is lost.
 */
TranscodeStatus
transcode_follow_sound_change(Transcoder *t, const AVFrame *frame)
{
	TranscodeStatus status;
	int			ret;

	if (frame->sample_rate == t->asrc.sample_rate && frame->format == t->asrc.format &&
		av_channel_layout_compare(&frame->ch_layout, &t->asrc.layout) == 0)
		return TRANSCODE_OK;
	if ((status = transcode_pull_filters(t, 0)) != TRANSCODE_OK)
		return status;
	avfilter_graph_free(&t->audio_graph);
	t->asrc.sample_rate = frame->sample_rate;
	t->asrc.format = frame->format;
	if ((ret = av_channel_layout_copy(&t->asrc.layout, &frame->ch_layout)) < 0)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", ret);
	return transcode_build_audio_graph(t);
}
