# Versions of the REST API (docs/rest.md#versions): a v2 schema beside
# v1's, selected the way PostgREST v12.2.9 selects it (FfrtmpRest:
# Accept-Profile for GET/HEAD, Content-Profile otherwise, the first of
# db-schemas without one, 406 for a schema not listed), answers v2
# clients with v2's arguments while v1 clients get v1's answer unchanged;
# and the shipped nginx sketch of /v2/ (deploy/nginx/*.example) sends the
# v2 profile while /v1/ still sends ffrtmp, with the Deprecation and
# Sunset headers on a path marked deprecated.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use HTTP::Tiny;
use FfrtmpNeed;
use FfrtmpNginx;
use FfrtmpServers;
use FfrtmpRest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# v2 as the docs describe it: a schema of functions over the same data,
# here get_tenant with its argument renamed (v1's is "tenant").
my $node = FfrtmpRest::cluster('versions', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	CREATE SCHEMA ffrtmp_v2 AUTHORIZATION ffrtmp_owner;
	COMMENT ON SCHEMA ffrtmp_v2 IS 'Version 2 of the REST API.';
	GRANT USAGE ON SCHEMA ffrtmp_v2 TO ffrtmp_anon, ffrtmp_api;
	CREATE FUNCTION ffrtmp_v2.get_tenant(tenant_name text) RETURNS ffrtmp.tenants
	  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
	  AS $$ SELECT * FROM ffrtmp.get_tenant(tenant => tenant_name) $$;
	COMMENT ON FUNCTION ffrtmp_v2.get_tenant(text) IS 'One tenant by id or name (v2: tenant_name).';
	ALTER FUNCTION ffrtmp_v2.get_tenant(text) OWNER TO ffrtmp_owner;
	REVOKE ALL ON FUNCTION ffrtmp_v2.get_tenant(text) FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION ffrtmp_v2.get_tenant(text) TO ffrtmp_api;
});
my $key = FfrtmpRest::api_key($node, 'viewer', 'acme', 'viewer');
my %auth = ('X-API-Key' => $key);
my @both = (schemas => [ 'ffrtmp', 'ffrtmp_v2' ]);

sub call { FfrtmpRest::request($node, path => '/rpc/get_tenant', @_) }
sub name_of { my ($r) = @_; ref $r->{body} eq 'ARRAY' ? $r->{body}[0]{name} : undef }

# v1 before v2 exists: the answer v1 clients rely on.
my $before = call(headers => \%auth, rpc => [ get_tenant => { tenant => 'acme' } ]);
is($before->{status}, 200, 'v1 alone: 200');
is(name_of($before), 'acme', 'v1 alone: the tenant');
is($before->{headers}{'Content-Profile'}, undef, 'v1 alone: no Content-Profile (one schema)');

# v2 listed after v1: a client sending no profile still gets v1.
my $r = call(@both, headers => \%auth, rpc => [ get_tenant => { tenant => 'acme' } ]);
is($r->{status}, 200, 'v1 client beside v2, no profile: 200');
is_deeply($r->{body}, $before->{body}, 'v1 client beside v2: the same answer as before v2');
is($r->{headers}{'Content-Profile'}, 'ffrtmp', 'v1 client beside v2: answered from ffrtmp');
$r = call(@both, profile => 'ffrtmp', headers => \%auth, rpc => [ get_tenant => { tenant => 'acme' } ]);
is_deeply([ $r->{status}, $r->{body} ], [ 200, $before->{body} ], 'Accept-Profile: ffrtmp: v1');

# v2 clients: v2's argument.
$r = call(@both, profile => 'ffrtmp_v2', headers => \%auth, rpc => [ get_tenant => { tenant_name => 'acme' } ]);
is($r->{status}, 200, 'Accept-Profile: ffrtmp_v2: 200');
is(name_of($r), 'acme', 'v2: the same tenant');
is($r->{headers}{'Content-Profile'}, 'ffrtmp_v2', 'v2: answered from ffrtmp_v2');

# Each version's arguments are its own: the other's is no such function.
$r = call(@both, profile => 'ffrtmp_v2', headers => \%auth, rpc => [ get_tenant => { tenant => 'acme' } ]);
is($r->{status}, 404, "v1's argument under v2: 404");
$r = call(@both, headers => \%auth, rpc => [ get_tenant => { tenant_name => 'acme' } ]);
is($r->{status}, 404, "v2's argument under v1: 404");

# POST reads Content-Profile, not Accept-Profile.
$r = call(@both, method => 'POST', headers => { %auth, 'Accept-Profile' => 'ffrtmp_v2' },
	rpc => [ get_tenant => { tenant => 'acme' } ]);
is_deeply([ $r->{status}, $r->{headers}{'Content-Profile'} ], [ 200, 'ffrtmp' ],
	'POST with Accept-Profile only: v1');
$r = call(@both, method => 'POST', profile => 'ffrtmp_v2', headers => \%auth,
	rpc => [ get_tenant => { tenant_name => 'acme' } ]);
is_deeply([ $r->{status}, $r->{headers}{'Content-Profile'} ], [ 200, 'ffrtmp_v2' ],
	'POST with Content-Profile: ffrtmp_v2: v2');

# A schema that is not served: 406, PostgREST's PGRST106.
for my $p ('ffrtmp_v3', 'ffrtmp_data')
{
	$r = call(@both, profile => $p, headers => \%auth, rpc => [ get_tenant => { tenant => 'acme' } ]);
	is($r->{status}, 406, "profile $p: 406");
	is($r->{body}{code}, 'PGRST106', "profile $p: PGRST106");
	is($r->{body}{message}, 'The schema must be one of the following: ffrtmp, ffrtmp_v2',
		"profile $p: the schemas served");
}
$r = call(profile => 'ffrtmp_v2', headers => \%auth, rpc => [ get_tenant => { tenant_name => 'acme' } ]);
is($r->{status}, 406, 'profile ffrtmp_v2 before v2 is listed in db-schemas: 406');

# v2 is still behind the pre-request function: no key, 401.
$r = call(@both, profile => 'ffrtmp_v2', rpc => [ get_tenant => { tenant_name => 'acme' } ]);
is($r->{status}, 401, 'v2 without credentials: 401');

# nginx: the shipped v1 site with the v2 sketch included, one path of v1
# marked deprecated, in front of a stand-in PostgREST that records what
# it receives (as test/t/052_nginx_rest.pl).
my $nginx = '/usr/sbin/nginx';
SKIP:
{
	skip_because 'nginx is not installed', 1 unless -x $nginx;
	my $deploy = abs_path(dirname(__FILE__) . '/../../deploy/nginx') // die 'no deploy/ beside test/';
	my $dir = abs_path(PostgreSQL::Test::Utils::tempdir());
	my $upstream = start_recording_upstream("$dir/upstream.jsonl");

	# The copies: v1's routes with GET|... /v1/tenants/{t}/stats deprecated
	# (the entry the file's comment shows), the v2 sketch included.
	my $sunset = 'Thu, 31 Dec 2026 23:59:59 GMT';
	my $routes = slurp_file("$deploy/ffrtmp-v1-routes.conf");
	$routes =~ s{(map \$uri \$ffrtmp_v1_deprecated \{\n    default "";\n)}
	  {$1    "~^/v1/tenants/[A-Za-z0-9_.-]+/stats\$"  "\@1798761600 $sunset";\n} or die 'no deprecation map';
	append_to_file("$dir/ffrtmp-v1-routes.conf", $routes);
	my $site = slurp_file("$deploy/ffrtmp-site.conf");
	$site =~ s{/etc/nginx/snippets/ffrtmp-v1-routes\.conf}{$dir/ffrtmp-v1-routes.conf} or die;
	$site =~ s{/etc/nginx/snippets/}{$deploy/}g;
	$site =~ s{(include \Q$dir\E/ffrtmp-v1-routes\.conf;)}{$1\ninclude $deploy/ffrtmp-v2-routes.conf.example;} or die;
	$site =~ s{(include \Q$deploy\E/ffrtmp-v1\.conf;)}{$1\n    include $deploy/ffrtmp-v2.conf.example;} or die;
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	$site =~ s{server 127\.0\.0\.1:3000;}{server 127.0.0.1:$upstream->{port};} or die 'no upstream in the site';
	$site =~ s{listen 80;}{listen 127.0.0.1:$port;} or die 'no listen in the site';
	$site =~ s{\n\s*listen \[::\]:80;}{};
	write_nginx_conf($dir, http => $site);
	start_nginx($dir, $port);

	my $http = HTTP::Tiny->new(timeout => 20);
	my $through = sub {
		my ($method, $path, %o) = @_;
		my $res = $http->request($method, "http://127.0.0.1:$port$path",
			{ headers => { ($o{headers}{Authorization} ? () : ('X-API-Key' => $key)), %{ $o{headers} // {} } },
			  (defined $o{body} ? (content => $o{body}) : ()) });
		return ($res, next_request($upstream));
	};

	my ($res, $got) = $through->(GET => '/v2/tenants/acme', headers => { 'Accept-Profile' => 'ffrtmp' });
	is($res->{status}, 200, 'nginx GET /v2/tenants/acme: 200');
	is("$got->{method} $got->{path}?$got->{query}", 'GET /rpc/get_tenant?tenant_name=acme',
		"GET /v2/tenants/acme: v2's arguments");
	is($got->{headers}{'accept-profile'}, 'ffrtmp_v2', 'GET /v2/: Accept-Profile ffrtmp_v2, the client\'s replaced');
	is($got->{headers}{'x-api-key'}, $key, 'GET /v2/: the key passed on');
	(undef, $got) = $through->(GET => '/v2/tenants/acme', headers => { Authorization => "Bearer $key" });
	is($got->{headers}{'x-api-key'}, $key, 'GET /v2/: a Bearer API key goes on as X-API-Key, as for /v1/');
	is($got->{headers}{authorization}, undef, 'GET /v2/: without the Authorization header');

	($res, $got) = $through->(POST => '/v2/tenants', body => '{"name":"initech"}',
		headers => { 'Content-Type' => 'application/json' });
	is("$got->{method} $got->{path}", 'POST /rpc/create_tenant', 'POST /v2/tenants: create_tenant');
	is($got->{headers}{'content-profile'}, 'ffrtmp_v2', 'POST /v2/: Content-Profile ffrtmp_v2');
	is($got->{body}, '{"name":"initech"}', "POST /v2/: the client's body");

	($res, $got) = $through->(GET => '/v1/tenants/acme', headers => { 'Accept-Profile' => 'ffrtmp_v2' });
	is("$got->{method} $got->{path}?$got->{query}", 'GET /rpc/get_tenant?tenant=acme',
		"GET /v1/tenants/acme beside v2: v1's arguments");
	is($got->{headers}{'accept-profile'}, 'ffrtmp', 'GET /v1/ beside v2: still Accept-Profile ffrtmp');
	is($res->{headers}{deprecation}, undef, 'a path not deprecated: no Deprecation header');
	is($res->{headers}{sunset}, undef, 'a path not deprecated: no Sunset header');
	($res, $got) = $through->(POST => '/v1/tenants', body => '{"name":"initech"}',
		headers => { 'Content-Type' => 'application/json', 'Content-Profile' => 'ffrtmp_v2' });
	is($got->{headers}{'content-profile'}, 'ffrtmp', 'POST /v1/ beside v2: still Content-Profile ffrtmp');

	($res, $got) = $through->(GET => '/v1/tenants/acme/stats');
	is("$got->{method} $got->{path}", 'GET /rpc/tenant_stats', 'a deprecated path is still served');
	is($res->{headers}{deprecation}, '@1798761600', 'a deprecated path: Deprecation (RFC 9745)');
	is($res->{headers}{sunset}, $sunset, 'a deprecated path: Sunset (RFC 8594)');

	($res, $got) = $through->(GET => '/v2/no-such-route');
	is($res->{status}, 404, 'nginx: an unknown /v2/ path is 404');
	is($got, undef, 'and does not reach PostgREST');
}

done_testing();
