# The extension lives in one database, the one ffrtmp.database names: it is
# refused elsewhere with a hint; the schedulers let go of their database when
# the extension is dropped (so DROP DATABASE works); a missing database (dropped
# with FORCE, or a misspelt setting) is logged once, not once a second; and
# when the database and the extension come back, so does dispatching.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('home');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.database = 'ffrtmp_home'
ffrtmp.schedulers = 2
ffrtmp.scheduler_interval = '200ms'
});
$node->start;

# Lines of the server log written since $offset that match $re.
sub log_lines
{
	my ($offset, $re) = @_;
	my $log = substr(slurp_file($node->logfile), $offset);
	return scalar(() = $log =~ /$re/g);
}

sub log_size { return -s $node->logfile; }

# A job submitted in $db is dispatched by the leader itself.
sub leader_dispatches
{
	my ($db, $name) = @_;
	$node->safe_psql($db, "SELECT ffrtmp.register_node('$name', cpu_cores => 4, slots => 1)");
	my $job = $node->safe_psql($db, q{SELECT id FROM ffrtmp.submit_job('testsrc://')});
	return $node->poll_query_until($db, "SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job");
}

my $missing = qr/database "ffrtmp_home" named by ffrtmp\.database does not exist/;
my $offset = 0;
sleep 4;
is(log_lines($offset, $missing), 1, 'a database that does not exist yet is logged once in 4 s, not once a second');

$node->safe_psql('postgres', 'CREATE DATABASE ffrtmp_home');
$node->safe_psql('postgres', 'CREATE DATABASE elsewhere');

# Elsewhere the extension is refused, with what to do about it.
my ($rc, $out, $err) = $node->psql('elsewhere', 'CREATE EXTENSION ffrtmp');
isnt($rc, 0, 'CREATE EXTENSION in a database other than ffrtmp.database fails');
like($err, qr/ERROR:  ffrtmp can only be installed in database "ffrtmp_home"/, 'the error names the database');
like($err, qr/HINT:  Set ffrtmp\.database = 'elsewhere' in postgresql\.conf and restart the server, or create the extension in database ffrtmp_home\./,
	'the hint says how to use this database instead');
is($node->safe_psql('elsewhere', q{SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ffrtmp%'}), '0',
	'and nothing of it is left behind');
($rc, $out, $err) = $node->psql('postgres', 'CREATE EXTENSION ffrtmp');
like($err, qr/can only be installed in database "ffrtmp_home"/, 'the postgres database is no exception');

# In its database it works, and the leader dispatches.
$node->safe_psql('ffrtmp_home', 'CREATE EXTENSION ffrtmp');
ok(leader_dispatches('ffrtmp_home', 'home-1'), 'in ffrtmp.database the leader dispatches a submitted job');

# DROP EXTENSION: the schedulers let go, and DROP DATABASE needs no FORCE.
$offset = log_size();
$node->safe_psql('ffrtmp_home', 'DROP EXTENSION ffrtmp CASCADE');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'ffrtmp_home'}),
	'after DROP EXTENSION no scheduler stays connected to the database');
($rc, $out, $err) = $node->psql('postgres', 'DROP DATABASE ffrtmp_home');
is($rc, 0, 'DROP DATABASE without FORCE succeeds') or diag($err);
# The launcher backs off between checks (1 s doubling), so wait for its next
# look under load, then a little longer to see nothing is repeated.
for (1 .. 600)
{
	last if log_lines($offset, $missing) >= 1;
	select(undef, undef, undef, 0.1);
}
sleep 3;
is(log_lines($offset, qr/extension "ffrtmp" is not installed in database "ffrtmp_home"/), 1,
	'the missing extension is logged once');
is(log_lines($offset, $missing), 1, 'and then the missing database, once');

# Back: a new database and extension wake the launcher; the leader dispatches.
$node->safe_psql('postgres', 'CREATE DATABASE ffrtmp_home');
$node->safe_psql('ffrtmp_home', 'CREATE EXTENSION ffrtmp');
ok(leader_dispatches('ffrtmp_home', 'home-2'), 'after CREATE DATABASE and CREATE EXTENSION the leader dispatches again');

# DROP DATABASE ... WITH (FORCE) while the schedulers run in it.
$offset = log_size();
$node->safe_psql('postgres', 'DROP DATABASE ffrtmp_home WITH (FORCE)');
sleep 5;
is(log_lines($offset, $missing), 1, 'after DROP DATABASE WITH (FORCE) the missing database is logged once in 5 s');
is(log_lines($offset, qr/FATAL:  database "ffrtmp_home" does not exist/), 0,
	'and no scheduler keeps failing to connect to it');
$node->safe_psql('postgres', 'CREATE DATABASE ffrtmp_home');
$node->safe_psql('ffrtmp_home', 'CREATE EXTENSION ffrtmp');
ok(leader_dispatches('ffrtmp_home', 'home-3'), 'and it comes back with the database and the extension');

# CREATE EXTENSION wakes the schedulers at once: a DROP EXTENSION right after
# it meets their first pass, and waits for it rather than deadlocking.
my @refused;
$offset = log_size();
for my $round (1 .. 5)
{
	$node->safe_psql('ffrtmp_home', 'DROP EXTENSION ffrtmp CASCADE; CREATE EXTENSION ffrtmp');
	select(undef, undef, undef, 0.05 * $round);
	($rc, $out, $err) = $node->psql('ffrtmp_home', 'DROP EXTENSION ffrtmp CASCADE');
	push @refused, $err if $rc != 0;
	$node->safe_psql('ffrtmp_home', 'CREATE EXTENSION ffrtmp');
}
is(scalar(@refused), 0, 'DROP EXTENSION during the schedulers\' first pass succeeds') or diag(join("\n", @refused));
is(log_lines($offset, qr/ERROR:  .*does not exist/), 0, 'and no pass runs on after the DROP');

# A misspelt setting: logged once, however long.
$node->append_conf('postgresql.conf', "ffrtmp.database = 'ffrtmp_hmoe'");
$node->restart;
$offset = 0;
sleep 5;
is(log_lines(0, qr/database "ffrtmp_hmoe" named by ffrtmp\.database does not exist/), 1,
	'a misspelt ffrtmp.database is logged once in 5 s');
is(log_lines(0, qr/FATAL:  database "ffrtmp_hmoe" does not exist/), 0, 'with no failing connection attempts');

$node->stop;
done_testing();
