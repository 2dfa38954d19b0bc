/*
 * probe_server.c: the worker's HTTP endpoints (see probe_server.h).
 *
 * The socket is bound here rather than by libmicrohttpd, so that a failure
 * says why (address in use, not an address of this machine).  The server's
 * thread is started with every signal blocked: signals stay the main loop's
 * business.  It reads only what worker_metrics.c shares under its lock or
 * atomically, and logs nothing (the worker's log belongs to the main loop).
 * Bounded: a few connections at once, each dropped after 10 s of silence.
 */
#include "probe_server.h"

#include "worker_metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_MAX_CONNECTIONS 16
#define PROBE_IDLE_TIMEOUT_S 10

struct ProbeServer
{
	struct MHD_Daemon *daemon;	/* owns the listening socket once started */
};

static enum MHD_Result
reply(struct MHD_Connection *connection, unsigned int status, const char *content_type, char *body,
	  int body_is_malloced)
{
	struct MHD_Response *response;
	enum MHD_Result result;

	response = MHD_create_response_from_buffer(strlen(body), body,
											   body_is_malloced ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
	{
		if (body_is_malloced)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

#define TEXT "text/plain; charset=utf-8"

/* One request: answered at once, whatever its body (none is expected). */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **request)
{
	int			known = strcmp(url, "/metrics") == 0 || strcmp(url, "/health") == 0 || strcmp(url, "/ready") == 0;
	char	   *metrics;

	(void) cls;
	(void) version;
	(void) upload_data;
	(void) upload_data_size;
	(void) request;
	if (!known)
		return reply(connection, MHD_HTTP_NOT_FOUND, TEXT, "not found: the paths are /metrics, /health and /ready\n", 0);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, "method not allowed: use GET or HEAD\n", 0);
	if (strcmp(url, "/health") == 0)
		return reply(connection, MHD_HTTP_OK, TEXT, "ok\n", 0);
	if (strcmp(url, "/ready") == 0)
		return worker_metrics_ready() ?
			reply(connection, MHD_HTTP_OK, TEXT, "ready\n", 0) :
			reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT,
				  "not ready: not connected to the database, or not registered as a node yet\n", 0);
	if ((metrics = worker_metrics_render()) == NULL)
		return reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT, "out of memory\n", 0);
	return reply(connection, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", metrics, 1);
}

static int
bind_socket(const struct sockaddr *address, socklen_t address_len, const char *text, char *err, size_t errlen)
{
	int			fd = socket(address->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int			on = 1;

	if (fd < 0)
	{
		snprintf(err, errlen, "could not create a socket for --listen=%s: %s", text, strerror(errno));
		return -1;
	}
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* [::] means IPv6 only: an IPv4 address is listened on by naming it. */
	if (address->sa_family == AF_INET6)
		(void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, address, address_len) != 0 || listen(fd, PROBE_MAX_CONNECTIONS) != 0)
	{
		snprintf(err, errlen, "could not listen on %s: %s", text, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

ProbeServer *
probe_server_start(const struct sockaddr *address, socklen_t address_len, const char *address_text,
				   char *err, size_t errlen)
{
	ProbeServer *server = calloc(1, sizeof(ProbeServer));
	int			fd;
	sigset_t	all;
	sigset_t	saved;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | (address->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0);

	if (server == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((fd = bind_socket(address, address_len, address_text, err, errlen)) < 0)
	{
		free(server);
		return NULL;
	}
	/* The server's thread inherits this mask: no signal handler ever runs there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL,
									  MHD_OPTION_LISTEN_SOCKET, fd,
									  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) PROBE_MAX_CONNECTIONS,
									  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) PROBE_IDLE_TIMEOUT_S,
									  MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (server->daemon == NULL)
	{
		snprintf(err, errlen, "could not start the HTTP server on %s", address_text);
		close(fd);
		free(server);
		return NULL;
	}
	return server;
}

void
probe_server_stop(ProbeServer *server)
{
	if (server == NULL)
		return;
	MHD_stop_daemon(server->daemon);
	free(server);
}
