# ffrtmp.wait_for_job across sessions: one session waits for a running job
# while another starts it (not a final state: the wait goes on), completes it
# in an open transaction (not visible yet: the wait goes on) and commits (the
# wait ends, with the job completed).  The waiter sleeps on a condition
# variable (wait event type Extension), not on the CPU; cancel ends a wait,
# and statement_timeout shortens one; REPEATABLE READ is refused.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('wait_for_job');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 0
});
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION ffrtmp});
sql(q{SELECT ffrtmp.create_tenant('wait', plan => 'pro')});
my ($node_id, $token) = split /\|/,
  sql(q{SELECT node_id, session_token FROM ffrtmp.register_node('wait-a', cpu_cores => 4, slots => 4, tenant => 'wait')});
my ($job, $other) = split /\n/,
  sql(q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'wait')).id FROM generate_series(1, 2) ORDER BY 1});
is(sql('SELECT ffrtmp.dispatch()'), '2', 'setup: both jobs are assigned');

# How the session running wait_for_job(job) looks to pg_stat_activity.
sub waiter
{
	my ($id) = @_;
	return sql(qq{SELECT coalesce(string_agg(state || ' ' || coalesce(wait_event_type, '-') || ' ' || coalesce(wait_event, '-'), ','), 'none')
	                FROM pg_stat_activity WHERE query LIKE '%wait_for_job($id,%' AND pid <> pg_backend_pid()});
}

my $w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_until(qr/waiting/, "\\echo waiting\nSELECT 'result:' || state FROM ffrtmp.wait_for_job($job, '300 seconds');\n");
ok($node->poll_query_until('postgres', qq{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE query LIKE '%wait_for_job($job,%' AND wait_event_type = 'Extension' AND wait_event = 'Extension'}),
	'the waiter sleeps on its condition variable (wait event Extension), not on the CPU');

sql("SELECT ffrtmp.start_job($job, 1, $node_id, '$token')");
is(sql("SELECT state FROM ffrtmp.jobs WHERE id = $job"), 'running', 'another session starts the job');
# The commit of a state that is not final sends no wakeup, and each recheck
# (once a second) finds the job running: the waiter stays.
my $t0 = sql('SELECT clock_timestamp()');
$node->poll_query_until('postgres', "SELECT clock_timestamp() > '$t0'::timestamptz + interval '1.5 s'");
is(waiter($job), 'active Extension Extension', 'the wait goes on while the job runs');

my $s2 = $node->background_psql('postgres');
$s2->query_safe("BEGIN; SELECT ffrtmp.finish_job($job, 1, $node_id, '$token', 'completed')");
$t0 = sql('SELECT clock_timestamp()');
$node->poll_query_until('postgres', "SELECT clock_timestamp() > '$t0'::timestamptz + interval '1.5 s'");
is(waiter($job), 'active Extension Extension', 'and while the completion is not committed');
$s2->query_safe('COMMIT');
my $out = $w->query_until(qr/result:\w+/, '');
like($out, qr/result:completed/, 'the commit ends the wait, with the job completed');
like(waiter($job), qr/^idle /, 'and the waiter is idle');

# Cancel ends a wait.
$w->query_until(qr/waiting again/, "\\echo waiting again\nSELECT 'result:' || state FROM ffrtmp.wait_for_job($other, '300 seconds');\n");
ok($node->poll_query_until('postgres', qq{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE query LIKE '%wait_for_job($other,%' AND wait_event_type = 'Extension'}), 'a second wait sleeps');
sql(qq{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%wait_for_job($other,%' AND pid <> pg_backend_pid()});
$w->query('SELECT 1');
like($w->{stderr}, qr/canceling statement due to user request/, 'pg_cancel_backend ends it');
$w->quit;

# statement_timeout shortens a wait: it returns the job as it is, as a
# timeout does, rather than an error.  Tenant roles run under one
# (ffrtmp.tenant_statement_timeout, 30 s by default), shorter than
# wait_for_job's own default of 60 s.
my ($rc, $stdout, $stderr) = $node->psql('postgres',
	"SET statement_timeout = '300ms'; SELECT state FROM ffrtmp.wait_for_job($other, '300 seconds')");
is($rc, 0, 'a wait longer than statement_timeout is not an error');
is($stdout, 'assigned', 'it returns the job as it is');
sql(q{CREATE ROLE wait_user LOGIN});
sql(q{SELECT ffrtmp.add_tenant_role('wait', 'wait_user')});
sql(q{ALTER ROLE wait_user SET ffrtmp.tenant_statement_timeout = '2s'});
($rc, $stdout, $stderr) = $node->psql('postgres',
	"SELECT current_setting('statement_timeout') || ' ' || state FROM ffrtmp.wait_for_job($other, '300 seconds')",
	extra_params => ['-U', 'wait_user']);
is($stdout, '2s assigned', 'a tenant role waiting longer than its statement_timeout gets the job back') or diag($stderr);

($rc, $stdout, $stderr) = $node->psql('postgres',
	"BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT ffrtmp.wait_for_job($other, '1 second')");
like($stderr, qr/wait_for_job cannot wait in a REPEATABLE READ transaction/,
	'REPEATABLE READ is refused: its one snapshot would never show the job ending');

# A cancel in another session's transaction ends a wait too (any final state).
$w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_until(qr/waiting/, "\\echo waiting\nSELECT 'result:' || state FROM ffrtmp.wait_for_job($other, '300 seconds');\n");
ok($node->poll_query_until('postgres', qq{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE query LIKE '%wait_for_job($other,%' AND wait_event_type = 'Extension'}), 'a third wait sleeps');
sql("SELECT ffrtmp.cancel_job($other)");
like($w->query_until(qr/result:\w+/, ''), qr/result:canceled/, 'cancel_job in another session ends it');
$w->quit;
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters are exact');

$node->stop;
done_testing();
