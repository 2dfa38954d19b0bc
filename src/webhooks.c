/*
 * webhooks.c: the two checks of sql/api/57_webhooks.sql that need C: a
 * webhook URL's host against the network policy (the same submit-time check
 * as a job's input, in network_allow.c), and whether the caller is the
 * delivery daemon (a member of ffrtmp_webhook_sender), which the webhook
 * tables' policies and the claim functions ask, a tenant's status for the
 * claim, which cannot read tenants through their policy, and the tenant a
 * call acts for.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

PG_FUNCTION_INFO_V1(ffrtmp_check_webhook_url);
Datum
ffrtmp_check_webhook_url(PG_FUNCTION_ARGS)
{
	ffrtmp_check_webhook_url_host(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

/*
 * The role outside any SECURITY DEFINER function, as for current_tenant():
 * the claim functions run as ffrtmp_owner, whose own memberships say nothing.
 */
static bool
caller_is_sender(void)
{
	Oid			sender = get_role_oid("ffrtmp_webhook_sender", true);

	return OidIsValid(sender) && has_privs_of_role(GetOuterUserId(), sender);
}

PG_FUNCTION_INFO_V1(ffrtmp_caller_is_webhook_sender);
Datum
ffrtmp_caller_is_webhook_sender(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(caller_is_sender());
}

/*
 * The tenant whose rows the webhook tables' policies show: the caller's, or
 * none for the delivery daemon, which is mapped to no tenant: current_tenant()
 * and caller_is_admin() would refuse it, and the planner calls a policy's
 * tenant_id = f() while estimating, before any OR could skip it.
 */
PG_FUNCTION_INFO_V1(ffrtmp_webhook_policy_tenant);
Datum
ffrtmp_webhook_policy_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result;

	if (caller_is_sender())
		PG_RETURN_NULL();
	result = palloc(sizeof(pg_uuid_t));
	*result = ffrtmp_caller_tenant();
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(ffrtmp_webhook_tenant_status);
Datum
ffrtmp_webhook_tenant_status(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ffrtmp_tenant_status(PG_GETARG_UUID_P(0))));
}

/*
 * The tenant a webhook call acts for: the caller's own, or the one it names
 * (a tenant principal may name only its own).  An administrator acts for
 * every tenant, so one that names none is refused rather than given the
 * default tenant's webhooks.  call names the function, for the hint.
 */
PG_FUNCTION_INFO_V1(ffrtmp_webhook_target_tenant);
Datum
ffrtmp_webhook_target_tenant(PG_FUNCTION_ARGS)
{
	const char *call = text_to_cstring(PG_GETARG_TEXT_PP(1));
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	SPI_connect();
	if (PG_ARGISNULL(0) && ffrtmp_caller_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s names no tenant", call),
				 errdetail("Webhooks belong to one tenant, and administrators act for every tenant."),
				 errhint("Name the tenant: ffrtmp.%s(..., tenant => 'name').", call)));
	*result = ffrtmp_target_tenant(ffrtmp_tenant_arg_text(fcinfo, 0));
	SPI_finish();
	PG_RETURN_UUID_P(result);
}
