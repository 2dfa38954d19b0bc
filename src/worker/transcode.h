/*
 * transcode.h: one transcode with libavformat/libavcodec/libavfilter:
 * demux -> decode -> filter (fps, scale, split) -> encode -> mux, with
 * stream copy where no re-encode is asked for, and several renditions from
 * one decode for adaptive bitrate ladders.
 */
#ifndef FFRTMP_WORKER_TRANSCODE_H
#define FFRTMP_WORKER_TRANSCODE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "job_spec.h"

typedef enum InputKind
{
	INPUT_FILE,					/* a confined local path */
	INPUT_HTTP,					/* http(s):// file (or HLS over http) */
	INPUT_LIVE,					/* rtmp(s):// live stream */
	INPUT_TESTSRC				/* generated test pattern and tone */
} InputKind;

/* Failure classes, each one of common/failure_reasons.h (transcode_status_reason). */
typedef enum TranscodeStatus
{
	TRANSCODE_OK = 0,
	TRANSCODE_INPUT_ERROR,		/* unreadable, corrupt or unsupported input */
	TRANSCODE_USER_ERROR,		/* settings the encoder or muxer refuses */
	TRANSCODE_NETWORK_ERROR,	/* a network input or output failed or went silent */
	TRANSCODE_RUNTIME_ERROR,	/* anything else that went wrong while running */
	TRANSCODE_RESOURCE_ERROR,	/* out of memory, disk or a size limit */
	TRANSCODE_CAPABILITY,		/* an encoder this machine does not have */
	TRANSCODE_STOPPED			/* asked to stop (canceled, draining) */
} TranscodeStatus;

typedef struct TranscodeProgress
{
	int64_t		frames;			/* video frames encoded (first rendition), or packets copied */
	double		fps;			/* frames per second of wall time */
	double		speed;			/* media seconds per wall second */
	double		percent;		/* of the known duration; < 0 when unknown (live) */
	double		out_seconds;	/* media time written */
	double		bitrate_kbps;	/* of everything written so far */
	int64_t		bytes;
	int64_t		input_bytes;	/* of the input's packets read so far */
} TranscodeProgress;

/* Called at most once a second while the transcode runs. */
typedef void (*TranscodeProgressFn) (const TranscodeProgress *progress, void *arg);

typedef struct TranscodeRequest
{
	const JobSpec *spec;
	InputKind	input_kind;
	const char *input;			/* a path, a URL, or for INPUT_TESTSRC "[WxH][@FPS][?duration=S]" */
	double		input_seconds;	/* known length for progress (testsrc); 0: ask the demuxer */

	/*
	 * Where to write: a file path (written as is: the caller passes the
	 * partial name), an rtmp(s):// URL, or for HLS the final playlist path:
	 * segments are written under their final names and playlists under
	 * their partial names (partial_name()), renamed once all is written.
	 */
	const char *output;

	int			threads;		/* encoder and decoder threads */
	int			prefer_gpu;		/* use NVENC when the codec has it */
	int			io_timeout_ms;	/* a network read or write blocked this long fails */
	volatile int *stop;			/* becomes non-zero: stop as soon as possible */
	TranscodeProgressFn progress;
	void	   *progress_arg;
} TranscodeRequest;

#define TRANSCODE_MAX_DROPPED 16
#define TRANSCODE_MAX_WARNINGS 4

/* An input stream the output does not carry. */
typedef struct DroppedStream
{
	int			index;			/* in the input */
	char		type[16];		/* "audio", "video", "subtitle", "data", "attachment" */
	char		codec[32];		/* libavcodec's name, or its tag ("tmcd") when libavcodec has none */
	char		language[4];	/* its ISO 639-2 tag; "" when it has none */
	int			cover_art;		/* a still picture attached to the file (AV_DISPOSITION_ATTACHED_PIC) */
} DroppedStream;

typedef struct TranscodeSummary
{
	TranscodeProgress last;
	double		input_seconds;	/* how much input was read */
	int			ended_by_silence;	/* a live input stopped sending and the job ended there */

	/* What the job's result says about the choices made (transcode_summary_notes). */
	int			ndropped;		/* how many; the first TRANSCODE_MAX_DROPPED are listed */
	DroppedStream dropped[TRANSCODE_MAX_DROPPED];
	int			nwarnings;
	char		warnings[TRANSCODE_MAX_WARNINGS][200];	/* what a person should know about the output */
} TranscodeSummary;

/*
 * Runs the transcode.  Returns TRANSCODE_OK or a failure class with a
 * message in err.  A failed transcode leaves whatever it wrote for the
 * caller to remove (see hls names below for everything an HLS output writes).
 */
extern TranscodeStatus transcode_run(const TranscodeRequest *req, TranscodeSummary *summary,
									 char *err, size_t errlen);

/*
 * Adds the summary's notes to a job's result object: "dropped" (the input
 * streams left out: [{"index", "type", "codec", "language", "cover_art"}])
 * and "warnings" (sentences), each only when there is something to say.
 */
extern void transcode_summary_notes(const TranscodeSummary *summary, json_object *result);

/* The database's name for a failure class ("input_error"...). */
extern const char *transcode_status_reason(TranscodeStatus status);

/*
 * HLS file names, all beside the final playlist "dir/stem.m3u8": a single
 * rendition writes "dir/stem_00000.ts"...; a ladder writes one variant
 * playlist per rendition, "dir/stem_<name>.m3u8", with segments
 * "dir/stem_<name>_00000.ts", and the master playlist under the final name.
 * variant is NULL for a single rendition.
 */
extern int	transcode_hls_variant_playlist(const char *final_playlist, const char *variant,
										   char *out, size_t outlen);
extern int	transcode_hls_segment_pattern(const char *final_playlist, const char *variant,
										  char *out, size_t outlen);

#endif
