# JWT claims through PostgREST's own statements (FfrtmpRest): a verified
# token's claims (sub, ffrtmp_tenant, ffrtmp_role) are the tenant context's
# second source, never more than the user is now; X-Tenant-ID selects a
# superadmin's tenant and is refused, audited, for a one-tenant principal;
# claims are believed only from the authenticator.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpRest;

my $node = FfrtmpRest::cluster('jwt', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.create_tenant('globex', plan => 'pro');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'globex');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'globex');
	CREATE ROLE mallory LOGIN;
	GRANT ffrtmp_anon, ffrtmp_api TO mallory;
});
my %tenant = map { ($_ => FfrtmpRest::tenant_id($node, $_)) } qw(acme globex);
my $default = '00000000-0000-0000-0000-000000000000';
my %user = FfrtmpRest::users($node, [viewer => 'viewer', 'acme'], [admin => 'tenant_admin', 'acme'],
	[disabled => 'operator', 'acme'], [deleted => 'operator', 'acme'], [root => 'superadmin', undef]);
$node->safe_psql('postgres', qq{
	SELECT ffrtmp.update_user('$user{disabled}', status => 'disabled');
	SELECT ffrtmp.delete_user('$user{deleted}');
});
my $key = FfrtmpRest::api_key($node, 'svc', 'acme', 'viewer');

sub call { FfrtmpRest::request($node, @_) }
sub claims { my ($who, %more) = @_; return (claims => { role => 'ffrtmp_api', sub => $user{$who}, %more }) }
sub audited
{
	my ($action, $outcome) = @_;
	$node->safe_psql('postgres', q{SELECT ffrtmp_data.flush_audit_refusals()});
	return $node->safe_psql('postgres',
		qq{SELECT count(*) FROM ffrtmp_data.audit_log WHERE action = '$action' AND outcome = '$outcome'});
}

my $whoami = q{SELECT json_build_object('tenant', ffrtmp.current_tenant(), 'role', ffrtmp.caller_role(),
	'admin', ffrtmp.caller_is_admin())};
my $jobs = q{SELECT json_build_object('tenants', (SELECT json_agg(DISTINCT tenant_id) FROM ffrtmp.jobs),
	'count', (SELECT count(*) FROM ffrtmp.jobs))};

# A user's token: its tenant's jobs, not another's.
my $r = call(path => '/jobs', claims('viewer'), sql => $jobs);
is($r->{status}, 200, 'a JWT of an acme viewer: 200');
is_deeply($r->{body}, { tenants => [ $tenant{acme} ], count => 1 }, "it reads acme's jobs and not globex's");
$r = call(path => '/rpc/whoami', claims('viewer', ffrtmp_tenant => 'acme'), sql => $whoami);
is_deeply($r->{body}, { tenant => $tenant{acme}, role => 'viewer', admin => JSON::PP::false },
	'claiming its own tenant by name: that tenant, the user\'s role');

# A claimed role above the user's is narrowed; below it, narrows.
$r = call(path => '/rpc/whoami', claims('viewer', ffrtmp_role => 'tenant_admin'), sql => $whoami);
is($r->{body}{role}, 'viewer', 'a claimed role above the user\'s is narrowed to the user\'s');
$r = call(path => '/rpc/whoami', claims('admin', ffrtmp_role => 'viewer'), sql => $whoami);
is($r->{body}{role}, 'viewer', 'a claimed role below the user\'s narrows it');
$r = call(method => 'POST', path => '/rpc/create_user', claims('admin', ffrtmp_role => 'viewer'),
	rpc => [ 'create_user', { email => 'x@example.com', role => 'viewer' } ]);
is($r->{status}, 403, 'and the permission check sees the narrowed role (users.manage refused)');
$r = call(method => 'POST', path => '/rpc/create_user', claims('admin'),
	rpc => [ 'create_user', { email => 'y@example.com', role => 'viewer' } ]);
is($r->{status}, 200, 'while the tenant_admin\'s own role may create a user');

# Bad claim sets: 401, invalid_token, audited as failed authentications.
my $before = audited('jwt.authenticate', 'auth_failed');
my @bad = (
	[ 'a disabled user', claims('disabled') ],
	[ 'a deleted user', claims('deleted') ],
	[ 'an unknown user', claims => { role => 'ffrtmp_api', sub => '11111111-1111-1111-1111-111111111111' } ],
	[ 'no sub', claims => { role => 'ffrtmp_api' } ],
	[ 'another tenant claimed', claims('viewer', ffrtmp_tenant => 'globex') ],
	[ 'a role that does not exist', claims('viewer', ffrtmp_role => 'owner') ]);
for my $b (@bad)
{
	my ($what, @claims) = @$b;
	$r = call(path => '/rpc/whoami', @claims, sql => $whoami);
	is($r->{status}, 401, "$what: 401");
	is($r->{headers}{'WWW-Authenticate'}, 'Bearer error="invalid_token"', "$what: invalid_token challenge");
	is($r->{body}{message}, 'invalid token claims', "$what: one generic message");
}
is(audited('jwt.authenticate', 'auth_failed') - $before, scalar(@bad), 'each bad claim set has its audit row');

# Claims set by anyone but the authenticator are not believed.
my ($ok, $out, $err) = (0, '', '');
$node->psql('postgres', qq{
	BEGIN;
	SELECT set_config('request.jwt.claims', '{"role": "ffrtmp_api", "sub": "$user{root}"}', true);
	SET LOCAL ROLE ffrtmp_api;
	SELECT ffrtmp.current_tenant();
	COMMIT;}, stdout => \$out, stderr => \$err, extra_params => [ '-U', 'mallory' ]);
like($err, qr/acts for no tenant/, 'claims a psql session sets itself are ignored');

# A superadmin's token: X-Tenant-ID by id, by name, left out, naming nothing.
$r = call(path => '/rpc/whoami', claims('root'), sql => $whoami);
is_deeply($r->{body}, { tenant => $default, role => 'superadmin', admin => JSON::PP::true },
	'a superadmin without X-Tenant-ID acts for the default tenant');
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => $tenant{globex} }, sql => $whoami);
is($r->{body}{tenant}, $tenant{globex}, 'X-Tenant-ID by id selects the tenant');
$r = call(path => '/jobs', claims('root'), headers => { 'X-Tenant-ID' => 'globex' }, sql => q{
	SELECT json_build_object('tenant', ffrtmp.current_tenant())});
is($r->{body}{tenant}, $tenant{globex}, 'X-Tenant-ID by name selects the tenant');
$r = call(path => '/rpc/whoami', claims('root'), headers => { 'X-Tenant-ID' => 'nosuch' }, sql => $whoami);
is($r->{status}, 404, 'X-Tenant-ID naming no tenant: 404');
is($r->{body}{code}, 'PT404', 'with the not-found code');
like($r->{body}{message}, qr/tenant "nosuch" does not exist/, 'saying which tenant');
$r = call(path => '/rpc/whoami', claims('root', ffrtmp_role => 'viewer'), headers => { 'X-Tenant-ID' => 'acme' },
	sql => $whoami);
is_deeply($r->{body}, { tenant => $tenant{acme}, role => 'viewer', admin => JSON::PP::false },
	'a superadmin\'s token claiming viewer acts as a viewer of the selected tenant');

# One-tenant principals naming another tenant: 403, audited.
$before = audited('permission.denied', 'refused');
for my $who ([ 'a key', headers => { 'X-API-Key' => $key, 'X-Tenant-ID' => 'globex' } ],
	[ 'a JWT', claims('viewer'), headers => { 'X-Tenant-ID' => $tenant{globex} } ],
	[ 'a key naming no tenant', headers => { 'X-API-Key' => $key, 'X-Tenant-ID' => 'nosuch' } ])
{
	my ($what, @how) = @$who;
	$r = call(path => '/rpc/whoami', @how, sql => $whoami);
	is($r->{status}, 403, "$what naming another tenant: 403");
	is($r->{body}{code}, '42501', "$what: 42501");
}
is(audited('permission.denied', 'refused') - $before, 3, 'each refusal has its audit row');
for my $name ('acme', $tenant{acme})
{
	$r = call(path => '/rpc/whoami', headers => { 'X-API-Key' => $key, 'X-Tenant-ID' => $name }, sql => $whoami);
	is($r->{status}, 200, "a key naming its own tenant ($name): 200");
}

# Anonymous: health and ready without credentials, a reduced answer.
for my $probe ([ health => [qw(live writable)] ], [ ready => ['ready'] ])
{
	my ($fn, $keys) = @$probe;
	$r = call(path => "/rpc/$fn", sql => qq{SELECT ffrtmp.$fn()});
	is($r->{status}, 200, "anonymous GET /rpc/$fn: 200");
	is_deeply([ sort keys %{ $r->{body} // {} } ], $keys, "anonymous $fn answers only @$keys");
	$r = call(method => 'POST', path => "/rpc/$fn", sql => qq{SELECT ffrtmp.$fn()});
	is($r->{status}, 401, "anonymous POST /rpc/$fn: 401");
}
like($node->safe_psql('postgres', q{SELECT ffrtmp.health()}), qr/leader_pid/,
	'an administrator still gets the operator\'s detail');

# Nothing else: no function or view of schema ffrtmp may be used by
# ffrtmp_anon but the probes and what every role may call (the tenant
# context, which refuses a role acting for no tenant, authenticate, the
# pre-request function), and through REST every other is 401.
# What ffrtmp_anon may use directly, each for a reason: the probes; the
# tenant context (row-level security calls it for everyone, and it refuses
# a role acting for no tenant), authenticate and accept_invitation (how a
# caller becomes one), the pre-request function; the role_permissions
# lookup rows, the same for everyone.  A new one fails here.
is(join(' ', split /\n/, $node->safe_psql('postgres', q{
	SELECT p.oid::regprocedure::text FROM pg_proc p
	 WHERE p.pronamespace = 'ffrtmp'::regnamespace AND has_function_privilege('ffrtmp_anon', p.oid, 'EXECUTE')
	 ORDER BY 1})),
   'ffrtmp.accept_invitation(text,text,text) ffrtmp.authenticate(text) ffrtmp.caller_is_admin() '
   . 'ffrtmp.caller_role() ffrtmp.current_tenant() ffrtmp.has_permission(text) ffrtmp.health() '
   . 'ffrtmp.pre_request() ffrtmp.ready()',
   'ffrtmp_anon may execute only the probes and what makes a caller');
is(join(' ', split /\n/, $node->safe_psql('postgres', q{
	SELECT c.oid::regclass::text FROM pg_class c
	 WHERE c.relnamespace = 'ffrtmp'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
	   AND has_table_privilege('ffrtmp_anon', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
	 ORDER BY 1})),
   'ffrtmp.role_permissions', 'and read only the role_permissions lookup view');
$r = call(path => '/rpc/current_tenant', role => 'ffrtmp_anon', user => 'mallory', rpc => ['current_tenant']);
is($r->{status}, 401, 'the tenant context refuses ffrtmp_anon itself, not only pre_request');
my @functions = split /\n/, $node->safe_psql('postgres', q{
	SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'ffrtmp'::regnamespace AND proname <> 'pre_request'
	 ORDER BY 1});
my %anonymous;
for my $fn (@functions)
{
	$r = call(path => "/rpc/$fn", rpc => [$fn]);
	$anonymous{$fn} = $r->{status};
}
my @answered = grep { $anonymous{$_} != 401 } @functions;
is_deeply(\@answered, [qw(health ready)], 'every other function is 401 for an anonymous caller');
my @views = split /\n/, $node->safe_psql('postgres', q{
	SELECT relname FROM pg_class WHERE relnamespace = 'ffrtmp'::regnamespace AND relkind = 'v' ORDER BY 1});
ok(@views > 10, 'there are views to try');
is_deeply([ grep { call(path => "/$_", sql => qq{SELECT count(*) FROM ffrtmp."$_"})->{status} != 401 } @views ], [],
	'every view is 401 for an anonymous caller');

done_testing();
