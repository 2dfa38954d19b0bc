-- Casts of ffrtmp.priority (the type is in sql/schema/10_types.sql): from
-- integer, implicitly and range-checked, so that priority => 5 works; back to
-- integer on assignment.  PostgreSQL has no CREATE OR REPLACE CAST.

CREATE OR REPLACE FUNCTION ffrtmp_data.priority_from_int(integer) RETURNS ffrtmp.priority
    AS 'MODULE_PATHNAME', 'ffrtmp_priority_from_int' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ffrtmp_data.priority_from_int(integer) IS 'Range-checked cast from integer to ffrtmp.priority.';
REVOKE ALL ON FUNCTION ffrtmp_data.priority_from_int(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.priority_from_int(integer) TO PUBLIC;

DROP CAST IF EXISTS (integer AS ffrtmp.priority);
CREATE CAST (integer AS ffrtmp.priority)
    WITH FUNCTION ffrtmp_data.priority_from_int(integer) AS IMPLICIT;
DROP CAST IF EXISTS (ffrtmp.priority AS integer);
CREATE CAST (ffrtmp.priority AS integer) WITHOUT FUNCTION AS ASSIGNMENT;
