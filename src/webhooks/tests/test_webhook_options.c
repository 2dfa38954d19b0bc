/*
 * test_webhook_options.c: ffrtmp-webhooks' command line, its durations and
 * the backoff between attempts, and the network policy's judgement of the
 * addresses a request would connect to.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../webhook_guard.h"
#include "../webhook_options.h"
#include "../../worker/tests/check.h"

static int
parse(WebhookOptions *o, char *err, int argc, char **argv)
{
	return webhook_options_parse(argc, argv, o, err, 512);
}

static NpClass
judge(const WebhookGuard *g, const char *host, const char *ip)
{
	struct sockaddr_in6 sa6 = {0};
	struct sockaddr_in sa4 = {0};

	if (inet_pton(AF_INET, ip, &sa4.sin_addr) == 1)
	{
		sa4.sin_family = AF_INET;
		return webhook_guard_judge(g, host, (struct sockaddr *) &sa4, sizeof(sa4));
	}
	inet_pton(AF_INET6, ip, &sa6.sin6_addr);
	sa6.sin6_family = AF_INET6;
	return webhook_guard_judge(g, host, (struct sockaddr *) &sa6, sizeof(sa6));
}

int
main(void)
{
	WebhookOptions o;
	WebhookGuard g;
	char		err[512];
	char	   *defaults[] = {"ffrtmp-webhooks"};
	char	   *full[] = {"ffrtmp-webhooks", "--batch=5", "--timeout=500ms", "--retry-initial=2s", "--retry-max=1m",
	"--retry-for=2h", "--allow-network=127.0.0.1/32", "--once", "dbname=x"};
	char	   *bad_batch[] = {"ffrtmp-webhooks", "--batch=0"};
	char	   *bad_for[] = {"ffrtmp-webhooks", "--retry-for=73h"};
	char	   *concurrency[] = {"ffrtmp-webhooks", "--concurrency=64"};
	char	   *bad_concurrency[] = {"ffrtmp-webhooks", "--concurrency=65"};
	char	   *no_concurrency[] = {"ffrtmp-webhooks", "--concurrency=0"};
	char	   *bad_allow[] = {"ffrtmp-webhooks", "--allow-network=10.0.0.0/33"};
	char	   *two[] = {"ffrtmp-webhooks", "a", "b"};
	const char *allow[] = {"127.0.0.0/8", "hooks.internal"};

	CHECK(parse(&o, err, 1, defaults) == 0 && o.batch == 10 && o.timeout_ms == 10000 && o.retry_for_ms == 86400000L,
		  "defaults: batch 10, timeout 10s, retries for 24h");
	CHECK(o.concurrency == 8, "default concurrency 8");
	CHECK(parse(&o, err, 2, concurrency) == 0 && o.concurrency == 64, "--concurrency up to 64");
	CHECK(parse(&o, err, 2, bad_concurrency) < 0 && strstr(err, "--concurrency"), "--concurrency=65 is refused");
	CHECK(parse(&o, err, 2, no_concurrency) < 0 && strstr(err, "--concurrency"), "--concurrency=0 is refused");
	CHECK(parse(&o, err, 9, full) == 0 && o.batch == 5 && o.timeout_ms == 500 && o.retry_initial_ms == 2000
		  && o.retry_max_ms == 60000 && o.retry_for_ms == 7200000L && o.once && o.nallow_network == 1
		  && strcmp(o.conninfo, "dbname=x") == 0, "every option is read");
	CHECK(webhook_backoff_ms(&o, 1) == 2000 && webhook_backoff_ms(&o, 2) == 4000 && webhook_backoff_ms(&o, 3) == 8000,
		  "the wait doubles after each failed attempt");
	CHECK(webhook_backoff_ms(&o, 10) == 60000 && webhook_backoff_ms(&o, 1000) == 60000, "up to --retry-max");
	CHECK(parse(&o, err, 2, bad_batch) < 0 && strstr(err, "--batch"), "--batch=0 is refused");
	CHECK(parse(&o, err, 2, bad_for) < 0 && strstr(err, "--retry-for"), "--retry-for over 72h is refused");
	CHECK(parse(&o, err, 2, bad_allow) < 0 && strstr(err, "allow-list"), "an invalid allow-list entry is refused");
	CHECK(parse(&o, err, 3, two) < 0, "a second connection string is refused");
	CHECK(webhook_parse_duration_ms("1h") == 3600000 && webhook_parse_duration_ms("5") == 5000
		  && webhook_parse_duration_ms("5x") == -1 && webhook_parse_duration_ms("-1s") == -1, "durations");

	CHECK(webhook_guard_init(&g, NULL, 0, err, sizeof(err)) == 0, "the default policy");
	CHECK(judge(&g, "example.com", "93.184.215.14") == NP_PUBLIC, "a public address is allowed");
	CHECK(judge(&g, "localhost", "127.0.0.1") == NP_LOOPBACK, "loopback is refused");
	CHECK(judge(&g, "x", "::1") == NP_LOOPBACK, "IPv6 loopback is refused");
	CHECK(judge(&g, "x", "::ffff:127.0.0.1") == NP_LOOPBACK, "IPv4-mapped loopback is refused");
	CHECK(judge(&g, "x", "10.1.2.3") == NP_PRIVATE, "a private address is refused");
	CHECK(judge(&g, "x", "169.254.169.254") == NP_LINK_LOCAL, "the metadata address is refused");
	CHECK(judge(&g, "x", "0.0.0.0") == NP_UNSPECIFIED, "the unspecified address is refused");
	CHECK(webhook_guard_init(&g, allow, 2, err, sizeof(err)) == 0, "an allow-list");
	CHECK(judge(&g, "x", "127.0.0.1") == NP_PUBLIC, "opens loopback when it names it");
	CHECK(judge(&g, "hooks.internal", "10.1.2.3") == NP_PUBLIC, "and the addresses of a name it names");
	CHECK(judge(&g, "other.internal", "10.1.2.3") == NP_PRIVATE, "but not those of other names");
	return check_summary();
}
