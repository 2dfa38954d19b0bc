# A failure class marked deterministic is reported for what one node lacks.
# A job's file:// input must be under the --input-root directories of the
# worker that runs it, a per-node setting.  Worker a has no root holding the
# clip, worker b has; dispatch matches neither roots nor labels, so the job may
# reach worker a, which reports input_error ("outside the input roots"), a
# class that is not retried: the job ends failed on attempt 1 of 3 although
# worker b, a minute later, would have run it.  The same holds for user_error
# from a node's --allow-network and capability_mismatch from a node's
# libavcodec.  (todo: which classes stay deterministic in a pool whose nodes
# are configured apart is for the lead to settle; see the report.)
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

# Only worker a is up when the job is dispatched.
my $a = $env->start_worker(name => 'node-a', input_roots => [$elsewhere]);
my $id = $env->submit("file://$clip", output => 'out.mp4', max_attempts => 3);
my $first = $env->wait_job($id, states => [qw(retrying failed completed)]);
is($first->{failure_reason}, 'input_error', 'worker a, whose roots do not hold the clip, reports input_error');
is($first->{attempt}, 1, 'on attempt 1 of 3');

my $b = $env->start_worker(name => 'node-b');
$env->stop_worker($a);
TODO:
{
	local $TODO = 'input_error is not retried, although it was worker a\'s --input-root that refused the clip';
	my $job = $env->wait_job($id, states => [qw(completed failed)], timeout => 60);
	is($job->{state}, 'completed', 'another attempt, on worker b whose root holds the clip, completes the job');
}

$env->stop_all_workers;
done_testing();
