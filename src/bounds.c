/*
 * bounds.c: the size, shape and character checks on what callers store.
 *
 * Each check names the argument it refuses, so "labels is too large" is never
 * reported as metadata, and runs before any row is touched: a refused call
 * changes nothing.  Sizes are checked before anything walks a value, so a
 * 50 MB string or a million-element array costs one length test.  The limits
 * themselves are in bounds.h.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

static void
too_long(const char *what, int size, const char *unit, int max)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s is too long (%d %s)", what, size, unit),
			 errhint("Use at most %d %s for %s.", max, unit, what)));
}

/* A C string of at most max_bytes bytes (words, names, keys). */
void
ffrtmp_check_text_bytes(const char *what, const char *value, int max_bytes)
{
	size_t		len;

	if (value == NULL)
		return;
	len = strlen(value);
	if (len > (size_t) max_bytes)
		too_long(what, (int) Min(len, (size_t) INT_MAX), "bytes", max_bytes);
}

/*
 * The control character that starts at s (len bytes left), as a code point,
 * or -1 when there is none: C0 (TEXT_MULTI_LINE: but newline and tab), DEL
 * and C1 (U+0080-U+009F, which terminals read as ESC sequences: U+009B is
 * CSI).  A carriage return is refused even in multi-line text: it rewrites
 * the line it ends on whoever's terminal prints it.
 */
static int
refused_control(const char *s, int len, TextRule rule)
{
	unsigned char c = (unsigned char) s[0];

	if (rule == TEXT_MULTI_LINE && (c == '\n' || c == '\t'))
		return -1;
	if (c < 0x20 || c == 0x7f)
		return c;
	/* C1 in UTF-8 is C2 80 to C2 9F; other encodings' text is left to their clients. */
	if (c == 0xC2 && len > 1 && (unsigned char) s[1] >= 0x80 && (unsigned char) s[1] <= 0x9F
		&& GetDatabaseEncoding() == PG_UTF8)
		return (unsigned char) s[1];
	return -1;
}

/* No control characters in value (TEXT_MULTI_LINE: newlines and tabs allowed). */
void
ffrtmp_check_no_controls(const char *what, const char *value, TextRule rule)
{
	int			len = value ? (int) strlen(value) : 0;

	for (int i = 0; i < len; i++)
	{
		int			c = refused_control(value + i, len - i, rule);

		if (c >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 c < 0x80 ? errmsg("%s contains a control character (\\x%02x)", what, c)
					 : errmsg("%s contains a control character (U+%04X)", what, c),
					 errhint(rule == TEXT_MULTI_LINE ? "Remove control characters other than newlines and tabs from %s."
							 : "Remove control characters, newlines and tabs from %s.", what)));
	}
}

/*
 * Free text people read (display names, descriptions): at most max_chars
 * characters, and no control characters, C1 and CR included (which forge
 * lines in logs and terminals); TEXT_MULTI_LINE allows newlines and tabs.
 */
void
ffrtmp_check_text_field(const char *what, text *value, int max_chars, TextRule rule)
{
	const char *s;
	int			bytes;
	int			chars;

	if (value == NULL)
		return;
	s = VARDATA_ANY(value);
	bytes = VARSIZE_ANY_EXHDR(value);
	chars = pg_mbstrlen_with_len(s, bytes);
	if (chars > max_chars)
		too_long(what, chars, "characters", max_chars);
	/* text holds no NUL byte, so the C-string scan sees all of it. */
	ffrtmp_check_no_controls(what, text_to_cstring(value), rule);
}

/*
 * Levels of nested objects and arrays (a flat object is 1), walked without
 * recursion (the value's size is bounded before this runs); *controls tells
 * whether a key or a string holds a control character other than a newline
 * or a tab, C1 included (JSON escapes C0 but not C1, and whoever prints the
 * value later escapes neither).
 */
static int
json_shape(Jsonb *value, bool *controls)
{
	JsonbIterator *it = JsonbIteratorInit(&value->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	int			depth = 0;
	int			deepest = 0;

	*controls = false;
	while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		if (token == WJB_BEGIN_OBJECT || token == WJB_BEGIN_ARRAY)
		{
			depth++;
			deepest = Max(deepest, depth);
		}
		else if (token == WJB_END_OBJECT || token == WJB_END_ARRAY)
			depth--;
		else if (v.type == jbvString)
		{
			for (int i = 0; i < v.val.string.len && !*controls; i++)
				*controls = refused_control(v.val.string.val + i, v.val.string.len - i, TEXT_MULTI_LINE) >= 0;
		}
	}
	return deepest;
}

/*
 * ffrtmp_data.json_has_controls(value): the same rule for the worker calls'
 * JSON (result, progress), which are written in SQL.
 */
PG_FUNCTION_INFO_V1(ffrtmp_json_has_controls);
Datum
ffrtmp_json_has_controls(PG_FUNCTION_ARGS)
{
	bool		controls;

	(void) json_shape(PG_GETARG_JSONB_P(0), &controls);
	PG_RETURN_BOOL(controls);
}

/* A JSON object of at most max_bytes (as stored) and max_depth levels. */
void
ffrtmp_check_json_object(const char *what, Jsonb *value, int max_bytes, int max_depth)
{
	size_t		bytes;
	int			depth;
	bool		controls;

	if (value == NULL)
		return;
	bytes = VARSIZE_ANY_EXHDR(value);
	if (bytes > (size_t) max_bytes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is too large (%zu bytes)", what, bytes),
				 errhint("Keep %s under %d KiB; store large documents elsewhere and reference them.",
						 what, max_bytes / 1024)));
	if (!JB_ROOT_IS_OBJECT(value) || JB_ROOT_IS_SCALAR(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a JSON object", what),
				 errhint("Pass a JSON object, for example '{\"team\": \"video\"}'.")));
	depth = json_shape(value, &controls);
	if (depth > max_depth)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is nested too deeply (%d levels)", what, depth),
				 errhint("Flatten %s to at most %d levels of nesting.", what, max_depth)));
	if (controls)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s holds a control character", what),
				 errhint("Keys and strings of %s may hold newlines and tabs but no other control characters.", what)));
}

static void
check_array_shape(const char *what, ArrayType *value, int max_elements)
{
	int			count = ArrayGetNItems(ARR_NDIM(value), ARR_DIMS(value));

	if (ARR_NDIM(value) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what),
				 errhint("Pass a flat array such as '{a,b}'.")));
	if (count > max_elements)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has too many elements (%d)", what, count),
				 errhint("Pass at most %d elements in %s.", max_elements, what)));
	if (array_contains_nulls(value))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain nulls", what),
				 errhint("Remove the null elements from %s.", what)));
}

/* An array of at most max_elements elements, none null. */
void
ffrtmp_check_array_length(const char *what, ArrayType *value, int max_elements)
{
	if (value != NULL)
		check_array_shape(what, value, max_elements);
}

/* A text[] of names: each 1 to max_element_bytes of letters, digits, '.', '_' and '-'. */
void
ffrtmp_check_word_array(const char *what, ArrayType *value, int max_elements, int max_element_bytes)
{
	Datum	   *elements;
	int			count;

	if (value == NULL)
		return;
	check_array_shape(what, value, max_elements);
	deconstruct_array(value, TEXTOID, -1, false, TYPALIGN_INT, &elements, NULL, &count);
	for (int i = 0; i < count; i++)
	{
		text	   *element = DatumGetTextPP(elements[i]);
		int			len = VARSIZE_ANY_EXHDR(element);
		const char *s = VARDATA_ANY(element);
		bool		ok = len >= 1 && len <= max_element_bytes;

		for (int j = 0; ok && j < len; j++)
			ok = isalnum((unsigned char) s[j]) || s[j] == '.' || s[j] == '_' || s[j] == '-';
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s[%d] is not a valid name (%d bytes)", what, i + 1, len),
					 errhint("Each element of %s is 1 to %d letters, digits, '.', '_' or '-'.",
							 what, max_element_bytes)));
	}
}

/* The tenant argument (a name or an id) as a C string, NULL when not given. */
char *
ffrtmp_tenant_arg(FunctionCallInfo fcinfo, int n)
{
	text	   *value = ffrtmp_tenant_arg_text(fcinfo, n);

	return value ? text_to_cstring(value) : NULL;
}

text *
ffrtmp_tenant_arg_text(FunctionCallInfo fcinfo, int n)
{
	text	   *value;

	if (PG_ARGISNULL(n))
		return NULL;
	value = PG_GETARG_TEXT_PP(n);
	if (VARSIZE_ANY_EXHDR(value) > TENANT_REF_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tenant is too long (%d bytes)", (int) VARSIZE_ANY_EXHDR(value)),
				 errhint("Name a tenant by its name (at most 63 characters) or its id.")));
	return value;
}
