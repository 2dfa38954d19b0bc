/*
 * priority.c: the ffrtmp.priority type.
 *
 * An int4 on disk and in memory; its input accepts the words low, medium and
 * high as well as numbers, so that submit_job(priority => 'high') and
 * submit_job(priority => 5) both work from psql and from PostgREST JSON.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "utils/builtins.h"

#define PRIORITY_MIN (-1000)
#define PRIORITY_MAX 1000

static const struct
{
	const char *word;
	int32		value;
}			priority_words[] = {
	{"low", -100},
	{"medium", 0},
	{"high", 100},
};

static int32
checked_priority(int64 value, const char *as_given)
{
	if (value < PRIORITY_MIN || value > PRIORITY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("priority %s is out of range", ffrtmp_echo(as_given)),
				 errhint("Use a number from %d to %d, or low, medium or high.",
						 PRIORITY_MIN, PRIORITY_MAX)));
	return (int32) value;
}

PG_FUNCTION_INFO_V1(ffrtmp_priority_in);
Datum
ffrtmp_priority_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	char	   *end;
	long		number;

	for (int i = 0; i < lengthof(priority_words); i++)
		if (pg_strcasecmp(input, priority_words[i].word) == 0)
			PG_RETURN_INT32(priority_words[i].value);

	errno = 0;
	number = strtol(input, &end, 10);
	if (end == input || *end != '\0' || errno == ERANGE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid priority: \"%s\"", ffrtmp_echo(input)),
				 errhint("Use a number from %d to %d, or low, medium or high.",
						 PRIORITY_MIN, PRIORITY_MAX)));
	PG_RETURN_INT32(checked_priority(number, input));
}

PG_FUNCTION_INFO_V1(ffrtmp_priority_out);
Datum
ffrtmp_priority_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("%d", PG_GETARG_INT32(0)));
}

PG_FUNCTION_INFO_V1(ffrtmp_priority_from_int);
Datum
ffrtmp_priority_from_int(PG_FUNCTION_ARGS)
{
	int32		value = PG_GETARG_INT32(0);

	PG_RETURN_INT32(checked_priority(value, psprintf("%d", value)));
}
