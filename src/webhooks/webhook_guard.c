/*
 * webhook_guard.c: the network policy for webhook requests (see
 * webhook_guard.h).
 */
#include "webhook_guard.h"

#include <string.h>

int
webhook_guard_init(WebhookGuard *guard, const char *const *entries, int nentries, char *err, size_t errlen)
{
	memset(guard, 0, sizeof(*guard));
	for (int i = 0; i < nentries; i++)
		if (np_allow_parse(&guard->allow, entries[i], err, errlen) < 0)
			return -1;
	np_own_load(&guard->own);
	return 0;
}

/* The judgement is the worker's (np_judge); an allow-listed URL host allows every address it has. */
NpClass
webhook_guard_judge(const WebhookGuard *guard, const char *host, const struct sockaddr *sa, size_t salen)
{
	NpAddr		addr;

	if (np_addr_from_sockaddr(sa, salen, &addr) < 0)
		return NP_NOT_INET;
	return np_judge(&guard->allow, &guard->own, &addr, host && np_allow_name(&guard->allow, host));
}
