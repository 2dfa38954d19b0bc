# A pass woken by work dispatches and leaves recovery and the upkeep (rejecting what no
# node can run, pruning, sealing the audit log) to its timer: the upkeep scans
# what no wake-up concerns, and runs at most once per
# ffrtmp.scheduler_interval.  ffrtmp.dispatch() serves a whole pass, upkeep
# included.  (Before, every pass did it all, in the transaction whose commit
# tells the nodes of their work.)
#
# The timer is set to its longest, 60 s, and jobs no node can run are
# rejected after 1 s: a job submitted for a node that does not exist is still
# queued after a woken pass, and rejected by the next whole pass.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('upkeep');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '60s'
ffrtmp.reject_unrunnable_after = '1s'
ffrtmp.node_timeout = '3600s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');

sub sql { $node->safe_psql('postgres', $_[0]) }
sub state_of { sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $_[0]") }

sql(q{SELECT ffrtmp.create_tenant('up', plan => 'enterprise')});
sql(q{SELECT ffrtmp.register_node('up-node', cpu_cores => 8, slots => 4, tenant => 'up')});

# A job asking for more cores than any node has, and a whole pass at once:
# it has not waited 1 s yet, so it stays queued.
my $big = sql(q{SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'up', cpu_cores => 64)});
sql('SELECT ffrtmp.dispatch()');
is(state_of($big), 'queued', 'a job no node can run waits its time');
usleep(1_500_000);

# A job that fits wakes the leader: the woken pass assigns it, and leaves
# the upkeep (the rejection of the big job, due by now) to the timer.
my $small = sql(q{SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'up')});
ok($node->poll_query_until('postgres', "SELECT state = 'assigned' FROM ffrtmp_data.jobs WHERE id = $small"),
	'a submit wakes a pass that assigns the job');
is(state_of($big), 'queued', 'that pass does no upkeep: the job no node can run is not rejected yet');

sql('SELECT ffrtmp.dispatch()');
is(state_of($big), 'rejected', 'a whole pass (ffrtmp.dispatch()) rejects it');
is(sql(qq{SELECT failure_reason FROM ffrtmp_data.jobs WHERE id = $big}), 'capability_mismatch', 'as capability_mismatch');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters are exact');

# Finding the jobs no node can run reads the whole queue: with a million
# queued jobs that takes longer than an interval, so the step runs at most
# every sixtieth of ffrtmp.reject_unrunnable_after (10 s for 600 s), not on
# every whole pass (every 100 ms here: some 40 runs in 4 s before).
$node->append_conf('postgresql.conf', qq{
ffrtmp.scheduler_interval = '100ms'
ffrtmp.reject_unrunnable_after = '600s'
track_functions = 'pl'
});
$node->restart;
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs again');
usleep(1_500_000);
my $calls = q{SELECT coalesce(sum(calls), 0) FROM pg_stat_user_functions WHERE funcname = 'reject_unrunnable'};
my $before = sql($calls);
usleep(4_000_000);
my $runs = sql($calls) - $before;
cmp_ok($runs, '<=', 1, "the rejection step ran at most once in 4 s of 100 ms passes ($runs)");
ok($node->poll_query_until('postgres', q{SELECT last_pass > now() - interval '1 s' FROM ffrtmp_data.scheduler_shared()}),
	'while the passes go on');

$node->stop;
done_testing();
