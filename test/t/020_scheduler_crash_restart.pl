# A crash restart (a backend killed with SIGKILL: the postmaster restarts every
# backend and reinitialises shared memory) gives workers node_timeout from the
# restart to come back, as a start does, even when the server first started
# long before: a running job whose worker returns in time keeps its attempt.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '3s'
restart_after_crash = on
});
$node->start;
my ($id, $token) = split /\|/, $node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT node_id, session_token FROM ffrtmp.register_node('steady', cpu_cores => 4, slots => 1);
});
my $heartbeat = "SELECT ffrtmp.node_heartbeat($id, '$token')";
my $job = $node->safe_psql('postgres', q{SELECT id FROM ffrtmp.submit_job('testsrc://', max_attempts => 3)});
# The node heartbeats while it waits, as a worker does: on a loaded machine the
# first pass may come later than node_timeout after the registration.
ok($node->poll_query_until('postgres',
		"SELECT ffrtmp.node_heartbeat($id, '$token') IS NOT NULL AND (SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job)"),
	'the leader dispatches the job');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.start_job($job, 1, $id, '$token')"), 'running', 'the node runs it');

# The worker heartbeats until the server has been up for longer than node_timeout.
ok($node->poll_query_until('postgres',
		"SELECT ffrtmp.node_heartbeat($id, '$token') = 'online' AND now() - pg_postmaster_start_time() > interval '4 s'"),
	'the server has been up for longer than node_timeout');

# Then the server stalls (a session holds the nodes table: no heartbeat, no
# recovery pass) for longer than node_timeout, and that session is killed.
my $staller = $node->background_psql('postgres');
$staller->query_safe('BEGIN');
$staller->query_safe('LOCK TABLE ffrtmp_data.nodes IN EXCLUSIVE MODE');
my $staller_pid = $staller->query_safe('SELECT pg_backend_pid()');
sleep 4;
my $offset = -s $node->logfile;
kill 'KILL', $staller_pid;
eval { $staller->quit };

# The postmaster restarts; the leader is back and has run passes before the
# worker's first heartbeat, which comes within node_timeout of the restart.
ok($node->poll_query_until('postgres',
		q{SELECT last_pass IS NOT NULL AND now() - last_pass < interval '1 s' FROM ffrtmp_data.scheduler_shared()}),
	'after the crash restart a leader runs passes again');
like(substr(slurp_file($node->logfile), $offset), qr/terminated by signal 9.*all server processes terminated; reinitializing/s,
	'the server did restart after a crash');
is($node->safe_psql('postgres', 'SELECT ffrtmp_data.control_plane_started_at() > pg_postmaster_start_time() + interval \'4 s\''),
	't', 'control_plane_started_at() is the restart, not the first start');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.nodes WHERE id = $id"), 'online',
	'the node silent across the restart is still online within node_timeout of it');

# The worker is back: it heartbeats for longer than node_timeout.
for (1 .. 40)
{
	$node->safe_psql('postgres', $heartbeat);
	select(undef, undef, undef, 0.1);
}
is($node->safe_psql('postgres', "SELECT state || ':' || attempt FROM ffrtmp.jobs WHERE id = $job"), 'running:1',
	'the running job keeps its first attempt: the crash restart cost none');
is($node->safe_psql('postgres', "SELECT count(*) FROM ffrtmp.job_events WHERE job_id = $job AND to_state IN ('retrying', 'failed', 'queued') AND from_state IS NOT NULL"),
	'0', 'and it was never retried');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.finish_job($job, 1, $id, '$token', 'completed')"),
	'completed', 'the worker finishes it on attempt 1');

$node->stop;
done_testing();
