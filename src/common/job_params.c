/*
 * job_params.c: the encode parameters' table and rules (see job_params.h).
 *
 * Invariants: every rule about params lives here and nowhere else; the
 * extension and the worker only convert JSON and report the verdict.  Values
 * keep their JSON type: a number given as a string ("22") is refused, except
 * for bitrates, whose string form carries a unit (k, K, M or G as in FFmpeg).
 */
#include "job_params.h"
#include "names.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORD_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

/*
 * A rendition's name goes into its HLS segments' names ("stem_NAME_N.ts",
 * N up to 10 digits): names.h's room for derived names must hold it.
 */
_Static_assert(1 + JOB_PARAMS_WORD_MAX + 1 + 10 + 3 <= NAMES_DERIVED_SUFFIX_MAX,
			   "NAMES_DERIVED_SUFFIX_MAX must hold the longest rendition name in a segment name");
#define DIGITS "0123456789"

/*
 * x264's speed presets, fastest last; the worker passes them to libx264,
 * libx265 and NVENC and maps them onto the numeric speeds of libvpx-vp9 and
 * SVT-AV1, so any other word fails the encoder.
 */
#define ENCODER_PRESETS "placebo veryslow slower slow medium fast faster veryfast superfast ultrafast"

/*
 * What each video encoder the worker opens takes, where it is narrower than
 * the parameter table: the profiles libx264 and libx265 accept
 * (x264_param_apply_profile, x265_param_apply_profile; the worker sets none
 * on VP9 or AV1), libx265's crf scale (0 to 51), SVT-AV1's largest target
 * (100 Mb/s) and smallest picture (64x64), and libvpx-vp9's refusal of
 * maxrate or bufsize without a target bitrate.  Each refuses otherwise when
 * the worker opens it, failing the job.  A job with gpus gets NVENC for h264
 * and h265 (h264_nvenc, hevc_nvenc), whose profiles in FFmpeg 5.1 are
 * baseline, main, high, high444p and main, main10, rext: of x264's and
 * x265's words only those it shares are taken.
 */
typedef struct VideoEncoderLimits
{
	const char *codec;
	const char *profiles;		/* NULL: takes no profile */
	const char *gpu_profiles;	/* those NVENC takes too, for jobs with gpus; NULL: no NVENC */
	int			max_crf;
	double		max_bitrate;	/* video_bitrate and maxrate */
	int			min_side;		/* the smallest width or height */
	bool		rate_needs_bitrate; /* maxrate and bufsize only with video_bitrate */
} VideoEncoderLimits;

static const VideoEncoderLimits video_encoders[] = {
	{"h264", "baseline main high high10 high422 high444", "baseline main high", 63, 1e9, 16, false},
	{"h265", "main main10 main12 mainstillpicture msp main-intra main10-intra main12-intra "
		"main422-10 main422-10-intra main422-12 main422-12-intra main444-8 main444-intra "
		"main444-stillpicture main444-10 main444-10-intra main444-12 main444-12-intra "
		"main444-16-intra main444-16-stillpicture", "main main10", 51, 1e9, 16, false},
	{"vp9", NULL, NULL, 63, 1e9, 16, true},
	{"av1", NULL, NULL, 63, 1e8, 64, false},
};

/* libopus takes at most this many bits per second per channel. */
#define OPUS_MAX_BITRATE_PER_CHANNEL 256000

/*
 * name, kind, min, max, choices, top level, per rendition, what it needs
 * encoded.  The encoder options (encoder_preset, profile, crf, the bitrates,
 * gop; audio_bitrate, audio_rate, audio_channels) and the video filters
 * (size, fps, deinterlace, hdr, renditions) mean nothing to a stream that is
 * copied or dropped.
 */
const JobParamSpec job_param_specs[] = {
	{"video_codec", JPK_CHOICE, 0, 0, "h264 h265 vp9 av1 copy none", true, false, JPE_NOTHING},
	{"audio_codec", JPK_CHOICE, 0, 0, "aac opus copy none", true, false, JPE_NOTHING},
	{"format", JPK_CHOICE, 0, 0, "mp4 mkv webm hls flv", true, false, JPE_NOTHING},
	{"encoder_preset", JPK_CHOICE, 0, 0, ENCODER_PRESETS, true, false, JPE_VIDEO},
	{"profile", JPK_WORD, 0, 0, NULL, true, false, JPE_VIDEO},
	{"crf", JPK_INTEGER, 0, 63, NULL, true, true, JPE_VIDEO},
	{"video_bitrate", JPK_BITRATE, 1e3, 1e9, NULL, true, true, JPE_VIDEO},
	{"maxrate", JPK_BITRATE, 1e3, 1e9, NULL, true, true, JPE_VIDEO},
	{"bufsize", JPK_BITRATE, 1e3, 1e9, NULL, true, true, JPE_VIDEO},
	{"audio_bitrate", JPK_BITRATE, 8e3, 1e6, NULL, true, false, JPE_AUDIO},
	{"gop", JPK_INTEGER, 1, 1000, NULL, true, false, JPE_VIDEO},
	{"fps", JPK_NUMBER, 1, 240, NULL, true, true, JPE_VIDEO},
	{"size", JPK_SIZE, 0, 0, NULL, true, true, JPE_VIDEO},
	{"audio_rate", JPK_INTEGER, 8000, 192000, NULL, true, false, JPE_AUDIO},
	{"audio_channels", JPK_INTEGER, 1, 8, NULL, true, false, JPE_AUDIO},
	{"duration", JPK_NUMBER, 0.001, 86400, NULL, true, false, JPE_NOTHING},
	{"hls_segment_seconds", JPK_NUMBER, 1, 60, NULL, true, false, JPE_NOTHING},
	{"deinterlace", JPK_CHOICE, 0, 0, "auto on off", true, false, JPE_VIDEO},
	{"hdr", JPK_CHOICE, 0, 0, "auto keep tonemap", true, false, JPE_VIDEO},
	{"audio_track", JPK_INTEGER, 0, 63, NULL, true, false, JPE_NOTHING},
	{"audio_language", JPK_LANGUAGE, 0, 0, NULL, true, false, JPE_NOTHING},
	{"renditions", JPK_RENDITIONS, 1, JOB_PARAMS_MAX_RENDITIONS, NULL, true, false, JPE_VIDEO},
	{"name", JPK_WORD, 0, 0, NULL, false, true, JPE_NOTHING},
};
const int	job_param_nspecs = sizeof(job_param_specs) / sizeof(job_param_specs[0]);

static bool refuse(JobParamsVerdict *verdict, const char *param, const char *hint, const char *format,...)
			__attribute__((format(printf, 4, 5)));

static bool
refuse(JobParamsVerdict *verdict, const char *param, const char *hint, const char *format,...)
{
	va_list		args;

	snprintf(verdict->param, sizeof(verdict->param), "%s", param);
	snprintf(verdict->hint, sizeof(verdict->hint), "%s", hint);
	va_start(args, format);
	vsnprintf(verdict->message, sizeof(verdict->message), format, args);
	va_end(args);
	return false;
}

/*
 * The position of word in a space-separated list, or -1.  A word is one
 * item: "live default" is in no list, though both its words are in one.
 */
static int
word_position(const char *word, const char *list)
{
	size_t		len = strlen(word);
	int			position = 0;

	if (len == 0 || strchr(word, ' ') != NULL)
		return -1;
	for (const char *p = list; *p; p += strcspn(p, " "), p += (*p == ' '), position++)
		if (strncmp(p, word, len) == 0 && (p[len] == ' ' || p[len] == '\0'))
			return position;
	return -1;
}

int
job_params_speed_rank(const char *preset)
{
	return word_position(preset, ENCODER_PRESETS);
}

bool
job_params_word_in(const char *word, const char *list)
{
	return word_position(word, list) >= 0;
}

const JobParamsNode *
job_params_get(const JobParamsNode *object, const char *key)
{
	if (object == NULL || object->type != JP_OBJECT)
		return NULL;
	for (int i = 0; i < object->nitems; i++)
		if (strcmp(object->items[i].key, key) == 0)
			return &object->items[i];
	return NULL;
}

static const char *
node_string(const JobParamsNode *v)
{
	return v && v->type == JP_STRING ? v->string : NULL;
}

bool
job_params_is_network_output(const char *output)
{
	return output && (strncmp(output, "rtmp://", 7) == 0 || strncmp(output, "rtmps://", 8) == 0);
}

bool
job_params_output_carries(const char *output, const char *format)
{
	return !job_params_is_network_output(output) || strcmp(format, "flv") == 0;
}

const char *
job_params_format_from_output(const char *output)
{
	const char *dot;

	if (output == NULL)
		return "mp4";
	if (job_params_is_network_output(output))
		return "flv";
	dot = strrchr(output, '.');
	if (dot && strcmp(dot, ".mkv") == 0)
		return "mkv";
	if (dot && strcmp(dot, ".webm") == 0)
		return "webm";
	if (dot && strcmp(dot, ".m3u8") == 0)
		return "hls";
	if (dot && strcmp(dot, ".flv") == 0)
		return "flv";
	return "mp4";
}

/* Digits, an optional fraction, an optional k/K/M/G: no signs, exponents or hex. */
int64_t
job_params_parse_bitrate(const char *text)
{
	const char *p = text;
	double		value;
	double		scale = 1;

	if (text == NULL || *p < '0' || *p > '9')
		return -1;
	p += strspn(p, "0123456789");
	if (*p == '.')
	{
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		p += strspn(p, "0123456789");
	}
	if (p - text > 20)
		return -1;
	value = strtod(text, NULL);
	if (*p == 'k' || *p == 'K')
		scale = 1e3, p++;
	else if (*p == 'M')
		scale = 1e6, p++;
	else if (*p == 'G')
		scale = 1e9, p++;
	if (*p != '\0' || !isfinite(value * scale) || value * scale > 1e15)
		return -1;
	return (int64_t) llround(value * scale);
}

/* A bitrate node's bits per second: a whole JSON number or a string with a unit; NAN if neither. */
static double
bitrate_value(const JobParamsNode *v)
{
	if (v->type == JP_NUMBER)
		return v->number == floor(v->number) ? v->number : NAN;
	if (v->type == JP_STRING && job_params_parse_bitrate(v->string) >= 0)
		return (double) job_params_parse_bitrate(v->string);
	return NAN;
}

static bool
valid_bitrate(const JobParamsNode *v, double min, double max)
{
	double		value = bitrate_value(v);

	return !isnan(value) && value >= min && value <= max;
}

/* Digits 'x' digits, nothing else (no sign or blank that sscanf would skip). */
static bool
valid_size(const char *s, int *height)
{
	size_t		w = s ? strspn(s, DIGITS) : 0;
	size_t		h = w && s[w] == 'x' ? strspn(s + w + 1, DIGITS) : 0;
	int			width;

	if (w == 0 || w > 4 || s[w] != 'x' || h == 0 || h > 4 || s[w + 1 + h] != '\0')
		return false;
	width = atoi(s);
	*height = atoi(s + w + 1);
	return width >= 16 && width <= 7680 && *height >= 16 && *height <= 4320 &&
		width % 2 == 0 && *height % 2 == 0;
}

static bool
valid_word(const char *s)
{
	return s != NULL && strlen(s) >= 1 && strlen(s) <= JOB_PARAMS_WORD_MAX &&
		strspn(s, WORD_CHARS) == strlen(s);
}

/* Whether v suits spec (renditions aside); *expected says what would. */
static bool
valid_value(const JobParamSpec *spec, const JobParamsNode *v, char *expected, size_t len)
{
	const char *s = node_string(v);
	double		n = v->type == JP_NUMBER ? v->number : NAN;
	int			height;

	switch (spec->kind)
	{
		case JPK_CHOICE:
			snprintf(expected, len, "one of: %s", spec->choices);
			return s && job_params_word_in(s, spec->choices);
		case JPK_INTEGER:
			snprintf(expected, len, "a whole number from %g to %g, written as a JSON number, not a string",
					 spec->min, spec->max);
			return !isnan(n) && n == floor(n) && n >= spec->min && n <= spec->max;
		case JPK_NUMBER:
			snprintf(expected, len, "a number from %g to %g, written as a JSON number, not a string",
					 spec->min, spec->max);
			return !isnan(n) && n >= spec->min && n <= spec->max;
		case JPK_BITRATE:
			snprintf(expected, len, "bits per second from %g to %g, such as 2500000, \"2500k\", \"2.5M\" or \"1G\"",
					 spec->min, spec->max);
			return valid_bitrate(v, spec->min, spec->max);
		case JPK_SIZE:
			snprintf(expected, len, "\"WIDTHxHEIGHT\" with even numbers, from 16x16 to 7680x4320");
			return valid_size(s, &height);
		case JPK_WORD:
			snprintf(expected, len, "1 to 32 lower-case letters, digits, '_' or '-'");
			return valid_word(s);
		case JPK_LANGUAGE:
			snprintf(expected, len, "an ISO 639-2 language code of three lower-case letters, such as \"eng\"");
			return s && strlen(s) == 3 && strspn(s, "abcdefghijklmnopqrstuvwxyz") == 3;
		case JPK_RENDITIONS:
			break;
	}
	return true;
}

static const JobParamSpec *
find_spec(const char *name)
{
	for (int i = 0; i < job_param_nspecs; i++)
		if (strcmp(name, job_param_specs[i].name) == 0)
			return &job_param_specs[i];
	return NULL;
}

/* Every member of object known here and well-formed; renditions apart. */
static bool
check_object(const JobParamsNode *object, int rendition, JobParamsVerdict *verdict)
{
	char		expected[256];
	char		param[64];

	for (int i = 0; i < object->nitems; i++)
	{
		const JobParamsNode *v = &object->items[i];
		const JobParamSpec *spec = find_spec(v->key);

		if (rendition >= 0 && (spec == NULL || !spec->per_rendition))
			return refuse(verdict, v->key, "A rendition may set name, size, video_bitrate, maxrate, bufsize, crf and fps.",
						  "unknown rendition option \"%.40s\"", v->key);
		if (rendition < 0 && (spec == NULL || !spec->top_level))
			return refuse(verdict, v->key, "The options are video_codec, audio_codec, format, encoder_preset, profile, crf, video_bitrate, maxrate, bufsize, audio_bitrate, gop, fps, size, audio_rate, audio_channels, duration, hls_segment_seconds, deinterlace, hdr, audio_track, audio_language and renditions.",
						  "unknown option \"%.40s\" in params", v->key);
		if (spec->kind == JPK_RENDITIONS || valid_value(spec, v, expected, sizeof(expected)))
			continue;
		if (rendition >= 0)
			snprintf(param, sizeof(param), "renditions[%d].%s", rendition, spec->name);
		else
			snprintf(param, sizeof(param), "%s", spec->name);
		refuse(verdict, param, "", "invalid value for params.%s", param);
		snprintf(verdict->hint, sizeof(verdict->hint), "Use %s.", expected);
		return false;
	}
	return true;
}

/* The ladder: objects with a size, 1 to 8 of them, names (given or "<height>p") unique. */
static bool
check_renditions(const JobParamsNode *list, JobParamsVerdict *verdict)
{
	char		names[JOB_PARAMS_MAX_RENDITIONS][JOB_PARAMS_WORD_MAX + 1];
	int			height;

	if (list->type != JP_ARRAY)
		return refuse(verdict, "renditions", "Pass an array of objects such as [{\"size\": \"1280x720\", \"video_bitrate\": \"2800k\"}].",
					  "params.renditions must be an array");
	if (list->nitems < 1 || list->nitems > JOB_PARAMS_MAX_RENDITIONS)
		return refuse(verdict, "renditions", "An adaptive bitrate ladder has 1 to 8 renditions.",
					  "params.renditions has %d entries", list->nitems);
	for (int i = 0; i < list->nitems; i++)
	{
		const JobParamsNode *r = &list->items[i];
		const char *name;

		if (r->type != JP_OBJECT)
			return refuse(verdict, "renditions", "Each rendition is an object with at least a size.",
						  "params.renditions[%d] must be an object", i);
		if (!check_object(r, i, verdict))
			return false;
		if (job_params_get(r, "size") == NULL)
			return refuse(verdict, "renditions", "Give every rendition a size such as \"1280x720\".",
						  "params.renditions[%d] has no size", i);
		name = node_string(job_params_get(r, "name"));
		if (name)
			snprintf(names[i], sizeof(names[i]), "%s", name);
		else if (valid_size(node_string(job_params_get(r, "size")), &height))
			snprintf(names[i], sizeof(names[i]), "%dp", height);
		for (int j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return refuse(verdict, "renditions",
							  "Each rendition names its playlist and segments, by default after its height (\"720p\"): give same-height renditions distinct names, such as \"name\": \"720p-wide\".",
							  "params.renditions[%d] and [%d] are both named \"%s\"", j, i, names[i]);
	}
	return true;
}

/* The member key of scope, else of the job-wide params (what a rendition inherits). */
static const JobParamsNode *
effective(const JobParamsNode *params, const JobParamsNode *scope, const char *key)
{
	const JobParamsNode *v = job_params_get(scope, key);

	return v ? v : job_params_get(params, key);
}

/* One rendition's (or the job's) encoding options against the encoder's limits. */
static bool
check_encoder_scope(const VideoEncoderLimits *enc, const JobParamsNode *params,
					const JobParamsNode *scope, const char *where, JobParamsVerdict *verdict)
{
	const JobParamsNode *crf = effective(params, scope, "crf");
	const char *size = node_string(effective(params, scope, "size"));
	int			height;

	if (crf && crf->number > enc->max_crf)
	{
		refuse(verdict, "crf", "", "video_codec %s takes crf 0 to %d, not %.0f%s",
			   enc->codec, enc->max_crf, crf->number, where);
		snprintf(verdict->hint, sizeof(verdict->hint), "Use a crf from 0 to %d with %s.", enc->max_crf, enc->codec);
		return false;
	}
	for (const char *const *key = (const char *const[]) {"video_bitrate", "maxrate", NULL}; *key; key++)
	{
		const JobParamsNode *v = effective(params, scope, *key);

		if (v && bitrate_value(v) > enc->max_bitrate)
		{
			refuse(verdict, *key, "", "video_codec %s takes %s up to %.0f, not %.0f%s",
				   enc->codec, *key, enc->max_bitrate, bitrate_value(v), where);
			snprintf(verdict->hint, sizeof(verdict->hint), "Use a %s of at most %.0fM with %s.",
					 *key, enc->max_bitrate / 1e6, enc->codec);
			return false;
		}
	}
	if (size && valid_size(size, &height) && (atoi(size) < enc->min_side || height < enc->min_side))
	{
		refuse(verdict, "size", "", "video_codec %s takes sizes from %dx%d, not %s%s",
			   enc->codec, enc->min_side, enc->min_side, size, where);
		snprintf(verdict->hint, sizeof(verdict->hint), "Use a size of at least %dx%d with %s.",
				 enc->min_side, enc->min_side, enc->codec);
		return false;
	}
	if (enc->rate_needs_bitrate && !effective(params, scope, "video_bitrate") &&
		(effective(params, scope, "maxrate") || effective(params, scope, "bufsize")))
		return refuse(verdict, "maxrate", "Add a video_bitrate, or remove maxrate and bufsize.",
					  "video_codec %s takes maxrate and bufsize only with a video_bitrate%s", enc->codec, where);
	return true;
}

/* What the chosen encoders take: their profiles and limits, an Opus bitrate within libopus's range. */
static bool
check_encoder_options(const JobParamsNode *params, const char *video, const char *audio, int gpus,
					  JobParamsVerdict *verdict)
{
	const char *profile = node_string(job_params_get(params, "profile"));
	const JobParamsNode *renditions = job_params_get(params, "renditions");
	const JobParamsNode *bitrate = job_params_get(params, "audio_bitrate");
	const JobParamsNode *channels = job_params_get(params, "audio_channels");
	const VideoEncoderLimits *enc = NULL;
	char		where[48];

	for (int i = 0; i < (int) (sizeof(video_encoders) / sizeof(video_encoders[0])); i++)
		if (strcmp(video, video_encoders[i].codec) == 0)
			enc = &video_encoders[i];
	if (enc && profile && enc->profiles == NULL)
		return refuse(verdict, "profile", "Remove params.profile: the encoder picks the profile its input needs.",
					  "video_codec %s takes no profile", video);
	if (enc && profile && !job_params_word_in(profile, enc->profiles))
	{
		refuse(verdict, "profile", "", "video_codec %s has no profile \"%s\"", video, profile);
		snprintf(verdict->hint, sizeof(verdict->hint), "Use one of: %s.", enc->profiles);
		return false;
	}
	if (enc && profile && gpus > 0 && enc->gpu_profiles && !job_params_word_in(profile, enc->gpu_profiles))
	{
		refuse(verdict, "profile", "", "video_codec %s on a GPU (NVENC) has no profile \"%s\"", video, profile);
		snprintf(verdict->hint, sizeof(verdict->hint), "Use one of: %s; or submit the job without gpus.",
				 enc->gpu_profiles);
		return false;
	}
	if (enc && !renditions && !check_encoder_scope(enc, params, params, "", verdict))
		return false;
	for (int i = 0; enc && renditions && i < renditions->nitems; i++)
	{
		snprintf(where, sizeof(where), " (renditions[%d])", i);
		if (!check_encoder_scope(enc, params, &renditions->items[i], where, verdict))
			return false;
	}
	/* Without audio_channels the input may have one channel: count one. */
	if (bitrate && strcmp(audio, "opus") == 0 &&
		bitrate_value(bitrate) > OPUS_MAX_BITRATE_PER_CHANNEL * (channels ? channels->number : 1))
		return refuse(verdict, "audio_bitrate", "Opus takes at most 256k per channel: lower audio_bitrate, or set audio_channels.",
					  "params.audio_bitrate %.0f is over what opus takes for %.0f %s",
					  bitrate_value(bitrate), channels ? channels->number : 1,
					  channels && channels->number > 1 ? "channels" : "channel");
	return true;
}

/* Refuses the first param that needs what (video or audio) encoded, which codec copies or drops. */
static bool
check_needs(const JobParamsNode *params, JobParamEncodes what, const char *codec, JobParamsVerdict *verdict)
{
	const char *stream = what == JPE_VIDEO ? "video" : "audio";

	for (int i = 0; i < job_param_nspecs; i++)
		if (job_param_specs[i].needs == what && job_params_get(params, job_param_specs[i].name))
		{
			refuse(verdict, job_param_specs[i].name, "",
				   "params.%s needs the %s to be encoded, but %s_codec is %s",
				   job_param_specs[i].name, stream, stream, codec);
			snprintf(verdict->hint, sizeof(verdict->hint),
					 "Remove params.%s or choose an encoding %s_codec.", job_param_specs[i].name, stream);
			return false;
		}
	return true;
}

/* The combinations: what needs encoding, what each container holds, the audio choice. */
static bool
check_combinations(const JobParamsNode *params, const char *output, int gpus, const char *format,
				   const char *video, const char *audio, JobParamsVerdict *verdict)
{
	const char *explicit_video = node_string(job_params_get(params, "video_codec"));
	const char *explicit_audio = node_string(job_params_get(params, "audio_codec"));
	bool		has_track = job_params_get(params, "audio_track") != NULL;
	bool		has_language = job_params_get(params, "audio_language") != NULL;

	if (!job_params_output_carries(output, format))
		return refuse(verdict, "format", "Remove params.format or set it to flv: an rtmp output carries FLV.",
					  "an rtmp output_url cannot carry format %s", format);
	if (job_params_get(params, "renditions") && strcmp(format, "hls") != 0)
		return refuse(verdict, "renditions", "Add \"format\": \"hls\": renditions make an HLS ladder.",
					  "params.renditions needs format hls");
	if (!job_params_word_in(video, "h264 h265 vp9 av1") && !check_needs(params, JPE_VIDEO, video, verdict))
		return false;
	if (!job_params_word_in(audio, "aac opus") && !check_needs(params, JPE_AUDIO, audio, verdict))
		return false;
	if (explicit_video && explicit_audio && strcmp(explicit_video, "none") == 0 &&
		strcmp(explicit_audio, "none") == 0)
		return refuse(verdict, "", "Keep the video or the audio: set video_codec or audio_codec to something other than none.",
					  "params drop both video and audio: the output would be empty");
	if (has_track && has_language)
		return refuse(verdict, "audio_language", "Choose the audio by index (audio_track) or by language (audio_language), not both.",
					  "params.audio_track and params.audio_language exclude each other");
	if (strcmp(audio, "none") == 0 && (has_track || has_language))
		return refuse(verdict, has_track ? "audio_track" : "audio_language",
					  "Remove the audio choice, or choose an audio_codec other than none.",
					  "params choose an audio track, but audio_codec is none");
	if (strcmp(format, "webm") == 0 && !job_params_word_in(video, "vp9 av1 copy none"))
		return refuse(verdict, "video_codec", "WebM holds vp9 or av1 video and opus audio.",
					  "format webm cannot hold video_codec %s", video);
	if (strcmp(format, "webm") == 0 && !job_params_word_in(audio, "opus copy none"))
		return refuse(verdict, "audio_codec", "WebM holds vp9 or av1 video and opus audio.",
					  "format webm cannot hold audio_codec %s", audio);
	if (strcmp(format, "hls") == 0 && !job_params_word_in(video, "h264 h265 copy none"))
		return refuse(verdict, "video_codec", "HLS segments (MPEG-TS) carry h264 or h265 video.",
					  "format hls cannot hold video_codec %s", video);
	if (strcmp(format, "flv") == 0 && !job_params_word_in(video, "h264 copy none"))
		return refuse(verdict, "video_codec", "FLV (RTMP) carries h264 video and aac audio.",
					  "format flv cannot hold video_codec %s", video);
	if (strcmp(format, "flv") == 0 && !job_params_word_in(audio, "aac copy none"))
		return refuse(verdict, "audio_codec", "FLV (RTMP) carries h264 video and aac audio.",
					  "format flv cannot hold audio_codec %s", audio);
	if (strcmp(format, "hls") == 0 && output && !job_params_is_network_output(output) && names_hls_output_error(output))
		return refuse(verdict, "", "Name the playlist itself (a path ending in .m3u8), or shorten the output path.",
					  "%s", names_hls_output_error(output));
	return check_encoder_options(params, video, audio, gpus, verdict);
}

/* Defaults as the worker applies them: the format from the output, codecs from the format. */
static void
resolve_codecs(const JobParamsNode *params, const char *output, const char **format,
			   const char **video, const char **audio)
{
	*format = node_string(job_params_get(params, "format"));
	*format = *format ? *format : job_params_format_from_output(output);
	*video = node_string(job_params_get(params, "video_codec"));
	*video = *video ? *video : (strcmp(*format, "webm") == 0 ? "vp9" : "h264");
	*audio = node_string(job_params_get(params, "audio_codec"));
	*audio = *audio ? *audio : (strcmp(*format, "webm") == 0 ? "opus" : "aac");
}

/*
 * The encoders Debian's libavcodec offers for each codec word.  NVENC is
 * taken only for jobs that asked for a GPU; av1 prefers SVT-AV1, which is
 * an order of magnitude faster than libaom at similar quality.
 */
const char *
job_params_encoder(const char *codec, int gpus)
{
	if (strcmp(codec, "h264") == 0)
		return gpus > 0 ? "h264_nvenc" : "libx264";
	if (strcmp(codec, "h265") == 0)
		return gpus > 0 ? "hevc_nvenc" : "libx265";
	if (strcmp(codec, "vp9") == 0)
		return "libvpx-vp9";
	if (strcmp(codec, "av1") == 0)
		return "libsvtav1";
	if (strcmp(codec, "aac") == 0)
		return "aac";
	if (strcmp(codec, "opus") == 0)
		return "libopus";
	return NULL;
}

int
job_params_encoders(const JobParamsNode *params, const char *output, int gpus,
					const char *encoders[JOB_PARAMS_MAX_ENCODERS])
{
	const char *format;
	const char *video;
	const char *audio;
	int			n = 0;

	if (params == NULL || params->type != JP_OBJECT)
		return 0;
	resolve_codecs(params, output, &format, &video, &audio);
	if ((encoders[n] = job_params_encoder(video, gpus)) != NULL)
		n++;
	/* Audio is never encoded on a GPU. */
	if ((encoders[n] = job_params_encoder(audio, 0)) != NULL)
		n++;
	return n;
}

int
job_params_any_encoders(int gpus, const char *encoders[JOB_PARAMS_ANY_ENCODERS])
{
	static const char *const streams[] = {"video_codec", "audio_codec"};
	int			n = 0;

	for (int s = 0; s < 2; s++)
		for (int i = 0; i < job_param_nspecs; i++)
		{
			const char *p = job_param_specs[i].choices;
			char		word[JOB_PARAMS_WORD_MAX + 1];

			if (strcmp(job_param_specs[i].name, streams[s]) != 0)
				continue;
			/* Each codec word of the param's choices, as the worker would encode it. */
			while (*p)
			{
				size_t		len = strcspn(p, " ");
				const char *name;

				snprintf(word, sizeof(word), "%.*s", (int) len, p);
				p += len + (p[len] == ' ');
				name = job_params_encoder(word, s == 0 ? gpus : 0);
				if (name != NULL && n < JOB_PARAMS_ANY_ENCODERS)
					encoders[n++] = name;
			}
		}
	return n;
}

bool
job_params_check(const JobParamsNode *params, const char *output, int gpus, JobParamsVerdict *verdict)
{
	const JobParamsNode *renditions;
	const char *format;
	const char *video;
	const char *audio;

	memset(verdict, 0, sizeof(*verdict));
	if (params == NULL || params->type != JP_OBJECT)
		return refuse(verdict, "", "Pass a JSON object such as '{\"video_codec\": \"h264\", \"size\": \"1280x720\"}'.",
					  "params must be a JSON object");
	if (!check_object(params, -1, verdict))
		return false;
	renditions = job_params_get(params, "renditions");
	if (renditions && !check_renditions(renditions, verdict))
		return false;

	resolve_codecs(params, output, &format, &video, &audio);
	return check_combinations(params, output, gpus, format, video, audio, verdict);
}
