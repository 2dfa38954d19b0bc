/*
 * socket_filter.h: the kernel's half of the network policy in a job's
 * process: a seccomp filter on the system calls that make sockets.
 *
 * net_guard.c checks every connect() the code calls by name; this filter
 * makes sure nothing else is reachable at all: no Unix-domain sockets (a
 * database's socket, with trust authentication, would be open to any job),
 * no netlink, packet or raw sockets, no ICMP, no io_uring (whose socket and
 * connect operations pass beside both), no datagrams sent to an address
 * given with the send.  What is left is TCP and UDP over IPv4 and IPv6.
 */
#ifndef FFRTMP_WORKER_SOCKET_FILTER_H
#define FFRTMP_WORKER_SOCKET_FILTER_H

#include <stddef.h>

/*
 * Applies the filter to this process and the threads and processes it
 * starts from now on; it cannot be lifted.  A refused call fails with
 * EACCES (so that glibc's resolver, which tries nscd's Unix socket, falls
 * back quietly).  Returns 0, or -1 with a message in err.
 */
extern int	socket_filter_apply(char *err, size_t errlen);

#endif
