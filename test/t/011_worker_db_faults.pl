# ffrtmp-worker when the database itself is the problem.
#
# Errors that waiting cannot fix end the worker with the status its --help
# documents, and one clear log line: a wrong or missing password, an unknown role
# (77), an unknown database, a bad connection string or a database without
# the extension (78), a role without ffrtmp_admin (77), an unknown --tenant
# (78); --once gives up after its first failure to connect
# (69).  A server that is down and comes back is waited for.
#
# A job call stuck behind a lock (another session holding a job's row, as a
# tenant's open transaction can) never stops the node's heartbeats: the
# other tenant's job on the same worker keeps its attempt, and the stuck
# job's outcome is delivered once the lock goes.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpProcess;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $env = FfrtmpCluster->new('dbfaults', node_timeout => '3s');
my $node = $env->node;
my $worker_bin = worker_bin();
my $host = $node->host;
my $port = $node->port;

# Runs the worker with a connection string until it exits by itself (at
# most 60 s, then it is killed); returns its exit status (undef when it had
# to be killed) and its log.
sub run_worker
{
	my ($conninfo, @args) = @_;
	my $log = '';
	my $h = IPC::Run::start([ $worker_bin, '--name=dbfaults-once', @args, $conninfo ],
		'<', '/dev/null', '>', \$log, '2>&1');
	my $exited = wait_until(sub { $h->pump_nb; !$h->pumpable }, 60);
	unless ($exited)
	{
		$h->kill_kill;
		return (undef, $log);
	}
	$h->finish;
	return ($h->result(0), $log);
}

sub expect_exit
{
	my ($what, $conninfo, $status, $log_re, @args) = @_;
	my ($got, $log) = run_worker($conninfo, @args);
	is($got, $status, "$what: the worker exits with status " . $status)
	  or diag $log;
	like($log, $log_re, "$what: the log says why");
	my @errors = $log =~ /^\S+ error /mg;
	is(scalar @errors, 1, "$what: in one error line") or diag $log;
}

# --- connection errors that waiting will not fix ------------------------------
expect_exit('--once and no server at all', 'host=/nonexistent', 69,
	qr/error could not connect to the database: .*nonexistent.*giving up.*\(exit status 69\)/, '--once');

$node->safe_psql('postgres', q{CREATE ROLE dbfaults_pw LOGIN SUPERUSER PASSWORD 'right'});
my $hba = $node->data_dir . '/pg_hba.conf';
my $rules = slurp_file($hba);
open(my $fh, '>', $hba) or die "could not write $hba: $!";
print $fh "local all dbfaults_pw scram-sha-256\n$rules";
close $fh;
$node->reload;

my $base = "host=$host port=$port";
expect_exit('a wrong password', "$base dbname=postgres user=dbfaults_pw password=wrong", 77,
	qr/error could not connect to the database: .*28P01.*giving up: check the role.*\(exit status 77\)/);
expect_exit('no password at all', "$base dbname=postgres user=dbfaults_pw", 77,
	qr/error could not connect to the database: .*password.*\(exit status 77\)/);
expect_exit('an unknown role', "$base dbname=postgres user=dbfaults_nobody", 77,
	qr/error could not connect to the database: .*28000.*\(exit status 77\)/);
expect_exit('an unknown database', "$base dbname=dbfaults_nowhere", 78,
	qr/error could not connect to the database: .*3D000.*\(exit status 78\)/);
expect_exit('a bad connection string', "$base dbname=postgres hots=localhost", 78,
	qr/error could not connect to the database: invalid connection string: .*hots.*\(exit status 78\)/);
expect_exit('a bad connection URI', "postgresql://[::1", 78,
	qr/invalid connection string.*\(exit status 78\)/);
$node->safe_psql('postgres', 'CREATE DATABASE dbfaults_noext');
expect_exit('a database without the extension', "$base dbname=dbfaults_noext", 78,
	qr/error the ffrtmp extension is missing from this database .*SQLSTATE 3F000.*\(exit status 78\)/);

# Refusals at registration name what to fix: a role without ffrtmp_admin
# hears of the grant, an unknown --tenant of --tenant (not of the
# connection string, the database or the extension).
$node->safe_psql('postgres', 'CREATE ROLE dbfaults_plain LOGIN');
expect_exit('a role without ffrtmp_admin', "$base dbname=postgres user=dbfaults_plain", 77,
	qr/error could not register node .*SQLSTATE 42501.*giving up: .*the role needs ffrtmp_admin.*\(exit status 77\)/);
my ($tenant_status, $tenant_log) = run_worker("$base dbname=postgres", '--tenant=dbfaults_nosuch');
is($tenant_status, 78, 'an unknown --tenant: the worker exits with status 78') or diag $tenant_log;
like($tenant_log, qr/tenant "dbfaults_nosuch" does not exist.*SQLSTATE PT404.*giving up: check --tenant.*\(exit status 78\)/,
	'an unknown --tenant: the log says to check --tenant');
unlike($tenant_log, qr/check the connection string/, 'and not the connection string');

# The same role with the right password is let in: the 77 above was the password.
my $ok_log = '';
my $ok = IPC::Run::start(
	[ $worker_bin, '--name=dbfaults-pw', "$base dbname=postgres user=dbfaults_pw password=right" ],
	'<', '/dev/null', '>', \$ok_log, '2>&1');
ok( wait_until(
		sub {
			$ok->pump_nb;
			$env->sql(q{SELECT count(*) FROM ffrtmp.nodes WHERE name = 'dbfaults-pw' AND state = 'online'})
			  eq '1';
		},
		60),
	'with the right password the role registers a node') or diag $ok_log;
$ok->signal('TERM');
$ok->finish;
is($ok->result(0), 0, 'and drains with status 0');

# --- a server that is down comes back ------------------------------------------
$node->stop;
my $late = $env->start_worker(name => 'dbfaults-late', wait => 0);
ok(wait_until(sub { (() = $env->worker_log($late) =~ /could not connect to the database/g) >= 2 }, 30),
	'with the server stopped, the worker keeps trying');
$node->start;
ok( wait_until(
		sub {
			$env->sql(q{SELECT count(*) FROM ffrtmp.nodes WHERE name = 'dbfaults-late' AND state = 'online'})
			  eq '1';
		},
		60),
	'once the server is back, the worker registers');
ok($late->{harness}->pumpable, 'and it is still running');
is($env->stop_worker($late), 0, 'it drains and exits 0');

# --- a job call stuck on a lock does not stop the heartbeats ---------------------
$env->sql(q{SELECT ffrtmp.create_tenant('globex', plan => 'pro')});
my $w = $env->start_worker(name => 'dbfaults-shared', args => ['--slots=2']);
my $node_id = $env->worker_node_id($w);
my $params = { video_codec => 'h264', encoder_preset => 'medium', format => 'mp4' };
my $a = $env->submit('testsrc://640x360@30?duration=8', output => 'a/out.mp4', params => $params);
my $b = $env->submit('testsrc://640x360@30?duration=12', output => 'b/out.mp4', params => $params,
	tenant => 'globex');
ok( wait_until(
		sub {
			$env->sql("SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($a, $b) AND state = 'running'"
				  . " AND node_id = $node_id") eq '2';
		},
		120),
	'two tenants\' jobs run on one shared worker');

# Another session holds job A's row, as a tenant's open transaction would.
my $holder = $node->background_psql('postgres');
$holder->query_safe("BEGIN; SELECT id FROM ffrtmp_data.jobs WHERE id = $a FOR UPDATE");

my $row_b = $env->wait_job($b, timeout => 240);
is($row_b->{state}, 'completed', 'B\'s job completes while A\'s row is locked');
is($row_b->{attempt}, 1, 'on attempt 1: the node never looked dead');
ok(wait_until(sub { $env->worker_log($w) =~ /job=$a .*attempt 1 (?:completed|failed)/ }, 240),
	'A\'s job process ends too');
# From here on A's finish_job waits for the lock.  Long enough for recovery to
# have taken the node (node_timeout is 3 s) if its heartbeats had stopped.
my $ended_at = $env->sql('SELECT now()');
wait_until(sub { $env->sql("SELECT now() > '$ended_at'::timestamptz + interval '7 s'") eq 't' }, 30);
is( $env->sql(
		"SELECT state || ' ' || (last_heartbeat > '$ended_at'::timestamptz + interval '4 s')"
		  . " FROM ffrtmp.nodes WHERE id = $node_id"),
	'online true',
	'the node kept heartbeating past node_timeout while its job call waited');
is($env->sql("SELECT state FROM ffrtmp.jobs WHERE id = $a"), 'running',
	'A\'s outcome waits for the lock');
like($env->worker_log($w), qr/job=$a .*kept the completed outcome of attempt 1/,
	'the worker kept it to deliver later');

$holder->query_safe('COMMIT');
$holder->quit;
my $row_a = $env->wait_job($a, timeout => 120);
is($row_a->{state}, 'completed', 'once the lock is gone, A\'s outcome is delivered');
is($row_a->{attempt}, 1, 'and A\'s job too completes on attempt 1');
is($env->stop_worker($w), 0, 'the worker drains and exits 0');

done_testing();
