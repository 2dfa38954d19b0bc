/*
 * progress_report.c: what of a job's progress reports the database takes
 * (see progress_report.h).
 */
#include "progress_report.h"
#include "utf8.h"

#include <math.h>
#include <string.h>

/* Whether len bytes at s are UTF-8 without NUL, as PostgreSQL's text takes them. */
static int
text_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len;)
	{
		int			n;

		if (s[i] == '\0')
			return 0;
		n = utf8_length((const unsigned char *) s + i);
		if (n == 0 || i + n > len)
			return 0;
		i += n;
	}
	return 1;
}

/* Whether every number below o is finite and every key and string fits text_ok (json-c bounds the depth). */
static int
value_ok(json_object *o)
{
	switch (json_object_get_type(o))
	{
		case json_type_double:
			return isfinite(json_object_get_double(o));
		case json_type_string:
			return text_ok(json_object_get_string(o), (size_t) json_object_get_string_len(o));
		case json_type_array:
			for (size_t i = 0; i < json_object_array_length(o); i++)
				if (!value_ok(json_object_array_get_idx(o, i)))
					return 0;
			return 1;
		case json_type_object:
			{
				json_object_object_foreach(o, key, value)
				{
					if (!text_ok(key, strlen(key)) || !value_ok(value))
						return 0;
				}
				return 1;
			}
		default:
			return 1;
	}
}

json_object *
progress_report_parse(const char *report)
{
	json_object *parsed;

	if (report == NULL || strlen(report) > PROGRESS_REPORT_MAX || (parsed = json_tokener_parse(report)) == NULL)
		return NULL;
	if (json_object_is_type(parsed, json_type_object) && value_ok(parsed))
		return parsed;
	json_object_put(parsed);
	return NULL;
}
