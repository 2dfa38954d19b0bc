# High availability with Patroni: etcd and three PostgreSQL members managed
# by Patroni on loopback, ffrtmp preloaded on all, synchronous replication
# (Patroni's synchronous_mode); two ffrtmp-worker daemons connected with a
# multi-host connection string (target_session_attrs=read-write); jobs
# submitted continuously.  The leader's Patroni and postmaster are killed
# (SIGKILL); Patroni promotes the synchronous standby, the scheduler starts
# there and dispatches again, the workers reconnect, and every job whose
# submit was acknowledged before, during or after the failure completes
# exactly once: one completed state, one dispatch, its first attempt (the
# outage is shorter than ffrtmp.node_timeout), one output file.  The old
# leader then rejoins as a replica (pg_rewind).  The time from the kill to the
# first new dispatch is printed (docs/high-availability.md).
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Path qw(make_path);
use IPC::Run ();
use POSIX ();
use Time::HiRes qw(time sleep);
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpNeed;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

my $worker_bin = worker_bin();
my $example = 'deploy/patroni/patroni.yml';
for my $tool ([ 'patroni', 'patroni' ], [ 'etcd', 'etcd-server' ])
{
	skip_all_because("$tool->[0] is not installed (Debian package $tool->[1])")
	  unless grep { -x "$_/$tool->[0]" } split /:/, $ENV{PATH};
}

# The production example is a configuration Patroni accepts, and keeps what
# this test relies on.
my ($out, $err) = ('', '');
ok(IPC::Run::run([ 'patroni', '--validate-config', $example ], '<', \undef, '>', \$out, '2>', \$err),
	"$example passes patroni --validate-config") or diag $out . $err;
like(slurp_file($example), qr/^    synchronous_mode: true$(?:.*\n)+^      use_pg_rewind: true$(?:.*\n)+^        shared_preload_libraries: ffrtmp$/m,
	"$example: synchronous_mode, use_pg_rewind, ffrtmp preloaded");

my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('patroni'));
require FfrtmpPatroni;
my $ha = FfrtmpPatroni->new("$dir/cluster", members => 3, parameters => {
	'ffrtmp.scheduler_interval' => '100ms',
	# Longer than the outage: a running attempt is not rescued (and lost).
	'ffrtmp.node_timeout' => '20s',
});
my $first = $ha->wait_leader;
note "leader: $first->{name}";
$ha->sql($first, q{CREATE EXTENSION ffrtmp});
my $tenant = $ha->sql($first, q{SELECT id FROM ffrtmp.create_tenant('acme', plan => 'pro')});
is($ha->sql($first, q{SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'}), '1',
	'the leader replicates synchronously to one standby');

# Two workers, each finding the primary among all members.
make_path("$dir/output");
my @workers = map {
	my $log = "$dir/w$_.log";
	{ name => "ha-w$_", log => $log, harness => start_background(
		[ $worker_bin, "--name=ha-w$_", '--slots=2', '--poll-interval=1s', '--heartbeat-interval=1s',
		  "--output-root=$dir/output", $ha->conninfo ], $log) }
} 1 .. 2;
ok(wait_until(sub { $ha->sql($first, q{SELECT count(*) FROM ffrtmp.nodes WHERE state = 'online'}) eq '2' }, 30),
	'both workers are online');

# The submitter: a child process that submits a short job every 0.2 s,
# through the same multi-host string, and writes down each acknowledged
# submit (its commit returned) as "<seq> <job id>".  Refused submits (no
# primary during the failover) are not acknowledged and not retried.
my $acks = "$dir/acks";
my $stop = "$dir/stop-submitting";
my $submitter = fork // die "fork: $!";
if ($submitter == 0)
{
	open my $fh, '>>', $acks or POSIX::_exit(1);
	$fh->autoflush(1);
	for (my $seq = 1; !-e $stop; $seq++)
	{
		my ($out, $err) = ('', '');
		my $ok = IPC::Run::run(
			[ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', $ha->conninfo, '-c',
			  qq{SELECT id FROM ffrtmp.submit_job('testsrc://160x120\@15?duration=2', tenant => 'acme',
			     output_url => 'ha/s$seq.mp4', params => '{"encoder_preset": "ultrafast"}')} ],
			'<', \undef, '>', \$out, '2>', \$err);
		print $fh "$seq $1\n" if $ok && $out =~ /^(\d+)$/m;
		sleep 0.2;
	}
	close $fh;
	POSIX::_exit(0);
}
track_pid($submitter);
sub acked { return -f $acks ? map { [ split ' ' ] } split /\n/, slurp_file($acks) : () }

# Kill while jobs run on the workers.
my $running;
ok(wait_until(sub {
	$running = $ha->sql($first, q{
		SELECT string_agg(id::text, ',') FILTER (WHERE state = 'running') FROM ffrtmp.jobs
		HAVING count(*) FILTER (WHERE state = 'completed') >= 2});
	return $running ne '';
}, 60), 'jobs complete and run before the failure');
my $killed_at = time;
$ha->kill_member($first);
note "killed $first->{name} while jobs $running ran";
my $acked_before = scalar(acked());

ok(wait_until(sub { $ha->leader($first) }, 60), 'Patroni promotes a standby');
my $promoted_at = time;
my $second = $ha->wait_leader(60, $first);
note "new leader: $second->{name}";
my $dispatch_at;
ok(wait_until(sub {
	$dispatch_at = $ha->try_sql($second, qq{
		SELECT extract(epoch FROM min(at)) FROM ffrtmp.job_events
		WHERE to_state = 'assigned' AND at > to_timestamp($killed_at)});
	return defined $dispatch_at && $dispatch_at ne '';
}, 60), 'the scheduler dispatches on the new primary');
diag(sprintf('failover: kill to promotion %.1f s, kill to first new dispatch %.1f s',
	$promoted_at - $killed_at, ($dispatch_at || $killed_at) - $killed_at));

# Submits succeed again; then stop submitting and let every job finish.
ok(wait_until(sub { scalar(acked()) >= $acked_before + 3 }, 30), 'submits are acknowledged by the new primary');
open my $fh, '>', $stop or die;
close $fh;
waitpid($submitter, 0);
forget_pid($submitter);
my @acked = acked();
my $ids = join(',', map { $_->[1] } @acked);
note scalar(@acked) . " acknowledged submits, $acked_before before the kill";
ok(wait_until(sub {
	$ha->sql($second, qq{SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($ids)
	                     AND state IN ('completed', 'failed', 'timed_out', 'canceled', 'rejected')}) == @acked }, 120),
	'every acknowledged job reaches a final state');

my %job = map { my @f = split /\|/; ($f[0] => { state => $f[1], attempt => $f[2], output => $f[3] }) }
  split /\n/, $ha->sql($second, qq{SELECT id, state, attempt, output_url FROM ffrtmp.jobs WHERE id IN ($ids)});
is(scalar(keys %job), scalar(@acked), 'no acknowledged job is lost');
is_deeply([ grep { $_->{state} ne 'completed' } values %job ], [], 'every acknowledged job completed');
is_deeply([ grep { $_->{attempt} != 1 } values %job ], [], 'on its first attempt: the failover cost none');
is($ha->sql($second, qq{
	SELECT count(*) FROM (SELECT job_id FROM ffrtmp.job_events WHERE job_id IN ($ids)
	GROUP BY job_id HAVING count(*) FILTER (WHERE to_state = 'completed') <> 1
	                    OR count(*) FILTER (WHERE to_state = 'assigned') <> 1) j}), '0',
	'each was dispatched once and completed once');

# One output per acknowledged job, complete, and none left half-written.
my @missing = grep { my $p = probe_summary("$dir/output/$tenant/$job{$_->[1]}{output}");
	!$p || abs($p->{video}{seconds} - 2) > 0.2 } @acked;
is_deeply([ map { $_->[0] } @missing ], [], 'each has one complete 2 s output');
my %known = map { ("$tenant/$_" => 1) }
  split /\n/, $ha->sql($second, q{SELECT output_url FROM ffrtmp.jobs});
is_deeply([ grep { !$known{$_} } files_under("$dir/output") ], [], 'and no other file (no partial, no duplicate)');

for my $w (@workers)
{
	like(slurp_file($w->{log}), qr/connected to the database(?:.*\n)+.*connected to the database/,
		"$w->{name} reconnected to the new primary");
}
is($ha->sql($second, q{SELECT count(*) FROM ffrtmp.nodes WHERE state = 'online'}), '2', 'both workers are online there');
is($ha->sql($second, qq{SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($running) AND state = 'completed' AND attempt = 1}),
	scalar(split /,/, $running), 'the jobs running at the kill completed on their first attempt');
is($ha->sql($second, q{SELECT (h ->> 'writable') || ' ' || (h ->> 'leader_pid' IS NOT NULL) FROM ffrtmp.health() h}),
	'true true', 'ffrtmp.health() there: writable, a scheduler leads');

# The old leader comes back as a replica of the new one (pg_rewind).
$ha->start_member($first);
my $leader = $ha->wait_leader(90);
is($leader->{name}, $second->{name}, 'the old leader rejoins as a replica; the new leader stays');

is(stop_process($_->{harness}, 'TERM', 30), 0, "$_->{name} drains and exits 0") for @workers;
$ha->stop;
done_testing();
