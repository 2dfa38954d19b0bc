# The OpenAPI document of the /v1/ REST routes, docs/openapi.json, is what
# scripts/openapi writes from a fresh install, byte for byte; it is a valid
# OpenAPI 3.0 document for a real validator (swagger-cli, from npm, installed
# by scripts/install-deps.sh); and the generator refuses to leave out a
# function the API roles may call, or to keep a route whose function changed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;

for my $need ('docs/openapi.json', 'scripts/openapi', 'scripts/openapi.sql', 'scripts/openapi-routes.tsv') {
	plan skip_all => "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}

my $node = PostgreSQL::Test::Cluster->new('openapi');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
my @db = ('--', '-h', $node->host, '-p', $node->port, '-d', 'postgres');
my $dir = PostgreSQL::Test::Utils::tempdir('openapi');

# openapi(ROUTES-FILE or undef): runs the generator, with the routes file
# replaced by ROUTES-FILE's text when given; returns (ok, stdout, stderr).
sub openapi {
	my ($routes) = @_;
	my $scripts = 'scripts';
	if (defined $routes) {
		$scripts = "$dir/scripts";
		mkdir $scripts;
		for my $f ('openapi', 'openapi.sql') {
			system('cp', "scripts/$f", "$scripts/$f") == 0 or die "cp $f";
		}
		open my $fh, '>', "$scripts/openapi-routes.tsv" or die $!;
		print $fh $routes;
		close $fh;
	}
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'bash', "$scripts/openapi", @db ], '>', \$out, '2>', \$err);
	return ($ok, $out, $err);
}

# The checked-in document is the live catalog's.
my ($ok, $out, $err) = openapi();
ok($ok, 'scripts/openapi writes the document from the catalog') or diag($err);
my $generated = "$dir/openapi.json";
PostgreSQL::Test::Utils::append_to_file($generated, $out);
ok($ok && $out eq slurp_file('docs/openapi.json'), 'docs/openapi.json is what a fresh install generates')
  or diag(join '',
	"docs/openapi.json is stale; regenerate it, as root, with\n",
	"    bash scripts/openapi --fresh -o docs/openapi.json\n",
	"and commit it. The difference (- checked in, + generated):\n",
	scalar `diff -u docs/openapi.json '$generated' | head -n 100`);

# A real validator accepts it.
SKIP: {
	my $cli = grep { -x "$_/swagger-cli" } split /:/, $ENV{PATH};
	skip 'swagger-cli is not installed (scripts/install-deps.sh installs it)', 1 unless $cli;
	my ($vout, $verr) = ('', '');
	my $valid = IPC::Run::run([ 'swagger-cli', 'validate', 'docs/openapi.json' ], '>', \$vout, '2>', \$verr);
	ok($valid, 'swagger-cli validates docs/openapi.json as OpenAPI 3.0') or diag("$vout$verr");
}

# What a client reads in it: the issue's routes, each with its function's
# arguments where a client puts them, the COMMENT as text, and the error body.
my $doc = decode_json(slurp_file('docs/openapi.json'));
is($doc->{openapi}, '3.0.3', 'an OpenAPI 3.0 document');
for my $route ('POST /v1/tenants', 'GET /v1/tenants', 'GET /v1/tenants/{tenant}', 'PUT /v1/tenants/{tenant}',
	'DELETE /v1/tenants/{tenant}', 'GET /v1/tenants/{tenant}/stats', 'GET /v1/tenants/{tenant}/jobs',
	'GET /v1/tenants/{tenant}/nodes', 'POST /v1/jobs', 'GET /v1/jobs/{id}', 'POST /v1/jobs/{id}/cancel',
	'POST /v1/users', 'GET /v1/users', 'POST /v1/keys', 'GET /v1/keys', 'POST /v1/webhooks', 'GET /v1/webhooks',
	'GET /v1/audit', 'GET /v1/health', 'GET /v1/ready') {
	my ($method, $path) = split / /, $route;
	ok($doc->{paths}{$path}{ lc $method }, "$route is in the document");
}
my $get_job = $doc->{paths}{'/v1/jobs/{id}'}{get};
is_deeply([ map { $_->{'$ref'} // "$_->{in} $_->{name} $_->{schema}{type}/$_->{schema}{format}" } @{ $get_job->{parameters} } ],
	[ '#/components/parameters/TenantHeader', 'path id integer/int64' ],
	'GET /v1/jobs/{id}: X-Tenant-ID, and the job id in the path as a 64-bit integer');
my $comment = $node->safe_psql('postgres', q{SELECT obj_description('ffrtmp.get_job(bigint)'::regprocedure, 'pg_proc')});
like($get_job->{description}, qr/^\Q$comment\E/, "the operation's description is the function's COMMENT");
my $submit = $doc->{paths}{'/v1/jobs'}{post}{requestBody}{content}{'application/json'}{schema};
is_deeply($submit->{required}, [ 'input_url' ], 'POST /v1/jobs: the body requires exactly the arguments without a default');
is_deeply($submit->{properties}{max_attempts}, { type => 'integer', format => 'int32' }, '... an integer argument is an integer');
my $hook = $doc->{paths}{'/v1/webhooks'}{post}{requestBody}{content}{'application/json'}{schema};
is_deeply($hook->{properties}{events}, { type => 'array', items => { type => 'string' } }, 'a text[] argument is an array of strings');
my $permission = $node->safe_psql('postgres', q{SELECT permission FROM ffrtmp_data.function_permissions WHERE function = 'submit_job'});
is($doc->{paths}{'/v1/jobs'}{post}{'x-ffrtmp-permission'}, $permission, "POST /v1/jobs names the permission it needs ($permission)");
like($doc->{paths}{'/v1/jobs'}{post}{description}, qr/Permission: `\Q$permission\E`, held by [a-z_, ]+\./, '... with the roles holding it');
is_deeply($doc->{paths}{'/v1/invitations/accept'}{post}{security}, [], 'accepting an invitation (callable by PUBLIC) needs no credentials');
is($doc->{paths}{'/v1/jobs'}{post}{security}, undef, '... submitting a job needs the document-wide ones');
is_deeply($doc->{security}, [ { bearer => [] }, { apiKey => [] } ], '... a Bearer token or an X-API-Key header');
is($doc->{components}{schemas}{Error}{properties}{hint}{type}, 'string', "errors are PostgREST's body, with the hint");

# A function the API roles may call cannot be left out: a new one fails the
# generator until the routes file has a line for it ...
$node->safe_psql('postgres', q{
	CREATE FUNCTION ffrtmp.brand_new(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n';
	COMMENT ON FUNCTION ffrtmp.brand_new(integer) IS 'A new function';
	GRANT EXECUTE ON FUNCTION ffrtmp.brand_new(integer) TO ffrtmp_tenant});
($ok, $out, $err) = openapi();
ok(!$ok, 'a new callable function without a route line fails the generator');
like($err, qr/ffrtmp\.brand_new\(integer\) is callable by ffrtmp_admin or ffrtmp_tenant but has no line/,
	'... naming the function');
my $routes = slurp_file('scripts/openapi-routes.tsv');
($ok, $out, $err) = openapi($routes . "GET\t/v1/brand-new\tffrtmp.brand_new(integer)\n");
ok($ok, 'with its line, the document has it') or diag($err);
like($out, qr{"/v1/brand-new"}, '... as a route');

# ... and a changed signature fails it too, as does a path naming no argument.
$node->safe_psql('postgres', q{
	DROP FUNCTION ffrtmp.brand_new(integer);
	CREATE FUNCTION ffrtmp.brand_new(n bigint) RETURNS integer LANGUAGE sql AS 'SELECT 1';
	COMMENT ON FUNCTION ffrtmp.brand_new(bigint) IS 'A changed function';
	GRANT EXECUTE ON FUNCTION ffrtmp.brand_new(bigint) TO ffrtmp_tenant});
($ok, $out, $err) = openapi($routes . "GET\t/v1/brand-new\tffrtmp.brand_new(integer)\n");
ok(!$ok, 'a route whose function changed its arguments fails the generator');
like($err, qr/no function ffrtmp\.brand_new\(integer\)/, '... naming the old signature');
($ok, $out, $err) = openapi($routes . "GET\t/v1/brand-new/{m}\tffrtmp.brand_new(bigint)\n");
ok(!$ok, 'a path parameter that is no argument of the function fails the generator');
like($err, qr/\{m\} is no argument of ffrtmp\.brand_new\(bigint\)/, '... naming it');

$node->stop;
done_testing();
