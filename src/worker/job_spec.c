/*
 * job_spec.c: reading a job's params JSON into a JobSpec.
 *
 * The rules are the common contract's (src/common/job_params.c), the same
 * code submit_job runs: json-c becomes the common tree, the contract says
 * yes or no, and only then are the values read into a JobSpec.  A refusal
 * here means a hand-edited row or an older database: the job fails as a user
 * error before any work starts.
 */
#include "job_spec.h"
#include "../common/job_params.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
fail(char *err, size_t errlen, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	vsnprintf(err, errlen, format, args);
	va_end(args);
	return -1;
}

/* The position of word in a NULL-terminated list, or -1. */
static int
word_index(const char *word, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(word, list[i]) == 0)
			return i;
	return -1;
}

static int
word_in(const char *word, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(word, *list) == 0)
			return 1;
	return 0;
}

int64_t
job_spec_parse_bitrate(const char *text)
{
	return job_params_parse_bitrate(text);
}

/* The params' words for OutputFormat, in its order. */
static const char *const formats[] = {"mp4", "mkv", "webm", "hls", "flv", NULL};

const char *
job_spec_format_name(OutputFormat format)
{
	return formats[format];
}

const char *
job_spec_extension(OutputFormat format)
{
	static const char *const extensions[] = {"mp4", "mkv", "webm", "m3u8", "flv"};

	return extensions[format];
}

/*
 * NVENC's speed presets are p1 (fastest) to p7 (slowest), and p4, its
 * default, is medium's place; of x264's words FFmpeg 5.1's NVENC takes only
 * slow, medium and fast (as p7, p4 and p1).  One step of x264's scale is one
 * of NVENC's, around medium, and the ends share p7 and p1.
 */
const char *
job_spec_nvenc_preset(const char *preset)
{
	static const char *const steps[] = {"p7", "p7", "p6", "p5", "p4", "p3", "p2", "p1", "p1", "p1"};
	int			rank = job_params_speed_rank(preset);

	return rank >= 0 ? steps[rank] : NULL;
}

/* Reads a number, or a string holding one, as the database accepts both. */
static int
get_number(json_object *v, double *out)
{
	char	   *end;

	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
	{
		*out = json_object_get_double(v);
		return isfinite(*out) ? 0 : -1;
	}
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = strtod(json_object_get_string(v), &end);
	return (*end == '\0' && end != json_object_get_string(v) && isfinite(*out)) ? 0 : -1;
}

static int
get_int(json_object *v, int min, int max, int *out)
{
	double		d;

	if (get_number(v, &d) < 0 || d != floor(d) || d < min || d > max)
		return -1;
	*out = (int) d;
	return 0;
}

static int
get_bitrate(json_object *v, int64_t *out)
{
	char		text[64];
	double		d;

	if (json_object_is_type(v, json_type_string))
		*out = job_spec_parse_bitrate(json_object_get_string(v));
	else if (get_number(v, &d) == 0 && d >= 1 && d <= 1e12)
	{
		snprintf(text, sizeof(text), "%.0f", d);
		*out = job_spec_parse_bitrate(text);
	}
	else
		*out = -1;
	return *out > 0 ? 0 : -1;
}

static int
get_word(json_object *v, char *out, const char *const *allowed)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (strlen(s) == 0 || strlen(s) >= JOB_SPEC_WORD ||
		strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s))
		return -1;
	if (allowed && !word_in(s, allowed))
		return -1;
	strcpy(out, s);
	return 0;
}

static int
get_size(json_object *v, int *width, int *height)
{
	int			consumed = 0;

	if (!json_object_is_type(v, json_type_string) ||
		sscanf(json_object_get_string(v), "%5dx%5d%n", width, height, &consumed) != 2 ||
		json_object_get_string(v)[consumed] != '\0')
		return -1;
	return (*width >= 16 && *width <= 7680 && *height >= 16 && *height <= 4320 &&
			*width % 2 == 0 && *height % 2 == 0) ? 0 : -1;
}

/*
 * Options a rendition may set, read into r.  Returns 1 when key was one of
 * them, 0 when it was not, -1 when its value is bad.
 */
static int
parse_rendition_option(const char *key, json_object *v, Rendition *r)
{
	if (strcmp(key, "size") == 0)
		return get_size(v, &r->width, &r->height) == 0 ? 1 : -1;
	if (strcmp(key, "video_bitrate") == 0)
		return get_bitrate(v, &r->video_bitrate) == 0 ? 1 : -1;
	if (strcmp(key, "maxrate") == 0)
		return get_bitrate(v, &r->maxrate) == 0 ? 1 : -1;
	if (strcmp(key, "bufsize") == 0)
		return get_bitrate(v, &r->bufsize) == 0 ? 1 : -1;
	if (strcmp(key, "crf") == 0)
		return get_int(v, 0, 63, &r->crf) == 0 ? 1 : -1;
	if (strcmp(key, "fps") == 0)
		return (get_number(v, &r->fps) == 0 && r->fps >= 1 && r->fps <= 240) ? 1 : -1;
	if (strcmp(key, "name") == 0)
		return get_word(v, r->name, NULL) == 0 ? 1 : -1;
	return 0;
}

static int
parse_renditions(json_object *array, JobSpec *spec, char *err, size_t errlen)
{
	size_t		n;

	if (!json_object_is_type(array, json_type_array))
		return fail(err, errlen, "params.renditions must be an array");
	n = json_object_array_length(array);
	if (n < 1 || n > JOB_SPEC_MAX_RENDITIONS)
		return fail(err, errlen, "params.renditions has %zu entries; a ladder has 1 to %d",
					n, JOB_SPEC_MAX_RENDITIONS);
	for (size_t i = 0; i < n; i++)
	{
		json_object *item = json_object_array_get_idx(array, i);
		Rendition  *r = &spec->renditions[i];

		/* Each rung starts from the job-wide settings and overrides them. */
		*r = spec->renditions[JOB_SPEC_MAX_RENDITIONS - 1];
		r->name[0] = '\0';
		if (!json_object_is_type(item, json_type_object))
			return fail(err, errlen, "params.renditions[%zu] must be an object", i);
		json_object_object_foreach(item, key, v)
		{
			int			known = parse_rendition_option(key, v, r);

			if (known == 0)
				return fail(err, errlen, "unknown rendition option \"%.40s\"", key);
			if (known < 0)
				return fail(err, errlen, "invalid value for params.renditions[%zu].%s", i, key);
		}
		if (r->height == 0)
			return fail(err, errlen, "params.renditions[%zu] has no size", i);
		if (r->name[0] == '\0')
			snprintf(r->name, sizeof(r->name), "%dp", r->height);
	}
	spec->nrenditions = (int) n;
	spec->ladder = 1;
	return 0;
}

/*
 * Parses text as PostgreSQL's json type does: json-c in strict mode (no
 * trailing commas, comments or leading zeros), valid UTF-8, and nothing after
 * the value.  NULL with *error set otherwise.
 */
static json_object *
parse_strict(const char *text, const char **error)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = NULL;

	if (tok == NULL)
	{
		*error = "out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* Length with the NUL: the tokener must see the end, or it waits for more. */
	root = json_tokener_parse_ex(tok, text, (int) strlen(text) + 1);
	*error = json_tokener_error_desc(json_tokener_get_error(tok));
	if (root != NULL && json_tokener_get_parse_end(tok) < strlen(text))
	{
		json_object_put(root);
		root = NULL;
		*error = "text after the JSON value";
	}
	json_tokener_free(tok);
	return root;
}

/* A json-c value as the common contract's tree (malloc'd; free_node frees it). */
static void
to_node(json_object *v, JobParamsNode *node)
{
	JobParamsNode *items;
	int			n = 0;

	memset(node, 0, sizeof(*node));
	switch (json_object_get_type(v))
	{
		case json_type_string:
			/* A "\u0000" inside (which jsonb refuses) would cut the C string short. */
			node->type = (size_t) json_object_get_string_len(v) == strlen(json_object_get_string(v)) ?
				JP_STRING : JP_NULL;
			node->string = json_object_get_string(v);
			break;
		case json_type_int:
		case json_type_double:
			node->type = JP_NUMBER;
			node->number = json_object_get_double(v);
			break;
		case json_type_boolean:
			node->type = JP_BOOL;
			break;
		case json_type_array:
			node->type = JP_ARRAY;
			node->nitems = (int) json_object_array_length(v);
			items = calloc(node->nitems + 1, sizeof(*items));
			for (int i = 0; items && i < node->nitems; i++)
				to_node(json_object_array_get_idx(v, i), &items[i]);
			node->items = items;
			break;
		case json_type_object:
			node->type = JP_OBJECT;
			node->nitems = json_object_object_length(v);
			items = calloc(node->nitems + 1, sizeof(*items));
			json_object_object_foreach(v, key, member)
			{
				if (items == NULL)
					break;
				to_node(member, &items[n]);
				items[n++].key = key;
			}
			node->items = items;
			break;
		default:
			node->type = JP_NULL;
			break;
	}
	if ((node->type == JP_ARRAY || node->type == JP_OBJECT) && node->items == NULL)
		node->nitems = 0;
}

static void
free_node(JobParamsNode *node)
{
	for (int i = 0; i < node->nitems; i++)
		free_node((JobParamsNode *) &node->items[i]);
	free((void *) node->items);
}

/* The common contract's verdict on params; 0, or -1 with its message and hint in err. */
static int
check_contract(json_object *root, const char *output_hint, int gpus, char *err, size_t errlen)
{
	JobParamsNode tree;
	JobParamsVerdict verdict;
	int			ok;

	to_node(root, &tree);
	ok = job_params_check(&tree, output_hint, gpus, &verdict);
	free_node(&tree);
	if (ok)
		return 0;
	return fail(err, errlen, "%s (hint: %s)", verdict.message, verdict.hint);
}

int
job_spec_parse(const char *params_json, const char *output_hint, int gpus, JobSpec *spec,
			   char *err, size_t errlen)
{
	static const char *const video_codecs[] = {"h264", "h265", "vp9", "av1", "copy", "none", NULL};
	static const char *const audio_codecs[] = {"aac", "opus", "copy", "none", NULL};
	static const char *const deinterlace_modes[] = {"auto", "on", "off", NULL};
	static const char *const hdr_modes[] = {"auto", "keep", "tonemap", NULL};
	char		word[JOB_SPEC_WORD];
	const char *jerr;
	json_object *root;
	json_object *renditions = NULL;
	Rendition  *base = &spec->renditions[JOB_SPEC_MAX_RENDITIONS - 1];
	char		format[JOB_SPEC_WORD] = "";
	int			rc = -1;

	memset(spec, 0, sizeof(*spec));
	base->crf = -1;
	spec->hls_segment_seconds = 4;
	spec->audio_track = -1;
	root = parse_strict(params_json ? params_json : "{}", &jerr);
	if (root == NULL)
		return fail(err, errlen, "params are not JSON: %s", jerr);
	if (!json_object_is_type(root, json_type_object))
	{
		fail(err, errlen, "params must be a JSON object");
		goto end;
	}
	if (check_contract(root, output_hint, gpus, err, errlen) < 0)
		goto end;

	/* Accepted: read the values (the checks below only guard the reading). */
	json_object_object_foreach(root, key, v)
	{
		int			bad;

		if (strcmp(key, "renditions") == 0)
		{
			renditions = v;
			continue;
		}
		if (strcmp(key, "name") != 0 && (bad = parse_rendition_option(key, v, base)) != 0)
		{
			if (bad < 0)
			{
				fail(err, errlen, "invalid value for params.%s", key);
				goto end;
			}
			continue;
		}
		if (strcmp(key, "format") == 0)
			bad = get_word(v, format, formats);
		else if (strcmp(key, "video_codec") == 0)
			bad = get_word(v, spec->video_codec, video_codecs);
		else if (strcmp(key, "audio_codec") == 0)
			bad = get_word(v, spec->audio_codec, audio_codecs);
		else if (strcmp(key, "encoder_preset") == 0)
			bad = get_word(v, spec->encoder_preset, NULL);
		else if (strcmp(key, "profile") == 0)
			bad = get_word(v, spec->profile, NULL);
		else if (strcmp(key, "gop") == 0)
			bad = get_int(v, 1, 1000, &spec->gop);
		else if (strcmp(key, "audio_bitrate") == 0)
			bad = get_bitrate(v, &spec->audio_bitrate);
		else if (strcmp(key, "audio_rate") == 0)
			bad = get_int(v, 8000, 192000, &spec->audio_rate);
		else if (strcmp(key, "audio_channels") == 0)
			bad = get_int(v, 1, 8, &spec->audio_channels);
		else if (strcmp(key, "duration") == 0)
			bad = (get_number(v, &spec->duration) == 0 && spec->duration > 0 && spec->duration <= 86400) ? 0 : -1;
		else if (strcmp(key, "hls_segment_seconds") == 0)
			bad = (get_number(v, &spec->hls_segment_seconds) == 0 &&
				   spec->hls_segment_seconds >= 1 && spec->hls_segment_seconds <= 60) ? 0 : -1;
		else if (strcmp(key, "deinterlace") == 0)
		{
			bad = get_word(v, word, deinterlace_modes);
			spec->deinterlace = bad ? DEINTERLACE_AUTO : (DeinterlaceMode) word_index(word, deinterlace_modes);
		}
		else if (strcmp(key, "hdr") == 0)
		{
			bad = get_word(v, word, hdr_modes);
			spec->hdr = bad ? HDR_AUTO : (HdrMode) word_index(word, hdr_modes);
		}
		else if (strcmp(key, "audio_track") == 0)
			bad = get_int(v, 0, 63, &spec->audio_track);
		else if (strcmp(key, "audio_language") == 0)
			bad = (json_object_is_type(v, json_type_string) && strlen(json_object_get_string(v)) == 3 &&
				   strspn(json_object_get_string(v), "abcdefghijklmnopqrstuvwxyz") == 3) ?
				(strcpy(spec->audio_language, json_object_get_string(v)), 0) : -1;
		else
		{
			fail(err, errlen, "unknown option \"%.40s\" in params", key);
			goto end;
		}
		if (bad)
		{
			fail(err, errlen, "invalid value for params.%s", key);
			goto end;
		}
	}

	/* The format: as asked, else from the output's name, else MP4. */
	if (format[0] == '\0')
		strcpy(format, job_params_format_from_output(output_hint));
	for (int i = 0; formats[i]; i++)
		if (strcmp(format, formats[i]) == 0)
			spec->format = (OutputFormat) i;

	/* Codecs the container can hold, unless the caller chose (the contract's defaults). */
	if (spec->video_codec[0] == '\0')
		strcpy(spec->video_codec, spec->format == FORMAT_WEBM ? "vp9" : "h264");
	if (spec->audio_codec[0] == '\0')
		strcpy(spec->audio_codec, spec->format == FORMAT_WEBM ? "opus" : "aac");

	if (renditions)
	{
		if (parse_renditions(renditions, spec, err, errlen) < 0)
			goto end;
	}
	else
	{
		spec->renditions[0] = *base;
		spec->nrenditions = 1;
	}
	rc = 0;

end:
	json_object_put(root);
	return rc;
}

int
job_spec_encodes_video(const JobSpec *spec)
{
	return strcmp(spec->video_codec, "copy") != 0 && strcmp(spec->video_codec, "none") != 0;
}

int
job_spec_encodes_audio(const JobSpec *spec)
{
	return strcmp(spec->audio_codec, "copy") != 0 && strcmp(spec->audio_codec, "none") != 0;
}
