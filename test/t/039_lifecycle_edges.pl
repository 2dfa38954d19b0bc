# Edges of the job lifecycle with the real scheduler leader, found by trying
# to break it:
#  1. ffrtmp.reject_unrunnable_after = 0 never rejects, and ready() says so:
#     its warning about jobs no node can run does not promise a rejection
#     that never comes; set at runtime (reload), the warning names the time,
#     and once the job has waited that long the leader rejects it.
#  2. (todo) A node registers again while its old session starts an attempt:
#     the registration's transaction began before the start's, so the
#     attempt's started_at is later than the node's registered_at, and a
#     heartbeat of the new session without a job list keeps the old
#     session's attempt running, with no owner and no time limit.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lifecycle_edges');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '1h'
ffrtmp.reject_unrunnable_after = 0
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('big', plan => 'pro');
	SELECT ffrtmp.update_tenant('big', quotas => '{"max_cpu_cores": null}');
	SELECT ffrtmp.register_node('pool-8', cpu_cores => 8, slots => 2);
});
ok($node->poll_query_until('postgres', q{SELECT (ffrtmp.health() ->> 'leader_pid') IS NOT NULL}), 'a leader runs');

# 1. A job no node can run, waiting an hour already.
my $huge = $node->safe_psql('postgres', q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'big', cpu_cores => 64)).id});
$node->safe_psql('postgres', qq{UPDATE ffrtmp_data.jobs SET run_after = now() - interval '1 hour',
	updated_at = now() - interval '1 hour' WHERE id = $huge});
sleep 1;    # ten passes of the leader
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.jobs WHERE id = $huge"), 'queued',
	'with ffrtmp.reject_unrunnable_after = 0 the leader rejects nothing');
my $warning = $node->safe_psql('postgres', q{SELECT ffrtmp.ready() -> 'warnings' ->> 0});
like($warning, qr/^1 queued jobs ask for CPU cores, GPUs or encoders/, 'ready() warns about the job');
unlike($warning, qr/rejected after/, 'without promising a rejection that never comes');
like($warning, qr/ffrtmp\.reject_unrunnable_after = 0/, 'and says why it waits');

# The job has waited less than the time set: the warning stays until the
# setting is lowered below its wait.  (It waited two hours before, and the
# leader could reject it before any read of ready() saw the warning.)
$node->safe_psql('postgres', q{ALTER SYSTEM SET ffrtmp.reject_unrunnable_after = '90min'; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', q{SELECT ffrtmp.ready() -> 'warnings' ->> 0 LIKE '%rejected after ffrtmp.reject_unrunnable_after (90min)%'}),
	'set at runtime, the warning names the time');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.jobs WHERE id = $huge"), 'queued',
	'a job that has waited less is not rejected');
# Lowered below its wait: the leader looks again within a sixtieth of the
# setting (30 s), and rejects it.
$node->safe_psql('postgres', q{ALTER SYSTEM SET ffrtmp.reject_unrunnable_after = '30min'; SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', qq{SELECT state = 'rejected' FROM ffrtmp.jobs WHERE id = $huge}),
	'and the leader rejects the job that has waited longer');
is($node->safe_psql('postgres', q{SELECT ffrtmp.ready() -> 'warnings'}), '[]', 'then nothing is left to warn about');

# 2. The node pool-8 runs a job of its old session; a new session registers in
# a transaction that began before the old session's start_job.
my ($pool, $old_token) = split /\|/, $node->safe_psql('postgres',
	q{SELECT node_id, session_token FROM ffrtmp.register_node('pool-8', cpu_cores => 8, slots => 2)});
my $job = $node->safe_psql('postgres', q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'big')).id});
ok($node->poll_query_until('postgres', qq{SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job}),
	'the leader dispatches a job to the node');
my $new_session = $node->background_psql('postgres');
$new_session->query_safe('BEGIN');
$new_session->query_safe('SELECT now()');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.start_job($job, 1, $pool, '$old_token')"), 'running',
	'the old session starts the attempt');
my $new_token = $new_session->query_safe(q{SELECT session_token FROM ffrtmp.register_node('pool-8', cpu_cores => 8, slots => 2)});
$new_session->query_safe('COMMIT');
$new_session->quit;
is($node->safe_psql('postgres', "SELECT ffrtmp.node_heartbeat($pool, '$new_token', NULL)"), 'online',
	'the new session heartbeats without a job list');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.jobs WHERE id = $job"), 'retrying',
	'the old session\'s attempt, which no one lists, ends and is retried');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the usage counters stay exact');

$node->stop;
done_testing();
