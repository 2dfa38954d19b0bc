/*
 * permissions.c: the one permission check (docs/access-control.md).
 *
 * The caller's role is found in the order of the tenant context, which also
 * finds the caller's user (role_user.c) and refuses disabled and deleted
 * ones: an API key authenticated in this transaction (api_keys.c) acts with
 * its user's role or the service key's role, whoever the session's role is,
 * and its scopes narrow that role; a superuser or member of ffrtmp_admin is
 * superadmin; a user acts with its own role; a role mapped to a tenant with
 * add_tenant_role() and no user is tenant_admin, the power release 0.1 gave
 * it.
 *
 * A role holds a permission when its rank is at least the rank of the
 * lowest role holding it in ffrtmp_data.role_permissions.  Everything is
 * read like the tenant context's mappings, with the latest snapshot and
 * around row-level security: authorization data, and only the caller's rows.
 */
#include "ffrtmp.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/uuid.h"

typedef struct CallerRole
{
	char	   *role;
	char	   *who;			/* for messages: "user x of tenant y", or the role */
} CallerRole;

static CallerRole
caller_role(void)
{
	const char *login = GetUserNameFromId(GetOuterUserId(), false);
	const FfrtmpUser *user;
	CallerRole	result;
	const char *key_role = ffrtmp_key_role();

	if (key_role)
	{
		result.role = pstrdup(key_role);
		result.who = psprintf("api key %s", ffrtmp_key_id());
		return result;
	}
	if (ffrtmp_caller_admin())
	{
		result.role = "superadmin";
		result.who = psprintf("administrator role %s", login);
		return result;
	}
	/* Found, and refused while disabled or deleted, by the tenant context (cached). */
	user = ffrtmp_caller_user();
	if (user)
	{
		result.role = pstrdup(user->role);
		result.who = psprintf("user %s", user->email ? user->email : login);
		return result;
	}
	/* Refuses (42501) a role that acts for no tenant. */
	(void) ffrtmp_caller_tenant();
	result.role = "tenant_admin";
	result.who = psprintf("role %s, mapped to its tenant", login);
	return result;
}

int
ffrtmp_role_rank(const char *role)
{
	static const char *const columns[] = {"rank"};
	Datum		value;
	bool		isnull;

	if (!ffrtmp_lookup_row("roles", "roles_pkey", "name", F_TEXTEQ, CStringGetTextDatum(role),
						   1, columns, &value, &isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role \"%s\" does not exist", role),
				 errhint("The roles are listed in ffrtmp.role_permissions.")));
	return DatumGetInt32(value);
}

/* The lowest role holding permission; an unknown name is refused (22023). */
static char *
granting_role(const char *permission)
{
	static const char *const columns[] = {"role"};
	Datum		value;
	bool		isnull;

	if (strlen(permission) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("permission must be a name of at most %d bytes", NAMEDATALEN - 1),
				 errhint("The permissions are listed in ffrtmp.role_permissions.")));
	if (!ffrtmp_lookup_row("role_permissions", "role_permissions_pkey", "permission", F_TEXTEQ,
						   CStringGetTextDatum(permission), 1, columns, &value, &isnull))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("permission \"%s\" does not exist", permission),
				 errhint("The permissions are listed in ffrtmp.role_permissions.")));
	return TextDatumGetCString(value);
}

bool
ffrtmp_role_holds(const char *role, const char *permission)
{
	return ffrtmp_role_rank(role) >= ffrtmp_role_rank(granting_role(permission));
}

const char *
ffrtmp_caller_role(void)
{
	return caller_role().role;
}

/*
 * The id of the user the caller acts as, for the audit log's who: the
 * session role's user (directly or through a group), whatever its status
 * (the permission check has refused a disabled one already).  False for a
 * role that is no user's.  An authenticated API key comes first, as in the
 * tenant context: the key acts, with its own user (a service key is no
 * user's), not the session's.
 */
bool
ffrtmp_caller_user_id(pg_uuid_t *user_id)
{
	const FfrtmpUser *user;

	if (ffrtmp_key_id() != NULL)
		return ffrtmp_key_user(user_id);
	user = ffrtmp_caller_user();
	if (!user)
		return false;
	*user_id = user->id;
	return true;
}

/*
 * The one check: refuses (42501, HTTP 403) a caller whose role does not hold
 * permission, naming both so that the caller knows what to ask for, and a
 * caller whose API key's scopes leave permission out.
 */
void
ffrtmp_require_permission(const char *permission)
{
	ffrtmp_require_permission_for(permission, NULL);
}

/*
 * The same, naming the API function asked for (NULL: none) in the refusal's
 * audit row: a name of schema ffrtmp, or a qualified one (a view's reader).  The refusal's transaction rolls back, so the row goes through
 * the rate-limited refusal queue (audit_refusals.c).
 */
void
ffrtmp_require_permission_for(const char *permission, const char *function)
{
	CallerRole	caller = caller_role();
	char	   *needed = granting_role(permission);
	bool		role_holds = ffrtmp_role_rank(caller.role) >= ffrtmp_role_rank(needed);
	bool		platform;
	pg_uuid_t	tenant;

	if (role_holds && ffrtmp_key_allows(permission))
		return;
	/* The refusal goes to the caller's tenant's log; an administrator's to the platform's. */
	platform = ffrtmp_caller_admin();
	if (!platform)
		tenant = ffrtmp_caller_tenant();
	ffrtmp_audit_refusal(platform ? NULL : &tenant, "permission.denied",
						 function ? psprintf("%s for %s%s", permission,
											 strchr(function, '.') ? "" : "ffrtmp.", function) : permission,
						 "refused");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: %s", permission),
			 role_holds ?
			 errdetail("You act as %s, whose scopes do not include %s.", caller.who, permission) :
			 errdetail("You act as %s, whose role %s does not hold %s.", caller.who, caller.role, permission),
			 role_holds ?
			 errhint("Use a key whose scopes include %s: ffrtmp.create_api_key(name, scopes => ...).", permission) :
			 ffrtmp_key_id() ?
			 errhint("Use a key acting with a role holding %s (%s or above): a service key's role => ..., or the key of a user who holds it.", permission, needed) :
			 errhint("Ask a tenant administrator for a role holding %s (%s or above).", permission, needed)));
}

PG_FUNCTION_INFO_V1(ffrtmp_require_permission_sql);
Datum
ffrtmp_require_permission_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("permission must not be null"),
				 errhint("Name one of ffrtmp.role_permissions.")));
	ffrtmp_require_permission(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ffrtmp_has_permission);
Datum
ffrtmp_has_permission(PG_FUNCTION_ARGS)
{
	char	   *permission;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	permission = text_to_cstring(PG_GETARG_TEXT_PP(0));
	PG_RETURN_BOOL(ffrtmp_role_holds(ffrtmp_caller_role(), permission) && ffrtmp_key_allows(permission));
}

PG_FUNCTION_INFO_V1(ffrtmp_caller_role_sql);
Datum
ffrtmp_caller_role_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ffrtmp_caller_role()));
}

/* ffrtmp_data.caller_user_id(): who a personal key may be made for (sql/api/15_api_keys.sql). */
PG_FUNCTION_INFO_V1(ffrtmp_caller_user_id_sql);
Datum
ffrtmp_caller_user_id_sql(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user_id = palloc(sizeof(pg_uuid_t));

	if (!ffrtmp_caller_user_id(user_id))
		PG_RETURN_NULL();
	PG_RETURN_UUID_P(user_id);
}
