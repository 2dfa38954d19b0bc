-- The quotas are declared once, in a table compiled into the library
-- (src/quota_checks.c): submit_job's conditions and its refusal, dispatch's
-- quota filter, retry_job, register_node, update_tenant's accepted keys and
-- tenant_stats are built from it.  This function shows that table, so that
-- tests, documentation and operators read the same list; it reads no data.

CREATE OR REPLACE FUNCTION ffrtmp.quota_checks(
    OUT quota            text,
    OUT unit             text,
    OUT job_column       text,
    OUT taken_at         text[],
    OUT submit_sqlstate  text,
    OUT hint             text,
    OUT used_column      text,
    OUT available_column text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'ffrtmp_quota_check_list'
LANGUAGE C STABLE PARALLEL RESTRICTED;  -- checked in the leader only: docs/access-control.md#views
COMMENT ON FUNCTION ffrtmp.quota_checks() IS
    'The quotas, one row each, as the extension enforces them. quota: the plans column and quota_overrides key (NULL limit = unlimited); unit: what it counts, as refusals name it; job_column: the jobs column saying how much one job takes (NULL: one per job or node); taken_at: the changes that take from it and refuse to go past it (submit, retry, dispatch: a dispatch pass leaves the job queued instead, node: registering a dedicated node); submit_sqlstate: what submit_job raises when this quota refuses a job (PT429: full now, wait; 22023: the job alone exceeds it; NULL: not checked at submit); hint: the refusal''s hint; used_column and available_column: the ffrtmp.tenant_stats columns reporting it.';
ALTER FUNCTION ffrtmp.quota_checks() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.quota_checks() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.quota_checks() TO ffrtmp_admin, ffrtmp_tenant;
