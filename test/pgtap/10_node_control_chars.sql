-- A second break-in round: control characters in what a node stores.  The
-- issue asks for control characters refused in result, error, progress and
-- labels (like display names and node names); today they are kept raw, so a
-- terminal escape or a forged line reaches whoever reads the job.
BEGIN;
SELECT plan(9);

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
-- C1 controls and carriage returns are refused in JSON as in text: JSON
-- escapes C0 controls in its text form but leaves U+0080-U+009F raw.
SELECT throws_ok(format($$SELECT ffrtmp.register_node('ctl-3', 1, tenant => 'ctl', labels => jsonb_build_object('zone', 'eu' || chr(155) || '2J'))$$),
                 '22023', 'labels holds a control character', 'labels with a C1 control (8-bit CSI) are refused');
SELECT throws_ok(format($$SELECT ffrtmp.report_progress(%s, 1, %s, %L, jsonb_build_object('stage', E'a\rb'))$$, :job, :node, :'token'),
                 '22023', NULL, 'progress with a carriage return is refused');
-- error is never refused (a worker must always end its attempt), but what is
-- kept has no raw control characters other than newline and tab.
SELECT ffrtmp.finish_job(:job2, 1, :node, :'token', 'failed', error => E'boom\u001b[2J\u0007');
SELECT is((SELECT error ~ '[\x01-\x08\x0b-\x1f\x7f]' FROM ffrtmp.jobs WHERE id = :job2), false,
          'a stored error keeps no terminal escape or bell');
SELECT is((SELECT state FROM ffrtmp.jobs WHERE id = :job2), 'failed', 'and the attempt still ends');
-- A node's error rewriting the operator's line (CR) and screen (CSI, OSC, ST).
SELECT is((SELECT error FROM ffrtmp.jobs WHERE id = :job2), 'boom?[2J?', 'each control becomes ?');
SELECT is(ffrtmp_data.bounded_error(E'open failed\rall good ' || chr(155) || '2J' || chr(157) || '0;x' || chr(156) || E'\n\tend'),
          E'open failed?all good ?2J?0;x?\n\tend', 'a stored error keeps no carriage return or C1 control, newlines and tabs kept');


SELECT * FROM finish();
ROLLBACK;
