/*
 * rest_claims.c: what PostgREST tells about a request, believed only from
 * PostgREST itself.
 *
 * PostgREST connects as ffrtmp_authenticator and, for a JWT whose signature
 * it verified, switches to the role its "role" claim names and puts every
 * claim in request.jwt.claims (v12.2.9 src/PostgREST/Query.hs, setPgLocals).
 * Any session may set request.* with set_config, so they are read only when
 * the session user is the authenticator; the claims, only when the request
 * runs as ffrtmp_api (or ffrtmp_api_admin, which the pre-request function
 * switches a superadmin's request to) as well.  That is the tenant context's second source
 * (tenant_context.c):
 *
 *   sub            the user's id (required);
 *   ffrtmp_tenant  optionally, the user's tenant, by id or name;
 *   ffrtmp_role    optionally, a role to act with (viewer, operator, ...).
 *
 * The claims are never more than the user is now, read again at every
 * statement like an API key: the user must exist, be active and not deleted,
 * of a tenant that is active (as its keys), and belong to the tenant claimed;
 * a narrowing claim present is a string; a role claimed above the user's own is
 * narrowed to the user's (as a key acts at most with its maker's power now).
 * Whatever is wrong is one generic 28000 error, queued for the audit log as a
 * failed authentication.
 *
 * X-Tenant-ID (request.headers) selects the tenant of a principal allowed to
 * act for several, a superadmin: by id or name; missing, the default tenant.
 */
#include "ffrtmp.h"
#include "bounds.h"

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

/*
 * A string member of the JSON object in setting, or NULL when absent; a
 * member present with another JSON type (null included) sets *wrong_type.
 */
static char *
setting_member(const char *setting, const char *member, bool *wrong_type)
{
	const char *text = GetConfigOption(setting, true, false);
	Jsonb	   *json;
	JsonbValue *value;

	*wrong_type = false;
	if (text == NULL || text[0] == '\0')
		return NULL;
	json = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
	if (!JB_ROOT_IS_OBJECT(json))
		return NULL;
	value = getKeyJsonValueFromContainer(&json->root, member, strlen(member), NULL);
	if (value == NULL)
		return NULL;
	if (value->type != jbvString)
	{
		*wrong_type = true;
		return NULL;
	}
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/*
 * The tenant named by id or name, not deleted; false when there is none.
 * *deleted_name (when asked) gets the name of a deleted one so named.
 */
static bool
tenant_named_or_deleted(const char *id_or_name, pg_uuid_t *tenant, char **deleted_name)
{
	static const char *const columns[] = {"id", "deleted_at", "name"};
	Datum		values[3];
	bool		nulls[3];
	pg_uuid_t	id;
	bool		found;

	/* Any spelling uuid_in takes ({...}, no hyphens): X-Tenant-ID compares ids as uuids. */
	if (ffrtmp_parse_uuid_any(id_or_name, &id))
		found = ffrtmp_lookup_row("tenants", "tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(&id),
								  3, columns, values, nulls);
	else
		found = ffrtmp_lookup_row("tenants", "tenants_name_key", "name", F_TEXTEQ,
								  CStringGetTextDatum(id_or_name), 3, columns, values, nulls);
	if (found && !nulls[1] && deleted_name)
		*deleted_name = TextDatumGetCString(values[2]);
	if (!found || !nulls[1])
		return false;
	*tenant = *DatumGetUUIDP(values[0]);
	return true;
}

static bool
tenant_named(const char *id_or_name, pg_uuid_t *tenant)
{
	return tenant_named_or_deleted(id_or_name, tenant, NULL);
}

/*
 * The request's X-Tenant-ID header, or NULL (always NULL outside PostgREST);
 * empty or blank is absent.  Longer than any tenant's id or name is 22023
 * (HTTP 400), the bound ffrtmp_find_tenant has, without the value itself.
 */
const char *
ffrtmp_rest_tenant_header(void)
{
	bool		wrong_type;
	char	   *header;
	size_t		len;

	if (!ffrtmp_rest_trusted())
		return NULL;
	header = setting_member("request.headers", "x-tenant-id", &wrong_type);
	if (header == NULL)
		return NULL;
	while (*header == ' ' || *header == '\t')
		header++;
	len = strlen(header);
	while (len > 0 && (header[len - 1] == ' ' || header[len - 1] == '\t'))
		header[--len] = '\0';
	if (len == 0)
		return NULL;
	if (len > TENANT_REF_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("X-Tenant-ID is longer than %d bytes", TENANT_REF_MAX_BYTES),
				 errhint("X-Tenant-ID names a tenant by id or name, at most %d bytes.", TENANT_REF_MAX_BYTES)));
	return header;
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
	char	   *deleted = NULL;

	if (header == NULL)
		return *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(FFRTMP_DEFAULT_TENANT)));
	if (!tenant_named_or_deleted(header, &tenant, &deleted) && deleted != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_NOT_FOUND),
				 errmsg("tenant \"%s\" has been deleted", deleted),
				 errhint("Restore it with ffrtmp.restore_tenant() first, or name another tenant in X-Tenant-ID.")));
	if (deleted == NULL && !tenant_named(header, &tenant))
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
	Oid			api_admin = get_role_oid("ffrtmp_api_admin", true);
	Oid			outer = GetOuterUserId();
	char	   *sub;
	char	   *claimed_tenant;
	char	   *claimed_role;
	bool		tenant_wrong_type;
	bool		role_wrong_type;
	bool		wrong_type;
	pg_uuid_t	tenant;

	if (!ffrtmp_rest_trusted() || !OidIsValid(outer) ||
		(outer != api && outer != api_admin))
		return false;
	sub = setting_member("request.jwt.claims", "sub", &wrong_type);
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
	/* Like its keys: a tenant suspended, expired or deleted authenticates nobody. */
	if (user->has_tenant && strcmp(ffrtmp_tenant_status(&user->tenant), "active") != 0)
		invalid_claims(&user->tenant);

	/*
	 * A narrowing claim of another JSON type than a string is refused, never
	 * taken for absent: absent would act with the user's whole role.
	 */
	claimed_tenant = setting_member("request.jwt.claims", "ffrtmp_tenant", &tenant_wrong_type);
	claimed_role = setting_member("request.jwt.claims", "ffrtmp_role", &role_wrong_type);
	if (tenant_wrong_type || role_wrong_type)
		invalid_claims(user->has_tenant ? &user->tenant : NULL);

	/* A superadmin belongs to no tenant: X-Tenant-ID selects one, not a claim. */
	if (claimed_tenant != NULL &&
		(!user->has_tenant || !tenant_named(claimed_tenant, &tenant) ||
		 memcmp(&tenant, &user->tenant, sizeof tenant) != 0))
		invalid_claims(user->has_tenant ? &user->tenant : NULL);

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
