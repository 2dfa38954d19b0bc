/*
 * test_metrics.c: the metric registry's text exposition (metrics.h), as a
 * Prometheus server parses it: help and type lines, escaped label values,
 * cumulative histogram buckets ending in +Inf, and values it reads back.
 */
#include "../metrics.h"
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
has_line(const char *text, const char *line)
{
	size_t		len = strlen(line);

	for (const char *at = text; (at = strstr(at, line)) != NULL; at++)
		if ((at == text || at[-1] == '\n') && at[len] == '\n')
			return 1;
	return 0;
}

static void
test_counters_and_gauges(void)
{
	MetricRegistry *r = metric_registry_new();
	int			up = metric_family_add(r, "t_up", "1 while up.", METRIC_GAUGE, NULL, NULL, 0);
	int			bytes = metric_family_add(r, "t_bytes_total", "Bytes.", METRIC_COUNTER, NULL, NULL, 0);
	int			jobs = metric_family_add(r, "t_jobs_total", "Jobs by state.", METRIC_COUNTER, "state", NULL, 0);
	char	   *text;

	CHECK(up >= 0 && bytes >= 0 && jobs >= 0, "families are added");
	text = metric_registry_render(r);
	CHECK(has_line(text, "# HELP t_up 1 while up.") && has_line(text, "# TYPE t_up gauge"),
		  "a family has its HELP and TYPE lines");
	CHECK(has_line(text, "t_up 0") && has_line(text, "t_bytes_total 0"),
		  "a family without a label exports its one series at 0 from the start");
	CHECK(has_line(text, "# TYPE t_jobs_total counter") && strstr(text, "t_jobs_total{") == NULL,
		  "a labelled family has no series before one is used");
	free(text);

	metric_set(r, up, NULL, 1);
	metric_add(r, bytes, NULL, 1500);
	metric_add(r, bytes, NULL, 2500);
	metric_add(r, bytes, NULL, -10);
	metric_touch(r, jobs, "failed");
	metric_add(r, jobs, "completed", 1);
	metric_add(r, jobs, "completed", 1);
	metric_set(r, jobs, "completed", 100);
	text = metric_registry_render(r);
	CHECK(has_line(text, "t_up 1"), "a gauge is set");
	CHECK(has_line(text, "t_bytes_total 4000"), "a counter adds, and never goes down");
	CHECK(has_line(text, "t_jobs_total{state=\"completed\"} 2"), "a labelled counter counts per label value");
	CHECK(has_line(text, "t_jobs_total{state=\"failed\"} 0"), "a touched series is exported at 0");
	CHECK(strstr(text, "t_jobs_total{state=\"failed\"}") < strstr(text, "t_jobs_total{state=\"completed\"}"),
		  "series keep the order they appeared in");
	CHECK(strstr(text, "# HELP t_up") < strstr(text, "# HELP t_bytes_total") &&
		  strstr(text, "# HELP t_bytes_total") < strstr(text, "# HELP t_jobs_total"),
		  "families keep the order they were added in");
	free(text);

	metric_set(r, up, NULL, 0.25);
	text = metric_registry_render(r);
	CHECK(has_line(text, "t_up 0.25"), "a fraction is written as is");
	free(text);
	metric_set(r, up, NULL, 1.0 / 3);
	text = metric_registry_render(r);
	CHECK(strstr(text, "\nt_up 0.3333333333333333") != NULL, "a value is written so that it reads back the same");
	free(text);
	metric_set(r, up, NULL, 1e20);
	text = metric_registry_render(r);
	CHECK(has_line(text, "t_up 1e+20"), "a large value is written with an exponent");
	free(text);
	metric_set(r, up, NULL, NAN);
	text = metric_registry_render(r);
	CHECK(has_line(text, "t_up NaN"), "NaN is written as Prometheus spells it");
	free(text);
	metric_registry_free(r);
}

static void
test_escaping(void)
{
	MetricRegistry *r = metric_registry_new();
	int			f = metric_family_add(r, "t_esc", "A help with a back\\slash\nand a newline, \"quoted\".",
									  METRIC_GAUGE, "name", NULL, 0);
	char	   *text;

	metric_set(r, f, "a\"b\\c\nd", 1);
	metric_set(r, f, "plain", 2);
	metric_set(r, f, "caf\xc3\xa9", 3);
	text = metric_registry_render(r);
	CHECK(has_line(text, "# HELP t_esc A help with a back\\\\slash\\nand a newline, \"quoted\"."),
		  "help text escapes backslash and newline, not the double quote");
	CHECK(has_line(text, "t_esc{name=\"a\\\"b\\\\c\\nd\"} 1"),
		  "a label value escapes double quote, backslash and newline");
	CHECK(has_line(text, "t_esc{name=\"plain\"} 2"), "a plain label value is written as is");
	CHECK(has_line(text, "t_esc{name=\"caf\xc3\xa9\"} 3"), "UTF-8 in a label value is kept");
	free(text);
	metric_registry_free(r);
}

static void
test_histograms(void)
{
	static const double bounds[] = {0.01, 0.1, 1};
	static const double bad[] = {0.1, 0.1};
	MetricRegistry *r = metric_registry_new();
	int			h = metric_family_add(r, "t_seconds", "Durations.", METRIC_HISTOGRAM, NULL, bounds, 3);
	int			l = metric_family_add(r, "t_by_queue_seconds", "Per queue.", METRIC_HISTOGRAM, "queue", bounds, 3);
	char	   *text;

	CHECK(metric_family_add(r, "t_bad", "Bad.", METRIC_HISTOGRAM, NULL, bad, 2) < 0,
		  "bounds that do not increase are refused");
	CHECK(metric_family_add(r, "t_bad", "Bad.", METRIC_HISTOGRAM, NULL, NULL, 0) < 0,
		  "a histogram without bounds is refused");
	text = metric_registry_render(r);
	CHECK(has_line(text, "# TYPE t_seconds histogram"), "a histogram's TYPE line");
	CHECK(has_line(text, "t_seconds_bucket{le=\"0.01\"} 0") && has_line(text, "t_seconds_bucket{le=\"+Inf\"} 0") &&
		  has_line(text, "t_seconds_sum 0") && has_line(text, "t_seconds_count 0"),
		  "a histogram without observations exports its zeros");
	free(text);

	metric_observe(r, h, NULL, 0.005);
	metric_observe(r, h, NULL, 0.01);
	metric_observe(r, h, NULL, 0.5);
	metric_observe(r, h, NULL, 7);
	metric_observe(r, l, "live", 0.05);
	text = metric_registry_render(r);
	CHECK(has_line(text, "t_seconds_bucket{le=\"0.01\"} 2"), "a bound counts the observations equal to it");
	CHECK(has_line(text, "t_seconds_bucket{le=\"0.1\"} 2"), "buckets are cumulative");
	CHECK(has_line(text, "t_seconds_bucket{le=\"1\"} 3"), "a bucket counts every smaller observation");
	CHECK(has_line(text, "t_seconds_bucket{le=\"+Inf\"} 4"), "+Inf counts every observation");
	CHECK(has_line(text, "t_seconds_count 4") && has_line(text, "t_seconds_sum 7.515"),
		  "_count and _sum");
	CHECK(strstr(text, "le=\"0.01\"") < strstr(text, "le=\"0.1\"") &&
		  strstr(text, "le=\"1\"") < strstr(text, "le=\"+Inf\""), "buckets in increasing order, +Inf last");
	CHECK(has_line(text, "t_by_queue_seconds_bucket{queue=\"live\",le=\"0.1\"} 1") &&
		  has_line(text, "t_by_queue_seconds_bucket{queue=\"live\",le=\"+Inf\"} 1") &&
		  has_line(text, "t_by_queue_seconds_count{queue=\"live\"} 1"),
		  "a labelled histogram puts le after its label");
	free(text);
	metric_registry_free(r);
}

static void
test_limits(void)
{
	MetricRegistry *r = metric_registry_new();
	int			f = metric_family_add(r, "t_many", "Many.", METRIC_COUNTER, "n", NULL, 0);
	int			g = metric_family_add(r, "t_gauge", "Gauge.", METRIC_GAUGE, NULL, NULL, 0);
	char		value[16];
	char	   *text;

	for (int i = 0; i < METRIC_MAX_SERIES + 5; i++)
	{
		snprintf(value, sizeof(value), "v%d", i);
		metric_add(r, f, value, 1);
	}
	metric_observe(r, g, NULL, 3);
	metric_add(r, f, NULL, 1);
	text = metric_registry_render(r);
	CHECK(strstr(text, "t_many{n=\"v63\"} 1") != NULL && strstr(text, "t_many{n=\"v64\"}") == NULL,
		  "label values beyond the bound are dropped, not grown without end");
	CHECK(has_line(text, "t_gauge 0"), "an observation in a gauge is ignored");
	free(text);
	for (int i = 0; i < METRIC_MAX_FAMILIES; i++)
		(void) metric_family_add(r, "t_fill", "Fill.", METRIC_GAUGE, NULL, NULL, 0);
	CHECK(metric_family_add(r, "t_more", "More.", METRIC_GAUGE, NULL, NULL, 0) < 0,
		  "a full registry refuses another family");
	metric_registry_free(r);
}

int
main(void)
{
	test_counters_and_gauges();
	test_escaping();
	test_histograms();
	test_limits();
	return check_summary();
}
