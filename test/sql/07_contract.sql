-- The contract between the database and the worker (src/common): the seed
-- rows equal the lists both sides are built from, and register_node checks
-- the worker's protocol version.
-- Its own fixtures: a fresh install, dropped at the end.
CREATE EXTENSION ffrtmp;

-- Failure reasons and job states: rows on one side only, or that differ in
-- any field (none: the seed rows and the C lists agree).
SELECT coalesce(s.reason, c.reason) AS reason, s.reason IS NULL AS only_in_c, c.reason IS NULL AS only_in_sql
  FROM ffrtmp_data.failure_reasons s
  FULL JOIN jsonb_to_recordset(ffrtmp.contract()->'failure_reasons')
            AS c(reason text, counts_against text, description text, retryable boolean)
    ON (c.reason, c.counts_against, c.description, c.retryable) = (s.reason, s.counts_against, s.description, s.retryable)
 WHERE s.reason IS NULL OR c.reason IS NULL;
SELECT coalesce(s.state, c.state) AS state, s.state IS NULL AS only_in_c, c.state IS NULL AS only_in_sql
  FROM ffrtmp_data.job_states s
  FULL JOIN jsonb_to_recordset(ffrtmp.contract()->'job_states')
            AS c(state text, is_active boolean, is_waiting boolean, holds_node boolean, description text)
    ON (c.state, c.is_active, c.is_waiting, c.holds_node, c.description)
     = (s.state, s.is_active, s.is_waiting, s.holds_node, s.description)
 WHERE s.state IS NULL OR c.state IS NULL;
SELECT (SELECT count(*) FROM ffrtmp_data.failure_reasons) AS failure_reasons,
       (SELECT count(*) FROM ffrtmp_data.job_states) AS job_states;

-- Node states: what nodes.state allows is what the worker reads from heartbeats.
SELECT array(SELECT jsonb_array_elements_text(ffrtmp.contract()->'node_states') ORDER BY 1)
     = array(SELECT m[1] FROM regexp_matches(pg_get_constraintdef(c.oid), '''(\w+)''', 'g') AS m ORDER BY 1)
       AS node_states_agree
  FROM pg_constraint c
 WHERE c.conrelid = 'ffrtmp_data.nodes'::regclass AND c.conname = 'nodes_state_check';

-- The protocol, the channel and the SQLSTATEs with their HTTP statuses.
SELECT ffrtmp.contract()->>'protocol_version' AS protocol_version, ffrtmp.contract()->>'protocol' AS protocol,
       ffrtmp.contract()->>'channel_prefix' AS channel_prefix;
SELECT code, name, http, raised_by_api
  FROM jsonb_to_recordset(ffrtmp.contract()->'sqlstates') AS s(code text, name text, http int, raised_by_api boolean);

-- A worker of the database's protocol registers; a higher minor number too.
SELECT node_id IS NOT NULL AS registered
  FROM ffrtmp.register_node('proto-same', cpu_cores => 2,
                            protocol_version => (ffrtmp.contract()->>'protocol_version')::integer);
SELECT node_id IS NOT NULL AS registered
  FROM ffrtmp.register_node('proto-minor', cpu_cores => 2,
                            protocol_version => (ffrtmp.contract()->>'protocol_version')::integer + 7);

-- Another major number is refused with PT426 (HTTP 426 Upgrade Required),
-- naming both versions and what to upgrade, before any other check.
SELECT ffrtmp.register_node('proto-old', cpu_cores => 2, protocol_version => 100);
\echo :LAST_ERROR_SQLSTATE
SELECT ffrtmp.register_node('proto-new', cpu_cores => 2, protocol_version => 300);
\echo :LAST_ERROR_SQLSTATE
SELECT ffrtmp.register_node('bad name', cpu_cores => NULL, protocol_version => 0);
\echo :LAST_ERROR_SQLSTATE

-- A worker of release 0.1 sends no version: its session is named
-- ffrtmp-worker, and it is refused as protocol 1.0.  Without a version from
-- any other session, a node is registered by hand.
SET application_name = 'ffrtmp-worker';
SELECT node_id, session_token
  FROM ffrtmp.register_node(name => 'proto-0-1', cpu_cores => 2::integer, gpus => 0::integer,
                            memory_mb => NULL::integer, slots => 1::integer, encoders => '{libx264}'::text[],
                            labels => '{}'::jsonb, tenant => NULL);
\echo :LAST_ERROR_SQLSTATE
RESET application_name;
SELECT node_id IS NOT NULL AS registered FROM ffrtmp.register_node('proto-by-hand', cpu_cores => 2);
SELECT name FROM ffrtmp.nodes WHERE name LIKE 'proto-%' ORDER BY name;
SELECT count(*) AS removed FROM (SELECT ffrtmp.remove_node(id) FROM ffrtmp.nodes WHERE name LIKE 'proto-%') r;

DROP EXTENSION ffrtmp CASCADE;
