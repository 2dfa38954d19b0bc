/*
 * probe_server.c: the worker's HTTP endpoints (see probe_server.h).
 *
 * The socket is bound here rather than by libmicrohttpd, so that a failure
 * says why (address in use, not an address of this machine).  The server's
 * thread is started with every signal blocked: signals stay the main loop's
 * business.  It reads only what worker_metrics.c shares under its lock or
 * atomically, and logs nothing (the worker's log belongs to the main loop).
 * Bounded, so that slow or idle clients cannot silence the liveness probe:
 * at most PROBE_PER_IP_CONNECTIONS connections from one address (MHD's own
 * limit; a probe from another address, the kubelet's, still gets in), at
 * most PROBE_MAX_CONNECTIONS in all, each dropped after PROBE_IDLE_TIMEOUT_S
 * of silence and, whatever it sends, PROBE_REQUEST_DEADLINE_S after it
 * connected: libmicrohttpd's timeout counts from the last byte received,
 * so a client that trickles a header byte every few seconds never hits it.
 * A thread of ours shuts down the socket of a connection past its deadline
 * (MHD then closes it as a client that went away).  Our requests are
 * answered at once: a well-behaved client is done in milliseconds.
 */
#include "probe_server.h"

#include "worker_metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_MAX_CONNECTIONS 64
#define PROBE_PER_IP_CONNECTIONS 4
#define PROBE_IDLE_TIMEOUT_S 10
#define PROBE_REQUEST_DEADLINE_S 10

/* A connection open now: its socket and when it was accepted. */
typedef struct OpenConnection
{
	int			fd;				/* -1: a free entry */
	time_t		since;
} OpenConnection;

struct ProbeServer
{
	struct MHD_Daemon *daemon;	/* owns the listening socket once started */
	pthread_mutex_t lock;		/* over open[] and stopping */
	pthread_cond_t wake;		/* the deadline thread's sleep, cut short by stop */
	bool		stopping;
	bool		sweeping;		/* the deadline thread was started */
	pthread_t	sweeper;
	OpenConnection open[PROBE_MAX_CONNECTIONS];
};

static time_t
monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec;
}

/*
 * MHD's notice of a connection opened or closed, on its thread.  CLOSED comes
 * before MHD closes the socket, and waits for the lock: the deadline thread
 * never shuts down a descriptor already reused.
 */
static void
track_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
				 enum MHD_ConnectionNotificationCode code)
{
	ProbeServer *server = cls;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
	int			fd = info ? info->connect_fd : -1;

	(void) socket_context;
	if (fd < 0)
		return;
	pthread_mutex_lock(&server->lock);
	for (int i = 0; i < PROBE_MAX_CONNECTIONS; i++)
	{
		if (code == MHD_CONNECTION_NOTIFY_STARTED && server->open[i].fd < 0)
		{
			server->open[i].fd = fd;
			server->open[i].since = monotonic_seconds();
			break;
		}
		if (code == MHD_CONNECTION_NOTIFY_CLOSED && server->open[i].fd == fd)
		{
			server->open[i].fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&server->lock);
}

/* Once a second, shuts down the connections open longer than the deadline. */
static void *
enforce_deadlines(void *arg)
{
	ProbeServer *server = arg;

	pthread_mutex_lock(&server->lock);
	while (!server->stopping)
	{
		struct timespec until;
		time_t		now = monotonic_seconds();

		for (int i = 0; i < PROBE_MAX_CONNECTIONS; i++)
			if (server->open[i].fd >= 0 && now - server->open[i].since >= PROBE_REQUEST_DEADLINE_S)
			{
				(void) shutdown(server->open[i].fd, SHUT_RDWR);
				server->open[i].since = now;	/* once; MHD closes it on its next turn */
			}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&server->wake, &server->lock, &until);
	}
	pthread_mutex_unlock(&server->lock);
	return NULL;
}

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
	pthread_mutex_init(&server->lock, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&server->wake, &attr);
		pthread_condattr_destroy(&attr);
	}
	for (int i = 0; i < PROBE_MAX_CONNECTIONS; i++)
		server->open[i].fd = -1;
	/* The server's thread inherits this mask: no signal handler ever runs there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	server->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, NULL,
									  MHD_OPTION_LISTEN_SOCKET, fd,
									  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) PROBE_MAX_CONNECTIONS,
									  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int) PROBE_PER_IP_CONNECTIONS,
									  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) PROBE_IDLE_TIMEOUT_S,
									  MHD_OPTION_NOTIFY_CONNECTION, track_connection, server,
									  MHD_OPTION_END);
	if (server->daemon != NULL)
		server->sweeping = pthread_create(&server->sweeper, NULL, enforce_deadlines, server) == 0;
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (server->daemon == NULL || !server->sweeping)
	{
		snprintf(err, errlen, "could not start the HTTP server on %s", address_text);
		if (server->daemon != NULL)
			MHD_stop_daemon(server->daemon);
		else
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
	pthread_mutex_lock(&server->lock);
	server->stopping = true;
	pthread_cond_signal(&server->wake);
	pthread_mutex_unlock(&server->lock);
	pthread_join(server->sweeper, NULL);
	MHD_stop_daemon(server->daemon);
	free(server);
}
