-- REST API requests counted per tenant and endpoint, and the plans' request
-- rate (max_api_requests_per_minute), kept in shared memory by
-- src/api_requests.c: no table is written per request.

CREATE OR REPLACE FUNCTION ffrtmp_data.count_api_request() RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_count_api_request'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.count_api_request() IS
    'Called by ffrtmp.pre_request() once an API key is authenticated: counts the request under the caller''s tenant and request.path (cut to 63 bytes), and past the plan''s max_api_requests_per_minute raises PostgREST''s PGRST error for HTTP 429 with Retry-After (whole seconds, rounded up); a tenant with a limit that finds every slot of the rate table (ffrtmp.api_request_counters) held by a tenant limited within the last minute is refused the same way until one frees.';
ALTER FUNCTION ffrtmp_data.count_api_request() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.count_api_request() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.count_api_request() TO ffrtmp_api;

CREATE OR REPLACE FUNCTION ffrtmp_data.api_request_counters(
    OUT tenant_id uuid, OUT endpoint text, OUT requests bigint, OUT refused bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_api_request_counters'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ffrtmp_data.api_request_counters() IS
    'The shared-memory request counters: every row for an administrator, the caller''s own tenant''s rows for a tenant principal.';
ALTER FUNCTION ffrtmp_data.api_request_counters() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.api_request_counters() FROM PUBLIC;

CREATE OR REPLACE FUNCTION ffrtmp.api_request_counts(
    OUT tenant_id uuid, OUT tenant text, OUT endpoint text, OUT requests bigint, OUT refused bigint)
RETURNS SETOF record
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
    SELECT c.tenant_id, t.name, c.endpoint, c.requests, c.refused
    FROM ffrtmp_data.api_request_counters() c
    LEFT JOIN ffrtmp_data.tenants t ON t.id = c.tenant_id
    ORDER BY t.name, c.endpoint
$fn$;
COMMENT ON FUNCTION ffrtmp.api_request_counts() IS
    'REST API requests per tenant and endpoint (PostgREST''s request.path, cut to 63 bytes) since the server started: requests received, and how many of them were refused with HTTP 429 (refused counts within requests). Past its share of ffrtmp.api_request_counters, max(8, counters / 8) endpoints, or once the table is full, a tenant''s further endpoints count under "(other)"; a row with no tenant counts tenants that found no room in the rate table and the "(other)" counts of tenants whose slot was reused. A tenant principal sees its own tenant''s rows.';
ALTER FUNCTION ffrtmp.api_request_counts() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.api_request_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.api_request_counts() TO ffrtmp_admin, ffrtmp_tenant;
