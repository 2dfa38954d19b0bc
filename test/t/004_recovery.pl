# End to end with the real scheduler leader: jobs are dispatched by the leader
# itself, a node that stops heartbeating mid-job loses its job to another node,
# which completes it exactly once; the lost node's late finish is refused; and
# killing the leader while it dispatches never assigns a job twice.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('recovery');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 2
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '2s'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('rec', plan => 'pro');
	CREATE TABLE tokens AS
	SELECT 'a' AS name, * FROM ffrtmp.register_node('rec-a', cpu_cores => 4, slots => 1, tenant => 'rec');
});
my $job = $node->safe_psql('postgres', q{SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'rec', max_attempts => 3)});

ok($node->poll_query_until('postgres', "SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job"),
	'the leader dispatches the job by itself');
my ($a_id, $a_token) = split /\|/, $node->safe_psql('postgres', q{SELECT node_id, session_token FROM tokens WHERE name = 'a'});
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.start_job($job, 1, $a_id, '$a_token')"), 'running',
	'node a starts it');

# Node b joins and keeps heartbeating; node a goes silent.
$node->safe_psql('postgres', q{
	INSERT INTO tokens SELECT 'b', * FROM ffrtmp.register_node('rec-b', cpu_cores => 4, slots => 1, tenant => 'rec');
});
my ($b_id, $b_token) = split /\|/, $node->safe_psql('postgres', q{SELECT node_id, session_token FROM tokens WHERE name = 'b'});
my $moved = 0;
for (1 .. 150)    # up to 15 s: the 2 s timeout, then a backoff of 2 s +-25%
{
	$node->safe_psql('postgres', "SELECT ffrtmp.node_heartbeat($b_id, '$b_token')");
	$moved = $node->safe_psql('postgres', "SELECT node_id = $b_id AND state = 'assigned' FROM ffrtmp.jobs WHERE id = $job") eq 't';
	last if $moved;
	select(undef, undef, undef, 0.1);
}
ok($moved, 'after node a times out, the job is re-queued and dispatched to node b');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.nodes WHERE id = $a_id"), 'offline', 'node a is offline');
is($node->safe_psql('postgres', "SELECT attempt FROM ffrtmp.jobs WHERE id = $job"), '2', 'on attempt 2');

my ($rc, $out, $err) = $node->psql('postgres', "SELECT ffrtmp.finish_job($job, 1, $a_id, '$a_token', 'completed')");
like($err, qr/no longer held/, 'the late finish from node a is refused');
$node->safe_psql('postgres', "SELECT ffrtmp.start_job($job, 2, $b_id, '$b_token')");
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.finish_job($job, 2, $b_id, '$b_token', 'completed')"),
	'completed', 'node b completes it');
is($node->safe_psql('postgres', "SELECT count(*) FROM ffrtmp.job_events WHERE job_id = $job AND to_state = 'completed'"),
	'1', 'exactly once');

# Leader killed while dispatching: no (job, attempt) is ever assigned twice.
$node->safe_psql('postgres', q{
	SELECT ffrtmp.update_tenant('rec', quotas => '{"max_jobs": null, "max_workers": null, "max_jobs_per_hour": null}');
	SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'rec')) FROM generate_series(1, 300);
	SELECT count(ffrtmp.register_node('pool-' || g, cpu_cores => 8, slots => 5)) FROM generate_series(1, 10) g;
});
my $kills = 0;
for (1 .. 5)
{
	$kills += $node->safe_psql('postgres',
		q{SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM ffrtmp.scheduler_status() WHERE leader});
	$node->safe_psql('postgres', q{UPDATE ffrtmp_data.jobs SET state = 'running' WHERE state = 'assigned';
	                               UPDATE ffrtmp_data.jobs SET state = 'completed' WHERE state = 'running'});
	select(undef, undef, undef, 0.3);
}
ok($node->poll_query_until('postgres', q{SELECT count(*) FILTER (WHERE leader) = 1 FROM ffrtmp.scheduler_status()}),
	'a leader is back');
is($node->safe_psql('postgres', q{SELECT count(*) FROM (SELECT job_id, attempt FROM ffrtmp.job_events
	WHERE to_state = 'assigned' GROUP BY 1, 2 HAVING count(*) > 1) twice}), '0', 'no job was assigned twice');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters are exact');
cmp_ok($kills, '>=', 1, 'leaders were killed mid-dispatch');
# A leader killed between taking the lock and committing its term leaves no
# epoch behind, so count only that leadership changed hands with new epochs.
ok($node->poll_query_until('postgres', q{SELECT epoch > 1 FROM ffrtmp_data.scheduler_state}),
	'new leaders took new epochs');

$node->stop;
done_testing();
