/*
 * db_link.h: opening one libpq connection for the worker, and telling the
 * errors that waiting cannot fix (a wrong password, an unknown database or
 * role, a bad connection string, the extension missing) from those it can
 * (a server down, starting up, or out of connections).
 *
 * The decision rests on SQLSTATEs, never on message text, which the server
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

#endif
