/*
 * ffrtmp.c: module load.
 *
 * The library must be preloaded: the scheduler background worker can only be
 * registered from shared_preload_libraries, and a half-loaded extension whose
 * queue nobody serves would be worse than a clear refusal.
 */
#include "ffrtmp.h"

#include "miscadmin.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("ffrtmp must be loaded via shared_preload_libraries"),
				 errhint("Add ffrtmp to shared_preload_libraries in postgresql.conf and restart the server.")));

	ffrtmp_scheduler_init();
	ffrtmp_dispatch_init();
	ffrtmp_timeouts_init();
	ffrtmp_network_policy_init();
	ffrtmp_job_waits_init();
	ffrtmp_two_phase_init();
	ffrtmp_audit_init();
	ffrtmp_audit_refusals_init();
	ffrtmp_api_requests_init();
	ffrtmp_metrics_init();
	ffrtmp_log_refusals_init();
	ffrtmp_refusal_counts_init();

	/* Nobody may invent further ffrtmp.* settings, e.g. to fake a tenant context. */
	MarkGUCPrefixReserved("ffrtmp");

	ffrtmp_context_init();
	ffrtmp_permission_hook_init();
	ffrtmp_rest_errors_init();
}
