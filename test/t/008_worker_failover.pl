# ffrtmp-worker across a database failover: the worker connects with a
# multi-host connection string and target_session_attrs=read-write; the
# primary stops mid-job and the standby is promoted; the worker follows it,
# delivers the job's outcome there, and the job completes on its first
# attempt with one complete output.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Path qw(make_path);
use FfrtmpCluster;
use FfrtmpMedia;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $worker_bin = worker_bin();
my $conf = qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '20s'
};
my $primary = PostgreSQL::Test::Cluster->new('failover_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', $conf);
$primary->start;
$primary->safe_psql('postgres', q{CREATE EXTENSION ffrtmp; SELECT ffrtmp.create_tenant('acme', plan => 'pro')});
my $tenant = $primary->safe_psql('postgres', q{SELECT id FROM ffrtmp.tenants WHERE name = 'acme'});
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('failover_standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('failover'));
make_path("$dir/output");
my $conninfo = sprintf('host=%s,%s port=%d,%d dbname=postgres target_session_attrs=read-write connect_timeout=2',
	$primary->host, $standby->host, $primary->port, $standby->port);
my $log = "$dir/worker.log";
my $worker = IPC::Run::start(
	[ $worker_bin, '--name=failover-w1', '--poll-interval=1s', '--heartbeat-interval=1s',
	  "--output-root=$dir/output", $conninfo ],
	'<', '/dev/null', '>>', $log, '2>&1');

my $job = $primary->safe_psql('postgres', q{
	SELECT id FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=20', tenant => 'acme',
		output_url => 'failover/out.mp4', params => '{"encoder_preset": "medium"}')});
ok($primary->poll_query_until('postgres',
		"SELECT (progress ->> 'frames')::int > 0 FROM ffrtmp.job_progress WHERE job_id = $job"),
	'the job runs on the worker, connected to the primary');
$primary->wait_for_catchup($standby);

$primary->stop('fast');
$standby->promote;
ok($standby->poll_query_until('postgres', "SELECT state = 'completed' FROM ffrtmp.jobs WHERE id = $job", 't'),
	'after the standby is promoted, the job completes there');
is($standby->safe_psql('postgres', "SELECT attempt FROM ffrtmp.jobs WHERE id = $job"), '1',
	'on its first attempt: the failover cost no attempt');
my $probe = probe_summary("$dir/output/$tenant/failover/out.mp4");
ok($probe && abs($probe->{video}{seconds} - 20) < 0.1, 'with one complete 20 s output')
  or diag explain $probe;
my @partials = grep { /\.partial$/ } files_under("$dir/output");
is(scalar @partials, 0, 'and no partial file');
like(slurp_file($log), qr/connected to the database.*\n(?:.*\n)*.*connected to the database/,
	'the worker reconnected (to the new primary)');

$worker->signal('TERM');
$worker->finish;
is($worker->full_result || 0, 0, 'the worker drains and exits 0');    # IPC::Run gives '' for 0
is($standby->safe_psql('postgres', q{SELECT state FROM ffrtmp.nodes WHERE name = 'failover-w1'}), 'offline',
	'and its node says it left');
done_testing();
