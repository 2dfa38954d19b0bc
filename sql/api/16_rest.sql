-- PostgREST's pre-request function (docs/rest.md): PostgREST calls it in
-- each request's transaction after setting role, request.headers and the
-- other request.* settings, before the request's own statement.

-- SECURITY INVOKER: it switches role with set_config, which a SECURITY
-- DEFINER function may not; PostgreSQL allows the switch because the
-- session user (the authenticator) is a member of ffrtmp_api.
CREATE OR REPLACE FUNCTION ffrtmp.pre_request() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    headers jsonb;
    -- The error PostgREST answers with: SQLSTATE PGRST carries the status and
    -- headers in its detail and the JSON body {code, message, details, hint}
    -- as its message.
    status integer := 401;
    body jsonb := '{"code": "28000", "message": "authentication required", "details": null, "hint": "Send an API key as \"Authorization: Bearer ffrtmp_...\" or \"X-API-Key: ffrtmp_...\""}';
    challenge text := 'Bearer';
    auth_header text;
    api_key text;
    err_state text;
    msg text;
    hint text;
BEGIN
    -- 1. Request settings are anyone's to set: only PostgREST's are believed.
    IF session_user <> 'ffrtmp_authenticator' THEN
        RETURN;
    END IF;
    headers := COALESCE(NULLIF(pg_catalog.current_setting('request.headers', true), ''), '{}')::jsonb;
    auth_header := headers->>'authorization';
    api_key := headers->>'x-api-key';
    IF api_key IS NULL AND auth_header ~* '^bearer\s+ffrtmp_' THEN
        api_key := pg_catalog.regexp_replace(auth_header, '^bearer\s+', '', 'i');
    END IF;
    -- 2. PostgREST runs a verified JWT as the role its role claim names,
    --    any the authenticator may switch to: only ffrtmp_api is a JWT's.
    --    A claim of ffrtmp_anon (or none), ffrtmp_api_admin (step 7 alone
    --    grants it) or the authenticator itself is a wrong claim set.  A
    --    JWT without a role claim runs as db-anon-role, with that role
    --    written into its claims (PostgREST v12.2.9, src/PostgREST/Auth.hs,
    --    parseClaims); no JWT gives no claims.
    IF current_user NOT IN ('ffrtmp_anon', 'ffrtmp_api')
       OR (current_user = 'ffrtmp_anon'
           AND COALESCE(NULLIF(pg_catalog.current_setting('request.jwt.claims', true), ''), '{}')::jsonb <> '{}'::jsonb) THEN
        challenge := 'Bearer error="invalid_token"';
        body := '{"code": "28000", "message": "invalid token claims", "details": null, "hint": "A token''s claim role names ffrtmp_api."}';
    -- 3. At most one credential (RFC 6750 section 2): a key with a verified
    --    JWT or with another key, or any with an invitation token (the
    --    acceptance's credential), is 400 rather than one of them ignored.
    ELSIF (api_key IS NOT NULL AND (current_user <> 'ffrtmp_anon'
                                 OR (headers ? 'x-api-key' AND auth_header ~* '^bearer\s+ffrtmp_')))
       OR (current_user <> 'ffrtmp_anon' OR api_key IS NOT NULL)
          AND pg_catalog.current_setting('request.path', true) = '/rpc/accept_invitation' THEN
        status := 400;
        challenge := NULL;
        body := '{"code": "PT400", "message": "a request carries at most one credential", "details": null, "hint": "Send one API key (Authorization: Bearer ffrtmp_... or X-API-Key) or one JWT, not both; POST /v1/invitations/accept takes none, its token is the credential"}';
    -- 4. No key and no verified JWT (the role is still the anonymous one):
    --    only the liveness and readiness probes and the acceptance of an
    --    invitation (its token is the credential) are answered.
    ELSIF api_key IS NULL AND current_user = 'ffrtmp_anon' THEN
        IF pg_catalog.current_setting('request.method', true) IN ('GET', 'HEAD')
           AND pg_catalog.current_setting('request.path', true) IN ('/rpc/health', '/rpc/ready') THEN
            RETURN;
        END IF;
        IF pg_catalog.current_setting('request.method', true) = 'POST'
           AND pg_catalog.current_setting('request.path', true) = '/rpc/accept_invitation' THEN
            RETURN;
        END IF;
    ELSE
        BEGIN
            -- 5. A key is authenticated and the request runs as ffrtmp_api; a
            --    verified JWT already made it ffrtmp_api.
            IF api_key IS NOT NULL THEN
                PERFORM ffrtmp.authenticate(api_key);
                PERFORM pg_catalog.set_config('role', 'ffrtmp_api', true);
            END IF;
            -- 6. The tenant context (src/tenant_context.c) checks the key or the
            --    JWT's claims and X-Tenant-ID once here, so that they fail with
            --    their HTTP status before the request's statement runs.
            PERFORM ffrtmp.current_tenant();
            -- 7. The database privileges follow the claims' user now: a
            --    superadmin's JWT not narrowed below superadmin runs as
            --    ffrtmp_api_admin (a member of ffrtmp_admin), so that the
            --    administrators' functions may be executed; a key, a narrowed
            --    JWT or any other user's stays ffrtmp_api.
            IF api_key IS NULL AND current_user = 'ffrtmp_api'
               AND ffrtmp.caller_role() = 'superadmin' THEN
                PERFORM pg_catalog.set_config('role', 'ffrtmp_api_admin', true);
            END IF;
            -- 8. Counted under the tenant it acts for; HTTP 429 past its
            --    plan's rate (src/api_requests.c raises PostgREST's answer).
            PERFORM ffrtmp_data.count_api_request();
            RETURN;
        EXCEPTION WHEN invalid_authorization_specification OR insufficient_privilege
                       OR SQLSTATE 'PT404' THEN
            -- 9. One answer for every wrong key or claim set (401); X-Tenant-ID
            --    naming a tenant the principal does not act for (403, audited),
            --    or none that exists for a superadmin (404).
            GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
            body := pg_catalog.jsonb_build_object('code', err_state, 'message', msg,
                                                  'details', NULL, 'hint', NULLIF(hint, ''));
            IF err_state = '28000' THEN
                challenge := 'Bearer error="invalid_token"';
            ELSE
                status := CASE err_state WHEN 'PT404' THEN 404 ELSE 403 END;
                challenge := NULL;
            END IF;
        END;
    END IF;
    RAISE SQLSTATE 'PGRST'
        USING MESSAGE = body::text,
              DETAIL = pg_catalog.jsonb_build_object('status', status, 'headers',
                  CASE WHEN challenge IS NULL THEN '{}'::jsonb
                       ELSE pg_catalog.jsonb_build_object('WWW-Authenticate', challenge) END)::text;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.pre_request() IS
    'PostgREST''s db-pre-request: authenticates the request''s API key (Authorization: Bearer ffrtmp_... or X-API-Key) with ffrtmp.authenticate and runs the request as ffrtmp_api, or checks a verified JWT''s claims (role, which must be ffrtmp_api, sub, ffrtmp_tenant, ffrtmp_role); a superadmin''s JWT not narrowed below superadmin runs as ffrtmp_api_admin; without either only GET /rpc/health and /rpc/ready and POST /rpc/accept_invitation are answered; two credentials (a key and a JWT, two keys, or any with accept_invitation) are HTTP 400 PT400, anything else is HTTP 401 with WWW-Authenticate, as is a wrong key or claim set; X-Tenant-ID selects a superadmin''s tenant (404 when none has the id or name) and naming another tenant is 403 for a one-tenant principal, audited. Does nothing unless the session user is ffrtmp_authenticator.';
ALTER FUNCTION ffrtmp.pre_request() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.pre_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.pre_request() TO PUBLIC;
