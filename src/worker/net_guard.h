/*
 * net_guard.h: the network policy in the process that connects (see
 * ../common/net_policy.h): a job's child process, or ffrtmp-transcode.
 *
 * The executable defines connect() and getaddrinfo() itself and exports
 * them, so libavformat's calls (inputs, RTMP pushes, HTTP redirects, HLS
 * playlists' segments and keys: every TCP connection it makes) come here
 * first.  Once net_guard_enable() has run, each connect() is checked
 * against the address it is about to reach, after resolution, and a
 * refused one fails with EACCES without a packet sent.  Until then (in the
 * supervisor, whose libpq connects to the database) both pass straight
 * through to the C library.
 */
#ifndef FFRTMP_WORKER_NET_GUARD_H
#define FFRTMP_WORKER_NET_GUARD_H

#include <stddef.h>

/*
 * From now on this process connects only where the policy allows: public
 * addresses that are not the machine's own, and what the allow-list entries
 * (CIDRs and host names, as --allow-network takes them) open.  Returns 0, or
 * -1 with a message in err (an invalid entry).
 */
extern int	net_guard_enable(const char *const *allow, int nallow, char *err, size_t errlen);

/*
 * Whether a connection was refused since net_guard_enable(); if so, the
 * message the job fails with ("network policy refused a connection to
 * HOST: a loopback address"), which says nothing the network answered.
 */
extern int	net_guard_refusal(char *out, size_t outlen);

#endif
