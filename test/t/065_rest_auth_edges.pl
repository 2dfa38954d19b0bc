# REST authentication edges (issue 13): requests replayed with FfrtmpRest
# exactly as PostgREST v12.2.9 sends them.  An anonymous invitation
# acceptance; narrowing claims of the wrong JSON type; credentials
# invalidated between the pre-request function and the statement; two
# credentials in one request; a superadmin's JWT and the administrators'
# functions; the probes with a credential; JWT users of a tenant that is not
# active; X-Tenant-ID's edges; the audit log's request id.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA ();
use File::Basename ();
use IPC::Run ();
use JSON::PP ();
use MIME::Base64 ();
use FfrtmpRest;

my $node = FfrtmpRest::cluster('auth_edges', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.create_tenant('gone', plan => 'pro');
	SELECT ffrtmp.create_tenant('paused', plan => 'pro');
	SELECT ffrtmp.create_tenant('lapsed', plan => 'pro');
	CREATE ROLE acme_app NOLOGIN;
});
my %user = FfrtmpRest::users($node, [admin => 'tenant_admin', 'acme'], [disabled => 'operator', 'acme'],
	[goneuser => 'operator', 'gone'], [pauseduser => 'operator', 'paused'], [lapseduser => 'operator', 'lapsed'], [root => 'superadmin', undef]);
my $pausedkey = FfrtmpRest::api_key($node, 'p', 'paused', 'viewer');
$node->safe_psql('postgres', qq{
	SELECT ffrtmp.update_user('$user{disabled}', status => 'disabled');
	SELECT ffrtmp.delete_tenant('gone');
	SELECT ffrtmp.update_tenant('paused', status => 'suspended');
	UPDATE ffrtmp_data.tenants SET expires_at = now() - interval '1 day' WHERE name = 'lapsed';
});
my $key = FfrtmpRest::api_key($node, 'svc', 'acme', 'tenant_admin');
my $viewerkey = FfrtmpRest::api_key($node, 'svc2', 'acme', 'viewer');
my $cs = $node->connstr('postgres');

sub call { FfrtmpRest::request($node, @_) }
# An error's body, or an answer's JSON object; {} for anything else.
sub body_of { my ($r) = @_; return ref $r->{body} eq 'HASH' ? $r->{body} : {} }
sub claims { my ($who, %more) = @_; return (claims => { role => 'ffrtmp_api', sub => $user{$who}, %more }) }
my $whoami = q{SELECT json_build_object('tenant', ffrtmp.current_tenant(), 'role', ffrtmp.caller_role())};
my $users = q{SELECT coalesce(json_agg(r), '[]') FROM ffrtmp.list_users() r};
my $invalid_token = 'Bearer error="invalid_token"';
my $r;

# M1: an invitation is accepted without credentials (the token is the
# credential); with a key or a JWT as well it is refused (two credentials),
# so that the acceptance never acts as, or counts against, the key's tenant.
sub invite
{
	my ($email) = @_;
	return $node->safe_psql('postgres',
		qq{SELECT token FROM ffrtmp.invite_user('$email', 'viewer', tenant => 'acme')});
}
my $token = invite('new@example.com');
$r = call(method => 'POST', path => '/rpc/accept_invitation', rpc => [ 'accept_invitation', { token => $token } ]);
is($r->{status}, 200, 'an invitee without a key accepts its invitation') or diag explain $r;
is((ref $r->{body} eq 'ARRAY' ? $r->{body}[0]{email} : undef), 'new@example.com', 'and becomes the invited user');
$r = call(method => 'POST', path => '/rpc/accept_invitation', rpc => [ 'accept_invitation', { token => $token } ]);
is($r->{status}, 401, 'a used invitation token: 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, 'with the invalid_token challenge');
is(body_of($r)->{code}, '28000', 'code 28000 in the body');
$r = call(method => 'GET', path => '/rpc/accept_invitation', rpc => [ 'accept_invitation', { token => invite('get@example.com') } ]);
is($r->{status}, 401, 'anonymous GET /rpc/accept_invitation: 401 (POST only)');
my $token2 = invite('two@example.com');
my $requests = q{SELECT count(*) FROM ffrtmp_data.api_requests};
$r = call(method => 'POST', path => '/rpc/accept_invitation', headers => { 'X-API-Key' => $key },
	rpc => [ 'accept_invitation', { token => $token2 } ]);
is($r->{status}, 400, 'accept_invitation with an API key as well: 400') or diag explain $r;
is(body_of($r)->{code}, 'PT400', 'code PT400');
is(body_of($r)->{message}, 'a request carries at most one credential', 'the message says why');
$r = call(method => 'POST', path => '/rpc/accept_invitation', claims('admin'),
	rpc => [ 'accept_invitation', { token => $token2 } ]);
is($r->{status}, 400, 'accept_invitation with a JWT as well: 400') or diag explain $r;
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.users WHERE email = 'two@example.com'}),
	'0', 'and no user was created');
$r = call(method => 'POST', path => '/rpc/accept_invitation', rpc => [ 'accept_invitation', { token => $token2 } ]);
is($r->{status}, 200, 'the same token alone still works') or diag explain $r;

# M2: a narrowing or tenant claim of the wrong JSON type is 401, not absent.
for my $c ([ 'ffrtmp_role as an array', ffrtmp_role => ['viewer'] ],
	[ 'ffrtmp_role as an object', ffrtmp_role => { name => 'viewer' } ],
	[ 'ffrtmp_role as null', ffrtmp_role => undef ],
	[ 'ffrtmp_role as a number', ffrtmp_role => 1 ],
	[ 'ffrtmp_tenant as a number', ffrtmp_tenant => 42 ],
	[ 'ffrtmp_tenant as an array', ffrtmp_tenant => ['acme'] ],
	[ 'ffrtmp_tenant as a boolean', ffrtmp_tenant => JSON::PP::true ])
{
	my ($what, @claim) = @$c;
	$r = call(path => '/rpc/whoami', claims('admin', @claim), sql => $whoami);
	is($r->{status}, 401, "a token with $what is 401") or diag explain $r;
	is($r->{headers}{'WWW-Authenticate'}, $invalid_token, "$what: invalid_token challenge");
}
for my $sub ([ 'a number', 7 ], [ 'an array', [ $user{admin} ] ], [ 'an object', { id => $user{admin} } ])
{
	$r = call(path => '/rpc/whoami', claims => { role => 'ffrtmp_api', sub => $sub->[1] }, sql => $whoami);
	is($r->{status}, 401, "a sub that is $sub->[0]: 401") or diag explain $r;
}
$r = call(path => '/rpc/whoami', claims('admin', ffrtmp_role => 'viewer', ffrtmp_tenant => 'acme'), sql => $whoami);
is($r->{status}, 200, 'string claims still narrow: 200') or diag explain $r;
is(body_of($r)->{role}, 'viewer', 'acting as the role claimed');

# M3: a credential invalidated between the pre-request function and the
# statement: 401 with the challenge, as at the start of the request.
my ($kid) = $key =~ /^ffrtmp_([0-9a-f]{16})_/;
$r = call(path => '/rpc/list_users', headers => { 'X-API-Key' => $key },
	sql => qq{\\! psql -X '$cs' -c "SELECT ffrtmp.revoke_api_key('$kid')" >/dev/null\n$users});
is($r->{status}, 401, 'a key revoked during the request: 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, 'with the invalid_token challenge');
is(body_of($r)->{code}, '28000', 'the body keeps code 28000');
$r = call(path => '/rpc/list_users', claims('admin'),
	sql => qq{\\! psql -X '$cs' -c "SELECT ffrtmp.update_user('$user{admin}', status => 'disabled')" >/dev/null\n$users});
is($r->{status}, 401, 'a JWT whose user is disabled during the request: 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, 'with the invalid_token challenge');
$node->safe_psql('postgres', qq{SELECT ffrtmp.update_user('$user{admin}', status => 'active')});
$key = FfrtmpRest::api_key($node, 'svc3', 'acme', 'tenant_admin');
$r = call(method => 'POST', path => '/rpc/whoami', headers => { 'X-API-Key' => $viewerkey },
	sql => q{SELECT to_json(ffrtmp.accept_invitation('no-such-token'))});
is($r->{status}, 401, 'a 28000 raised inside the statement: 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, 'with the invalid_token challenge');
$r = call(method => 'POST', path => '/rpc/create_tenant', headers => { 'X-API-Key' => $key },
	rpc => [ 'create_tenant', { name => 'nope', plan => 'pro' } ]);
is($r->{status}, 403, 'a 42501 stays 403 without a challenge') or diag explain $r;
ok(!exists $r->{headers}{'WWW-Authenticate'}, 'no WWW-Authenticate on 403');

# M7: a key and a JWT, or two keys, in one request: 400.
$r = call(path => '/rpc/whoami', claims('disabled'), headers => { 'X-API-Key' => $viewerkey }, sql => $whoami);
is($r->{status}, 400, 'a key together with a JWT (of a disabled user): 400') or diag explain $r;
is(body_of($r)->{code}, 'PT400', 'code PT400');
$r = call(path => '/rpc/whoami', claims('admin'), headers => { 'X-API-Key' => $viewerkey }, sql => $whoami);
is($r->{status}, 400, 'a key together with a good JWT: 400 too') or diag explain $r;
$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $viewerkey, Authorization => "Bearer $key" }, sql => $whoami);
is($r->{status}, 400, 'X-API-Key together with "Authorization: Bearer ffrtmp_...": 400') or diag explain $r;
$r = call(path => '/rpc/whoami', headers => { Authorization => "Bearer $viewerkey" }, sql => $whoami);
is($r->{status}, 200, 'one key alone: 200') or diag explain $r;

# M4: a superadmin's JWT may call the administrators' functions; a narrowed
# superadmin JWT and a tenant_admin key may not (403).
is($node->safe_psql('postgres', q{
	SELECT CASE WHEN to_regrole('ffrtmp_api_admin') IS NULL THEN 'no role ffrtmp_api_admin'
	       ELSE (SELECT count(*) FROM pg_proc p
	              WHERE p.pronamespace = 'ffrtmp'::regnamespace
	                AND has_function_privilege('ffrtmp_admin', p.oid, 'EXECUTE')
	                AND NOT has_function_privilege('ffrtmp_api_admin', p.oid, 'EXECUTE'))::text END}),
   '0', 'ffrtmp_api_admin may execute every function ffrtmp_admin may');
my @admin_routes = (
	[ 'POST /v1/tenants', 'create_tenant', { name => 'initech', plan => 'pro' } ],
	[ 'PUT /v1/tenants/{tenant}', 'update_tenant', { tenant => 'initech', plan => 'pro' } ],
	[ 'POST /v1/tenants/{tenant}/roles', 'add_tenant_role', { tenant => 'acme', role_name => 'acme_app' } ],
	[ 'PUT /v1/users/{user_id}/role', 'map_user_role', { user_id => $user{admin}, role_name => 'acme_app' } ],
	[ 'DELETE /v1/tenants/{tenant}/roles/{role_name}', 'remove_tenant_role', { tenant => 'acme', role_name => 'acme_app' } ],
	[ 'DELETE /v1/tenants/{tenant}', 'delete_tenant', { tenant => 'initech' } ],
	[ 'POST /v1/tenants/{tenant}/restore', 'restore_tenant', { tenant => 'initech' } ],
	[ 'GET /v1/audit/verify', 'verify_audit_chain', {} ]);
for my $route (@admin_routes)
{
	my ($name, $fn, $args) = @$route;
	my ($method) = split / /, $name;
	for my $who ([ 'a narrowed superadmin JWT', claims('root', ffrtmp_role => 'tenant_admin') ],
		[ 'a tenant_admin key', headers => { 'X-API-Key' => $key } ])
	{
		my ($what, @cred) = @$who;
		$r = call(method => $method, path => "/rpc/$fn", @cred, rpc => [ $fn, $args ]);
		is($r->{status}, 403, "$name with $what: 403") or diag explain $r;
	}
	$r = call(method => $method, path => "/rpc/$fn", claims('root'), rpc => [ $fn, $args ]);
	is($r->{status}, 200, "$name with a superadmin JWT: 200") or diag explain $r;
}
$r = call(path => '/rpc/whoami', claims('root'), sql => q{SELECT to_json(current_user::text)});
is($r->{body}, 'ffrtmp_api_admin', 'a superadmin JWT runs as ffrtmp_api_admin');
$r = call(path => '/rpc/whoami', claims('root', ffrtmp_role => 'tenant_admin'), sql => q{SELECT to_json(current_user::text)});
is($r->{body}, 'ffrtmp_api', 'a narrowed one as ffrtmp_api');

# M5: the probes answer any credential: a key the probe's answer, a
# superadmin JWT the operator's detail.
$r = call(path => '/rpc/health', headers => { 'X-API-Key' => $viewerkey }, sql => q{SELECT ffrtmp.health()});
is($r->{status}, 200, 'GET /v1/health with an API key: 200') or diag explain $r;
is_deeply([ sort keys %{ body_of($r) } ], [ 'live', 'writable' ], 'the reduced answer');
$r = call(path => '/rpc/ready', headers => { 'X-API-Key' => $viewerkey }, sql => q{SELECT ffrtmp.ready()});
is($r->{status}, 200, 'GET /v1/ready with an API key: 200') or diag explain $r;
is_deeply([ sort keys %{ body_of($r) } ], [ 'ready' ], 'the reduced answer');
$r = call(path => '/rpc/ready', claims('root'), sql => q{SELECT ffrtmp.ready()});
is($r->{status}, 200, 'GET /v1/ready with a superadmin JWT: 200') or diag explain $r;
ok(!exists body_of($r)->{code} && keys %{ body_of($r) } > 1, 'the operator\'s detail') or diag explain $r;
$r = call(path => '/rpc/health', claims('root'), sql => q{SELECT ffrtmp.health()});
is($r->{status}, 200, 'GET /v1/health with a superadmin JWT: 200') or diag explain $r;
ok(!exists body_of($r)->{code} && keys %{ body_of($r) } > 2, 'the operator\'s detail') or diag explain $r;

# M6 and M8: a JWT user of a tenant not active is 401 like its keys.
$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $pausedkey }, sql => $whoami);
is($r->{status}, 401, 'a key of a suspended tenant: 401') or diag explain $r;
for my $who ([ 'a suspended', 'pauseduser' ], [ 'an expired', 'lapseduser' ], [ 'a deleted', 'goneuser' ])
{
	$r = call(path => '/rpc/whoami', claims($who->[1]), sql => $whoami);
	is($r->{status}, 401, "a JWT of $who->[0] tenant's user: 401") or diag explain $r;
	is($r->{headers}{'WWW-Authenticate'}, $invalid_token, 'with the invalid_token challenge');
	is(body_of($r)->{message}, 'invalid token claims', 'the one message of a bad claim set');
}

# Low: X-Tenant-ID's edges.
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => '' }, sql => $whoami);
is($r->{status}, 200, 'an empty X-Tenant-ID is absent') or diag explain $r;
$r = call(path => '/rpc/whoami', claims('admin'), headers => { 'X-Tenant-ID' => '   ' }, sql => $whoami);
is($r->{status}, 200, 'a blank X-Tenant-ID is absent (one-tenant principal)') or diag explain $r;
my $long = 'x' x 64 . 'SECRETTAIL';
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => $long }, sql => $whoami);
is($r->{status}, 400, 'an X-Tenant-ID over 63 bytes: 400') or diag explain $r;
is(body_of($r)->{code}, '22023', 'code 22023');
unlike(join(' ', map { $_ // '' } values %{ body_of($r) }), qr/SECRETTAIL/, 'without echoing the value');
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => 'gone' }, sql => $whoami);
is($r->{status}, 404, 'a superadmin naming a deleted tenant: 404') or diag explain $r;
like(body_of($r)->{message}, qr/has been deleted/, 'saying it is deleted');
like(body_of($r)->{hint}, qr/ffrtmp\.restore_tenant/, 'the hint names ffrtmp.restore_tenant');
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => 'nosuch' }, sql => $whoami);
is($r->{status}, 404, 'a tenant that never was: 404');
unlike(body_of($r)->{message}, qr/deleted/, 'not called deleted');

# Low: the audit log believes x-request-id only from PostgREST's sessions.
$node->safe_psql('postgres', q{
	SELECT set_config('request.headers', '{"x-request-id": "forged"}', false);
	SELECT ffrtmp.create_api_key('forged', tenant => 'acme', role => 'viewer')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE request_id = 'forged'}),
	'0', 'another session\'s request.headers give the audit log no request id');
$r = call(method => 'POST', path => '/rpc/create_api_key', headers => { 'X-API-Key' => $key, 'X-Request-Id' => 'rest-1' },
	rpc => [ 'create_api_key', { name => 'viarest', role => 'viewer' } ]);
is($r->{status}, 200, 'a key made through REST') or diag explain $r;
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE request_id = 'rest-1'}),
	'>', 0, 'is audited with PostgREST\'s X-Request-Id');

# Low: a JWT's role claim names ffrtmp_api and nothing else the
# authenticator may switch to: another of its roles (ffrtmp_tenant is one,
# through ffrtmp_api) is 401 invalid_token before anything runs, a
# superadmin's power included (ffrtmp_api_admin is the pre-request
# function's to give).  A role PostgreSQL refuses is its error, answered by
# PostgREST before the request runs: a role it is no member of may not
# be set (42501, 403), one that does not exist is an invalid value of the
# setting (22023, 400).
for my $role (qw(ffrtmp_api_admin ffrtmp_anon ffrtmp_tenant))
{
	for my $who ('root', 'admin')
	{
		$r = call(path => '/rpc/whoami', claims($who, role => $role), sql => $whoami);
		is($r->{status}, 401, "a JWT of $who claiming role $role: 401") or diag explain $r;
		is($r->{headers}{'WWW-Authenticate'}, $invalid_token, '... with the invalid_token challenge');
		is(body_of($r)->{message}, 'invalid token claims', '... the one message of a bad claim set');
	}
}
$r = call(path => '/rpc/whoami', claims => { sub => $user{root} }, sql => $whoami);
is($r->{status}, 401, 'a JWT without a role claim (run as ffrtmp_anon): 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, '... invalid_token');
$r = call(path => '/rpc/health', claims('root', role => 'ffrtmp_anon'), sql => 'SELECT 1');
is($r->{status}, 401, 'even for a probe') or diag explain $r;
for my $role (qw(ffrtmp_owner))
{
	$r = call(path => '/rpc/whoami', claims('root', role => $role), sql => $whoami);
	is($r->{status}, 403, "a role claim of $role: PostgreSQL's refusal, 403") or diag explain $r;
	is(body_of($r)->{code}, '42501', '... 42501');
}
$r = call(path => '/rpc/whoami', claims('root', role => 'no_such_role'), sql => $whoami);
is($r->{status}, 400, 'a role claim naming no role: 400') or diag explain $r;
is(body_of($r)->{code}, '22023', '... PostgreSQL\'s 22023 from setting the role');
$r = call(path => '/rpc/whoami', claims('root'), sql => $whoami);
is($r->{status}, 200, 'the same superadmin with role ffrtmp_api: 200') or diag explain $r;

# The token docs/rest.md#jwts makes with Python's standard library: HS256
# over the secret, its claims those of the table, exp in the future, and a
# request with them is the user's.
{
	my ($script) = slurp_file(File::Basename::dirname(__FILE__) . '/../../docs/rest.md') =~ /<<'PY'\n(.*?)\nPY\n/s;
	ok($script, 'docs/rest.md has the token command');
	my $secret = 'a-test-secret-of-more-than-32-characters';
	local $ENV{FFRTMP_JWT_SECRET} = $secret;
	my ($token, $err) = ('', '');
	IPC::Run::run([ 'python3', '-', $user{admin}, 'acme', 'operator' ], '<', \$script, '>', \$token, '2>', \$err)
	  or diag($err);
	chomp $token;
	my ($head, $payload, $sig) = split /\./, $token;
	my $unb64 = sub { my $b = shift // ''; $b =~ tr{-_}{+/}; return MIME::Base64::decode_base64($b) };
	is(JSON::PP::decode_json($unb64->($head))->{alg}, 'HS256', 'the token is HS256');
	is($sig, Digest::SHA::hmac_sha256_base64("$head.$payload", $secret) =~ tr{+/}{-_}r,
		'signed with the secret');
	my $claims = JSON::PP::decode_json($unb64->($payload));
	is_deeply([ @$claims{qw(role sub ffrtmp_tenant ffrtmp_role)} ], [ 'ffrtmp_api', $user{admin}, 'acme', 'operator' ],
		'its claims are the documented ones');
	cmp_ok($claims->{exp}, '>', time, 'exp is in the future');
	$r = call(path => '/rpc/whoami', claims => $claims, sql => $whoami);
	is($r->{status}, 200, 'a request with it is answered') or diag explain $r;
	is(body_of($r)->{role}, 'operator', '... acting with the claimed role');
}

# A JWT whose role claim names the authenticator itself: PostgREST sets that
# role as it sets any claimed one (Query.hs setPgLocals), the authenticator
# may use schema ffrtmp, so pre_request refuses the claim set: 401
# invalid_token, not PostgREST's 403 naming the schema.
$r = call(path => '/rpc/whoami', claims('admin', role => 'ffrtmp_authenticator'), sql => $whoami);
is($r->{status}, 401, 'a JWT claiming role ffrtmp_authenticator: 401') or diag explain $r;
is($r->{headers}{'WWW-Authenticate'}, $invalid_token, '... with the invalid_token challenge');
is(body_of($r)->{code}, '28000', '... code 28000, not a 42501 naming schema ffrtmp');
$r = call(path => '/rpc/health', claims('root', role => 'ffrtmp_authenticator'), sql => 'SELECT 1');
is($r->{status}, 401, '... a superadmin\'s and for a probe too') or diag explain $r;

# X-Tenant-ID holding the principal's own tenant id in any spelling
# PostgreSQL's uuid input takes is that tenant (compared as a uuid); what
# is no uuid is a name, and a name of no tenant is still refused.
my $acme = $node->safe_psql('postgres', q{SELECT id FROM ffrtmp.tenants WHERE name = 'acme'});
(my $bare = $acme) =~ tr/-//d;
for my $spelling ("{$acme}", $bare, uc $acme, "{$bare}")
{
	$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $key, 'X-Tenant-ID' => $spelling }, sql => $whoami);
	is($r->{status}, 200, "a key's own tenant id spelt $spelling: 200") or diag explain $r;
	is(body_of($r)->{tenant}, $acme, '... acting for it');
	$r = call(path => '/rpc/whoami', claims('admin'), headers => { 'X-Tenant-ID' => $spelling }, sql => $whoami);
	is($r->{status}, 200, "a JWT user's own tenant id spelt $spelling: 200") or diag explain $r;
}
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => "{$bare}" }, sql => $whoami);
is($r->{status}, 200, 'a superadmin selects a tenant by its id in braces') or diag explain $r;
is(body_of($r)->{tenant}, $acme, '... that tenant');
for my $odd ("{$acme", "$acme}", "-$bare", substr($bare, 1))
{
	$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $key, 'X-Tenant-ID' => $odd }, sql => $whoami);
	is($r->{status}, 403, "no uuid ($odd) is a name, another tenant's to a key: 403") or diag explain $r;
}

done_testing();
