-- A second break-in round: control characters in what a node stores.  The
-- issue asks for control characters refused in result, error, progress and
-- labels (like display names and node names); today they are kept raw, so a
-- terminal escape or a forged line reaches whoever reads the job.
BEGIN;
SELECT plan(5);

SELECT ffrtmp.create_tenant('ctl', plan => 'pro');
SELECT node_id AS node, session_token AS token
  FROM ffrtmp.register_node('ctl-1', cpu_cores => 8, slots => 4, tenant => 'ctl') \gset
SELECT id AS job FROM ffrtmp.submit_job('testsrc://', tenant => 'ctl', max_attempts => 1) \gset
SELECT id AS job2 FROM ffrtmp.submit_job('testsrc://', tenant => 'ctl', max_attempts => 1) \gset
SELECT ffrtmp_data.dispatch_pass(0);
SELECT ffrtmp.start_job(:job, 1, :node, :'token');
SELECT ffrtmp.start_job(:job2, 1, :node, :'token');

SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, '{"stage": "a\u001b[2Jb"}')$$, :job, :node, :'token'),
                 '22023', NULL, 'progress with a terminal escape is refused');
SELECT throws_ok(format($$SELECT ffrtmp.register_node('ctl-2', 1, tenant => 'ctl', labels => '{"k\u0007": "v"}')$$),
                 '22023', NULL, 'labels with a control character are refused');
SELECT throws_ok(format($$SELECT ffrtmp.finish_job(%s, 1, %s, %L, 'completed', result => '{"note": "\u001b[2J"}')$$,
                        :job, :node, :'token'),
                 '22023', NULL, 'a result with a terminal escape is refused');
-- error is never refused (a worker must always end its attempt), but what is
-- kept has no raw control characters other than newline and tab.
SELECT ffrtmp.finish_job(:job2, 1, :node, :'token', 'failed', error => E'boom\u001b[2J\u0007');
SELECT is((SELECT error ~ '[\x01-\x08\x0b-\x1f\x7f]' FROM ffrtmp.jobs WHERE id = :job2), false,
          'a stored error keeps no terminal escape or bell');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job2), 'failed', 'and the attempt still ends');

SELECT * FROM finish();
ROLLBACK;
