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
#include "common/job_params.h"
#include "common/names.h"

#include <ctype.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
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

/* A job's queue: live, default or batch (dispatch ranks them in that order). */
void
ffrtmp_check_queue(const char *queue)
{
	if (!job_params_word_in(queue, "live default batch"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown queue \"%s\"", ffrtmp_echo(queue)),
				 errhint("Use live, default or batch.")));
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
	/* Past a double's range: infinity or zero, which every bound refuses, not a numeric error. */
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
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

void
ffrtmp_check_quotas(Jsonb *quotas)
{
	ObjectWalk	walk;

	if (!JB_ROOT_IS_OBJECT(quotas) || JB_ROOT_IS_SCALAR(quotas))
		invalid("Pass a JSON object, for example '{\"max_jobs\": 500}'.",
				"quotas must be a JSON object");
	/* A few quotas, each a number, null or "default": a flat, small object. */
	ffrtmp_check_json_object("quotas", quotas, QUOTAS_MAX_BYTES, 1);
	walk_begin(&walk, &quotas->root);
	while (walk_next(&walk))
	{
		char	   *word = jsonb_string(&walk.value);

		/* The quotas are the rows of the quota table (quota_checks.c), and the API rate. */
		if (ffrtmp_find_quota(walk.key) == NULL && strcmp(walk.key, FFRTMP_API_RATE_QUOTA) != 0)
			invalid(psprintf("The quotas are %s.", ffrtmp_quota_key_list()),
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

/*
 * The rules live in src/common/job_params.c, shared with the worker: here a
 * jsonb value becomes the common tree, and a refusal becomes an ereport.
 */

bool
ffrtmp_word_in_list(const char *word, const char *list)
{
	return job_params_word_in(word, list);
}

static void to_node(const JsonbValue *v, JobParamsNode *node);

/* The elements (or key/value members) of an array or object container. */
static void
container_to_node(JsonbContainer *container, JobParamsNode *node)
{
	JsonbIterator *it = JsonbIteratorInit(container);
	JsonbIteratorToken token;
	JsonbValue	v;
	JobParamsNode *items = NULL;
	int			n = 0;
	int			allocated = 0;
	char	   *key = NULL;

	node->type = JsonContainerIsObject(container) ? JP_OBJECT : JP_ARRAY;
	while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
		{
			key = pnstrdup(v.val.string.val, v.val.string.len);
			continue;
		}
		if (token != WJB_VALUE && token != WJB_ELEM)
			continue;
		if (n == allocated)
		{
			allocated = allocated ? allocated * 2 : 8;
			items = items ? repalloc(items, allocated * sizeof(*items)) : palloc(allocated * sizeof(*items));
		}
		memset(&items[n], 0, sizeof(items[n]));
		to_node(&v, &items[n]);
		items[n++].key = token == WJB_VALUE ? key : NULL;
	}
	node->items = items;
	node->nitems = n;
}

static void
to_node(const JsonbValue *v, JobParamsNode *node)
{
	switch (v->type)
	{
		case jbvString:
			node->type = JP_STRING;
			node->string = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			node->type = JP_NUMBER;
			node->number = jsonb_number(v);
			break;
		case jbvBool:
			node->type = JP_BOOL;
			break;
		case jbvBinary:
			container_to_node(v->val.binary.data, node);
			break;
		default:
			node->type = JP_NULL;
			break;
	}
}

/*
 * Checks a job's encode parameters (a preset's merged with the caller's):
 * every option known and well-formed, and the combinations consistent.
 * output_url (or NULL) picks the format when params has none, as the worker
 * does, and takes part in the rules (an rtmp output carries FLV), as do the
 * job's gpus (NVENC's profiles).
 */
void
ffrtmp_check_params(Jsonb *params, const char *output_url, int gpus)
{
	JobParamsNode root = {0};
	JobParamsVerdict verdict;

	if (!JB_ROOT_IS_OBJECT(params) || JB_ROOT_IS_SCALAR(params))
		root.type = JP_NULL;
	else
	{
		ffrtmp_check_json_object("params", params, PARAMS_MAX_BYTES, PARAMS_MAX_DEPTH);
		container_to_node(&params->root, &root);
	}
	if (!job_params_check(&root, output_url, gpus, &verdict))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", verdict.message),
				 errhint("%s", verdict.hint)));
}

/*
 * ffrtmp_data.job_encoders(params, output_url, gpus): the encoders a job
 * needs (job_params_encoders, the rule the worker encodes by), for dispatch
 * and the rejection of jobs no node can encode.  Immutable: the same
 * arguments always need the same encoders.
 */
PG_FUNCTION_INFO_V1(ffrtmp_job_encoders);
Datum
ffrtmp_job_encoders(PG_FUNCTION_ARGS)
{
	Jsonb	   *params = PG_ARGISNULL(0) ? NULL : PG_GETARG_JSONB_P(0);
	char	   *output = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	int			gpus = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	JobParamsNode root = {0};
	const char *names[JOB_PARAMS_MAX_ENCODERS];
	Datum		items[JOB_PARAMS_MAX_ENCODERS];
	int			count = 0;

	if (params && JB_ROOT_IS_OBJECT(params) && !JB_ROOT_IS_SCALAR(params))
	{
		container_to_node(&params->root, &root);
		count = job_params_encoders(&root, output, gpus, names);
	}
	for (int i = 0; i < count; i++)
		items[i] = CStringGetTextDatum(names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * ffrtmp_data.any_job_encoders(gpus): every encoder a job with gpus GPUs may
 * need (job_params_any_encoders).  A node offering them all encodes any
 * such job, so the search for jobs no node can encode skips the per-job
 * rule where such a node exists.
 */
PG_FUNCTION_INFO_V1(ffrtmp_any_job_encoders);
Datum
ffrtmp_any_job_encoders(PG_FUNCTION_ARGS)
{
	const char *names[JOB_PARAMS_ANY_ENCODERS];
	Datum		items[JOB_PARAMS_ANY_ENCODERS];
	int			count = job_params_any_encoders(PG_GETARG_INT32(0), names);

	for (int i = 0; i < count; i++)
		items[i] = CStringGetTextDatum(names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * ffrtmp_data.check_job_urls(input_url, output_url): submit_job's rules for a
 * job's URLs, for the API functions written in SQL that store them
 * (import_job).  A NULL output_url is none; a NULL input_url is refused.
 */
PG_FUNCTION_INFO_V1(ffrtmp_check_job_urls);
Datum
ffrtmp_check_job_urls(PG_FUNCTION_ARGS)
{
	ffrtmp_require_arg(fcinfo, 0, "input_url");
	ffrtmp_check_input_url(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	if (!PG_ARGISNULL(1))
		ffrtmp_check_output_url(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}
