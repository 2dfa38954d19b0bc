# What users made on release 0.1's objects survives ALTER EXTENSION ffrtmp
# UPDATE, or the update refuses, says why and what to do, and changes
# nothing: never a silent loss.  Release 0.2 replaces register_node with a
# new signature (protocol_version), and submit_job (retry_all_failures), so
# a privilege granted by hand on an old one, or an object that depends on it,
# stops the update; views of users over
# the extension's views and functions are kept as they are.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade_user_objects');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }
sub version { return sql(q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}); }

my $old = 'ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean)';
sql(q{CREATE EXTENSION ffrtmp VERSION '0.1'});
sql(q{SELECT ffrtmp.create_tenant('acme')});
sql(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme')});
sql(q{
	CREATE ROLE encoders NOLOGIN;
	CREATE VIEW public.job_board AS SELECT id, state FROM ffrtmp.jobs;
	CREATE VIEW public.usage_board AS SELECT tenant_name, active_jobs FROM ffrtmp.tenant_stats('acme');
});
sql("GRANT EXECUTE ON FUNCTION $old TO encoders");

my ($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE', extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($rc, 0, 'a privilege granted by hand on the old register_node stops the update');
like($err, qr/ERROR:  2BP01: ffrtmp.register_node has privileges granted by hand, to encoders/,
	'with an error naming the role');
like($err, qr/HINT:  Run REVOKE EXECUTE ON FUNCTION \Q$old\E FROM encoders; then ALTER EXTENSION ffrtmp UPDATE; then GRANT EXECUTE ON FUNCTION ffrtmp.register_node TO encoders\./,
	'and a hint saying what to run');
is(version(), '0.1', 'and the database is still at 0.1');
is(sql("SELECT has_function_privilege('encoders', '$old', 'EXECUTE')"), 't', 'with the privilege in place');

sql("REVOKE EXECUTE ON FUNCTION $old FROM encoders");
sql(q{CREATE FUNCTION public.add_node(n text) RETURNS bigint LANGUAGE sql
	BEGIN ATOMIC SELECT node_id FROM ffrtmp.register_node(n, 1); END});
($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE', extra_params => ['-v', 'VERBOSITY=verbose']);
isnt($rc, 0, 'a function that depends on the old register_node stops the update');
like($err, qr/ERROR:  2BP01: objects depend on ffrtmp.register_node: function public.add_node\(text\)/,
	'with an error naming it');
unlike($err, qr/CASCADE/, 'and no hint at a CASCADE that ALTER EXTENSION cannot take');
is(version(), '0.1', 'and the database is still at 0.1');

sql('DROP FUNCTION public.add_node(text)');

# submit_job is replaced too (it takes retry_all_failures): the same guard.
my $old_submit = 'ffrtmp.submit_job(text, text, text, jsonb, ffrtmp.priority, integer, timestamptz, interval, integer, integer, text, text, text)';
sql("GRANT EXECUTE ON FUNCTION $old_submit TO encoders");
($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE', extra_params => ['-v', 'VERBOSITY=verbose']);
like($err, qr/ERROR:  2BP01: ffrtmp.submit_job has privileges granted by hand, to encoders/,
	'a privilege granted by hand on the old submit_job stops the update, naming the role');
like($err, qr/HINT:  Run REVOKE EXECUTE ON FUNCTION \Q$old_submit\E FROM encoders;/, 'with the hint');
is(version(), '0.1', 'and the database is still at 0.1');
sql("REVOKE EXECUTE ON FUNCTION $old_submit FROM encoders");

sql('ALTER EXTENSION ffrtmp UPDATE');
is(version(), '0.2', 'without them the update runs');
sql('GRANT EXECUTE ON FUNCTION ffrtmp.register_node TO encoders');
is(sql(q{SELECT has_function_privilege('encoders',
	'ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean, integer)', 'EXECUTE')}),
	't', 'and the privilege is granted again on the new signature, as the hint says');
is(sql(q{SELECT retry_all_failures FROM ffrtmp.jobs}), 'f', 'a job of 0.1 keeps the classes\' rule');
is(sql('SELECT count(*) || state FROM public.job_board GROUP BY state'), '1queued',
	"a user's view over ffrtmp.jobs is kept and reads the jobs");
is(sql('SELECT tenant_name || active_jobs FROM public.usage_board'), 'acme1',
	"a user's view over ffrtmp.tenant_stats() is kept and reads the usage");
is(sql(q{SELECT count(*) FROM ffrtmp.verify_usage()}), '0', 'and the counters are exact');

$node->stop;
done_testing();
