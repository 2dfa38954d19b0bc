-- The audit log is append-only and its refusals are logged: no role but the
-- owner updates, deletes, truncates or inserts (not even the scheduler, nor
-- a superuser past the triggers); refusals are queued in shared memory,
-- written by the scheduler's flush, rate-limited per tenant with an overall
-- cap, each on its own tenant's chain, and lost by no rollback or error of
-- the flush, which only the scheduler may run.  (The audit rows of the API's
-- calls: 32_audit_log.sql.)
BEGIN;
SELECT plan(47);

\ir include/audit_setup.sql

\ir include/audit_users.sql

-- 4. Append-only: refused to tenants, administrators and the scheduler, even through the owner's grants.
CREATE FUNCTION pg_temp.changes_refused() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ', pg_temp.sqlstate_of('UPDATE ffrtmp_data.audit_log SET action = $x$x$x$'),
                     pg_temp.sqlstate_of('DELETE FROM ffrtmp_data.audit_log'),
                     pg_temp.sqlstate_of('TRUNCATE ffrtmp_data.audit_log'),
                     pg_temp.sqlstate_of('INSERT INTO ffrtmp_data.audit_log (db_role, action) VALUES ($x$me$x$, $x$forged$x$)'))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.changes_refused() TO PUBLIC;
SET ROLE au_viewer;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'a viewer can neither update, delete, truncate nor insert');
RESET ROLE;
SET ROLE au_operator;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor an operator');
RESET ROLE;
SET ROLE au_boss;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor a tenant administrator');
RESET ROLE;
SET ROLE au_admin;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor a superadmin');
RESET ROLE;
SET ROLE au_worker;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor a worker''s role');
RESET ROLE;
SET ROLE ffrtmp_webhook_sender;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor the webhook sender''s');
RESET ROLE;
SET ROLE ffrtmp_scheduler;
SELECT is(pg_temp.changes_refused(), '42501 42501 42501 42501', 'nor the scheduler''s');
RESET ROLE;
SET ROLE au_alice;
SELECT is(pg_temp.sqlstate_of('UPDATE ffrtmp_data.audit_log SET action = $$x$$'), '42501', 'a tenant cannot update the log');
SELECT is(pg_temp.sqlstate_of('DELETE FROM ffrtmp_data.audit_log'), '42501', 'nor delete from it');
RESET ROLE;
SET ROLE au_admin;
SELECT is(pg_temp.sqlstate_of('UPDATE ffrtmp_data.audit_log SET action = $$x$$'), '42501', 'an administrator cannot update the log');
SELECT is(pg_temp.sqlstate_of('DELETE FROM ffrtmp_data.audit_log'), '42501', 'nor delete from it');
SELECT is(pg_temp.sqlstate_of('TRUNCATE ffrtmp_data.audit_log'), '42501', 'nor truncate it');
RESET ROLE;
SET ROLE ffrtmp_scheduler;
SELECT is(pg_temp.sqlstate_of('DELETE FROM ffrtmp_data.audit_log'), '42501', 'the scheduler''s role cannot delete from it (it prunes through the owner''s function)');
RESET ROLE;
SET ROLE ffrtmp_webhook_sender;
SELECT is(pg_temp.sqlstate_of('UPDATE ffrtmp_data.audit_log SET action = $$x$$'), '42501', 'nor the delivery daemon''s role update it');
RESET ROLE;
SELECT is(pg_temp.sqlstate_of('TRUNCATE ffrtmp_data.audit_log'), '42501', 'a superuser is refused by the trigger too');
SELECT is(pg_temp.sqlstate_of('UPDATE ffrtmp_data.audit_log SET action = $$x$$'), '42501', 'even for an update');

-- 4b. Refusals: queued in shared memory (the refused call's transaction
-- rolls back), written by flush_audit_refusals (the scheduler's pass), rate-limited.
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SET ffrtmp.audit_refusals_per_minute = 0;
SET ROLE au_nobody;
SELECT is(pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$), '42501', 'a role mapped to no tenant is refused');
RESET ROLE;
SELECT is(ffrtmp_data.flush_audit_refusals(), 0, 'past the rate limit the refusal is only counted');
SET ffrtmp.audit_refusals_per_minute = 100000;
SET ROLE au_nobody;
SELECT is(pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$), '42501', 'refused again');
RESET ROLE;
RESET ffrtmp.audit_refusals_per_minute;
SELECT is(ffrtmp_data.flush_audit_refusals(), 1, 'under it, the refusal is queued and written by the flush');
-- (At least 1 not logged: refusals of earlier files in this cluster past their limit count too.)
SELECT is((SELECT format('%s %s %s by %s, %s', action, target, outcome, db_role,
                         CASE WHEN (change ->> 'refusals_not_logged_before')::int >= 1 THEN 'some not logged before' END)
             FROM ffrtmp_data.audit_log ORDER BY id DESC LIMIT 1),
          'permission.denied act for a tenant refused by au_nobody, some not logged before',
          'the refusal''s row names the role, what it was refused, and how many refusals were not logged');

-- A permission refusal names the permission and the function asked for.
SET ffrtmp.audit_refusals_per_minute = 100000;
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SET ROLE au_viewer;
SELECT is(pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$), '42501', 'a viewer may not submit');
RESET ROLE;
SELECT is(ffrtmp_data.flush_audit_refusals(), 1, 'its refusal is queued');
SELECT is((SELECT format('%s %s %s by %s', action, target, outcome, db_role) FROM ffrtmp_data.audit_log ORDER BY id DESC LIMIT 1),
          'permission.denied jobs.create for ffrtmp.submit_job refused by au_viewer',
          'and logged with the permission, the function and the role refused');
RESET ffrtmp.audit_refusals_per_minute;

-- 4c. The refusal budget is per tenant: one tenant flooding refusals keeps
-- no other tenant's out of the log; each refusal is on its tenant's chain
-- (seen by its administrator), and what was not logged is counted with
-- that tenant's next row only.  An overall cap bounds them all.
\o /dev/null
CREATE ROLE au_flood LOGIN;
CREATE ROLE au_quiet LOGIN;
CREATE ROLE au_quiet_boss LOGIN;
SET ROLE au_admin;
SELECT ffrtmp.create_tenant('au-flood');
SELECT ffrtmp.create_tenant('au-quiet');
SELECT key_id AS qkey_id, api_key AS qkey FROM ffrtmp.create_api_key('quiet key', tenant => 'au-quiet') \gset
RESET ROLE;
-- Viewers, refused submit_job (jobs.create); the quiet tenant's administrator reads its log.
SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('flood@f.example', 'viewer', tenant => 'au-flood')), 'au_flood');
SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('quiet@q.example', 'viewer', tenant => 'au-quiet')), 'au_quiet');
SELECT ffrtmp.add_tenant_role('au-quiet', 'au_quiet_boss');
\o
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SELECT coalesce(max(id), 0) AS before_budget FROM ffrtmp_data.audit_log \gset
SET ffrtmp.audit_refusals_per_minute = 1;
SET ROLE au_flood;
SELECT is(concat_ws(' ', pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$),
                         pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$),
                         pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$)),
          '42501 42501 42501', 'a tenant refused three times in a minute');
RESET ROLE;
SET ROLE au_quiet;
SELECT is(pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$), '42501', 'another tenant refused once');
RESET ROLE;
SELECT is(ffrtmp_data.flush_audit_refusals(), 2, 'one tenant past its budget keeps no other tenant''s refusal out of the log');
SELECT is((SELECT string_agg(format('%s %s by %s', t.name, a.action, a.db_role), ', ' ORDER BY a.id)
             FROM ffrtmp_data.audit_log a LEFT JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
            WHERE a.id > :before_budget),
          'au-flood permission.denied by au_flood, au-quiet permission.denied by au_quiet',
          'each refusal''s row carries the tenant the refused role acts for');
SET ROLE au_quiet_boss;
SELECT is((SELECT count(*) FROM ffrtmp.audit_log WHERE id > :before_budget AND action = 'permission.denied'), 1::bigint,
          'so the tenant''s administrator reads its own refusals in ffrtmp.audit_log, and no other tenant''s');
RESET ROLE;
SET ffrtmp.audit_refusals_per_minute = 100000;
SET ROLE au_quiet;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SET ROLE au_flood;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SELECT is(ffrtmp_data.flush_audit_refusals(), 2, 'under the budget again, both are logged');
SELECT is((SELECT string_agg(format('%s %s', t.name, coalesce(a.change ->> 'refusals_not_logged_before', 'none')), ', ' ORDER BY a.id)
             FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
            WHERE a.id > :before_budget AND t.name IN ('au-flood', 'au-quiet')),
          'au-flood none, au-quiet none, au-quiet none, au-flood 2',
          'the refusals not logged are counted with their own tenant''s next row, never another''s');
SET ffrtmp.audit_refusals_max_per_minute = 0;
SET ROLE au_quiet;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SELECT is(ffrtmp_data.flush_audit_refusals(), 0, 'past the overall cap nothing is queued, whatever the tenant''s budget');
RESET ffrtmp.audit_refusals_max_per_minute;

-- A failed authentication goes to the key's tenant when the key id exists,
-- to the platform (tenant NULL) when it does not.
SELECT coalesce(max(id), 0) AS before_auth FROM ffrtmp_data.audit_log \gset
SELECT is(pg_temp.sqlstate_of(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_' || :'qkey_id' || '_' || repeat('0', 48))),
          '28000', 'a wrong secret for a known key id fails');
SELECT is(pg_temp.sqlstate_of(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_0000000000000000_' || repeat('0', 48))),
          '28000', 'an unknown key id fails');
SELECT is(ffrtmp_data.flush_audit_refusals(), 2, 'both are queued');
SELECT is((SELECT string_agg(format('%s %s', coalesce(t.name, 'platform'), a.outcome), ', ' ORDER BY a.id)
             FROM ffrtmp_data.audit_log a LEFT JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
            WHERE a.id > :before_auth),
          'au-quiet auth_failed, platform auth_failed',
          'the known key''s failure is on its tenant''s log, the unknown id''s on the platform''s');

-- Key ids are no secret: a flood of wrong secrets for another tenant's key
-- ids is charged to the shared budget, never to the key's tenant's, whose
-- own refusals stay in its log.
\o /dev/null
CREATE ROLE au_victim LOGIN;
SET ROLE au_admin;
SELECT ffrtmp.create_tenant('au-victim');
SELECT key_id AS vkey_id FROM ffrtmp.create_api_key('victim key', tenant => 'au-victim') \gset
RESET ROLE;
SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('victim@v.example', 'viewer', tenant => 'au-victim')), 'au_victim');
\o
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SELECT coalesce(max(id), 0) AS before_flood FROM ffrtmp_data.audit_log \gset
SET ffrtmp.audit_refusals_per_minute = 2;
SET ROLE au_flood;
SELECT pg_temp.sqlstate_of(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_' || :'vkey_id' || '_' || repeat('1', 48)))
    || pg_temp.sqlstate_of(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_' || :'vkey_id' || '_' || repeat('2', 48)))
    || pg_temp.sqlstate_of(format('SELECT ffrtmp.authenticate(%L)', 'ffrtmp_' || :'vkey_id' || '_' || repeat('3', 48))) AS flood \gset
RESET ROLE;
SET ROLE au_victim;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
RESET ffrtmp.audit_refusals_per_minute;
SELECT is((SELECT count(*) FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
            WHERE a.id > :before_flood AND t.name = 'au-victim' AND a.action = 'permission.denied' AND a.db_role = 'au_victim'),
          1::bigint, 'a flood of wrong secrets for a tenant''s key ids keeps none of its own refusals out of its log');

-- Naming another tenant is a refusal like any other, on the caller's own chain.
SELECT coalesce(max(id), 0) AS before_reach FROM ffrtmp_data.audit_log \gset
SET ROLE au_flood;
SELECT is(pg_temp.sqlstate_of($$SELECT count(*) FROM ffrtmp.tenant_jobs('au-quiet')$$), '42501', 'a viewer naming another tenant is refused');
RESET ROLE;
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SELECT is((SELECT string_agg(format('%s %s %s', t.name, a.action, a.target), ', ') FROM ffrtmp_data.audit_log a
             JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id WHERE a.id > :before_reach),
          'au-flood permission.denied tenant au-quiet', 'and the refusal is logged on its own tenant''s chain');
-- So is giving more than one holds (a role above one's own, a scope one lacks).
SELECT coalesce(max(id), 0) AS before_give FROM ffrtmp_data.audit_log \gset
SET ROLE au_boss;
SELECT is(pg_temp.sqlstate_of($$SELECT ffrtmp.create_user('up@a.example', 'superadmin')$$)
          || ' ' || pg_temp.sqlstate_of($$SELECT ffrtmp.invite_user('up@a.example', 'superadmin')$$),
          '42501 42501', 'a tenant administrator gives no role above its own, by creating or inviting');
RESET ROLE;
SELECT ffrtmp_data.flush_audit_refusals() IS NOT NULL AS flushed \gset
SELECT is((SELECT string_agg(format('%s %s %s', t.name, a.action, a.target), ', ' ORDER BY a.id) FROM ffrtmp_data.audit_log a
             JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id WHERE a.id > :before_give),
          'au-a permission.denied role superadmin, au-a permission.denied role superadmin',
          'both refusals are logged on its tenant''s chain');

-- 4d. The flush loses nothing: its entries leave the queue only when its
-- transaction commits.  A rollback, or an error writing them, leaves them
-- for the next flush (the scheduler's pass runs it inside its own work).
SET ROLE au_quiet;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SAVEPOINT flush;
SELECT is(ffrtmp_data.flush_audit_refusals(), 1, 'a flush writes the refusal');
ROLLBACK TO SAVEPOINT flush;
SELECT is(ffrtmp_data.flush_audit_refusals(), 1, 'rolled back, the refusal is still queued and the next flush writes it');
SET ROLE au_quiet;
SELECT pg_temp.sqlstate_of($$SELECT ffrtmp.submit_job('testsrc://')$$) AS refused \gset
RESET ROLE;
SAVEPOINT flush;
ALTER TABLE ffrtmp_data.audit_log ADD CONSTRAINT au_broken CHECK (action <> 'permission.denied') NOT VALID;
SET client_min_messages = error;
SELECT is(ffrtmp_data.flush_audit_refusals(), 0, 'an error writing the refusals is a warning, not the caller''s error');
RESET client_min_messages;
ALTER TABLE ffrtmp_data.audit_log DROP CONSTRAINT au_broken;
SELECT is(ffrtmp_data.flush_audit_refusals(), 1, 'and the refusal stays queued for the next flush');
RELEASE SAVEPOINT flush;

-- 6c. Only the scheduler flushes the refusals: an administrator flushing in a
-- transaction it rolls back could make queued refusals disappear.
SET ROLE au_admin;
SELECT is(pg_temp.sqlstate_of('SELECT ffrtmp_data.flush_audit_refusals()'), '42501',
          'an administrator may not flush the queued refusals');
RESET ROLE;
SET ROLE ffrtmp_scheduler;
SELECT is(pg_temp.sqlstate_of('SELECT ffrtmp_data.flush_audit_refusals()'), 'no error', 'the scheduler''s role flushes');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
