-- Comments that were missing or stale.  docs/sql-reference.md is generated
-- from the comments, and its test (test/t/028_docs.pl) fails on an object or
-- column of the extension without one.

-- 0.2 refuses a caller mapped to no tenant unless it is an administrator
-- (20_tenant_context.sql); the 0.1 text still said "else the default tenant".
COMMENT ON FUNCTION ffrtmp.current_tenant() IS
    'The tenant the caller acts for: the tenant its role is mapped to (add_tenant_role), else the tenant of a mapped group role whose privileges it has; administrators mapped to nothing act for the default tenant, anyone else is refused (42501). Read afresh for each statement; cannot be changed with SET or set_config.';

-- The columns of ffrtmp.tenant_stats (the type had a comment, its columns none).

COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_id IS 'The tenant''s id.';
COMMENT ON COLUMN ffrtmp.tenant_stats.tenant_name IS 'The tenant''s name.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_jobs IS 'Jobs queued, assigned, running or retrying: what max_jobs limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.queued_jobs IS 'Jobs queued or retrying (waiting for a node).';
COMMENT ON COLUMN ffrtmp.tenant_stats.running_jobs IS 'Jobs assigned or running on a node.';
COMMENT ON COLUMN ffrtmp.tenant_stats.active_workers IS 'Dedicated nodes online or draining: what max_workers limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_used IS 'CPU cores held by assigned and running jobs: what max_cpu_cores limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_used IS 'GPUs held by assigned and running jobs: what max_gpus limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour IS 'Jobs submitted in the last 60 minutes (one-minute buckets): what max_jobs_per_hour limits.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_available IS 'Active jobs left under max_jobs; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.workers_available IS 'Dedicated nodes left under max_workers; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.cpu_cores_available IS 'CPU cores left under max_cpu_cores; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.gpus_available IS 'GPUs left under max_gpus; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.jobs_this_hour_available IS 'Submissions left under max_jobs_per_hour in the rolling hour; NULL: unlimited.';
COMMENT ON COLUMN ffrtmp.tenant_stats.summary IS 'The same numbers as two lines of text, for people (unlimited spelt out).';
