-- The body of docs/sql-reference.md, from the catalog of a database where
-- ffrtmp is installed (run by scripts/sql-reference; see its --help).
--
-- Every member of the extension is listed, grouped by schema and sorted by
-- name in byte order (COLLATE "C", so the order does not depend on the
-- database's locale): functions, views, tables some role other than their
-- owner may read, and types.  Nothing that differs between two installs of
-- the same version is printed: no oids, and owners or grantees that are
-- superusers (the role that ran CREATE EXTENSION) are described, not named.
--
-- psql variable `check`: when 1, print only the objects (and columns) that
-- lack a COMMENT, one per line, instead of the reference.

\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only on

CREATE TEMP VIEW ref_member AS
SELECT d.classid, d.objid
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_extension'::regclass
 WHERE e.extname = 'ffrtmp' AND d.deptype = 'e';

-- Markdown-safe text: one line, no HTML, no emphasis; in table cells no pipe.
CREATE FUNCTION pg_temp.md(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(replace(replace(regexp_replace(coalesce(t, ''), '\s*\n\s*', ' ', 'g'),
                 '&', '&amp;'), '<', '&lt;'), '*', '\*')
$$;
CREATE FUNCTION pg_temp.cell(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT replace(pg_temp.md(t), '|', '\|')
$$;

CREATE FUNCTION pg_temp.owner_name(owner oid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN rolsuper THEN 'the superuser who installed the extension'
              ELSE rolname::text END
    FROM pg_catalog.pg_roles WHERE oid = $1
$$;

-- Who holds which privileges on an object, besides its owner and superusers:
-- 'ffrtmp_admin, ffrtmp_tenant' or, with several kinds, 'ffrtmp_scheduler (SELECT, UPDATE)'.
CREATE FUNCTION pg_temp.grantees(acl aclitem[], owner oid, kind "char", privs text[])
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(string_agg(who || CASE WHEN cardinality($4) > 1
                                         THEN ' (' || what || ')' ELSE '' END,
                             ', ' ORDER BY who COLLATE "C"), 'only its owner, ' || pg_temp.owner_name($2))
    FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname::text END AS who,
                 string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type COLLATE "C") AS what
            FROM pg_catalog.aclexplode(coalesce($1, pg_catalog.acldefault($3, $2))) a
            LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
           WHERE a.grantee <> $2 AND a.privilege_type = ANY ($4)
             AND (a.grantee = 0 OR NOT r.rolsuper)
           GROUP BY 1) g
$$;

CREATE TEMP VIEW ref_function AS
SELECT n.nspname AS schema, p.proname AS name,
       n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')' AS ident,
       p.oid, p.proowner AS owner, p.proacl AS acl,
       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment
  FROM ref_member m
  JOIN pg_catalog.pg_proc p ON m.classid = 'pg_catalog.pg_proc'::regclass AND p.oid = m.objid
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace;

-- Relations: views, tables (those a role other than the owner may read) and
-- composite types; sequences and indexes are not API.
CREATE TEMP VIEW ref_relation AS
SELECT n.nspname AS schema, c.relname AS name, c.oid, c.relkind, c.relowner AS owner, c.relacl AS acl,
       CASE c.relkind WHEN 'v' THEN 'view' WHEN 'r' THEN 'table' ELSE 'type' END AS kind,
       CASE WHEN c.relkind = 'c' THEN pg_catalog.obj_description(c.reltype, 'pg_type')
            ELSE pg_catalog.obj_description(c.oid, 'pg_class') END AS comment
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE (c.oid IN (SELECT objid FROM ref_member WHERE classid = 'pg_catalog.pg_class'::regclass)
        -- a composite type's member is its pg_type row
        OR c.reltype IN (SELECT objid FROM ref_member WHERE classid = 'pg_catalog.pg_type'::regclass))
   AND (c.relkind IN ('v', 'c')
        OR (c.relkind = 'r' AND pg_temp.grantees(c.relacl, c.relowner, 'r', '{SELECT}') NOT LIKE 'only its owner%'));

-- Types that are not a relation's row type (base types such as ffrtmp.priority).
CREATE TEMP VIEW ref_type AS
SELECT n.nspname AS schema, t.typname AS name, t.oid,
       pg_catalog.obj_description(t.oid, 'pg_type') AS comment
  FROM ref_member m
  JOIN pg_catalog.pg_type t ON m.classid = 'pg_catalog.pg_type'::regclass AND t.oid = m.objid
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typrelid = 0;

CREATE TEMP VIEW ref_column AS
SELECT r.schema, r.name, r.kind, a.attnum, a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       pg_catalog.col_description(r.oid, a.attnum) AS comment
  FROM ref_relation r
  JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped;

-- What lacks a COMMENT (the test fails on any).
CREATE TEMP VIEW ref_missing AS
SELECT 'function ' || ident AS what FROM ref_function WHERE coalesce(comment, '') = ''
UNION ALL
SELECT kind || ' ' || schema || '.' || name FROM ref_relation WHERE coalesce(comment, '') = ''
UNION ALL
SELECT 'type ' || schema || '.' || name FROM ref_type WHERE coalesce(comment, '') = ''
UNION ALL
SELECT 'column ' || schema || '.' || name || '.' || attname FROM ref_column WHERE coalesce(comment, '') = ''
UNION ALL
SELECT 'schema ' || n.nspname
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname IN (SELECT schema FROM ref_function UNION SELECT schema FROM ref_relation)
   AND coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace'), '') = '';

-- One entry per object: its schema, a sort key, the table-of-contents line
-- and the section.  Headings carry the kind, so a function and a type of the
-- same name get different anchors.
CREATE TEMP VIEW ref_entry AS
SELECT schema, name, 1 AS part, pg_catalog.pg_get_function_identity_arguments(oid) AS tiebreak,
       name || '()' AS title,
       E'```sql\n' || schema || '.' || name || '(' || pg_catalog.pg_get_function_arguments(oid) || E')\n'
       || '  RETURNS ' || pg_catalog.pg_get_function_result(oid) || E'\n```\n\n'
       || (SELECT CASE p.provolatile WHEN 'i' THEN 'Immutable' WHEN 's' THEN 'Stable' ELSE 'Volatile' END
                  || CASE WHEN p.proisstrict THEN ', strict' ELSE '' END
                  || ', LANGUAGE ' || l.lanname
                  || CASE WHEN p.prosecdef THEN ', SECURITY DEFINER (runs as ' || pg_temp.owner_name(p.proowner) || ')'
                          ELSE '' END
                  || '. EXECUTE: ' || pg_temp.grantees(p.proacl, p.proowner, 'f', '{EXECUTE}') || '.'
             FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
            WHERE p.oid = f.oid)
       || E'\n\n' || pg_temp.md(comment) || E'\n' AS body
  FROM ref_function f
UNION ALL
SELECT r.schema, r.name, CASE r.kind WHEN 'view' THEN 2 WHEN 'table' THEN 3 ELSE 4 END, '',
       r.name || ' (' || r.kind || ')',
       pg_temp.md(r.comment) || E'\n\n'
       || CASE WHEN r.kind = 'type' THEN ''
               ELSE 'SELECT: ' || pg_temp.grantees(r.acl, r.owner, 'r', '{SELECT}')
                    || CASE WHEN r.kind = 'table'
                            THEN '. Writes: ' || pg_temp.grantees(r.acl, r.owner, 'r', '{INSERT,UPDATE,DELETE}')
                            ELSE '' END
                    || E'.\n\n' END
       || E'| column | type | description |\n|--------|------|-------------|\n'
       || (SELECT string_agg('| `' || c.attname || '` | `' || c.type || '` | ' || pg_temp.cell(c.comment) || ' |',
                             E'\n' ORDER BY c.attnum)
             FROM ref_column c WHERE c.schema = r.schema AND c.name = r.name)
       || E'\n'
  FROM ref_relation r
UNION ALL
SELECT schema, name, 4, '', name || ' (type)', pg_temp.md(comment) || E'\n'
  FROM ref_type;

SELECT CASE WHEN :'check' = '1' THEN
  (SELECT coalesce(string_agg(what, E'\n' ORDER BY what COLLATE "C"), '') FROM ref_missing)
ELSE
  -- The contents, then each schema with its comment and its entries.
  (SELECT E'## Contents\n\n' || string_agg(toc, E'\n' ORDER BY schema COLLATE "C") || E'\n'
     FROM (SELECT schema,
                  '- [Schema ' || schema || '](#schema-' || schema || E')\n'
                  || string_agg('  - [' || schema || '.' || title || '](#'
                                || translate(regexp_replace(lower(schema || '.' || title), '[^a-z0-9_ -]', '', 'g'), ' ', '-') || ')',
                                E'\n' ORDER BY part, name COLLATE "C") AS toc
             FROM (SELECT DISTINCT schema, name, part, title FROM ref_entry) d
            GROUP BY schema) t)
  || E'\n' ||
  (SELECT string_agg(E'## Schema ' || s.schema || E'\n\n'
                     || pg_temp.md(pg_catalog.obj_description(n.oid, 'pg_namespace')) || E'\n\n'
                     || s.sections,
                     E'\n' ORDER BY s.schema COLLATE "C")
     FROM (SELECT schema,
                  string_agg('### ' || schema || '.' || title || E'\n\n' || body,
                             E'\n' ORDER BY part, name COLLATE "C", tiebreak COLLATE "C") AS sections
             FROM ref_entry GROUP BY schema) s
     JOIN pg_catalog.pg_namespace n ON n.nspname = s.schema)
END;
