# The plans' max_api_requests_per_minute holds for every tenant, whatever
# ffrtmp.api_request_counters is (docs/rest.md#rate-limits): once the rate
# table's tenant slots are taken, a new tenant takes the slot of one whose
# bucket is full again (an unlimited tenant's always is), and only when
# every slot is a tenant limited within the last minute is there no room:
# then a tenant whose plan has a limit is refused (429 until the first slot
# frees) and an unlimited one passes, both counted in the tenant-less
# "(other)" row.  The cluster keeps 2 slots.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpRest;

my $node = FfrtmpRest::cluster('ratefull', conf => "ffrtmp.api_request_counters = 2\n", sql => q{
	UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 1 WHERE name = 'basic';
	UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 0 WHERE name = 'pro';
	UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = NULL WHERE name = 'enterprise';
});
my %plan = (u1 => 'enterprise', u2 => 'enterprise', l1 => 'basic', l2 => 'basic', l3 => 'basic', z => 'pro');
$node->safe_psql('postgres', qq{SELECT ffrtmp.create_tenant('$_', plan => '$plan{$_}')}) for sort keys %plan;
my %key = map { ($_ => FfrtmpRest::api_key($node, $_, $_, 'viewer')) } keys %plan;

sub call
{
	my ($t, $path) = @_;
	return FfrtmpRest::request($node, method => 'GET', path => $path // '/rpc/tenant_stats',
		headers => { 'X-API-Key' => $key{$t} }, sql => 'SELECT 1');
}

# u1 (unlimited) takes a slot and both endpoint pairs; its third endpoint
# counts under its "(other)".
is(call('u1', '/a')->{status}, 200, 'an unlimited tenant passes');
is(call('u1', '/b')->{status}, 200, 'on a second endpoint');
is(call('u1', '/c')->{status}, 200, 'and a third (its "(other)")');

# l1 (1 a minute) takes the free slot; l2 finds the table full and takes
# u1's slot (an unlimited tenant's bucket is always full).
is(call('l1')->{status}, 200, 'a limited tenant takes the second slot');
is(call('l2')->{status}, 200, 'another limited tenant takes the unlimited one\'s slot');
my $r = call('l2');
is($r->{status}, 429, 'and is limited in it: its second request of the minute is refused');
is($r->{body}{message}, 'api request rate exceeded', 'by its rate');

# Both slots are tenants limited within the last minute: no room.
$r = call('l3');
is($r->{status}, 429, 'a third limited tenant is refused: the table is full (fail closed)');
is($r->{body}{code}, 'PT429', 'code PT429');
is($r->{body}{message}, "the server's api rate table is full", 'the message says the rate table is full');
is($r->{body}{details},
	'every one of its 2 slots is a tenant limited within the last minute; this tenant\'s plan allows 1 request per minute',
	'the details say why');
like($r->{body}{hint} // '', qr/ffrtmp\.api_request_counters/, 'the hint names the setting');
my $retry = $r->{headers}{'Retry-After'} // '';
like($retry, qr/^\d+$/, 'Retry-After in whole seconds');
ok($retry >= 1 && $retry <= 60, "when the first slot frees: between 1 and 60 s ($retry)");

$r = call('z');
is($r->{status}, 429, 'a tenant of a plan of 0 is refused although the table is full');
is($r->{headers}{'Retry-After'}, '60', 'with Retry-After 60');
is($r->{body}{message}, 'api request rate exceeded', 'by its plan');
is(call('u2')->{status}, 200, 'an unlimited tenant passes although the table is full');

# Every request is counted: u1's endpoint pairs stay when its slot is
# reused, its "(other)" moves to the tenant-less row with l3, z and u2.
my $counts = q{SELECT string_agg(concat_ws(' ', coalesce(tenant, '-'), endpoint, requests, refused), E'\n'
                               ORDER BY tenant COLLATE "C", endpoint COLLATE "C")
               FROM ffrtmp.api_request_counts()};
is($node->safe_psql('postgres', $counts), join("\n",
	'l1 (other) 1 0',
	'l2 (other) 2 1',
	'u1 /a 1 0',
	'u1 /b 1 0',
	'- (other) 4 2'), 'api_request_counts: every request and refusal counted');

done_testing();
