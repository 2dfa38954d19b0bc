/*
 * jobs.h: a job request as submit_job and submit_jobs read it, and the steps
 * both take with it (jobs.c), so that a job is checked, completed from its
 * preset and matched against its idempotency key in one place.
 */
#ifndef FFRTMP_JOBS_H
#define FFRTMP_JOBS_H

#include "ffrtmp.h"

#include "utils/timestamp.h"

typedef struct JobRequest
{
	char	   *input_url;
	char	   *output_url;
	char	   *preset;
	Jsonb	   *params;			/* the caller's; merged with the preset's later */
	int32		priority;
	int32		max_attempts;
	bool		has_run_after;
	TimestampTz run_after;
	Interval   *timeout;
	int32		cpu_cores;
	int32		gpus;
	char	   *idempotency_key;
	text	   *tenant;
	char	   *queue;
	bool		retry_all_failures; /* retry every failure class, not only the retryable */
	bool		sql_0_1;		/* called by release 0.1's SQL (before ALTER EXTENSION
								 * UPDATE): jobs has no retry_all_failures */
} JobRequest;

extern void ffrtmp_default_job_request(JobRequest *r);
extern void ffrtmp_check_job_request(JobRequest *r);
extern Jsonb *ffrtmp_resolve_job_params(JobRequest *r, pg_uuid_t *tenant);
extern int64 ffrtmp_find_idempotent_job(JobRequest *r, pg_uuid_t *tenant, Jsonb *params);
extern Datum ffrtmp_return_job(FunctionCallInfo fcinfo, int64 id);

#endif							/* FFRTMP_JOBS_H */
