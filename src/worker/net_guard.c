/*
 * net_guard.c: connect() and getaddrinfo() interposed for the network
 * policy (see net_guard.h).
 *
 * Host names are judged by what they resolve to, at the moment of each
 * connect(): a name that resolves to a private address, or rebinds to one
 * between two connections, is refused like the address itself.  An
 * allow-listed name is the one exception, so getaddrinfo() remembers which
 * addresses came from which name (and the name, for the message).  The
 * judgement is np_judge (../common/net_policy.h), shared with the webhook
 * delivery daemon.
 */
#include "net_guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../common/net_policy.h"

#define SEEN_MAX 128

typedef struct SeenAddr
{
	NpAddr		addr;
	int			allowed;		/* resolved from an allow-listed name */
	char		name[NP_NAME_MAX + 1];
} SeenAddr;

static int	active;
static NpAllowList allow;
static NpOwnAddrs own;
static SeenAddr seen[SEEN_MAX];
static int	nseen;				/* entries written; the table is a ring */
static char refusal[512];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

typedef int (*connect_fn) (int, const struct sockaddr *, socklen_t);
typedef int (*getaddrinfo_fn) (const char *, const char *, const struct addrinfo *, struct addrinfo **);

int
net_guard_enable(const char *const *entries, int nentries, char *err, size_t errlen)
{
	memset(&allow, 0, sizeof(allow));
	for (int i = 0; i < nentries; i++)
		if (np_allow_parse(&allow, entries[i], err, errlen) < 0)
			return -1;
	np_own_load(&own);
	nseen = 0;
	refusal[0] = '\0';
	active = 1;
	return 0;
}

int
net_guard_refusal(char *out, size_t outlen)
{
	int			refused;

	pthread_mutex_lock(&lock);
	refused = refusal[0] != '\0';
	if (refused)
		snprintf(out, outlen, "%s", refusal);
	pthread_mutex_unlock(&lock);
	return refused;
}

/* NP_PUBLIC when the policy lets this process connect to sa; *name is what to call it. */
static NpClass
judge(const struct sockaddr *sa, socklen_t len, char *name, size_t namelen)
{
	NpAddr		addr;
	int			allowed_name = 0;

	if (np_addr_from_sockaddr(sa, len, &addr) < 0)
	{
		snprintf(name, namelen, "a socket of family %d", (int) sa->sa_family);
		return NP_NOT_INET;
	}
	np_addr_text(&addr, name, namelen);
	for (int i = 0; i < SEEN_MAX && i < nseen; i++)
		if (memcmp(&seen[i].addr, &addr, sizeof(addr)) == 0)
		{
			allowed_name |= seen[i].allowed;
			snprintf(name, namelen, "%s", seen[i].name);
		}
	return np_judge(&allow, &own, &addr, allowed_name);
}

int
connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	static connect_fn real_connect;
	char		name[NP_NAME_MAX + 1];
	NpClass		class;

	if (real_connect == NULL)
		real_connect = (connect_fn) dlsym(RTLD_NEXT, "connect");
	if (active && sa != NULL && sa->sa_family != AF_UNSPEC)
	{
		pthread_mutex_lock(&lock);
		class = judge(sa, len, name, sizeof(name));
		if (class != NP_PUBLIC && refusal[0] == '\0')
			snprintf(refusal, sizeof(refusal), "network policy refused a connection to %s: %s",
					 name, np_class_text(class));
		pthread_mutex_unlock(&lock);
		if (class != NP_PUBLIC)
		{
			errno = EACCES;
			return -1;
		}
	}
	return real_connect(fd, sa, len);
}

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
	static getaddrinfo_fn real_getaddrinfo;
	int			rc;

	if (real_getaddrinfo == NULL)
		real_getaddrinfo = (getaddrinfo_fn) dlsym(RTLD_NEXT, "getaddrinfo");
	rc = real_getaddrinfo(node, service, hints, res);
	if (!active || rc != 0 || node == NULL)
		return rc;
	pthread_mutex_lock(&lock);
	for (struct addrinfo *ai = *res; ai; ai = ai->ai_next)
	{
		SeenAddr   *s = &seen[nseen++ % SEEN_MAX];

		if (np_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &s->addr) < 0)
		{
			nseen--;
			continue;
		}
		s->allowed = np_allow_name(&allow, node);
		snprintf(s->name, sizeof(s->name), "%s", node);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}
