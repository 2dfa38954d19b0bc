# Swagger UI as shipped: the real nginx with deploy/nginx/ffrtmp-swagger-ui.conf,
# serving the swagger-ui-dist npm package, our initializer and
# docs/openapi.json (which test/t/055_openapi.pl checks against the catalog),
# loaded in real headless Chromium; the rendered page lists every operation
# of the document, method and path, and nothing else.
use strict;
use warnings;
use Cwd qw(abs_path);
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;
use FfrtmpNginx;
use FfrtmpProcess;

my $ui = '/usr/lib/node_modules/swagger-ui-dist';
for my $need ('deploy/nginx/ffrtmp-swagger-ui.conf', 'deploy/swagger-ui/swagger-initializer.js', 'docs/openapi.json') {
	skip_all_because "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}
skip_all_because "$ui is not installed (scripts/install-deps.sh installs swagger-ui-dist)" unless -f "$ui/index.html";
my ($chromium) = grep { -x $_ } ('/usr/bin/chromium', '/usr/bin/chromium-browser');
skip_all_because 'chromium is not installed (scripts/install-deps.sh installs it)' unless $chromium;

# The shipped location blocks, with the release's files where the test keeps them.
my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('swagger'));
mkdir "$dir/rest";
PostgreSQL::Test::Utils::append_to_file("$dir/rest/$_->[1]", slurp_file($_->[0]))
  for ([ 'docs/openapi.json', 'openapi.json' ], [ 'deploy/swagger-ui/swagger-initializer.js', 'swagger-initializer.js' ]);
my $locations = slurp_file('deploy/nginx/ffrtmp-swagger-ui.conf');
like($locations, qr{alias \Q$ui\E/;}, 'the include serves the swagger-ui-dist package');
$locations =~ s{/usr/share/ffrtmp/rest/}{$dir/rest/}g;
PostgreSQL::Test::Utils::append_to_file("$dir/swagger-ui.conf", $locations);

my $port = PostgreSQL::Test::Cluster::get_free_port();
write_nginx_conf($dir, http => <<"HTTP");
    include /etc/nginx/mime.types;
    server {
        listen 127.0.0.1:$port;
        include $dir/swagger-ui.conf;
    }
HTTP
my $nginx = start_nginx($dir, $port);

# Headless Chromium renders the page, scripts and the fetch of
# /v1/openapi.json included, then prints the DOM.
my ($dom, $err) = ('', '');
my $ran = IPC::Run::run(
	[
		$chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
		"--user-data-dir=$dir/chromium", '--virtual-time-budget=30000', '--dump-dom',
		"http://127.0.0.1:$port/v1/docs/"
	],
	'<', '/dev/null', '>', \$dom, '2>', \$err, IPC::Run::timeout(120));
ok($ran, 'headless chromium loads /v1/docs/') or diag($err);

my $doc = decode_json(slurp_file('docs/openapi.json'));
my @expected;
for my $path (sort keys %{ $doc->{paths} }) {
	push @expected, map { uc($_) . " $path" } sort keys %{ $doc->{paths}{$path} };
}
my @listed;
push @listed, "$1 $2" while $dom =~ m{opblock-summary-method">([A-Z]+)</span>.*?data-path="([^"]+)"}g;
@listed = sort @listed;
cmp_ok(scalar @expected, '>=', 40, 'the document has the /v1/ routes (' . scalar(@expected) . ' operations)');
is_deeply(\@listed, [ sort @expected ], 'Swagger UI lists every operation of docs/openapi.json, method and path')
  or diag("nginx access log:\n" . slurp_file("$dir/access.log"));
for my $route ('POST /v1/tenants', 'GET /v1/tenants/{tenant}/stats', 'POST /v1/jobs', 'POST /v1/jobs/{id}/cancel',
	'GET /v1/health', 'GET /v1/ready') {
	ok((grep { $_ eq $route } @listed), "$route is on the page");
}
like($dom, qr/ffrtmp REST API/, "the page shows the document's title (our initializer, not the package's example)");
unlike($dom, qr/petstore/i, "... and not swagger-ui-dist's Petstore example");

my $log = slurp_file("$dir/access.log");
like($log, qr{"GET /v1/openapi\.json HTTP/1\.1" 200 }, 'the UI fetched /v1/openapi.json through nginx');
stop_process($nginx);
done_testing();
