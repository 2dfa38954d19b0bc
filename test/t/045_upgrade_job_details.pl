# Release 0.2 replaces get_job and tenant_jobs (they return ffrtmp.job_details)
# and register_node: what users made on the 0.1 ones stops ALTER EXTENSION
# ffrtmp UPDATE rather than being lost, whoever it was granted to, PUBLIC
# included.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade_job_details');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }
sub version { return sql(q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}); }
sub update {
	my ($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE', extra_params => ['-v', 'VERBOSITY=verbose']);
	return ($rc, $err);
}

sql(q{CREATE EXTENSION ffrtmp VERSION '0.1'});
sql(q{SELECT ffrtmp.create_tenant('acme')});
sql(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme')});
sql(q{CREATE ROLE dashboards NOLOGIN});

sql('GRANT EXECUTE ON FUNCTION ffrtmp.tenant_jobs(text, text) TO dashboards');
my ($rc, $err) = update();
isnt($rc, 0, 'a privilege granted by hand on the old tenant_jobs stops the update');
like($err, qr/ERROR:  2BP01: ffrtmp.tenant_jobs has privileges granted by hand, to dashboards/,
	'with an error naming the role');
is(version(), '0.1', 'and the database is still at 0.1');
sql('REVOKE EXECUTE ON FUNCTION ffrtmp.tenant_jobs(text, text) FROM dashboards');

sql('GRANT EXECUTE ON FUNCTION ffrtmp.get_job(bigint) TO PUBLIC');
($rc, $err) = update();
isnt($rc, 0, 'so does one granted to PUBLIC on the old get_job');
like($err, qr/ERROR:  2BP01: ffrtmp.get_job has privileges granted by hand, to PUBLIC/,
	'saying so');
is(version(), '0.1', 'and the database is still at 0.1');
is(sql(q{SELECT has_function_privilege('dashboards', 'ffrtmp.get_job(bigint)', 'EXECUTE')}), 't',
	'with the privilege in place');
sql('REVOKE EXECUTE ON FUNCTION ffrtmp.get_job(bigint) FROM PUBLIC');

my $register = 'ffrtmp.register_node(text, integer, integer, integer, integer, text[], jsonb, text, boolean)';
sql("GRANT EXECUTE ON FUNCTION $register TO PUBLIC");
($rc, $err) = update();
like($err, qr/ERROR:  2BP01: ffrtmp.register_node has privileges granted by hand, to PUBLIC/,
	'as on the old register_node');
sql("REVOKE EXECUTE ON FUNCTION $register FROM PUBLIC");

sql(q{CREATE VIEW public.first_job AS SELECT id, state FROM ffrtmp.get_job(1)});
($rc, $err) = update();
isnt($rc, 0, 'a view over the old get_job stops the update');
like($err, qr/ERROR:  2BP01: objects depend on ffrtmp.get_job: .*first_job/, 'naming it');
sql('DROP VIEW public.first_job');

($rc, $err) = update();
is($rc, 0, 'without them the update runs');
is(version(), '0.2', 'to 0.2');
is(sql(q{SELECT tenant_name || ' ' || state FROM ffrtmp.get_job(1)}), 'acme queued', 'and get_job returns the details');

$node->stop;
done_testing();
