/*
 * validate.c: argument checks shared by the API functions.
 *
 * Everything here runs before any row is touched, so a bad call fails without
 * side effects, with SQLSTATE 22023 (HTTP 400 through PostgREST) and a hint
 * that says what would have been accepted.  Values are echoed back only in
 * part, so a 10 KB argument does not become a 10 KB error message.
 */
#include "ffrtmp.h"
#include "bounds.h"
#include "common/names.h"

#include <ctype.h>
#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

/* The start of a value, safe to put in a message (see echo.c). */
#define echo(value) ffrtmp_echo(value)

#define invalid(hint_text, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
			 errmsg(__VA_ARGS__), \
			 errhint("%s", hint_text)))

/* A text argument as a C string, or NULL for SQL NULL. */
char *
ffrtmp_text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

void
ffrtmp_require_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name),
				 errhint("Pass a value for %s.", name)));
}

void
ffrtmp_check_tenant_name(const char *name)
{
	size_t		len = strlen(name);
	bool		ok = len >= 1 && len <= 63 && name[0] >= 'a' && name[0] <= 'z' &&
		name[len - 1] != '-';
	pg_uuid_t	ignored;

	for (size_t i = 0; ok && i < len; i++)
		ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
			name[i] == '-';
	if (!ok || ffrtmp_parse_uuid(name, &ignored))
		invalid("Use 1 to 63 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen.",
				"invalid tenant name \"%s\"", echo(name));
}

void
ffrtmp_check_metadata(Jsonb *metadata)
{
	ffrtmp_check_json_object("metadata", metadata, METADATA_MAX_BYTES, METADATA_MAX_DEPTH);
}

/* A JSON number as a double, or NAN when the value is not a number. */
static double
jsonb_number(const JsonbValue *v)
{
	if (v->type != jbvNumeric)
		return NAN;
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
}

static char *
jsonb_string(const JsonbValue *v)
{
	return v->type == jbvString ? pnstrdup(v->val.string.val, v->val.string.len) : NULL;
}

static bool
is_integer_in(double value, double min, double max)
{
	return !isnan(value) && value == floor(value) && value >= min && value <= max;
}

/* Iterates the key/value pairs of a JSON object container (nested values stay binary). */
typedef struct ObjectWalk
{
	JsonbIterator *it;
	char	   *key;
	JsonbValue	value;
} ObjectWalk;

static void
walk_begin(ObjectWalk *walk, JsonbContainer *container)
{
	JsonbValue	ignored;

	walk->it = JsonbIteratorInit(container);
	(void) JsonbIteratorNext(&walk->it, &ignored, true);	/* WJB_BEGIN_OBJECT */
}

static bool
walk_next(ObjectWalk *walk)
{
	JsonbValue	key;

	if (JsonbIteratorNext(&walk->it, &key, true) != WJB_KEY)
		return false;
	walk->key = pnstrdup(key.val.string.val, key.val.string.len);
	(void) JsonbIteratorNext(&walk->it, &walk->value, true);	/* WJB_VALUE */
	return true;
}

static const char *const quota_names[] = {
	"max_jobs", "max_workers", "max_cpu_cores", "max_gpus", "max_jobs_per_hour",
};

void
ffrtmp_check_quotas(Jsonb *quotas)
{
	ObjectWalk	walk;

	if (!JB_ROOT_IS_OBJECT(quotas) || JB_ROOT_IS_SCALAR(quotas))
		invalid("Pass a JSON object, for example '{\"max_jobs\": 500}'.",
				"quotas must be a JSON object");
	/* Five quotas, each a number, null or "default": a flat, small object. */
	ffrtmp_check_json_object("quotas", quotas, QUOTAS_MAX_BYTES, 1);
	walk_begin(&walk, &quotas->root);
	while (walk_next(&walk))
	{
		bool		known = false;
		char	   *word = jsonb_string(&walk.value);

		for (int i = 0; i < lengthof(quota_names); i++)
			known |= strcmp(walk.key, quota_names[i]) == 0;
		if (!known)
			invalid("The quotas are max_jobs, max_workers, max_cpu_cores, max_gpus and max_jobs_per_hour.",
					"unknown quota \"%s\"", echo(walk.key));
		if (walk.value.type == jbvNull || (word && strcmp(word, "default") == 0))
			continue;
		if (!is_integer_in(jsonb_number(&walk.value), 0, 1000000000))
			invalid("Use a whole number from 0 to 1000000000, null for unlimited, or \"default\" for the plan's value.",
					"invalid value for quota \"%s\"", echo(walk.key));
	}
}

/* ---- URLs ---------------------------------------------------------------- */

static bool
has_unsafe_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char) *s <= ' ' || (unsigned char) *s == 0x7f)
			return true;
	return false;
}

/* what is "input" or "output"; the host must pass the network policy. */
static void
check_network_url(const char *what, const char *url, const char *rest)
{
	if (strcspn(rest, "/?#") == 0)
		invalid("Write it as scheme://host[:port]/path.", "%s_url has no host: \"%s\"", what,
				ffrtmp_echo_url(url));
	ffrtmp_check_url_host(what, url);
}

static long
parse_bounded_int(const char **cursor, long min, long max, bool *ok)
{
	char	   *end;
	long		value;

	if (!isdigit((unsigned char) **cursor))
	{
		*ok = false;
		return 0;
	}
	value = strtol(*cursor, &end, 10);
	*ok = *ok && end - *cursor <= 6 && value >= min && value <= max;
	*cursor = end;
	return value;
}

/*
 * testsrc://[WxH][@fps][?duration=seconds]: a generated test pattern and tone,
 * e.g. testsrc://1920x1080@60?duration=300.  Defaults: 1280x720@30, 10 s.
 */
static void
check_testsrc(const char *url, const char *spec)
{
	const char *p = spec;
	bool		ok = true;

	if (isdigit((unsigned char) *p))
	{
		parse_bounded_int(&p, 16, 7680, &ok);
		ok = ok && *p++ == 'x';
		parse_bounded_int(&p, 16, 4320, &ok);
	}
	if (ok && *p == '@')
	{
		p++;
		parse_bounded_int(&p, 1, 240, &ok);
	}
	if (ok && *p == '?')
	{
		p++;
		ok = strncmp(p, "duration=", 9) == 0;
		p += ok ? 9 : 0;
		parse_bounded_int(&p, 1, 86400, &ok);
	}
	if (!ok || *p != '\0')
		invalid("Write testsrc://WIDTHxHEIGHT@FPS?duration=SECONDS, for example testsrc://1280x720@30?duration=10 (16x16 to 7680x4320, 1 to 240 fps, 1 to 86400 s).",
				"invalid test source \"%s\"", ffrtmp_echo_url(url));
}

void
ffrtmp_check_input_url(const char *url)
{
	static const char *const schemes[] = {"file", "rtmp", "rtmps", "http", "https", "testsrc"};
	const char *separator = strstr(url, "://");
	const char *rest;
	char	   *scheme;
	bool		known = false;

	if (strlen(url) == 0 || strlen(url) > URL_MAX_BYTES)
		invalid("Pass a URL of 1 to 4096 bytes.", "input_url must be 1 to %d bytes long", URL_MAX_BYTES);
	if (has_unsafe_bytes(url))
		invalid("Percent-encode spaces and control characters.",
				"input_url contains spaces or control characters");
	if (separator == NULL)
		invalid("Use file://, rtmp://, rtmps://, http://, https:// or testsrc://.",
				"input_url \"%s\" has no scheme", ffrtmp_echo_url(url));

	scheme = pnstrdup(url, separator - url);
	rest = separator + 3;
	for (int i = 0; i < lengthof(schemes); i++)
		known |= strcmp(scheme, schemes[i]) == 0;
	if (!known)
		invalid("Use file://, rtmp://, rtmps://, http://, https:// or testsrc://.",
				"unsupported input_url scheme \"%s\"", echo(scheme));

	if (strcmp(scheme, "file") == 0)
	{
		char	   *path = palloc(NAMES_PATH_MAX);
		const char *why = names_file_url_path(url, path, NAMES_PATH_MAX);

		if (why != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid file input_url \"%s\"", ffrtmp_echo_url(url)),
					 errdetail("%s.", why),
					 errhint("Write file:// and an absolute path without . or .. segments, percent-encoding spaces, '#', '?' and '%%' (RFC 8089), for example file:///media/in/my%%20clip.mp4.")));
	}
	else if (strcmp(scheme, "testsrc") == 0)
		check_testsrc(url, rest);
	else
		check_network_url("input", url, rest);
}

void
ffrtmp_check_output_url(const char *url)
{
	const char *hint = "Use a path relative to the tenant's output directory (up to 1024 bytes of letters, digits, '.', '_', '-' and '/'; no name starting with '.'; the file name at most 208 bytes), or an rtmp:// or rtmps:// URL.";
	const char *why;
	size_t		len = strlen(url);

	if (has_unsafe_bytes(url) || len == 0 || len > URL_MAX_BYTES)
		invalid(hint, "invalid output_url \"%s\"", ffrtmp_echo_url(url));
	if (strncmp(url, "rtmp://", 7) == 0 || strncmp(url, "rtmps://", 8) == 0)
	{
		check_network_url("output", url, strstr(url, "://") + 3);
		return;
	}
	if ((why = names_output_path_error(url)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid output_url \"%s\"", ffrtmp_echo_url(url)),
				 errdetail("%s.", why),
				 errhint("%s", hint)));
}

/* ---- Encode parameters ----------------------------------------------------- */

typedef enum OptionKind
{
	OPT_CHOICE,				/* one of a list of words */
	OPT_INTEGER,				/* whole number in [min, max] */
	OPT_NUMBER,				/* number in [min, max] */
	OPT_BITRATE,				/* bits per second: 2500000, "2500k" or "2.5M" */
	OPT_SIZE,					/* "WIDTHxHEIGHT", even, 16 to 7680 x 4320 */
	OPT_WORD,					/* [a-z0-9_-]{1,32}, e.g. an encoder preset */
	OPT_LANGUAGE,				/* ISO 639-2 code: three lower-case letters */
	OPT_RENDITIONS,			/* array of rendition objects */
} OptionKind;

typedef struct ParamSpec
{
	const char *name;
	OptionKind	kind;
	double		min;
	double		max;
	const char *choices;		/* space-separated, for OPT_CHOICE */
	bool		per_rendition;	/* may also appear inside a rendition */
} ParamSpec;

static const ParamSpec param_specs[] = {
	{"video_codec", OPT_CHOICE, 0, 0, "h264 h265 vp9 av1 copy none", false},
	{"audio_codec", OPT_CHOICE, 0, 0, "aac opus copy none", false},
	{"format", OPT_CHOICE, 0, 0, "mp4 mkv webm hls flv", false},
	{"encoder_preset", OPT_WORD, 0, 0, NULL, false},
	{"profile", OPT_WORD, 0, 0, NULL, false},
	{"crf", OPT_INTEGER, 0, 63, NULL, true},
	{"video_bitrate", OPT_BITRATE, 1e3, 1e9, NULL, true},
	{"maxrate", OPT_BITRATE, 1e3, 1e9, NULL, true},
	{"bufsize", OPT_BITRATE, 1e3, 1e9, NULL, true},
	{"audio_bitrate", OPT_BITRATE, 8e3, 1e6, NULL, false},
	{"gop", OPT_INTEGER, 1, 1000, NULL, false},
	{"fps", OPT_NUMBER, 1, 240, NULL, true},
	{"size", OPT_SIZE, 0, 0, NULL, true},
	{"audio_rate", OPT_INTEGER, 8000, 192000, NULL, false},
	{"audio_channels", OPT_INTEGER, 1, 8, NULL, false},
	{"duration", OPT_NUMBER, 0.001, 86400, NULL, false},
	{"hls_segment_seconds", OPT_NUMBER, 1, 60, NULL, false},
	{"deinterlace", OPT_CHOICE, 0, 0, "auto on off", false},
	{"hdr", OPT_CHOICE, 0, 0, "auto keep tonemap", false},
	{"audio_track", OPT_INTEGER, 0, 63, NULL, false},
	{"audio_language", OPT_LANGUAGE, 0, 0, NULL, false},
	{"renditions", OPT_RENDITIONS, 1, 8, NULL, false},
	{"name", OPT_WORD, 0, 0, NULL, true},
};

#define PARAM_NAMES "video_codec, audio_codec, format, encoder_preset, profile, crf, video_bitrate, maxrate, bufsize, audio_bitrate, gop, fps, size, audio_rate, audio_channels, duration, hls_segment_seconds, deinterlace, hdr, audio_track, audio_language and renditions"

/* True when word is one of the space-separated words of list. */
bool
ffrtmp_word_in_list(const char *word, const char *list)
{
	size_t		len = strlen(word);

	for (const char *p = list; *p; p += strcspn(p, " "), p += (*p == ' '))
		if (strncmp(p, word, len) == 0 && (p[len] == ' ' || p[len] == '\0') && len > 0)
			return true;
	return false;
}

static bool
valid_bitrate(const JsonbValue *v, double min, double max)
{
	char	   *s = jsonb_string(v);
	char	   *end;
	double		value;

	if (s == NULL)
		return is_integer_in(jsonb_number(v), min, max);
	errno = 0;
	value = strtod(s, &end);
	if (end == s || errno != 0 || !isdigit((unsigned char) s[0]))
		return false;
	if (*end == 'k' || *end == 'K')
		value *= 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		value *= 1e6, end++;
	return *end == '\0' && value >= min && value <= max;
}

static bool
valid_size(const JsonbValue *v)
{
	char	   *s = jsonb_string(v);
	int			width,
				height,
				consumed = 0;

	return s != NULL && sscanf(s, "%5dx%5d%n", &width, &height, &consumed) == 2 &&
		s[consumed] == '\0' && isdigit((unsigned char) s[0]) &&
		width >= 16 && width <= 7680 && height >= 16 && height <= 4320 &&
		width % 2 == 0 && height % 2 == 0;
}

static bool
valid_word(const JsonbValue *v)
{
	char	   *s = jsonb_string(v);

	return s != NULL && strlen(s) >= 1 && strlen(s) <= 32 &&
		strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == strlen(s);
}

static void check_param_object(JsonbContainer *container, bool in_rendition);

static void
check_renditions(const ParamSpec *spec, const JsonbValue *v)
{
	JsonbIterator *it;
	JsonbValue	element;
	JsonbIteratorToken token;
	int			count = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		invalid("Pass an array of objects such as [{\"size\": \"1280x720\", \"video_bitrate\": \"2800k\"}].",
				"params.renditions must be an array");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((token = JsonbIteratorNext(&it, &element, true)) != WJB_DONE)
	{
		if (token != WJB_ELEM)
			continue;
		if (element.type != jbvBinary || !JsonContainerIsObject(element.val.binary.data))
			invalid("Each rendition is an object with at least a size.",
					"params.renditions[%d] must be an object", count);
		check_param_object(element.val.binary.data, true);
		if (getKeyJsonValueFromContainer(element.val.binary.data, "size", 4, NULL) == NULL)
			invalid("Give every rendition a size such as \"1280x720\".",
					"params.renditions[%d] has no size", count);
		count++;
	}
	if (count < spec->min || count > spec->max)
		invalid("An adaptive bitrate ladder has 1 to 8 renditions.",
				"params.renditions has %d entries", count);
}

static void
check_param_value(const ParamSpec *spec, const JsonbValue *v)
{
	bool		ok = false;
	const char *expected = "";

	switch (spec->kind)
	{
		case OPT_CHOICE:
			ok = v->type == jbvString && ffrtmp_word_in_list(jsonb_string(v), spec->choices);
			expected = psprintf("one of: %s", spec->choices);
			break;
		case OPT_INTEGER:
			ok = is_integer_in(jsonb_number(v), spec->min, spec->max);
			expected = psprintf("a whole number from %g to %g", spec->min, spec->max);
			break;
		case OPT_NUMBER:
			ok = !isnan(jsonb_number(v)) && jsonb_number(v) >= spec->min && jsonb_number(v) <= spec->max;
			expected = psprintf("a number from %g to %g", spec->min, spec->max);
			break;
		case OPT_BITRATE:
			ok = valid_bitrate(v, spec->min, spec->max);
			expected = psprintf("bits per second from %g to %g, such as 2500000, \"2500k\" or \"2.5M\"",
								spec->min, spec->max);
			break;
		case OPT_SIZE:
			ok = valid_size(v);
			expected = "\"WIDTHxHEIGHT\" with even numbers, from 16x16 to 7680x4320";
			break;
		case OPT_WORD:
			ok = valid_word(v);
			expected = "1 to 32 lower-case letters, digits, '_' or '-'";
			break;
		case OPT_LANGUAGE:
			ok = jsonb_string(v) != NULL && strlen(jsonb_string(v)) == 3 &&
				strspn(jsonb_string(v), "abcdefghijklmnopqrstuvwxyz") == 3;
			expected = "an ISO 639-2 language code of three lower-case letters, such as \"eng\"";
			break;
		case OPT_RENDITIONS:
			check_renditions(spec, v);
			return;
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for params.%s", spec->name),
				 errhint("Use %s.", expected)));
}

static void
check_param_object(JsonbContainer *container, bool in_rendition)
{
	ObjectWalk	walk;

	walk_begin(&walk, container);
	while (walk_next(&walk))
	{
		const ParamSpec *spec = NULL;

		for (int i = 0; i < lengthof(param_specs); i++)
			if (strcmp(walk.key, param_specs[i].name) == 0)
				spec = &param_specs[i];
		if (spec == NULL || (in_rendition && !spec->per_rendition) ||
			(!in_rendition && strcmp(spec->name, "name") == 0))
		{
			if (in_rendition)
				invalid("A rendition may set name, size, video_bitrate, maxrate, bufsize, crf and fps.",
						"unknown rendition option \"%s\"", echo(walk.key));
			invalid("The options are " PARAM_NAMES ".", "unknown option \"%s\" in params", echo(walk.key));
		}
		check_param_value(spec, &walk.value);
	}
}

static char *
param_word(Jsonb *params, const char *key)
{
	JsonbValue *v = getKeyJsonValueFromContainer(&params->root, key, strlen(key), NULL);

	return v ? jsonb_string(v) : NULL;
}

static bool
has_param(Jsonb *params, const char *key)
{
	return getKeyJsonValueFromContainer(&params->root, key, strlen(key), NULL) != NULL;
}

/*
 * Checks a job's encode parameters (a preset's merged with the caller's):
 * every option known and well-formed, and the combinations consistent.
 */
void
ffrtmp_check_params(Jsonb *params)
{
	static const char *const needs_encoding[] = {"size", "fps", "crf", "video_bitrate", "gop", "renditions",
	"deinterlace", "hdr"};
	char	   *video;
	char	   *audio;
	char	   *format;

	if (!JB_ROOT_IS_OBJECT(params) || JB_ROOT_IS_SCALAR(params))
		invalid("Pass a JSON object such as '{\"video_codec\": \"h264\", \"size\": \"1280x720\"}'.",
				"params must be a JSON object");
	ffrtmp_check_json_object("params", params, PARAMS_MAX_BYTES, PARAMS_MAX_DEPTH);
	check_param_object(&params->root, false);
	video = param_word(params, "video_codec");
	audio = param_word(params, "audio_codec");
	format = param_word(params, "format");

	if (has_param(params, "renditions") && (format == NULL || strcmp(format, "hls") != 0))
		invalid("Add \"format\": \"hls\": renditions make an HLS ladder.",
				"params.renditions needs format hls");
	for (int i = 0; video && (strcmp(video, "copy") == 0 || strcmp(video, "none") == 0) &&
		 i < lengthof(needs_encoding); i++)
		if (has_param(params, needs_encoding[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("params.%s needs the video to be encoded, but video_codec is %s",
							needs_encoding[i], video),
					 errhint("Remove params.%s or choose an encoding video_codec.", needs_encoding[i])));
	if (video && audio && strcmp(video, "none") == 0 && strcmp(audio, "none") == 0)
		invalid("Keep the video or the audio: set video_codec or audio_codec to something other than none.",
				"params drop both video and audio: the output would be empty");
	if (has_param(params, "audio_track") && has_param(params, "audio_language"))
		invalid("Choose the audio by index (audio_track) or by language (audio_language), not both.",
				"params.audio_track and params.audio_language exclude each other");
	if (audio && strcmp(audio, "none") == 0 &&
		(has_param(params, "audio_track") || has_param(params, "audio_language")))
		invalid("Remove the audio choice, or choose an audio_codec other than none.",
				"params choose an audio track, but audio_codec is none");
	if (format && strcmp(format, "webm") == 0 && video && !ffrtmp_word_in_list(video, "vp9 av1 none"))
		invalid("WebM holds vp9 or av1 video and opus audio.", "format webm cannot hold video_codec %s", video);
	if (format && strcmp(format, "webm") == 0 && audio && !ffrtmp_word_in_list(audio, "opus none"))
		invalid("WebM holds vp9 or av1 video and opus audio.", "format webm cannot hold audio_codec %s", audio);
	if (format && strcmp(format, "hls") == 0 && video && !ffrtmp_word_in_list(video, "h264 h265 copy none"))
		invalid("HLS segments (MPEG-TS) carry h264 or h265 video.", "format hls cannot hold video_codec %s", video);
	if (format && strcmp(format, "flv") == 0 && video && !ffrtmp_word_in_list(video, "h264 copy none"))
		invalid("FLV (RTMP) carries h264 video.", "format flv cannot hold video_codec %s", video);
}
