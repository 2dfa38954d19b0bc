/*
 * test_net_policy.c: the network policy shared by the extension and the
 * worker (src/common/net_policy.c): every spelling of a refused address,
 * the IPv6 forms that carry an IPv4 address, URL authorities with
 * credentials, the allow-list, and redaction.
 */
#include "../../common/net_policy.h"
#include "check.h"

#include <arpa/inet.h>
#include <string.h>

typedef struct HostCase
{
	const char *host;
	NpClass		expected;
} HostCase;

/* Hosts as a URL spells them, judged with an empty allow-list. */
static const HostCase hosts[] = {
	{"127.0.0.1", NP_LOOPBACK},
	{"2130706433", NP_LOOPBACK},	/* decimal */
	{"0x7f000001", NP_LOOPBACK},	/* hexadecimal */
	{"0X7F000001", NP_LOOPBACK},
	{"0177.0.0.1", NP_LOOPBACK},	/* octal */
	{"0177.0000.0000.0001", NP_LOOPBACK},
	{"127.1", NP_LOOPBACK},		/* short forms */
	{"127.0.1", NP_LOOPBACK},
	{"0x7f.1", NP_LOOPBACK},
	{"127.0.0.1.", NP_LOOPBACK},	/* trailing dot */
	{"127.255.255.254", NP_LOOPBACK},
	{"localhost", NP_LOOPBACK},
	{"LOCALHOST.", NP_LOOPBACK},
	{"app.localhost", NP_LOOPBACK},
	{"ip6-localhost", NP_LOOPBACK},
	{"[::1]", NP_LOOPBACK},
	{"[0:0:0:0:0:0:0:1]", NP_LOOPBACK},
	{"[::ffff:127.0.0.1]", NP_LOOPBACK},	/* IPv4-mapped */
	{"[::ffff:7f00:1]", NP_LOOPBACK},
	{"[::127.0.0.1]", NP_LOOPBACK},	/* IPv4-compatible */
	{"[64:ff9b::7f00:1]", NP_LOOPBACK},	/* NAT64 */
	{"[2002:7f00:1::]", NP_LOOPBACK},	/* 6to4 */
	{"169.254.169.254", NP_LINK_LOCAL}, /* cloud metadata */
	{"2852039166", NP_LINK_LOCAL},
	{"0xa9fea9fe", NP_LINK_LOCAL},
	{"[::ffff:169.254.169.254]", NP_LINK_LOCAL},
	{"[fe80::1]", NP_LINK_LOCAL},
	{"[fe80::1%25eth0]", NP_LINK_LOCAL},	/* zone id */
	{"[fd00:ec2::254]", NP_PRIVATE},	/* AWS's IPv6 metadata address */
	{"10.0.0.1", NP_PRIVATE},
	{"10.1", NP_PRIVATE},
	{"172.16.0.1", NP_PRIVATE},
	{"172.31.255.255", NP_PRIVATE},
	{"192.168.1.1", NP_PRIVATE},
	{"100.64.0.1", NP_PRIVATE},	/* shared address space (CGNAT) */
	{"[fc00::1]", NP_PRIVATE},
	{"[fec0::1]", NP_PRIVATE},
	{"[64:ff9b:1::1]", NP_PRIVATE},
	{"[::ffff:10.0.0.1]", NP_PRIVATE},
	{"0.0.0.0", NP_UNSPECIFIED},
	{"0", NP_UNSPECIFIED},
	{"0.1.2.3", NP_UNSPECIFIED},
	{"[::]", NP_UNSPECIFIED},
	{"224.0.0.1", NP_MULTICAST},
	{"239.255.255.250", NP_MULTICAST},
	{"[ff02::1]", NP_MULTICAST},
	{"255.255.255.255", NP_BROADCAST},
	{"4294967295", NP_BROADCAST},
	{"240.0.0.1", NP_RESERVED},
	{"192.0.0.8", NP_RESERVED},
	{"192.0.2.1", NP_RESERVED},
	{"198.18.0.1", NP_RESERVED},
	{"[2001::1]", NP_RESERVED},	/* Teredo */
	{"[2001:db8::1]", NP_RESERVED},
	{"[100::1]", NP_RESERVED},
	{"8.8.8.8", NP_PUBLIC},
	{"172.32.0.1", NP_PUBLIC},
	{"100.128.0.1", NP_PUBLIC},
	{"[2606:4700::1111]", NP_PUBLIC},
	{"[::ffff:8.8.8.8]", NP_PUBLIC},
	{"[2002:808:808::]", NP_PUBLIC},
	{"media.example.com", NP_PUBLIC},	/* names are judged after resolution */
	{"localhost.example.com", NP_PUBLIC},
	{"127.0.0.1.nip.io", NP_PUBLIC},	/* resolution decides; the worker checks it */
	{"%31%32%37.0.0.1", NP_BAD_HOST},	/* percent-encoded */
	{"127.0.0.1%00", NP_BAD_HOST},
	{"::1", NP_BAD_HOST},		/* IPv6 without brackets */
	{"[::1", NP_BAD_HOST},
	{"[127.0.0.1]", NP_BAD_HOST},
	{"1.2.3.4.5", NP_BAD_HOST},	/* numeric, but no address */
	{"08.0.0.1", NP_BAD_HOST},
	{"127.0.0.1..", NP_BAD_HOST},
	{"a..b", NP_BAD_HOST},
	{"", NP_BAD_HOST},
	{"bad\\host", NP_BAD_HOST},
};

static void
check_hosts(void)
{
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
	{
		char		description[200];
		NpClass		got = np_check_host(NULL, hosts[i].host);

		snprintf(description, sizeof(description), "host \"%s\" is %s%s%s", hosts[i].host,
				 np_class_text(hosts[i].expected), got == hosts[i].expected ? "" : ", not ",
				 got == hosts[i].expected ? "" : np_class_text(got));
		CHECK(got == hosts[i].expected, description);
	}
}

static void
check_urls(void)
{
	NpUrl		u;
	const char *why = NULL;

	CHECK(np_url_parse("rtmp://media.example.com:1935/live/key", &u, &why) == 0 &&
		  strcmp(u.host, "media.example.com") == 0 && u.port == 1935 && !u.has_userinfo,
		  "a URL's host and port");
	CHECK(np_url_parse("rtmp://user:secret@media.example.com/live", &u, &why) == 0 && u.has_userinfo &&
		  strcmp(u.host, "media.example.com") == 0, "userinfo is seen and not kept");
	CHECK(np_url_parse("http://example.com@127.0.0.1/", &u, &why) == 0 && strcmp(u.host, "127.0.0.1") == 0 &&
		  u.has_userinfo, "the host is what follows the last '@', as libavformat reads it");
	CHECK(np_url_parse("http://a@b@169.254.169.254/x", &u, &why) == 0 && strcmp(u.host, "169.254.169.254") == 0,
		  "two '@': the last one wins");
	CHECK(np_url_parse("http://[::1]:8080/", &u, &why) == 0 && strcmp(u.host, "[::1]") == 0 && u.port == 8080,
		  "a bracketed IPv6 host and its port");
	CHECK(np_url_parse("http://host:99999/", &u, &why) < 0, "a port above 65535 is refused");
	CHECK(np_url_parse("http://host:/", &u, &why) < 0, "an empty port is refused");
	CHECK(np_url_parse("http:///a.mp4", &u, &why) < 0, "no host is refused");
	CHECK(np_url_parse("http://host?x=@127.0.0.1", &u, &why) == 0 && strcmp(u.host, "host") == 0 &&
		  !u.has_userinfo, "an '@' after the authority is no userinfo");
}

static void
check_allow_list(void)
{
	NpAllowList list = {0};
	char		err[200];
	NpAddr		a;

	CHECK(np_allow_parse(&list, "127.0.0.0/8, ::1 media.internal,*.cdn.example", err, sizeof(err)) == 0 &&
		  list.n == 4, "an allow-list of CIDRs, addresses and names");
	CHECK(np_check_host(&list, "127.0.0.1") == NP_PUBLIC && np_check_host(&list, "0x7f000001") == NP_PUBLIC,
		  "an allowed CIDR opens every spelling of its addresses");
	CHECK(np_check_host(&list, "localhost") == NP_PUBLIC, "localhost is allowed with 127.0.0.0/8");
	CHECK(np_check_host(&list, "[::1]") == NP_PUBLIC, "an allowed IPv6 address");
	CHECK(np_check_host(&list, "[::ffff:127.0.0.1]") == NP_PUBLIC, "an allowed IPv4 address, mapped to IPv6");
	CHECK(np_check_host(&list, "[::2]") != NP_PUBLIC, "its neighbour is not allowed");
	CHECK(np_check_host(&list, "10.0.0.1") == NP_PRIVATE, "other private ranges stay refused");
	CHECK(np_allow_name(&list, "MEDIA.internal.") && !np_allow_name(&list, "x.media.internal"),
		  "a name matches exactly, whatever its case and trailing dot");
	CHECK(np_allow_name(&list, "a.b.cdn.example") && !np_allow_name(&list, "cdn.example") &&
		  !np_allow_name(&list, "evilcdn.example"), "*.name matches names below it only");
	np_parse_host("127.9.9.9", &a);
	CHECK(np_allow_addr(&list, &a), "an address inside an allowed CIDR");
	np_parse_host("128.0.0.1", &a);
	CHECK(!np_allow_addr(&list, &a), "an address outside it");
	CHECK(np_allow_parse(&list, "10.0.0.0/33", err, sizeof(err)) < 0, "a prefix too long is refused");
	CHECK(np_allow_parse(&list, "host/8", err, sizeof(err)) < 0, "a name with a prefix is refused");
	CHECK(np_allow_parse(&list, "bad%name", err, sizeof(err)) < 0, "a malformed entry is refused");
	CHECK(np_allow_parse(&list, "", err, sizeof(err)) == 0, "an empty list is fine");
}

static void
check_redaction(void)
{
	char		out[200];

	np_redact_url("rtmp://user:secret@media.example.com/live/x", out, sizeof(out));
	CHECK(strcmp(out, "rtmp://***@media.example.com/live/x") == 0, "credentials are redacted");
	np_redact_url("http://a:b@c:d@host/", out, sizeof(out));
	CHECK(strstr(out, "b") == NULL || strcmp(out, "http://***@host/") == 0, "all of the userinfo goes");
	np_redact_url("http://host/a@b", out, sizeof(out));
	CHECK(strcmp(out, "http://host/a@b") == 0, "an '@' in the path stays");
	np_redact_url("Opening 'rtmp://u:p@a/x' then http://v:q@b:80/y and https://c/z", out, sizeof(out));
	CHECK(strcmp(out, "Opening 'rtmp://***@a/x' then http://***@b:80/y and https://c/z") == 0,
		  "every URL quoted in a message is redacted");
	np_redact_url("testsrc://640x360@30?duration=5", out, sizeof(out));
	CHECK(strcmp(out, "testsrc://640x360@30?duration=5") == 0, "a test source's '@' is its frame rate, kept");
	np_redact_url("rtmp://user:secret@host/x", out, 12);
	CHECK(strstr(out, "secret") == NULL && strlen(out) == 11, "a short buffer cuts, never overflows");
}

static void
check_sockaddr(void)
{
	struct sockaddr_in6 six = {0};
	NpAddr		a;

	six.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:169.254.169.254", &six.sin6_addr);
	CHECK(np_addr_from_sockaddr((struct sockaddr *) &six, sizeof(six), &a) == 0 &&
		  np_classify(&a) == NP_LINK_LOCAL, "a mapped socket address is judged by its IPv4 address");
	six.sin6_family = AF_UNIX;
	CHECK(np_addr_from_sockaddr((struct sockaddr *) &six, sizeof(six), &a) < 0, "a unix address is no internet address");
}

static NpAddr
addr_of(const char *text)
{
	NpAddr		a = {0};

	if (inet_pton(AF_INET, text, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, text, a.bytes) == 1)
		a.family = AF_INET6;
	return a;
}

/* np_judge: the one judgement of the worker's net_guard and the webhook daemon's guard. */
static void
check_judge(void)
{
	NpAllowList allow = {0};
	NpOwnAddrs	own = {0};
	NpAddr		a;
	char		err[256];

	own.addrs[own.n++] = addr_of("8.8.8.8");
	own.addrs[own.n++] = addr_of("2001:4860:4860::8888");
	CHECK(np_judge(&allow, &own, (a = addr_of("9.9.9.9"), &a), 0) == NP_PUBLIC, "a public address is allowed");
	CHECK(np_judge(&allow, &own, (a = addr_of("8.8.8.8"), &a), 0) == NP_OWN, "this machine's public address is refused");
	CHECK(np_judge(&allow, &own, (a = addr_of("::ffff:8.8.8.8"), &a), 0) == NP_OWN,
		  "and in IPv4-mapped IPv6 form ([::ffff:a.b.c.d])");
	CHECK(np_judge(&allow, &own, (a = addr_of("2001:4860:4860::8888"), &a), 0) == NP_OWN,
		  "its public IPv6 address too");
	CHECK(np_judge(&allow, &own, (a = addr_of("::ffff:127.0.0.1"), &a), 0) == NP_LOOPBACK,
		  "mapped loopback is loopback");
	CHECK(np_judge(&allow, NULL, (a = addr_of("::ffff:9.9.9.9"), &a), 0) == NP_PUBLIC,
		  "a mapped public address is public");
	CHECK(np_judge(&allow, &own, (a = addr_of("10.1.2.3"), &a), 1) == NP_PUBLIC,
		  "an address of an allow-listed name is allowed");
	CHECK(np_allow_parse(&allow, "127.0.0.0/8", err, sizeof(err)) == 0 &&
		  np_judge(&allow, &own, (a = addr_of("::ffff:127.0.0.1"), &a), 0) == NP_PUBLIC,
		  "an allow-listed CIDR allows the mapped form of its addresses");
	a.family = AF_UNIX;
	CHECK(np_judge(&allow, &own, &a, 0) == NP_NOT_INET, "no internet address is refused");
}

int
main(void)
{
	check_hosts();
	check_urls();
	check_allow_list();
	check_redaction();
	check_sockaddr();
	check_judge();
	return check_summary();
}
