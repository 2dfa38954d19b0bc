# The scheduler background workers: a launcher that holds no database starts
# them with the server, they elect one leader, hand leadership over when the leader dies, wake up at a submit's
# commit, reject what no node can run, stop cleanly, and run on a standby only once it is promoted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('primary');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 2
ffrtmp.scheduler_interval = '200ms'
restart_after_crash = on
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');

# One leader holds the lock and has published itself (its term has begun).
my $one_leader = q{SELECT count(*) = 2 AND count(*) FILTER (WHERE leader) = 1
	AND bool_or(leader AND pid = (SELECT leader_pid FROM ffrtmp_data.scheduler_shared())) FROM ffrtmp.scheduler_status()};
ok($node->poll_query_until('postgres', $one_leader), 'two schedulers start with the server and exactly one leads');
is($node->safe_psql('postgres', q{SELECT count(*) || ':' || count(datname) FROM pg_stat_activity WHERE backend_type = 'ffrtmp launcher'}),
	'1:0', 'one launcher starts them, connected to no database');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ffrtmp scheduler'}),
	'2', 'pg_stat_activity shows them as ffrtmp scheduler');
my $leader = $node->safe_psql('postgres', 'SELECT pid FROM ffrtmp.scheduler_status() WHERE leader');
is($node->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state'), '1', 'the first leader has epoch 1');
is($node->safe_psql('postgres', q{SELECT (ffrtmp.health() ->> 'leader_pid')}), $leader, 'health() names the leader');

# The advisory-lock functions cannot reach the leader's key space.
$node->safe_psql('postgres', 'CREATE ROLE squatter LOGIN');
is($node->safe_psql('postgres', q{SET ROLE squatter; SELECT pg_try_advisory_lock(1717990004, 1)}),
	't', 'a role taking the same two keys gets a different lock');
is($node->safe_psql('postgres', 'SELECT pid FROM ffrtmp.scheduler_status() WHERE leader'), $leader,
	'and the leadership does not move');

# Killing the leader hands leadership to the other scheduler.
$node->safe_psql('postgres', "SELECT pg_terminate_backend($leader)");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM ffrtmp.scheduler_status() WHERE leader AND pid <> $leader
		   AND pid = (SELECT leader_pid FROM ffrtmp_data.scheduler_shared())"),
	'another scheduler leads after the leader is terminated');
is($node->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state'), '2', 'with a new epoch');
ok($node->poll_query_until('postgres', $one_leader), 'the terminated one comes back as a follower');

# Passes run with the privileges of ffrtmp_scheduler, not the superuser the
# worker connects as: take one privilege away and a new leader cannot begin.
# (Before 0.2 every pass share-locked the epoch's row, which needs UPDATE
# too; now only a new term writes it.)
$leader = $node->safe_psql('postgres', 'SELECT pid FROM ffrtmp.scheduler_status() WHERE leader');
$node->safe_psql('postgres', 'REVOKE UPDATE ON ffrtmp_data.scheduler_state FROM ffrtmp_scheduler');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($leader)");
my $denied = 0;
for (1 .. 100)
{
	$denied = slurp_file($node->logfile) =~ /permission denied for table scheduler_state/;
	last if $denied;
	select(undef, undef, undef, 0.1);
}
ok($denied, 'without UPDATE on scheduler_state the pass is refused: it runs as ffrtmp_scheduler');
$node->safe_psql('postgres', 'GRANT UPDATE ON ffrtmp_data.scheduler_state TO ffrtmp_scheduler');
ok($node->poll_query_until('postgres', $one_leader), 'with the privilege back, a leader takes over');

# SIGKILL of the leader makes the postmaster restart every backend; the
# schedulers come back and elect a leader again.
$leader = $node->safe_psql('postgres', 'SELECT pid FROM ffrtmp.scheduler_status() WHERE leader');
kill 'KILL', $leader;
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 2 AND count(*) FILTER (WHERE leader AND pid <> $leader
		   AND pid = (SELECT leader_pid FROM ffrtmp_data.scheduler_shared())) = 1 FROM ffrtmp.scheduler_status()"),
	'after a SIGKILL and the server\'s crash restart, two schedulers run and one leads');
like(slurp_file($node->logfile), qr/terminated by signal 9/, 'the crash restart did happen');

# A submit wakes the leader at commit, long before its timer.
$node->safe_psql('postgres', q{ALTER SYSTEM SET ffrtmp.scheduler_interval = '60s'; SELECT pg_reload_conf()});
sleep 2;    # let the leader go back to sleep on the long timer
my $before = $node->safe_psql('postgres', 'SELECT last_pass FROM ffrtmp_data.scheduler_shared()');
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://')});
my $woke = 0;
for (1 .. 100)    # 10 seconds, far below the 60 s timer
{
	$woke = $node->safe_psql('postgres', "SELECT last_pass > '$before' FROM ffrtmp_data.scheduler_shared()") eq 't';
	last if $woke;
	select(undef, undef, undef, 0.1);
}
ok($woke, 'the leader ran a pass within seconds of the submit\'s commit, not at its 60 s timer');

# The leader rejects a job no node can run once it has waited
# ffrtmp.reject_unrunnable_after with no capable node.
$node->safe_psql('postgres', q{ALTER SYSTEM SET ffrtmp.scheduler_interval = '200ms';
	ALTER SYSTEM SET ffrtmp.reject_unrunnable_after = '1s'; SELECT pg_reload_conf()});
$node->safe_psql('postgres', q{SELECT ffrtmp.create_tenant('huge', plan => 'pro');
	SELECT ffrtmp.update_tenant('huge', quotas => '{"max_cpu_cores": null}');
	SELECT ffrtmp.register_node('pool-8', cpu_cores => 8)});
my $huge = $node->safe_psql('postgres', q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'huge', cpu_cores => 64)).id});
ok($node->poll_query_until('postgres', qq{SELECT state = 'rejected' AND failure_reason = 'capability_mismatch' FROM ffrtmp_data.jobs WHERE id = $huge}),
	'the leader rejects a job asking more cores than any node offers');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'and the usage counters stay exact');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET ffrtmp.reject_unrunnable_after; SELECT pg_reload_conf()});

# A standby runs no scheduler until it is promoted.
$node->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'backup', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
sleep 1;
is($standby->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.scheduler_status()'), '0',
	'no scheduler runs on a standby');
my $primary_epoch = $node->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state');
$node->wait_for_catchup($standby);
$node->stop('fast');
$standby->promote;
ok($standby->poll_query_until('postgres', $one_leader), 'after promotion the standby elects a leader');
is($standby->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state'), $primary_epoch + 1,
	'with the next epoch, so the old primary\'s leader is fenced off');

$standby->stop('fast');
unlike(slurp_file($standby->logfile), qr/terminated by signal|was terminated by exception/,
	'the schedulers stopped cleanly');
done_testing();
