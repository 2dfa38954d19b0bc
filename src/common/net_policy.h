/*
 * net_policy.h: the network policy shared by the extension (submit_job's
 * check of the literal host) and the worker (the check of every address a
 * job's process connects to).  No PostgreSQL headers: both sides compile it.
 *
 * By default a job may reach only public unicast addresses: loopback,
 * private (RFC 1918, ULA, shared CGNAT), link-local (cloud metadata at
 * 169.254.169.254), multicast, broadcast, unspecified and the other
 * special-purpose ranges are refused, whatever the spelling (2130706433,
 * 0x7f000001, 0177.0.0.1, 127.1, [::ffff:127.0.0.1], [64:ff9b::7f00:1]...).
 * An operator opens what is needed with an allow-list of CIDRs and host
 * names.  Credentials never travel in a URL (see np_url_parse).
 */
#ifndef FFRTMP_COMMON_NET_POLICY_H
#define FFRTMP_COMMON_NET_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* What an address is; anything but NP_PUBLIC is refused unless allowed. */
typedef enum NpClass
{
	NP_PUBLIC = 0,
	NP_LOOPBACK,
	NP_PRIVATE,					/* RFC 1918, 100.64/10, fc00::/7, fec0::/10 */
	NP_LINK_LOCAL,				/* 169.254/16, fe80::/10 */
	NP_MULTICAST,
	NP_BROADCAST,
	NP_UNSPECIFIED,				/* 0/8, :: */
	NP_RESERVED,				/* documentation, benchmarking, 240/4, Teredo... */
	NP_OWN,						/* one of the worker's own addresses */
	NP_NOT_INET,				/* not an IPv4 or IPv6 socket address (AF_UNIX...) */
	NP_BAD_HOST,				/* not a host name or address we accept */
} NpClass;

/* An IPv4 or IPv6 address; IPv4 in the first 4 bytes, network order. */
typedef struct NpAddr
{
	int			family;			/* AF_INET or AF_INET6 */
	uint8_t		bytes[16];
} NpAddr;

#define NP_ALLOW_MAX 64
#define NP_NAME_MAX 253

typedef struct NpAllowEntry
{
	int			is_name;
	NpAddr		addr;			/* network address, when !is_name */
	int			prefix;			/* prefix length, when !is_name */
	char		name[NP_NAME_MAX + 1];	/* lower case; "*.example.com" matches below */
} NpAllowEntry;

typedef struct NpAllowList
{
	int			n;
	NpAllowEntry entries[NP_ALLOW_MAX];
} NpAllowList;

/* The parts of scheme://[userinfo@]host[:port]/... that the policy needs. */
typedef struct NpUrl
{
	char		host[NP_NAME_MAX + 1];	/* without brackets or zone id */
	int			has_userinfo;
	int			port;			/* -1 when none */
} NpUrl;

/* "a loopback address", "a private address"...: what a message says. */
extern const char *np_class_text(NpClass c);

extern NpClass np_classify(const NpAddr *addr);

/* The address of an AF_INET/AF_INET6 socket address; 0, or -1 for other families. */
extern int	np_addr_from_sockaddr(const struct sockaddr *sa, size_t len, NpAddr *out);

/* The usual text form (192.0.2.1, 2001:db8::1). */
extern void np_addr_text(const NpAddr *addr, char *out, size_t outlen);

/*
 * A URL host as the resolver would read it: 1 when it is a literal address
 * in any spelling inet_aton or inet_pton accepts (brackets, a zone id and
 * one trailing dot allowed), 0 when it is a host name, -1 when it is
 * neither (percent-encoded, other characters, a numeric last label that is
 * no address: "1.2.3.4.5", "08.1").
 */
extern int	np_parse_host(const char *host, NpAddr *out);

/*
 * Splits the authority of scheme://authority/...: 0, or -1 with *why when
 * it has no host or one we do not accept.  Userinfo ("user:secret@") is
 * reported, never copied.
 */
extern int	np_url_parse(const char *url, NpUrl *out, const char **why);

/*
 * The policy for a host as a URL names it, before any resolution (the
 * submit-time check): NP_PUBLIC when allowed, else why not.  Literal
 * addresses are classified; names under "localhost" count as loopback;
 * other names pass here and are checked after resolution by the worker.
 */
extern NpClass np_check_host(const NpAllowList *allow, const char *host);

/*
 * Adds the entries of text (CIDRs, addresses and host names, separated by
 * commas or spaces) to list: 0, or -1 with a message in err.
 */
extern int	np_allow_parse(NpAllowList *list, const char *text, char *err, size_t errlen);

extern int	np_allow_addr(const NpAllowList *list, const NpAddr *addr);
extern int	np_allow_name(const NpAllowList *list, const char *name);

/* This machine's addresses: a public one is still this machine. */
#define NP_OWN_MAX 64

typedef struct NpOwnAddrs
{
	int			n;
	NpAddr		addrs[NP_OWN_MAX];
} NpOwnAddrs;

/* Reads this machine's interface addresses (none when they cannot be read). */
extern void np_own_load(NpOwnAddrs *own);

/*
 * The one judgement of an address a process is about to connect to, for
 * every user (the worker's net_guard, the webhook daemon's guard):
 * NP_PUBLIC when it may, because the address is allow-listed, or
 * allowed_name says the name it was resolved from is, or it is public and
 * not one of own; else why not (NP_OWN for this machine's public address).
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) reaches a.b.c.d and is
 * judged as it, own addresses included.
 */
extern NpClass np_judge(const NpAllowList *allow, const NpOwnAddrs *own, const NpAddr *addr, int allowed_name);

/*
 * text (a URL, or a message quoting URLs) with the userinfo of each URL
 * replaced by "***", for messages and logs; cut to outlen - 1 bytes.
 */
extern void np_redact_url(const char *url, char *out, size_t outlen);

#endif
