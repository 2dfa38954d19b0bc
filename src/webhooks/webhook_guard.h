/*
 * webhook_guard.h: the network policy for webhook requests, the same as for
 * jobs' connections: only public addresses that are not this machine's,
 * unless allow-listed (CIDRs, addresses, host names).  The judgement itself
 * is np_judge (../common/net_policy.h), the worker's net_guard's too.  The request's host name is resolved by
 * libcurl and every address it is about to connect to is judged in its
 * socket callback (webhook_post.c), so the address checked is the address
 * connected to; a refused one gets no packet.
 */
#ifndef FFRTMP_WEBHOOK_GUARD_H
#define FFRTMP_WEBHOOK_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

#include "../common/net_policy.h"

typedef struct WebhookGuard
{
	NpAllowList allow;
	NpOwnAddrs	own;
} WebhookGuard;

/* The allow-list entries (as --allow-network takes them) and this machine's addresses: 0, or -1 with err. */
extern int	webhook_guard_init(WebhookGuard *guard, const char *const *entries, int nentries,
							   char *err, size_t errlen);

/*
 * NP_PUBLIC when a request to host (the URL's) may connect to sa, else why
 * not (NP_OWN for one of this machine's public addresses).
 */
extern NpClass webhook_guard_judge(const WebhookGuard *guard, const char *host,
								   const struct sockaddr *sa, size_t salen);

#endif
