/*
 * transcode_internal.h: what the parts of one transcode share: the state of
 * a running transcode, and the steps that set it up (codecs in
 * transcode_codecs.c, filter graphs in transcode_filters.c, the encoders'
 * threads in transcode_encoders.c); transcode.c runs the loop.  Not for use
 * outside the transcode.
 */
#ifndef FFRTMP_WORKER_TRANSCODE_INTERNAL_H
#define FFRTMP_WORKER_TRANSCODE_INTERNAL_H

#include <pthread.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>

#include "colour.h"
#include "media_input.h"
#include "transcode.h"

typedef enum StreamMode
{
	STREAM_DROP, STREAM_COPY, STREAM_DECODE
} StreamMode;

/* The picture the video graph's buffer source takes: the decoder's, then the latest frame's. */
typedef struct VideoSource
{
	int			width;
	int			height;
	enum AVPixelFormat format;
	int			full_range;		/* the frames say full range (yuvj, or tagged "pc") */
	enum AVColorTransferCharacteristic trc;
	AVRational	sar;			/* as the container or else the codec says (0/1: unknown) */
} VideoSource;

/* The sound the audio graph's buffer source takes: the decoder's, then the latest frame's. */
typedef struct AudioSource
{
	int			sample_rate;
	enum AVSampleFormat format;
	AVChannelLayout layout;		/* as decoded; an unspecified order is read as the default layout */
} AudioSource;

typedef struct EncoderThread EncoderThread;	/* transcode_encoders.c */

/* One output file (or HLS variant, or RTMP stream) and its streams. */
typedef struct Output
{
	AVFormatContext *mux;
	AVCodecContext *video_enc;	/* NULL when copying or dropping video */
	AVFilterContext *video_sink;
	AVStream   *video_st;
	AVStream   *audio_st;
	AVPacket   *video_pkt;		/* what video_enc gives (its own: it may run in its own thread) */
	EncoderThread *encoder;		/* a ladder's rendition: its encoder's thread; else NULL */
	int64_t		frames;			/* video frames written (under the Transcoder's mux_lock) */
	int64_t		last_video_pts; /* of the last frame sent to video_enc, once sent_video */
	int			sent_video;
	char		playlist[4200]; /* HLS: the partial playlist this variant writes */
} Output;

typedef struct Transcoder
{
	const TranscodeRequest *req;
	const JobSpec *spec;
	IoWatch		watch;			/* the input, and network outputs */
	IoWatch		stop_only;		/* file outputs: no timeout, only the stop flag */
	AVFormatContext *in;
	int			video_index;	/* input stream, or -1 */
	int			audio_index;
	StreamMode	video_mode;
	StreamMode	audio_mode;
	AVCodecContext *video_dec;
	AVCodecContext *audio_dec;
	ColourPlan	colour;			/* decoded video: pixel format and tags of the outputs */
	VideoSource src;			/* what the video graph was built for */
	AVFilterGraph *video_graph;
	AVFilterContext *video_src;
	int			keep_fields;	/* deinterlace off on an interlaced input: encode fields */
	AudioSource asrc;			/* what the audio graph was built for */
	AVFilterGraph *audio_graph;
	AVFilterContext *audio_src;
	AVFilterContext *audio_sink;
	AVCodecContext *audio_enc;
	int64_t		audio_next_pts;	/* where the encoded sound has got to, in the encoder's time base */
	Output		outputs[JOB_SPEC_MAX_RENDITIONS];
	int			noutputs;
	int64_t		start_us;		/* input time that becomes output time zero */
	int			started;
	int64_t		wall_start;
	int64_t		pace_start;		/* wall time of media time zero for pace(), moved by pauses */
	int			pace_continued; /* io_watch_continued when pace() last looked */
	int64_t		last_report;
	/*
	 * Held while a muxer is written and while bytes, out_seconds and the
	 * outputs' frames change or are read: a ladder's encoders write from
	 * their own threads (transcode_encoders.c).
	 */
	pthread_mutex_t mux_lock;
	int64_t		bytes;			/* of the packets written to every output */
	int64_t		input_bytes;	/* of the input's packets read */
	double		out_seconds;
	double		total_seconds;	/* for percent; 0: unknown */
	int			got_data;
	int			ended_by_silence;
	double		in_seconds;		/* input media time read so far */
	int64_t		video_end;		/* where each decoded stream ends, in its time base */
	int64_t		audio_end;
	int			copy_keyframe_seen; /* copied video: its first keyframe has been written */
	int64_t		copy_skipped;	/* copied video packets dropped before that keyframe */
	double		copy_start_seconds; /* where that keyframe is, in output time */
	TranscodeSummary *summary;	/* the caller's, filled as the transcode goes */
	AVPacket   *pkt;
	AVFrame    *frame;
	AVFrame    *filtered;
	char	   *err;
	size_t		errlen;
} Transcoder;

/* Sets err from what (and an AVERROR), and returns the failure class to report. */
extern TranscodeStatus transcode_fail(Transcoder *t, TranscodeStatus status, const char *what, int averror);

/* Picks the input's video and audio streams, notes the others, opens the decoders. */
extern TranscodeStatus transcode_choose_streams(Transcoder *t);

/* Adds a sentence to the result's warnings. */
extern void transcode_warn(Transcoder *t, const char *format,...) __attribute__((format(printf, 2, 3)));

extern TranscodeStatus transcode_open_decoder(Transcoder *t, int index, AVCodecContext **dec);
/* Decides t->colour from the video decoder, the codec and params.hdr. */
extern TranscodeStatus transcode_plan_colour(Transcoder *t);
/* Redoes the colour plan's conversions (not its tags) for a frame whose picture changed. */
extern TranscodeStatus transcode_follow_colour(Transcoder *t, const AVFrame *frame);
extern TranscodeStatus transcode_open_video_encoder(Transcoder *t, Output *out, const Rendition *r);
extern TranscodeStatus transcode_open_audio_encoder(Transcoder *t);

/*
 * in -> [deinterlace] -> [turn upright] -> split -> per rendition: [fps],
 * [scale], [pad], square pixels, pixel format -> one sink each.
 */
extern TranscodeStatus transcode_build_video_graph(Transcoder *t);

/* Resampling and remixing to what the audio encoder takes. */
extern TranscodeStatus transcode_build_audio_graph(Transcoder *t);

/* Moves what the filters have ready into the encoders and muxers (all of it when flush). */
extern TranscodeStatus transcode_pull_filters(Transcoder *t, int flush);

/* Outputs (transcode_outputs.c): the muxer of output index, its streams, opening it, writing to it. */
extern TranscodeStatus transcode_alloc_output(Transcoder *t, Output *out, int index);
extern TranscodeStatus transcode_add_output_streams(Transcoder *t, Output *out);
extern TranscodeStatus transcode_open_output(Transcoder *t, Output *out);
extern TranscodeStatus transcode_write_packet(Transcoder *t, Output *out, AVPacket *pkt);
/* The same, for a caller that holds mux_lock: 0 or an AVERROR, which transcode_write_failure reports. */
extern int	transcode_mux_packet(Transcoder *t, Output *out, AVPacket *pkt);
extern TranscodeStatus transcode_write_failure(Transcoder *t, int averror);

/*
 * Video encoders (transcode_encoders.c).  A ladder's renditions are encoded
 * in parallel, one thread each; a single output inline.  encode_video takes
 * frame's reference (NULL: no more frames); finish waits for every encoder
 * to end; stop ends them without waiting for their frames (failure, tear down).
 */
extern TranscodeStatus transcode_start_encoders(Transcoder *t);
extern TranscodeStatus transcode_encode_video(Transcoder *t, Output *out, AVFrame *frame);
extern TranscodeStatus transcode_finish_encoders(Transcoder *t);
extern void transcode_stop_encoders(Transcoder *t);

/* HLS: each variant's playlist finished, the master of a ladder written, then all renamed into place. */
extern TranscodeStatus transcode_write_playlists(Transcoder *t);
extern TranscodeStatus transcode_publish_playlists(Transcoder *t);

/* Mid-stream changes (transcode_changes.c): the graphs' sources as the decoders announce them... */
extern void transcode_describe_video_source(Transcoder *t);
extern int	transcode_describe_audio_source(Transcoder *t);

/* ...and a frame that differs from them rebuilds its graph. */
extern TranscodeStatus transcode_follow_picture_change(Transcoder *t, const AVFrame *frame);
extern TranscodeStatus transcode_follow_sound_change(Transcoder *t, const AVFrame *frame);

#endif
