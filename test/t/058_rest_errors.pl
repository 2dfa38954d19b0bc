# A refusal (SQLSTATE 42501) reaches a REST client as 403, whatever raises it:
# the permission check before an API function, a check deep inside one (C or
# PL/pgSQL), a view's reader.  PostgREST would answer 42501 with 401 and
# WWW-Authenticate, since an API-key request is anonymous to it; the
# extension raises it again in PostgREST's PGRST form, with the code,
# message, detail and hint a psql user sees.  Sessions other than the
# authenticator's keep the plain 42501, and other statuses do not move.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpRest;

my $node = FfrtmpRest::cluster('rest_errors', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.create_tenant('globex', plan => 'pro');
	CREATE ROLE acme_app LOGIN;
	SELECT ffrtmp.add_tenant_role('acme', 'acme_app');
	CREATE ROLE mallory LOGIN;
	GRANT ffrtmp_anon, ffrtmp_api TO mallory;
});
my $globex = FfrtmpRest::tenant_id($node, 'globex');
sub make_key { my ($name, $role, $scopes) = @_; return FfrtmpRest::api_key($node, $name, 'acme', $role, $scopes) }
my %key = (
	viewer => make_key('viewer', 'viewer'),
	admin => make_key('admin', 'tenant_admin'),
	keys_only => make_key('keys-only', 'tenant_admin', ['keys.manage']),
	users_only => make_key('users-only', 'tenant_admin', ['users.manage']),
	creator => make_key('creator', 'operator', ['jobs.create']));

sub call
{
	my ($key, %r) = @_;
	return FfrtmpRest::request($node, method => 'POST', headers => { 'X-API-Key' => $key }, %r);
}

# The same statement over psql, as a non-authenticator role: [sqlstate, message, hint, detail].
sub psql_error
{
	my ($user, $sql) = @_;
	my ($out, $err) = ('', '');
	$node->psql('postgres', "\\set VERBOSITY verbose\n$sql", stdout => \$out, stderr => \$err,
		extra_params => [ '-U', $user ]);
	my ($code, $message) = $err =~ /ERROR:\s+([0-9A-Z]{5}): (.*?)$/m;
	my ($detail) = $err =~ /^DETAIL:\s+(.*?)$/m;
	my ($hint) = $err =~ /^HINT:\s+(.*?)$/m;
	return [ $code // '', $message // '', $hint // '', $detail // '' ];
}

# A 403 in PostgREST's form, the body once (not a PGRST body inside another).
sub is_refusal
{
	my ($r, $want, $what) = @_;
	is($r->{status}, 403, "$what: 403");
	ok(!exists $r->{headers}{'WWW-Authenticate'}, "$what: no WWW-Authenticate");
	is($r->{body}{code}, '42501', "$what: code 42501");
	is($r->{body}{message}, $want->[1], "$what: the message psql shows");
	is($r->{body}{hint} // '', $want->[2], "$what: the hint psql shows");
	is($r->{body}{details} // '', $want->[3], "$what: the detail psql shows");
	unlike($r->{body}{message} // '', qr/^\{/, "$what: not translated twice");
}

# The permission check before the function: a viewer submitting a job.
my $submit = q{SELECT ffrtmp.submit_job('file:///in/a.mp4')};
my $psql = psql_error('mallory', "BEGIN; SELECT ffrtmp.authenticate('$key{viewer}'); $submit;");
is_deeply([ @$psql[0, 1] ], [ '42501', 'permission denied: jobs.create' ],
	'over psql, a viewer key submitting a job keeps 42501 in plain text');
like($psql->[2], qr/jobs\.create/, 'with a hint naming the permission');
my $r = call($key{viewer}, path => '/rpc/submit_job', rpc => [ 'submit_job', { input_url => 'file:///in/a.mp4' } ]);
is_refusal($r, $psql, 'a viewer key submitting a job');

# A tenant principal naming another tenant, refused inside the C function.
for my $fn ('get_tenant', 'tenant_stats')
{
	$psql = psql_error('acme_app', "SELECT ffrtmp.$fn('$globex');");
	is($psql->[0], '42501', "over psql, $fn of another tenant is 42501");
	like($psql->[1], qr/^permission denied for tenant/, "naming the tenant ($fn)");
	$r = call($key{viewer}, method => 'GET', path => "/rpc/$fn", rpc => [ $fn, { tenant => $globex } ]);
	is_refusal($r, $psql, "a key's $fn of another tenant");
}

# Refusals raised in PL/pgSQL, deep inside the function.
my $make = q{SELECT * FROM ffrtmp.create_api_key('more', role => 'operator')};
$psql = psql_error('mallory', "BEGIN; SELECT ffrtmp.authenticate('$key{keys_only}'); $make;");
is($psql->[0], '42501', 'over psql, a key making a key with more powers than its own is 42501');
like($psql->[1], qr/^permission denied: role operator carries /, 'naming a permission the key lacks');
$r = call($key{keys_only}, path => '/rpc/create_api_key', rpc => [ 'create_api_key', { name => 'more', role => 'operator' } ]);
is_refusal($r, $psql, 'a key making a key with more powers than its own');

my $give = q{SELECT ffrtmp.create_user('ops@acme.test', 'operator')};
$psql = psql_error('mallory', "BEGIN; SELECT ffrtmp.authenticate('$key{users_only}'); $give;");
is($psql->[0], '42501', 'over psql, giving a role whose powers the key lacks is 42501');
like($psql->[1], qr/^permission denied: role operator carries /, 'naming a permission the key lacks');
$r = call($key{users_only}, path => '/rpc/create_user', rpc => [ 'create_user', { email => 'ops@acme.test', role => 'operator' } ]);
is_refusal($r, $psql, 'a key giving a role whose powers it lacks');

# A view's reader refusing: a key scoped to jobs.create reading the jobs view.
my $jobs = q{SELECT coalesce(json_agg(j), '[]') FROM ffrtmp.jobs j};
$psql = psql_error('mallory', "BEGIN; SELECT ffrtmp.authenticate('$key{creator}'); $jobs;");
is_deeply([ @$psql[0, 1] ], [ '42501', 'permission denied: jobs.view' ], 'over psql, the jobs view refuses a key without jobs.view');
$r = call($key{creator}, method => 'GET', path => '/jobs', sql => $jobs);
is_refusal($r, $psql, 'the jobs view read with a key without jobs.view');

# PostgreSQL's own privilege check, before any API function runs: a tenant
# key asking for POST /v1/tenants (create_tenant is for administrators only).
$psql = psql_error('mallory', "BEGIN; SELECT ffrtmp.authenticate('$key{admin}'); SELECT ffrtmp.create_tenant('initech');");
is_deeply([ @$psql[0, 1] ], [ '42501', 'permission denied for function create_tenant' ],
	'over psql, create_tenant is not executable by ffrtmp_api');
$r = call($key{admin}, path => '/rpc/create_tenant', rpc => [ 'create_tenant', { name => 'initech' } ]);
is_refusal($r, $psql, 'a tenant key creating a tenant');

# The same refusal as the authenticator's harness sees it when the session
# is not the authenticator: the plain 42501, which PostgREST maps to 401.
$r = call($key{viewer}, user => 'mallory', path => '/rpc/submit_job',
	rpc => [ 'submit_job', { input_url => 'file:///in/a.mp4' } ]);
is($r->{body}{code}, '42501', 'another login role replaying the request gets the plain error');

# Other statuses do not move.
$r = FfrtmpRest::request($node, method => 'POST', path => '/rpc/submit_job', rpc => [ 'submit_job', {} ]);
is($r->{status}, 401, 'no key: still 401');
is($r->{headers}{'WWW-Authenticate'}, 'Bearer', 'with its challenge');
$r = call('ffrtmp_0123456789abcdef_' . ('0' x 48), path => '/rpc/submit_job', rpc => [ 'submit_job', {} ]);
is($r->{status}, 401, 'an unknown key: still 401');
like($r->{headers}{'WWW-Authenticate'} // '', qr/invalid_token/, 'with its challenge');
$r = call($key{viewer}, method => 'GET', path => '/rpc/get_job', rpc => [ 'get_job', { id => 999999 } ]);
is_deeply([ $r->{status}, $r->{body}{code} ], [ 404, 'PT404' ], 'a missing job: still 404');
my ($old_id) = $key{viewer} =~ /^ffrtmp_([^_]+)_/;
$node->safe_psql('postgres', qq{SELECT ffrtmp.revoke_api_key('$old_id')});
$r = call($key{admin}, path => '/rpc/rotate_api_key', rpc => [ 'rotate_api_key', { key_id => $old_id } ]);
is_deeply([ $r->{status}, $r->{body}{code} ], [ 409, 'PT409' ], 'rotating a revoked key: still 409');

done_testing();
