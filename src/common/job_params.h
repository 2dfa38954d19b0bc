/*
 * job_params.h: the encode parameters' contract, one table and one set of
 * rules compiled into both the extension (checked at submit_job) and the
 * worker (checked again before any work starts), so that a job the database
 * accepts is a job the worker runs.
 *
 * No PostgreSQL or JSON library headers: each side converts its own JSON
 * (jsonb, json-c) into a JobParamsNode tree and asks job_params_check().
 */
#ifndef FFRTMP_COMMON_JOB_PARAMS_H
#define FFRTMP_COMMON_JOB_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#define JOB_PARAMS_MAX_RENDITIONS 8
#define JOB_PARAMS_WORD_MAX 32

/* A JSON value as the adapters hand it over. */
typedef enum JobParamsType
{
	JP_NULL, JP_BOOL, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT
} JobParamsType;

typedef struct JobParamsNode
{
	JobParamsType type;
	const char *key;			/* the member's name, inside an object */
	double		number;			/* JP_NUMBER */
	const char *string;			/* JP_STRING, NUL-terminated */
	int			nitems;			/* JP_ARRAY elements or JP_OBJECT members */
	const struct JobParamsNode *items;
} JobParamsNode;

typedef enum JobParamKind
{
	JPK_CHOICE,					/* one of a list of words */
	JPK_INTEGER,				/* whole JSON number in [min, max] */
	JPK_NUMBER,					/* JSON number in [min, max] */
	JPK_BITRATE,				/* bits/s: 2500000, "2500k", "2.5M" or "1G" */
	JPK_SIZE,					/* "WIDTHxHEIGHT" in digits, even, 16x16 to 7680x4320 */
	JPK_WORD,					/* [a-z0-9_-]{1,32}, e.g. a profile */
	JPK_LANGUAGE,				/* ISO 639-2 code: three lower-case letters */
	JPK_RENDITIONS				/* array of 1 to 8 rendition objects */
} JobParamKind;

/*
 * What a param sets up in an encoder (or the filters in front of it), and so
 * what it needs encoded: with that stream copied or dropped it would be
 * ignored, and is refused instead.
 */
typedef enum JobParamEncodes
{
	JPE_NOTHING,				/* the container, the input, the streams chosen */
	JPE_VIDEO,					/* a video encoder option or filter */
	JPE_AUDIO					/* an audio encoder option or resampling */
} JobParamEncodes;

typedef struct JobParamSpec
{
	const char *name;
	JobParamKind kind;
	double		min;
	double		max;
	const char *choices;		/* space-separated, for JPK_CHOICE */
	bool		top_level;		/* may appear at the top of params */
	bool		per_rendition;	/* may appear inside a rendition */
	JobParamEncodes needs;		/* what it needs encoded */
} JobParamSpec;

extern const JobParamSpec job_param_specs[];
extern const int job_param_nspecs;

/* What job_params_check() says about a refusal. */
typedef struct JobParamsVerdict
{
	char		param[64];		/* "crf", "renditions[1].size", "" for the whole */
	char		message[256];	/* lower case, no final period */
	char		hint[512];		/* a full sentence */
} JobParamsVerdict;

/*
 * Checks params (a preset's merged with the caller's) for a job writing to
 * output, its output_url as submitted (NULL: the worker's default name),
 * asking for gpus GPUs (its encoders are then NVENC's, for h264 and h265).
 * The output's name picks the format when params has none; an rtmp output
 * carries FLV whatever params say; an HLS output's derived playlist path
 * must fit (names.h).  Returns true when accepted; otherwise false with the
 * verdict filled.
 */
extern bool job_params_check(const JobParamsNode *params, const char *output, int gpus,
							 JobParamsVerdict *verdict);

/*
 * The libavcodec encoder for a codec word ("h264" -> "libx264", or
 * "h264_nvenc" for a job asking for GPUs); NULL for copy, none or another word.
 */
extern const char *job_params_encoder(const char *codec, int gpus);

/*
 * The encoders a job needs, for the video and then the audio stream it
 * encodes (none for a stream copied or dropped), with the defaults
 * job_params_check() applies; params must have passed it.  Fills encoders
 * and returns how many (0 to JOB_PARAMS_MAX_ENCODERS).  The worker encodes
 * with these, and dispatch gives a job only to a node offering them all.
 */
#define JOB_PARAMS_MAX_ENCODERS 2
extern int	job_params_encoders(const JobParamsNode *params, const char *output, int gpus,
								const char *encoders[JOB_PARAMS_MAX_ENCODERS]);

/*
 * Every encoder a job asking for gpus GPUs may need (job_params_encoders()
 * of any params): a node offering them all can encode any such job.  Fills
 * encoders and returns how many.
 */
#define JOB_PARAMS_ANY_ENCODERS 8
extern int	job_params_any_encoders(int gpus, const char *encoders[JOB_PARAMS_ANY_ENCODERS]);

/* Whether output is streamed to the network (rtmp:// or rtmps://), not written to files. */
extern bool job_params_is_network_output(const char *output);

/* Whether output can carry format ("mp4"...): a network output carries FLV only. */
extern bool job_params_output_carries(const char *output, const char *format);

/* The format an output path or URL implies: "mp4", "mkv", "webm", "hls" or "flv". */
extern const char *job_params_format_from_output(const char *output);

/* Bits per second from 2500000, "2500k", "2.5M" or "1G"; -1 when not one. */
extern int64_t job_params_parse_bitrate(const char *text);

/*
 * An encoder_preset's place among x264's ten speed presets: 0 for placebo,
 * the slowest, to 9 for ultrafast; -1 for any other word.
 */
extern int	job_params_speed_rank(const char *preset);

/* True when word is one of the space-separated words of list. */
extern bool job_params_word_in(const char *word, const char *list);

/* The member key of an object node, or NULL. */
extern const JobParamsNode *job_params_get(const JobParamsNode *object, const char *key);

#endif
