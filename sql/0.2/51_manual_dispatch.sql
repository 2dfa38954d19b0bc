-- A pass by hand never runs beside the leader's: with a leader, the leader
-- runs it (under its epoch); without one, the caller holds the leader lock
-- for its transaction and writes under the current epoch.

CREATE OR REPLACE FUNCTION ffrtmp.dispatch()
RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_dispatch_fenced'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp.dispatch() IS
    'Runs one dispatch pass now and returns the number of jobs assigned (administrators). While a scheduler leads, the leader runs the pass (it sees committed work only); otherwise the caller runs it under the leader lock, held to the end of its transaction.';
