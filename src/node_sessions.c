/*
 * node_sessions.c: whether the database session a session-bound node is
 * bound to still exists.
 *
 * A session is a backend process identified by its pid and its start time (a
 * pid the system reuses belongs to another session).  A backend enters the
 * server's table of backend status when it starts, before it can run any
 * query, and leaves it only as it exits, after its last transaction has ended.
 * So a session missing from that table can no longer commit anything: its
 * node's attempts have no owner left, and ending them cannot race a call of
 * that session.
 *
 * PostgreSQL keeps a copy of that table for the rest of the transaction once
 * it has been read (pg_stat_activity shows that copy).  A session the copy
 * lists was alive when it was made (should it have ended since, a later
 * transaction finds it gone); one it misses may have started since (a node
 * that registered since would be taken for gone), so a miss is checked
 * against the table read afresh.  Reading it copies every backend's entry, so
 * it is not read afresh for each node a sweep looks at: every call of every
 * node sweeps every session-bound node.  A pid no process has is gone without
 * any read: a backend is in the process array from before it enters the
 * status table until after it has left it.  The table is read whatever the
 * caller's privileges: pg_stat_activity hides the start time of other roles'
 * sessions from roles without pg_read_all_stats, which would make every such
 * session look gone.
 */
#include "ffrtmp.h"

#include "storage/procarray.h"
#include "utils/fmgroids.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

/* Whether this transaction's copy of the backend status table lists the session. */
static bool
listed(int pid, TimestampTz started)
{
	int			backends = pgstat_fetch_stat_numbackends();

	for (int i = 1; i <= backends; i++)
	{
		LocalPgBackendStatus *entry = pgstat_fetch_stat_local_beentry(i);

		if (entry != NULL && entry->backendStatus.st_procpid == pid &&
			entry->backendStatus.st_proc_start_timestamp == started)
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(ffrtmp_session_alive);
Datum
ffrtmp_session_alive(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	TimestampTz started = PG_GETARG_TIMESTAMPTZ(1);

	if (pid <= 0 || BackendPidGetProc(pid) == NULL)
		PG_RETURN_BOOL(false);
	if (listed(pid, started))
		PG_RETURN_BOOL(true);
	pgstat_clear_backend_activity_snapshot();
	PG_RETURN_BOOL(listed(pid, started));
}

/*
 * Whether the node's current session registered under release 0.1
 * (nodes.pre_0_2_session): its worker may be one of 0.1, which knows nothing
 * of pauses.  pause_job asks for the node of a job the caller may see, and
 * that node may be in the shared pool, which row-level security hides from
 * tenants: the one flag is read by the node's key, and nothing else of the
 * node is shown.  An unknown node has no such session.
 */
PG_FUNCTION_INFO_V1(ffrtmp_node_pre_0_2_session);
Datum
ffrtmp_node_pre_0_2_session(PG_FUNCTION_ARGS)
{
	static const char *const columns[] = {"pre_0_2_session"};
	Datum		value;
	bool		isnull;

	if (!ffrtmp_lookup_row("nodes", "nodes_pkey", "id", F_INT8EQ, PG_GETARG_DATUM(0), 1, columns, &value, &isnull))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(!isnull && DatumGetBool(value));
}
