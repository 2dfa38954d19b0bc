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
    tenant_header text;
    msg text;
    hint text;
BEGIN
    -- Request settings are anyone's to set: only PostgREST's are believed.
    IF session_user <> 'ffrtmp_authenticator' THEN
        RETURN;
    END IF;
    headers := COALESCE(NULLIF(pg_catalog.current_setting('request.headers', true), ''), '{}')::jsonb;
    auth_header := headers->>'authorization';
    api_key := headers->>'x-api-key';
    IF api_key IS NULL AND auth_header ~* '^bearer\s+ffrtmp_' THEN
        api_key := pg_catalog.regexp_replace(auth_header, '^bearer\s+', '', 'i');
    END IF;
    IF api_key IS NULL THEN
        -- A JWT PostgREST verified has made the role its claims name.
        IF current_user <> 'ffrtmp_anon' THEN
            RETURN;
        END IF;
    ELSE
        BEGIN
            PERFORM ffrtmp.authenticate(api_key);
            PERFORM pg_catalog.set_config('role', 'ffrtmp_api', true);
            -- X-Tenant-ID (the original system's header) may only name the
            -- key's own tenant, by id or name: the view shows no other.
            tenant_header := headers->>'x-tenant-id';
            IF tenant_header IS NULL
               OR EXISTS (SELECT 1 FROM ffrtmp.tenants t WHERE t.id::text = tenant_header OR t.name = tenant_header) THEN
                PERFORM ffrtmp_data.count_api_request();  -- counted; HTTP 429 past the plan's rate
                RETURN;
            END IF;
            status := 403;
            body := '{"code": "42501", "message": "X-Tenant-ID names a tenant this api key does not act for", "details": null, "hint": "Leave X-Tenant-ID out, or name the key''s own tenant: a key acts for one tenant."}';
            challenge := NULL;
        EXCEPTION WHEN invalid_authorization_specification THEN
            -- One answer for every wrong key: authenticate's own message and hint.
            GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
            body := pg_catalog.jsonb_build_object('code', '28000', 'message', msg,
                                                  'details', NULL, 'hint', NULLIF(hint, ''));
            challenge := 'Bearer error="invalid_token"';
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
    'PostgREST''s db-pre-request: authenticates the request''s API key (Authorization: Bearer ffrtmp_... or X-API-Key) with ffrtmp.authenticate and runs the request as ffrtmp_api; no credentials, or a wrong key, is HTTP 401 with WWW-Authenticate; an X-Tenant-ID naming another tenant than the key''s is 403. Does nothing unless the session user is ffrtmp_authenticator.';
ALTER FUNCTION ffrtmp.pre_request() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.pre_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.pre_request() TO PUBLIC;
