/*
 * rest_claims.c: what PostgREST tells about a request, believed only from
 * PostgREST itself.
 *
 * PostgREST connects as ffrtmp_authenticator and, for a JWT whose signature
 * it verified, switches to the role its "role" claim names and puts every
 * claim in request.jwt.claims (v12.2.9 src/PostgREST/Query.hs, setPgLocals).
 * Any session may set request.* with set_config, so they are read only when
 * the session user is the authenticator; the claims, only when the request
 * runs as ffrtmp_api as well.  That is the tenant context's second source
 * (tenant_context.c):
 *
 *   sub            the user's id (required);
 *   ffrtmp_tenant  optionally, the user's tenant, by id or name;
 *   ffrtmp_role    optionally, a role to act with (viewer, operator, ...).
 *
 * The claims are never more than the user is now, read again at every
 * statement like an API key: the user must exist, be active and not deleted,
 * and belong to the tenant claimed; a role claimed above the user's own is
 * narrowed to the user's (as a key acts at most with its maker's power now).
 * Whatever is wrong is one generic 28000 error, queued for the audit log as a
 * failed authentication.
 *
 * X-Tenant-ID (request.headers) selects the tenant of a principal allowed to
 * act for several, a superadmin: by id or name; missing, the default tenant.
 */
#include "ffrtmp.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/jsonb.h"

/* Whether the session is PostgREST's: request settings are then its own. */
bool
ffrtmp_rest_trusted(void)
{
	Oid			authenticator = get_role_oid("ffrtmp_authenticator", true);

	return OidIsValid(authenticator) && GetSessionUserId() == authenticator;
}

/* A string member of the JSON object in setting, or NULL. */
static char *
setting_member(const char *setting, const char *member)
{
	const char *text = GetConfigOption(setting, true, false);
	Jsonb	   *json;
	JsonbValue *value;

	if (text == NULL || text[0] == '\0')
		return NULL;
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	if (!JB_ROOT_IS_OBJECT(json))
		return NULL;
	value = getKeyJsonValueFromContainer(&json->root, member, strlen(member), NULL);
	if (value == NULL || value->type != jbvString)
		return NULL;
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* The tenant named by id or name, not deleted; false when there is none. */
static bool
tenant_named(const char *id_or_name, pg_uuid_t *tenant)
{
	static const char *const columns[] = {"id", "deleted_at"};
	Datum		values[2];
	bool		nulls[2];
	pg_uuid_t	id;
	bool		found;

	if (ffrtmp_parse_uuid(id_or_name, &id))
		found = ffrtmp_lookup_row("tenants", "tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(&id),
								  2, columns, values, nulls);
	else
		found = ffrtmp_lookup_row("tenants", "tenants_name_key", "name", F_TEXTEQ,
								  CStringGetTextDatum(id_or_name), 2, columns, values, nulls);
	if (!found || !nulls[1])
		return false;
	*tenant = *DatumGetUUIDP(values[0]);
	return true;
}

/* The request's X-Tenant-ID header, or NULL (always NULL outside PostgREST). */
const char *
ffrtmp_rest_tenant_header(void)
{
	return ffrtmp_rest_trusted() ? setting_member("request.headers", "x-tenant-id") : NULL;
}

/*
 * The tenant a principal allowed to act for several acts for: the one
 * X-Tenant-ID names, or the default tenant.  One that does not exist is
 * PT404, which PostgREST answers with 404.
 */
pg_uuid_t
ffrtmp_rest_selected_tenant(void)
{
	const char *header = ffrtmp_rest_tenant_header();
	pg_uuid_t	tenant;

	if (header == NULL)
		return *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(FFRTMP_DEFAULT_TENANT)));
	if (!tenant_named(header, &tenant))
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("tenant \"%s\" does not exist", header),
				 errhint("X-Tenant-ID names a tenant by id or name; SELECT name FROM ffrtmp.tenants lists them.")));
	return tenant;
}

/*
 * Refuses, audited on the principal's own chain, an X-Tenant-ID naming
 * another tenant than own, or none at all: with one message either way, a
 * one-tenant principal (an "api key", a "token") cannot learn whether
 * another tenant exists.
 */
void
ffrtmp_rest_require_own_tenant(const pg_uuid_t *own, const char *principal)
{
	const char *header = ffrtmp_rest_tenant_header();
	pg_uuid_t	named;

	if (header == NULL || (tenant_named(header, &named) && memcmp(&named, own, sizeof named) == 0))
		return;
	ffrtmp_audit_refusal(own, "permission.denied", psprintf("tenant %s", header), "refused");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("X-Tenant-ID names a tenant this %s does not act for", principal),
			 errhint("Leave X-Tenant-ID out, or name the %s's own tenant: each %s acts for one tenant.",
					 principal, principal)));
}

static void
invalid_claims(const pg_uuid_t *tenant)
{
	ffrtmp_audit_refusal_charged(tenant, NULL, "jwt.authenticate", "jwt", "auth_failed");
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid token claims"),
			 errhint("A token's claim sub names an active user, ffrtmp_tenant (if any) that user's tenant, ffrtmp_role (if any) a role.")));
}

/*
 * The user the verified claims name, as that user is now, with the role
 * narrowed to the one claimed; false when the request carries no claims to
 * believe (not PostgREST, or not running as ffrtmp_api).
 */
bool
ffrtmp_claims_user(FfrtmpUser *user)
{
	static const char *const columns[] = {"tenant_id", "email", "role", "status", "deleted_at"};
	Oid			api = get_role_oid("ffrtmp_api", true);
	Datum		values[5];
	bool		nulls[5];
	char	   *sub;
	char	   *claimed_tenant;
	char	   *claimed_role;
	pg_uuid_t	tenant;

	if (!ffrtmp_rest_trusted() || !OidIsValid(api) || GetOuterUserId() != api)
		return false;
	sub = setting_member("request.jwt.claims", "sub");
	if (sub == NULL || !ffrtmp_parse_uuid(sub, &user->id) ||
		!ffrtmp_lookup_row("users", "users_pkey", "id", F_UUID_EQ, UUIDPGetDatum(&user->id),
						   5, columns, values, nulls))
		invalid_claims(NULL);
	user->has_tenant = !nulls[0];
	if (user->has_tenant)
		user->tenant = *DatumGetUUIDP(values[0]);
	user->email = nulls[1] ? NULL : TextDatumGetCString(values[1]);
	strlcpy(user->role, TextDatumGetCString(values[2]), NAMEDATALEN);
	user->disabled = strcmp(TextDatumGetCString(values[3]), "active") != 0;
	user->deleted = !nulls[4];
	if (user->disabled || user->deleted)
		invalid_claims(user->has_tenant ? &user->tenant : NULL);

	/* A superadmin belongs to no tenant: X-Tenant-ID selects one, not a claim. */
	claimed_tenant = setting_member("request.jwt.claims", "ffrtmp_tenant");
	if (claimed_tenant != NULL &&
		(!user->has_tenant || !tenant_named(claimed_tenant, &tenant) ||
		 memcmp(&tenant, &user->tenant, sizeof tenant) != 0))
		invalid_claims(user->has_tenant ? &user->tenant : NULL);

	claimed_role = setting_member("request.jwt.claims", "ffrtmp_role");
	if (claimed_role != NULL)
	{
		static const char *const rank_column[] = {"rank"};
		Datum		rank;
		bool		no_rank = true;

		if (!ffrtmp_lookup_row("roles", "roles_pkey", "name", F_TEXTEQ, CStringGetTextDatum(claimed_role),
							   1, rank_column, &rank, &no_rank) || no_rank)
			invalid_claims(user->has_tenant ? &user->tenant : NULL);
		if (DatumGetInt32(rank) < ffrtmp_role_rank(user->role))
			strlcpy(user->role, claimed_role, NAMEDATALEN);
	}
	return true;
}
