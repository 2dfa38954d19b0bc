/*
 * job_spec.h: a job's encode parameters, read from the JSON the database
 * stores (a preset's params merged with the caller's), as plain C values.
 *
 * The database already refused unknown options and bad values, but the worker
 * reads params again as untrusted input: anything it does not understand is
 * an error before any work starts.
 */
#ifndef FFRTMP_WORKER_JOB_SPEC_H
#define FFRTMP_WORKER_JOB_SPEC_H

#include <stddef.h>
#include <stdint.h>

#define JOB_SPEC_MAX_RENDITIONS 8
#define JOB_SPEC_WORD 33

/* params.deinterlace: what happens to interlaced video. */
typedef enum DeinterlaceMode
{
	DEINTERLACE_AUTO,			/* deinterlace what the input flags interlaced */
	DEINTERLACE_ON,				/* deinterlace every frame, whatever its flags */
	DEINTERLACE_OFF				/* keep fields: encode interlaced */
} DeinterlaceMode;

/* params.hdr: what happens to a PQ or HLG (high dynamic range) input. */
typedef enum HdrMode
{
	HDR_AUTO,					/* keep it where the codec can carry it, else tone-map */
	HDR_KEEP,					/* keep it (10-bit output), or fail */
	HDR_TONEMAP					/* always convert to SDR BT.709 */
} HdrMode;

typedef enum OutputFormat
{
	FORMAT_MP4, FORMAT_MKV, FORMAT_WEBM, FORMAT_HLS, FORMAT_FLV
} OutputFormat;

/* One rung of a ladder; a job without renditions has exactly one. */
typedef struct Rendition
{
	char		name[JOB_SPEC_WORD];	/* "720p"; names the HLS variant's files */
	int			width;			/* 0: keep the input's */
	int			height;
	int64_t		video_bitrate;	/* bits/s; 0: use crf or the encoder's default */
	int64_t		maxrate;
	int64_t		bufsize;
	int			crf;			/* -1: unset */
	double		fps;			/* 0: keep the input's */
} Rendition;

typedef struct JobSpec
{
	OutputFormat format;
	char		video_codec[JOB_SPEC_WORD];	/* h264 h265 vp9 av1 copy none */
	char		audio_codec[JOB_SPEC_WORD];	/* aac opus copy none */
	char		encoder_preset[JOB_SPEC_WORD];	/* "" : the encoder's default */
	char		profile[JOB_SPEC_WORD];
	int			gop;			/* frames between keyframes; 0: 2 s worth */
	int64_t		audio_bitrate;	/* bits/s; 0: the encoder's default */
	int			audio_rate;		/* Hz; 0: keep (or the codec's nearest) */
	int			audio_channels; /* 0: keep (at most 2 for aac/opus defaults) */
	double		duration;		/* seconds of input to use; 0: all */
	double		hls_segment_seconds;	/* default 4 */
	DeinterlaceMode deinterlace;
	HdrMode		hdr;
	int			audio_track;	/* index among the input's audio streams; -1: unset */
	char		audio_language[4];	/* ISO 639-2 code; "": unset */
	int			nrenditions;	/* >= 1 */
	Rendition	renditions[JOB_SPEC_MAX_RENDITIONS];
	int			ladder;			/* params had "renditions": write a master playlist */
} JobSpec;

/*
 * Fills spec from a params JSON object.  output_hint (a relative path or an
 * rtmp URL, or NULL) picks the format when params has none; gpus, the GPUs
 * the job asks for, takes part in the rules.  Returns 0, or -1 with a
 * message in err.
 */
extern int	job_spec_parse(const char *params_json, const char *output_hint, int gpus, JobSpec *spec,
						   char *err, size_t errlen);

/* Whether the job re-encodes video (or audio), rather than copying or dropping it. */
extern int	job_spec_encodes_video(const JobSpec *spec);
extern int	job_spec_encodes_audio(const JobSpec *spec);

/* Parses 2500000, "2500k" or "2.5M" (bits per second); -1 if invalid. */
extern int64_t job_spec_parse_bitrate(const char *text);

/* The params' word for a format: "mp4", "hls"... */
extern const char *job_spec_format_name(OutputFormat format);

/* The file extension an output of this format gets: "mp4", "m3u8"... */
extern const char *job_spec_extension(OutputFormat format);

/* NVENC's preset ("p1" to "p7") for an x264 speed preset word, or NULL. */
extern const char *job_spec_nvenc_preset(const char *preset);


#endif
