# Jobs made under release 0.1, in each of its states, after the update to
# 0.2: every new lifecycle call works on them as on jobs made under 0.2
# (hold and release, pause and resume, job_id, get_job, job_logs,
# wait_for_job, submit_jobs), refuses the states it should, and the usage
# counters stay exact.  A node registered under 0.1 keeps its session, whose
# jobs cannot be paused until it registers again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade_lifecycle');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }
# The SQLSTATE a statement fails with, or 'ok'.
sub sqlstate {
	my ($rc, $out, $err) = $node->psql('postgres', $_[0], extra_params => ['-v', 'VERBOSITY=verbose']);
	return $rc == 0 ? 'ok' : ($err =~ /ERROR:  (\w{5}):/ ? $1 : $err);
}

sql(q{CREATE EXTENSION ffrtmp VERSION '0.1'});
sql(q{SELECT ffrtmp.create_tenant('old', plan => 'pro')});
my ($n, $token) = split /\|/,
  sql(q{SELECT node_id, session_token FROM ffrtmp.register_node('old-1', cpu_cores => 16, slots => 8, tenant => 'old')});
# Jobs 1..7 are dispatched; 8 waits for its run_after.
sql(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'old', max_attempts => CASE WHEN g IN (5, 6) THEN 1 ELSE 2 END)
        FROM generate_series(1, 7) g ORDER BY g});
sql(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'old', run_after => now() + interval '1 day')});
is(sql('SELECT ffrtmp.dispatch()'), '7', 'setup: seven jobs are assigned under 0.1');
sql(qq{SELECT ffrtmp.start_job(j, 1, $n, '$token') FROM generate_series(2, 6) j});
sql(qq{SELECT ffrtmp.finish_job(3, 1, $n, '$token', 'failed', NULL, 'lost', 'platform_error')});
sql(qq{SELECT ffrtmp.finish_job(4, 1, $n, '$token', 'completed', '{}')});
sql(qq{SELECT ffrtmp.finish_job(5, 1, $n, '$token', 'failed', NULL, 'bad', 'input_error')});
sql(qq{SELECT ffrtmp.finish_job(6, 1, $n, '$token', 'timed_out', NULL, 'slow', 'timeout')});
sql(q{SELECT ffrtmp.cancel_job(7)});
is(sql(q{SELECT string_agg(state, ' ' ORDER BY id) FROM ffrtmp.jobs}),
	'assigned running retrying completed failed timed_out canceled queued', 'every 0.1 state');

sql('ALTER EXTENSION ffrtmp UPDATE');
is(sql(q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}), '0.2', 'updated to 0.2');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the usage counters are exact');
# The update fills the narrow tables from the jobs as they are: 8 queued,
# 3 retrying, 1 and 2 held by the node.
is(sql(q{SELECT (SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM ffrtmp_data.job_queue) || ' '
             || (SELECT string_agg(job_id::text, ',' ORDER BY job_id) FROM ffrtmp_data.job_backoffs) || ' '
             || (SELECT string_agg(job_id || ':' || node_id || ':' || (deadline IS NULL), ',' ORDER BY job_id) FROM ffrtmp_data.job_leases)}),
	"8 3 1:$n:true,2:$n:true", 'the update puts the old jobs in job_queue, job_backoffs and job_leases');
is(sql(q{SELECT count(*) FROM ffrtmp_data.jobs j
	   WHERE (j.state = 'queued') <> EXISTS (SELECT 1 FROM ffrtmp_data.job_queue q WHERE q.job_id = j.id)
	      OR (j.state = 'retrying') <> EXISTS (SELECT 1 FROM ffrtmp_data.job_backoffs b WHERE b.job_id = j.id)
	      OR (j.state IN ('assigned', 'running', 'paused'))
	         <> EXISTS (SELECT 1 FROM ffrtmp_data.job_leases l WHERE l.job_id = j.id)}), '0', 'no job is out of step with the narrow tables');
is(sql(q{SELECT bool_and(ffrtmp.job_id(seq, 'old') = id) FROM ffrtmp.jobs}), 't', 'job_id(seq) finds every old job');

is(sql(q{SELECT (ffrtmp.hold_job(8)).state || ' ' || (ffrtmp.release_job(8)).state}), 'held queued',
	'an old queued job is held and released');
is(sql(q{SELECT (ffrtmp.hold_job(3)).state || ' ' || (ffrtmp.release_job(3)).state}), 'held retrying',
	'an old retrying job is released back to retrying while its backoff runs');
# A worker of release 0.1 still connected after the update (docs/upgrading.md,
# between steps 4 and 5) speaks protocol 1.0 and knows nothing of pauses: its
# process would run on while the job shows paused.  Its node's session is
# marked, and pause_job refuses its jobs until the node registers again.
is(sqlstate('SELECT ffrtmp.pause_job(2)'), 'PT409', 'an old running job on a node registered under 0.1 is not paused');
is(sql(q{SELECT state FROM ffrtmp.jobs WHERE id = 2}), 'running', 'and runs on');
is(sqlstate('SELECT ffrtmp.resume_job(1)'), 'PT409', 'an old assigned job cannot be resumed');
is(sqlstate('SELECT ffrtmp.release_job(7)'), 'PT409', 'nor an old canceled job released');
is(sqlstate('SELECT ffrtmp.hold_job(4)'), 'PT409', 'nor an old completed job held');

is(sql(qq{SELECT ffrtmp.append_job_log(2, 1, $n, '$token',
	'[{"line": 1, "at": 1764441600.5, "level": "info", "source": "worker", "text": "still going"}]')}), '1',
	'the old session sends log lines');
is(sql(q{SELECT attempt_no || ' ' || message FROM ffrtmp.job_logs(2)}), '1 still going', 'which job_logs reads');
is(sql(q{SELECT tenant_name || ' ' || state FROM ffrtmp.get_job(ffrtmp.job_id(2, 'old'))}), 'old running',
	'get_job shows the old job with its tenant');
is(sql(q{SELECT state FROM ffrtmp.wait_for_job(4, '0 seconds')}), 'completed', 'wait_for_job returns an old final job');
is(sql(qq{SELECT (ffrtmp.finish_job(2, 1, $n, '$token', 'completed', '{}')).state}), 'completed',
	'the old session finishes its job');
is(sql(q{SELECT string_agg(seq::text, ' ' ORDER BY job_index) FROM ffrtmp.submit_jobs('[{"input_url": "testsrc://"}, {"input_url": "testsrc://", "queue": "batch"}]', tenant => 'old')}),
	'9 10', 'submit_jobs numbers new jobs after the old ones');
is(sql(q{SELECT (ffrtmp.retry_job(5)).state}), 'queued', 'an old failed job is retried');

# Registered again (the worker upgraded), the node's jobs can be paused.
my $new_token = sql(q{SELECT session_token FROM ffrtmp.register_node('old-1', cpu_cores => 16, slots => 8, tenant => 'old')});
sql(qq{SELECT ffrtmp.start_job(1, 1, $n, '$new_token')});
is(sql(q{SELECT (ffrtmp.pause_job(1)).state}), 'paused', 'once the node registers again, its jobs can be paused');
is(sql(qq{SELECT string_agg(job_id || ' ' || state, ',' ORDER BY job_id) FROM ffrtmp.node_attempts($n, '$new_token')}),
	'1 paused', 'and the new session is told');
sql(q{SELECT ffrtmp.cancel_job(1)});
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the usage counters are exact at the end');

$node->stop;
done_testing();
