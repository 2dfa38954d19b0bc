/*
 * states.c: job and node state names (see states.h).  The job states'
 * flags and descriptions are the seed rows of ffrtmp_data.job_states (0.1's,
 * and 0.2's held and paused); the seed check compares every field.
 */
#include "states.h"

#include <stddef.h>
#include <string.h>

const JobStateInfo job_states[JOB_STATE_COUNT] = {
	{JOB_QUEUED, true, true, false, "Waiting for a node; runnable once run_after has passed"},
	{JOB_ASSIGNED, true, false, true, "Given to a node that has not started it yet"},
	{JOB_RUNNING, true, false, true, "Being transcoded"},
	{JOB_RETRYING, true, true, false, "Failed an attempt and waits for its backoff before it is queued again"},
	{JOB_COMPLETED, false, false, false, "Finished successfully"},
	{JOB_FAILED, false, false, false, "Failed on its last attempt (dead letter); retry_job queues it again"},
	{JOB_TIMED_OUT, false, false, false, "Ran past its timeout on its last attempt"},
	{JOB_CANCELED, false, false, false, "Canceled by a user or an administrator"},
	{JOB_REJECTED, false, false, false, "No node can ever run it (capability mismatch)"},
	{JOB_HELD, true, false, false, "Held by hold_job: not dispatched until release_job; keeps its place and its unit of quota"},
	{JOB_PAUSED, true, false, true, "Paused by pause_job: its process is stopped on its node, which it keeps, until resume_job"},
};

const char *const node_states[NODE_STATE_COUNT] = {NODE_STATE_ONLINE, NODE_STATE_DRAINING, NODE_STATE_OFFLINE};

const JobStateInfo *
job_state_find(const char *name)
{
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		if (name != NULL && strcmp(name, job_states[i].name) == 0)
			return &job_states[i];
	return NULL;
}

bool
job_state_is_final(const char *name)
{
	const JobStateInfo *state = job_state_find(name);

	return state != NULL && !state->is_active;
}
