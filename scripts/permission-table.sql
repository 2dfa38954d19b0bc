-- The permission tables of docs/access-control.md, from the catalog of a
-- database where ffrtmp is installed (run by scripts/permission-table; see
-- its --help): which role holds which permission (ffrtmp.role_permissions,
-- with each permission's description), and which permission each function and
-- view of the ffrtmp schema needs (ffrtmp_data.function_permissions).  Roles are
-- ordered by rank, permissions by the rank of the lowest role holding them and
-- then by name in byte order, so the output depends on nothing but the data.

\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on

-- Roles by rank, lowest first: the columns of the first table.
CREATE TEMP VIEW pt_role AS
SELECT name COLLATE "C" AS name, rank FROM ffrtmp_data.roles;

-- Permissions with the rank of the lowest role holding them (ranks above all
-- roles' for a permission no role holds, so it sorts last and shows no x).
CREATE TEMP VIEW pt_permission AS
SELECT p.name COLLATE "C" AS name, p.description,
       coalesce(min(r.rank), 2147483647) AS rank
  FROM ffrtmp_data.permissions p
  LEFT JOIN ffrtmp.role_permissions rp ON rp.permission = p.name
  LEFT JOIN ffrtmp_data.roles r ON r.name = rp.role
 GROUP BY p.name, p.description;

SELECT '| permission | ' || string_agg(name, ' | ' ORDER BY rank) || ' | what it allows |'
  FROM pt_role
UNION ALL
SELECT '|---|' || string_agg(':-:|', '' ORDER BY rank) || '---|'
  FROM pt_role;
SELECT '| `' || p.name || '` | '
       || string_agg(CASE WHEN rp.role IS NULL THEN ' ' ELSE 'x' END, ' | ' ORDER BY r.rank)
       || ' | ' || replace(p.description, '|', '\|') || ' |'
  FROM pt_permission p
 CROSS JOIN pt_role r
  LEFT JOIN ffrtmp.role_permissions rp ON rp.role = r.name AND rp.permission = p.name
 GROUP BY p.name, p.rank, p.description
 ORDER BY p.rank, p.name;

\echo
SELECT '| permission | the functions and views of schema `ffrtmp` that need it |'
UNION ALL
SELECT '|---|---|';
-- What each declaration names: a function of schema ffrtmp by its name; a
-- reader of ffrtmp_data (ffrtmp_data.read_jobs) by the views that call it; a
-- view declared by its own qualified name as itself.
CREATE TEMP VIEW pt_declared AS
SELECT f.function::text COLLATE "C" AS item, '' AS kind, f.permission
  FROM ffrtmp_data.function_permissions f WHERE f.function::text NOT LIKE '%.%'
UNION ALL
SELECT DISTINCT ('ffrtmp.' || v.relname) COLLATE "C", ' (view)', f.permission
  FROM ffrtmp_data.function_permissions f
  JOIN pg_proc p ON 'ffrtmp_data.' || p.proname = f.function AND p.pronamespace = 'ffrtmp_data'::regnamespace
  JOIN pg_depend d ON d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid
                  AND d.classid = 'pg_rewrite'::regclass
  JOIN pg_rewrite w ON w.oid = d.objid
  JOIN pg_class v ON v.oid = w.ev_class AND v.relkind = 'v' AND v.relnamespace = 'ffrtmp'::regnamespace
UNION ALL
SELECT f.function::text COLLATE "C", ' (view)', f.permission
  FROM ffrtmp_data.function_permissions f WHERE f.function::text LIKE 'ffrtmp.%';
-- Every function and view with its permission, and every permission, even
-- one nothing needs, so both lists are whole.
SELECT '| ' || coalesce('`' || p.name || '`', 'none') || ' | '
       || coalesce(string_agg('`' || f.item || '`' || f.kind, ', ' ORDER BY f.kind, f.item),
                   '(nothing)') || ' |'
  FROM pt_declared f
  FULL JOIN pt_permission p ON p.name = f.permission
 GROUP BY p.name, p.rank
 ORDER BY p.rank NULLS LAST, p.name;
