-- The audit log read and checked: the view and audit_events give each
-- reader its own tenant's rows (a superadmin all), the chain of seals
-- verifies and shows an owner's edit, deletion, reordering or insertion, a
-- superuser's replication mode gets past no trigger, and the retention
-- prunes each chain's oldest rows only.  (The audit rows of the API's calls:
-- 32_audit_log.sql.)
BEGIN;
SELECT plan(31);

\ir include/audit_setup.sql

\ir include/audit_users.sql

-- Rows on the platform's chain too (the tenants' rows are the setup's).
\o /dev/null
SELECT ffrtmp.repair_usage();
\o

-- 5. The view: audit.view (tenant_admin and above) reads its own tenant's rows only, a superadmin all.
SET ROLE au_bob;
SELECT is((SELECT count(*) FROM ffrtmp.audit_log WHERE tenant_id <> ffrtmp.current_tenant()), 0::bigint,
          'a tenant reads only its own tenant''s audit rows');
RESET ROLE;
SET ROLE au_boss;
SELECT ok((SELECT count(*) FROM ffrtmp.audit_log) > 0 AND (SELECT count(*) FROM ffrtmp.audit_log WHERE tenant_id IS DISTINCT FROM ffrtmp.current_tenant()) = 0,
          'a tenant administrator user reads its tenant''s rows, and no other');
RESET ROLE;
SET ROLE au_operator;
SELECT is(pg_temp.sqlstate_of('SELECT count(*) FROM ffrtmp.audit_log'), '42501', 'an operator may not read the log (audit.view)');
RESET ROLE;
SET ROLE au_viewer;
SELECT is(pg_temp.sqlstate_of('SELECT count(*) FROM ffrtmp.audit_log'), '42501', 'nor a viewer');
RESET ROLE;
SET ROLE au_admin;
SELECT is((SELECT count(DISTINCT coalesce(t.name, 'platform')) FROM ffrtmp.audit_log a LEFT JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
            WHERE coalesce(t.name, 'platform') IN ('au-a', 'au-b', 'platform')), 3::bigint,
          'a superadmin reads every tenant''s rows and the platform''s');
RESET ROLE;

-- A page of the log: audit_events reads by id, time and action through the
-- indexes, inside a function, so that no plan shows a tenant other tenants'
-- rows (07_side_channels); the same rows as the view, filtered.
SET ROLE au_bob;
SELECT min(id) AS bob_first, count(*) AS bob_rows FROM ffrtmp.audit_log \gset
SELECT is((SELECT count(*) FROM ffrtmp.audit_events(after_id => :bob_first)), (:bob_rows - 1)::bigint,
          'audit_events gives a tenant administrator its tenant''s rows after an id');
SELECT is((SELECT array_agg(id ORDER BY id) FROM ffrtmp.audit_events(max_rows => 2)),
          (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM ffrtmp.audit_log ORDER BY id LIMIT 2) f),
          'in id order, at most max_rows');
SELECT is((SELECT count(*) FROM ffrtmp.audit_events(action => 'user.update')),
          (SELECT count(*) FROM ffrtmp.audit_log WHERE action = 'user.update'), 'one action');
SELECT is((SELECT count(*) FROM ffrtmp.audit_events(since => now() + interval '1 day')), 0::bigint, 'rows since a time');
SELECT is(pg_temp.sqlstate_of($$SELECT count(*) FROM ffrtmp.audit_events(tenant => 'au-a')$$), '42501',
          'a tenant administrator names no other tenant');
SELECT is(pg_temp.sqlstate_of($$SELECT count(*) FROM ffrtmp.audit_events(max_rows => 10001)$$), '22023',
          'max_rows is bounded');
RESET ROLE;
SET ROLE au_operator;
SELECT is(pg_temp.sqlstate_of('SELECT count(*) FROM ffrtmp.audit_events()'), '42501', 'an operator reads no page either');
RESET ROLE;
SET ROLE au_admin;
SELECT is((SELECT count(*) FROM ffrtmp.audit_events(tenant => 'au-b', max_rows => 10000)),
          (SELECT count(*) FROM ffrtmp.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id WHERE t.name = 'au-b'),
          'a superadmin reads one tenant''s page');
RESET ROLE;
-- A reader's own function sees no row the view does not give it.
CREATE TEMP TABLE peeked (tenant_id uuid);
GRANT INSERT ON peeked TO PUBLIC;
CREATE FUNCTION pg_temp.peek(t uuid) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $fn$
BEGIN
    INSERT INTO pg_temp.peeked VALUES (t);
    RETURN true;
END
$fn$;
GRANT EXECUTE ON FUNCTION pg_temp.peek(uuid) TO PUBLIC;
SET ROLE au_bob;
SELECT ffrtmp.current_tenant() AS bob_tenant \gset
SELECT count(*) AS peeked_rows FROM ffrtmp.audit_log WHERE pg_temp.peek(tenant_id) \gset
RESET ROLE;
SELECT is((SELECT count(*) FILTER (WHERE tenant_id IS DISTINCT FROM :'bob_tenant') || ' of ' || count(*) FROM pg_temp.peeked),
          '0 of ' || :'peeked_rows',
          'a cheap function in a reader''s filter sees only the rows of the reader''s tenant');

-- 6. The chain shows an edit by the owner.
SELECT ffrtmp_data.seal_audit() IS NOT NULL AS sealed \gset
SELECT id AS tenant_a FROM ffrtmp_data.tenants WHERE name = 'au-a' \gset
SAVEPOINT edit;
SET ROLE ffrtmp_owner;
UPDATE ffrtmp_data.audit_log SET db_role = 'someone_else'
 WHERE id = (SELECT min(a.id) FROM ffrtmp_data.audit_log a WHERE a.tenant_id = :'tenant_a');
RESET ROLE;
SELECT is((SELECT problem FROM ffrtmp.verify_audit_chain('au-a')), 'row edited: its hash does not match its fields',
          'an edit by the owner shows in verify_audit_chain');
ROLLBACK TO SAVEPOINT edit;
-- Three rows of au-a's chain, in order, to delete and swap.
SELECT min(a.id) AS r1 FROM ffrtmp_data.audit_log a WHERE a.tenant_id = :'tenant_a' \gset
SELECT min(a.id) AS r2 FROM ffrtmp_data.audit_log a WHERE a.tenant_id = :'tenant_a' AND a.id > :r1 \gset
SELECT max(a.id) AS rlast FROM ffrtmp_data.audit_log a WHERE a.tenant_id = :'tenant_a' \gset
SAVEPOINT edit;
SET ROLE ffrtmp_owner;
DELETE FROM ffrtmp_data.audit_log WHERE id = :r2;
RESET ROLE;
SELECT is((SELECT string_agg(problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')), 'rows missing before this one',
          'a row deleted by the owner shows');
ROLLBACK TO SAVEPOINT edit;
SET ROLE ffrtmp_owner;
DELETE FROM ffrtmp_data.audit_log WHERE id = :rlast;
RESET ROLE;
SELECT is((SELECT string_agg(problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')), 'last rows missing: the chain''s head is past its last row',
          'so does the chain''s last row deleted');
ROLLBACK TO SAVEPOINT edit;
-- Reordered: two rows swap places, each rehashed over its new place (the owner forging the hashes).
SET ROLE ffrtmp_owner;
UPDATE ffrtmp_data.audit_seals SET chain_seq = -chain_seq WHERE audit_id IN (:r1, :r2);
UPDATE ffrtmp_data.audit_seals s SET chain_seq = (SELECT -b.chain_seq FROM ffrtmp_data.audit_seals b WHERE b.audit_id IN (:r1, :r2) AND b.audit_id <> s.audit_id)
 WHERE s.audit_id IN (:r1, :r2);
UPDATE ffrtmp_data.audit_seals s SET row_hash = ffrtmp_data.audit_row_hash(a, s.chain_seq, s.prev_hash)
  FROM ffrtmp_data.audit_log a WHERE a.id = s.audit_id AND s.audit_id IN (:r1, :r2);
RESET ROLE;
SELECT is((SELECT string_agg(DISTINCT problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')), 'link broken: prev_hash is not the previous row''s hash',
          'and two rows swapped, even rehashed');
ROLLBACK TO SAVEPOINT edit;
-- A row put in among sealed ones, below the sealer's cursor: the sealer
-- leaves it (it is not a late commit), and the check shows it.
SET ROLE ffrtmp_owner;
INSERT INTO ffrtmp_data.audit_log (id, tenant_id, db_role, action, target) OVERRIDING SYSTEM VALUE
VALUES (0, :'tenant_a', 'au_alice', 'job.cancel', 'job:1');
RESET ROLE;
SELECT ffrtmp_data.seal_audit() IS NOT NULL AS sealed \gset
SELECT is((SELECT string_agg(id || ' ' || problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')),
          '0 row not sealed: inserted among rows sealed after it',
          'a row inserted among sealed rows shows, and stays unsealed');
ROLLBACK TO SAVEPOINT edit;

-- 6b. A superuser's replication mode does not get past the triggers (they
-- fire ALWAYS): only a visible ALTER TABLE ... DISABLE TRIGGER would.
SAVEPOINT replica;
SET LOCAL session_replication_role = replica;
SELECT is(pg_temp.sqlstate_of('DELETE FROM ffrtmp_data.audit_log'), '42501',
          'session_replication_role = replica does not let a superuser delete rows');
SELECT is(pg_temp.sqlstate_of('TRUNCATE ffrtmp_data.audit_log'), '42501', 'nor truncate the log');
ROLLBACK TO SAVEPOINT replica;
RESET session_replication_role;
-- 6d. Rows removed from the start of a chain, a whole chain, the log with its heads: each shows.
SAVEPOINT edit;
SET ROLE ffrtmp_owner;
DELETE FROM ffrtmp_data.audit_log WHERE id IN (:r1, :r2);
RESET ROLE;
SELECT is((SELECT string_agg(problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')),
          'first rows missing: the chain does not start right after the rows pruned',
          'the first rows of a chain deleted by the owner show (the first row left is not trusted as the start)');
ROLLBACK TO SAVEPOINT edit;
SET ROLE ffrtmp_owner;
DELETE FROM ffrtmp_data.audit_log WHERE tenant_id = :'tenant_a';
RESET ROLE;
SELECT is((SELECT string_agg(problem, '; ') FROM ffrtmp.verify_audit_chain('au-a')),
          'chain emptied: its head is past the rows pruned, and no row is left',
          'a whole chain deleted shows');
ROLLBACK TO SAVEPOINT edit;
SET ROLE ffrtmp_owner;
TRUNCATE ffrtmp_data.audit_log, ffrtmp_data.audit_seals, ffrtmp_data.audit_chain_heads;
RESET ROLE;
SELECT is((SELECT count(*) FILTER (WHERE problem = 'chain head missing: the log and its heads were emptied') || ' of ' || count(*)
             FROM ffrtmp.verify_audit_chain()),
          (SELECT count(*) || ' of ' || count(*) FROM ffrtmp_data.tenants WHERE id <> '00000000-0000-0000-0000-000000000000'),
          'the log truncated with its heads shows: every tenant''s chain head is missing');
SELECT is((SELECT count(*) FROM ffrtmp.verify_audit_chain('au-a')), 1::bigint, 'one tenant''s check too');
ROLLBACK TO SAVEPOINT edit;

-- 7. Retention: the scheduler's pass prunes by ffrtmp.audit_retention (365
-- days here), which no caller chooses; by chain position: each chain's
-- longest run of first rows all older than the retention, so that a row
-- sealed after younger ones (its transaction committed late) waits for them,
-- no younger row ever goes, and what remains still verifies.
SELECT hasnt_function('ffrtmp_data', 'prune_audit', ARRAY['interval', 'integer'],
                      'the pruning takes no retention from its caller (the scheduler''s role cannot wipe the log)');
-- A tenant whose first rows are old, then a young row, then an old row
-- sealed after it (written before the seal, as the scheduler's pass seals).
\o /dev/null
SELECT ffrtmp.create_tenant('au-p');
SELECT id AS tenant_p FROM ffrtmp_data.tenants WHERE name = 'au-p' \gset
SET ROLE ffrtmp_owner;
UPDATE ffrtmp_data.audit_log a SET at = at - interval '400 days' WHERE a.tenant_id = :'tenant_p'
   AND NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id);
RESET ROLE;
SELECT ffrtmp.update_tenant('au-p', description => 'young');
SET ROLE ffrtmp_owner;
INSERT INTO ffrtmp_data.audit_log (tenant_id, at, db_role, action, target)
VALUES (:'tenant_p', now() - interval '400 days', 'au_past', 'past.call', 'past:1');
RESET ROLE;
SELECT ffrtmp_data.seal_audit();
\o
SELECT count(*) AS old_first, max(s.chain_seq) AS old_upto FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id
 WHERE a.tenant_id = :'tenant_p' AND a.at < now() - interval '399 days' AND a.action <> 'past.call' \gset
SELECT is(ffrtmp_data.prune_audit(1000), :old_first::integer, 'prune_audit removes the chain''s first rows older than the retention');
SELECT is((SELECT format('%s %s', pruned_seq, pruned_at < now() - interval '399 days') FROM ffrtmp_data.audit_chain_heads
            WHERE chain = :'tenant_p'), format('%s t', :old_upto),
          'the chain''s head records how far pruning reached, and the time of that row');
SELECT is((SELECT string_agg(a.action, ',' ORDER BY s.chain_seq) FROM ffrtmp_data.audit_log a
             JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id WHERE a.tenant_id = :'tenant_p'),
          'tenant.update,past.call',
          'an old row sealed after a younger one waits for it: a late commit takes no recent row along');
SELECT is((SELECT count(*) FROM ffrtmp.verify_audit_chain()), 0::bigint,
          'what remains verifies: no false alarm of rows missing, the first row left comes right after the rows pruned');
SELECT is(ffrtmp_data.prune_audit(1000), 0, 'nothing else goes while the younger row stays');


SELECT * FROM finish();
ROLLBACK;
