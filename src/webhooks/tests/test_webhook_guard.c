/*
 * test_webhook_guard.c: the delivery daemon's network policy on the
 * addresses libcurl is about to connect to.  This machine's own public
 * address is refused in each form the kernel connects to it by: as itself,
 * and as an IPv4-mapped IPv6 address (::ffff:a.b.c.d on an AF_INET6 socket
 * is an IPv4 connection).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../webhook_guard.h"
#include "../../worker/tests/check.h"

static NpClass
judge4(const WebhookGuard *guard, const char *text)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};

	inet_pton(AF_INET, text, &sa.sin_addr);
	return webhook_guard_judge(guard, "receiver.example", (struct sockaddr *) &sa, sizeof(sa));
}

static NpClass
judge6(const WebhookGuard *guard, const char *text)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};

	inet_pton(AF_INET6, text, &sa.sin6_addr);
	return webhook_guard_judge(guard, "receiver.example", (struct sockaddr *) &sa, sizeof(sa));
}

int
main(void)
{
	WebhookGuard guard;
	WebhookGuard open;
	char		err[256];
	const char *entries[] = {"8.8.4.0/24"};

	/* This machine, as if its address were public: 8.8.8.8. */
	memset(&guard, 0, sizeof(guard));
	guard.own.addrs[0].family = AF_INET;
	inet_pton(AF_INET, "8.8.8.8", guard.own.addrs[0].bytes);
	guard.own.n = 1;

	CHECK(judge4(&guard, "1.1.1.1") == NP_PUBLIC, "a public address is allowed");
	CHECK(judge4(&guard, "8.8.8.8") == NP_OWN, "this machine's public address is refused");
	CHECK(judge6(&guard, "::ffff:8.8.8.8") == NP_OWN, "and as an IPv4-mapped IPv6 address");
	CHECK(judge6(&guard, "::ffff:1.1.1.1") == NP_PUBLIC, "another public address mapped is allowed");
	CHECK(judge6(&guard, "::ffff:127.0.0.1") == NP_LOOPBACK, "loopback mapped is refused");
	CHECK(judge6(&guard, "::ffff:169.254.169.254") == NP_LINK_LOCAL, "the metadata address mapped is refused");

	CHECK(webhook_guard_init(&open, entries, 1, err, sizeof(err)) == 0, "an allow-list entry is read");
	CHECK(judge6(&open, "::ffff:8.8.4.4") == NP_PUBLIC, "an allow-listed address is allowed mapped too");
	return check_summary();
}
