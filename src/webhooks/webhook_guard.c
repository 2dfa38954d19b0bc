/*
 * webhook_guard.c: the network policy for webhook requests (see
 * webhook_guard.h).
 */
#include "webhook_guard.h"

#include <ifaddrs.h>
#include <string.h>

int
webhook_guard_init(WebhookGuard *guard, const char *const *entries, int nentries, char *err, size_t errlen)
{
	struct ifaddrs *list;

	memset(guard, 0, sizeof(*guard));
	for (int i = 0; i < nentries; i++)
		if (np_allow_parse(&guard->allow, entries[i], err, errlen) < 0)
			return -1;
	/* A public address of this machine is still this machine. */
	if (getifaddrs(&list) == 0)
	{
		for (struct ifaddrs *i = list; i && guard->nown < WEBHOOK_OWN_MAX; i = i->ifa_next)
			if (i->ifa_addr &&
				np_addr_from_sockaddr(i->ifa_addr, sizeof(struct sockaddr_storage), &guard->own[guard->nown]) == 0)
				guard->nown++;
		freeifaddrs(list);
	}
	return 0;
}

NpClass
webhook_guard_judge(const WebhookGuard *guard, const char *host, const struct sockaddr *sa, size_t salen)
{
	NpAddr		addr;
	NpClass		class;

	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (np_addr_from_sockaddr(sa, salen, &addr) < 0)
		return NP_NOT_INET;
	/* ::ffff:a.b.c.d reaches a.b.c.d: judged, own addresses included, as it. */
	if (addr.family == AF_INET6 && memcmp(addr.bytes, mapped, 12) == 0)
	{
		memmove(addr.bytes, addr.bytes + 12, 4);
		memset(addr.bytes + 4, 0, 12);
		addr.family = AF_INET;
	}
	if (np_allow_addr(&guard->allow, &addr) || (host && np_allow_name(&guard->allow, host)))
		return NP_PUBLIC;
	class = np_classify(&addr);
	if (class != NP_PUBLIC)
		return class;
	for (int i = 0; i < guard->nown; i++)
		if (guard->own[i].family == addr.family && memcmp(guard->own[i].bytes, addr.bytes, 16) == 0)
			return NP_OWN;
	return NP_PUBLIC;
}
