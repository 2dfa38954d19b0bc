/*
 * test_progress_report.c: a job's progress report goes into a heartbeat only
 * as JSON that PostgreSQL's jsonb takes.  json-c alone reads NaN, Infinity,
 * \u0000 and bytes that are not UTF-8, which would make the database refuse
 * the whole heartbeat (every job of the node) for one job's report.
 */
#include "../progress_report.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>

static int
taken(const char *report)
{
	json_object *o = progress_report_parse(report);

	json_object_put(o);
	return o != NULL;
}

int
main(void)
{
	char	   *big = malloc(PROGRESS_REPORT_MAX + 16);

	CHECK(taken("{\"frames\": 120, \"fps\": 29.97, \"percent\": 40.5, \"label\": \"caf\xc3\xa9\"}"),
		  "a report of numbers and UTF-8 strings is taken");
	CHECK(taken("{\"nested\": {\"list\": [1, 2.5, \"x\"]}, \"negative\": -3, \"big\": 1e300}"),
		  "nested objects and arrays, negative and large finite numbers are taken");
	CHECK(!taken("{\"percent\": NaN}"), "NaN is not (jsonb refuses the token)");
	CHECK(!taken("{\"percent\": Infinity}"), "Infinity is not");
	CHECK(!taken("{\"percent\": -Infinity}"), "-Infinity is not");
	CHECK(!taken("{\"percent\": 1e999}"), "a number past a double's range is not");
	CHECK(!taken("{\"list\": [1, NaN]}"), "NaN in a nested array is not");
	CHECK(!taken("{\"s\": \"a\\u0000b\"}"), "\\u0000 in a string is not (jsonb cannot store it)");
	CHECK(!taken("{\"s\": \"\xff\xfe\"}"), "bytes that are not UTF-8 in a string are not");
	CHECK(!taken("{\"\xc0\xaf\": 1}"), "an overlong UTF-8 form in a key is not");
	CHECK(!taken("[1, 2]"), "an array is not a report");
	CHECK(!taken("42"), "nor is a number");
	CHECK(!taken("{\"a\": "), "nor is JSON cut short");
	CHECK(!taken(NULL), "nor is nothing");
	memset(big, ' ', PROGRESS_REPORT_MAX + 8);
	memcpy(big, "{\"a\": 1}", 8);
	big[PROGRESS_REPORT_MAX + 8] = '\0';
	CHECK(!taken(big), "nor a report over 4096 bytes");
	big[PROGRESS_REPORT_MAX] = '\0';
	CHECK(taken(big), "4096 bytes are taken");
	free(big);
	return check_summary();
}
