# The worker's systemd unit (src/worker/ffrtmp-worker.service) uses what the
# worker tells systemd (docs/worker.md, "Metrics and probes"): Type=notify
# with the notifications accepted from the main process only, a 30 s
# watchdog, a bounded start; and systemd-analyze verify accepts it.
use strict;
use warnings;
use File::Basename qw(dirname);
use FfrtmpCluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

# scripts/test.sh puts the unit beside the worker it copies.
my $path = dirname(worker_bin()) . '/ffrtmp-worker.service';
skip_all_because("no $path beside the worker") unless -f $path;
my $unit = slurp_file($path);

# The [Service] section's settings; a key set twice is a mistake here.
my ($service) = $unit =~ /^\[Service\]\n(.*?)(?=^\[|\z)/ms;
my %set;
for (split /\n/, $service // '')
{
	next if /^\s*(#|$)/;
	my ($k, $v) = /^([A-Za-z]+)=(.*)$/ or next;
	ok(!exists $set{$k}, "$k is set once") if $k =~ /^(Type|NotifyAccess|WatchdogSec|TimeoutStartSec)$/;
	$set{$k} = $v;
}
is($set{Type}, 'notify', 'Type=notify: the worker says when it is ready');
is($set{NotifyAccess}, 'main', 'notifications are taken from the main process only, not from jobs');
is($set{WatchdogSec}, '30', 'WatchdogSec=30');
like($set{TimeoutStartSec} // '', qr/^\d+$/, 'a bounded start: a database down at start ends in a restart');
is($set{Restart}, 'on-failure', 'a watchdog kill or a failed start restarts the worker');

SKIP:
{
	skip_because 'systemd-analyze is not installed', 1 unless -x '/usr/bin/systemd-analyze';
	# The binary and the user are the installer's: stubbed, the rest checked.
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $copy = $unit =~ s{^ExecStart=\S+}{ExecStart=/bin/true}mr;
	$copy =~ s{^(User|Group)=.*\n}{}mg;
	append_to_file("$dir/ffrtmp-worker.service", $copy);
	my ($out, $err);
	my $ok = IPC::Run::run([ 'systemd-analyze', 'verify', "$dir/ffrtmp-worker.service" ], '>', \$out, '2>', \$err);
	ok($ok && $err !~ /ffrtmp-worker/, 'systemd-analyze verify accepts the unit') or diag($err);
}

done_testing();
