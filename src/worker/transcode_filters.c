/*
 * transcode_filters.c: the filter graphs between decoders and encoders.
 */
#include "transcode_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "picture.h"
#include "../common/job_params.h"

/* Filters ------------------------------------------------------------------- */

/* Appends to a graph description; *used passes size when it does not fit. */
static void appendf(char *graph, size_t size, size_t *used, const char *format,...) __attribute__((format(printf, 4, 5)));

static void
appendf(char *graph, size_t size, size_t *used, const char *format,...)
{
	va_list		ap;
	int			n;

	va_start(ap, format);
	n = vsnprintf(graph + *used, *used < size ? size - *used : 0, format, ap);
	va_end(ap);
	*used += n > 0 ? (size_t) n : 0;
}

/*
 * Whether the stream's frames are interlaced fields, as its codec
 * parameters say (ffprobe's field_order): AV_FIELD_UNKNOWN when they do
 * not say.
 */
static int
declared_interlaced(const AVCodecParameters *par)
{
	return par->field_order == AV_FIELD_TT || par->field_order == AV_FIELD_BB ||
		par->field_order == AV_FIELD_TB || par->field_order == AV_FIELD_BT;
}

/*
 * Whether a picture is large enough for bwdif, which refuses one whose
 * planes have fewer than 3 columns or 4 lines (its chroma planes too: a
 * 4:2:0 picture needs 8 lines); so small a picture has no fields worth
 * the name, and is left as it is.
 */
static int
bwdif_fits(enum AVPixelFormat format, int width, int height)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
	int			chroma = d && d->nb_components >= 3 && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));

	return width >= 3 && height >= 4 &&
		(!chroma || (AV_CEIL_RSHIFT(width, d->log2_chroma_w) >= 3 && AV_CEIL_RSHIFT(height, d->log2_chroma_h) >= 4));
}

/* Pixel formats bwdif takes as they are: planar YUV, GBR and gray (no packed or semi-planar). */
static int
bwdif_takes(enum AVPixelFormat format)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);

	return d && (d->flags & AV_PIX_FMT_FLAG_PLANAR) &&
		!(d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL)) &&
		(d->nb_components < 3 || d->comp[1].plane != d->comp[2].plane);
}

/*
 * params.deinterlace: the bwdif "deint" option to use ("all" or
 * "interlaced", which leaves frames not flagged interlaced alone), or NULL
 * for no deinterlacer.  auto deinterlaces a stream that declares fields; one
 * that declares nothing gets bwdif in its "interlaced" mode, which costs a
 * frame reference for progressive frames, when bwdif takes its pixel format
 * as is.  off keeps the fields of an interlaced stream (t->keep_fields).
 */
static const char *
deinterlace_mode(Transcoder *t, const AVCodecParameters *par)
{
	const VideoSource *src = &t->src;

	t->keep_fields = 0;
	if (t->spec->deinterlace != DEINTERLACE_OFF && !bwdif_fits(src->format, src->width, src->height))
		return NULL;
	switch (t->spec->deinterlace)
	{
		case DEINTERLACE_ON:
			return "all";
		case DEINTERLACE_OFF:
			t->keep_fields = declared_interlaced(par);
			return NULL;
		case DEINTERLACE_AUTO:
			break;
	}
	if (declared_interlaced(par))
		return "interlaced";
	if (par->field_order == AV_FIELD_UNKNOWN && bwdif_takes(src->format))
		return "interlaced";
	return NULL;
}

/*
 * Keeping fields means coding the pictures as they are: nothing may mix the
 * two fields of a frame (scaling, turning) or drop and repeat frames.
 */
static TranscodeStatus
check_keep_fields(Transcoder *t, const PictureGeometry *g, const Rendition *r)
{
	const char *name = job_params_encoder(t->spec->video_codec, t->req->prefer_gpu);

	if (name == NULL || strstr(name, "264") == NULL)
	{
		snprintf(t->err, t->errlen, "deinterlace off keeps the input's interlaced fields, which %s cannot code: "
				 "use video_codec h264, or deinterlace auto", t->spec->video_codec);
		return TRANSCODE_USER_ERROR;
	}
	if (g->orientation.degrees != 0 || g->orientation.mirrored)
	{
		char		matrix_words[64];

		picture_describe(&g->orientation, matrix_words, sizeof(matrix_words));
		snprintf(t->err, t->errlen, "deinterlace off keeps the input's interlaced fields, which cannot be turned "
				 "upright, but the input has a display matrix (%s): use deinterlace auto", matrix_words);
		return TRANSCODE_USER_ERROR;
	}
	if (r->fps > 0 ||
		(r->width > 0 && (r->width != t->src.width || r->height != t->src.height)) ||
		t->src.width % 2 != 0 || t->src.height % 2 != 0)
	{
		snprintf(t->err, t->errlen, "deinterlace off keeps the input's interlaced fields, so its %dx%d picture "
				 "cannot be scaled or given another frame rate: drop size and fps, or use deinterlace auto",
				 t->src.width, t->src.height);
		return TRANSCODE_USER_ERROR;
	}
	return TRANSCODE_OK;
}

/*
 * One rendition's branch: [fps], scale to the picture size (computed in
 * picture.c), pad to the size asked for, square pixels, the encoder's pixel
 * format.  Each step is left out when it has nothing to do, so a clean
 * source pays only for setsar and format.  When fields are kept, the picture
 * keeps its size and SAR, and any pixel format conversion is field-aware.
 */
static void
append_branch(const Transcoder *t, const Rendition *r, const PictureGeometry *g, char *graph, size_t size,
			  size_t *used)
{
	const char *colour = t->colour.scale_args;
	const char *sep = colour[0] ? ":" : "";

	if (r->fps > 0)
		appendf(graph, size, used, "fps=%g,", r->fps);
	/* The colour plan's range and matrix conversion rides on the scale, or gets one of its own. */
	if (t->keep_fields)
		appendf(graph, size, used, "scale=%d:%d:interl=1%s%s,", t->src.width, t->src.height, sep, colour);
	else if (g->scale)
		appendf(graph, size, used, "scale=%d:%d%s%s,", g->width, g->height, sep, colour);
	else if (colour[0])
		appendf(graph, size, used, "scale=%s,", colour);
	if (g->pad && !t->keep_fields)
		appendf(graph, size, used, "pad=%d:%d:%d:%d,", g->frame_width, g->frame_height, g->pad_x, g->pad_y);
	if (!t->keep_fields)
		appendf(graph, size, used, "setsar=1,");
	appendf(graph, size, used, "format=%s", av_get_pix_fmt_name(t->colour.pix_fmt));
}

/*
 * Builds "in -> [bwdif] -> [transpose/hflip/vflip] -> split -> per
 * rendition: [fps], [scale], [pad], setsar, format -> out<i>" for the
 * picture t->src describes, and opens one buffersink per rendition.
 * Deinterlacing comes first, while the fields are still rows of the stored
 * picture.  Once a rendition's encoder is open (a graph rebuilt for a
 * picture that changed mid-stream), its branch fits the picture into the
 * encoder's size, as a size param would.
 */
TranscodeStatus
transcode_build_video_graph(Transcoder *t)
{
	const VideoSource *src = &t->src;
	AVStream   *st = t->in->streams[t->video_index];
	AVRational	sar = src->sar;
	size_t		matrix_size = 0;
	const int32_t *matrix = (const int32_t *) av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &matrix_size);
	const char *deint;
	PictureOrientation turn;
	AVFilterInOut *outputs = avfilter_inout_alloc();
	AVFilterInOut *inputs = NULL;
	char		args[512];
	char		graph[4096];
	size_t		used = 0;
	int			ret;
	int			n = t->noutputs;

	if ((t->video_graph = avfilter_graph_alloc()) == NULL || outputs == NULL)
	{
		avfilter_inout_free(&outputs);
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	}
	if (matrix_size < 9 * sizeof(int32_t))
		matrix = NULL;
	if (sar.num > 0 && sar.den > 0 && !picture_sar_plausible(sar))
	{
		transcode_warn(t, "the input's pixel aspect ratio %d:%d is implausible and was ignored (square pixels)",
					   sar.num, sar.den);
		sar = (AVRational) {0, 1};
	}
	t->video_graph->nb_threads = t->req->threads;
	snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
			 src->width, src->height, src->format, st->time_base.num, st->time_base.den,
			 sar.num, FFMAX(sar.den, 1), t->video_dec->framerate.num, FFMAX(t->video_dec->framerate.den, 1));
	if ((ret = avfilter_graph_create_filter(&t->video_src, avfilter_get_by_name("buffer"), "in", args, NULL,
											t->video_graph)) < 0)
	{
		avfilter_inout_free(&outputs);
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not describe the input video", ret);
	}

	/* Before the split: what every rendition needs once. */
	deint = deinterlace_mode(t, st->codecpar);
	picture_orientation(matrix, &turn);
	appendf(graph, sizeof(graph), &used, "[in]");
	/* bwdif halves the time base (for its field mode); settb restores the input's for the encoder. */
	if (deint)
		appendf(graph, sizeof(graph), &used, "bwdif=mode=send_frame:parity=auto:deint=%s,settb=expr=intb*2,", deint);
	/* Colour conversions every output needs (tone-mapping), once, on the upright fields' frames. */
	if (t->colour.prefix[0])
		appendf(graph, sizeof(graph), &used, "%s,", t->colour.prefix);
	if (turn.transpose)
		appendf(graph, sizeof(graph), &used, "transpose=dir=%s,", turn.transpose);
	if (turn.hflip)
		appendf(graph, sizeof(graph), &used, "hflip,");
	if (turn.vflip)
		appendf(graph, sizeof(graph), &used, "vflip,");
	appendf(graph, sizeof(graph), &used, "split=%d", n);
	for (int i = 0; i < n; i++)
		appendf(graph, sizeof(graph), &used, "[s%d]", i);

	for (int i = 0; i < n; i++)
	{
		const Rendition *r = &t->spec->renditions[i];
		PictureGeometry g;
		AVFilterContext *sink;
		AVFilterInOut *in_link;
		TranscodeStatus status;
		char		name[16];

		const AVCodecContext *enc = t->outputs[i].video_enc;

		picture_geometry(src->width, src->height, sar, matrix, enc ? enc->width : r->width,
						 enc ? enc->height : r->height, &g);
		if (t->keep_fields && (status = check_keep_fields(t, &g, r)) != TRANSCODE_OK)
		{
			avfilter_inout_free(&inputs);
			avfilter_inout_free(&outputs);
			return status;
		}
		appendf(graph, sizeof(graph), &used, ";[s%d]", i);
		append_branch(t, r, &g, graph, sizeof(graph), &used);
		appendf(graph, sizeof(graph), &used, "[out%d]", i);

		snprintf(name, sizeof(name), "out%d", i);
		in_link = avfilter_inout_alloc();
		if (in_link == NULL ||
			(ret = avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), name, NULL, NULL,
												t->video_graph)) < 0)
		{
			avfilter_inout_free(&in_link);
			avfilter_inout_free(&inputs);
			avfilter_inout_free(&outputs);
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not create the video filters", in_link ? ret : 0);
		}
		t->outputs[i].video_sink = sink;
		in_link->name = av_strdup(name);
		in_link->filter_ctx = sink;
		in_link->pad_idx = 0;
		in_link->next = inputs;
		inputs = in_link;
	}
	if (used >= sizeof(graph))
	{
		avfilter_inout_free(&inputs);
		avfilter_inout_free(&outputs);
		return transcode_fail(t, TRANSCODE_USER_ERROR, "the filter graph is too long", 0);
	}
	outputs->name = av_strdup("in");
	outputs->filter_ctx = t->video_src;
	outputs->pad_idx = 0;
	outputs->next = NULL;
	ret = avfilter_graph_parse_ptr(t->video_graph, graph, &inputs, &outputs, NULL);
	avfilter_inout_free(&inputs);
	avfilter_inout_free(&outputs);
	if (ret < 0 || (ret = avfilter_graph_config(t->video_graph, NULL)) < 0)
		return transcode_fail(t, TRANSCODE_USER_ERROR, "could not build the video filters", ret);
	return TRANSCODE_OK;
}

/* Resample and remix to what the audio encoder takes, in its frame size. */
TranscodeStatus
transcode_build_audio_graph(Transcoder *t)
{
	const AudioSource *src = &t->asrc;
	AVCodecContext *enc = t->audio_enc;
	AVFilterInOut *outputs = avfilter_inout_alloc();
	AVFilterInOut *inputs = avfilter_inout_alloc();
	AVChannelLayout in_layout = {0};
	char		layout[64];
	char		args[512];
	char		graph[512];
	int			ret;

	if ((t->audio_graph = avfilter_graph_alloc()) == NULL || outputs == NULL || inputs == NULL)
	{
		avfilter_inout_free(&inputs);
		avfilter_inout_free(&outputs);
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	}
	t->audio_graph->nb_threads = 1;
	if (src->layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&in_layout, src->layout.nb_channels);
	else
		av_channel_layout_copy(&in_layout, &src->layout);
	av_channel_layout_describe(&in_layout, layout, sizeof(layout));
	av_channel_layout_uninit(&in_layout);
	snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
			 t->audio_dec->pkt_timebase.num, t->audio_dec->pkt_timebase.den, src->sample_rate,
			 av_get_sample_fmt_name(src->format), layout);
	ret = avfilter_graph_create_filter(&t->audio_src, avfilter_get_by_name("abuffer"), "in", args, NULL,
									   t->audio_graph);
	if (ret >= 0)
		ret = avfilter_graph_create_filter(&t->audio_sink, avfilter_get_by_name("abuffersink"), "out", NULL,
										   NULL, t->audio_graph);
	if (ret < 0)
	{
		avfilter_inout_free(&inputs);
		avfilter_inout_free(&outputs);
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not describe the input audio", ret);
	}
	av_channel_layout_describe(&enc->ch_layout, layout, sizeof(layout));
	snprintf(graph, sizeof(graph), "aresample=%d,aformat=sample_fmts=%s:channel_layouts=%s",
			 enc->sample_rate, av_get_sample_fmt_name(enc->sample_fmt), layout);
	outputs->name = av_strdup("in");
	outputs->filter_ctx = t->audio_src;
	inputs->name = av_strdup("out");
	inputs->filter_ctx = t->audio_sink;
	ret = avfilter_graph_parse_ptr(t->audio_graph, graph, &inputs, &outputs, NULL);
	avfilter_inout_free(&inputs);
	avfilter_inout_free(&outputs);
	if (ret < 0 || (ret = avfilter_graph_config(t->audio_graph, NULL)) < 0)
		return transcode_fail(t, TRANSCODE_USER_ERROR, "could not build the audio filters", ret);
	if (!(enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
		av_buffersink_set_frame_size(t->audio_sink, enc->frame_size);
	return TRANSCODE_OK;
}
