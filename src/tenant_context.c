/*
 * tenant_context.c: who is calling, and for which tenant.
 *
 * Every row-level security policy asks current_tenant() and caller_is_admin(),
 * so the answer is cached here, but only for as long as it is the truth: per
 * statement, and keyed by everything that can change it (see CallerKey).  The
 * caller is the "outer" user: the session's role after SET ROLE or SET
 * SESSION AUTHORIZATION, never the owner of the SECURITY DEFINER function we
 * may be running in, and never anything a client can set with SET or
 * set_config.
 *
 * The tenant is decided, in order, by:
 *   0. while ffrtmp.accept_invitation() runs (invitations.c), the
 *      invitation's tenant, never an administrator;
 *   1. an API key authenticated in this transaction (api_keys.c): its
 *      tenant, never an administrator, whoever the session's role is;
 *   2. the claims of a JWT PostgREST verified (rest_claims.c), believed only
 *      when the session user is the authenticator and the role ffrtmp_api:
 *      the user they name, with the role they claim at most, for its tenant;
 *      a superadmin's, the tenant X-Tenant-ID selects, else the default;
 *      a one-tenant principal (1 or 2) naming another tenant there is refused;
 *   3. the user the caller's role acts as (map_user_role(), directly or
 *      through a group role whose privileges it has; role_user.c): its
 *      tenant, or for a superadmin user the administrator's; a disabled or
 *      deleted user is refused, as an unmapped role is;
 *   4. the caller's role, mapped with add_tenant_role(), or else a mapped
 *      group role whose privileges it has;
 *   5. for administrators, the default tenant; anyone else is refused.
 *
 * Users, mappings and tenant deletion are authorization data, so like PostgreSQL's
 * own catalogs they are read with the latest snapshot, not the transaction's:
 * a REPEATABLE READ transaction cannot go on acting for a tenant deleted, a
 * user disabled or a mapping removed since it began.  Each statement sees what had committed
 * when it first asked; within one statement the answer stays the same unless
 * this transaction itself changes something.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

/*
 * What a cached answer depends on.  A new statement, a command of this
 * transaction that wrote something, a snapshot that sees other commits, a
 * role switch, or any bump of context_generation makes it a different key.
 */
typedef struct CallerKey
{
	Oid			outer_user;
	uint64		generation;
	TimestampTz statement_start;
	CommandId	command_id;
	uint64		snapshot_commits;	/* of the active snapshot; 0 if none */
} CallerKey;

typedef struct CallerContext
{
	bool		valid;
	CallerKey	key;
	bool		is_admin;
	pg_uuid_t	tenant;
	bool		has_user;		/* user: the one the role acts as, for permissions.c */
	FfrtmpUser	user;
} CallerContext;

static CallerContext caller;

/*
 * Bumped by everything that may change who acts for which tenant: the end of
 * a transaction, the abort of a subtransaction (ROLLBACK TO SAVEPOINT undoes
 * mappings and status changes made inside it), this backend's own mapping and
 * tenant changes (ffrtmp_context_reset), and any change to role memberships
 * or roles (GRANT, REVOKE, ALTER ROLE, DROP ROLE), whichever session made it.
 */
static uint64 context_generation = 1;

static void
forget_at_xact_end(XactEvent event, void *arg)
{
	context_generation++;
}

static void
forget_at_subxact_abort(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		context_generation++;
}

static void
forget_at_role_change(Datum arg, int cacheid, uint32 hashvalue)
{
	context_generation++;
}

void
ffrtmp_context_init(void)
{
	RegisterXactCallback(forget_at_xact_end, NULL);
	RegisterSubXactCallback(forget_at_subxact_abort, NULL);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, forget_at_role_change, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, forget_at_role_change, (Datum) 0);
	ffrtmp_api_keys_init();
}

/* Called by functions that change role mappings or tenant status. */
void
ffrtmp_context_reset(void)
{
	context_generation++;
}

static CallerKey
current_key(void)
{
	CallerKey	key;

	key.outer_user = GetOuterUserId();
	key.generation = context_generation;
	key.statement_start = GetCurrentStatementStartTimestamp();
	key.command_id = GetCurrentCommandId(false);
	key.snapshot_commits = ActiveSnapshotSet() ? GetActiveSnapshot()->snapXactCompletionCount : 0;
	return key;
}

static bool
same_key(const CallerKey *a, const CallerKey *b)
{
	return a->outer_user == b->outer_user && a->generation == b->generation &&
		a->statement_start == b->statement_start && a->command_id == b->command_id &&
		a->snapshot_commits == b->snapshot_commits;
}

/*
 * The snapshot mappings and tenants are read with: the latest, so that what
 * committed since the transaction began counts (see the file header).  In
 * parallel mode no new snapshot may be taken; the statement's own is then
 * the freshest there is.
 */
static Snapshot
authorization_snapshot(void)
{
	if (IsInParallelMode())
		return RegisterSnapshot(ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot());
	return RegisterSnapshot(GetLatestSnapshot());
}

Snapshot
ffrtmp_authorization_snapshot(void)
{
	return authorization_snapshot();
}

static Oid
data_relid(const char *name)
{
	Oid			namespace = get_namespace_oid("ffrtmp_data", true);
	Oid			relid = OidIsValid(namespace) ? get_relname_relid(name, namespace) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension ffrtmp is not installed in this database"),
				 errhint("Run CREATE EXTENSION ffrtmp.")));
	return relid;
}

/*
 * Reads columns of the one row whose key column equals key, by a direct index
 * scan.  This bypasses row-level security on purpose: the policies themselves
 * call us, and the only rows read are the caller's own mapping and tenant.
 * Other callers (ffrtmp_lookup_row) say why they may.
 */
static bool
lookup_row(const char *table, const char *index, const char *key_column, RegProcedure key_eq,
		   Datum key, int ncolumns, const char *const *columns, Datum *values, bool *nulls)
{
	Oid			relid = data_relid(table);
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Snapshot	snapshot = authorization_snapshot();
	ScanKeyData scan_key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found;

	ScanKeyInit(&scan_key, get_attnum(relid, key_column), BTEqualStrategyNumber, key_eq, key);
	scan = systable_beginscan(rel, data_relid(index), true, snapshot, 1, &scan_key);
	tuple = systable_getnext(scan);
	found = HeapTupleIsValid(tuple);
	for (int i = 0; found && i < ncolumns; i++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[i]);
		Form_pg_attribute attr = TupleDescAttr(desc, attnum - 1);

		values[i] = heap_getattr(tuple, attnum, desc, &nulls[i]);
		if (!nulls[i])
			values[i] = datumCopy(values[i], attr->attbyval, attr->attlen);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
}

bool
ffrtmp_lookup_row(const char *table, const char *index, const char *key_column, RegProcedure key_eq,
				  Datum key, int ncolumns, const char *const *columns, Datum *values, bool *nulls)
{
	return lookup_row(table, index, key_column, key_eq, key, ncolumns, columns, values, nulls);
}

/*
 * Whether a mapping made for the role whose OID was recorded (is_null: none
 * recorded) still names role.  Mappings are kept by name, and PostgreSQL
 * tells no extension of DROP ROLE: a role created again under the name gets
 * another OID and must not inherit the old mapping.  Release 0.1's SQL has no
 * OID column (has_column false): the library may run in front of it until
 * ALTER EXTENSION UPDATE, with 0.1's rule.
 */
bool
ffrtmp_mapping_names(bool has_column, Datum recorded, bool is_null, Oid role)
{
	if (!has_column)
		return true;
	return !is_null && DatumGetObjectId(recorded) == role;
}

static bool
directly_mapped_tenant(Oid role, pg_uuid_t *tenant)
{
	static const char *const columns[] = {"tenant_id", "role_oid"};
	Datum		values[2];
	bool		nulls[2];
	NameData	role_name;
	bool		has_oid = get_attnum(data_relid("tenant_roles"), "role_oid") != InvalidAttrNumber;

	namestrcpy(&role_name, GetUserNameFromId(role, false));
	if (!lookup_row("tenant_roles", "tenant_roles_pkey", "role_name", F_NAMEEQ,
					NameGetDatum(&role_name), has_oid ? 2 : 1, columns, values, nulls))
		return false;
	if (!ffrtmp_mapping_names(has_oid, values[1], has_oid ? nulls[1] : true, role))
		return false;
	*tenant = *DatumGetUUIDP(values[0]);
	return true;
}

/*
 * The tenant of a mapped group role whose privileges the role has (a member
 * of "acme_users" acts for acme).  Mappings are few next to everything else,
 * and this runs once per transaction, so a scan is fine.  Two groups of
 * different tenants make the role ambiguous, which is refused.
 */
static bool
group_mapped_tenant(Oid role, pg_uuid_t *tenant)
{
	Relation	rel = table_open(data_relid("tenant_roles"), AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	name_attnum = get_attnum(RelationGetRelid(rel), "role_name");
	AttrNumber	tenant_attnum = get_attnum(RelationGetRelid(rel), "tenant_id");
	AttrNumber	oid_attnum = get_attnum(RelationGetRelid(rel), "role_oid");
	Snapshot	snapshot = authorization_snapshot();
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snapshot, 0, NULL);
	HeapTuple	tuple;
	bool		found = false;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		Name		group = DatumGetName(heap_getattr(tuple, name_attnum, desc, &isnull));
		Oid			group_oid = get_role_oid(NameStr(*group), true);
		pg_uuid_t	group_tenant;

		if (!OidIsValid(group_oid) || !has_privs_of_role(role, group_oid))
			continue;
		if (oid_attnum != InvalidAttrNumber)
		{
			Datum		recorded = heap_getattr(tuple, oid_attnum, desc, &isnull);

			if (!ffrtmp_mapping_names(true, recorded, isnull, group_oid))
				continue;
		}
		group_tenant = *DatumGetUUIDP(heap_getattr(tuple, tenant_attnum, desc, &isnull));
		if (found && memcmp(&group_tenant, tenant, sizeof(pg_uuid_t)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("role \"%s\" belongs to roles mapped to different tenants",
							GetUserNameFromId(role, false)),
					 errhint("Map the role itself with ffrtmp.add_tenant_role(), or leave only one of its groups mapped.")));
		*tenant = group_tenant;
		found = true;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return found;
}

/* A role mapped to a deleted tenant is locked out of everything. */
static void
refuse_deleted_tenant(pg_uuid_t *tenant)
{
	static const char *const columns[] = {"name", "deleted_at"};
	Datum		values[2];
	bool		nulls[2];

	if (lookup_row("tenants", "tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(tenant),
				   2, columns, values, nulls) && !nulls[1])
		ereport(ERROR,
				(errcode(ERRCODE_FFRTMP_TENANT_BLOCKED),
				 errmsg("tenant \"%s\" has been deleted", TextDatumGetCString(values[0])),
				 errhint("Ask an administrator to restore it with ffrtmp.restore_tenant().")));
}

/*
 * A user who may not act is refused like a role mapped to no tenant, so that
 * neither the views nor the API answer a disabled or deleted user.
 */
static void
refuse_inactive_user(const FfrtmpUser *user, Oid role)
{
	const char *who = user->email ? user->email : GetUserNameFromId(role, false);

	if (!user->disabled && !user->deleted)
		return;
	ffrtmp_audit_refusal(user->has_tenant ? &user->tenant : NULL, "permission.denied", user->deleted ? "act as a deleted user" : "act as a disabled user",
						 "refused");
	if (user->deleted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("user %s has been deleted", who),
				 errhint("A tenant administrator can restore it: ffrtmp.restore_user(user).")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("user %s is disabled", who),
			 errhint("A tenant administrator can enable it again: ffrtmp.update_user(user, status => 'active').")));
}

/* Keeps the user's e-mail as long as the cached answer (it outlives the statement). */
static void
keep_user(CallerContext *resolved, const FfrtmpUser *user)
{
	resolved->has_user = true;
	resolved->user = *user;
	if (user->email)
		resolved->user.email = MemoryContextStrdup(TopMemoryContext, user->email);
}

static const CallerContext *
current_caller(void)
{
	CallerKey	key = current_key();
	Oid			user = key.outer_user;
	Oid			admin_role;
	CallerContext resolved;
	FfrtmpUser	found_user;

	if (caller.valid && same_key(&caller.key, &key))
		return &caller;

	/*
	 * Take in the role and membership changes (GRANT, REVOKE) other sessions
	 * committed since this backend last looked, so that they count from this
	 * statement on, as mapping changes do.  That may bump context_generation,
	 * so the key is taken again.
	 */
	AcceptInvalidationMessages();
	key = current_key();
	caller.valid = false;
	if (caller.has_user && caller.user.email)
		pfree(caller.user.email);
	caller.has_user = false;

	resolved.valid = true;
	resolved.key = key;
	resolved.has_user = false;
	resolved.is_admin = false;
	if (ffrtmp_invitation_tenant(&resolved.tenant))
	{
		caller = resolved;
		return &caller;
	}
	if (ffrtmp_key_tenant(&resolved.tenant))
	{
		ffrtmp_rest_require_own_tenant(&resolved.tenant, "api key");
		caller = resolved;
		return &caller;
	}
	if (ffrtmp_claims_user(&found_user))
	{
		/* Verified claims (rest_claims.c): a superadmin acts for the tenant X-Tenant-ID selects. */
		if (strcmp(found_user.role, "superadmin") == 0)
		{
			resolved.is_admin = true;
			resolved.tenant = ffrtmp_rest_selected_tenant();
		}
		else if (found_user.has_tenant)
		{
			resolved.tenant = found_user.tenant;
			refuse_deleted_tenant(&resolved.tenant);
			ffrtmp_rest_require_own_tenant(&resolved.tenant, "token");
		}
		else
			/* A superadmin whose token claims a lower role: that role, in the selected tenant. */
			resolved.tenant = ffrtmp_rest_selected_tenant();
		keep_user(&resolved, &found_user);
		caller = resolved;
		return &caller;
	}
	admin_role = get_role_oid("ffrtmp_admin", true);
	resolved.is_admin = superuser_arg(user) ||
		(OidIsValid(admin_role) && has_privs_of_role(user, admin_role));
	if (ffrtmp_role_user(user, &found_user))
	{
		refuse_inactive_user(&found_user, user);
		if (found_user.has_tenant)
		{
			resolved.tenant = found_user.tenant;
			refuse_deleted_tenant(&resolved.tenant);
		}
		else
		{
			resolved.is_admin = true;
			resolved.tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in,
																 CStringGetDatum(FFRTMP_DEFAULT_TENANT)));
		}
		keep_user(&resolved, &found_user);
	}
	/* Superusers have every role's privileges, so group mappings say nothing of them. */
	else if (directly_mapped_tenant(user, &resolved.tenant) ||
		(!superuser_arg(user) && group_mapped_tenant(user, &resolved.tenant)))
		refuse_deleted_tenant(&resolved.tenant);
	else if (resolved.is_admin)
		resolved.tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in,
															 CStringGetDatum(FFRTMP_DEFAULT_TENANT)));
	else
	{
		/*
		 * Failing closed: a role that merely holds ffrtmp_tenant's privileges
		 * (including ffrtmp_tenant itself, after SET ROLE) must not fall back
		 * to the default tenant and its unlimited quotas.
		 */
		ffrtmp_audit_refusal(NULL, "permission.denied", "act for a tenant", "refused");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" acts for no tenant", GetUserNameFromId(user, false)),
				 errhint("A program authenticates with an API key after BEGIN: ffrtmp.authenticate(key); an administrator maps a person's role with ffrtmp.map_user_role(user, role).")));
	}
	caller = resolved;
	return &caller;
}

pg_uuid_t
ffrtmp_caller_tenant(void)
{
	return current_caller()->tenant;
}

/*
 * Who the caller last worked out is, and its tenant when a tenant's,
 * without looking anything up: safe while an error unwinds (log_refusals.c
 * counts a refusal under it).  An administrator's context holds the default
 * tenant, which is not whom its refusals concern: it is told apart.
 */
FfrtmpCachedCaller
ffrtmp_cached_caller(pg_uuid_t *tenant)
{
	if (!caller.valid)
		return CACHED_CALLER_UNKNOWN;
	if (caller.is_admin)
		return CACHED_CALLER_ADMIN;
	*tenant = caller.tenant;
	return CACHED_CALLER_TENANT;
}

bool
ffrtmp_caller_admin(void)
{
	return current_caller()->is_admin;
}

/* The user the caller acts as through its database role, or NULL. */
const FfrtmpUser *
ffrtmp_caller_user(void)
{
	const CallerContext *context = current_caller();

	return context->has_user ? &context->user : NULL;
}

void
ffrtmp_require_admin(const char *action)
{
	if (!ffrtmp_caller_admin())
	{
		pg_uuid_t	tenant = ffrtmp_caller_tenant();

		ffrtmp_audit_refusal(&tenant, "permission.denied", action, "refused");
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", action),
				 errhint("Only superusers and members of ffrtmp_admin may %s.", action)));
	}
}

/*
 * Finds a tenant by id or name under row-level security (SPI must be
 * connected).  A tenant user can find only its own tenant, so "not visible"
 * is reported as permission denied for them and as not found for
 * administrators: a tenant user cannot learn whether another tenant exists.
 */
pg_uuid_t
ffrtmp_find_tenant(const char *id_or_name)
{
	static KeptQuery by_id = {
		.sql = "SELECT id FROM ffrtmp_data.tenants WHERE id = $1",
		.nargs = 1, .argtypes = {UUIDOID},
	};
	static KeptQuery by_name = {
		.sql = "SELECT id FROM ffrtmp_data.tenants WHERE name = $1",
		.nargs = 1, .argtypes = {TEXTOID},
	};
	pg_uuid_t	id;
	Datum		arg;
	bool		isnull;

	if (ffrtmp_parse_uuid(id_or_name, &id))
	{
		arg = UUIDPGetDatum(&id);
		ffrtmp_run(&by_id, &arg, NULL);
	}
	else
	{
		arg = CStringGetTextDatum(id_or_name);
		ffrtmp_run(&by_name, &arg, NULL);
	}

	if (SPI_processed == 0)
	{
		if (ffrtmp_caller_admin())
			ereport(ERROR,
					(errcode(ERRCODE_FFRTMP_NOT_FOUND),
					 errmsg("tenant \"%s\" does not exist", id_or_name),
					 errhint("SELECT name FROM ffrtmp.tenants lists the tenants.")));
		{
			/* A reach into another tenant is a refusal like any other: logged on the caller's own chain. */
			pg_uuid_t	own = ffrtmp_caller_tenant();

			ffrtmp_audit_refusal(&own, "permission.denied", psprintf("tenant %s", id_or_name), "refused");
		}
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for tenant \"%s\"", id_or_name),
				 errdetail("Your role acts for one tenant only."),
				 errhint("Leave out the tenant argument to act for your own tenant.")));
	}
	return *DatumGetUUIDP(ffrtmp_get_datum(1, &isnull));
}

/*
 * ffrtmp_data.find_tenant(tenant text): ffrtmp_find_tenant for the API
 * functions written in SQL, so that they name tenants with the same bound
 * (TENANT_REF_MAX_BYTES, 22023) and the same errors as the C ones.  STRICT:
 * NULL (no tenant named) is NULL.
 */
PG_FUNCTION_INFO_V1(ffrtmp_find_tenant_sql);
Datum
ffrtmp_find_tenant_sql(PG_FUNCTION_ARGS)
{
	const char *id_or_name = ffrtmp_tenant_arg(fcinfo, 0);
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	SPI_connect();
	*result = ffrtmp_find_tenant(id_or_name);
	SPI_finish();
	PG_RETURN_UUID_P(result);
}

/* The tenant an API call acts for: the caller's own unless it names one. */
pg_uuid_t
ffrtmp_target_tenant(text *tenant_arg)
{
	if (tenant_arg == NULL)
		return ffrtmp_caller_tenant();
	return ffrtmp_find_tenant(text_to_cstring(tenant_arg));
}

/*
 * The status in force now, read with the latest snapshot, by the tenant's
 * name or id; mirrors ffrtmp_data.effective_status.  Sets *name when asked.
 */
static const char *
status_in_force(const char *index, const char *key_column, RegProcedure key_eq, Datum key,
				char **name)
{
	static const char *const columns[] = {"status", "expires_at", "deleted_at", "name"};
	Datum		values[4];
	bool		nulls[4];

	if (!lookup_row("tenants", index, key_column, key_eq, key, 4, columns, values, nulls))
		return "deleted";
	if (name)
		*name = TextDatumGetCString(values[3]);
	if (!nulls[2])
		return "deleted";
	if (strcmp(TextDatumGetCString(values[0]), "active") == 0 && !nulls[1] &&
		DatumGetTimestampTz(values[1]) <= GetCurrentStatementStartTimestamp())
		return "expired";
	return TextDatumGetCString(values[0]);
}

/*
 * The status in force of a tenant, by id, read as above whoever asks: the
 * webhook delivery daemon, mapped to no tenant, cannot read tenants through
 * their policy, yet its claims must skip the events of tenants not active.
 */
const char *
ffrtmp_tenant_status(pg_uuid_t *tenant)
{
	return status_in_force("tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(tenant), NULL);
}

/*
 * In REPEATABLE READ and SERIALIZABLE, the tenant's status that the caller's
 * queries read is the transaction snapshot's, which may predate a suspension,
 * an expiry or a deletion: those are refused all the same.  (A READ COMMITTED
 * statement already reads the status committed when it began.)
 */
void
ffrtmp_require_active_now(pg_uuid_t *tenant, const char *action)
{
	char	   *name = NULL;
	const char *status;

	if (!IsolationUsesXactSnapshot())
		return;
	status = status_in_force("tenants_pkey", "id", F_UUID_EQ, UUIDPGetDatum(tenant), &name);
	ffrtmp_require_active_tenant(name ? name : "?", status, action);
}

void
ffrtmp_require_active_tenant(const char *name, const char *status, const char *action)
{
	const char *hint;

	if (strcmp(status, "active") == 0 && IsolationUsesXactSnapshot())
		status = status_in_force("tenants_name_key", "name", F_TEXTEQ, CStringGetTextDatum(name), NULL);
	if (strcmp(status, "active") == 0)
		return;
	if (strcmp(status, "deleted") == 0)
		hint = "Ask an administrator to restore it with ffrtmp.restore_tenant().";
	else if (strcmp(status, "expired") == 0)
		hint = "Ask an administrator to extend it: ffrtmp.update_tenant(tenant, status => 'active', expires_at => ...).";
	else
		hint = "Ask an administrator to reactivate it: ffrtmp.update_tenant(tenant, status => 'active').";
	ereport(ERROR,
			(errcode(ERRCODE_FFRTMP_TENANT_BLOCKED),
			 errmsg("tenant \"%s\" is %s and cannot %s", name, status, action),
			 errhint("%s", hint)));
}

PG_FUNCTION_INFO_V1(ffrtmp_current_tenant);
Datum
ffrtmp_current_tenant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *result = palloc(sizeof(pg_uuid_t));

	*result = ffrtmp_caller_tenant();
	PG_RETURN_UUID_P(result);
}

PG_FUNCTION_INFO_V1(ffrtmp_caller_is_admin);
Datum
ffrtmp_caller_is_admin(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ffrtmp_caller_admin());
}

PG_FUNCTION_INFO_V1(ffrtmp_actor);
Datum
ffrtmp_actor(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(GetUserNameFromId(GetOuterUserId(), false)));
}
