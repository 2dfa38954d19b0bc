# A tenant cannot hold a statement or an idle transaction open for long:
# tenant principals run under ffrtmp.tenant_statement_timeout and
# ffrtmp.tenant_idle_in_transaction_timeout (here 2 s and 1 s), whatever they
# SET themselves; administrators and the scheduler are not capped; a
# superuser's ALTER ROLE ... SET overrides the caps for one role.  Bounds in
# this file are "eventually", never a measured time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('timeouts');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '200ms'
ffrtmp.tenant_statement_timeout = '2s'
ffrtmp.tenant_idle_in_transaction_timeout = '1s'
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION ffrtmp;
SELECT name FROM ffrtmp.create_tenant('acme', plan => 'pro');
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
CREATE ROLE acme_users NOLOGIN;
CREATE ROLE carol LOGIN IN ROLE acme_users;
CREATE ROLE ops LOGIN IN ROLE ffrtmp_admin;
SELECT ffrtmp.add_tenant_role('acme', 'alice');
SELECT ffrtmp.add_tenant_role('acme', 'bob');
SELECT ffrtmp.add_tenant_role('acme', 'acme_users');
});

sub session
{
	my ($user) = @_;
	return $node->background_psql('postgres', extra_params => [ '-U', $user ], on_error_stop => 0);
}

# The sessions of a role still connected to the server.
sub sessions_of
{
	my ($user) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE usename = '$user'");
}

# Runs $sql as $user in its own session; returns (stdout, stderr), giving up
# after the tests' generous default timeout.
sub run_as
{
	my ($user, $sql) = @_;
	my ($out, $err, $timed_out) = ('', '', 0);
	$node->psql('postgres', $sql, extra_params => [ '-U', $user ], stdout => \$out, stderr => \$err,
		timeout => $PostgreSQL::Test::Utils::timeout_default, timed_out => \$timed_out);
	return ($out, $timed_out ? 'timed out' : $err);
}

# 1. Idle in a transaction that holds the tenant's usage row: the session is
# ended, its submit rolled back, and another session's submit for the
# tenant, which waits on that row, goes through.
my $idle = session('alice');
$idle->query_safe(q{BEGIN; SELECT count(*) FROM ffrtmp.submit_job('testsrc://')});
my ($submitted) = run_as('ops',
	q{SELECT count(*) FROM ffrtmp.submit_job('testsrc://', tenant => 'acme')});
is($submitted, '1', 'a submit waiting on an idle tenant transaction goes through');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = 'alice'}),
	'the idle tenant session is ended');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.jobs}), '1',
	'and its uncommitted job is gone with it');
like(slurp_file($node->logfile), qr/terminating connection due to idle-in-transaction timeout/,
	'the server log says why');
eval { $idle->quit };

# A tenant cannot lift the idle cap for its transaction: not with SET, SET
# LOCAL or set_config, nor through a group role.
for my $case (
	[ 'alice', q{BEGIN; SET idle_in_transaction_session_timeout = 0; SELECT 1}, 'SET' ],
	[ 'alice', q{BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0}, 'SET LOCAL' ],
	[ 'alice', q{BEGIN; SELECT set_config('idle_in_transaction_session_timeout', '0', false)}, 'set_config' ],
	[ 'alice', q{SET idle_in_transaction_session_timeout = '1h'; BEGIN; SELECT 1}, 'SET before BEGIN' ],
	[ 'carol', q{BEGIN; SELECT count(*) FROM ffrtmp.jobs}, 'a member of a mapped group' ])
{
	my ($user, $sql, $what) = @$case;
	my $s = session($user);
	$s->query($sql);
	ok($node->poll_query_until('postgres',
			"SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = '$user'"),
		"idle cap holds after $what");
	eval { $s->quit };
}

# 2. A statement longer than the cap is canceled, whatever the tenant set.
for my $case (
	[ q{SELECT pg_sleep(60)}, 'no statement_timeout of its own' ],
	[ q{SET statement_timeout = '1h'; SELECT pg_sleep(60)}, 'a longer statement_timeout' ],
	[ q{SET statement_timeout = 0; SELECT pg_sleep(60)}, 'statement_timeout = 0' ],
	[ q{SELECT set_config('statement_timeout', '0', false); SELECT pg_sleep(60)}, 'set_config' ],
	[ q{BEGIN; SET LOCAL statement_timeout = 0; SELECT pg_sleep(60)}, 'SET LOCAL in a transaction' ],
	[ q{SELECT sleepy_without_timeout(60)}, 'a function with SET statement_timeout = 0' ])
{
	my ($sql, $what) = @$case;
	$node->safe_psql('postgres', q{
CREATE OR REPLACE FUNCTION sleepy_without_timeout(seconds float8) RETURNS void
LANGUAGE sql SET statement_timeout = 0 AS $$ SELECT pg_sleep(seconds) $$;
}) if $what =~ /function/;
	my (undef, $err) = run_as('alice', $sql);
	like($err, qr/canceling statement due to statement timeout/, "statement cap holds with $what");
}
my ($mine) = run_as('alice', q{SET statement_timeout = '500ms'; SHOW statement_timeout});
is($mine, '500ms', "a tenant's own smaller statement_timeout stays");
my (undef, $refused) = run_as('alice', q{SET ffrtmp.tenant_statement_timeout = 0});
like($refused, qr/permission denied to set parameter/, 'a tenant cannot change its caps');

# 3. A tenant's idle REPEATABLE READ snapshot stops holding back the xmin
# horizon (what VACUUM may remove) once the idle cap has passed.
my $rr = session('alice');
is($rr->query_safe(q{BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM ffrtmp.jobs;
SELECT backend_xmin IS NOT NULL FROM pg_stat_activity WHERE pid = pg_backend_pid()}),
	"1\nt", 'a REPEATABLE READ tenant transaction holds an xmin');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = 'alice' AND backend_xmin IS NOT NULL}),
	'which goes once the tenant has been idle for the cap');
eval { $rr->quit };

# 4. Administrators and the scheduler are not capped.
my ($admin_sleep, $admin_err) = run_as('ops', q{SELECT pg_sleep(3), current_setting('statement_timeout')});
is($admin_sleep, '|0', 'an administrator may run longer than the tenant cap') or diag $admin_err;
my $admin = session('ops');
$admin->query_safe(q{BEGIN; SELECT 1});
sleep 3;
is($admin->query_safe(q{SELECT 2; COMMIT}), '2', 'an administrator may stay idle in a transaction longer');
$admin->quit;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity
  WHERE backend_type = 'ffrtmp scheduler' AND backend_start < now() - interval '3 seconds'}),
	'1', 'the scheduler keeps its session');

# 5. A superuser's ALTER ROLE ... SET overrides the caps for that role.
$node->safe_psql('postgres', q{
ALTER ROLE bob SET ffrtmp.tenant_idle_in_transaction_timeout = '1h';
ALTER ROLE bob SET ffrtmp.tenant_statement_timeout = 0;
});
my $bob = session('bob');
$bob->query_safe(q{BEGIN; SELECT count(*) FROM ffrtmp.jobs});
sleep 3;
is($bob->query_safe(q{SELECT 2; COMMIT}), '2', 'ALTER ROLE ... SET lifts the idle cap for that role');
is($bob->query_safe(q{SELECT pg_sleep(3)}), '', 'and the statement cap');
$bob->quit;

done_testing();
