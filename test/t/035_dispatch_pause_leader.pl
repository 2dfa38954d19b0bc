# Dispatch pauses with the real scheduler leader making the passes: a paused
# tenant's job submitted while the leader runs stays queued through its
# passes, another tenant's job goes meanwhile, and resume_dispatch() wakes
# the leader, which then assigns the job (the interval is an hour, so only
# the wake can do it in time).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pause_leader');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = '1h'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('a', plan => 'pro');
	SELECT ffrtmp.create_tenant('b', plan => 'pro');
	SELECT ffrtmp.register_node('pool', cpu_cores => 16, slots => 4);
});
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');

sub states
{
	my ($tenant) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT string_agg(j.state, ',' ORDER BY j.id) FROM ffrtmp_data.jobs j
		  JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = '$tenant'});
}

# A pause of tenant a, then a job of each tenant.
is($node->safe_psql('postgres', q{SELECT ffrtmp.pause_dispatch('a')}), 't', 'tenant a is paused');
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'a')});
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'b')});
ok($node->poll_query_until('postgres', q{
	SELECT j.state = 'assigned' FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
	 WHERE t.name = 'b'}), 'the leader assigns the unpaused tenant\'s job');
# dispatch() with a leader running returns after a pass of the leader's that began after the call.
$node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()');
$node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()');
is(states('a'), 'queued', 'the paused tenant\'s job stays queued through the leader\'s passes');

# The same for one queue of every tenant.
$node->safe_psql('postgres', q{SELECT ffrtmp.pause_dispatch(queue => 'batch')});
$node->safe_psql('postgres', q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'b', queue => 'batch')});
$node->safe_psql('postgres', 'SELECT ffrtmp.dispatch()');
is(states('b'), 'assigned,queued', 'a paused queue\'s job stays queued too');

# Resuming wakes the leader (its interval is an hour): the jobs are assigned.
is($node->safe_psql('postgres', q{SELECT ffrtmp.resume_dispatch('a')}), 't', 'tenant a is resumed');
ok($node->poll_query_until('postgres', q{
	SELECT j.state = 'assigned' FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id
	 WHERE t.name = 'a'}), 'the leader, woken by the resume, assigns the job');
$node->safe_psql('postgres', q{SELECT ffrtmp.resume_dispatch(queue => 'batch')});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM ffrtmp_data.jobs WHERE state = 'queued'}),
	'and the batch job once its queue is resumed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_usage()}), '0', 'the usage counters stay exact');

$node->stop;
done_testing();
