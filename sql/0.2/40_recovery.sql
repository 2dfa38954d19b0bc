-- Recovery: the leader's pass over silent nodes, overdue attempts and
-- finished backoffs.  (0.2: the grace after a start counts from the last
-- crash restart too.)

/*
 * Locks a tenant's usage row unless someone else holds it; returns whether it
 * is now locked.  For the scheduler's passes, which skip what a tenant holds
 * (after the caller's other conditions, so that only needed rows are locked).
 */
CREATE FUNCTION ffrtmp_data.try_lock_usage(tenant uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    PERFORM 1 FROM ffrtmp_data.usage u WHERE u.tenant_id = tenant FOR NO KEY UPDATE SKIP LOCKED;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.try_lock_usage(uuid) IS
    'Locks a tenant''s usage row without waiting; false when another transaction holds it.';
ALTER FUNCTION ffrtmp_data.try_lock_usage(uuid) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.try_lock_usage(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.try_lock_usage(uuid) TO ffrtmp_owner, ffrtmp_scheduler, ffrtmp_admin;

/*
 * The leader's recovery, once per pass: nodes silent for longer than
 * node_timeout go offline and their jobs are retried elsewhere; jobs past
 * their timeout end their attempt; retrying jobs whose backoff is over are
 * queued again.  Returns how many jobs it moved.
 *
 * It never waits for a lock a tenant can hold (0.2): a tenant's open
 * transaction may hold its usage row (after a submit, cancel or retry), its
 * job rows (after a cancel or retry), its dedicated nodes' rows and its
 * tenant row.  Every row recovery changes is taken with SKIP LOCKED, in id
 * order, together with the usage row the state trigger will update; what is
 * locked waits for the next pass instead of stalling every tenant.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.recover(node_timeout interval) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    moved integer := 0;
    lost record;
BEGIN
    WITH silent AS (
        SELECT n.id FROM ffrtmp_data.nodes n
         WHERE n.state <> 'offline'
           AND ((n.last_heartbeat < now() - node_timeout
                 -- A server up for less than node_timeout (since its start or its
                 -- last crash restart) gives workers that time to reconnect.
                 AND ffrtmp_data.control_plane_started_at() < now() - node_timeout)
                OR (n.session_pid IS NOT NULL AND NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_stat_activity a
                       WHERE a.pid = n.session_pid AND a.backend_start = n.session_started)))
           -- A dedicated node going offline moves its tenant's worker count.
           AND (n.tenant_id IS NULL OR ffrtmp_data.try_lock_usage(n.tenant_id))
         ORDER BY n.id FOR NO KEY UPDATE OF n SKIP LOCKED)
    UPDATE ffrtmp_data.nodes n SET state = 'offline' FROM silent WHERE n.id = silent.id;
    FOR lost IN SELECT j.id, j.node_id FROM ffrtmp_data.jobs j
                  JOIN ffrtmp_data.nodes n ON n.id = j.node_id
                  JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id
                 WHERE n.state = 'offline' AND j.state IN ('assigned', 'running')
                 ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'failed', 'platform_error',
                                         format('node %s stopped sending heartbeats', lost.node_id));
        moved := moved + 1;
    END LOOP;
    FOR lost IN SELECT j.id FROM ffrtmp_data.jobs j
                  JOIN ffrtmp_data.usage u ON u.tenant_id = j.tenant_id
                 WHERE j.state = 'running' AND j.timeout IS NOT NULL AND j.started_at + j.timeout < now()
                 ORDER BY j.id FOR NO KEY UPDATE OF j, u SKIP LOCKED LOOP
        PERFORM ffrtmp_data.fail_attempt(lost.id, 'timed_out', 'timeout', 'the attempt ran past its timeout');
        moved := moved + 1;
    END LOOP;
    -- retrying -> queued moves no usage counter: only the job rows are locked.
    WITH due AS (
        SELECT j.id FROM ffrtmp_data.jobs j
         WHERE j.state = 'retrying' AND j.run_after <= now()
         ORDER BY j.id FOR NO KEY UPDATE OF j SKIP LOCKED)
    UPDATE ffrtmp_data.jobs j SET state = 'queued', state_reason = 'backoff over', updated_at = now()
      FROM due WHERE j.id = due.id;
    -- Past expires_at a tenant already behaves as expired; this records it.
    WITH expired AS (
        SELECT t.id FROM ffrtmp_data.tenants t
         WHERE t.status = 'active' AND t.expires_at <= now() AND t.deleted_at IS NULL
         ORDER BY t.id FOR NO KEY UPDATE OF t SKIP LOCKED)
    UPDATE ffrtmp_data.tenants t SET status = 'expired', updated_at = now()
      FROM expired WHERE t.id = expired.id;
    RETURN moved;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.recover(interval) IS
    'Recovery pass: silent nodes (and session-bound nodes whose session is gone) go offline and their jobs retry; overdue attempts time out; retrying jobs past their backoff are queued; tenants past expires_at are marked expired. Rows locked by others are left for the next pass.';
