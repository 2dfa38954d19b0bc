/*
 * webhook_post.h: one attempt of a webhook delivery: a signed JSON POST with
 * libcurl, under the network policy (webhook_guard.h), no redirects followed,
 * no proxy, http and https only, bounded in time.
 */
#ifndef FFRTMP_WEBHOOK_POST_H
#define FFRTMP_WEBHOOK_POST_H

#include <curl/curl.h>

#include "webhook_guard.h"

typedef struct WebhookRequest
{
	const char *url;
	const char *secret;
	const char *event;			/* Ffrtmp-Event */
	const char *event_id;		/* Ffrtmp-Event-Id */
	const char *body;
	long		timeout_ms;
} WebhookRequest;

typedef struct WebhookResult
{
	int			status;			/* HTTP status; 0 without an answer */
	int			refused;		/* the network policy refused every address */
	long		elapsed_ms;
	char		error[512];		/* empty on a 2xx answer */
} WebhookResult;

/* Once per process, before any thread: 0, or -1. */
extern int	webhook_post_init(void);

/* Makes one attempt; the outcome is in *result (never fails otherwise). */
extern void webhook_post(const WebhookGuard *guard, const WebhookRequest *request, WebhookResult *result);

/*
 * The same attempt in two halves, for a caller that runs several at once
 * (webhook_send.h): start prepares the signed request (NULL when the attempt
 * ended before any request, *result saying why); the handle is added to a
 * curl multi handle; end, given the transfer's outcome, fills *result and
 * frees the attempt (after the handle left the multi handle).
 */
typedef struct WebhookAttempt WebhookAttempt;

extern WebhookAttempt *webhook_attempt_start(const WebhookGuard *guard, const WebhookRequest *request,
											 WebhookResult *result);
extern CURL *webhook_attempt_handle(WebhookAttempt *attempt);
extern void webhook_attempt_end(WebhookAttempt *attempt, CURLcode rc, WebhookResult *result);

#endif
