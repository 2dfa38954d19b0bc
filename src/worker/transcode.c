/*
 * transcode.c: one transcode, demux -> decode -> filter -> encode -> mux.
 *
 * Video is decoded once and filtered by one graph: a split into one branch
 * per rendition, each with its own frame rate and scaled to fit its size
 * (keeping the aspect ratio, padded to the exact size asked for), and each
 * with its own encoder.  Audio is decoded, resampled and encoded once, and
 * its packets go to every rendition's muxer.  Streams whose codec is "copy"
 * skip decoding and are remuxed with their timestamps rescaled.
 *
 * Every input timestamp is shifted so the output starts at zero, whatever
 * the source's clock (a live stream's timestamps start wherever the
 * publisher's did). *
 * The outputs (muxers, their streams, HLS playlists) are in
 * transcode_outputs.c, the filter graphs in transcode_filters.c, the codecs
 * in transcode_codecs.c, the video encoders (a ladder's in a thread each)
 * in transcode_encoders.c, the choice of streams in transcode_streams.c, and
 * what happens when the input's picture or sound changes mid-stream in
 * transcode_changes.c.
 */
#include "transcode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/time.h>

#include "av_messages.h"
#include "../common/failure_reasons.h"
#include "transcode_internal.h"

const char *
transcode_status_reason(TranscodeStatus status)
{
	static const int reasons[] = {
		[TRANSCODE_OK] = -1,
		[TRANSCODE_INPUT_ERROR] = FAILURE_INPUT_ERROR,
		[TRANSCODE_USER_ERROR] = FAILURE_USER_ERROR,
		[TRANSCODE_NETWORK_ERROR] = FAILURE_NETWORK_ERROR,
		[TRANSCODE_RUNTIME_ERROR] = FAILURE_RUNTIME_ERROR,
		[TRANSCODE_RESOURCE_ERROR] = FAILURE_RESOURCE_ERROR,
		[TRANSCODE_CAPABILITY] = FAILURE_CAPABILITY_MISMATCH,
		[TRANSCODE_STOPPED] = FAILURE_PLATFORM_ERROR,
	};

	return reasons[status] < 0 ? "" : failure_reason_name(reasons[status]);
}

TranscodeStatus
transcode_fail(Transcoder *t, TranscodeStatus status, const char *what, int averror)
{
	if (averror == AVERROR(ENOMEM) || averror == AVERROR(EFBIG) || averror == AVERROR(ENOSPC) ||
		averror == AVERROR(EDQUOT))
		status = TRANSCODE_RESOURCE_ERROR;
	if (*t->req->stop)
		status = TRANSCODE_STOPPED;
	if (t->watch.timed_out)
		snprintf(t->err, t->errlen, "%s: no data moved for %d s", what, t->req->io_timeout_ms / 1000);
	else if (averror)
	{
		snprintf(t->err, t->errlen, "%s: %s", what, av_err2str(averror));
		/* Decoder threads report a frame's failure a few packets after it was read. */
		if (status != TRANSCODE_RESOURCE_ERROR && status != TRANSCODE_STOPPED)
			av_messages_append(t->err, t->errlen, t->got_data ? 2 * t->req->threads + 4 : 0);
	}
	else
		snprintf(t->err, t->errlen, "%s", what);
	return status;
}

/* The loop ------------------------------------------------------------------ */

static void
report_progress(Transcoder *t, int force)
{
	int64_t		now = av_gettime_relative();
	double		elapsed = (now - t->wall_start) / 1e6;
	TranscodeProgress p = {0};

	if (t->req->progress == NULL || (!force && now - t->last_report < 1000000))
		return;
	t->last_report = now;
	pthread_mutex_lock(&t->mux_lock);
	p.frames = t->outputs[0].frames;
	p.out_seconds = t->out_seconds;
	p.bytes = t->bytes;
	pthread_mutex_unlock(&t->mux_lock);
	p.fps = elapsed > 0 ? p.frames / elapsed : 0;
	p.speed = elapsed > 0 ? t->out_seconds / elapsed : 0;
	p.percent = t->total_seconds > 0 ? FFMIN(100.0, 100.0 * t->out_seconds / t->total_seconds) : -1;
	p.input_bytes = t->input_bytes;
	p.bitrate_kbps = p.out_seconds > 0 ? p.bytes * 8 / p.out_seconds / 1000 : 0;
	t->req->progress(&p, t->req->progress_arg);
}

static TranscodeStatus
drain_audio_encoder(Transcoder *t, int flush)
{
	int			ret = avcodec_send_frame(t->audio_enc, flush ? NULL : t->filtered);

	if (ret < 0 && ret != AVERROR_EOF)
		return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the audio encoder failed", ret);
	while ((ret = avcodec_receive_packet(t->audio_enc, t->pkt)) >= 0)
	{
		for (int i = 0; i < t->noutputs; i++)
		{
			Output	   *out = &t->outputs[i];
			AVPacket   *copy = av_packet_clone(t->pkt);
			TranscodeStatus status;

			if (copy == NULL)
				return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
			copy->stream_index = out->audio_st->index;
			av_packet_rescale_ts(copy, t->audio_enc->time_base, out->audio_st->time_base);
			if (t->video_mode == STREAM_DROP && i == 0 && copy->pts != AV_NOPTS_VALUE)
				t->out_seconds = FFMAX(t->out_seconds, (copy->pts + copy->duration) * av_q2d(out->audio_st->time_base));
			status = transcode_write_packet(t, out, copy);
			av_packet_free(&copy);
			if (status != TRANSCODE_OK)
				return status;
		}
		av_packet_unref(t->pkt);
	}
	return (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) ? TRANSCODE_OK :
		transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the audio encoder failed", ret);
}

/*
 * Whether a filtered frame moves the output's time on: 1, or 0 to drop it.
 * Clips joined with overlapping timestamps (the second starting a frame
 * before the first ends, as B-frames make a careless join) give frames at
 * or just before one already encoded, and so do the frames a rebuilt
 * graph's fps filter starts with; the encoder would give them a decoding
 * time the muxer refuses.  As the ffmpeg command line's frame-rate sync
 * does, such a frame is dropped.  A step back of more than 0.1 s (ffmpeg's
 * bound for a timestamp discontinuity) is no overlap but clips each
 * starting their own time: dropping would silently lose the rest of the
 * picture, so it is -1, an input error.
 */
static int
video_frame_advances(Output *out, const AVFrame *frame, AVRational time_base, double *back)
{
	if (frame->pts == AV_NOPTS_VALUE)
		return 1;
	if (out->sent_video && frame->pts <= out->last_video_pts)
	{
		*back = (out->last_video_pts - frame->pts) * av_q2d(time_base);
		return *back > 0.1 ? -1 : 0;
	}
	out->last_video_pts = frame->pts;
	out->sent_video = 1;
	return 1;
}

/* Pulls everything the filters have ready into the encoders. */
TranscodeStatus
transcode_pull_filters(Transcoder *t, int flush)
{
	TranscodeStatus status;
	int			ret;

	for (int i = 0; t->video_mode == STREAM_DECODE && i < t->noutputs; i++)
	{
		Output	   *out = &t->outputs[i];

		while ((ret = av_buffersink_get_frame(out->video_sink, t->filtered)) >= 0)
		{
			double		back = 0;
			int			advances = video_frame_advances(out, t->filtered,
														av_buffersink_get_time_base(out->video_sink), &back);

			if (advances <= 0)
			{
				av_frame_unref(t->filtered);
				if (advances == 0)
					continue;
				snprintf(t->err, t->errlen, "the input's picture timestamps go back %.2f s mid-stream (clips "
						 "joined that each start their own time?): join them with continuous timestamps", back);
				return TRANSCODE_INPUT_ERROR;
			}
			t->filtered->pict_type = AV_PICTURE_TYPE_NONE;
			if ((status = transcode_encode_video(t, out, t->filtered)) != TRANSCODE_OK)
				return status;
		}
		if (ret == AVERROR_EOF && flush && (status = transcode_encode_video(t, out, NULL)) != TRANSCODE_OK)
			return status;
		if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the video filters failed", ret);
	}
	if (t->audio_mode == STREAM_DECODE)
	{
		while ((ret = av_buffersink_get_frame(t->audio_sink, t->filtered)) >= 0)
		{
			if (t->filtered->pts != AV_NOPTS_VALUE)
				t->filtered->pts = av_rescale_q(t->filtered->pts, av_buffersink_get_time_base(t->audio_sink),
												t->audio_enc->time_base);
			/*
			 * Joined clips overlap where the first one's last frame runs past
			 * the second one's start (follow_sound_change): the sound goes on
			 * where it was, as a muxer needs rising timestamps.
			 */
			if (t->filtered->pts != AV_NOPTS_VALUE && t->filtered->pts < t->audio_next_pts)
				t->filtered->pts = t->audio_next_pts;
			if (t->filtered->pts != AV_NOPTS_VALUE)
				t->audio_next_pts = t->filtered->pts + t->filtered->nb_samples;
			status = drain_audio_encoder(t, 0);
			av_frame_unref(t->filtered);
			if (status != TRANSCODE_OK)
				return status;
		}
		if (ret == AVERROR_EOF && flush && (status = drain_audio_encoder(t, 1)) != TRANSCODE_OK)
			return status;
		if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the audio filters failed", ret);
	}
	return TRANSCODE_OK;
}

/* Decodes one packet (or flushes with NULL) and feeds the frames to the filters. */
static TranscodeStatus
decode_packet(Transcoder *t, AVCodecContext *dec, AVFilterContext *src, AVPacket *pkt)
{
	double		limit = t->spec->duration;
	int			ret = avcodec_send_packet(dec, pkt);

	/* A damaged packet costs a frame, not the job; an unreadable input fails in the demuxer. */
	if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR_INVALIDDATA)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not decode the input", ret);
	int64_t    *end = dec == t->video_dec ? &t->video_end : &t->audio_end;
	int64_t		limit_pts = limit > 0 ? llrint(limit / av_q2d(dec->pkt_timebase)) : INT64_MAX;

	while ((ret = avcodec_receive_frame(dec, t->frame)) >= 0)
	{
		int64_t		pts = t->frame->best_effort_timestamp;

		t->frame->pts = pts;
		/* Frames past params.duration are dropped; the stream ends at the limit. */
		if (pts != AV_NOPTS_VALUE && pts >= limit_pts)
		{
			*end = limit_pts;
			av_frame_unref(t->frame);
			continue;
		}
		if (pts != AV_NOPTS_VALUE)
			*end = FFMAX(*end, FFMIN(limit_pts, pts + FFMAX(t->frame->pkt_duration, 0)));
		if (dec == t->video_dec)
		{
			TranscodeStatus status = transcode_follow_picture_change(t, t->frame);

			if (status != TRANSCODE_OK)
			{
				av_frame_unref(t->frame);
				return status;
			}
			src = t->video_src;
		}
		else
		{
			TranscodeStatus status = transcode_follow_sound_change(t, t->frame);

			if (status != TRANSCODE_OK)
			{
				av_frame_unref(t->frame);
				return status;
			}
			src = t->audio_src;
		}
		ret = av_buffersrc_add_frame_flags(src, t->frame, AV_BUFFERSRC_FLAG_KEEP_REF);
		av_frame_unref(t->frame);
		if (ret < 0)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "the filters refused a frame", ret);
	}

	/*
	 * The stream ends when its last frame does, not when it starts, so that
	 * a frame-rate change fills the last frame's time as ffmpeg does.
	 */
	if (ret == AVERROR_EOF)
		ret = av_buffersrc_close(src, *end, 0);
	if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "could not decode the input", ret);
	return TRANSCODE_OK;
}

/*
 * A copied video starts at its first keyframe, as ffmpeg -c copy does: the
 * frames before it (an input cut out of a live stream or at a time that is
 * not a keyframe) refer to pictures the output does not hold, so no player
 * could decode them.  The audio is copied from its start on the same clock,
 * so sound and picture stay together.  Returns whether pkt is to be copied.
 */
static int
copy_from_keyframe(Transcoder *t, const AVPacket *pkt, int index)
{
	AVStream   *st = t->in->streams[index];
	int64_t		ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;

	if (index != t->video_index || t->copy_keyframe_seen)
		return 1;
	if (!(pkt->flags & AV_PKT_FLAG_KEY))
	{
		t->copy_skipped++;
		return 0;
	}
	t->copy_keyframe_seen = 1;
	t->copy_start_seconds = ts != AV_NOPTS_VALUE ? ts * av_q2d(st->time_base) : 0;
	return 1;
}

static TranscodeStatus
copy_packet(Transcoder *t, AVPacket *pkt, int index)
{
	AVStream   *in_st = t->in->streams[index];

	if (!copy_from_keyframe(t, pkt, index))
		return TRANSCODE_OK;

	/* Every output gets the copied stream (a ladder's renditions share its audio). */
	for (int i = 0; i < t->noutputs; i++)
	{
		Output	   *out = &t->outputs[i];
		AVStream   *out_st = index == t->video_index ? out->video_st : out->audio_st;
		AVPacket   *copy = av_packet_clone(pkt);
		TranscodeStatus status;

		if (copy == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
		if (index == t->video_index)
			out->frames++;
		copy->stream_index = out_st->index;
		av_packet_rescale_ts(copy, in_st->time_base, out_st->time_base);
		copy->pos = -1;
		if (i == 0 && copy->pts != AV_NOPTS_VALUE && (index == t->video_index || t->video_mode == STREAM_DROP))
			t->out_seconds = FFMAX(t->out_seconds, (copy->pts + copy->duration) * av_q2d(out_st->time_base));
		status = transcode_write_packet(t, out, copy);
		av_packet_free(&copy);
		if (status != TRANSCODE_OK)
			return status;
	}
	return TRANSCODE_OK;
}

/*
 * Like ffmpeg -re: an RTMP output of a file or test source goes out in real
 * time.  After a pause_job (the process was stopped, then continued:
 * io_watch_continued moved) the clock starts again from this packet, so the
 * rest is not sent as fast as it can be encoded to make up the time paused.
 */
static void
pace(Transcoder *t, double media_seconds)
{
	if (t->pace_continued != io_watch_continued)
	{
		t->pace_continued = io_watch_continued;
		t->pace_start = av_gettime_relative() - (int64_t) (media_seconds * 1e6);
	}
	while (!*t->req->stop)
	{
		double		ahead = media_seconds - (av_gettime_relative() - t->pace_start) / 1e6;

		if (ahead <= 0)
			return;
		av_usleep((unsigned) (FFMIN(ahead, 0.1) * 1e6));
	}
}

static TranscodeStatus
process_packet(Transcoder *t, AVPacket *pkt, int *past_limit)
{
	int			index = pkt->stream_index;
	AVStream   *st = t->in->streams[index];
	StreamMode	mode = index == t->video_index ? t->video_mode : index == t->audio_index ? t->audio_mode : STREAM_DROP;
	int64_t		shift;
	double		seconds;

	if (mode == STREAM_DROP)
		return TRANSCODE_OK;
	if (!t->started)
	{
		/* The first timestamp seen becomes zero, for every stream. */
		int64_t		first = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;

		t->start_us = (t->in->start_time != AV_NOPTS_VALUE && t->req->input_kind != INPUT_LIVE) ?
			t->in->start_time : first != AV_NOPTS_VALUE ? av_rescale_q(first, st->time_base, AV_TIME_BASE_Q) : 0;
		t->started = 1;
	}
	shift = av_rescale_q(t->start_us, AV_TIME_BASE_Q, st->time_base);
	if (pkt->pts != AV_NOPTS_VALUE)
		pkt->pts -= shift;
	if (pkt->dts != AV_NOPTS_VALUE)
		pkt->dts -= shift;
	seconds = (pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts) * av_q2d(st->time_base);
	t->in_seconds = FFMAX(t->in_seconds, seconds + FFMAX(pkt->duration, 0) * av_q2d(st->time_base));
	if (t->spec->duration > 0 && seconds >= t->spec->duration)
	{
		/* Past the limit on every stream we keep: stop reading. */
		*past_limit |= index == t->video_index ? 1 : 2;
		return TRANSCODE_OK;
	}
	if (t->req->input_kind != INPUT_LIVE && strncmp(t->req->output, "rtmp", 4) == 0)
		pace(t, seconds);
	if (mode == STREAM_COPY)
		return copy_packet(t, pkt, index);
	return decode_packet(t, index == t->video_index ? t->video_dec : t->audio_dec,
						 index == t->video_index ? t->video_src : t->audio_src, pkt);
}

static TranscodeStatus
set_up(Transcoder *t)
{
	TranscodeStatus status;

	/* Each step forgets libav's messages about the one before (see transcode_fail). */
	if ((status = media_input_open(t->req, &t->watch, &t->in, t->err, t->errlen)) != TRANSCODE_OK)
		return status;
	av_messages_forget();
	if ((status = transcode_choose_streams(t)) != TRANSCODE_OK)
		return status;
	t->noutputs = t->spec->ladder ? t->spec->nrenditions : 1;
	for (int i = 0; i < t->noutputs; i++)
		if ((status = transcode_alloc_output(t, &t->outputs[i], i)) != TRANSCODE_OK)
			return status;
	av_messages_forget();
	if (t->video_mode == STREAM_DECODE)
		transcode_describe_video_source(t);
	if (t->video_mode == STREAM_DECODE && ((status = transcode_plan_colour(t)) != TRANSCODE_OK ||
										   (status = transcode_build_video_graph(t)) != TRANSCODE_OK))
		return status;
	av_messages_forget();
	for (int i = 0; t->video_mode == STREAM_DECODE && i < t->noutputs; i++)
		if ((status = transcode_open_video_encoder(t, &t->outputs[i], &t->spec->renditions[i])) != TRANSCODE_OK)
			return status;
	av_messages_forget();
	if (t->audio_mode == STREAM_DECODE && transcode_describe_audio_source(t) < 0)
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	if (t->audio_mode == STREAM_DECODE &&
		((status = transcode_open_audio_encoder(t)) != TRANSCODE_OK || (status = transcode_build_audio_graph(t)) != TRANSCODE_OK))
		return status;
	av_messages_forget();
	for (int i = 0; i < t->noutputs; i++)
		if ((status = transcode_add_output_streams(t, &t->outputs[i])) != TRANSCODE_OK ||
			(status = transcode_open_output(t, &t->outputs[i])) != TRANSCODE_OK)
			return status;
	return transcode_start_encoders(t);
}

/*
 * How long the streams we use say they are (the longest of them), or the
 * container's length when they do not say: a clip whose audio is shorter
 * than its video is not truncated when only the audio is kept.
 */
static double
announced_seconds(const Transcoder *t)
{
	double		longest = 0;

	for (int i = 0; i < 2; i++)
	{
		int			index = i == 0 ? t->video_index : t->audio_index;
		AVStream   *st = index >= 0 ? t->in->streams[index] : NULL;

		if (st && st->duration > 0)
			longest = FFMAX(longest, st->duration * av_q2d(st->time_base));
		else if (st)
			return t->in->duration > 0 ? t->in->duration / (double) AV_TIME_BASE : 0;
	}
	return longest;
}

static TranscodeStatus
run_loop(Transcoder *t)
{
	TranscodeStatus status = TRANSCODE_OK;
	int			wanted = (t->video_mode != STREAM_DROP ? 1 : 0) | (t->audio_mode != STREAM_DROP ? 2 : 0);
	int			past_limit = 0;
	int			ret;

	for (;;)
	{
		if (*t->req->stop)
			return transcode_fail(t, TRANSCODE_STOPPED, "stopped", 0);
		io_watch_begin(&t->watch);
		av_messages_step();
		ret = av_read_frame(t->in, t->pkt);
		if (ret == AVERROR_EOF)
			break;
		if (ret < 0)
		{
			/* A live source that stops sending after it sent media has ended. */
			/*
			 * A live source that goes away or silent after it sent media has
			 * ended, as a publisher that stops ends its stream: finish what
			 * was written.
			 */
			if (t->req->input_kind == INPUT_LIVE && t->got_data && !*t->req->stop)
			{
				t->ended_by_silence = t->watch.timed_out;
				t->watch.timed_out = 0;
				break;
			}
			return transcode_fail(t, t->req->input_kind == INPUT_FILE ? TRANSCODE_INPUT_ERROR : TRANSCODE_NETWORK_ERROR,
						"could not read the input", ret);
		}
		t->got_data = 1;
		t->input_bytes += t->pkt->size;
		status = process_packet(t, t->pkt, &past_limit);
		av_packet_unref(t->pkt);
		if (status == TRANSCODE_OK)
			status = transcode_pull_filters(t, 0);
		if (status != TRANSCODE_OK)
			return status;
		report_progress(t, 0);
		if ((past_limit & wanted) == wanted)
			break;
	}

	/*
	 * A file whose demuxer stops well short of the length its header
	 * announced is truncated: fail rather than deliver a clip that silently
	 * lacks its end.
	 */
	if (!past_limit && t->req->input_kind != INPUT_LIVE && announced_seconds(t) > 0 &&
		t->in_seconds < announced_seconds(t) - FFMAX(1.0, 0.05 * announced_seconds(t)))
	{
		snprintf(t->err, t->errlen, "the input is truncated: it ends at %.2f s of the %.2f s its header announces",
				 t->in_seconds, announced_seconds(t));
		return TRANSCODE_INPUT_ERROR;
	}

	if (t->video_mode == STREAM_COPY && !t->copy_keyframe_seen && t->copy_skipped > 0)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR,
							  "the input's video has no keyframe, so a copy of it could not be played: encode it instead", 0);

	/* End of input: flush decoders, filters and encoders, then the muxers. */
	if (t->video_mode == STREAM_DECODE && (status = decode_packet(t, t->video_dec, t->video_src, NULL)) != TRANSCODE_OK)
		return status;
	if (t->audio_mode == STREAM_DECODE && (status = decode_packet(t, t->audio_dec, t->audio_src, NULL)) != TRANSCODE_OK)
		return status;
	if ((status = transcode_pull_filters(t, 1)) != TRANSCODE_OK ||
		(status = transcode_finish_encoders(t)) != TRANSCODE_OK)
		return status;
	for (int i = 0; i < t->noutputs; i++)
	{
		io_watch_begin(&t->watch);
		if ((ret = av_write_trailer(t->outputs[i].mux)) < 0)
			return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, "could not finish the output", ret);
	}
	if (t->spec->format == FORMAT_HLS && (status = transcode_write_playlists(t)) != TRANSCODE_OK)
		return status;
	if (t->spec->format == FORMAT_HLS && (status = transcode_publish_playlists(t)) != TRANSCODE_OK)
		return status;
	report_progress(t, 1);
	return TRANSCODE_OK;
}

static void
tear_down(Transcoder *t)
{
	transcode_stop_encoders(t);	/* before what their threads use */
	for (int i = 0; i < t->noutputs; i++)
	{
		Output	   *out = &t->outputs[i];

		avcodec_free_context(&out->video_enc);
		if (out->mux && !(out->mux->oformat->flags & AVFMT_NOFILE))
			avio_closep(&out->mux->pb);
		avformat_free_context(out->mux);
	}
	avcodec_free_context(&t->audio_enc);
	avfilter_graph_free(&t->video_graph);
	avfilter_graph_free(&t->audio_graph);
	avcodec_free_context(&t->video_dec);
	avcodec_free_context(&t->audio_dec);
	av_channel_layout_uninit(&t->asrc.layout);
	avformat_close_input(&t->in);
	av_packet_free(&t->pkt);
	av_frame_free(&t->frame);
	av_frame_free(&t->filtered);
	pthread_mutex_destroy(&t->mux_lock);
}

TranscodeStatus
transcode_run(const TranscodeRequest *req, TranscodeSummary *summary, char *err, size_t errlen)
{
	Transcoder	t = {0};
	TranscodeSummary local_summary;
	TranscodeStatus status;

	avdevice_register_all();
	av_log_set_level(AV_LOG_ERROR);
	/* libav's reasons are kept for the job's error (av_messages.h), quoting the job's paths as placeholders. */
	av_messages_install(NULL);
	av_messages_set_paths(req->input, req->output);
	av_messages_forget();
	t.summary = summary ? summary : &local_summary;
	memset(t.summary, 0, sizeof(*t.summary));
	setenv("SVT_LOG", "1", 0);	/* SVT-AV1: errors only */
	t.req = req;
	t.spec = req->spec;
	t.err = err;
	t.errlen = errlen;
	t.watch.stop = req->stop;
	t.stop_only.stop = req->stop;
	t.watch.timeout_us = req->input_kind == INPUT_FILE && strncmp(req->output, "rtmp", 4) != 0 ?
		0 : (int64_t) req->io_timeout_ms * 1000;
	t.pkt = av_packet_alloc();
	t.frame = av_frame_alloc();
	t.filtered = av_frame_alloc();
	t.wall_start = av_gettime_relative();
	t.pace_start = t.wall_start;
	t.pace_continued = io_watch_continued;
	t.audio_next_pts = INT64_MIN;
	pthread_mutex_init(&t.mux_lock, NULL);
	err[0] = '\0';
	if (t.pkt == NULL || t.frame == NULL || t.filtered == NULL)
		status = transcode_fail(&t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	else if ((status = set_up(&t)) == TRANSCODE_OK)
	{
		t.total_seconds = req->input_seconds > 0 ? req->input_seconds :
			t.in->duration > 0 ? t.in->duration / (double) AV_TIME_BASE : 0;
		if (t.spec->duration > 0 && (t.total_seconds == 0 || t.spec->duration < t.total_seconds))
			t.total_seconds = t.spec->duration;
		status = run_loop(&t);
	}
	transcode_stop_encoders(&t);	/* after a failure: before reading what they counted */
	if (status == TRANSCODE_OK && t.copy_skipped > 0)
		transcode_warn(&t, "the input's video begins with %lld frames that depend on an earlier keyframe: "
					   "they were dropped, and the copied video begins at its first keyframe, %.2f s in",
					   (long long) t.copy_skipped, t.copy_start_seconds);
	t.summary->last.frames = t.outputs[0].frames;
	t.summary->last.out_seconds = t.out_seconds;
	t.summary->last.bytes = t.bytes;
	t.summary->input_seconds = t.in_seconds;
	t.summary->ended_by_silence = t.ended_by_silence;
	tear_down(&t);
	return status;
}
