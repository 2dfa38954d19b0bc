-- ffrtmp: the definitions that every install and every update runs again, in
-- file-name order after sql/schema/ (an install) or after the deltas of
-- sql/updates/ (an update).  Each object is written whole where it is
-- defined: CREATE OR REPLACE (or DROP ... IF EXISTS and CREATE, where
-- PostgreSQL has no OR REPLACE), its comment, its owner and its privileges.
-- Every function starts with REVOKE ALL ... FROM PUBLIC and then names who may
-- call it, so that its privileges read the same however it was installed.
--
-- The scheduler's database: the extension is installed only in the database
-- ffrtmp.database names, where the scheduler runs (elsewhere jobs would
-- never be dispatched).

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

