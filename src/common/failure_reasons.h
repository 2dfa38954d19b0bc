/*
 * failure_reasons.h: the classes of job failure, one list for the worker
 * (what it reports when an attempt fails), the extension (its contract()
 * function) and the seed rows of ffrtmp_data.failure_reasons, which a test
 * compares with this list.  No PostgreSQL headers: both sides compile it.
 *
 * A class decides two things: who is to blame, the input (the job, its
 * settings, the media, the network it names) or the platform (a node, the
 * worker or the control plane), for SLOs and for the people who read it;
 * and whether another attempt can change the outcome (retryable).  A
 * deterministic failure (the same input and settings fail the same way on
 * any node) ends the job at once; a retryable one is retried while the run
 * has attempts left (fail_attempt).
 */
#ifndef FFRTMP_COMMON_FAILURE_REASONS_H
#define FFRTMP_COMMON_FAILURE_REASONS_H

#include <stdbool.h>

/* The names, as literals a statement's text can splice in (see states.h). */
#define FAILURE_CAPABILITY_MISMATCH_NAME "capability_mismatch"
#define FAILURE_USER_ERROR_NAME		"user_error"
#define FAILURE_INPUT_ERROR_NAME	"input_error"
#define FAILURE_NETWORK_ERROR_NAME	"network_error"
#define FAILURE_RUNTIME_ERROR_NAME	"runtime_error"
#define FAILURE_TIMEOUT_NAME		"timeout"
#define FAILURE_RESOURCE_ERROR_NAME "resource_error"
#define FAILURE_PLATFORM_ERROR_NAME "platform_error"

/* In the order of the seed rows of release 0.1. */
typedef enum FailureReason
{
	FAILURE_CAPABILITY_MISMATCH,	/* an encoder this machine (or any node) lacks */
	FAILURE_USER_ERROR,			/* settings the worker, encoder or muxer refuses */
	FAILURE_INPUT_ERROR,		/* missing, corrupt, truncated or unsupported input */
	FAILURE_NETWORK_ERROR,		/* a network input or output failed or went silent */
	FAILURE_RUNTIME_ERROR,		/* anything else while running, a crash included */
	FAILURE_TIMEOUT,			/* the job's timeout */
	FAILURE_RESOURCE_ERROR,		/* out of memory, disk, or a size or CPU-time limit */
	FAILURE_PLATFORM_ERROR,		/* a node or the control plane failed, or stopped the job */
	FAILURE_REASON_COUNT
} FailureReason;

typedef struct FailureReasonInfo
{
	const char *name;			/* as jobs.failure_reason and finish_job spell it */
	bool		counts_against_input;	/* the job's fault; else the platform's ("our fault") */
	const char *description;	/* the seed row's description, word for word */
	bool		retryable;		/* another attempt may succeed; else the job fails at once */
} FailureReasonInfo;

extern const FailureReasonInfo failure_reasons[FAILURE_REASON_COUNT];

/* "input_error"... */
extern const char *failure_reason_name(FailureReason reason);

/* The class of a name, or -1 when the database would refuse it. */
extern int	failure_reason_find(const char *name);

/* "input" or "platform", as ffrtmp_data.failure_reasons.counts_against says. */
extern const char *failure_reason_counts_against(FailureReason reason);

#endif
