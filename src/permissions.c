/*
 * permissions.c: the one permission check (docs/access-control.md).
 *
 * The caller's role is found in the order of the tenant context: an API
 * key authenticated in this transaction (api_keys.c) acts with its user's
 * role or the service key's role, whoever the session's role is, and its
 * scopes narrow that role; a user
 * whose db_role is the session's role (refused while disabled); a superuser
 * or member of ffrtmp_admin is superadmin; a role mapped to a tenant with
 * add_tenant_role() and no user is tenant_admin, the power release 0.1 gave
 * it.
 *
 * A role holds a permission when its rank is at least the rank of the
 * lowest role holding it in ffrtmp_data.role_permissions.  Everything is
 * read like the tenant context's mappings, with the latest snapshot and
 * around row-level security: authorization data, and only the caller's rows.
 */
#include "ffrtmp.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

static int	role_rank(const char *role);

typedef struct CallerRole
{
	char	   *role;
	char	   *who;			/* for messages: "user x of tenant y", or the role */
} CallerRole;

/*
 * The user mapped to a group role whose privileges role has (a member of
 * "acme_viewers" acts as that user).  Users mapped to roles are few (people
 * who use psql), the scan reads only them, through the partial index, and
 * runs only for roles without a user of their own.  When several
 * groups are mapped, the lowest-ranked user wins: a membership never widens.
 */
static bool
group_user(Oid role, Datum *values, bool *nulls)
{
	Oid			schema = get_namespace_oid("ffrtmp_data", false);
	Relation	rel = table_open(get_relname_relid("users", schema), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	static const char *const columns[] = {"role", "status", "email", "db_role", "deleted_at"};
	AttrNumber	attnums[5];
	Snapshot	snapshot = ffrtmp_authorization_snapshot();
	/* The partial index holds exactly the users mapped to a role and not deleted. */
	SysScanDesc scan = systable_beginscan(rel, get_relname_relid("users_db_role_key", schema), true,
										  snapshot, 0, NULL);
	HeapTuple	tuple;
	bool		found = false;
	int			found_rank = 0;

	for (int i = 0; i < 5; i++)
		attnums[i] = get_attnum(RelationGetRelid(rel), columns[i]);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		group = heap_getattr(tuple, attnums[3], desc, &isnull);
		Oid			group_oid;
		char	   *user_role;
		int			rank;

		if (isnull)
			continue;
		(void) heap_getattr(tuple, attnums[4], desc, &isnull);
		if (!isnull)
			continue;			/* deleted */
		group_oid = get_role_oid(NameStr(*DatumGetName(group)), true);
		if (!OidIsValid(group_oid) || !has_privs_of_role(role, group_oid))
			continue;
		user_role = TextDatumGetCString(heap_getattr(tuple, attnums[0], desc, &isnull));
		rank = role_rank(user_role);
		if (found && rank >= found_rank)
			continue;
		for (int i = 0; i < 3; i++)
		{
			values[i] = heap_getattr(tuple, attnums[i], desc, &nulls[i]);
			if (!nulls[i])
				values[i] = PointerGetDatum(PG_DETOAST_DATUM_COPY(values[i]));
		}
		found = true;
		found_rank = rank;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
}

static CallerRole
caller_role(void)
{
	static const char *const columns[] = {"role", "status", "email", "id"};
	Datum		values[4];
	bool		nulls[4];
	NameData	db_role;
	CallerRole	result;
	const char *login = GetUserNameFromId(GetOuterUserId(), false);
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
	namestrcpy(&db_role, login);
	if (ffrtmp_lookup_row("users", "users_db_role_key", "db_role", F_NAMEEQ, NameGetDatum(&db_role),
						  4, columns, values, nulls) ||
		(!superuser_arg(GetOuterUserId()) && group_user(GetOuterUserId(), values, nulls)))
	{
		const char *who = nulls[2] ? login : TextDatumGetCString(values[2]);

		if (strcmp(TextDatumGetCString(values[1]), "active") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("user %s is disabled", who),
					 errhint("A tenant administrator can enable it again: ffrtmp.update_user(user, status => 'active').")));
		result.role = TextDatumGetCString(values[0]);
		result.who = psprintf("user %s", who);
		return result;
	}
	/* Refuses (42501) a role that acts for no tenant. */
	(void) ffrtmp_caller_tenant();
	result.role = "tenant_admin";
	result.who = psprintf("role %s, mapped to its tenant", login);
	return result;
}

static int
role_rank(const char *role)
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
	return role_rank(role) >= role_rank(granting_role(permission));
}

const char *
ffrtmp_caller_role(void)
{
	return caller_role().role;
}

/*
 * The one check: refuses (42501, HTTP 403) a caller whose role does not hold
 * permission, naming both so that the caller knows what to ask for, and a
 * caller whose API key's scopes leave permission out.
 */
void
ffrtmp_require_permission(const char *permission)
{
	CallerRole	caller = caller_role();
	char	   *needed = granting_role(permission);
	bool		role_holds = role_rank(caller.role) >= role_rank(needed);

	if (role_holds && ffrtmp_key_allows(permission))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied: %s", permission),
			 role_holds ?
			 errdetail("You act as %s, whose scopes do not include %s.", caller.who, permission) :
			 errdetail("You act as %s, whose role %s does not hold %s.", caller.who, caller.role, permission),
			 role_holds ?
			 errhint("Use a key whose scopes include %s: ffrtmp.create_api_key(name, scopes => ...).", permission) :
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
