# Prepared transactions (PREPARE TRANSACTION, COMMIT PREPARED: what a
# transaction manager uses) wake the scheduler leader as a plain commit
# does.  A job submitted in one, or a slot freed in one, is dispatched
# within seconds of COMMIT PREPARED, not at the leader's 60 s timer; nothing
# is dispatched or ends a wait_for_job while the transaction is only
# prepared; ROLLBACK PREPARED leaves nothing behind.  (Before, COMMIT
# PREPARED woke nobody: the commit callback that wakes the leader never runs
# for a prepared transaction.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('two_phase');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = '60s'
ffrtmp.node_timeout = 3600
max_prepared_transactions = 4
});
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION ffrtmp});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM ffrtmp.scheduler_status() WHERE leader}),
	'setup: a leader runs');
sql(q{SELECT ffrtmp.create_tenant('tpc', plan => 'pro')});
my ($node_id, $token) = split /\|/,
  sql(q{SELECT node_id, session_token FROM ffrtmp.register_node('tpc-a', cpu_cores => 1, slots => 1, tenant => 'tpc')});

# Waits up to 10 s, far below the 60 s timer, for the query to return t.
sub within_seconds
{
	my ($query) = @_;
	for (1 .. 100)
	{
		return 1 if sql($query) eq 't';
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# The leader goes back to sleep on its long timer after the setup's wakes.
sub let_leader_sleep
{
	my $t0 = sql('SELECT clock_timestamp()');
	$node->poll_query_until('postgres', "SELECT clock_timestamp() > '$t0'::timestamptz + interval '2 s'");
	return sql('SELECT last_pass FROM ffrtmp_data.scheduler_shared()');
}

# --- a submit in a prepared transaction -----------------------------------
my $before = let_leader_sleep();
my $s = $node->background_psql('postgres');
my $first = $s->query_safe(q{BEGIN; SELECT (ffrtmp.submit_job('testsrc://', tenant => 'tpc')).id});
$first =~ s/\D//g;
$s->query_safe(q{PREPARE TRANSACTION 'submit'});
is(sql("SELECT count(*) FROM ffrtmp_data.jobs WHERE id = $first"), '0', 'a prepared submit is not visible yet');
sql(q{COMMIT PREPARED 'submit'});
ok(within_seconds("SELECT state = 'assigned' FROM ffrtmp_data.jobs WHERE id = $first"),
	'COMMIT PREPARED of a submit wakes the leader: the job is assigned within seconds, not at the 60 s timer');
isnt(sql('SELECT last_pass FROM ffrtmp_data.scheduler_shared()'), $before, 'by a pass after the commit');

# --- a freed slot in a prepared transaction -------------------------------
# The node's one slot is taken; a second job waits for it.  The first ends
# in a prepared transaction while a session waits for it.
sql("SELECT ffrtmp.start_job($first, 1, $node_id, '$token')");
my $second = sql(q{SELECT (ffrtmp.submit_job('testsrc://', tenant => 'tpc')).id});
my $w = $node->background_psql('postgres');
$w->query_until(qr/waiting/, "\\echo waiting\nSELECT 'result:' || state FROM ffrtmp.wait_for_job($first, '300 seconds');\n");
ok($node->poll_query_until('postgres', qq{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE query LIKE '%wait_for_job($first,%' AND wait_event_type = 'Extension'}), 'a session waits for the first job');
let_leader_sleep();
is(sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $second"), 'queued', 'the second job waits for the slot');
$s->query_safe(qq{BEGIN; SELECT ffrtmp.finish_job($first, 1, $node_id, '$token', 'completed'); PREPARE TRANSACTION 'finish'});
my $t0 = sql('SELECT clock_timestamp()');
$node->poll_query_until('postgres', "SELECT clock_timestamp() > '$t0'::timestamptz + interval '1.5 s'");
is(sql(qq{SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%wait_for_job($first,%' AND state = 'active'
	AND pid <> pg_backend_pid()}), '1', 'while the finish is only prepared, the wait goes on');
is(sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $second"), 'queued', 'and the slot is not free');
sql(q{COMMIT PREPARED 'finish'});
# The waiter is broadcast to at COMMIT PREPARED, but it also reads its job
# again every second, so how soon it returns cannot tell the two apart:
# this checks only that the committed end is what it returns.
like($w->query_until(qr/result:\w+/, ''), qr/result:completed/, 'COMMIT PREPARED ends the wait, with the job completed');
ok(within_seconds("SELECT state = 'assigned' FROM ffrtmp_data.jobs WHERE id = $second"),
	'and wakes the leader: the second job takes the freed slot within seconds');
$w->quit;

# --- ROLLBACK PREPARED ----------------------------------------------------
$s->query_safe(q{BEGIN; SELECT ffrtmp.submit_job('testsrc://', tenant => 'tpc', idempotency_key => 'gone');
	PREPARE TRANSACTION 'undone'});
sql(q{ROLLBACK PREPARED 'undone'});
is(sql(q{SELECT count(*) FROM ffrtmp_data.jobs WHERE idempotency_key = 'gone'}), '0',
	'ROLLBACK PREPARED leaves no job');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'and the usage counters stay exact');
$s->quit;

$node->stop('fast');
unlike(slurp_file($node->logfile), qr/terminated by signal|was terminated by exception/, 'the server stopped cleanly');
done_testing();
