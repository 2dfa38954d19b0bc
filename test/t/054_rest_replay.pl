# The database side of the REST API, through PostgREST's own statements
# replayed by FfrtmpRest (docs/rest.md): the pre-request function
# authenticates an API key from Authorization: Bearer or X-API-Key and runs
# the request as ffrtmp_api; no key, or any wrong one, is 401 with
# WWW-Authenticate and one generic message; request headers are believed
# only from the authenticator role; SQLSTATEs reach the HTTP status
# PostgREST gives them, with the message and hint in its JSON body.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpRest;

my $node = FfrtmpRest::cluster('rest', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.create_tenant('globex', plan => 'pro');
	CREATE ROLE mallory LOGIN;
	GRANT ffrtmp_anon, ffrtmp_api TO mallory;
});
my $acme = FfrtmpRest::tenant_id($node, 'acme');
my %key = map { ($_->[0] => FfrtmpRest::api_key($node, $_->[0], 'acme', $_->[1])) }
  ([viewer => 'viewer'], [admin => 'tenant_admin'], [revoked => 'viewer']);
$node->safe_psql('postgres', q{
	SELECT ffrtmp.revoke_api_key(key_id) FROM ffrtmp_data.api_keys WHERE name = 'revoked'});

sub call { FfrtmpRest::request($node, @_) }

my $whoami = q{SELECT json_build_object('role', current_user, 'tenant', ffrtmp.current_tenant())};

# No credentials.
my $r = call(method => 'POST', path => '/rpc/list_tenants', rpc => ['list_tenants']);
is($r->{status}, 401, 'no credentials: 401');
is($r->{headers}{'WWW-Authenticate'}, 'Bearer', 'with a Bearer challenge');
is($r->{body}{message}, 'authentication required', 'and a message');
like($r->{body}{hint} // '', qr/X-API-Key/, 'whose hint says how to send a key');

# Wrong keys: all the same answer.
my @wrong = (
	[ 'a malformed X-API-Key', { 'X-API-Key' => 'not-a-key' } ],
	[ 'an unknown key', { 'X-API-Key' => 'ffrtmp_0123456789abcdef_' . ('0' x 48) } ],
	[ 'a revoked key', { 'X-API-Key' => $key{revoked} } ],
	[ 'a revoked key as Bearer', { Authorization => "Bearer $key{revoked}" } ]);
my %messages;
for my $w (@wrong)
{
	my ($what, $headers) = @$w;
	$r = call(path => '/rpc/list_tenants', headers => $headers, sql => $whoami);
	is($r->{status}, 401, "$what: 401");
	is($r->{headers}{'WWW-Authenticate'}, 'Bearer error="invalid_token"', "$what: invalid_token challenge");
	$messages{ $r->{body}{message} // '' }++;
}
is_deeply([ keys %messages ], [ 'invalid api key' ], 'one generic message for every wrong key');
# The failures are queued for the audit log (their transactions roll back);
# the scheduler's pass writes them, here called by hand.
$node->safe_psql('postgres', q{SELECT ffrtmp_data.flush_audit_refusals()});
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM ffrtmp_data.audit_log WHERE action = 'api_key.authenticate' AND outcome = 'auth_failed'}),
   scalar(@wrong), 'each failed authentication has its audit row');

# A good key, either way it is sent.
for my $headers ({ 'X-API-Key' => $key{viewer} }, { Authorization => "Bearer $key{viewer}" })
{
	my ($how) = keys %$headers;
	$r = call(path => '/rpc/whoami', headers => $headers, sql => $whoami);
	is($r->{status}, 200, "a key in $how: 200");
	is_deeply($r->{body}, { role => 'ffrtmp_api', tenant => $acme },
		"the request runs as ffrtmp_api for the key's tenant ($how)");
}
$r = call(path => '/rpc/list_tenants', headers => { 'X-API-Key' => $key{viewer} }, rpc => ['list_tenants']);
is($r->{status}, 200, 'a viewer key lists tenants');
is_deeply([ map { $_->{name} } @{ $r->{body} } ], ['acme'], 'its own tenant only');

# X-Tenant-ID: a key acts for its own tenant; naming it (by name or id) is
# fine, naming any other, or none that exists, is one 403.
my $globex = FfrtmpRest::tenant_id($node, 'globex');
for my $t ('acme', $acme)
{
	$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $key{viewer}, 'X-Tenant-ID' => $t }, sql => $whoami);
	is($r->{status}, 200, "X-Tenant-ID naming the key's own tenant ($t): 200");
}
my %spoofed;
for my $t ('globex', $globex, 'no-such-tenant', 'default')
{
	$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $key{viewer}, 'X-Tenant-ID' => $t }, sql => $whoami);
	is($r->{status}, 403, "X-Tenant-ID naming another tenant ($t): 403");
	$spoofed{ $r->{body}{message} // '' }++;
}
is_deeply([ keys %spoofed ], [ 'X-Tenant-ID names a tenant this api key does not act for' ],
	'one message, whether the tenant exists or not');

# Errors keep PostgREST's status map, with the message and hint in the body.
$r = call(method => 'POST', path => '/rpc/create_api_key', headers => { 'X-API-Key' => $key{viewer} },
	rpc => [ 'create_api_key', { name => 'more' } ]);
is($r->{body}{code}, '42501', 'a viewer key making a key: the SQLSTATE is the body code');
ok(length($r->{body}{hint} // ''), 'and the hint says what to do');
# PostgREST alone would answer 42501 with 401 (an API-key request is anonymous
# to it); the extension answers a refusal as 403 (058_rest_errors).
is($r->{status}, 403, 'a viewer key making a key: 403');
$r = call(method => 'POST', path => '/rpc/create_tenant', headers => { 'X-API-Key' => $key{viewer} },
	rpc => [ 'create_tenant', { name => 'initech' } ]);
is($r->{body}{code}, '42501', 'create_tenant is not even executable by ffrtmp_api (administrators only)');
is($r->{status}, 403, 'and that refusal is 403 too');

# A mutating call through REST writes its audit row, naming the key and the
# request (PostgREST's X-Request-Id header).
$r = call(method => 'POST', path => '/rpc/create_api_key',
	headers => { 'X-API-Key' => $key{admin}, 'X-Request-Id' => 'req-52' },
	rpc => [ 'create_api_key', { name => 'ci', role => 'viewer' } ]);
is($r->{status}, 200, 'a tenant_admin key makes a key: 200');
like($r->{body}[0]{api_key} // '', qr/^ffrtmp_/, 'and gets it in the body');
is($node->safe_psql('postgres', q{
	SELECT a.db_role || ' ' || k.name || ' ' || a.request_id FROM ffrtmp_data.audit_log a
	  JOIN ffrtmp_data.api_keys k ON k.key_id = a.key_id
	 WHERE a.action = 'api_key.create' AND a.request_id = 'req-52'}),
   'ffrtmp_api admin req-52', 'its audit row names ffrtmp_api, the key and the request id');

# GET runs READ ONLY, as PostgREST does: a function that writes is 405.
$r = call(method => 'GET', path => '/rpc/create_api_key', headers => { 'X-API-Key' => $key{admin} },
	rpc => [ 'create_api_key', { name => 'by-get' } ]);
is($r->{status}, 405, 'a writing function called with GET: 405');
is($r->{body}{code}, '25006', 'read_only_sql_transaction');

# Request headers from a session that is not the authenticator are ignored:
# a role able to become ffrtmp_anon and ffrtmp_api gains nothing by them.
$r = call(user => 'mallory', path => '/rpc/whoami', headers => { 'X-API-Key' => $key{viewer} },
	sql => q{SELECT to_json(current_user)});
is($r->{status}, 200, 'outside the authenticator the pre-request function does nothing');
is($r->{body}, 'ffrtmp_anon', 'the key is not used: the role stays what the session set');

# The authenticator inherits nothing: without the switch it cannot read the API.
my ($ok) = $node->psql('postgres', 'SELECT * FROM ffrtmp.list_tenants()',
	extra_params => [ '-U', 'ffrtmp_authenticator' ]);
isnt($ok, 0, 'the authenticator itself (NOINHERIT) cannot call the API');

done_testing();
