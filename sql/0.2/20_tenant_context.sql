-- The tenant context is the truth of this instant.  (0.2: expiry counts from
-- each statement's start, not the transaction's, so a transaction that began
-- before expires_at cannot go on submitting after it.)

CREATE OR REPLACE FUNCTION ffrtmp_data.effective_status(status text, expires_at timestamptz, deleted_at timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
            WHEN status = 'active' AND expires_at <= pg_catalog.statement_timestamp() THEN 'expired'
            ELSE status END;
COMMENT ON FUNCTION ffrtmp_data.effective_status(text, timestamptz, timestamptz) IS
    'The tenant status in force: deleted, expired (also once expires_at has passed, as of the current statement), suspended or active.';
