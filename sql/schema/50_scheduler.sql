-- The scheduler's leadership state.

CREATE TABLE ffrtmp_data.scheduler_state (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    epoch       bigint NOT NULL DEFAULT 0,
    leader_pid  integer,
    elected_at  timestamptz
);
COMMENT ON TABLE ffrtmp_data.scheduler_state IS 'The scheduler leadership: one row, its epoch bumped by every new leader to fence off old ones.';
COMMENT ON COLUMN ffrtmp_data.scheduler_state.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN ffrtmp_data.scheduler_state.epoch IS 'Leadership term; a leader writes only while the epoch is still its own.';
COMMENT ON COLUMN ffrtmp_data.scheduler_state.leader_pid IS 'Process id of the leader that took the current epoch.';
COMMENT ON COLUMN ffrtmp_data.scheduler_state.elected_at IS 'When the current epoch began.';
ALTER TABLE ffrtmp_data.scheduler_state OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.scheduler_state TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.scheduler_state TO ffrtmp_scheduler;

INSERT INTO ffrtmp_data.scheduler_state DEFAULT VALUES;

-- Dispatch paused for a tenant, a queue, or both, or for everything.
CREATE TABLE ffrtmp_data.dispatch_pauses (
    tenant_id  uuid REFERENCES ffrtmp_data.tenants (id),
    queue      text CHECK (queue IN ('live', 'default', 'batch')),
    paused_by  text NOT NULL,
    by_admin   boolean NOT NULL DEFAULT false,
    paused_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT dispatch_pauses_scope_key UNIQUE NULLS NOT DISTINCT (tenant_id, queue)
);
COMMENT ON TABLE ffrtmp_data.dispatch_pauses IS 'Dispatch pauses (ffrtmp.pause_dispatch): no queued job they match is assigned to a node; queued jobs keep their place and quota, running ones go on.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.tenant_id IS 'The tenant whose jobs wait; NULL: every tenant.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.queue IS 'The queue whose jobs wait (live, default or batch); NULL: every queue.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_by IS 'The role that paused.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.by_admin IS 'Made by an administrator: only an administrator ends it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_pauses.paused_at IS 'When the pause began.';
ALTER TABLE ffrtmp_data.dispatch_pauses OWNER TO ffrtmp_owner;
ALTER TABLE ffrtmp_data.dispatch_pauses ENABLE ROW LEVEL SECURITY;
ALTER TABLE ffrtmp_data.dispatch_pauses FORCE ROW LEVEL SECURITY;
GRANT SELECT ON ffrtmp_data.dispatch_pauses TO ffrtmp_admin, ffrtmp_scheduler;
SELECT pg_catalog.pg_extension_config_dump('ffrtmp_data.dispatch_pauses', '');

-- The fair-share clock (src/dispatch.c): the virtual time a tenant starts
-- from when it begins waiting again, so that idling or a pause earns no burst.
CREATE TABLE ffrtmp_data.dispatch_clock (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    vtime  double precision NOT NULL DEFAULT 0
);
COMMENT ON TABLE ffrtmp_data.dispatch_clock IS 'The system virtual time of fair-share dispatch: one row, moved by each pass to the least virtual time of the tenants it found runnable; a tenant that starts waiting again starts from it.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN ffrtmp_data.dispatch_clock.vtime IS 'Least virtual time of the runnable tenants at the last pass; never goes back.';
ALTER TABLE ffrtmp_data.dispatch_clock OWNER TO ffrtmp_owner;
GRANT SELECT ON ffrtmp_data.dispatch_clock TO ffrtmp_admin;
GRANT SELECT, UPDATE ON ffrtmp_data.dispatch_clock TO ffrtmp_scheduler;
-- Not dumped (like scheduler_state): CREATE EXTENSION on restore inserts the
-- row again, and the first pass moves it to the restored tenants' times.
INSERT INTO ffrtmp_data.dispatch_clock DEFAULT VALUES;
