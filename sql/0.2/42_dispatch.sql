-- Dispatch (0.2): the pass body as its own function.  A pass locks, in one
-- order, the pass lock (one pass at a time), then with SKIP LOCKED the usage
-- rows of waiting tenants, the nodes it fills and the jobs it assigns, each
-- set in key order: it never waits long for a lock a tenant can hold and
-- cannot deadlock with another pass.  See src/dispatch.c.

CREATE FUNCTION ffrtmp_data.dispatch_pass(epoch bigint) RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_dispatch_epoch_pass'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ffrtmp_data.dispatch_pass(bigint) IS
    'Runs one dispatch pass in the caller''s transaction under leadership term epoch (0: no term) and returns the number of jobs assigned; 0 at once when the epoch is not current or another pass is running.';
ALTER FUNCTION ffrtmp_data.dispatch_pass(bigint) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.dispatch_pass(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.dispatch_pass(bigint) TO ffrtmp_owner, ffrtmp_scheduler;
