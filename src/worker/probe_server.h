/*
 * probe_server.h: ffrtmp-worker's HTTP endpoints (--listen), served by
 * libmicrohttpd on a thread of its own, so that a slow or stuck client never
 * holds up the supervisor's loop:
 *
 *   GET /metrics  the worker's metrics (worker_metrics.h), Prometheus text format 0.0.4
 *   GET /health   200 while the process serves
 *   GET /ready    200 when connected to the database and registered as a node, else 503
 *
 * HEAD as well; any other path is 404, any other method 405.
 */
#ifndef FFRTMP_WORKER_PROBE_SERVER_H
#define FFRTMP_WORKER_PROBE_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct ProbeServer ProbeServer;

/*
 * Binds address (what --listen gave, text for messages) and starts serving.
 * Returns NULL with a message in err when the address cannot be bound (in
 * use, not this machine's) or the server cannot start.
 */
extern ProbeServer *probe_server_start(const struct sockaddr *address, socklen_t address_len,
									   const char *address_text, char *err, size_t errlen);

/* Stops serving and closes the socket; NULL is fine. */
extern void probe_server_stop(ProbeServer *server);

#endif
