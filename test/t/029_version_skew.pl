# Library/SQL version skew, as during an upgrade: the server preloads the new
# library while the database still has the old SQL.  The schedulers notice,
# say once what to run, make no pass (nothing is dispatched against SQL they
# were not built for) and look again every interval; the API's C functions
# keep working on the old SQL.  After ALTER EXTENSION ffrtmp UPDATE they say
# once that they resume, and dispatch.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('skew');
$node->init;
# Two schedulers: the skew is still logged once, not once per worker.
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 2
ffrtmp.scheduler_interval = '100ms'
});
$node->start;

# Lines of the server log written since $offset that match $re.
sub log_lines
{
	my ($offset, $re) = @_;
	my $log = substr(slurp_file($node->logfile), $offset);
	return scalar(() = $log =~ /$re/g);
}

my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{CREATE EXTENSION ffrtmp VERSION '0.1'});
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}), '0.1',
	'the database has the SQL of 0.1');

# A node and a job, through the 0.1 API (C functions of the new library).
my ($node_id, $token) = split /\|/, $node->safe_psql('postgres',
	q{SELECT node_id, session_token FROM ffrtmp.register_node('skew-1', cpu_cores => 4, slots => 1)});
my $job = $node->safe_psql('postgres', q{SELECT id FROM ffrtmp.submit_job('testsrc://')});
ok($job, 'a job is submitted');

my $skew = qr/WARNING:  ffrtmp scheduler: library 0\.2 is loaded but database "postgres" has ffrtmp 0\.1 installed/;
my $hint = qr/HINT:  Run ALTER EXTENSION ffrtmp UPDATE in database "postgres"\./;
# The node stays alive throughout (heartbeats), so that only the skew can
# keep the job from being dispatched: wait for the warning, then many
# intervals (100 ms each) more.
my $after = 15;
for (1 .. 300)
{
	$node->safe_psql('postgres', "SELECT ffrtmp.node_heartbeat($node_id, '$token')");
	$after-- if log_lines($offset, $skew) >= 1;
	last if $after == 0;
	select(undef, undef, undef, 0.2);
}
is(log_lines($offset, $skew), 1, 'the skew is logged once over many intervals, by one of the two schedulers');
is(log_lines($offset, $hint), 1, 'with a hint saying what to run');
is(log_lines($offset, qr/ERROR:/), 0, 'and no pass fails');
is($node->safe_psql('postgres',
		"SELECT state || ' ' || (SELECT count(*) FROM ffrtmp.job_events e WHERE e.job_id = j.id AND e.to_state = 'assigned')
		   FROM ffrtmp.jobs j WHERE j.id = $job"),
	'queued 0', 'no pass runs: the job stays queued and was never dispatched');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.scheduler_status()}), '2',
	'both schedulers stay, waiting');

# The 0.1 API's C functions on the old SQL: they answer or refuse, never crash.
my @calls = (
	q{SELECT ffrtmp.current_tenant() IS NOT NULL},
	q{SELECT ffrtmp.caller_is_admin()},
	q{SELECT ffrtmp_data.actor()},
	q{SELECT 'high'::ffrtmp.priority::text},
	q{SELECT (ffrtmp.create_tenant('skewed', plan => 'pro')).name},
	q{SELECT (ffrtmp.get_tenant('skewed')).plan},
	q{SELECT count(*) FROM ffrtmp.list_tenants()},
	q{SELECT (ffrtmp.update_tenant('skewed', plan => 'basic')).plan},
	q{CREATE ROLE skew_role; SELECT ffrtmp.add_tenant_role('skewed', 'skew_role')},
	q{SELECT ffrtmp.remove_tenant_role('skewed', 'skew_role')},
	q{SELECT (ffrtmp.tenant_stats('skewed')).active_jobs},
	q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'skewed', params => '{"crf": 22}')).state},
	q{SELECT count(*) FROM ffrtmp.tenant_jobs('skewed')},
	q{SELECT count(*) FROM ffrtmp.tenant_nodes('skewed')},
	qq{SELECT (ffrtmp.get_job($job)).state},
	q{SELECT (ffrtmp.cancel_job((SELECT id FROM ffrtmp.tenant_jobs('skewed') LIMIT 1))).state},
	q{SELECT (ffrtmp.retry_job((SELECT id FROM ffrtmp.tenant_jobs('skewed') LIMIT 1))).state},
	qq{SELECT ffrtmp.node_heartbeat($node_id, '$token')},
	q{SELECT epoch FROM ffrtmp_data.scheduler_shared()},
	q{SELECT (ffrtmp.delete_tenant('skewed')).deleted_at IS NOT NULL},
	q{SELECT (ffrtmp.restore_tenant('skewed')).deleted_at IS NULL},
	q{SELECT ffrtmp_data.jobs_in_hour('{}', '{}', 0)});
my $postmaster = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my @failed;
for my $call (@calls)
{
	my ($rc, $out, $err) = $node->psql('postgres', $call);
	push @failed, "$call: $err" if $rc != 0;
}
is(scalar(@failed), 0, 'every C function of the 0.1 API works on the old SQL') or diag(join("\n", @failed));
my ($rc, $out, $err) = $node->psql('postgres', "SELECT ffrtmp.node_heartbeat($node_id, 'stale')");
like($err, qr/ERROR:  session token of node $node_id is not current/, 'and refuses what it refuses, as an error');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $postmaster, 'and the server never restarted');
is(log_lines($offset, qr/terminated by signal/), 0, 'no backend crashed');

# The upgrade: the schedulers resume, say so once, and dispatch.
my $before_update = -s $node->logfile;
$node->safe_psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE');
ok($node->poll_query_until('postgres', "SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job"),
	'after ALTER EXTENSION ffrtmp UPDATE the job is dispatched');
my $resume = qr/LOG:  ffrtmp scheduler: database "postgres" has ffrtmp 0\.2 installed, as the library; passes resume/;
sleep 1;
is(log_lines($before_update, $resume), 1, 'the schedulers log once that they resume');
is(log_lines($offset, $skew), 1, 'and the skew was never logged again');
is(log_lines($before_update, qr/ERROR:/), 0, 'with no failed pass');

# The node works the job with its calls.
my $fetched = $node->safe_psql('postgres', "SELECT string_agg(id::text, ',') FROM ffrtmp.fetch_assigned($node_id, '$token')");
is($fetched, $job, 'the node fetches its job');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.start_job($job, 1, $node_id, '$token')"), 'running',
	'and starts it');
is($node->safe_psql('postgres', "SELECT state FROM ffrtmp.finish_job($job, 1, $node_id, '$token', 'completed', result => '{}')"),
	'completed', 'and completes it');

$node->stop;
done_testing();
