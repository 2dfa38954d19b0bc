/*
 * api_keys.c: API keys, and ffrtmp.authenticate(api_key).
 *
 * A key is ffrtmp_<key_id>_<secret>: key_id is 16 hex digits (the row's
 * primary key, shown in listings), secret 48 hex digits (192 bits from
 * pg_strong_random), of which only the SHA-256 is stored.  authenticate
 * finds the row by key_id, hashes the secret given and compares the hashes
 * in constant time (common/ct_equal.c); whatever is wrong (malformed key,
 * unknown id, wrong secret, revoked, expired, tenant not active, user
 * disabled or deleted) it hashes and compares all the same and raises the one
 * generic error, and notes an auth_failed row in the audit log's refusal
 * queue (audit_refusals.c) that does not say what was wrong either.
 *
 * A key is a user's or a tenant service key.  A user's key acts with the
 * user's role as it is now (read again at every statement, like the key),
 * but never above the cap a key made for the user by someone else carries, a
 * service key with the role stored with it; scopes narrow either
 * (ffrtmp_key_allows, asked by the permission check).  Either acts at most
 * with its maker's power now (makers_allow): the user who made it and the
 * key it was made through, read again like the key itself.
 *
 * The key authenticated is backend-local state of the current transaction,
 * the first source of tenant_context.c's answer.  It is forgotten at commit
 * and rollback, and at the abort of the subtransaction it was authenticated
 * in (ROLLBACK TO SAVEPOINT undoes it like everything else done there).
 * Each new statement checks the key again with the latest snapshot, so a key
 * revoked, a tenant suspended or a user disabled by another session stops
 * working at once, even in a transaction that authenticated with it earlier.
 */
#include "ffrtmp.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/ct_equal.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/*
 * The key format, here and nowhere else: ffrtmp_<key id>_<secret>, both in
 * lower-case hex.  SQL makes keys with ffrtmp_data.new_api_key and checks a
 * key id with ffrtmp_data.check_api_key_id, both below; the api_keys
 * table's CHECK on key_id is a stored backstop of the same rule.
 */
#define KEY_PREFIX		"ffrtmp_"
#define KEY_ID_BYTES	8
#define SECRET_BYTES	24

typedef struct AuthenticatedKey
{
	bool		active;
	char		key_id[KEY_ID_BYTES * 2 + 1];
	pg_uuid_t	tenant;
	bool		has_user;
	pg_uuid_t	user;
	SubTransactionId subxact;	/* the (sub)transaction that authenticated */
	MemoryContext scopes_cxt;
	List	   *scopes;			/* of char *; NIL: the owner's permissions */
} AuthenticatedKey;

static AuthenticatedKey authenticated;

/* Who a key acts as, as its row and its user's row say now. */
typedef struct KeyOwner
{
	pg_uuid_t	tenant;
	bool		known;			/* the key id exists (tenant is its tenant) */
	bool		has_user;
	pg_uuid_t	user;
	char	   *role;			/* the user's role, or the service key's */
} KeyOwner;

static void
forget_key(void)
{
	if (authenticated.scopes_cxt)
		MemoryContextDelete(authenticated.scopes_cxt);
	memset(&authenticated, 0, sizeof authenticated);
	ffrtmp_context_reset();
}

static void
forget_key_at_xact_end(XactEvent event, void *arg)
{
	if (authenticated.active &&
		(event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		 event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		 event == XACT_EVENT_PREPARE))
		forget_key();
}

static void
follow_subxact(SubXactEvent event, SubTransactionId sub, SubTransactionId parent, void *arg)
{
	if (!authenticated.active || authenticated.subxact != sub)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		forget_key();
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		authenticated.subxact = parent;
}

void
ffrtmp_api_keys_init(void)
{
	RegisterXactCallback(forget_key_at_xact_end, NULL);
	RegisterSubXactCallback(follow_subxact, NULL);
}

static void
sha256(const char *data, size_t len, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 || pg_cryptohash_update(ctx, (const uint8 *) data, len) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
}

static void
failed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid api key"),
			 errhint("Give a key as create_api_key or rotate_api_key returned it; it may have been revoked or have expired, or its tenant or user may not be active.")));
}

/* Whether the key's user may act now (active, not deleted); *role gets its role. */
static bool
user_usable(pg_uuid_t *user, char **role)
{
	static const char *const columns[] = {"role", "status", "deleted_at"};
	Datum		values[3];
	bool		nulls[3];

	if (!ffrtmp_lookup_row("users", "users_pkey", "id", F_UUID_EQ, UUIDPGetDatum(user),
						   3, columns, values, nulls))
		return false;
	*role = TextDatumGetCString(values[0]);
	return strcmp(TextDatumGetCString(values[1]), "active") == 0 && nulls[2];
}

/* A role's rank (higher holds more); 0 for a name that is no role. */
static int32
role_rank(const char *role)
{
	static const char *const columns[] = {"rank"};
	Datum		value;
	bool		isnull = true;

	if (!ffrtmp_lookup_row("roles", "roles_pkey", "name", F_TEXTEQ, CStringGetTextDatum(role),
						   1, columns, &value, &isnull) || isnull)
		return 0;
	return DatumGetInt32(value);
}

/* Lowers *role to other when other is ranked below it. */
static void
lower_role(char **role, char *other)
{
	if (*role != NULL && role_rank(other) < role_rank(*role))
		*role = other;
}

/* Longer maker chains than this are refused (rotation never makes a cycle; this is a backstop). */
#define MAKER_CHAIN_MAX 64

/*
 * The rule that keeps a key below its maker's power now: a key made by a
 * user for someone else (made_by_user) acts only while that user is active,
 * and never above its role now; a key made through another key (made_by_key)
 * acts only while that key can, never above what that key acts with, and so
 * on up the chain.  Keys made by administrators without a user or by mapped
 * roles carry neither and have no maker limit.  Lowers *role; false when a
 * maker cannot act.  ffrtmp_data.key_acting_role is the SQL twin.
 */
static bool
makers_allow(const pg_uuid_t *own_user, Datum made_by_user, bool no_maker_user, Datum made_by_key,
			 bool no_maker_key, char **role)
{
	static const char *const columns[] = {"tenant_id", "expires_at", "revoked_at", "user_id", "role", "role_cap",
	"made_by_user", "made_by_key"};

	for (int depth = 0;; depth++)
	{
		Datum		values[8];
		bool		nulls[8];
		pg_uuid_t	tenant;
		pg_uuid_t	user;
		char	   *maker_role;

		if (!no_maker_user &&
			(own_user == NULL || memcmp(own_user, DatumGetUUIDP(made_by_user), sizeof(pg_uuid_t)) != 0))
		{
			user = *DatumGetUUIDP(made_by_user);
			if (!user_usable(&user, &maker_role))
				return false;
			lower_role(role, maker_role);
		}
		if (no_maker_key)
			return true;
		if (depth >= MAKER_CHAIN_MAX ||
			!ffrtmp_lookup_row("api_keys", "api_keys_pkey", "key_id", F_TEXTEQ, made_by_key, 8, columns, values, nulls))
			return false;
		tenant = *DatumGetUUIDP(values[0]);
		if (!nulls[2] || (!nulls[1] && DatumGetTimestampTz(values[1]) <= GetCurrentStatementStartTimestamp()) ||
			strcmp(ffrtmp_tenant_status(&tenant), "active") != 0)
			return false;
		if (nulls[3])
			lower_role(role, TextDatumGetCString(values[4]));
		else
		{
			user = *DatumGetUUIDP(values[3]);
			if (!user_usable(&user, &maker_role))
				return false;
			lower_role(role, maker_role);
			if (!nulls[5])
				lower_role(role, TextDatumGetCString(values[5]));
		}
		/* The maker key's own makers, judged against its own user. */
		own_user = nulls[3] ? NULL : &user;
		made_by_user = values[6];
		no_maker_user = nulls[6];
		made_by_key = values[7];
		no_maker_key = nulls[7];
	}
}

/*
 * Reads the key's row and says whether it may act now; *hash gets the stored
 * hash, or stays as it was when there is no such key.
 */
static bool
key_usable(const char *key_id, uint8 *hash, KeyOwner *owner, List **scopes, TimestampTz *last_used,
		   bool *ever_used)
{
	static const char *const columns[] = {"tenant_id", "secret_sha256", "expires_at", "revoked_at", "scopes",
	"user_id", "role", "role_cap", "made_by_user", "made_by_key"};
	static const char *const use_columns[] = {"last_used_at"};
	Datum		values[10];
	bool		nulls[10];
	bool		found;
	bool		usable;
	bool		active;
	pg_uuid_t  *tenant = &owner->tenant;
	char	   *user_role;
	bool		user_active;

	/*
	 * No early return for an unknown id: the tenant's status and the last use
	 * are read all the same (of the default tenant, and of a row that is not
	 * there), so that an unknown id costs what a known one does.
	 */
	found = ffrtmp_lookup_row("api_keys", "api_keys_pkey", "key_id", F_TEXTEQ, CStringGetTextDatum(key_id),
							  10, columns, values, nulls);
	owner->known = found;
	owner->has_user = false;
	owner->role = NULL;
	if (found)
	{
		memcpy(hash, VARDATA_ANY(DatumGetByteaPP(values[1])), PG_SHA256_DIGEST_LENGTH);
		*tenant = *DatumGetUUIDP(values[0]);
		owner->has_user = !nulls[5];
		if (owner->has_user)
			owner->user = *DatumGetUUIDP(values[5]);
		else
			owner->role = TextDatumGetCString(values[6]);
	}
	else
		*tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(FFRTMP_DEFAULT_TENANT)));
	active = strcmp(ffrtmp_tenant_status(tenant), "active") == 0;
	usable = found && nulls[3] &&
		(nulls[2] || DatumGetTimestampTz(values[2]) > GetCurrentStatementStartTimestamp()) && active;
	/* Read for a service key or an unknown id too (a nil id, found nowhere): the same work. */
	if (!owner->has_user)
		memset(&owner->user, 0, sizeof owner->user);
	user_active = user_usable(&owner->user, owner->has_user ? &owner->role : &user_role);
	if (owner->has_user && !user_active)
		usable = false;

	/*
	 * A key made for its user by someone else never acts above the role the
	 * user had then (role_cap): promoting the user later does not promote a
	 * key whose secret its maker may have kept.
	 */
	if (owner->has_user && found && !nulls[7] && owner->role != NULL)
	{
		char	   *cap = TextDatumGetCString(values[7]);

		if (role_rank(cap) < role_rank(owner->role))
			owner->role = cap;
	}
	/*
	 * Nor above what its maker may do now: see makers_allow.  Walked for a
	 * key found whatever else is wrong with it, so that a revoked key costs
	 * what a live one with the same makers does.
	 */
	if (found && !makers_allow(owner->has_user ? &owner->user : NULL, values[8], nulls[8], values[9], nulls[9],
								&owner->role))
		usable = false;
	if (scopes)
	{
		*scopes = NIL;
		if (found && !nulls[4])
		{
			Datum	   *elems;
			bool	   *elem_nulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(values[4]), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &elem_nulls, &n);
			for (int i = 0; i < n; i++)
				if (!elem_nulls[i])
					*scopes = lappend(*scopes, TextDatumGetCString(elems[i]));
		}
	}
	if (last_used)
	{
		Datum		used;
		bool		used_null = true;

		ffrtmp_lookup_row("api_key_uses", "api_key_uses_pkey", "key_id", F_TEXTEQ, CStringGetTextDatum(key_id),
						  1, use_columns, &used, &used_null);
		*ever_used = !used_null;
		*last_used = used_null ? 0 : DatumGetTimestampTz(used);
	}
	return usable;
}

/* Splits ffrtmp_<16 hex>_<48 hex>; anything else gives an id that matches no row. */
static void
split_key(const char *api_key, char *key_id, const char **secret)
{
	size_t		prefix = strlen(KEY_PREFIX);

	key_id[0] = '\0';
	*secret = api_key;
	if (strncmp(api_key, KEY_PREFIX, prefix) != 0 || strlen(api_key) != prefix + KEY_ID_BYTES * 2 + 1 + SECRET_BYTES * 2 ||
		api_key[prefix + KEY_ID_BYTES * 2] != '_')
		return;
	memcpy(key_id, api_key + prefix, KEY_ID_BYTES * 2);
	key_id[KEY_ID_BYTES * 2] = '\0';
	*secret = api_key + prefix + KEY_ID_BYTES * 2 + 1;
}

/*
 * last_used_at, at most once a minute, never waiting for a lock on the row
 * (two transactions authenticating at once write it once).  It lives in
 * api_key_uses, not in the key's row, so that the lock held here until the
 * end of the transaction never makes a revocation wait.
 */
static void
touch_last_used(const char *key_id)
{
	static KeptQuery touch = {
		.sql = "UPDATE ffrtmp_data.api_key_uses SET last_used_at = pg_catalog.now() "
		"WHERE key_id = (SELECT k.key_id FROM ffrtmp_data.api_key_uses k WHERE k.key_id = $1 "
		"  AND (k.last_used_at IS NULL OR k.last_used_at <= pg_catalog.now() - interval '1 minute') "
		"  FOR UPDATE SKIP LOCKED)",
		.nargs = 1, .argtypes = {TEXTOID},
	};
	Datum		arg = CStringGetTextDatum(key_id);
	Oid			save_user;
	int			save_sec;

	/*
	 * As the tables' owner, for this one statement: authenticate is open to
	 * every role (whoever holds a key may use it) and so is no SECURITY
	 * DEFINER function.  An error restores the user with the (sub)transaction.
	 */
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(get_role_oid("ffrtmp_owner", false),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ffrtmp_run(&touch, &arg, NULL);
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
}

PG_FUNCTION_INFO_V1(ffrtmp_authenticate);
Datum
ffrtmp_authenticate(PG_FUNCTION_ARGS)
{
	char	   *api_key = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	char		key_id[KEY_ID_BYTES * 2 + 1];
	const char *secret;
	uint8		given[PG_SHA256_DIGEST_LENGTH];
	uint8		stored[PG_SHA256_DIGEST_LENGTH];
	KeyOwner	owner;
	List	   *scopes;
	TimestampTz last_used;
	bool		ever_used;
	bool		usable;
	bool		same;
	MemoryContext old;
	ListCell   *cell;
	pg_uuid_t  *result;

	if (authenticated.active)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("this transaction has already authenticated with an api key"),
				 errhint("Authenticate once per transaction: COMMIT or ROLLBACK first.")));

	/* Longer than any key: refused before any work, whatever the key. */
	if (strlen(api_key) > 128)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("api_key must be at most 128 bytes"),
				 errhint("Give a key as create_api_key or rotate_api_key returned it.")));

	/* One path whatever is wrong: an unknown id compares against a hash of zeros. */
	memset(stored, 0, sizeof stored);
	split_key(api_key, key_id, &secret);
	usable = key_usable(key_id, stored, &owner, &scopes, &last_used, &ever_used);
	sha256(secret, strlen(secret), given);
	same = ffrtmp_ct_equal(given, stored, sizeof given);
	if (!(usable & same))
	{
		/*
		 * To the key's tenant's log when the id exists: its administrator
		 * sees the attempts.  Charged to the shared budget: a key id is no
		 * secret, and a flood for it must not use up that tenant's budget.
		 */
		ffrtmp_audit_refusal_charged(owner.known ? &owner.tenant : NULL, NULL, "api_key.authenticate", "api_key",
									 "auth_failed");
		failed();
	}

	/* As SET LOCAL does: outside BEGIN, the key is forgotten with this statement. */
	if (!IsTransactionBlock())
		ereport(WARNING,
				(errmsg("authenticate outside a transaction block lasts only for this statement"),
				 errhint("Call it after BEGIN: the key is the caller until COMMIT or ROLLBACK.")));

	authenticated.active = true;
	strlcpy(authenticated.key_id, key_id, sizeof authenticated.key_id);
	authenticated.tenant = owner.tenant;
	authenticated.has_user = owner.has_user;
	authenticated.user = owner.user;
	authenticated.subxact = GetCurrentSubTransactionId();
	authenticated.scopes_cxt = AllocSetContextCreate(TopMemoryContext, "ffrtmp api key scopes",
													  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(authenticated.scopes_cxt);
	authenticated.scopes = NIL;
	foreach(cell, scopes)
		authenticated.scopes = lappend(authenticated.scopes, pstrdup(lfirst(cell)));
	MemoryContextSwitchTo(old);
	ffrtmp_context_reset();

	/*
	 * A read-only transaction (PostgREST's GET, a hot standby) cannot write
	 * the last use: it is skipped, and the next writable use records it.
	 */
	if ((!ever_used || last_used <= GetCurrentTransactionStartTimestamp() - 60 * USECS_PER_SEC) &&
		!XactReadOnly && !RecoveryInProgress())
		touch_last_used(key_id);

	result = palloc(sizeof(pg_uuid_t));
	*result = owner.tenant;
	PG_RETURN_UUID_P(result);
}

/*
 * Whether the authenticated key is the caller: not while an invitation is
 * accepted, which makes a new user of the invitation's tenant on the token's
 * strength alone (invitations.c), so a key of the session leaves no trace on
 * it (no made_by_key on its first key, no key_id on its audit rows).
 */
static bool
key_acts(void)
{
	pg_uuid_t	invitation_tenant;

	return authenticated.active && !ffrtmp_invitation_tenant(&invitation_tenant);
}

/* The authenticated key's owner as it is now; refused once the key may no longer act. */
static void
key_owner_now(KeyOwner *owner)
{
	uint8		stored[PG_SHA256_DIGEST_LENGTH];

	if (!key_usable(authenticated.key_id, stored, owner, NULL, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the api key this transaction authenticated with is no longer valid"),
				 errhint("It was revoked or has expired, or its tenant or user is no longer active; end the transaction.")));
}

/*
 * For tenant_context.c: the tenant of the key authenticated in this
 * transaction, checked again (a new statement may see it revoked).
 */
bool
ffrtmp_key_tenant(pg_uuid_t *tenant)
{
	KeyOwner	owner;

	if (!authenticated.active)
		return false;
	key_owner_now(&owner);
	*tenant = owner.tenant;
	return true;
}

/*
 * For the permission check: the role the authenticated key acts with (its
 * user's role as it is now, or the service key's), or NULL when no key is
 * authenticated.  Checked again like the tenant.
 */
const char *
ffrtmp_key_role(void)
{
	KeyOwner	owner;

	if (!key_acts())
		return NULL;
	key_owner_now(&owner);
	return owner.role;
}

/* For audit rows: the authenticated key's user, if it is a user's key. */
bool
ffrtmp_key_user(pg_uuid_t *user)
{
	if (!key_acts() || !authenticated.has_user)
		return false;
	*user = authenticated.user;
	return true;
}

/*
 * Whether the authenticated key's scopes allow permission; true when no key
 * is authenticated or the key has no scopes.  The permission check calls it
 * after checking the owner's own permissions: scopes only narrow.
 */
bool
ffrtmp_key_allows(const char *permission)
{
	ListCell   *cell;

	if (!key_acts() || authenticated.scopes == NIL)
		return true;
	foreach(cell, authenticated.scopes)
		if (strcmp(lfirst(cell), permission) == 0)
			return true;
	return false;
}

/* The key id authenticated in this transaction, or NULL (for audit rows). */
const char *
ffrtmp_key_id(void)
{
	return key_acts() ? authenticated.key_id : NULL;
}

/* Writes nbytes random bytes from pg_strong_random as lower-case hex into hex (2 * nbytes + 1 chars). */
static void
random_hex(int nbytes, char *hex)
{
	uint8		bytes[64];

	Assert(nbytes >= 1 && nbytes <= (int) sizeof bytes);
	if (!pg_strong_random(bytes, nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random bytes"),
				 errhint("Check the server's source of randomness.")));
	for (int i = 0; i < nbytes; i++)
		snprintf(hex + 2 * i, 3, "%02x", bytes[i]);
	explicit_bzero(bytes, sizeof bytes);
}

/* Random lower-case hex of nbytes bytes from pg_strong_random: invitation tokens. */
PG_FUNCTION_INFO_V1(ffrtmp_random_hex);
Datum
ffrtmp_random_hex(PG_FUNCTION_ARGS)
{
	int32		nbytes = PG_GETARG_INT32(0);
	char		hex[2 * 64 + 1];

	if (nbytes < 1 || nbytes > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("random_hex takes 1 to %d bytes, not %d", 64, nbytes),
				 errhint("Ask for fewer bytes.")));
	random_hex(nbytes, hex);
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}

/*
 * ffrtmp_data.new_api_key(): a fresh key id, the full key to hand out once,
 * and the SHA-256 of its secret to store (as authenticate computes it).
 */
PG_FUNCTION_INFO_V1(ffrtmp_new_api_key);
Datum
ffrtmp_new_api_key(PG_FUNCTION_ARGS)
{
	char		key_id[KEY_ID_BYTES * 2 + 1];
	char		secret[SECRET_BYTES * 2 + 1];
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	bytea	   *hash = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	TupleDesc	desc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "new_api_key called in a context that cannot accept a row");
	random_hex(KEY_ID_BYTES, key_id);
	random_hex(SECRET_BYTES, secret);
	sha256(secret, strlen(secret), digest);
	SET_VARSIZE(hash, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	memcpy(VARDATA(hash), digest, PG_SHA256_DIGEST_LENGTH);
	values[0] = CStringGetTextDatum(key_id);
	values[1] = CStringGetTextDatum(psprintf("%s%s_%s", KEY_PREFIX, key_id, secret));
	values[2] = PointerGetDatum(hash);
	explicit_bzero(secret, sizeof secret);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* ffrtmp_data.check_api_key_id(key_id): refuses (22023) anything but a key id. */
PG_FUNCTION_INFO_V1(ffrtmp_check_api_key_id);
Datum
ffrtmp_check_api_key_id(PG_FUNCTION_ARGS)
{
	const char *key_id = PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		valid = strlen(key_id) == KEY_ID_BYTES * 2;

	for (const char *c = key_id; valid && *c; c++)
		valid = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f');
	if (!valid)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key_id must be %d hex digits", KEY_ID_BYTES * 2),
				 errhint("Give the key_id that ffrtmp.list_api_keys() shows.")));
	PG_RETURN_VOID();
}
