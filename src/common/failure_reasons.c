/*
 * failure_reasons.c: the classes of job failure (see failure_reasons.h).
 * The descriptions are those of release 0.1's seed rows: the seed check
 * compares every field, so a class changed here and not in SQL (or the
 * other way round) fails the tests.
 */
#include "failure_reasons.h"

#include <string.h>

const FailureReasonInfo failure_reasons[FAILURE_REASON_COUNT] = {
	[FAILURE_CAPABILITY_MISMATCH] = {FAILURE_CAPABILITY_MISMATCH_NAME, true, "No node offers what the job needs", false},
	[FAILURE_USER_ERROR] = {FAILURE_USER_ERROR_NAME, true, "The job's own settings are wrong", false},
	[FAILURE_INPUT_ERROR] = {FAILURE_INPUT_ERROR_NAME, true, "The input is missing, corrupt or unsupported", false},
	[FAILURE_NETWORK_ERROR] = {FAILURE_NETWORK_ERROR_NAME, true, "The input or output could not be reached", true},
	[FAILURE_RUNTIME_ERROR] = {FAILURE_RUNTIME_ERROR_NAME, true, "The transcode failed while running", true},
	[FAILURE_TIMEOUT] = {FAILURE_TIMEOUT_NAME, false, "The job ran past its timeout", true},
	[FAILURE_RESOURCE_ERROR] = {FAILURE_RESOURCE_ERROR_NAME, false, "The node ran out of memory, disk or another resource", true},
	[FAILURE_PLATFORM_ERROR] = {FAILURE_PLATFORM_ERROR_NAME, false, "A node or the control plane failed", true},
};

const char *
failure_reason_name(FailureReason reason)
{
	return failure_reasons[reason].name;
}

int
failure_reason_find(const char *name)
{
	for (int i = 0; i < FAILURE_REASON_COUNT; i++)
		if (name != NULL && strcmp(name, failure_reasons[i].name) == 0)
			return i;
	return -1;
}

const char *
failure_reason_counts_against(FailureReason reason)
{
	return failure_reasons[reason].counts_against_input ? "input" : "platform";
}
