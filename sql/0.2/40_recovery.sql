-- Recovery: the leader's pass over silent nodes, overdue attempts and
-- finished backoffs.  (0.2: the grace after a start counts from the last
-- crash restart too.)

/*
 * The leader's recovery, once per pass: nodes silent for longer than
 * node_timeout go offline and their jobs are retried elsewhere; jobs past
 * their timeout end their attempt; retrying jobs whose backoff is over are
 * queued again.  Returns how many jobs it moved.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.recover(node_timeout interval) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    moved integer := 0;
    lost record;
BEGIN
    UPDATE ffrtmp_data.nodes n SET state = 'offline'
     WHERE n.state <> 'offline'
       AND ((n.last_heartbeat < now() - node_timeout
             -- A server up for less than node_timeout (since its start or its
             -- last crash restart) gives workers that time to reconnect.
             AND ffrtmp_data.control_plane_started_at() < now() - node_timeout)
            OR (n.session_pid IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM pg_catalog.pg_stat_activity a
                   WHERE a.pid = n.session_pid AND a.backend_start = n.session_started)));
    FOR lost IN SELECT j.id, j.node_id FROM ffrtmp_data.jobs j JOIN ffrtmp_data.nodes n ON n.id = j.node_id
                 WHERE n.state = 'offline' AND j.state IN ('assigned', 'running')
                 ORDER BY j.id FOR UPDATE OF j LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error',
                                         format('node %s stopped sending heartbeats', lost.node_id));
        moved := moved + 1;
    END LOOP;
    FOR lost IN SELECT j.id FROM ffrtmp_data.jobs j
                 WHERE j.state = 'running' AND j.timeout IS NOT NULL AND j.started_at + j.timeout < now()
                 ORDER BY j.id FOR UPDATE LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'timed_out', 'timeout', 'the attempt ran past its timeout');
        moved := moved + 1;
    END LOOP;
    UPDATE ffrtmp_data.jobs SET state = 'queued', state_reason = 'backoff over', updated_at = now()
     WHERE state = 'retrying' AND run_after <= now();
    -- Past expires_at a tenant already behaves as expired; this records it.
    UPDATE ffrtmp_data.tenants SET status = 'expired', updated_at = now()
     WHERE status = 'active' AND expires_at <= now() AND deleted_at IS NULL;
    RETURN moved;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.recover(interval) IS
    'Recovery pass: silent nodes (and session-bound nodes whose session is gone) go offline and their jobs retry; overdue attempts time out; retrying jobs past their backoff are queued; tenants past expires_at are marked expired.';
