# ffrtmp.dispatch() by hand never runs a pass beside the leader's.  While a
# leader runs, the leader makes the pass (under its epoch and its view of the
# nodes) and dispatch() returns what it assigned: a manual pass inside an open
# transaction cannot over-fill a node that the leader fills meanwhile.
# Without schedulers (an external runner), dispatch() runs the pass itself
# under the leader lock, held to the end of its transaction.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('manual');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 2
ffrtmp.scheduler_interval = '60s'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('a', plan => 'pro');
	SELECT ffrtmp.create_tenant('b', plan => 'pro');
});
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');
my $epoch = $node->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state');
$node->safe_psql('postgres', q{SELECT ffrtmp.register_node('two-slots', cpu_cores => 8, slots => 2)});

# Session A submits two jobs and dispatches in one open transaction.
my $a = $node->background_psql('postgres');
$a->query_safe(q{BEGIN});
$a->query_safe(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'a') FROM generate_series(1, 2)});
my $assigned = $a->query_safe(q{SELECT ffrtmp.dispatch()});
is($a->query_safe(q{SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = 'ffrtmp_data.jobs'::regclass}), '0',
	'the manual dispatch assigned nothing in its own session: the leader ran the pass');
is($assigned, '0', 'and the leader, which cannot see the uncommitted jobs, assigned none of them');

# Meanwhile tenant b's two jobs commit; the leader fills the node with them.
my $before = $node->safe_psql('postgres', 'SELECT last_pass FROM ffrtmp_data.scheduler_shared()');
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'b') FROM generate_series(1, 2)});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 2 FROM ffrtmp.jobs WHERE state = 'assigned'}),
	'the leader assigns the committed jobs');
$a->query_safe(q{COMMIT});
$a->quit;
$node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.jobs WHERE state = 'assigned'}), '2',
	'the node never holds more jobs than its two slots');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.jobs WHERE state = 'queued'}), '2',
	'tenant a\'s jobs wait for a free slot');
is($node->safe_psql('postgres', 'SELECT epoch FROM ffrtmp_data.scheduler_state'), $epoch,
	'no manual pass started a term of its own');

# A manual dispatch returns once a leader's pass that began after it was
# asked has completed, with what that pass assigned.  (The new node's commit
# wakes the leader too, so the job may go in that earlier pass: then the one
# dispatch() waited for assigns nothing.)
$node->safe_psql('postgres', q{SELECT ffrtmp.register_node('one-more', cpu_cores => 8, slots => 1)});
like($node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()'), qr/^[01]$/,
	'dispatch() returns what the leader\'s pass assigned');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.jobs WHERE state = 'assigned'}), '3',
	'and when it returns, the leader has assigned what the new node can take');
$node->stop;

# Without schedulers, dispatch() runs the pass in the caller's transaction,
# holding the leader lock (no scheduler could begin a term meanwhile).
my $alone = PostgreSQL::Test::Cluster->new('alone');
$alone->init;
$alone->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 0
});
$alone->start;
$alone->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.register_node('solo', cpu_cores => 8, slots => 2);
	SELECT ffrtmp.submit_job('testsrc://') FROM generate_series(1, 3);
});
is($alone->safe_psql('postgres', 'SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE \'ffrtmp%\''), '0',
	'with ffrtmp.schedulers = 0 no scheduler or launcher runs');
is($alone->safe_psql('postgres', q{
	BEGIN;
	SELECT ffrtmp.dispatch();
	SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 3 AND objid = 1 AND pid = pg_backend_pid() AND granted;
	COMMIT;
}), "2\n1", 'dispatch() fills the two slots itself, holding the leader lock for its transaction');
is($alone->safe_psql('postgres', 'SELECT ffrtmp.dispatch()'), '0', 'and a full node gets no more');
$alone->stop;
done_testing();
