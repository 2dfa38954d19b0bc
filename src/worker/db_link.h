/*
 * db_link.h: opening one libpq connection for the worker, and telling the
 * errors that waiting cannot fix (a wrong password, an unknown database or
 * role, a bad connection string, the extension missing) from those it can
 * (a server down, starting up, or out of connections).
 *
 * It also holds how the worker's session reads an error answer to a call:
 * whether the server is lost, the refusal passes, or it is final.  The
 * decisions rest on SQLSTATEs, never on message text, which the server
 * translates into its lc_messages.
 */
#ifndef FFRTMP_WORKER_DB_LINK_H
#define FFRTMP_WORKER_DB_LINK_H

#include <libpq-fe.h>
#include <stddef.h>

/*
 * Checks the connection string's syntax and keywords.  0 when it parses
 * (NULL, the PG* variables alone, parses); else the reason in err.
 */
extern int	db_conninfo_check(const char *conninfo, char *err, size_t errlen);

/*
 * Connects with the worker's defaults (keepalives, a connect timeout) under
 * the connection string.  Returns the connection (CONNECTION_OK), or NULL
 * with the reason in err and *exit_status set: 0 when trying again later may
 * work, else a WORKER_EXIT_* status for an error that needs an operator.
 */
extern PGconn *db_connect(const char *conninfo, int *exit_status, char *err, size_t errlen);

/*
 * The exit status an error of a worker call deserves: WORKER_EXIT_CONFIG
 * when the extension is missing (no schema, function or table),
 * WORKER_EXIT_NOPERM for a permission refused, 0 otherwise.
 */
extern int	db_call_error_status(const char *sqlstate);

/*
 * An error answer that means this server cannot serve the node any more (a
 * standby after a failover, a server shutting down, a connection
 * exception): the session counts it as a lost connection and reconnects,
 * which finds the new primary.
 */
extern int	db_refusal_is_lost(const char *sqlstate);

/*
 * An error that says "not now" rather than "never" (serialization,
 * resources, lock or statement timeouts, PT429 "too many requests"): the call
 * is tried again later.
 */
extern int	db_refusal_is_transient(const char *sqlstate);

/*
 * The attempt is not (or no longer) this node's: another attempt or node
 * owns the job, so trying again cannot succeed.
 */
extern int	db_refusal_is_final(const char *sqlstate);

/*
 * The exit status for the node's very first registration refused for good:
 * WORKER_EXIT_PROTOCOL for an incompatible protocol, WORKER_EXIT_NOPERM for
 * a permission refused, else WORKER_EXIT_CONFIG (a bad name or tenant, or
 * the extension missing: all need an operator).
 */
extern int	db_register_error_status(const char *sqlstate);

/*
 * The registration was refused because the two sides speak incompatible
 * protocols (common/protocol.h): the worker exits with WORKER_EXIT_PROTOCOL,
 * whether this is its first registration or a later one.
 */
extern int	db_registration_is_incompatible(const char *sqlstate);

/*
 * What an operator should check after the session gave up with status;
 * sqlstate, when the database refused a call (else NULL), can be more precise.
 */
extern const char *db_exit_advice(int status, const char *sqlstate);

#endif
