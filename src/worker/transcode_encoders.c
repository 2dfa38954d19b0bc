/*
 * transcode_encoders.c: the video encoders, and for a ladder one thread per
 * rendition's encoder.
 *
 * One decode feeds every rendition, but the encodes are most of the work.
 * Encoded in turn on the transcode's thread, a ladder takes as long as its
 * encoders' times added up, whatever the machine's cores.  So each
 * rendition's encoder runs in its own thread: the transcode's thread
 * decodes and filters, and hands each rendition's filtered frames over by
 * reference through a short bounded queue (no copy; a full queue makes the
 * decoder wait for the slowest encoder, so memory stays bounded).  Each
 * encoder keeps its own thread_count (the job's threads shared among the
 * renditions, transcode_codecs.c) and its own settings: the packets are the
 * same as encoded in turn, and the muxers interleave them by timestamp as
 * before.  Muxer writes and the counters they move are under mux_lock.
 *
 * A single output's encoder gets its thread too: decoding and filtering the
 * next frames overlap its encode, as a pipeline.  An RTMP output is encoded
 * inline: its writes reset the stall watch it shares with the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "transcode_internal.h"

/* Frames a rendition's queue holds: enough to smooth the encoders' uneven frame times. */
#define ENCODER_QUEUE_FRAMES 8

struct EncoderThread
{
	Transcoder *t;
	Output	   *out;
	pthread_t	thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;		/* a frame queued or taken, or the thread ended */
	AVFrame    *queue[ENCODER_QUEUE_FRAMES];
	int			head;			/* the oldest frame */
	int			count;
	int			no_more;		/* the last frame is queued: flush the encoder after it */
	int			quit;			/* end now, leaving the queued frames */
	int			ended;			/* the thread has returned */
	/* How it ended: what failed (NULL: nothing) and the libav error. */
	const char *failed;
	int			averror;
};

/*
 * Sends frame (NULL: flush) to out's encoder and muxes the packets it gives.
 * Returns 0, or an AVERROR with *failed saying what failed.  Runs on the
 * rendition's thread for a ladder, so it reports rather than fails.
 */
static int
encode(Transcoder *t, Output *out, const AVFrame *frame, const char **failed)
{
	int			ret = avcodec_send_frame(out->video_enc, frame);

	*failed = "the video encoder failed";
	if (ret < 0 && ret != AVERROR_EOF)
		return ret;
	while ((ret = avcodec_receive_packet(out->video_enc, out->video_pkt)) >= 0)
	{
		AVPacket   *pkt = out->video_pkt;

		pkt->stream_index = out->video_st->index;
		av_packet_rescale_ts(pkt, out->video_enc->time_base, out->video_st->time_base);
		pthread_mutex_lock(&t->mux_lock);
		out->frames++;
		if (out == &t->outputs[0] && pkt->pts != AV_NOPTS_VALUE)
			t->out_seconds = FFMAX(t->out_seconds, (pkt->pts + pkt->duration) * av_q2d(out->video_st->time_base));
		ret = transcode_mux_packet(t, out, pkt);
		pthread_mutex_unlock(&t->mux_lock);
		av_packet_unref(pkt);
		if (ret < 0)
		{
			*failed = NULL;		/* the muxer: transcode_write_failure */
			return ret;
		}
	}
	return (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) ? 0 : ret;
}

/* encode()'s failure as the transcode's status and error. */
static TranscodeStatus
encode_failure(Transcoder *t, const char *failed, int averror)
{
	if (failed == NULL)
		return transcode_write_failure(t, averror);
	return transcode_fail(t, TRANSCODE_RUNTIME_ERROR, failed, averror);
}

/* A rendition's thread: its queue's frames into its encoder until the last, then the flush. */
static void *
encoder_main(void *arg)
{
	EncoderThread *e = arg;
	const char *failed = NULL;
	int			ret = 0;
	char		name[16];

	/* "enc 720p" in top -H and perf: which rendition's encoder is busy. */
	snprintf(name, sizeof(name), "enc %s", e->t->spec->ladder ?
			 e->t->spec->renditions[e->out - e->t->outputs].name : "video");
	pthread_setname_np(pthread_self(), name);

	for (;;)
	{
		AVFrame    *frame;

		pthread_mutex_lock(&e->lock);
		while (e->count == 0 && !e->no_more && !e->quit)
			pthread_cond_wait(&e->changed, &e->lock);
		if (e->quit || e->count == 0)
		{
			int			flush = !e->quit;

			pthread_mutex_unlock(&e->lock);
			if (flush)
				ret = encode(e->t, e->out, NULL, &failed);
			break;
		}
		frame = e->queue[e->head];
		e->queue[e->head] = NULL;
		e->head = (e->head + 1) % ENCODER_QUEUE_FRAMES;
		e->count--;
		pthread_cond_signal(&e->changed);
		pthread_mutex_unlock(&e->lock);

		ret = encode(e->t, e->out, frame, &failed);
		av_frame_free(&frame);
		if (ret < 0)
			break;
	}
	pthread_mutex_lock(&e->lock);
	e->ended = 1;
	if (ret < 0)
	{
		e->failed = failed;
		e->averror = ret;
	}
	pthread_cond_signal(&e->changed);
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

TranscodeStatus
transcode_start_encoders(Transcoder *t)
{
	for (int i = 0; i < t->noutputs; i++)
		if ((t->outputs[i].video_pkt = av_packet_alloc()) == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	if (t->video_mode != STREAM_DECODE || strncmp(t->req->output, "rtmp", 4) == 0)
		return TRANSCODE_OK;
	for (int i = 0; i < t->noutputs; i++)
	{
		Output	   *out = &t->outputs[i];
		EncoderThread *e = calloc(1, sizeof(*e));

		if (e == NULL)
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
		e->t = t;
		e->out = out;
		pthread_mutex_init(&e->lock, NULL);
		pthread_cond_init(&e->changed, NULL);
		if (pthread_create(&e->thread, NULL, encoder_main, e) != 0)
		{
			pthread_cond_destroy(&e->changed);
			pthread_mutex_destroy(&e->lock);
			free(e);
			return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "could not start an encoder thread", 0);
		}
		out->encoder = e;
	}
	return TRANSCODE_OK;
}

TranscodeStatus
transcode_encode_video(Transcoder *t, Output *out, AVFrame *frame)
{
	EncoderThread *e = out->encoder;
	AVFrame    *ref = NULL;

	if (e == NULL)
	{
		const char *failed;
		int			ret = encode(t, out, frame, &failed);

		if (frame)
			av_frame_unref(frame);
		return ret < 0 ? encode_failure(t, failed, ret) : TRANSCODE_OK;
	}
	if (frame && (ref = av_frame_alloc()) == NULL)
	{
		av_frame_unref(frame);
		return transcode_fail(t, TRANSCODE_RESOURCE_ERROR, "out of memory", 0);
	}
	if (frame)
		av_frame_move_ref(ref, frame);

	pthread_mutex_lock(&e->lock);
	/* A full queue waits for the encoder: the decoder goes at the slowest rendition's pace. */
	while (ref && e->count == ENCODER_QUEUE_FRAMES && !e->ended)
		pthread_cond_wait(&e->changed, &e->lock);
	if (e->ended)
	{
		/* It ended before its last frame: it failed (reported by finish). */
		pthread_mutex_unlock(&e->lock);
		av_frame_free(&ref);
		return transcode_finish_encoders(t);
	}
	if (ref)
	{
		e->queue[(e->head + e->count) % ENCODER_QUEUE_FRAMES] = ref;
		e->count++;
	}
	else
		e->no_more = 1;
	pthread_cond_signal(&e->changed);
	pthread_mutex_unlock(&e->lock);
	return TRANSCODE_OK;
}

/* Ends e's thread (now, when quit; else after its frames) and frees it; its failure in failed/averror. */
static void
join_encoder(Output *out, int quit, const char **failed, int *averror)
{
	EncoderThread *e = out->encoder;

	pthread_mutex_lock(&e->lock);
	if (quit)
		e->quit = 1;
	else
		e->no_more = 1;
	pthread_cond_signal(&e->changed);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	*failed = e->failed;
	*averror = e->averror;
	for (int i = 0; i < ENCODER_QUEUE_FRAMES; i++)
		av_frame_free(&e->queue[i]);
	pthread_cond_destroy(&e->changed);
	pthread_mutex_destroy(&e->lock);
	free(e);
	out->encoder = NULL;
}

TranscodeStatus
transcode_finish_encoders(Transcoder *t)
{
	TranscodeStatus status = TRANSCODE_OK;

	for (int i = 0; i < t->noutputs; i++)
	{
		const char *failed;
		int			averror;

		if (t->outputs[i].encoder == NULL)
			continue;
		/* After a failure the others need not finish their frames. */
		join_encoder(&t->outputs[i], status != TRANSCODE_OK, &failed, &averror);
		if (averror < 0 && status == TRANSCODE_OK)
			status = encode_failure(t, failed, averror);
	}
	return status;
}

void
transcode_stop_encoders(Transcoder *t)
{
	for (int i = 0; i < t->noutputs; i++)
	{
		const char *failed;
		int			averror;

		if (t->outputs[i].encoder)
			join_encoder(&t->outputs[i], 1, &failed, &averror);
		av_packet_free(&t->outputs[i].video_pkt);
	}
}
