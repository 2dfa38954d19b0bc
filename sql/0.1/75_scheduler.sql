-- The scheduler: leadership state, status and health.

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
INSERT INTO ffrtmp_data.scheduler_state DEFAULT VALUES;

CREATE FUNCTION ffrtmp_data.scheduler_shared(OUT leader_pid integer, OUT epoch bigint, OUT last_pass timestamptz)
AS 'MODULE_PATHNAME', 'ffrtmp_scheduler_shared'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.scheduler_shared() IS 'What the scheduler leader last published in shared memory.';

CREATE FUNCTION ffrtmp.scheduler_status()
RETURNS TABLE (pid integer, name text, leader boolean, backend_start timestamptz, state text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT a.pid, a.backend_type::text || coalesce(' (' || a.wait_event || ')', ''),
           EXISTS (SELECT 1 FROM pg_locks l
                    WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objsubid = 3 AND l.granted),
           a.backend_start, a.state
      FROM pg_stat_activity a
     WHERE a.backend_type = 'ffrtmp scheduler'
     ORDER BY a.pid;
END;
COMMENT ON FUNCTION ffrtmp.scheduler_status() IS 'Every scheduler process, and which one leads (holds the leader lock).';

CREATE FUNCTION ffrtmp.health()
RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT jsonb_build_object(
        'leader_pid', s.leader_pid,
        'epoch', s.epoch,
        'seconds_since_last_pass', round(extract(epoch FROM clock_timestamp() - s.last_pass)::numeric, 3),
        'schedulers', (SELECT count(*) FROM ffrtmp.scheduler_status()),
        'queue_depth', (SELECT coalesce(sum(queued_jobs), 0) FROM ffrtmp_data.usage),
        'online_nodes', (SELECT count(*) FROM ffrtmp_data.nodes WHERE state = 'online'),
        'writable', NOT pg_is_in_recovery())
      FROM ffrtmp_data.scheduler_shared() s;
END;
COMMENT ON FUNCTION ffrtmp.health() IS
    'Liveness as JSON: leader pid and epoch, seconds since its last pass, schedulers, queue depth, online nodes, database writable.';

CREATE FUNCTION ffrtmp.dispatch()
RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_dispatch_pass'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.dispatch() IS
    'Runs one dispatch pass now and returns the number of jobs assigned (administrators; the scheduler leader runs the same pass by itself).';

-- What dispatch reads: queued jobs per tenant in priority order, and the jobs each node holds.
CREATE INDEX jobs_queued_idx ON ffrtmp_data.jobs (tenant_id, priority DESC, id) WHERE state = 'queued';
CREATE INDEX jobs_node_idx ON ffrtmp_data.jobs (node_id) WHERE state IN ('assigned', 'running');
