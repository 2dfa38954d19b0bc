# Every change that frees capacity or makes work runnable wakes the scheduler
# leader when it commits, so the next queued job is assigned at once rather
# than at the next timer pass: a finished, failed or timed-out attempt, a
# canceled assigned or running job, a heartbeat that ends an attempt its node
# no longer runs, a node joining or coming back online, a released or retried
# job, a raised quota, a lifted dispatch pause.
#
# The timer is set to its longest, 60 s, and each change must be dispatched
# within WAKE_BOUND seconds: only a wake can do that (a timer pass may still
# fall into some window by chance, but not into all of them).  The bound is
# not a speed requirement; a wake's pass takes milliseconds.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time usleep);

use constant WAKE_BOUND => 20;

my $node = PostgreSQL::Test::Cluster->new('wakes');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '60s'
ffrtmp.node_timeout = '3600s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');

sub sql { $node->safe_psql('postgres', $_[0]) }

# A tenant with its own node of one slot (no shared pool: no other tenant's
# work can take it); returns the node's id and token.
sub tenant_with_node
{
	my ($tenant, %o) = @_;
	my $quotas = $o{quotas} ? "'$o{quotas}'" : 'NULL';
	sql(qq{SELECT ffrtmp.create_tenant('$tenant', plan => 'enterprise')});
	sql(qq{SELECT ffrtmp.update_tenant('$tenant', quotas => $quotas)}) if $o{quotas};
	return register($tenant, $o{slots} // 1);
}

sub register
{
	my ($tenant, $slots) = @_;
	return split /\|/, sql(qq{SELECT node_id, session_token FROM ffrtmp.register_node('$tenant-node',
		cpu_cores => 8, slots => $slots, tenant => '$tenant')});
}

# Runs statements and returns their result once a pass that began after
# them is over (ffrtmp.dispatch() asks the leader for one and waits): no pass
# is pending then, and the next one is the one that something else wakes.
sub after_a_pass
{
	my ($statements) = @_;
	my $result = sql($statements);
	sql('SELECT ffrtmp.dispatch()');
	return $result;
}

sub submit
{
	my ($tenant) = @_;
	return after_a_pass(qq{SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => '$tenant')});
}

sub state_of { sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $_[0]") }

# Whether the job reaches the state within WAKE_BOUND seconds.
sub reaches
{
	my ($job, $state) = @_;
	my $deadline = time() + WAKE_BOUND;
	while (time() < $deadline)
	{
		return 1 if state_of($job) eq $state;
		usleep(100_000);
	}
	return 0;
}

# The job the node holds, started; a second job of the tenant then waits.
sub running_and_waiting
{
	my ($tenant, $id, $token) = @_;
	my $first = submit($tenant);
	ok(reaches($first, 'assigned'), "$tenant: a submitted job is assigned at once (submit wakes)");
	sql("SELECT ffrtmp.start_job($first, 1, $id, '$token')");
	my $second = submit($tenant);
	is(state_of($second), 'queued', "$tenant: the second job waits for the slot");
	return ($first, $second);
}

my ($id, $token, $first, $second);

# A completed attempt frees its slot.
($id, $token) = tenant_with_node('completes');
($first, $second) = running_and_waiting('completes', $id, $token);
sql("SELECT ffrtmp.finish_job($first, 1, $id, '$token', 'completed', '{}')");
ok(reaches($second, 'assigned'), 'a completed job\'s slot goes to the next job without a timer pass');

# A failed attempt (retried later) and a timed-out one free theirs.
for my $outcome ('failed', 'timed_out')
{
	my $tenant = 'ends-' . ($outcome =~ tr/_/-/r);
	($id, $token) = tenant_with_node($tenant);
	($first, $second) = running_and_waiting($tenant, $id, $token);
	sql("SELECT ffrtmp.finish_job($first, 1, $id, '$token', '$outcome', error => 'boom')");
	ok(reaches($second, 'assigned'), "a $outcome attempt's slot goes to the next job without a timer pass");
	is(state_of($first), 'retrying', "and the $outcome job waits for its retry");
}

# Canceling a running job, and an assigned one not yet started.
($id, $token) = tenant_with_node('cancels');
($first, $second) = running_and_waiting('cancels', $id, $token);
sql("SELECT ffrtmp.cancel_job($first)");
ok(reaches($second, 'assigned'), 'canceling a running job gives its slot to the next job');
my $third = submit('cancels');
sql("SELECT ffrtmp.cancel_job($second)");
ok(reaches($third, 'assigned'), 'canceling an assigned job gives its slot to the next job');

# A heartbeat listing fewer jobs than the node holds ends the missing attempt.
($id, $token) = tenant_with_node('beats');
($first, $second) = running_and_waiting('beats', $id, $token);
sql("SELECT ffrtmp.node_heartbeat($id, '$token', running_jobs => '{}')");
ok(reaches($second, 'assigned'), 'a heartbeat that frees a slot gives it to the next job');

# A node joining, and a node coming back online.
sql(q{SELECT ffrtmp.create_tenant('joins', plan => 'enterprise')});
$first = submit('joins');
is(state_of($first), 'queued', 'a job of a tenant without nodes waits');
($id, $token) = register('joins', 1);
ok(reaches($first, 'assigned'), 'a node that joins takes the waiting job without a timer pass');
sql("SELECT ffrtmp.start_job($first, 1, $id, '$token')");
sql("SELECT ffrtmp.finish_job($first, 1, $id, '$token', 'completed', '{}')");
sql("SELECT ffrtmp.leave_node($id, '$token')");
is(sql("SELECT state FROM ffrtmp_data.nodes WHERE id = $id"), 'offline', 'the node left');
$second = submit('joins');
($id, $token) = register('joins', 1);
ok(reaches($second, 'assigned'), 'a node back online takes the waiting job without a timer pass');

# A released job and a retried one become runnable.
($id, $token) = tenant_with_node('releases');
# (Submitted and held, or canceled, in one transaction: no pass sees them queued.)
$first = after_a_pass(q{SELECT (ffrtmp.hold_job(j.id)).id FROM ffrtmp.submit_job('testsrc://', tenant => 'releases') j});
is(state_of($first), 'held', 'a held job is not dispatched');
sql("SELECT ffrtmp.release_job($first)");
ok(reaches($first, 'assigned'), 'a released job is assigned without a timer pass');
sql("SELECT ffrtmp.start_job($first, 1, $id, '$token')");
sql("SELECT ffrtmp.cancel_job($first)");
$second = after_a_pass(q{SELECT (ffrtmp.cancel_job(j.id)).id FROM ffrtmp.submit_job('testsrc://', tenant => 'releases') j});
is(state_of($second), 'canceled', 'a canceled job is not dispatched');
sql("SELECT ffrtmp.retry_job($second)");
ok(reaches($second, 'assigned'), 'a retried job is assigned without a timer pass');

# A raised quota: one core in use of one allowed, on a node of two slots.
($id, $token) = tenant_with_node('quota', quotas => '{"max_cpu_cores": 1}', slots => 2);
($first, $second) = running_and_waiting('quota', $id, $token);
sql(q{SELECT ffrtmp.update_tenant('quota', quotas => '{"max_cpu_cores": 2}')});
ok(reaches($second, 'assigned'), 'raising a quota lets the waiting job run without a timer pass');

# A lifted dispatch pause.
($id, $token) = tenant_with_node('paused');
sql(q{SELECT ffrtmp.pause_dispatch(tenant => 'paused')});
$first = submit('paused');
is(state_of($first), 'queued', 'a paused tenant\'s job waits');
sql(q{SELECT ffrtmp.resume_dispatch(tenant => 'paused')});
ok(reaches($first, 'assigned'), 'resuming dispatch assigns it without a timer pass');

# Nothing lost or doubled: no node holds more jobs than its slots, every
# state change is in job_events, and the usage counters are exact.
is(sql(q{SELECT count(*) FROM ffrtmp_data.nodes n
          WHERE n.slots < (SELECT count(*) FROM ffrtmp_data.jobs j
                            WHERE j.node_id = n.id AND j.state IN ('assigned', 'running', 'paused'))}),
	'0', 'no node holds more jobs than it has slots');
is(sql(q{SELECT count(*) FROM ffrtmp_data.jobs j
          WHERE j.state <> coalesce((SELECT e.to_state FROM ffrtmp_data.job_events e
                                      WHERE e.job_id = j.id ORDER BY e.id DESC LIMIT 1), 'queued')}),
	'0', 'every job\'s last event is its state');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the usage counters are exact');

$node->stop;
done_testing();
