/*
 * test_net_guard.c: the network policy in the process that connects:
 * connect() refused before any packet (a loopback listener sees nothing),
 * allowed by CIDR or by host name after resolution, a Unix-domain
 * connection refused; and the seccomp filter: no Unix-domain, netlink,
 * packet or raw sockets, while name resolution still works.
 *
 * Each case runs in a child process of its own: the guard and the filter
 * cannot be lifted once applied.  Children report their CHECK lines on
 * standard output and their counts through the exit status.
 */
#include "../net_guard.h"
#include "../socket_filter.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int	listener;
static int	listener_port;
static char unix_path[64];
static int	unix_listener;

/* A TCP listener on 127.0.0.1 and a Unix-domain one, both non-blocking. */
static void
start_listeners(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	socklen_t	len = sizeof(in);

	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *) &in, sizeof(in)) != 0 || listen(listener, 8) != 0 ||
		getsockname(listener, (struct sockaddr *) &in, &len) != 0)
		abort();
	listener_port = ntohs(in.sin_port);

	snprintf(unix_path, sizeof(unix_path), "/tmp/test_net_guard.%d", (int) getpid());
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", unix_path);
	unix_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (unix_listener < 0 || bind(unix_listener, (struct sockaddr *) &un, sizeof(un)) != 0 ||
		listen(unix_listener, 8) != 0)
		abort();
}

/* Connections the listener has waiting (accepted and closed). */
static int
accepted(int fd)
{
	int			n = 0;
	int			client;

	usleep(50 * 1000);
	while ((client = accept(fd, NULL, NULL)) >= 0)
	{
		close(client);
		n++;
	}
	return n;
}

static int
connect_to(const char *host, int port)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	char		service[16];
	int			fd;
	int			rc;

	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return -2;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	rc = connect(fd, res->ai_addr, res->ai_addrlen);
	if (rc != 0)
		rc = -errno;
	close(fd);
	freeaddrinfo(res);
	return rc;
}

/* Runs fn in a child; its checks count here. */
static void
in_child(void (*fn) (void))
{
	pid_t		pid;
	int			status;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		checks_passed = checks_failed = 0;
		fn();
		fflush(stdout);
		_exit((checks_failed > 0 ? 128 : 0) | (checks_passed & 127));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
	{
		checks_failed++;
		printf("not ok - a child process of the test died\n");
		return;
	}
	checks_passed += WEXITSTATUS(status) & 127;
	checks_failed += (WEXITSTATUS(status) & 128) ? 1 : 0;
}

static void
refused_by_default(void)
{
	char		message[512];
	const char *none[] = {NULL};

	CHECK(net_guard_enable(none, 0, message, sizeof(message)) == 0, "the guard starts with an empty allow-list");
	CHECK(connect_to("127.0.0.1", listener_port) == -EACCES, "connect to 127.0.0.1 fails with EACCES");
	CHECK(accepted(listener) == 0, "and the loopback listener saw no connection");
	CHECK(net_guard_refusal(message, sizeof(message)) &&
		  strcmp(message, "network policy refused a connection to 127.0.0.1: a loopback address") == 0,
		  "the refusal is recorded as the policy's, not as the network's answer");
	CHECK(connect_to("localhost", listener_port) == -EACCES && accepted(listener) == 0,
		  "a name that resolves to loopback is refused after resolution");
	CHECK(connect_to("0x7f000001", listener_port) == -EACCES && accepted(listener) == 0,
		  "so is 0x7f000001, as the resolver reads it");
}

static void
refused_names_named(void)
{
	char		message[512];

	net_guard_enable(NULL, 0, message, sizeof(message));
	CHECK(connect_to("localhost", listener_port) == -EACCES, "localhost is refused");
	CHECK(net_guard_refusal(message, sizeof(message)) && strstr(message, "to localhost: a loopback address"),
		  "the message names the host the job asked for");
}

static void
allowed_by_cidr(void)
{
	const char *allow[] = {"127.0.0.0/8"};
	char		message[512];

	net_guard_enable(allow, 1, message, sizeof(message));
	CHECK(connect_to("127.0.0.1", listener_port) == 0 && accepted(listener) == 1,
		  "with 127.0.0.0/8 allowed the listener sees the connection");
	CHECK(!net_guard_refusal(message, sizeof(message)), "and nothing was refused");
}

static void
allowed_by_name(void)
{
	const char *allow[] = {"localhost"};
	char		message[512];

	net_guard_enable(allow, 1, message, sizeof(message));
	CHECK(connect_to("localhost", listener_port) == 0 && accepted(listener) == 1,
		  "an allowed host name reaches the addresses it resolves to");
	CHECK(connect_to("127.0.0.2", listener_port) == -EACCES,
		  "other loopback addresses stay refused: the name opens only what it resolved to");
}

static void
unix_socket_refused(void)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int			fd = socket(AF_UNIX, SOCK_STREAM, 0);	/* made before the guard */
	char		message[512];

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", unix_path);
	net_guard_enable(NULL, 0, message, sizeof(message));
	CHECK(connect(fd, (struct sockaddr *) &un, sizeof(un)) != 0 && errno == EACCES,
		  "connect to a Unix-domain socket is refused");
	CHECK(accepted(unix_listener) == 0, "and the Unix-domain listener saw nothing");
	close(fd);
}

static void
filtered(void)
{
	char		err[256];
	struct addrinfo *res;
	int			fd;

	CHECK(socket_filter_apply(err, sizeof(err)) == 0, "the seccomp filter applies");
	errno = 0;
	CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES, "no AF_UNIX stream socket");
	CHECK(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) < 0, "no AF_UNIX datagram socket");
	CHECK(socket(AF_NETLINK, SOCK_RAW, 0) < 0, "no netlink socket");
	CHECK(socket(AF_PACKET, SOCK_RAW, 0) < 0, "no packet socket");
	CHECK(socket(AF_INET, SOCK_RAW, IPPROTO_TCP) < 0, "no raw IPv4 socket");
	CHECK(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_UDP) < 0, "no raw IPv6 socket");
	CHECK(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) < 0, "no ICMP socket");
	CHECK(socket(AF_INET, SOCK_SEQPACKET, 0) < 0, "no other socket types");
	CHECK(socket(AF_INET + 1, SOCK_STREAM, 0) < 0 && socket(40, SOCK_STREAM, 0) < 0, "no other families");
	{
		int			pair[2];

		CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0, "no socket pairs");
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "TCP over IPv4 is still there");
	close(fd);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(fd >= 0, "UDP over IPv6 is still there (the resolver's)");
	close(fd);
	CHECK(getaddrinfo("localhost", "80", NULL, &res) == 0, "name resolution still works (nscd is tried and skipped)");
	if (res)
		freeaddrinfo(res);
}

int
main(void)
{
	start_listeners();
	in_child(refused_by_default);
	in_child(refused_names_named);
	in_child(allowed_by_cidr);
	in_child(allowed_by_name);
	in_child(unix_socket_refused);
	in_child(filtered);
	CHECK(accepted(listener) == 0 && accepted(unix_listener) == 0, "no connection was left unseen");
	close(unix_listener);
	unlink(unix_path);
	return check_summary();
}
