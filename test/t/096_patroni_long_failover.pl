# A Patroni failover that takes longer than ffrtmp.node_timeout (Patroni's
# default ttl of 30 s is longer than the default node timeout of 15 s):
# the workers could not heartbeat while no primary existed, so the promoted
# server gives them node_timeout from its promotion to come back, as it does
# after a restart, and the jobs that ran through the failover keep their
# attempt.  Two members (etcd, Patroni) on loopback, ttl 25 s, node timeout
# 18 s: without that grace the first pass on the new primary finds every
# node silent for about 25 s and retries its jobs.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Path qw(make_path);
use Time::HiRes qw(time);
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpNeed;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

my $worker_bin = worker_bin();
for my $tool ([ 'patroni', 'patroni' ], [ 'etcd', 'etcd-server' ])
{
	skip_all_because("$tool->[0] is not installed (Debian package $tool->[1])")
	  unless grep { -x "$_/$tool->[0]" } split /:/, $ENV{PATH};
}

my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('patroni_long'));
require FfrtmpPatroni;
my $ha = FfrtmpPatroni->new("$dir/cluster", members => 2, ttl => 25, parameters => {
	'ffrtmp.scheduler_interval' => '100ms',
	'ffrtmp.node_timeout' => '18s',
});
my $first = $ha->wait_leader;
$ha->sql($first, q{CREATE EXTENSION ffrtmp});
my $tenant = $ha->sql($first, q{SELECT id FROM ffrtmp.create_tenant('acme', plan => 'pro')});

make_path("$dir/output");
my $worker = start_background(
	[ $worker_bin, '--name=long-w1', '--slots=2', '--poll-interval=1s', '--heartbeat-interval=1s',
	  "--output-root=$dir/output", $ha->conninfo ], "$dir/w1.log");
my @jobs = map {
	$ha->sql($first, qq{SELECT id FROM ffrtmp.submit_job('testsrc://640x360\@30?duration=30', tenant => 'acme',
		output_url => 'long/j$_.mp4', params => '{"encoder_preset": "ultrafast"}')})
} 1 .. 2;
my $ids = join(',', @jobs);
ok(wait_until(sub { $ha->sql($first, qq{SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($ids) AND state = 'running'}) eq '2' },
	60), 'two jobs run on the worker');

my $killed_at = time;
$ha->kill_member($first);
ok(wait_until(sub { $ha->leader($first) }, 90), 'Patroni promotes the standby');
my $second = $ha->leader($first);
diag(sprintf('failover: kill to promotion %.1f s (ffrtmp.node_timeout 18 s)', time - $killed_at));

ok(wait_until(sub {
	$ha->sql($second, qq{SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($ids)
	                     AND state IN ('completed', 'failed', 'timed_out', 'canceled')}) eq '2' }, 120),
	'both jobs reach a final state on the new primary');
is($ha->sql($second, qq{SELECT string_agg(state || ' ' || attempt, ',') FROM ffrtmp.jobs WHERE id IN ($ids)}),
	'completed 1,completed 1', 'both completed on their first attempt: the long failover cost none');
is($ha->sql($second, qq{SELECT count(*) FROM ffrtmp.job_events WHERE job_id IN ($ids) AND to_state = 'retrying'}),
	'0', 'no attempt was retried');
is($ha->sql($second, q{SELECT state FROM ffrtmp.nodes WHERE name = 'long-w1'}), 'online', 'the node is online there');
for my $i (1 .. 2)
{
	my $probe = probe_summary("$dir/output/$tenant/long/j$i.mp4");
	ok($probe && abs($probe->{video}{seconds} - 30) < 0.1, "job $i: one complete 30 s output")
	  or diag explain $probe;
}
is(stop_process($worker, 'TERM', 30), 0, 'the worker drains and exits 0');
$ha->stop;
done_testing();
