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
