/*
 * socket_filter.c: the seccomp filter of a job's process (see
 * socket_filter.h), built with libseccomp.
 *
 * Everything not named here stays allowed: this filter narrows sockets
 * only; files are Landlock's (sandbox.c).  System calls of another
 * architecture (32-bit socketcall through int 0x80) kill the process, which
 * is libseccomp's default for a foreign architecture.
 */
#include "socket_filter.h"

#include <errno.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The socket type without SOCK_NONBLOCK and SOCK_CLOEXEC. */
#define TYPE_MASK 0xf

int
socket_filter_apply(char *err, size_t errlen)
{
	static const int refused_types[] = {SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_DCCP, SOCK_PACKET};
	static const int refused_protocols[] = {IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_RAW};
	const uint32_t deny = SCMP_ACT_ERRNO(EACCES);
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int			rc = 0;

	if (ctx == NULL)
	{
		snprintf(err, errlen, "could not create a seccomp filter");
		return -1;
	}
	/* Families: only AF_INET (2) and AF_INET6 (10). */
	rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_LT, AF_INET));
	rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_GT, AF_INET6));
	for (int family = AF_INET + 1; family < AF_INET6; family++)
		rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, family));
	for (size_t i = 0; i < sizeof(refused_types) / sizeof(refused_types[0]); i++)
		rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1,
							   SCMP_A1(SCMP_CMP_MASKED_EQ, TYPE_MASK, refused_types[i]));
	for (size_t i = 0; i < sizeof(refused_protocols) / sizeof(refused_protocols[0]); i++)
		rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A2(SCMP_CMP_EQ, refused_protocols[i]));
	/* A connected pair reaches nothing, but nothing in a transcode needs one either. */
	rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair), 0);
	/* Datagrams sent to an address of their own would skip connect(). */
	rc |= seccomp_rule_add(ctx, deny, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_NE, 0));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(io_uring_setup), 0);
	if (rc != 0)
	{
		seccomp_release(ctx);
		snprintf(err, errlen, "could not build the seccomp filter (libseccomp refused a rule)");
		return -1;
	}
	if ((rc = seccomp_load(ctx)) != 0)
	{
		seccomp_release(ctx);
		snprintf(err, errlen, "could not apply the seccomp filter: %s", strerror(-rc));
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}
