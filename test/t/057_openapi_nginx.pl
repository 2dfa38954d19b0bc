# The OpenAPI document and the nginx site describe the same /v1/ API: every
# operation of docs/openapi.json is served by exactly one route of the site's
# map (deploy/nginx/ffrtmp-v1-routes.conf), every route of the map is an
# operation of the document, and a route that calls a function (/rpc/NAME)
# calls the one the document names.  A route added on one side only fails
# here.  Static: reads both files, runs neither.
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $site = 'deploy/nginx/ffrtmp-v1-routes.conf';
for my $need ($site, 'docs/openapi.json') {
	skip_all_because "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}

# The map's lines: "~^METHOD /v1/...$"  "METHOD /target...";
my @routes;
for (split /\n/, slurp_file($site)) {
	next unless /^\s*"~(\^[A-Z]+ \/v1\/[^"]*)"\s+"([A-Z]+) ([^" ]+)/;
	push @routes, { key => $1, method => $2, target => $3, used => 0 };
}
cmp_ok(scalar @routes, '>', 0, "$site has /v1/ routes");

# A concrete request for each operation: path parameters get a value of
# their type.
my %sample = (integer => '42', uuid => '00000000-0000-4000-8000-000000000001', string => 'acme');
my $doc = decode_json(slurp_file('docs/openapi.json'));
for my $path (sort keys %{ $doc->{paths} }) {
	for my $method (sort keys %{ $doc->{paths}{$path} }) {
		my $op = $doc->{paths}{$path}{$method};
		my %type = map { $_->{name} => (($_->{schema}{format} // '') eq 'uuid' ? 'uuid' : $_->{schema}{type}) }
		  grep { ($_->{in} // '') eq 'path' } @{ $op->{parameters} };
		(my $uri = $path) =~ s/\{(\w+)\}/$sample{ $type{$1} }/g;
		my $request = uc($method) . " $uri";
		my @match = grep { $request =~ /$_->{key}/ } @routes;
		is(scalar @match, 1, "$request ($op->{operationId}): one route of the nginx site serves it");
		next unless @match == 1;
		$match[0]{used}++;
		if ($match[0]{target} =~ m{^/rpc/(\w+)}) {
			is($1, $op->{operationId}, "... calling the document's function");
		}
	}
}
for my $route (grep { !$_->{used} } @routes) {
	fail("the nginx route $route->{key} is an operation of docs/openapi.json");
}
done_testing();
