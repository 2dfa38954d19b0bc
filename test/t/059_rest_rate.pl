# REST API requests counted per tenant and endpoint in shared memory, and the
# plan's max_api_requests_per_minute answered with 429 and Retry-After
# (docs/rest.md#rate-limits), through PostgREST's statements replayed by
# FfrtmpRest.  The cluster keeps 4 counters, so that the table fills up and
# the "(other)" endpoint shows.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpRest;

my $node = FfrtmpRest::cluster('rate', conf => "ffrtmp.api_request_counters = 4\n", sql => q{
	UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 2 WHERE name = 'basic';
	SELECT ffrtmp.create_tenant('acme', plan => 'basic');
	SELECT ffrtmp.create_tenant('globex', plan => 'basic');
	SELECT ffrtmp.create_tenant('initech', plan => 'enterprise');
});
my %key = map { ($_ => FfrtmpRest::api_key($node, $_, $_, 'viewer')) } qw(acme globex initech);

sub call
{
	my ($tenant, %r) = @_;
	return FfrtmpRest::request($node, headers => { 'X-API-Key' => $key{$tenant} },
		sql => q{SELECT json_build_object('tenant', ffrtmp.current_tenant())}, %r);
}

# A plan of 2 requests a minute: 2 pass, the next is refused.
my $r = call('acme', method => 'GET', path => '/jobs');
is($r->{status}, 200, 'a GET (READ ONLY transaction) passes and is counted');
$r = call('acme', method => 'POST', path => '/rpc/whoami');
is($r->{status}, 200, 'the second request of the minute passes');
$r = call('acme', method => 'POST', path => '/rpc/whoami');
is($r->{status}, 429, 'the third is 429');
my $retry = $r->{headers}{'Retry-After'} // '';
like($retry, qr/^\d+$/, 'with a Retry-After in whole seconds');
ok($retry >= 1 && $retry <= 30, "between 1 and 30: the bucket of 2 refills one request every 30 s ($retry)");
is($r->{body}{code}, 'PT429', 'body code PT429');
is($r->{body}{message}, 'api request rate exceeded', 'body message');
is($r->{body}{details}, '2 requests per minute for plan basic', 'details name the limit and the plan');
my $unit = $retry == 1 ? 'second' : 'seconds';
like($r->{body}{hint} // '', qr/^Retry after $retry $unit[,;]/, 'the hint says when to retry');

# Another tenant of the same plan has its own rate; an unlimited plan none.
is(call('globex', method => 'POST', path => '/rpc/whoami')->{status}, 200, 'another tenant is unaffected');
my @unlimited = map { call('initech', method => 'POST', path => '/rpc/whoami')->{status} } 1 .. 5;
is_deeply(\@unlimited, [ (200) x 5 ], 'an unlimited plan is never refused');

# The 4 counters are taken: new endpoints count under "(other)".
is(call('acme', method => 'GET', path => '/tenants')->{status}, 429, 'acme is still refused');
is(call('initech', method => 'GET', path => '/jobs')->{status}, 200, 'initech passes');

my $counts = q{SELECT string_agg(concat_ws(' ', coalesce(tenant, '-'), endpoint, requests, refused), E'\n'
                               ORDER BY tenant COLLATE "C", endpoint COLLATE "C")
               FROM ffrtmp.api_request_counts()};
is($node->safe_psql('postgres', $counts), join("\n",
	'acme (other) 1 1',
	'acme /jobs 1 0',
	'acme /rpc/whoami 2 1',
	'globex /rpc/whoami 1 0',
	'initech (other) 1 0',
	'initech /rpc/whoami 5 0'), 'api_request_counts: exact requests and refusals per endpoint, "(other)" past the table');

# A tenant principal reads its own tenant's counts only (this request is
# counted first, under globex's "(other)").
$r = call('globex', method => 'POST', path => '/rpc/api_request_counts', rpc => ['api_request_counts']);
is($r->{status}, 200, 'a tenant key reads the counts');
is_deeply([ sort map { "$_->{tenant} $_->{endpoint} $_->{requests} $_->{refused}" } @{ $r->{body} } ],
	[ 'globex (other) 1 0', 'globex /rpc/whoami 1 0' ], "its own tenant's rows only");

# The limit is read at each request: a changed plan counts at once.
$node->safe_psql('postgres', q{UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = NULL WHERE name = 'basic'});
is(call('acme', method => 'POST', path => '/rpc/whoami')->{status}, 200, 'a plan made unlimited lets acme through');
$node->safe_psql('postgres', q{UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 0 WHERE name = 'pro'});
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('globex', plan => 'pro')});
$r = call('globex', method => 'POST', path => '/rpc/whoami');
is($r->{status}, 429, 'a plan of 0 refuses every request');
is($r->{headers}{'Retry-After'}, '60', 'with Retry-After 60');
like($r->{body}{hint}, qr/^Retry after 60 seconds; no API requests are allowed/, 'and a hint saying none are allowed');

# A tenant's override wins over its plan's rate, as for the other quotas.
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('initech', quotas => '{"max_api_requests_per_minute": 1}')});
is(call('initech', method => 'POST', path => '/rpc/whoami')->{status}, 200, 'an override of 1 a minute: one passes');
$r = call('initech', method => 'POST', path => '/rpc/whoami');
is($r->{status}, 429, 'the next is refused');
is($r->{body}{details}, '1 request per minute for this tenant (its override of plan enterprise)', 'naming the limit in force');
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('initech', quotas => '{"max_api_requests_per_minute": "default"}')});
is(call('initech', method => 'POST', path => '/rpc/whoami')->{status}, 200, 'back to the plan\'s: unlimited again');

# Counting is PostgREST's (ffrtmp_api's): a tenant's own database role may
# not burn its tenant's rate.
$node->safe_psql('postgres', q{CREATE ROLE acme_app LOGIN; SELECT ffrtmp.add_tenant_role('acme', 'acme_app')});
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT ffrtmp_data.count_api_request()',
	extra_params => [ '-U', 'acme_app' ]);
like($err, qr/permission denied/, 'count_api_request is not open to tenant roles');

done_testing();
