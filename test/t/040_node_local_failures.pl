# A failure class marked deterministic, reported for what one node lacks.
# A job's file:// input must be under the --input-root directories of the
# worker that runs it, a per-node setting.  Worker a has no root holding the
# clip, worker b has.  Nodes of one pool are expected to be configured alike
# (docs/protocol.md): worker a's input_error ends the job on attempt 1, as the
# class says.  A pool whose nodes differ submits with retry_all_failures, and
# the job's next attempt, on worker b, completes it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Path qw(make_path);
use FfrtmpCluster;
use FfrtmpMedia;

my $env = FfrtmpCluster->new('node_local');
my $elsewhere = $env->dir . '/elsewhere';
make_path($elsewhere);
my $clip = make_clip($env->input_root . '/clip.mp4', seconds => 1);

# Only worker a is up when the jobs are dispatched.
my $a = $env->start_worker(name => 'node-a', input_roots => [$elsewhere]);
my $id = $env->submit("file://$clip", output => 'out.mp4', max_attempts => 3);
my $first = $env->wait_job($id, states => [qw(retrying failed completed)]);
is($first->{failure_reason}, 'input_error', 'worker a, whose roots do not hold the clip, reports input_error');
is($first->{state}, 'failed', 'a class that is not retried ends the job on attempt 1 of 3');

my $again = $env->submit("file://$clip", output => 'again.mp4', max_attempts => 3, retry_all_failures => 1);
my $tried = $env->wait_job($again, states => [qw(retrying failed completed)]);
is($tried->{state} . '/' . $tried->{failure_reason}, 'retrying/input_error',
	'with retry_all_failures the same failure leaves the job retrying');
my $b = $env->start_worker(name => 'node-b');
$env->stop_worker($a);
my $job = $env->wait_job($again, states => [qw(completed failed)], timeout => 90);
is($job->{state}, 'completed', 'and its next attempt, on worker b whose root holds the clip, completes it');
is($job->{attempt}, 2, 'on attempt 2');

$env->stop_all_workers;
done_testing();
