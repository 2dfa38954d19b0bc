/*
 * metrics.c: the metric registry and its text exposition (see metrics.h).
 *
 * The format (Prometheus text format 0.0.4): per family a "# HELP" line
 * (backslash and newline escaped), a "# TYPE" line, then one line per
 * sample; label values escape backslash, double quote and newline.  A
 * histogram's buckets are cumulative (each counts the observations less
 * than or equal to its bound), the last is le="+Inf" and equals _count.
 */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct MetricSeries
{
	char	   *label_value;	/* NULL in a family without a label */
	double		value;			/* a counter's or gauge's value; a histogram's sum */
	unsigned long long count;	/* a histogram's observations */
	unsigned long long buckets[METRIC_MAX_BUCKETS];	/* per bound, not yet cumulative */
} MetricSeries;

typedef struct MetricFamily
{
	char	   *name;
	char	   *help;
	char	   *label;
	MetricType	type;
	double		bounds[METRIC_MAX_BUCKETS];
	int			nbounds;
	MetricSeries series[METRIC_MAX_SERIES];
	int			nseries;
} MetricFamily;

struct MetricRegistry
{
	pthread_mutex_t lock;
	MetricFamily families[METRIC_MAX_FAMILIES];
	int			nfamilies;
};

MetricRegistry *
metric_registry_new(void)
{
	MetricRegistry *r = calloc(1, sizeof(MetricRegistry));

	if (r != NULL)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

void
metric_registry_free(MetricRegistry *r)
{
	if (r == NULL)
		return;
	for (int f = 0; f < r->nfamilies; f++)
	{
		MetricFamily *family = &r->families[f];

		for (int s = 0; s < family->nseries; s++)
			free(family->series[s].label_value);
		free(family->name);
		free(family->help);
		free(family->label);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int
metric_family_add(MetricRegistry *r, const char *name, const char *help, MetricType type,
				  const char *label, const double *bounds, int nbounds)
{
	MetricFamily *family;
	int			id;

	if (nbounds < 0 || nbounds > METRIC_MAX_BUCKETS || (type == METRIC_HISTOGRAM) != (nbounds > 0))
		return -1;
	for (int i = 1; i < nbounds; i++)
		if (!(bounds[i] > bounds[i - 1]))
			return -1;
	pthread_mutex_lock(&r->lock);
	if (r->nfamilies == METRIC_MAX_FAMILIES)
	{
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	id = r->nfamilies;
	family = &r->families[id];
	memset(family, 0, sizeof(*family));
	family->name = strdup(name);
	family->help = strdup(help);
	family->label = label ? strdup(label) : NULL;
	family->type = type;
	if (nbounds > 0)
		memcpy(family->bounds, bounds, nbounds * sizeof(double));
	family->nbounds = nbounds;
	/* A family without a label has its one series from the start. */
	family->nseries = label == NULL ? 1 : 0;
	if (family->name == NULL || family->help == NULL || (label != NULL && family->label == NULL))
	{
		free(family->name);
		free(family->help);
		free(family->label);
		id = -1;
	}
	else
		r->nfamilies++;
	pthread_mutex_unlock(&r->lock);
	return id;
}

/* The series of label_value, created when new; NULL when it cannot be.  Under the lock. */
static MetricSeries *
find_series(MetricRegistry *r, int f, const char *label_value)
{
	MetricFamily *family;
	MetricSeries *series;

	if (f < 0 || f >= r->nfamilies)
		return NULL;
	family = &r->families[f];
	if (family->label == NULL)
		return &family->series[0];
	if (label_value == NULL)
		return NULL;
	for (int s = 0; s < family->nseries; s++)
		if (strcmp(family->series[s].label_value, label_value) == 0)
			return &family->series[s];
	if (family->nseries == METRIC_MAX_SERIES)
		return NULL;
	series = &family->series[family->nseries];
	memset(series, 0, sizeof(*series));
	if ((series->label_value = strdup(label_value)) == NULL)
		return NULL;
	family->nseries++;
	return series;
}

void
metric_add(MetricRegistry *r, int f, const char *label_value, double delta)
{
	MetricSeries *series;

	pthread_mutex_lock(&r->lock);
	series = find_series(r, f, label_value);
	/* A counter only goes up: a negative delta is a caller's bug, not a reset. */
	if (series != NULL && (r->families[f].type == METRIC_GAUGE ||
						   (r->families[f].type == METRIC_COUNTER && delta >= 0)))
		series->value += delta;
	pthread_mutex_unlock(&r->lock);
}

void
metric_set(MetricRegistry *r, int f, const char *label_value, double value)
{
	MetricSeries *series;

	pthread_mutex_lock(&r->lock);
	series = find_series(r, f, label_value);
	if (series != NULL && r->families[f].type == METRIC_GAUGE)
		series->value = value;
	pthread_mutex_unlock(&r->lock);
}

void
metric_observe(MetricRegistry *r, int f, const char *label_value, double value)
{
	MetricSeries *series;

	pthread_mutex_lock(&r->lock);
	series = find_series(r, f, label_value);
	if (series != NULL && r->families[f].type == METRIC_HISTOGRAM && !isnan(value))
	{
		const MetricFamily *family = &r->families[f];

		series->value += value;
		series->count++;
		for (int b = 0; b < family->nbounds; b++)
			if (value <= family->bounds[b])
			{
				series->buckets[b]++;
				break;
			}
	}
	pthread_mutex_unlock(&r->lock);
}

void
metric_touch(MetricRegistry *r, int f, const char *label_value)
{
	pthread_mutex_lock(&r->lock);
	(void) find_series(r, f, label_value);
	pthread_mutex_unlock(&r->lock);
}

/*
 * A sample value (or a bucket's bound) as Prometheus reads it: integers
 * without a fraction or an exponent, the rest in the shortest form that
 * reads back the same.
 */
static const char *
format_value(double value, char *text, size_t size)
{
	if (isnan(value))
		snprintf(text, size, "NaN");
	else if (isinf(value))
		snprintf(text, size, "%s", value > 0 ? "+Inf" : "-Inf");
	else if (value == floor(value) && fabs(value) < 1e15)
		snprintf(text, size, "%.0f", value);
	else
	{
		snprintf(text, size, "%.15g", value);
		if (strtod(text, NULL) != value)
			snprintf(text, size, "%.17g", value);
	}
	return text;
}

/* Backslash and newline escaped, and in a label value (quoted) the double quote too. */
static void
print_escaped(FILE *out, const char *text, int quoted)
{
	for (const char *c = text; *c; c++)
	{
		if (*c == '\\')
			fputs("\\\\", out);
		else if (*c == '\n')
			fputs("\\n", out);
		else if (*c == '"' && quoted)
			fputs("\\\"", out);
		else
			fputc(*c, out);
	}
}

/* The braces: the family's label, then le (a histogram's bucket) when given; nothing if neither. */
static void
print_labels(FILE *out, const MetricFamily *family, const MetricSeries *series, const char *le)
{
	if (family->label == NULL && le == NULL)
		return;
	fputc('{', out);
	if (family->label != NULL)
	{
		fprintf(out, "%s=\"", family->label);
		print_escaped(out, series->label_value, 1);
		fputc('"', out);
	}
	if (le != NULL)
		fprintf(out, "%sle=\"%s\"", family->label != NULL ? "," : "", le);
	fputc('}', out);
}

static void
print_histogram(FILE *out, const MetricFamily *family, const MetricSeries *series)
{
	unsigned long long cumulative = 0;
	char		le[40];

	for (int b = 0; b < family->nbounds; b++)
	{
		cumulative += series->buckets[b];
		fprintf(out, "%s_bucket", family->name);
		print_labels(out, family, series, format_value(family->bounds[b], le, sizeof(le)));
		fprintf(out, " %llu\n", cumulative);
	}
	fprintf(out, "%s_bucket", family->name);
	print_labels(out, family, series, "+Inf");
	fprintf(out, " %llu\n", series->count);
	fprintf(out, "%s_sum", family->name);
	print_labels(out, family, series, NULL);
	fprintf(out, " %s\n%s_count", format_value(series->value, le, sizeof(le)), family->name);
	print_labels(out, family, series, NULL);
	fprintf(out, " %llu\n", series->count);
}

char *
metric_registry_render(MetricRegistry *r)
{
	static const char *const type_names[] = {"counter", "gauge", "histogram"};
	char	   *text = NULL;
	size_t		len = 0;
	FILE	   *out = open_memstream(&text, &len);

	if (out == NULL)
		return NULL;
	pthread_mutex_lock(&r->lock);
	for (int f = 0; f < r->nfamilies; f++)
	{
		const MetricFamily *family = &r->families[f];
		char		value[40];

		fprintf(out, "# HELP %s ", family->name);
		print_escaped(out, family->help, 0);
		fprintf(out, "\n# TYPE %s %s\n", family->name, type_names[family->type]);
		for (int s = 0; s < family->nseries; s++)
		{
			const MetricSeries *series = &family->series[s];

			if (family->type == METRIC_HISTOGRAM)
			{
				print_histogram(out, family, series);
				continue;
			}
			fputs(family->name, out);
			print_labels(out, family, series, NULL);
			fprintf(out, " %s\n", format_value(series->value, value, sizeof(value)));
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (fclose(out) != 0)
	{
		free(text);
		return NULL;
	}
	return text;
}
