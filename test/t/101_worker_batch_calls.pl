# The worker starts and ends its attempts through the batched calls: several
# real jobs run at once on one worker, started with ffrtmp.start_jobs, their
# progress carried by the heartbeats, and their outcomes (completions with
# results, a deterministic failure) reach the database through
# ffrtmp.finish_jobs, never start_job, report_progress or finish_job; each job records one event per state change, usage is
# exact afterwards, and every job ends in the state its own outcome says.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('batchfinish');
# Count calls of PL/pgSQL functions, to see which call ended the attempts.
$env->sql(q{ALTER SYSTEM SET track_functions = 'pl'});
$env->sql('SELECT pg_reload_conf()');

my %output;
my @good = map {
	my $id = $env->submit('testsrc://320x240@25?duration=1', output => "batch/out-$_.mp4", max_attempts => 1);
	$output{$id} = "batch/out-$_.mp4";
	$id
} 1 .. 4;
my $missing = $env->submit('file://' . $env->input_root . '/missing.mp4', output => 'batch/missing.mp4');
my $long = $env->submit('testsrc://320x240@25?duration=30', output => 'batch/long.mp4', max_attempts => 1);
my $worker = $env->start_worker(args => ['--slots=6']);

# Progress rides on the heartbeats.
ok(wait_until(sub { defined $env->progress($long) }, 120), 'a running job\'s progress arrives');

for my $id (@good)
{
	my $job = $env->wait_job($id);
	is($job->{state}, 'completed', "job $id completed");
	ok(-s $env->output_path($output{$id}), "job $id wrote its output");
	ok(defined $job->{result} && ref $job->{result} eq 'HASH', "job $id has its result");
}
is($env->wait_job($long)->{state}, 'completed', 'the long job completes');
my $failed = $env->wait_job($missing);
is($failed->{state}, 'failed', 'the job with a missing input failed');
is($failed->{failure_reason}, 'input_error', 'as an input_error, on its first attempt');

$env->stop_worker($worker);
# The worker's sessions report their function counts as they end.
my $batches_sql = q{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
                     WHERE schemaname = 'ffrtmp' AND funcname = 'finish_jobs'};
wait_until(sub { $env->sql($batches_sql) > 0 }, 30);
my $ids = join(', ', @good, $missing, $long);
is($env->sql(qq{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
                  WHERE schemaname = 'ffrtmp' AND funcname IN ('start_job', 'finish_job', 'report_progress')}),
	'0', 'the worker never called start_job, finish_job or report_progress');
ok($env->sql(qq{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
                 WHERE schemaname = 'ffrtmp_data' AND funcname = 'record_node_progress'}) >= 1,
	'its heartbeats carried the progress');
ok($env->sql(qq{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions
                 WHERE schemaname = 'ffrtmp' AND funcname = 'start_jobs'}) >= 1,
	'it started the jobs with start_jobs');
my $batches = $env->sql($batches_sql);
ok($batches >= 1 && $batches <= 6, "the outcomes went through finish_jobs ($batches calls for 6 jobs)");
is($env->sql(qq{SELECT count(*) FROM (SELECT job_id, from_state, to_state FROM ffrtmp_data.job_events
                                       WHERE job_id IN ($ids) GROUP BY 1, 2, 3 HAVING count(*) > 1) d}),
	'0', 'no state change recorded twice');
is($env->sql(qq{SELECT string_agg(to_state, ',' ORDER BY id) FROM ffrtmp_data.job_events WHERE job_id = $good[0]}),
	'queued,assigned,running,completed', 'a completed job\'s history: one event per change');
is($env->sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'usage is exact');
like($env->worker_log($worker), qr/recorded attempt 1 as completed; the job is completed/,
	'the worker logs each recorded outcome');

done_testing();
