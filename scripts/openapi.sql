-- The OpenAPI 3.0 document of the /v1/ REST routes, made from the catalog:
-- each route of scripts/openapi-routes.tsv (on standard input) with its function's
-- arguments, their types and defaults, and the function's COMMENT.  Prints
-- the problems (one a line, starting with "error: ") instead of the document
-- when a callable function has no line in the routes file or a line names
-- what the catalog does not have.  Run by scripts/openapi.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE TEMP TABLE route_lines (line text);
\copy route_lines FROM pstdin WITH (FORMAT csv, DELIMITER E'\x01', QUOTE E'\x02')
CREATE TEMP TABLE routes AS
SELECT f[1] AS method, f[2] AS path, f[3] AS signature, f[4] AS why,
       CASE WHEN f[1] <> '-' THEN string_to_array(nullif(btrim(f[4]), ''), ' ') END AS errors,
       to_regprocedure(f[3]) AS fn, n AS line_no
  FROM (SELECT string_to_array(line, E'\t') AS f, row_number() OVER () AS n
          FROM route_lines WHERE line !~ '^\s*(#|$)') l;

-- The functions the API roles may call, one argument a row.
CREATE TEMP TABLE args AS
SELECT r.fn, a.ord, a.name, a.type,
       a.ord > p.pronargs - p.pronargdefaults AS has_default
  FROM routes r JOIN pg_proc p ON p.oid = r.fn,
       unnest(p.proargtypes::oid[], p.proargnames[1:p.pronargs])
         WITH ORDINALITY AS a(type, name, ord)
 WHERE r.method <> '-';

CREATE TEMP TABLE problems AS
SELECT format('error: %s is callable by ffrtmp_admin or ffrtmp_tenant but has no line in the routes file', p.oid::regprocedure) AS msg
  FROM pg_proc p
 WHERE p.pronamespace = 'ffrtmp'::regnamespace
   AND (has_function_privilege('ffrtmp_admin', p.oid, 'EXECUTE')
        OR has_function_privilege('ffrtmp_tenant', p.oid, 'EXECUTE'))
   AND p.oid NOT IN (SELECT fn FROM routes WHERE fn IS NOT NULL)
UNION ALL
SELECT format('error: routes line %s: no function %s (renamed, or its arguments changed?)', line_no, signature)
  FROM routes WHERE fn IS NULL
UNION ALL
SELECT format('error: routes line %s: method %s is not one of GET POST PUT PATCH DELETE, or - with a reason', line_no, method)
  FROM routes WHERE method NOT IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE') AND NOT (method = '-' AND why <> '')
UNION ALL
SELECT format('error: routes line %s: {%s} is no argument of %s', r.line_no, m[1], r.signature)
  FROM routes r, regexp_matches(r.path, '\{([^}]*)\}', 'g') m
 WHERE r.fn IS NOT NULL AND NOT EXISTS (SELECT FROM args a WHERE a.fn = r.fn AND a.name = m[1])
UNION ALL
SELECT format('error: %s has no COMMENT (it is the route''s description)', fn)
  FROM routes WHERE fn IS NOT NULL AND method <> '-' AND obj_description(fn, 'pg_proc') IS NULL
UNION ALL
SELECT format('error: routes line %s: error status %s is not one of 401 403 404 409 429 (400, 401 and the permission''s 403 are added from the catalog; 401 is listed only for a route callable without credentials whose argument is one, an invitation token)', line_no, e)
  FROM routes, unnest(errors) e WHERE e NOT IN ('401', '403', '404', '409', '429')
UNION ALL
SELECT format('error: %s %s is listed twice', method, path)
  FROM routes WHERE method <> '-' GROUP BY method, path HAVING count(*) > 1;

-- Callable without credentials: by PUBLIC, or by the anonymous role once
-- it exists.
CREATE FUNCTION pg_temp.anonymous(f oid) RETURNS boolean LANGUAGE sql STABLE AS $$
SELECT EXISTS (SELECT FROM pg_proc p, aclexplode(p.proacl) x
                WHERE p.oid = f AND x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    OR (to_regrole('ffrtmp_anon') IS NOT NULL AND has_function_privilege('ffrtmp_anon', f, 'EXECUTE'))
$$;

-- JSON Schema of a PostgreSQL type, as PostgREST reads and writes it.
CREATE FUNCTION pg_temp.schema_of(t oid) RETURNS jsonb LANGUAGE sql STABLE AS $$
SELECT CASE
  WHEN t IN ('smallint'::regtype, 'integer'::regtype) THEN '{"type": "integer", "format": "int32"}'
  WHEN t = 'bigint'::regtype THEN '{"type": "integer", "format": "int64"}'
  WHEN t IN ('numeric'::regtype, 'real'::regtype, 'double precision'::regtype) THEN '{"type": "number"}'
  WHEN t = 'boolean'::regtype THEN '{"type": "boolean"}'
  WHEN t = 'uuid'::regtype THEN '{"type": "string", "format": "uuid"}'
  WHEN t = 'timestamptz'::regtype THEN '{"type": "string", "format": "date-time"}'
  WHEN t = 'interval'::regtype THEN '{"type": "string", "description": "a PostgreSQL interval, e.g. \"90 seconds\""}'
  WHEN t IN ('json'::regtype, 'jsonb'::regtype) THEN '{}'
  WHEN ty.typtype = 'e' THEN jsonb_build_object('type', 'string', 'enum',
         (SELECT jsonb_agg(enumlabel ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t))
  WHEN ty.typcategory = 'A' THEN jsonb_build_object('type', 'array', 'items', pg_temp.schema_of(ty.typelem))
  WHEN ty.typtype = 'c' THEN jsonb_build_object('type', 'object', 'properties',
         (SELECT coalesce(jsonb_object_agg(attname, pg_temp.schema_of(atttypid)), '{}') FROM pg_attribute
           WHERE attrelid = ty.typrelid AND attnum > 0 AND NOT attisdropped))
  ELSE '{"type": "string"}'
END::jsonb FROM pg_type ty WHERE ty.oid = t
$$;

-- The error statuses of each route: the routes file's, and those the
-- catalog gives: 400 for a function with arguments, 401 for one that needs
-- a key, 403 for one that needs a permission.
CREATE TEMP TABLE route_errors AS
SELECT r.fn, r.method, r.path, s.status
  FROM routes r JOIN pg_proc p ON p.oid = r.fn
  LEFT JOIN ffrtmp_data.function_permissions fp ON fp.function = p.proname,
       LATERAL (SELECT '400' WHERE p.pronargs > 0
                UNION SELECT '401' WHERE NOT pg_temp.anonymous(p.oid)
                UNION SELECT '403' WHERE fp.permission IS NOT NULL
                UNION SELECT unnest(r.errors)) s(status)
 WHERE r.method <> '-';

-- What each status means, for the document's responses and the docs table.
CREATE TEMP TABLE statuses (status text PRIMARY KEY, name text, description text);
INSERT INTO statuses VALUES
  ('400', 'BadRequest', 'an invalid argument (22023, a wrong type), or a body that is not a JSON object'),
  ('401', 'Unauthorized', 'no key, or a malformed, unknown, expired or revoked one; with WWW-Authenticate'),
  ('403', 'Forbidden', 'the caller lacks the permission, names a tenant it may not act for, or its tenant is suspended'),
  ('404', 'NotFound', 'no such id, or one the caller may not see'),
  ('409', 'Conflict', 'a name already taken, or a state that does not allow it'),
  ('429', 'TooManyRequests', 'a quota of the plan reached; with Retry-After where waiting helps');

-- The PostgREST request nginx makes of a route (deploy/nginx's map): a
-- GET's path ids in the query, "&..." when the client may add more; other
-- methods POST the path ids as the body, "{...," before them when the
-- client's own arguments come too.
CREATE FUNCTION pg_temp.upstream(method text, path text, fn regprocedure) RETURNS text LANGUAGE sql STABLE AS $$
SELECT CASE WHEN method = 'GET' THEN 'GET /rpc/' || p.proname
              || coalesce('?' || (SELECT string_agg(format('%s={%s}', m[1], m[1]), '&')
                                    FROM regexp_matches(path, '\{([^}]*)\}', 'g') m)
                  || CASE WHEN p.pronargs > (SELECT count(*) FROM regexp_matches(path, '\{([^}]*)\}', 'g')) THEN '&…' ELSE '' END, '')
            ELSE 'POST /rpc/' || p.proname
              || coalesce(' ' || (SELECT CASE WHEN p.pronargs > count(*) THEN '{…,' ELSE '{' END
                                          || string_agg(format('"%s":…', m[1]), ',') || '}'
                                     FROM regexp_matches(path, '\{([^}]*)\}', 'g') m
                                   HAVING count(*) > 0), '')
       END
  FROM pg_proc p WHERE p.oid = fn
$$;

CREATE TEMP TABLE operations AS
SELECT r.path, lower(r.method) AS method,
       jsonb_strip_nulls(jsonb_build_object(
         'operationId', p.proname,
         'tags', jsonb_build_array(split_part(r.path, '/', 3)),
         'summary', split_part(obj_description(r.fn, 'pg_proc'), '. ', 1),
         'description', obj_description(r.fn, 'pg_proc')
           || coalesce(E'\n\nPermission: `' || fp.permission || '`, held by '
                || (SELECT coalesce(string_agg(ro.name, ', ' ORDER BY ro.rank), 'no role')
                      FROM ffrtmp.role_permissions rp JOIN ffrtmp_data.roles ro ON ro.name = rp.role
                     WHERE rp.permission = fp.permission) || '.', '')
           || E'\n\nSQL: `' || r.fn::regprocedure::text || '`',
         'x-ffrtmp-permission', fp.permission,
         'parameters', (SELECT jsonb_agg(prm ORDER BY o) FROM (
             SELECT 0 AS o, '{"$ref": "#/components/parameters/TenantHeader"}'::jsonb AS prm
             UNION ALL
             SELECT a.ord, jsonb_build_object('name', a.name, 'required', NOT a.has_default OR a.name IN (SELECT m[1] FROM regexp_matches(r.path, '\{([^}]*)\}', 'g') m),
                      'schema', pg_temp.schema_of(a.type))
                    || jsonb_build_object('in', CASE WHEN r.path LIKE '%{' || a.name || '}%' THEN 'path' ELSE 'query' END)
               FROM args a
              WHERE a.fn = r.fn AND (r.method IN ('GET', 'DELETE') OR r.path LIKE '%{' || a.name || '}%')) x),
         'requestBody', CASE WHEN r.method IN ('POST', 'PUT', 'PATCH') THEN (
             SELECT jsonb_build_object('required', bool_or(NOT a.has_default), 'content', jsonb_build_object('application/json',
                      jsonb_build_object('schema', jsonb_strip_nulls(jsonb_build_object('type', 'object',
                        'properties', jsonb_object_agg(a.name, pg_temp.schema_of(a.type)),
                        'required', jsonb_agg(a.name ORDER BY a.ord) FILTER (WHERE NOT a.has_default))))))
               FROM args a WHERE a.fn = r.fn AND r.path NOT LIKE '%{' || a.name || '}%'
             HAVING count(*) > 0) END,
         -- Callable without credentials (by PUBLIC, or by the anonymous
         -- role once it exists): no security requirement.
         'security', CASE WHEN pg_temp.anonymous(p.oid) THEN '[]'::jsonb END,
         'responses', jsonb_build_object(
             '200', jsonb_build_object('description', 'the result of ' || p.proname,
                      'content', jsonb_build_object('application/json', jsonb_build_object('schema',
                        CASE WHEN p.proretset THEN jsonb_build_object('type', 'array', 'items', pg_temp.schema_of(p.prorettype))
                             ELSE pg_temp.schema_of(p.prorettype) END))),
             'default', '{"$ref": "#/components/responses/Error"}'::jsonb)
           || (SELECT coalesce(jsonb_object_agg(e.status, jsonb_build_object('$ref', '#/components/responses/' || st.name)), '{}')
                 FROM route_errors e JOIN statuses st USING (status)
                WHERE e.method = r.method AND e.path = r.path))) AS op
  FROM routes r JOIN pg_proc p ON p.oid = r.fn
  LEFT JOIN ffrtmp_data.function_permissions fp ON fp.function = p.proname
 WHERE r.method <> '-';

\pset tuples_only on
\pset format unaligned
SELECT DISTINCT msg FROM problems ORDER BY msg;
SELECT jsonb_pretty(jsonb_build_object(
  'openapi', '3.0.3',
  'info', jsonb_build_object(
    'title', 'ffrtmp REST API',
    'version', (SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'),
    'description', 'Version 1 of the ffrtmp REST API, served by PostgREST behind nginx. Generated from the database catalog by scripts/openapi: each operation''s text is its SQL function''s COMMENT.'),
  'servers', '[{"url": "/"}]'::jsonb,
  'security', '[{"bearer": []}, {"apiKey": []}]'::jsonb,
  'paths', (SELECT jsonb_object_agg(path, ops) FROM
             (SELECT path, jsonb_object_agg(method, op) AS ops FROM operations GROUP BY path) x),
  'components', jsonb_build_object(
    'securitySchemes', jsonb_build_object(
      'bearer', '{"type": "http", "scheme": "bearer", "description": "an API key (ffrtmp_...) or a JWT"}'::jsonb,
      'apiKey', '{"type": "apiKey", "in": "header", "name": "X-API-Key"}'::jsonb),
    'parameters', jsonb_build_object('TenantHeader', '{"name": "X-Tenant-ID", "in": "header", "required": false, "description": "the tenant to act for, for a principal that may act for several; others may name only their own", "schema": {"type": "string"}}'::jsonb),
    'schemas', jsonb_build_object('Error', '{"type": "object", "description": "PostgREST''s error body", "properties": {"code": {"type": "string", "description": "the SQLSTATE"}, "message": {"type": "string"}, "details": {"type": "string", "nullable": true}, "hint": {"type": "string", "nullable": true}}, "required": ["code", "message"]}'::jsonb),
    'responses', jsonb_build_object('Error', '{"description": "an error: 400, 401 (with WWW-Authenticate), 403, 404, 409 or 429 (with Retry-After)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}'::jsonb)
      || (SELECT jsonb_object_agg(name, jsonb_build_object('description', description,
                   'content', '{"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}'::jsonb))
            FROM statuses))))
 WHERE NOT EXISTS (SELECT FROM problems) AND NOT :{?docs};

-- With -v docs=1: the route table of docs/rest.md instead.
SELECT E'| route | PostgREST request | permission | errors |\n|---|---|---|---|\n'
       || string_agg(format('| `%s %s` | `%s` | %s | %s |', r.method, r.path,
            pg_temp.upstream(r.method, r.path, r.fn),
            CASE WHEN fp.permission IS NOT NULL THEN '`' || fp.permission || '`'
                 WHEN pg_temp.anonymous(r.fn) THEN 'none' ELSE 'a key' END,
            (SELECT string_agg(status, ', ' ORDER BY status) FROM route_errors e
              WHERE e.method = r.method AND e.path = r.path)), E'\n' ORDER BY r.line_no)
  FROM routes r JOIN pg_proc p ON p.oid = r.fn
  LEFT JOIN ffrtmp_data.function_permissions fp ON fp.function = p.proname
 WHERE r.method <> '-' AND NOT EXISTS (SELECT FROM problems) AND :{?docs};
