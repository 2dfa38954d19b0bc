/*
 * states.h: the names of job and node states, one list for the extension's
 * C code (whose SQL texts splice these literals in), the worker (which reads
 * them in call results) and the seed rows of ffrtmp_data.job_states, which a
 * test compares with this list.  No PostgreSQL headers: both sides compile it.
 *
 * The names are string literals so that a statement can be written
 * "... WHERE state = '" JOB_QUEUED "'": still one constant text, with
 * nothing from outside spliced in.
 */
#ifndef FFRTMP_COMMON_STATES_H
#define FFRTMP_COMMON_STATES_H

#include <stdbool.h>

#define JOB_QUEUED		"queued"
#define JOB_ASSIGNED	"assigned"
#define JOB_RUNNING		"running"
#define JOB_RETRYING	"retrying"
#define JOB_COMPLETED	"completed"
#define JOB_FAILED		"failed"
#define JOB_TIMED_OUT	"timed_out"
#define JOB_CANCELED	"canceled"
#define JOB_REJECTED	"rejected"
#define JOB_HELD		"held"
#define JOB_PAUSED		"paused"

/* What node_heartbeat returns and nodes.state holds. */
#define NODE_STATE_ONLINE	"online"
#define NODE_STATE_DRAINING	"draining"
#define NODE_STATE_OFFLINE	"offline"

typedef struct JobStateInfo
{
	const char *name;
	bool		is_active;		/* counts against max_jobs */
	bool		is_waiting;		/* waits for a node (counted as queued) */
	bool		holds_node;		/* holds a node slot, its CPU cores and GPUs */
	const char *description;	/* the seed row's description, word for word */
} JobStateInfo;

#define JOB_STATE_COUNT 11
extern const JobStateInfo job_states[JOB_STATE_COUNT];

#define NODE_STATE_COUNT 3
extern const char *const node_states[NODE_STATE_COUNT];

/* The state of that name, or NULL. */
extern const JobStateInfo *job_state_find(const char *name);

/* A final state: the attempt is over and nothing runs it (no is_active). */
extern bool job_state_is_final(const char *name);

#endif
