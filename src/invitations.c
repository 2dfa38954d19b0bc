/*
 * invitations.c: ffrtmp.accept_invitation(token), the way in for someone who
 * is not a caller yet (sql/api/24_invitations.sql has the rest), and, with
 * api_key_name, the new user's first API key.
 *
 * The invitee has no tenant: its role may be mapped to none, or to another
 * tenant.  So while the call runs, the invitation's tenant is the caller's,
 * the first source of tenant_context.c's answer, and row-level security lets
 * the body read the invitation and write the user there and nowhere else.
 * The tenant comes from the row whose token hash matches; whatever is wrong
 * with the token, the body runs all the same (for an unknown token, in the
 * default tenant, where no row matches either) and raises its one error,
 * which the refusal queue notes as a failed authentication.
 */
#include "ffrtmp.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/fmgroids.h"

/* Longer than any token: refused before any work, whatever it is (as authenticate does). */
#define TOKEN_MAX_BYTES 128

static bool accepting;
static pg_uuid_t accepting_tenant;

/* For tenant_context.c: the tenant of the invitation being accepted, if any. */
bool
ffrtmp_invitation_tenant(pg_uuid_t *tenant)
{
	if (!accepting)
		return false;
	*tenant = accepting_tenant;
	return true;
}

PG_FUNCTION_INFO_V1(ffrtmp_accept_invitation);
Datum
ffrtmp_accept_invitation(PG_FUNCTION_ARGS)
{
	static KeptQuery accept = {
		.sql = "SELECT (a.\"user\").*, a.api_key FROM ffrtmp_data.accept_invitation($1, $2, $3) a",
		.nargs = 3, .argtypes = {BYTEAOID, TEXTOID, TEXTOID},
	};
	static const char *const columns[] = {"tenant_id"};
	text	   *token = PG_ARGISNULL(0) ? cstring_to_text("") : PG_GETARG_TEXT_PP(0);
	Datum		args[3];
	char		nulls[3] = {' ', PG_ARGISNULL(1) ? 'n' : ' ', PG_ARGISNULL(2) ? 'n' : ' '};
	Datum		tenant;
	bool		tenant_null;
	volatile Datum result = (Datum) 0;
	Oid			save_user;
	int			save_sec;

	if (VARSIZE_ANY_EXHDR(token) > TOKEN_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("token must be at most %d bytes", TOKEN_MAX_BYTES),
				 errhint("Give the token as invite_user returned it.")));
	/* text and bytea share their layout: the hash of the token's bytes, as sha256() in SQL. */
	args[0] = DirectFunctionCall1(sha256_bytea, PointerGetDatum(token));
	args[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	args[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	if (ffrtmp_lookup_row("invitations", "invitations_token_sha256_key", "token_sha256", F_BYTEAEQ, args[0],
						  1, columns, &tenant, &tenant_null))
		accepting_tenant = *DatumGetUUIDP(tenant);
	else
		accepting_tenant = *DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(FFRTMP_DEFAULT_TENANT)));

	/*
	 * The body runs as the tables' owner, for this one call: accept_invitation
	 * is open to every role (whoever holds a token may use it), and so is no
	 * SECURITY DEFINER function, as authenticate is not.
	 */
	GetUserIdAndSecContext(&save_user, &save_sec);
	accepting = true;
	ffrtmp_context_reset();
	PG_TRY();
	{
		SetUserIdAndSecContext(get_role_oid("ffrtmp_owner", false),
							   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ffrtmp_run(&accept, args, nulls);
		result = ffrtmp_return_row(fcinfo);
	}
	PG_CATCH();
	{
		SetUserIdAndSecContext(save_user, save_sec);
		accepting = false;
		ffrtmp_context_reset();
		/* A token guessed or replayed: noted, rate-limited, like a failed authenticate. */
		if (geterrcode() == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION)
			ffrtmp_audit_refusal(NULL, "invitation.accept", "invitation token", "auth_failed");
		PG_RE_THROW();
	}
	PG_END_TRY();
	SetUserIdAndSecContext(save_user, save_sec);
	accepting = false;
	ffrtmp_context_reset();
	PG_RETURN_DATUM(result);
}
