-- jobs keeps room on each page for the versions its updates write: the new
-- version of a job that is dispatched, started or finished stays on its
-- job's page instead of moving to a page at the end of the table, where
-- every session updating jobs at once would wait for the same page.
BEGIN;
SELECT plan(3);

SELECT NULL FROM ffrtmp.create_tenant('room-a', plan => 'enterprise');
-- One batch: its jobs fill the pages as densely as the table lets them.
SELECT count(*) FROM ffrtmp.submit_jobs((SELECT jsonb_agg(jsonb_build_object('input_url', 'testsrc://')) FROM generate_series(1, 300)),
                                        tenant => 'room-a');
CREATE TEMP TABLE before ON COMMIT DROP AS
SELECT j.id, (j.ctid::text::point)[0]::bigint AS page FROM ffrtmp_data.jobs j;
SELECT cmp_ok((SELECT count(DISTINCT page) FROM before), '>=', 3::bigint, 'the batch fills several pages');

-- The first job of each page but the last (which a batch leaves with room) changes state.
CREATE TEMP TABLE moved ON COMMIT DROP AS
SELECT DISTINCT ON (b.page) b.id, b.page FROM before b
 WHERE b.page < (SELECT max(page) FROM before) ORDER BY b.page, b.id;
UPDATE ffrtmp_data.jobs j SET state = 'held', state_reason = 'page room test', updated_at = now()
  FROM moved m WHERE j.id = m.id;

SELECT is((SELECT count(*) FROM ffrtmp_data.jobs j JOIN moved m ON m.id = j.id WHERE j.state = 'held'),
          (SELECT count(*) FROM moved), 'one job of each full page changed state');
SELECT is_empty($$SELECT m.id, m.page, (j.ctid::text::point)[0]::bigint AS now_on
                    FROM moved m JOIN ffrtmp_data.jobs j ON j.id = m.id
                   WHERE (j.ctid::text::point)[0]::bigint <> m.page$$,
                'each changed job''s new version is on its own page');

SELECT * FROM finish();
ROLLBACK;
