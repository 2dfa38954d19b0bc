/*
 * net_policy.c: which addresses a job may connect to (see net_policy.h).
 *
 * Addresses are classified, never matched as text: a host is parsed the way
 * the resolver would parse it (inet_aton's many IPv4 spellings, IPv6 in
 * brackets), and IPv6 forms that carry an IPv4 address (mapped, compatible,
 * NAT64, 6to4) are judged by that IPv4 address, so no spelling reaches a
 * refused address.  Host names are judged after resolution, by the worker.
 */
#include "net_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Characters of a host name as a URL may spell it (IDNs come as punycode). */
#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

const char *
np_class_text(NpClass c)
{
	switch (c)
	{
		case NP_PUBLIC:
			return "a public address";
		case NP_LOOPBACK:
			return "a loopback address";
		case NP_PRIVATE:
			return "a private address";
		case NP_LINK_LOCAL:
			return "a link-local address";
		case NP_MULTICAST:
			return "a multicast address";
		case NP_BROADCAST:
			return "a broadcast address";
		case NP_UNSPECIFIED:
			return "an unspecified address";
		case NP_RESERVED:
			return "a reserved special-purpose address";
		case NP_OWN:
			return "an address of the worker itself";
		case NP_NOT_INET:
			return "not an internet address";
		case NP_BAD_HOST:
			break;
	}
	return "not a valid host name or address";
}

/* True when the top prefix bits of a (host order) equal those of net. */
static int
in4(uint32_t a, uint32_t net, int prefix)
{
	uint32_t	mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);

	return (a & mask) == (net & mask);
}

static NpClass
classify4(uint32_t a)
{
	if (a == 0xffffffffu)
		return NP_BROADCAST;
	if (in4(a, 0x00000000, 8))
		return NP_UNSPECIFIED;	/* "this network"; 0.0.0.0 reaches the local host */
	if (in4(a, 0x7f000000, 8))
		return NP_LOOPBACK;
	if (in4(a, 0x0a000000, 8) || in4(a, 0xac100000, 12) || in4(a, 0xc0a80000, 16) ||
		in4(a, 0x64400000, 10))
		return NP_PRIVATE;		/* RFC 1918 and the shared (CGNAT) 100.64/10 */
	if (in4(a, 0xa9fe0000, 16))
		return NP_LINK_LOCAL;
	if (in4(a, 0xe0000000, 4))
		return NP_MULTICAST;
	if (in4(a, 0xc0000000, 24) || in4(a, 0xc0000200, 24) || in4(a, 0xc6336400, 24) ||
		in4(a, 0xcb007100, 24) || in4(a, 0xc6120000, 15) || in4(a, 0xc0586300, 24) ||
		in4(a, 0xf0000000, 4))
		return NP_RESERVED;		/* IETF, documentation, benchmarking, 6to4 relay, 240/4 */
	return NP_PUBLIC;
}

static int
in6(const uint8_t *a, const uint8_t *net, int prefix)
{
	int			whole = prefix / 8;
	int			bits = prefix % 8;

	if (memcmp(a, net, whole) != 0)
		return 0;
	return bits == 0 || ((a[whole] ^ net[whole]) & (0xff << (8 - bits))) == 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static NpClass
classify6(const uint8_t *a)
{
	static const uint8_t zero[16] = {0};
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t nat64_local[6] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};
	static const uint8_t sixto4[2] = {0x20, 0x02};
	static const uint8_t ietf[3] = {0x20, 0x01, 0x00};	/* 2001::/23: Teredo, ORCHID, benchmarking */
	static const uint8_t documentation[4] = {0x20, 0x01, 0x0d, 0xb8};
	static const uint8_t documentation2[3] = {0x3f, 0xff, 0x00};	/* 3fff::/20 */
	static const uint8_t discard[8] = {0x01, 0x00};
	static const uint8_t ula[1] = {0xfc};
	static const uint8_t link_local[2] = {0xfe, 0x80};
	static const uint8_t site_local[2] = {0xfe, 0xc0};

	if (memcmp(a, zero, 15) == 0 && a[15] <= 1)
		return a[15] == 0 ? NP_UNSPECIFIED : NP_LOOPBACK;
	/* Forms that carry an IPv4 address: judged by it. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return classify4(be32(a + 12));
	if (in6(a, sixto4, 16))
		return classify4(be32(a + 2));
	if (in6(a, nat64_local, 48))
		return NP_PRIVATE;
	if (a[0] == 0xff)
		return NP_MULTICAST;
	if (in6(a, ula, 7) || in6(a, site_local, 10))
		return NP_PRIVATE;
	if (in6(a, link_local, 10))
		return NP_LINK_LOCAL;
	if (in6(a, ietf, 23) || in6(a, documentation, 32) || in6(a, documentation2, 20) ||
		in6(a, discard, 64) || (a[0] & 0xe0) != 0x20)
		return NP_RESERVED;		/* ... and everything outside 2000::/3, the global unicast */
	return NP_PUBLIC;
}

NpClass
np_classify(const NpAddr *addr)
{
	if (addr->family == AF_INET)
		return classify4(be32(addr->bytes));
	if (addr->family == AF_INET6)
		return classify6(addr->bytes);
	return NP_NOT_INET;
}

int
np_addr_from_sockaddr(const struct sockaddr *sa, size_t len, NpAddr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
	{
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *) sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
	{
		out->family = AF_INET6;
		memcpy(out->bytes, &((const struct sockaddr_in6 *) sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

void
np_addr_text(const NpAddr *addr, char *out, size_t outlen)
{
	if (inet_ntop(addr->family, addr->bytes, out, outlen) == NULL && outlen > 0)
		snprintf(out, outlen, "?");
}

/* True when the last label of name (no trailing dot) starts with a digit. */
static int
numeric_last_label(const char *name)
{
	const char *dot = strrchr(name, '.');

	return isdigit((unsigned char) (dot ? dot[1] : name[0]));
}

static int
valid_name(const char *name)
{
	size_t		len = strlen(name);
	const char *label = name;

	if (len == 0 || len > NP_NAME_MAX || strspn(name, NAME_CHARS) != len)
		return 0;
	for (;;)
	{
		size_t		label_len = strcspn(label, ".");

		if (label_len == 0 || label_len > 63)
			return 0;
		if (label[label_len] == '\0')
			return 1;
		label += label_len + 1;
	}
}

int
np_parse_host(const char *host, NpAddr *out)
{
	char		copy[NP_NAME_MAX + 2];
	size_t		len = strlen(host);
	struct in_addr v4;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > NP_NAME_MAX)
		return -1;
	if (host[0] == '[')
	{
		/* [v6] or [v6%zone] (RFC 6874 writes the % as %25): the zone is no part of the address. */
		if (host[len - 1] != ']')
			return -1;
		memcpy(copy, host + 1, len - 2);
		copy[len - 2] = '\0';
		copy[strcspn(copy, "%")] = '\0';
		out->family = AF_INET6;
		return inet_pton(AF_INET6, copy, out->bytes) == 1 ? 1 : -1;
	}
	if (strspn(host, NAME_CHARS) != len)
		return -1;				/* '%' (percent-encoding), ':' (IPv6 without brackets), ... */
	memcpy(copy, host, len + 1);
	if (copy[len - 1] == '.')
		copy[--len] = '\0';		/* one trailing dot: the same host, fully qualified */
	if (len > 0 && inet_aton(copy, &v4) != 0)
	{
		out->family = AF_INET;
		memcpy(out->bytes, &v4, 4);
		return 1;
	}
	/* A name whose last label is numeric would be tried as an address by some resolver. */
	if (len == 0 || numeric_last_label(copy) || !valid_name(copy))
		return -1;
	return 0;
}

int
np_url_parse(const char *url, NpUrl *out, const char **why)
{
	const char *separator = strstr(url, "://");
	const char *authority;
	const char *host;
	const char *end;
	const char *at;
	const char *port = NULL;
	size_t		host_len;

	memset(out, 0, sizeof(*out));
	out->port = -1;
	if (separator == NULL)
	{
		*why = "it has no scheme";
		return -1;
	}
	authority = separator + 3;
	end = authority + strcspn(authority, "/?#");
	/* libavformat takes the host after the last '@' of the authority, and so do we. */
	host = authority;
	while ((at = memchr(host, '@', end - host)) != NULL)
	{
		out->has_userinfo = 1;
		host = at + 1;
	}
	if (host < end && host[0] == '[')
	{
		const char *bracket = memchr(host, ']', end - host);

		if (bracket == NULL)
		{
			*why = "its IPv6 address has no closing bracket";
			return -1;
		}
		if (bracket + 1 < end)
			port = bracket + 1;
		host_len = bracket + 1 - host;
	}
	else
	{
		port = memchr(host, ':', end - host);
		host_len = (port ? port : end) - host;
	}
	if (host_len == 0)
	{
		*why = "it has no host";
		return -1;
	}
	if (host_len > NP_NAME_MAX)
	{
		*why = "its host is too long";
		return -1;
	}
	memcpy(out->host, host, host_len);
	out->host[host_len] = '\0';
	if (port)
	{
		long		value = 0;
		const char *p;

		if (*port != ':' || port + 1 == end || end - port > 6)
		{
			*why = "its port is not a number from 1 to 65535";
			return -1;
		}
		for (p = port + 1; p < end; p++)
		{
			if (!isdigit((unsigned char) *p))
			{
				*why = "its port is not a number from 1 to 65535";
				return -1;
			}
			value = value * 10 + (*p - '0');
		}
		if (value < 1 || value > 65535)
		{
			*why = "its port is not a number from 1 to 65535";
			return -1;
		}
		out->port = (int) value;
	}
	return 0;
}

/* Lower case, without one trailing dot. */
static void
normal_name(const char *name, char *out, size_t outlen)
{
	size_t		len;

	snprintf(out, outlen, "%s", name);
	for (char *c = out; *c; c++)
		*c = (char) tolower((unsigned char) *c);
	len = strlen(out);
	if (len > 0 && out[len - 1] == '.')
		out[len - 1] = '\0';
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t		len = strlen(s);
	size_t		suffix_len = strlen(suffix);

	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

/* Names every resolver answers with a loopback address (RFC 6761 and Debian's /etc/hosts). */
static int
loopback_name(const char *name)
{
	return strcmp(name, "localhost") == 0 || ends_with(name, ".localhost") ||
		strcmp(name, "localhost.localdomain") == 0 || strcmp(name, "ip6-localhost") == 0 ||
		strcmp(name, "ip6-loopback") == 0;
}

NpClass
np_check_host(const NpAllowList *allow, const char *host)
{
	NpAddr		addr;
	char		name[NP_NAME_MAX + 2];
	int			rc = np_parse_host(host, &addr);

	if (rc < 0)
		return NP_BAD_HOST;
	if (rc == 1)
		return np_allow_addr(allow, &addr) ? NP_PUBLIC : np_classify(&addr);
	normal_name(host, name, sizeof(name));
	if (np_allow_name(allow, name))
		return NP_PUBLIC;
	if (loopback_name(name))
	{
		/* As allowed as the loopback address it stands for. */
		memset(&addr, 0, sizeof(addr));
		addr.family = AF_INET;
		addr.bytes[0] = 127;
		addr.bytes[3] = 1;
		return np_allow_addr(allow, &addr) ? NP_PUBLIC : NP_LOOPBACK;
	}
	return NP_PUBLIC;
}

static int
parse_entry(NpAllowEntry *e, const char *token, char *err, size_t errlen)
{
	char		text[NP_NAME_MAX + 2];
	char	   *slash;
	int			max_prefix;

	memset(e, 0, sizeof(*e));
	if (strlen(token) > NP_NAME_MAX)
	{
		snprintf(err, errlen, "entry \"%.40s...\" is too long", token);
		return -1;
	}
	snprintf(text, sizeof(text), "%s", token);
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (text[0] == '[' && text[strlen(text) - 1] == ']')
	{
		memmove(text, text + 1, strlen(text));
		text[strlen(text) - 1] = '\0';
	}
	if (inet_pton(AF_INET, text, e->addr.bytes) == 1)
		e->addr.family = AF_INET;
	else if (inet_pton(AF_INET6, text, e->addr.bytes) == 1)
		e->addr.family = AF_INET6;
	if (e->addr.family == 0)
	{
		const char *bare = strncmp(text, "*.", 2) == 0 ? text + 2 : text;
		NpAddr		ignored;

		if (slash != NULL || np_parse_host(bare, &ignored) != 0)
		{
			snprintf(err, errlen, "\"%s\" is neither a CIDR (192.0.2.0/24, 2001:db8::/32) nor a host name", token);
			return -1;
		}
		e->is_name = 1;
		normal_name(text, e->name, sizeof(e->name));
		return 0;
	}
	max_prefix = e->addr.family == AF_INET ? 32 : 128;
	e->prefix = max_prefix;
	if (slash != NULL)
	{
		const char *p = slash + 1;

		if (*p == '\0' || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p) || atoi(p) > max_prefix)
		{
			snprintf(err, errlen, "\"%s\" has an invalid prefix length (0 to %d)", token, max_prefix);
			return -1;
		}
		e->prefix = atoi(p);
	}
	return 0;
}

int
np_allow_parse(NpAllowList *list, const char *text, char *err, size_t errlen)
{
	const char *separators = ", \t\r\n";
	const char *p = text;

	while (*(p += strspn(p, separators)) != '\0')
	{
		size_t		len = strcspn(p, separators);
		char		token[NP_NAME_MAX + 2];

		if (list->n == NP_ALLOW_MAX)
		{
			snprintf(err, errlen, "at most %d entries", NP_ALLOW_MAX);
			return -1;
		}
		snprintf(token, sizeof(token), "%.*s", (int) (len > NP_NAME_MAX + 1 ? NP_NAME_MAX + 1 : len), p);
		if (parse_entry(&list->entries[list->n], token, err, errlen) < 0)
			return -1;
		list->n++;
		p += len;
	}
	return 0;
}

int
np_allow_addr(const NpAllowList *list, const NpAddr *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	for (int i = 0; list && i < list->n; i++)
	{
		const NpAllowEntry *e = &list->entries[i];

		if (!e->is_name && e->addr.family == addr->family && in6(addr->bytes, e->addr.bytes, e->prefix))
			return 1;
	}
	/* ::ffff:a.b.c.d is a.b.c.d to the kernel: allowed where a.b.c.d is. */
	if (addr->family == AF_INET6 && memcmp(addr->bytes, mapped, 12) == 0)
	{
		NpAddr		v4 = {.family = AF_INET};

		memcpy(v4.bytes, addr->bytes + 12, 4);
		return np_allow_addr(list, &v4);
	}
	return 0;
}

int
np_allow_name(const NpAllowList *list, const char *name)
{
	char		normal[NP_NAME_MAX + 2];

	normal_name(name, normal, sizeof(normal));
	for (int i = 0; list && i < list->n; i++)
	{
		const NpAllowEntry *e = &list->entries[i];

		if (!e->is_name)
			continue;
		if (strncmp(e->name, "*.", 2) == 0 ? ends_with(normal, e->name + 1) : strcmp(normal, e->name) == 0)
			return 1;
	}
	return 0;
}

void
np_own_load(NpOwnAddrs *own)
{
	struct ifaddrs *list;

	own->n = 0;
	if (getifaddrs(&list) != 0)
		return;
	for (struct ifaddrs *i = list; i && own->n < NP_OWN_MAX; i = i->ifa_next)
		if (i->ifa_addr &&
			np_addr_from_sockaddr(i->ifa_addr, sizeof(struct sockaddr_storage), &own->addrs[own->n]) == 0)
			own->n++;
	freeifaddrs(list);
}

NpClass
np_judge(const NpAllowList *allow, const NpOwnAddrs *own, const NpAddr *addr, int allowed_name)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	NpAddr		reached = *addr;
	NpClass		class;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return NP_NOT_INET;
	if (allowed_name || np_allow_addr(allow, addr))
		return NP_PUBLIC;
	/* ::ffff:a.b.c.d reaches a.b.c.d: judged, own addresses included, as it. */
	if (reached.family == AF_INET6 && memcmp(reached.bytes, mapped, 12) == 0)
	{
		memmove(reached.bytes, reached.bytes + 12, 4);
		memset(reached.bytes + 4, 0, 12);
		reached.family = AF_INET;
	}
	class = np_classify(&reached);
	if (class != NP_PUBLIC)
		return class;
	for (int i = 0; own && i < own->n; i++)
		if (own->addrs[i].family == reached.family && memcmp(own->addrs[i].bytes, reached.bytes, 16) == 0)
			return NP_OWN;
	return NP_PUBLIC;
}

/* True when the word ends at end, at the start of text or after a non-letter. */
static int
after_word(const char *text, const char *end, const char *word)
{
	size_t		len = strlen(word);

	return end - text >= (long) len && strncmp(end - len, word, len) == 0 &&
		(end - len == text || !isalpha((unsigned char) end[-(long) len - 1]));
}

void
np_redact_url(const char *text, char *out, size_t outlen)
{
	const char *p = text;
	const char *separator;
	size_t		used = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	/* Every URL in the text (a libav message may quote several). */
	while ((separator = strstr(p, "://")) != NULL)
	{
		const char *authority = separator + 3;
		const char *end = authority + strcspn(authority, "/?#'\" \t\r\n");
		const char *host = authority;
		const char *at;

		/* testsrc://WxH@fps has no userinfo: its '@' is the frame rate's. */
		while (!after_word(text, separator, "testsrc") && (at = memchr(host, '@', end - host)) != NULL)
			host = at + 1;
		used += snprintf(out + used, outlen - used, "%.*s%s", (int) (authority - p), p,
						 host == authority ? "" : "***@");
		if (used >= outlen)
			return;
		p = host;
	}
	snprintf(out + used, outlen - used, "%s", p);
}
