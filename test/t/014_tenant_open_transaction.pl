# One tenant's open transaction stalls no other tenant, with the real
# scheduler leader (the issue's first scenario).  Tenant ta has a committed
# job that becomes runnable in 2 s, then submits another in a transaction it
# keeps open (its usage row stays locked).  Meanwhile tenant tb's new job is
# dispatched by the leader, tb's running job on the shared node is finished
# and the node heartbeats without waiting: tb's job keeps its attempt.  Once
# ta commits, its jobs are dispatched too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('open_transaction');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '60s'
});
# The shared node heartbeats once, after the waits below: its timeout must
# outlast them on a loaded machine (the test is about locks, not timeouts).
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant(name, plan => 'pro') FROM unnest(ARRAY['ta', 'tb']) AS name;
	CREATE ROLE app_a LOGIN;
	CREATE ROLE app_b LOGIN;
	SELECT ffrtmp.add_tenant_role('ta', 'app_a');
	SELECT ffrtmp.add_tenant_role('tb', 'app_b');
	CREATE TABLE pool AS SELECT node_id, session_token FROM ffrtmp.register_node('pool-1', cpu_cores => 8, slots => 4);
});
my ($pool, $token) = split /\|/, $node->safe_psql('postgres', 'SELECT node_id, session_token FROM pool');

# Runs one statement as a role (undef: the shared node's worker, connected as
# an administrator) with a 10 s statement timeout, so that a call that waits
# on ta fails this test instead of hanging it.
sub as_role
{
	my ($role, $sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', "SET statement_timeout = '10s'; $sql",
		extra_params => defined $role ? [ '-U', $role ] : []);
	return $rc == 0 ? $out : "error: $err";
}

sub wait_for
{
	my ($query) = @_;
	for (1 .. 100)    # 10 s
	{
		return 1 if $node->safe_psql('postgres', $query) eq 't';
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# tb's first job runs on the shared node.
my $b1 = as_role('app_b', q{SELECT id FROM ffrtmp.submit_job('testsrc://320x240@10?duration=1')});
ok(wait_for("SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $b1"), 'the leader dispatches tb\'s first job');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.start_job($b1, 1, $pool, '$token')"), 'running',
	'and the shared node starts it');

# ta: a committed job runnable in 2 s, then a submit in a transaction left open.
my $a1 = as_role('app_a', q{SELECT id FROM ffrtmp.submit_job('testsrc://320x240@10?duration=1', run_after => now() + interval '2 seconds')});
my $ta = $node->background_psql('postgres', extra_params => [ '-U', 'app_a' ]);
$ta->query_safe('BEGIN');
my $a2 = $ta->query_safe(q{SELECT id FROM ffrtmp.submit_job('testsrc://320x240@10?duration=1')});
ok(wait_for("SELECT run_after < now() - interval '0.5 seconds' FROM ffrtmp.jobs WHERE id = $a1"),
	'ta\'s committed job has become runnable while ta\'s transaction is open');

# tb, meanwhile.
my $b2 = as_role('app_b', q{SELECT id FROM ffrtmp.submit_job('testsrc://320x240@10?duration=1')});
ok(wait_for("SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $b2"),
	'tb\'s new job is dispatched while ta holds its transaction open');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.jobs WHERE id = $a1"), 'queued',
	'ta\'s own runnable job waits for a pass after ta\'s transaction');
is(as_role(undef, "SELECT ffrtmp.node_heartbeat($pool, '$token', ARRAY[$b1])"), 'online',
	'the shared node heartbeats without waiting');
is(as_role(undef, "SELECT state || ' ' || attempt FROM ffrtmp.finish_job($b1, 1, $pool, '$token', 'completed', result => '{\"duration\": 1}')"),
	'completed 1', 'and finishes tb\'s running job on its first attempt');
like($node->safe_psql('postgres', q{SELECT (ffrtmp.health() ->> 'leader_pid') IS NOT NULL}), qr/t/,
	'the leader is still there');

$ta->query_safe('COMMIT');
$ta->quit;
ok(wait_for("SELECT count(*) = 2 FROM ffrtmp.jobs WHERE id IN ($a1, $a2) AND state = 'assigned'"),
	'after ta commits, its jobs are dispatched');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'every usage counter is exact');

$node->stop;
done_testing();
