-- The extension installs into a preloaded server, with its schemas, roles and
-- seed data, and documents every object it creates.
CREATE EXTENSION ffrtmp;

SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'ffrtmp';

-- The library is preloaded (CREATE EXTENSION would have failed otherwise).
SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries';

SELECT rolname, rolsuper, rolbypassrls, rolcanlogin
FROM pg_roles WHERE rolname LIKE 'ffrtmp\_%' ORDER BY rolname;

SELECT name, max_jobs, max_workers, max_cpu_cores, max_gpus, max_jobs_per_hour, weight
FROM ffrtmp.plans ORDER BY weight;

SELECT id, name, plan, effective_status, max_jobs, max_jobs_per_hour FROM ffrtmp.tenants;

SELECT name FROM ffrtmp.presets WHERE tenant_id IS NULL ORDER BY name;

-- Every table, view, column, function and type has a comment (they become the
-- REST API's OpenAPI descriptions).
SELECT 'relation' AS kind, c.oid::regclass::text AS object
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND c.relkind IN ('r', 'v')
   AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'column', c.oid::regclass::text || '.' || a.attname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND c.relkind IN ('r', 'v')
   AND col_description(c.oid, a.attnum) IS NULL
UNION ALL
SELECT 'function', p.oid::regprocedure::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT 'type', t.oid::regtype::text
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND t.typtype IN ('b', 'c', 'd', 'e')
   AND t.typrelid = 0 AND t.typcategory <> 'A' AND obj_description(t.oid, 'pg_type') IS NULL
UNION ALL
SELECT 'schema', nspname FROM pg_namespace
 WHERE nspname IN ('ffrtmp', 'ffrtmp_data') AND obj_description(oid, 'pg_namespace') IS NULL;

-- Every SECURITY DEFINER function pins its search_path.
SELECT p.oid::regprocedure AS unpinned
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.prosecdef
   AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);

-- Every tenant-owned table has row-level security enabled and forced.
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) AS owner
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ffrtmp_data' AND c.relkind = 'r'
 ORDER BY c.relname;

-- The exposed schema, what PostgREST serves as the API's v1, holds views and
-- functions only (and composite types of functions' results): no table,
-- sequence or other relation a client could reach.
SELECT c.relname, c.relkind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'ffrtmp' AND c.relkind NOT IN ('v', 'c')
 ORDER BY c.relname;

-- The ffrtmp.* settings are reserved: nobody can invent one to fake a context.
SET ffrtmp.tenant = 'someone-else';
SELECT set_config('ffrtmp.tenant_id', 'x', false);

-- Every file installs its own copy (they run alone or in any order).
DROP EXTENSION ffrtmp CASCADE;
