-- The scheduler's database: the extension is installed only in the database
-- ffrtmp.database names, where the scheduler runs (elsewhere jobs would
-- never be dispatched), and the install wakes the scheduler's launcher.

DO $check$
BEGIN
    IF pg_catalog.current_database() <> pg_catalog.current_setting('ffrtmp.database') THEN
        RAISE EXCEPTION 'ffrtmp can only be installed in database "%"', pg_catalog.current_setting('ffrtmp.database')
            USING ERRCODE = '55000',
                  DETAIL = 'The scheduler runs in the database that ffrtmp.database names; jobs submitted elsewhere would never be dispatched.',
                  HINT = pg_catalog.format('Set ffrtmp.database = %L in postgresql.conf and restart the server, or create the extension in database %I.',
                                           pg_catalog.current_database(), pg_catalog.current_setting('ffrtmp.database'));
    END IF;
END
$check$;

CREATE FUNCTION ffrtmp_data.start_schedulers() RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_start_schedulers'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION ffrtmp_data.start_schedulers() IS
    'Asks the scheduler launcher to start the scheduler workers as soon as the calling transaction commits (the install calls it).';
ALTER FUNCTION ffrtmp_data.start_schedulers() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.start_schedulers() FROM PUBLIC;
SELECT ffrtmp_data.start_schedulers();
