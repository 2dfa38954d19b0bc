/*
 * webhook_send.h: one attempt of each delivery of a claim, several at once
 * (libcurl's multi interface), so that a receiver that never answers costs
 * the others nothing: each request has its own --timeout.
 */
#ifndef FFRTMP_WEBHOOK_SEND_H
#define FFRTMP_WEBHOOK_SEND_H

#include <signal.h>

#include "webhook_post.h"

/* The most requests in flight at once that --concurrency accepts. */
#define WEBHOOK_MAX_CONCURRENCY 64

/* Called as each attempt ends, in the order they end; < 0 stops the sending. */
typedef int (*WebhookDone) (int index, const WebhookResult *result, void *arg);

/*
 * Attempts requests[0..n-1], starting them in that order, at most
 * concurrency in flight.  Once *stopping is set, no further one starts and
 * those in flight end (each within its timeout).  Returns 0, or -1 when
 * done stopped it or libcurl failed; the attempts not reported then are
 * claimed again once their lease ends.
 */
extern int	webhook_send(const WebhookGuard *guard, const WebhookRequest *requests, int n, int concurrency,
						 WebhookDone done, void *arg, volatile sig_atomic_t *stopping);

#endif
