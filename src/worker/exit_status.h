/*
 * exit_status.h: ffrtmp-worker's exit statuses.  The ones a restart cannot
 * fix are sysexits(3) codes, so that a service manager (the systemd unit's
 * RestartPreventExitStatus=) stops restarting the worker and says why.
 */
#ifndef FFRTMP_WORKER_EXIT_STATUS_H
#define FFRTMP_WORKER_EXIT_STATUS_H

#define WORKER_EXIT_OK			0	/* drained, or --once with its job completed */
#define WORKER_EXIT_FAILURE		1	/* --once with its job not completed; an internal failure */
#define WORKER_EXIT_USAGE		2	/* a bad command line or configuration file */
#define WORKER_EXIT_UNAVAILABLE	69	/* EX_UNAVAILABLE: --once could not reach the database */
#define WORKER_EXIT_PROTOCOL	76	/* EX_PROTOCOL: the database speaks an incompatible protocol version */
#define WORKER_EXIT_NOPERM		77	/* EX_NOPERM: authentication failed, unknown role, no permission */
#define WORKER_EXIT_CONFIG		78	/* EX_CONFIG: bad connection string, unknown database, no extension */

#endif
