# The built-in presets (ffrtmp_data.presets rows with tenant_id NULL, as a
# fresh install seeds them) are valid under the params contract
# (src/common/job_params): each is accepted by submit_job(preset => name),
# and the params the job then carries, which the worker fetches, are accepted
# by the worker's own check (ffrtmp-transcode --check-params).  Both sides
# refuse a key that is not in the contract's table, so a misspelled key in a
# seed row fails here.  And no one but the extension's owner can write a
# preset: there is no create_preset API for it to bypass the contract.
use strict;
use warnings;
use FfrtmpCluster;
use IPC::Run;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $transcode = $ENV{FFRTMP_TRANSCODE};
skip_all_because 'FFRTMP_TRANSCODE does not name an executable ffrtmp-transcode'
  unless defined $transcode && -x $transcode;
my $env = FfrtmpCluster->new('presets');

my @seeds = split /\n/, $env->sql(
	q{SELECT name || E'\t' || params::text FROM ffrtmp_data.presets WHERE tenant_id IS NULL ORDER BY name});
ok(@seeds >= 6, 'a fresh install seeds the built-in presets') or diag scalar(@seeds) . ' seeded';

# submit_job with preset => name, in a transaction rolled back (no quota
# used); returns the job's params, or undef and the error.
sub submit_with_preset
{
	my ($name) = @_;
	my $sql = "BEGIN;\nSELECT params::text FROM ffrtmp.submit_job('testsrc://', preset => "
	  . quote_literal($name) . ", tenant => 'acme');\nROLLBACK;";
	my ($rc, $out, $err) = $env->node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $rc == 0 && $out ne '' ? ($out, '') : (undef, $err);
}

# The worker's verdict: (1, '') accepted, (0, its message) refused.
sub worker_check
{
	my ($params) = @_;
	my ($out, $err);
	IPC::Run::run([ $transcode, '--check-params', "--params=$params" ], '>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	return (1, '') if $rc == 0 && $out eq "ok\n";
	return (0, "exit $rc: $out$err");
}

for my $line (@seeds)
{
	my ($name, $params) = split /\t/, $line, 2;
	my ($job_params, $db_error) = submit_with_preset($name);
	ok(defined $job_params, "preset $name: submit_job(preset => '$name') accepts it")
	  or diag $db_error;
	my ($ok, $message) = worker_check($params);
	ok($ok, "preset $name: the worker's check accepts its params") or diag "$params\n$message";
	SKIP:
	{
		skip "submit_job refused preset $name", 1 unless defined $job_params;
		($ok, $message) = worker_check($job_params);
		ok($ok, "preset $name: the worker accepts the params the job carries") or diag "$job_params\n$message";
	}
}

# A key outside the contract's table is refused by both sides: what would
# make a misspelled seed key fail above.
my ($ok, $message) = worker_check('{"vidoe_codec": "h264"}');
ok(!$ok && $message =~ /vidoe_codec/, 'the worker refuses an unknown key, naming it') or diag $message;
my ($rc, $out, $err) = $env->node->psql('postgres',
	q{SELECT ffrtmp.submit_job('testsrc://', params => '{"vidoe_codec": "h264"}', tenant => 'acme')});
ok($rc != 0 && $err =~ /vidoe_codec/, 'submit_job refuses an unknown key, naming it') or diag $err;

# No API writes presets, so none can skip the contract: tenants and
# administrators may only read them.
is($env->sql(q{SELECT count(*) FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data') AND p.proname ~ '(create|add|update|set|put)_preset'}),
	'0', 'there is no preset-writing function (one would have to check params as submit_job does)');
for my $role (qw(ffrtmp_tenant ffrtmp_admin))
{
	is($env->sql("SELECT pg_catalog.has_table_privilege('$role', 'ffrtmp_data.presets', 'INSERT')"
		  . " OR pg_catalog.has_table_privilege('$role', 'ffrtmp_data.presets', 'UPDATE')"
		  . " OR pg_catalog.has_table_privilege('$role', 'ffrtmp.presets', 'INSERT')"),
		'f', "$role cannot write presets");
}

done_testing();
