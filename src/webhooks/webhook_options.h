/*
 * webhook_options.h: ffrtmp-webhooks' command line.
 */
#ifndef FFRTMP_WEBHOOK_OPTIONS_H
#define FFRTMP_WEBHOOK_OPTIONS_H

#include <stddef.h>

#define WEBHOOK_MAX_ALLOW 64

typedef struct WebhookOptions
{
	const char *conninfo;
	const char *allow_network[WEBHOOK_MAX_ALLOW];
	int			nallow_network;
	int			batch;
	int			concurrency;	/* requests in flight at once */
	long		timeout_ms;
	long		poll_ms;
	long		retry_initial_ms;
	long		retry_max_ms;
	long		retry_for_ms;
	int			once;
	int			help;
	int			version;
} WebhookOptions;

/* 0, or -1 with a message in err (exit status 2). */
extern int	webhook_options_parse(int argc, char **argv, WebhookOptions *o, char *err, size_t errlen);

extern void webhook_options_usage(void);

/* "500ms", "10s", "2m", "1h" or a bare number of seconds, in ms; -1 when not one. */
extern long webhook_parse_duration_ms(const char *text);

/* How long to wait before the attempt after attempt n (1, 2...): doubling, capped. */
extern long webhook_backoff_ms(const WebhookOptions *o, int attempt);

#endif
