/*
 * transcode_filters.c: the filter graphs between decoders and encoders.
 */
#include "transcode_internal.h"

#include <stdio.h>

#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

/* Filters ------------------------------------------------------------------- */

/*
 * Builds "in -> split -> per rendition: [fps], scale to fit, pad
 * -> out<i>", and opens one buffersink per rendition.
 */
TranscodeStatus
transcode_build_video_graph(Transcoder *t)
{
	AVCodecContext *dec = t->video_dec;
	AVStream   *st = t->in->streams[t->video_index];
	AVFilterInOut *outputs = avfilter_inout_alloc();
	AVFilterInOut *inputs = NULL;
	char		args[512];
	char		graph[4096];
	size_t		used = 0;
	int			ret;
	int			n = t->noutputs;

	if ((t->video_graph = avfilter_graph_alloc()) == NULL || outputs == NULL)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	t->video_graph->nb_threads = t->req->threads;
	snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d:frame_rate=%d/%d",
			 dec->width, dec->height, dec->pix_fmt, st->time_base.num, st->time_base.den,
			 dec->sample_aspect_ratio.num, FFMAX(dec->sample_aspect_ratio.den, 1),
			 dec->framerate.num, FFMAX(dec->framerate.den, 1));
	if ((ret = avfilter_graph_create_filter(&t->video_src, avfilter_get_by_name("buffer"), "in", args, NULL,
											t->video_graph)) < 0)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not describe the input video", ret);

	/* Colour conversions every output needs (tone-mapping) run once, before the split. */
	used += snprintf(graph + used, sizeof(graph) - used, "[in]%s%ssplit=%d", t->colour.prefix,
					 t->colour.prefix[0] ? "," : "", n);
	for (int i = 0; i < n; i++)
		used += snprintf(graph + used, sizeof(graph) - used, "[s%d]", i);
	for (int i = 0; i < n && used < sizeof(graph); i++)
	{
		const Rendition *r = &t->spec->renditions[i];
		AVFilterContext *sink;
		AVFilterInOut *in_link = avfilter_inout_alloc();
		char		name[16];

		used += snprintf(graph + used, sizeof(graph) - used, ";[s%d]", i);
		if (r->fps > 0)
			used += snprintf(graph + used, sizeof(graph) - used, "fps=%g,", r->fps);
		/* The plan's range and matrix conversion rides on the branch's scale, or gets its own. */
		if (r->width > 0)
			used += snprintf(graph + used, sizeof(graph) - used,
							 "scale=%d:%d:force_original_aspect_ratio=decrease:force_divisible_by=2%s%s,"
							 "pad=%d:%d:(ow-iw)/2:(oh-ih)/2,",
							 r->width, r->height, t->colour.scale_args[0] ? ":" : "", t->colour.scale_args,
							 r->width, r->height);
		else if (t->colour.scale_args[0])
			used += snprintf(graph + used, sizeof(graph) - used, "scale=%s,", t->colour.scale_args);
		used += snprintf(graph + used, sizeof(graph) - used, "setsar=1,format=%s[out%d]",
						 av_get_pix_fmt_name(t->colour.pix_fmt), i);

		snprintf(name, sizeof(name), "out%d", i);
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
		return transcode_fail(t, TRANSCODE_USER_ERROR, "the filter graph is too long", 0);
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
	AVCodecContext *dec = t->audio_dec;
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
	if (dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
		av_channel_layout_default(&in_layout, dec->ch_layout.nb_channels);
	else
		av_channel_layout_copy(&in_layout, &dec->ch_layout);
	av_channel_layout_describe(&in_layout, layout, sizeof(layout));
	av_channel_layout_uninit(&in_layout);
	snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
			 dec->pkt_timebase.num, dec->pkt_timebase.den, dec->sample_rate,
			 av_get_sample_fmt_name(dec->sample_fmt), layout);
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
