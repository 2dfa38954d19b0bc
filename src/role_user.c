/*
 * role_user.c: the user a database role acts as (map_user_role).
 *
 * The one reader of ffrtmp_data.users for the tenant context and the
 * permission check: tenant_context.c asks once per statement and caches the
 * answer, permissions.c takes it from there.  Like the mappings, users are
 * authorization data, read with the latest snapshot and around row-level
 * security: only the rows of the caller's own role and groups are read.
 *
 * Deleted users are read too, on purpose: map_user_role() also mapped the
 * role to the user's tenant with add_tenant_role(), and deleting the user
 * leaves that mapping, which alone would make the role a tenant_admin.  A role
 * whose only user is deleted therefore acts as that (refused) user.
 */
#include "ffrtmp.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

enum
{
	COL_ID, COL_TENANT, COL_EMAIL, COL_ROLE, COL_STATUS, COL_DB_ROLE, COL_DELETED, COL_DB_ROLE_OID, NCOLUMNS
};
static const char *const columns[NCOLUMNS] = {
	"id", "tenant_id", "email", "role", "status", "db_role", "deleted_at", "db_role_oid"
};

/* Copies a user row into *user; its strings go to the current memory context. */
static void
read_user(HeapTuple tuple, TupleDesc desc, const AttrNumber *attnums, FfrtmpUser *user)
{
	Datum		values[NCOLUMNS];
	bool		nulls[NCOLUMNS];

	for (int i = 0; i < COL_DB_ROLE_OID; i++)
		values[i] = heap_getattr(tuple, attnums[i], desc, &nulls[i]);
	user->id = *DatumGetUUIDP(values[COL_ID]);
	user->has_tenant = !nulls[COL_TENANT];
	if (user->has_tenant)
		user->tenant = *DatumGetUUIDP(values[COL_TENANT]);
	strlcpy(user->role, TextDatumGetCString(values[COL_ROLE]), NAMEDATALEN);
	user->email = nulls[COL_EMAIL] ? NULL : TextDatumGetCString(values[COL_EMAIL]);
	user->disabled = strcmp(TextDatumGetCString(values[COL_STATUS]), "active") != 0;
	user->deleted = !nulls[COL_DELETED];
}

/*
 * How strongly a candidate holds: a user who may not act (disabled, deleted)
 * beats every other, then the lowest-ranked role, so that neither a group
 * membership nor a stale row ever widens what the role may do.
 */
static int
strength(const FfrtmpUser *user)
{
	return (user->disabled || user->deleted) ? -1 : ffrtmp_role_rank(user->role);
}

/*
 * Finds the user of role: mapped to role itself, or else to a group role
 * whose privileges role has (a member of "acme_viewers" acts as that user).
 * A user not deleted beats a deleted one of the same role (the role may have
 * been mapped again since).  Superusers have every role's privileges, so
 * group mappings say nothing of them.  Users mapped to roles are few (people
 * who use psql) and the index holds only them.
 */
bool
ffrtmp_role_user(Oid role, FfrtmpUser *user)
{
	Oid			schema = get_namespace_oid("ffrtmp_data", false);
	Oid			relid = get_relname_relid("users", schema);
	Oid			index = get_relname_relid("users_db_role_idx", schema);
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	attnums[NCOLUMNS];
	Snapshot	snapshot;
	SysScanDesc scan;
	const char *role_name = GetUserNameFromId(role, false);
	bool		check_groups = !superuser_arg(role);
	bool		direct = false;
	bool		found = false;
	HeapTuple	tuple;

	/* The library runs in front of release 0.1's SQL until ALTER EXTENSION UPDATE: no users yet. */
	if (!OidIsValid(relid) || !OidIsValid(index))
		return false;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	snapshot = ffrtmp_authorization_snapshot();
	scan = systable_beginscan(rel, index, true, snapshot, 0, NULL);
	for (int i = 0; i < NCOLUMNS; i++)
		attnums[i] = get_attnum(RelationGetRelid(rel), columns[i]);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		const char *mapped = NameStr(*DatumGetName(heap_getattr(tuple, attnums[COL_DB_ROLE], desc, &isnull)));
		bool		is_direct = strcmp(mapped, role_name) == 0;
		Oid			mapped_oid = is_direct ? role : get_role_oid(mapped, true);
		Datum		recorded = heap_getattr(tuple, attnums[COL_DB_ROLE_OID], desc, &isnull);
		FfrtmpUser	candidate;

		/* A role dropped and created again under the name is not the user (tenant_context.c). */
		if (!OidIsValid(mapped_oid) || !ffrtmp_mapping_names(true, recorded, isnull, mapped_oid))
			continue;
		if (!is_direct)
		{
			if (direct || !check_groups || !has_privs_of_role(role, mapped_oid))
				continue;
		}
		read_user(tuple, desc, attnums, &candidate);
		/* The role's own live user decides alone; its deleted one, unless a live one shows up. */
		if (is_direct && (!direct || (user->deleted && !candidate.deleted)))
		{
			*user = candidate;
			direct = found = true;
			continue;
		}
		if (!direct && (!found || strength(&candidate) < strength(user)))
		{
			*user = candidate;
			found = true;
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
}
