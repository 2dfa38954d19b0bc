# A running job's progress reaches the database about once a second, however
# long the worker's heartbeat interval: when a job's progress changed since
# the last heartbeat, the worker sends the next one early (one call for all
# its jobs), and nothing more while nothing changed.  With a 60 s heartbeat
# interval, a watcher of a job sees its progress move several times in a few
# seconds (before, it moved with the heartbeats: once a minute here); an idle
# node, and a node whose one job is paused, send no call before their
# interval is over.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

# Nodes are judged silent after 3 minutes: the worker's heartbeats are a minute apart.
my $env = FfrtmpCluster->new('progresspace', node_timeout => '180s');
my $worker = $env->start_worker(name => 'pace-w', args => ['--heartbeat-interval=60s']);
my $node = $env->worker_node_id($worker);
my $last_beat = "SELECT last_heartbeat FROM ffrtmp_data.nodes WHERE id = $node";

# An idle node: its heartbeats only.
my $beat = $env->sql($last_beat);
sleep 3;
is($env->sql($last_beat), $beat, 'an idle node sends no heartbeat before its interval is over');

# A job of a few minutes' work; it is canceled once seen.
my $job = $env->submit('testsrc://1280x720@30?duration=120', output => 'pace/out.mp4',
	params => { video_codec => 'h264', encoder_preset => 'medium', format => 'mp4' }, max_attempts => 1);
my %seen;
my $moving = wait_until(
	sub {
		my $progress = $env->sql("SELECT progress FROM ffrtmp.job_progress WHERE job_id = $job");
		$seen{$progress} = 1 if $progress ne '';
		return keys %seen >= 4
		  || $env->sql("SELECT state NOT IN ('queued', 'assigned', 'running') FROM ffrtmp.jobs WHERE id = $job") eq 't';
	},
	90);
cmp_ok(scalar keys %seen, '>=', 4, 'a watcher sees the progress move several times within a heartbeat interval')
  or diag 'job: ' . $env->sql("SELECT state FROM ffrtmp.jobs WHERE id = $job") . "\n" . $env->worker_log($worker);
is($env->sql("SELECT state FROM ffrtmp.jobs WHERE id = $job"), 'running', 'while the job runs');

# Paused, its process sends no reports: no early heartbeat either.
is($env->sql("SELECT state FROM ffrtmp.pause_job($job)"), 'paused', 'the job is paused');
ok(wait_until(sub { $env->worker_log($worker) =~ /job=$job .*attempt 1 paused/ }, 30), 'the worker stops its process');
sleep 1.5;    # a report sent just before the process stopped has gone
$beat = $env->sql($last_beat);
sleep 3;
is($env->sql($last_beat), $beat, 'a node whose job reports nothing new sends no early heartbeat');

is($env->sql("SELECT state FROM ffrtmp.cancel_job($job)"), 'canceled', 'the job is canceled');
$env->stop_worker($worker);
done_testing();
