# The contract between the database and the worker (src/common), end to end.
#
# - Every SQLSTATE the installed SQL raises, every job or node state and
#   failure reason it names, and the advisory-lock space it looks for, are
#   those the library and the worker are built from (ffrtmp.contract()); the
#   seed rows are compared in test/sql/07_contract.  So is every SQLSTATE
#   the extension's C raises (errcode(ERRCODE_...) in src/*.c).
# - The worker sends its protocol version at registration.  One of another
#   major number is refused with one clear error (PT426) naming both
#   versions and what to upgrade; the worker logs it once and exits with
#   status 76 instead of retrying.  A worker of release 0.1 (no version) is
#   refused the same way, and so is this worker by a database that still has
#   0.1's SQL, until ALTER EXTENSION ffrtmp UPDATE.
#
# FFRTMP_WORKER_TEST_PROTOCOL_VERSION makes the worker claim another version:
# it exists for this test only.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpProcess;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('protocol');
my $node = $env->node;
my $worker_bin = worker_bin();
my $contract = decode_json($env->sql('SELECT ffrtmp.contract()'));
my %sqlstates = map { $_->{code} => $_ } @{ $contract->{sqlstates} };
my %states = map { $_->{state} => 1 } @{ $contract->{job_states} };
$states{$_} = 1 for @{ $contract->{node_states} };

# --- what the installed SQL spells is in the list ------------------------------
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my $script = slurp_file("$sharedir/extension/ffrtmp--0.2.sql");
$script =~ s/--[^\n]*//g;    # comments may name anything
my %raised = map { $_ => 1 } $script =~ /ERRCODE\s*=\s*'([0-9A-Z]{5})'/g;
ok(scalar(keys %raised) >= 4, 'the SQL raises SQLSTATEs: ' . join(' ', sort keys %raised));
is_deeply([ grep { !($sqlstates{$_} && $sqlstates{$_}{raised_by_api}) } sort keys %raised ],
	[], 'every SQLSTATE the SQL raises is in the contract, as one the API raises');

# What the extension's C raises: errcode(ERRCODE_...) in src/*.c.  PostgreSQL's
# macros are spelt in the server's utils/errcodes.h, ffrtmp's own in
# src/ffrtmp.h through the table's enum (src/common/sqlstates.c).
my $includedir = `pg_config --includedir-server`;
chomp $includedir;
my %pg_errcode;
for (split /\n/, slurp_file("$includedir/utils/errcodes.h"))
{
	my ($macro, $chars) = /^#define\s+(ERRCODE_\w+)\s+MAKE_SQLSTATE\((.*)\)/ or next;
	$pg_errcode{$macro} = join('', $chars =~ /'(.)'/g);
}
my %enum_code = slurp_file('src/common/sqlstates.c') =~ /\[(SQLSTATE_\w+)\]\s*=\s*\{\s*"(\w+)"/g;
my %ffrtmp_errcode = slurp_file('src/ffrtmp.h') =~ /^#define\s+(ERRCODE_FFRTMP_\w+)\s+FFRTMP_ERRCODE\((SQLSTATE_\w+)\)/mg;
$pg_errcode{$_} = $enum_code{ $ffrtmp_errcode{$_} } for keys %ffrtmp_errcode;
my %c_raised;    # code => the files that raise it
for my $file (glob 'src/*.c')
{
	for my $macro (slurp_file($file) =~ /\berrcode\(\s*(ERRCODE_\w+)\s*\)/g)
	{
		my $code = $pg_errcode{$macro} // "unknown macro $macro";
		$c_raised{$code}{$file} = 1;
	}
}
ok(scalar(keys %c_raised) >= 10, "the extension's C raises SQLSTATEs: " . join(' ', sort keys %c_raised));
is_deeply(
	[
		map { "$_ (" . join(', ', sort keys %{ $c_raised{$_} }) . ')' }
		  grep { !($sqlstates{$_} && $sqlstates{$_}{raised_by_api}) } sort keys %c_raised
	],
	[],
	"every SQLSTATE the extension's C raises is in the contract, as one the API raises");

my @ours = grep { /^PT/ } map { $_->{code} } @{ $contract->{sqlstates} };
is_deeply([ grep { $sqlstates{$_}{http} != substr($_, 2) } @ours ], [], 'each PTxyz carries HTTP status xyz');

my %named;
$named{$_} = 1 for $script =~ /\bstate\s*(?:=|<>)\s*'(\w+)'/g;
for my $list ($script =~ /\bstate\s+(?:NOT\s+)?IN\s*\(([^)]*)\)/gi)
{
	$named{$_} = 1 for $list =~ /'(\w+)'/g;
}
ok(scalar(keys %named) >= 5, 'the SQL compares states: ' . join(' ', sort keys %named));
is_deeply([ grep { !$states{$_} } sort keys %named ], [], 'every state the SQL compares with is in the contract');

my %reasons = map { $_->{reason} => 1 } @{ $contract->{failure_reasons} };
my @failed_with = $script =~ /fail_attempt\([^;]*?'(?:failed|timed_out)',\s*'(\w+)'/g;
is_deeply([ grep { !$reasons{$_} } @failed_with ], [], 'every failure reason the SQL records is in the contract');

# The scheduler's advisory locks, as the SQL looks for them in pg_locks.
my @spaces = $script =~ /locktype\s*=\s*'advisory'\s+AND\s+\w+\.objsubid\s*=\s*(\d+)/g;
ok(scalar @spaces >= 1, 'the SQL looks for the scheduler\'s advisory locks');
is_deeply([ grep { $_ != $contract->{advisory_lock}{space} } @spaces ], [],
	'in the key space the library takes them in');

# --- the worker and the protocol version ------------------------------------------
# Runs the worker until it exits by itself (at most 60 s, then it is killed);
# returns its exit status (undef when it had to be killed) and its log.
sub run_worker
{
	my ($name, $conninfo, %env) = @_;
	my $log = '';
	local @ENV{ keys %env } = values %env;
	my $h = IPC::Run::start([ $worker_bin, "--name=$name", '--heartbeat-interval=1s', $conninfo ],
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

sub expect_refused
{
	my ($what, $name, $conninfo, $log_re, %env) = @_;
	my ($status, $log) = run_worker($name, $conninfo, %env);
	is($status, 76, "$what: the worker exits with status 76") or diag $log;
	like($log, $log_re, "$what: the log names both versions and what to upgrade");
	my @errors = $log =~ /^\S+ error /mg;
	is(scalar @errors, 1, "$what: in one error line, logged once") or diag $log;
	note $log;
	is($env->sql('SELECT count(*) FROM ffrtmp.nodes WHERE name = ' . quote_literal($name)),
		'0', "$what: no node is registered");
}

expect_refused('a worker of protocol 1.0', 'proto-old', $env->conninfo,
	qr/error could not register node proto-old: worker protocol 1\.0 is not compatible with this database's protocol 2\.0 \(ffrtmp 0\.2\) \(SQLSTATE PT426\)\. Upgrade ffrtmp-worker on this node to a release that speaks protocol 2\.x.*\(exit status 76\)/,
	FFRTMP_WORKER_TEST_PROTOCOL_VERSION => 100);
expect_refused('a worker of protocol 3.0', 'proto-new', $env->conninfo,
	qr/worker protocol 3\.0 is not compatible with this database's protocol 2\.0 \(ffrtmp 0\.2\) \(SQLSTATE PT426\)\. Upgrade the ffrtmp extension to a release that speaks protocol 3\.x: .*ALTER EXTENSION ffrtmp UPDATE.*\(exit status 76\)/,
	FFRTMP_WORKER_TEST_PROTOCOL_VERSION => 300);

$ENV{FFRTMP_WORKER_TEST_PROTOCOL_VERSION} = 207;
my $w = $env->start_worker(name => 'proto-minor');
delete $ENV{FFRTMP_WORKER_TEST_PROTOCOL_VERSION};
is($env->sql(q{SELECT state FROM ffrtmp.nodes WHERE name = 'proto-minor'}), 'online',
	'a worker of protocol 2.7 (the same major number) registers and comes online');
is($env->stop_worker($w), 0, 'and drains with status 0');

# A worker of release 0.1 names its session ffrtmp-worker and sends no version.
my ($rc, $out, $err) = $node->psql('postgres', q{
SET application_name = 'ffrtmp-worker';
SELECT node_id, session_token FROM ffrtmp.register_node(name => 'proto-0-1', cpu_cores => '4'::integer,
  gpus => '0'::integer, memory_mb => NULL::integer, slots => '1'::integer, encoders => '{libx264}'::text[],
  labels => '{}'::jsonb, tenant => NULL)}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($rc, 0, "release 0.1's registration call is refused");
like($err, qr/ERROR:  PT426: worker protocol 1\.0 is not compatible with this database's protocol 2\.0 \(ffrtmp 0\.2\)/,
	'with PT426 and both versions');
like($err, qr/HINT:  Upgrade ffrtmp-worker on this node to a release that speaks protocol 2\.x/,
	'and says to upgrade the worker');

# --- a database that still has 0.1's SQL ------------------------------------------
my $old = PostgreSQL::Test::Cluster->new('protocol_old');
$old->init;
$old->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'");
$old->start;
$old->safe_psql('postgres', q{CREATE EXTENSION ffrtmp VERSION '0.1'});
my $old_conninfo = sprintf('host=%s port=%d dbname=postgres', $old->host, $old->port);
my ($status, $log) = run_worker('proto-on-0-1', $old_conninfo);
is($status, 76, 'against 0.1 SQL the worker exits with status 76') or diag $log;
like($log, qr/predates protocol versions \(release 0\.1\) and this worker speaks protocol 2\.0: run ALTER EXTENSION ffrtmp UPDATE there.*\(exit status 76\)/,
	'and says to update the extension');
$old->safe_psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE');
my $log_after = '';
my $h = IPC::Run::start([ $worker_bin, '--name=proto-updated', '--heartbeat-interval=1s', $old_conninfo ],
	'<', '/dev/null', '>', \$log_after, '2>&1');
ok( wait_until(
		sub {
			$h->pump_nb;
			$old->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.nodes WHERE name = 'proto-updated'}) eq '1';
		},
		60),
	'after ALTER EXTENSION ffrtmp UPDATE the same worker registers') or diag $log_after;
$h->signal('TERM');
$h->finish;
is($h->result(0), 0, 'and drains with status 0');
$old->stop;

done_testing();
