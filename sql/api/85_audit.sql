-- The audit log (docs/audit.md): the writer every mutating API call uses, the
-- append-only trigger, the chain check, the reader view and the pruning.

DROP POLICY IF EXISTS audit_owner ON ffrtmp_data.audit_log;
CREATE POLICY audit_owner ON ffrtmp_data.audit_log TO ffrtmp_owner USING (true) WITH CHECK (true);
COMMENT ON POLICY audit_owner ON ffrtmp_data.audit_log IS 'Only the owner (the API functions) reaches the rows; the reader confines tenants by an index condition, the trigger refuses changes by anyone else.';
DROP POLICY IF EXISTS audit_seals_owner ON ffrtmp_data.audit_seals;
CREATE POLICY audit_seals_owner ON ffrtmp_data.audit_seals TO ffrtmp_owner USING (true) WITH CHECK (true);
COMMENT ON POLICY audit_seals_owner ON ffrtmp_data.audit_seals IS 'Only the owner (the sealer, the chain check, the pruning) reaches the seals; the trigger refuses changes by anyone else.';

/*
 * Append-only: UPDATE, DELETE and TRUNCATE are for the extension's owner only
 * (pruning), on the log and on its seals.  No function of the extension
 * updates a row of either: the log is insert-only, and so HOT-free updates,
 * dead rows and their index entries never follow from writing it.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF current_user <> 'ffrtmp_owner' THEN
        RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP
            USING ERRCODE = '42501', HINT = 'Rows age out after ffrtmp.audit_retention; nobody but the extension''s owner changes or removes them.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.audit_log_append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on the audit log and its seals to every role but ffrtmp_owner (42501).';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_log_append_only() FROM PUBLIC;
CREATE OR REPLACE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ffrtmp_data.audit_log
    FOR EACH ROW EXECUTE FUNCTION ffrtmp_data.audit_log_append_only();
CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ffrtmp_data.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.audit_log_append_only();
-- ALWAYS: the triggers fire under session_replication_role = replica too, so
-- a superuser gets past them only with a visible ALTER TABLE ... DISABLE TRIGGER.
ALTER TABLE ffrtmp_data.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE ffrtmp_data.audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;
CREATE OR REPLACE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON ffrtmp_data.audit_seals
    FOR EACH ROW EXECUTE FUNCTION ffrtmp_data.audit_log_append_only();
CREATE OR REPLACE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON ffrtmp_data.audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION ffrtmp_data.audit_log_append_only();
ALTER TABLE ffrtmp_data.audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only;
ALTER TABLE ffrtmp_data.audit_seals ENABLE ALWAYS TRIGGER audit_seals_no_truncate;

/* What a row's hash covers: everything but its id, its place in the chain, chained to the previous row. */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_row_hash(r ffrtmp_data.audit_log, chain_seq bigint, prev_hash bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.sha256(audit_row_hash.prev_hash || pg_catalog.convert_to(pg_catalog.jsonb_build_array(
    r.tenant_id, audit_row_hash.chain_seq, extract(epoch FROM r.at), r.db_role, r.user_id, r.key_id,
    r.action, r.target, r.outcome, r.change, r.request_id)::text, 'UTF8'));
COMMENT ON FUNCTION ffrtmp_data.audit_row_hash(ffrtmp_data.audit_log, bigint, bytea) IS 'SHA-256 of prev_hash and the row''s fields with its chain_seq (time as epoch seconds, so the TimeZone setting does not matter): the row_hash of its seal.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_row_hash(ffrtmp_data.audit_log, bigint, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_row_hash(ffrtmp_data.audit_log, bigint, bytea) TO ffrtmp_owner;

/* The request id: ffrtmp.request_id when set, else PostgREST's X-Request-Id header. */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_request_id() RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    id text := nullif(current_setting('ffrtmp.request_id', true), '');
BEGIN
    -- request.headers is anyone's to set: only PostgREST's sessions' are believed.
    IF id IS NULL AND session_user = 'ffrtmp_authenticator' THEN
        BEGIN
            id := current_setting('request.headers', true)::json ->> 'x-request-id';
        EXCEPTION WHEN invalid_text_representation THEN
            id := NULL;
        END;
    END IF;
    RETURN left(id, 128);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.audit_request_id() IS 'The current request''s id for the audit log: the ffrtmp.request_id setting, else, in a session of ffrtmp_authenticator (PostgREST''s), the x-request-id header it puts in request.headers; at most 128 bytes.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_request_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_request_id() TO ffrtmp_owner;

/* Who acts, besides the database role: the API key (C, src/audit.c); the user is ffrtmp_data.caller_user_id(). */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_key_id() RETURNS text
AS 'MODULE_PATHNAME', 'ffrtmp_audit_key_id'
LANGUAGE C STABLE;
COMMENT ON FUNCTION ffrtmp_data.audit_key_id() IS 'The id of the API key authenticated in this transaction (ffrtmp.authenticate), for the audit log; NULL without one.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_key_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_key_id() TO ffrtmp_owner;

/*
 * The one writer: appends a row in the caller's transaction (a rolled-back
 * call leaves none).  It takes no lock anyone else waits for: the row is
 * chained by seal_audit (the scheduler's pass) once it has committed.  The
 * transaction has its id before the row takes its id: seal_audit counts on
 * it to know when no smaller row id can still appear (audit_seal_cursor).
 * PL/pgSQL rather than SQL: its INSERT's plan is kept across calls, where a
 * SQL function's is made again in every transaction.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.write_audit(action text, target text, tenant uuid, change jsonb DEFAULT '{}',
                                                   outcome text DEFAULT 'ok', actor text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    written bigint;
BEGIN
    PERFORM pg_current_xact_id();
    INSERT INTO ffrtmp_data.audit_log (tenant_id, db_role, user_id, key_id, action, target, outcome, change, request_id)
    VALUES (write_audit.tenant, coalesce(write_audit.actor, ffrtmp_data.actor()),
            CASE WHEN write_audit.actor IS NULL THEN ffrtmp_data.caller_user_id() END,
            CASE WHEN write_audit.actor IS NULL THEN ffrtmp_data.audit_key_id() END,
            write_audit.action, left(write_audit.target, 256), write_audit.outcome, coalesce(write_audit.change, '{}'),
            ffrtmp_data.audit_request_id())
    RETURNING id INTO written;
    RETURN written;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.write_audit(text, text, uuid, jsonb, text, text) IS
    'Appends one row to the audit log in the calling transaction: action (object.verb), target (kind:id), tenant (NULL: platform), change (never a secret), outcome ok, refused or auth_failed, actor (the role refused, when the writer is not that role; NULL is the caller, with its user and API key). Returns the row id; the scheduler''s pass chains it once committed.';
REVOKE ALL ON FUNCTION ffrtmp_data.write_audit(text, text, uuid, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.write_audit(text, text, uuid, jsonb, text, text) TO ffrtmp_owner;

/*
 * Chains committed rows, oldest id first: each gets a seal (audit_seals)
 * with the next position of its tenant's chain and the hash of the previous
 * one; no row of the log is touched.  Only the scheduler's pass (or an
 * administrator) runs it, in a short transaction of its own, so the chain
 * heads are never locked by a tenant's transaction.  A row that commits
 * after a later id was sealed is sealed in the next pass, further on in its
 * chain: the chain's order is the order of sealing.
 *
 * Rows not sealed yet are looked for above the cursor's low_id only, so a
 * pass costs what was written since about the pass before.  The cursor moves
 * on to the last id given out at the previous pass (pending_id) once every
 * transaction that could still hold a smaller id has ended: write_audit takes
 * its transaction id before the row's id, so those are the transactions
 * older than pending_xmax, a transaction id handed out after pending_id was
 * read.  (A snapshot's xmax will not do: it is the last transaction to end
 * plus one, and younger transactions may be running.)  The sealer's
 * subtransaction gets one: the xmin of the cursor's row it writes.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.seal_audit(batch integer DEFAULT 1000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    cur ffrtmp_data.audit_seal_cursor;
    final_id bigint;
    given_id bigint;
    fresh xid;
    top xid8;
    c record;
    r ffrtmp_data.audit_log;
    h ffrtmp_data.audit_chain_heads;
    ids bigint[];
    seqs bigint[];
    prevs bytea[];
    hashes bytea[];
    n integer := 0;
BEGIN
    -- One sealer at a time: the cursor's row is its lock.  Held by another
    -- (an administrator sealing by hand, maybe in a transaction left open),
    -- the work is that one's: the scheduler's pass never waits for it.
    -- (By its key, as every statement of the pass reads: enable_seqscan is off there.)
    SELECT * INTO cur FROM ffrtmp_data.audit_seal_cursor x WHERE x.one FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    IF pg_snapshot_xmin(pg_current_snapshot()) >= cur.pending_xmax THEN
        final_id := cur.pending_id;
    END IF;
    FOR c IN SELECT coalesce(x.tenant_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff') AS chain,
                    array_agg(x.r ORDER BY x.id) AS rows
               FROM (SELECT a AS r, a.id, a.tenant_id FROM ffrtmp_data.audit_log a
                      WHERE a.id > cur.low_id
                        AND NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id)
                      ORDER BY a.id LIMIT seal_audit.batch) x
              GROUP BY 1 LOOP
        INSERT INTO ffrtmp_data.audit_chain_heads AS x (chain) VALUES (c.chain) ON CONFLICT DO NOTHING;
        SELECT * INTO h FROM ffrtmp_data.audit_chain_heads x WHERE x.chain = c.chain FOR UPDATE;
        ids := '{}'; seqs := '{}'; prevs := '{}'; hashes := '{}';
        FOREACH r IN ARRAY c.rows LOOP
            ids := ids || r.id;
            prevs := prevs || h.last_hash;
            h.last_seq := h.last_seq + 1;
            h.last_hash := ffrtmp_data.audit_row_hash(r, h.last_seq, h.last_hash);
            seqs := seqs || h.last_seq;
            hashes := hashes || h.last_hash;
        END LOOP;
        INSERT INTO ffrtmp_data.audit_seals (audit_id, chain, chain_seq, prev_hash, row_hash)
        SELECT u.id, c.chain, u.seq, u.prev, u.hash FROM unnest(ids, seqs, prevs, hashes) AS u (id, seq, prev, hash);
        UPDATE ffrtmp_data.audit_chain_heads x SET last_seq = h.last_seq, last_hash = h.last_hash
         WHERE x.chain = c.chain;
        n := n + cardinality(ids);
    END LOOP;
    -- Every row above low_id up to final_id is sealed now, unless the batch cut the pass short.
    IF final_id IS NOT NULL AND n < seal_audit.batch THEN
        given_id := coalesce(pg_sequence_last_value('ffrtmp_data.audit_log_id_seq'), 0);
        -- (Nothing written since the last look, and that is final: nothing to move.)
        IF given_id = cur.pending_id AND cur.low_id >= final_id THEN
            RETURN n;
        END IF;
        BEGIN
            -- In a subtransaction: the row version's xmin is a transaction id handed out now.
            UPDATE ffrtmp_data.audit_seal_cursor x SET low_id = greatest(x.low_id, final_id), pending_id = given_id
             WHERE x.one RETURNING x.xmin INTO fresh;
        EXCEPTION WHEN OTHERS THEN
            RAISE;
        END;
        -- That xid as a full one: it was handed out after this transaction's own.
        top := pg_current_xact_id();
        UPDATE ffrtmp_data.audit_seal_cursor x
           SET pending_xmax = (top::text::numeric
                               + (fresh::text::bigint - top::xid::text::bigint + 4294967296) % 4294967296)::text::xid8
         WHERE x.one;
    END IF;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.seal_audit(integer) IS
    'Chains up to batch committed audit rows not chained yet, oldest first, by writing their seals (audit_seals; no audit row is updated); the scheduler''s pass calls it. Returns how many: 0 at once while another transaction is sealing.';
ALTER FUNCTION ffrtmp_data.seal_audit(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.seal_audit(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.seal_audit(integer) TO ffrtmp_scheduler, ffrtmp_admin;

/* The fields that changed, old and new: what an update's row records. */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_diff(old jsonb, new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
RETURN (SELECT coalesce(jsonb_object_agg(k, jsonb_build_object('old', old -> k, 'new', new -> k)), '{}')
          FROM (SELECT jsonb_object_keys(old) UNION SELECT jsonb_object_keys(new)) AS keys (k)
         WHERE (old -> k) IS DISTINCT FROM (new -> k));
COMMENT ON FUNCTION ffrtmp_data.audit_diff(jsonb, jsonb) IS 'The keys whose values differ between old and new, as {"key": {"old": ..., "new": ...}}.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_diff(jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_diff(jsonb, jsonb) TO ffrtmp_owner;

/*
 * A job's audited fields: no URL (a stream key may be in its path).  No SET
 * clause, so that the planner inlines it into the submits' statement
 * (ffrtmp_audit_submitted): a function with one is called through the SQL
 * function executor, which plans its body again in every transaction.  Its
 * body is parsed when it is created (RETURN), so no search_path applies.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_job_fields(j ffrtmp_data.jobs) RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_build_object('seq', j.seq, 'state', j.state, 'queue', j.queue, 'priority', j.priority);
COMMENT ON FUNCTION ffrtmp_data.audit_job_fields(ffrtmp_data.jobs) IS 'What the audit log records of a job: seq, state, queue and priority (never its URLs, which may carry stream keys).';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_job_fields(ffrtmp_data.jobs) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_job_fields(ffrtmp_data.jobs) TO ffrtmp_owner;

/* A change to a job by the API: its fields before, and as they are now. */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_job(action text, job bigint, old jsonb DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    j ffrtmp_data.jobs;
BEGIN
    SELECT * INTO j FROM ffrtmp_data.jobs x WHERE x.id = audit_job.job;
    RETURN ffrtmp_data.write_audit(audit_job.action, 'job:' || audit_job.job, j.tenant_id,
        CASE WHEN audit_job.old IS NULL THEN ffrtmp_data.audit_job_fields(j)
             ELSE ffrtmp_data.audit_diff(audit_job.old, ffrtmp_data.audit_job_fields(j)) END);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.audit_job(text, bigint, jsonb) IS 'Writes the audit row of an API change to a job: its fields when old is NULL (a new job), else what changed from old (audit_job_fields of the job before).';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_job(text, bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_job(text, bigint, jsonb) TO ffrtmp_owner;

/* A change to a tenant by the API (no secrets in a tenant row). */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_tenant(action text, tenant uuid, old jsonb DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    t jsonb;
    change jsonb;
BEGIN
    SELECT to_jsonb(x) - 'created_at' - 'updated_at' INTO t FROM ffrtmp_data.tenants x WHERE x.id = audit_tenant.tenant;
    -- A new tenant's chain has its head from the start (a new row: nobody
    -- waits on it), so that a chain later emptied with its head still shows.
    IF audit_tenant.action = 'tenant.create' THEN
        INSERT INTO ffrtmp_data.audit_chain_heads (chain) VALUES (audit_tenant.tenant) ON CONFLICT DO NOTHING;
    END IF;
    change := CASE WHEN audit_tenant.old IS NULL THEN t
                   ELSE ffrtmp_data.audit_diff(audit_tenant.old - 'created_at' - 'updated_at', t) END;
    -- A call that changed nothing writes no row (docs/audit.md).
    IF change = '{}' AND audit_tenant.old IS NOT NULL THEN
        RETURN NULL;
    END IF;
    RETURN ffrtmp_data.write_audit(audit_tenant.action, 'tenant:' || (t ->> 'name'), audit_tenant.tenant, change);
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.audit_tenant(text, uuid, jsonb) IS 'Writes the audit row of an API change to a tenant: the row when old is NULL, else what changed from old (to_jsonb of the row before); no row (NULL) when nothing did. A new tenant''s chain gets its head.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_tenant(text, uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_tenant(text, uuid, jsonb) TO ffrtmp_owner;

/* A change to a user by the API: the user when old is NULL, else what changed (users hold no secret). */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_user(action text, old ffrtmp_data.users, new ffrtmp_data.users) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT ffrtmp_data.write_audit(audit_user.action, 'user:' || audit_user.new.id, audit_user.new.tenant_id, c.change)
      FROM (SELECT CASE WHEN audit_user.old IS NULL
                        THEN to_jsonb(audit_user.new) - 'created_at' - 'updated_at'
                        ELSE ffrtmp_data.audit_diff(to_jsonb(audit_user.old) - 'updated_at', to_jsonb(audit_user.new) - 'updated_at')
                   END AS change) AS c
     WHERE audit_user.old IS NULL OR c.change <> '{}';
END;
COMMENT ON FUNCTION ffrtmp_data.audit_user(text, ffrtmp_data.users, ffrtmp_data.users) IS 'Writes the audit row of an API change to a user: the new user when old is NULL, else the fields that changed from old to new; no row (NULL) when nothing did.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_user(text, ffrtmp_data.users, ffrtmp_data.users) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_user(text, ffrtmp_data.users, ffrtmp_data.users) TO ffrtmp_owner;

/* A change to a node by the API: its name and state, or what changed of them. */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_node(action text, old ffrtmp_data.nodes, new ffrtmp_data.nodes) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
RETURN ffrtmp_data.write_audit(audit_node.action, 'node:' || coalesce(audit_node.new.id, audit_node.old.id),
    coalesce(audit_node.new.tenant_id, audit_node.old.tenant_id),
    CASE WHEN audit_node.new IS NULL
         THEN jsonb_build_object('name', audit_node.old.name, 'state', audit_node.old.state)
         WHEN audit_node.old IS NULL
         THEN jsonb_build_object('name', audit_node.new.name, 'state', audit_node.new.state,
                                 'cpu_cores', audit_node.new.cpu_cores, 'gpus', audit_node.new.gpus,
                                 'slots', audit_node.new.slots, 'encoders', audit_node.new.encoders,
                                 'labels', audit_node.new.labels, 'session_bound', audit_node.new.session_pid IS NOT NULL)
         ELSE ffrtmp_data.audit_diff(jsonb_build_object('name', audit_node.old.name, 'state', audit_node.old.state),
                                     jsonb_build_object('name', audit_node.new.name, 'state', audit_node.new.state)) END);
COMMENT ON FUNCTION ffrtmp_data.audit_node(text, ffrtmp_data.nodes, ffrtmp_data.nodes) IS 'Writes the audit row of an API change to a node: (old NULL, a node registered) its name, state and capacity, (new NULL, a removed node) its name and state, else what changed of its name and state; never its session token.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_node(text, ffrtmp_data.nodes, ffrtmp_data.nodes) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_node(text, ffrtmp_data.nodes, ffrtmp_data.nodes) TO ffrtmp_owner;

/*
 * Checks every chain (or one tenant's): each sealed row's hash, each link to
 * the previous row, consecutive positions; the first row, which must come
 * right after the position pruning reached (the head's pruned_seq); the head
 * (a removed last row, or a chain emptied); that every tenant's chain has its
 * head (log and heads emptied together); and that no row below the sealer's
 * cursor lacks its seal (a row inserted among sealed ones).
 */
CREATE OR REPLACE FUNCTION ffrtmp.verify_audit_chain(tenant text DEFAULT NULL)
RETURNS TABLE (tenant_id uuid, chain_seq bigint, id bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    wanted uuid;
    wanted_chain uuid;
BEGIN
    IF NOT ffrtmp.caller_is_admin() THEN
        RAISE EXCEPTION 'permission denied to verify the audit log'
            USING ERRCODE = '42501', HINT = 'Ask an administrator.';
    END IF;
    wanted := ffrtmp_data.find_tenant(verify_audit_chain.tenant);
    wanted_chain := wanted;
    RETURN QUERY
    WITH rows AS (
        SELECT a AS r, s.chain, s.chain_seq, s.prev_hash, s.row_hash,
               lag(s.row_hash) OVER w AS before_hash, lag(s.chain_seq) OVER w AS before_seq,
               coalesce(h.pruned_seq, 0) AS pruned_seq
          FROM ffrtmp_data.audit_seals s
          JOIN ffrtmp_data.audit_log a ON a.id = s.audit_id
          LEFT JOIN ffrtmp_data.audit_chain_heads h ON h.chain = s.chain
         WHERE wanted_chain IS NULL OR s.chain = wanted_chain
        WINDOW w AS (PARTITION BY s.chain ORDER BY s.chain_seq)),
    checked AS (
        SELECT nullif(x.chain, 'ffffffff-ffff-ffff-ffff-ffffffffffff') AS tenant_id, x.chain_seq, (x.r).id AS id,
               CASE WHEN x.row_hash <> ffrtmp_data.audit_row_hash(x.r, x.chain_seq, x.prev_hash)
                      OR x.chain IS DISTINCT FROM coalesce((x.r).tenant_id, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
                    THEN 'row edited: its hash does not match its fields'
                    WHEN x.before_seq IS NULL AND x.chain_seq <> x.pruned_seq + 1
                    THEN 'first rows missing: the chain does not start right after the rows pruned'
                    WHEN x.before_seq IS NOT NULL AND x.chain_seq <> x.before_seq + 1
                    THEN 'rows missing before this one'
                    WHEN x.before_hash IS NOT NULL AND x.prev_hash <> x.before_hash
                    THEN 'link broken: prev_hash is not the previous row''s hash'
               END AS problem
          FROM rows x)
    SELECT c.tenant_id, c.chain_seq, c.id, c.problem FROM checked c WHERE c.problem IS NOT NULL
    UNION ALL
    SELECT nullif(h.chain, 'ffffffff-ffff-ffff-ffff-ffffffffffff'), h.last_seq, NULL::bigint,
           CASE WHEN EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s JOIN ffrtmp_data.audit_log a ON a.id = s.audit_id
                              WHERE s.chain = h.chain)
                THEN 'last rows missing: the chain''s head is past its last row'
                ELSE 'chain emptied: its head is past the rows pruned, and no row is left' END
      FROM ffrtmp_data.audit_chain_heads h
     WHERE (wanted_chain IS NULL OR h.chain = wanted_chain) AND h.last_seq > h.pruned_seq
       AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s JOIN ffrtmp_data.audit_log a ON a.id = s.audit_id
                        WHERE s.chain = h.chain AND s.chain_seq = h.last_seq AND s.row_hash = h.last_hash)
    UNION ALL
    -- Every tenant has its head from its creation on (but the default
    -- tenant, made at install), every chain from its first sealed row: one
    -- missing is a log emptied with its heads.
    SELECT nullif(k.chain, 'ffffffff-ffff-ffff-ffff-ffffffffffff'), NULL::bigint, NULL::bigint,
           'chain head missing: the log and its heads were emptied'
      FROM (SELECT t.id AS chain FROM ffrtmp_data.tenants t
             WHERE (wanted IS NULL OR t.id = wanted) AND t.id <> '00000000-0000-0000-0000-000000000000'
            UNION
            SELECT DISTINCT s.chain FROM ffrtmp_data.audit_seals s
             WHERE wanted_chain IS NULL OR s.chain = wanted_chain) AS k
     WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_chain_heads h WHERE h.chain = k.chain)
    UNION ALL
    -- The sealer seals every row up to its cursor: one there without a seal
    -- was put in among the sealed rows afterwards.
    SELECT a.tenant_id, NULL::bigint, a.id, 'row not sealed: inserted among rows sealed after it'
      FROM ffrtmp_data.audit_log a
     WHERE a.id <= (SELECT x.low_id FROM ffrtmp_data.audit_seal_cursor x)
       AND (wanted IS NULL OR a.tenant_id = wanted)
       AND NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id)
    ORDER BY 1, 2, 3;
END
$fn$;
COMMENT ON FUNCTION ffrtmp.verify_audit_chain(text) IS
    'Checks the audit log''s hash chains (the rows sealed so far), every tenant''s (tenant NULL) or one''s (by name or id), and returns one row per problem: an edited row, rows missing (first rows too: a chain starts right after the rows pruned), a broken link, last rows missing, a chain emptied, a chain head missing, a row inserted among sealed ones. No rows: the chains are intact (administrators; 42501 otherwise).';
ALTER FUNCTION ffrtmp.verify_audit_chain(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.verify_audit_chain(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.verify_audit_chain(text) TO ffrtmp_admin;

/*
 * The one reader of the log for callers: the rows the caller may read,
 * filtered here, inside a function, by the index the filter needs.
 * audit.view (tenant_admin and above: its own tenant's rows; a superadmin
 * every row) is checked on this function by the one check, as for every
 * view's reader (01_function_permissions.sql), and is a refusal (42501, HTTP
 * 403) rather than a filter: a viewer asking for the log learns that it
 * needs audit.view instead of reading an empty log as "nothing happened",
 * and the refusal goes to the log like every other one.
 *
 * Reads go through a function rather than a view on the table, as for every
 * view a tenant reads: a plan over the table would show a tenant the
 * planner's estimates of every tenant's rows (docs/security.md, side
 * channels).  So the view below reads everything the caller may see, and
 * audit_events() reads a page of it by id, time or action: the query is
 * planned with the filters given, so that each reaches its index.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.read_audit_log(after_id bigint DEFAULT NULL, since timestamptz DEFAULT NULL,
                                                      of_action text DEFAULT NULL, of_tenant uuid DEFAULT NULL,
                                                      max_rows integer DEFAULT NULL)
RETURNS TABLE (id bigint, tenant_id uuid, at timestamptz, db_role text, user_id uuid, key_id text,
               action text, target text, outcome text, change jsonb, request_id text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    reads_all boolean;
    only_tenant uuid := read_audit_log.of_tenant;
BEGIN
    reads_all := ffrtmp.caller_role() = 'superadmin';
    IF NOT reads_all THEN
        only_tenant := ffrtmp.current_tenant();
    END IF;
    RETURN QUERY EXECUTE
        'SELECT a.id, a.tenant_id, a.at, a.db_role, a.user_id, a.key_id, a.action, a.target,
                a.outcome, a.change, a.request_id
           FROM ffrtmp_data.audit_log a WHERE true'
        || CASE WHEN only_tenant IS NOT NULL THEN ' AND a.tenant_id = $1' ELSE '' END
        || CASE WHEN read_audit_log.after_id IS NOT NULL THEN ' AND a.id > $2' ELSE '' END
        || CASE WHEN read_audit_log.since IS NOT NULL THEN ' AND a.at >= $3' ELSE '' END
        || CASE WHEN read_audit_log.of_action IS NOT NULL THEN ' AND a.action = $4' ELSE '' END
        || ' ORDER BY a.id LIMIT $5'
        USING only_tenant, read_audit_log.after_id, read_audit_log.since, read_audit_log.of_action,
              read_audit_log.max_rows;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.read_audit_log(bigint, timestamptz, text, uuid, integer) IS
    'The audit rows the caller may read (audit.view, 42501 otherwise): its tenant''s, or every row (or of_tenant''s) for a superadmin; optionally only ids above after_id, rows at or after since, of_action only, at most max_rows, in id order. Behind ffrtmp.audit_log and ffrtmp.audit_events.';
ALTER FUNCTION ffrtmp_data.read_audit_log(bigint, timestamptz, text, uuid, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.read_audit_log(bigint, timestamptz, text, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.read_audit_log(bigint, timestamptz, text, uuid, integer) TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE VIEW ffrtmp.audit_log WITH (security_invoker = true) AS
    SELECT * FROM ffrtmp_data.read_audit_log();
COMMENT ON VIEW ffrtmp.audit_log IS 'The audit log the caller may read (audit.view: tenant_admin and above; 42501 otherwise): its own tenant''s rows, every row for a superadmin. To read a page by id, time or action through the indexes: ffrtmp.audit_events().';
COMMENT ON COLUMN ffrtmp.audit_log.id IS 'Row id, in the order rows were written.';
COMMENT ON COLUMN ffrtmp.audit_log.tenant_id IS 'Tenant acted on (for a refusal, the tenant the caller acts for or the key belongs to); NULL for platform-wide actions and refusals of no known tenant.';
COMMENT ON COLUMN ffrtmp.audit_log.at IS 'When.';
COMMENT ON COLUMN ffrtmp.audit_log.db_role IS 'Database role that called the API.';
COMMENT ON COLUMN ffrtmp.audit_log.user_id IS 'User who acted (ffrtmp.users id); NULL for a role that is no user''s.';
COMMENT ON COLUMN ffrtmp.audit_log.key_id IS 'API key the call authenticated with; NULL without one.';
COMMENT ON COLUMN ffrtmp.audit_log.action IS 'What was done: tenant.create, job.cancel, webhook.delete...';
COMMENT ON COLUMN ffrtmp.audit_log.target IS 'Object acted on: job:42, tenant:acme, webhook:7.';
COMMENT ON COLUMN ffrtmp.audit_log.outcome IS 'ok, refused or auth_failed.';
COMMENT ON COLUMN ffrtmp.audit_log.change IS 'Summary of the change; for updates {"field": {"old": ..., "new": ...}}.';
COMMENT ON COLUMN ffrtmp.audit_log.request_id IS 'Request id, when there was one.';
ALTER VIEW ffrtmp.audit_log OWNER TO ffrtmp_owner;
REVOKE ALL ON ffrtmp.audit_log FROM PUBLIC;
GRANT SELECT ON ffrtmp.audit_log TO ffrtmp_admin, ffrtmp_tenant;

CREATE OR REPLACE FUNCTION ffrtmp.audit_events(after_id bigint DEFAULT 0, since timestamptz DEFAULT NULL,
                                               action text DEFAULT NULL, tenant text DEFAULT NULL,
                                               max_rows integer DEFAULT 1000)
RETURNS SETOF ffrtmp.audit_log
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF audit_events.max_rows IS NULL OR audit_events.max_rows NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'max_rows must be between 1 and 10000',
            HINT = 'Read the log in pages: pass the last id you read as after_id.';
    END IF;
    IF length(audit_events.action) > 64 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'action must be at most 64 bytes',
            HINT = 'Actions are object.verb, such as job.cancel (docs/audit.md).';
    END IF;
    RETURN QUERY SELECT * FROM ffrtmp_data.read_audit_log(
        coalesce(audit_events.after_id, 0), audit_events.since, audit_events.action,
        CASE WHEN audit_events.tenant IS NOT NULL THEN ffrtmp_data.find_tenant(audit_events.tenant) END,
        audit_events.max_rows);
END
$fn$;
COMMENT ON FUNCTION ffrtmp.audit_events(bigint, timestamptz, text, text, integer) IS
    'A page of the audit log the caller may read (audit.view): rows with id above after_id (default 0), at or after since, of one action, of one tenant (superadmins; a tenant administrator names its own tenant or none), at most max_rows (1 to 10000, default 1000), in id order. Reads through the indexes; pass the last id read as after_id for the next page.';
ALTER FUNCTION ffrtmp.audit_events(bigint, timestamptz, text, text, integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp.audit_events(bigint, timestamptz, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp.audit_events(bigint, timestamptz, text, text, integer) TO ffrtmp_admin, ffrtmp_tenant;

/*
 * Retention: the scheduler's pass prunes, in bounded batches.  The retention
 * is ffrtmp.audit_retention as the server is configured (the caller chooses
 * none: the scheduler's role cannot wipe the log), never under a day.  A
 * chain's order is the order of sealing, not of writing, so rows go by
 * position: each chain loses its longest run of first rows all older than
 * the retention (a late-sealed old row waits for the younger ones before it,
 * so that a transaction kept open long cannot take recent rows along), and
 * its head records how far (verify_audit_chain checks that the first row
 * left comes right after).
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.prune_audit(batch integer DEFAULT 1000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    -- (current_setting shows it with its unit, '365d', which an interval reads;
    -- pg_settings would build every setting's row, a millisecond a pass.)
    retention_s bigint := extract(epoch FROM current_setting('ffrtmp.audit_retention', true)::interval);
    cutoff timestamptz;
    c record;
    gone_seq bigint;
    gone_at timestamptz;
    k integer;
    n integer := 0;
BEGIN
    IF retention_s IS NULL OR retention_s <= 0 OR prune_audit.batch IS NULL OR prune_audit.batch <= 0 THEN
        RETURN 0;
    END IF;
    cutoff := now() - make_interval(secs => greatest(retention_s, 86400));
    /*
     * Per chain, the longest prefix whose rows are all older than the
     * retention: a row sealed after younger ones (its transaction committed
     * late) waits for them, and no row younger than the retention ever goes.
     */
    FOR c IN SELECT o.chain,
                    coalesce((SELECT min(s.chain_seq) - 1 FROM ffrtmp_data.audit_seals s
                                JOIN ffrtmp_data.audit_log y ON y.id = s.audit_id
                               WHERE s.chain = o.chain AND y.at >= cutoff),
                             (SELECT max(s.chain_seq) FROM ffrtmp_data.audit_seals s WHERE s.chain = o.chain)) AS upto
               FROM (SELECT DISTINCT s.chain FROM ffrtmp_data.audit_log a
                       JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id
                      WHERE a.at < cutoff) o LOOP
        EXIT WHEN n >= prune_audit.batch;
        WITH gone_seals AS (
            DELETE FROM ffrtmp_data.audit_seals s
             WHERE s.audit_id IN (SELECT x.audit_id FROM ffrtmp_data.audit_seals x
                                   WHERE x.chain = c.chain AND x.chain_seq <= c.upto
                                   ORDER BY x.chain_seq LIMIT prune_audit.batch - n)
            RETURNING s.audit_id, s.chain_seq),
        gone AS (
            DELETE FROM ffrtmp_data.audit_log a USING gone_seals g
             WHERE a.id = g.audit_id
            RETURNING g.chain_seq, a.at)
        SELECT count(*), max(g.chain_seq), (array_agg(g.at ORDER BY g.chain_seq DESC))[1] INTO k, gone_seq, gone_at FROM gone g;
        IF k > 0 THEN
            UPDATE ffrtmp_data.audit_chain_heads h SET pruned_seq = gone_seq, pruned_at = gone_at
             WHERE h.chain = c.chain AND h.pruned_seq < gone_seq;
        END IF;
        n := n + k;
    END LOOP;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION ffrtmp_data.prune_audit(integer) IS 'Deletes up to batch audit rows, as the owner: in each chain, the longest run of first rows all older than ffrtmp.audit_retention (as configured; at least a day; 0 keeps them all), so that no younger row ever goes, and records in the chain''s head how far it reached; each row goes with its seal. The scheduler''s pass calls it.';
ALTER FUNCTION ffrtmp_data.prune_audit(integer) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.prune_audit(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.prune_audit(integer) TO ffrtmp_scheduler;

/*
 * A webhook created or deleted: its URL's scheme, host and port, a
 * fingerprint of the rest, its events and the secret's fingerprint.  The
 * path is a secret too: Slack-style URLs carry the token there, and user
 * information or a query may carry one.
 */
CREATE OR REPLACE FUNCTION ffrtmp_data.audit_webhook(action text, w ffrtmp_data.webhooks) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
RETURN ffrtmp_data.write_audit(audit_webhook.action, 'webhook:' || w.id, w.tenant_id,
    jsonb_build_object('url', (regexp_match(w.url, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?([^/?#]*)'))[1]
                              || (regexp_match(w.url, '^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@]*@)?([^/?#]*)'))[2],
                       'path_fingerprint', ffrtmp_data.webhook_fingerprint(
                              regexp_replace(w.url, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?[^/?#]*', '')),
                       'events', to_jsonb(w.events),
                       'secret_fingerprint', ffrtmp_data.webhook_fingerprint(w.secret)));
COMMENT ON FUNCTION ffrtmp_data.audit_webhook(text, ffrtmp_data.webhooks) IS 'Writes the audit row of a webhook created or deleted: its URL''s scheme, host and port only (path, query and user information may carry tokens), the fingerprint of the rest of the URL (path_fingerprint, to tell URLs apart), its events, and the secret''s fingerprint, never the secret.';
REVOKE ALL ON FUNCTION ffrtmp_data.audit_webhook(text, ffrtmp_data.webhooks) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.audit_webhook(text, ffrtmp_data.webhooks) TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp_data.queue_refusal(target text) RETURNS void
AS 'MODULE_PATHNAME', 'ffrtmp_queue_refusal'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION ffrtmp_data.queue_refusal(text) IS
    'Queues the refusal a SQL function is about to raise (42501: a role above the caller''s, a scope it does not hold) as a permission.denied row with target, on the caller''s tenant''s chain, through the rate-limited refusal queue; call it just before the RAISE.';
ALTER FUNCTION ffrtmp_data.queue_refusal(text) OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.queue_refusal(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ffrtmp_data.queue_refusal(text) TO ffrtmp_owner;

CREATE OR REPLACE FUNCTION ffrtmp_data.flush_audit_refusals() RETURNS integer
AS 'MODULE_PATHNAME', 'ffrtmp_flush_audit_refusals'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ffrtmp_data.flush_audit_refusals() IS
    'Writes the permission refusals and failed authentications queued in shared memory (at most ffrtmp.audit_refusals_per_minute a minute per tenant, ffrtmp.audit_refusals_max_per_minute in all) to the audit log, each on its tenant''s chain, and returns how many; the scheduler''s pass calls it. Entries leave the queue only when its transaction commits; an error writing them is a warning, and they stay queued.';
ALTER FUNCTION ffrtmp_data.flush_audit_refusals() OWNER TO ffrtmp_owner;
REVOKE ALL ON FUNCTION ffrtmp_data.flush_audit_refusals() FROM PUBLIC;
-- The scheduler's only: an administrator could flush inside a transaction it
-- rolls back, and the refusals it held would be gone.
REVOKE ALL ON FUNCTION ffrtmp_data.flush_audit_refusals() FROM ffrtmp_admin;
GRANT EXECUTE ON FUNCTION ffrtmp_data.flush_audit_refusals() TO ffrtmp_scheduler;
