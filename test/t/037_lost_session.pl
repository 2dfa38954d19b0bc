# No attempt without an owner, with no scheduler running.  A session-bound
# node whose database session is killed (pg_terminate_backend, as when its
# process dies or its connection drops) leaves attempts nobody can finish;
# the next worker call of any other node (here a heartbeat) ends them as
# platform_error and takes the node offline, without waiting for
# ffrtmp.node_timeout.  A session-bound node whose session lives keeps its
# attempt.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lost');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 0
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
});

# A session-bound node in a session of its own; it runs one attempt and has
# another assigned.
sub bound_session
{
	my ($name, $slots) = @_;
	my $session = $node->background_psql('postgres');
	my ($id, $token, $pid) = split /\|/, $session->query_safe(qq{
		SELECT node_id, session_token, pg_backend_pid()
		  FROM ffrtmp.register_node('$name', cpu_cores => 2, slots => $slots, session_bound => true)});
	return ($session, $id, $token, $pid);
}
my ($doomed, $doomed_id, $doomed_token, $doomed_pid) = bound_session('doomed', 2);
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme') FROM generate_series(1, 2)});
is($node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()'), '2', 'both jobs go to the node to lose');
$doomed->query_safe(qq{SELECT ffrtmp.start_job(1, 1, $doomed_id, '$doomed_token')});

# The neighbour: a session-bound node whose session lives, running a job.
my ($alive, $alive_id, $alive_token) = bound_session('alive', 1);
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme')});
is($node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()'), '1', 'a third job goes to the live node');
$alive->query_safe(qq{SELECT ffrtmp.start_job(3, 1, $alive_id, '$alive_token')});

# The caller: a plain node of the shared pool, full, so it takes no job.
my ($other_id, $other_token) = split /\|/, $node->safe_psql('postgres', q{
	SELECT node_id, session_token FROM ffrtmp.register_node('other', cpu_cores => 1)});
$node->safe_psql('postgres', qq{SELECT ffrtmp.drain_node($other_id)});

my $states = q{SELECT string_agg(id || ':' || state || ':' || attempt || ':' || coalesce(failure_reason, '-'), ' ' ORDER BY id)
                 FROM ffrtmp.jobs};
my $heartbeat = qq{SELECT ffrtmp.node_heartbeat($other_id, '$other_token', '{}')};
$node->safe_psql('postgres', $heartbeat);
is($node->safe_psql('postgres', $states), '1:running:1:- 2:assigned:1:- 3:running:1:-',
	'while every session lives, another node\'s heartbeat ends nothing');

# The doomed node's session is killed.
$node->safe_psql('postgres', "SELECT pg_terminate_backend($doomed_pid)");
ok($node->poll_query_until('postgres', "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $doomed_pid)"),
	'the node\'s session is gone');
is($node->safe_psql('postgres', $states), '1:running:1:- 2:assigned:1:- 3:running:1:-',
	'with no scheduler, nothing has ended its attempts yet');
is($node->safe_psql('postgres', q{SELECT string_agg(state, ',') FROM ffrtmp.get_job(1)}), 'running',
	'reading a job writes nothing');

$node->safe_psql('postgres', $heartbeat);
is($node->safe_psql('postgres', $states), '1:retrying:2:platform_error 2:retrying:2:platform_error 3:running:1:-',
	'the next heartbeat of another node ends the lost session\'s attempts, to be retried; the live node keeps its own');
is($node->safe_psql('postgres', q{SELECT error FROM ffrtmp.jobs WHERE id = 1}),
	"the database session of node $doomed_id ended", 'the error says why');
is($node->safe_psql('postgres', q{SELECT string_agg(name || ':' || state, ' ' ORDER BY name) FROM ffrtmp.nodes}),
	'alive:online doomed:offline other:draining', 'the lost node is offline, the live one online');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_usage()}), '0', 'the usage counters are exact');

# The live node goes on: its attempt is still its own.
$alive->query_safe(qq{SELECT ffrtmp.finish_job(3, 1, $alive_id, '$alive_token', 'completed', result => '{}')});
is($node->safe_psql('postgres', q{SELECT state FROM ffrtmp.jobs WHERE id = 3}), 'completed', 'the live node finishes its attempt');

# A caller whose transaction already holds a copy of the backend status table
# (it read pg_stat_activity first) does not take a session that started since
# for gone: a session missing from that copy is looked up afresh.
$node->safe_psql('postgres', qq{SELECT ffrtmp.drain_node($alive_id)});
my $reader = $node->background_psql('postgres');
$reader->query_safe('BEGIN');
$reader->query_safe('SELECT count(*) FROM pg_stat_activity');
my ($late, $late_id, $late_token) = bound_session('late', 1);
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme')});
is($node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()'), '1', 'a fourth job goes to a node whose session started later');
$late->query_safe(qq{SELECT ffrtmp.start_job(4, 1, $late_id, '$late_token')});
$reader->query_safe($heartbeat);
$reader->query_safe('COMMIT');
is($node->safe_psql('postgres', q{SELECT state || ':' || node_id FROM ffrtmp.jobs WHERE id = 4}), "running:$late_id",
	'a heartbeat in a transaction that read the sessions before that one started leaves its attempt alone');
is($node->safe_psql('postgres', qq{SELECT state FROM ffrtmp.nodes WHERE id = $late_id}), 'online', 'and its node online');
$reader->quit;
$late->quit;
$alive->quit;

done_testing();
