# The library refuses to load unless preloaded, saying how to fix it; once
# preloaded, the extension works and its data and counters survive a restart.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('preload');
$node->init;
$node->start;

my ($rc, $stdout, $stderr) = $node->psql('postgres', 'CREATE EXTENSION ffrtmp');
isnt($rc, 0, 'CREATE EXTENSION fails without shared_preload_libraries');
like($stderr, qr/ffrtmp must be loaded via shared_preload_libraries/, 'the error says why');
like($stderr, qr/HINT:  Add ffrtmp to shared_preload_libraries in postgresql\.conf and restart the server\./,
	'the hint says how to fix it');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_extension WHERE extname = 'ffrtmp'"),
	'0', 'nothing was installed');

$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'");
$node->restart;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
$node->safe_psql('postgres', q{
	SELECT ffrtmp.create_tenant('survivor', plan => 'basic');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'survivor') FROM generate_series(1, 3);
});

$node->restart;
is($node->safe_psql('postgres', q{SELECT active_jobs || '/' || jobs_available FROM ffrtmp.tenant_stats('survivor')}),
	'3/47', 'usage counters survive a restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'),
	'0', 'counters still match a recount');
is($node->safe_psql('postgres', q{SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'survivor')}),
	'4', 'per-tenant numbering continues after the restart');

$node->stop;
done_testing();
