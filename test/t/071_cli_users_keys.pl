# The command-line client's users, keys and audit commands against a real
# cluster (docs/cli.md): each subcommand in table and JSON form, its values
# checked against the SQL API; a tenant administrator's key acting through
# the CLI in its own tenant only; a viewer key refused (exit 1, 42501);
# arguments left out take the functions' defaults.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpNeed;
use FfrtmpRest;

my $cli = $ENV{FFRTMP_CLI} or skip_all_because('FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)');

my $node = FfrtmpRest::cluster('cli_users', sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.create_tenant('globex', plan => 'pro');
	CREATE ROLE cli_user LOGIN;
	GRANT ffrtmp_api TO cli_user;
});
my $dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';
my $key_dsn = "$dsn user=cli_user";
my $acme = FfrtmpRest::tenant_id($node, 'acme');

sub ffrtmp
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, @_ ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}
sub admin { ffrtmp("--dsn=$dsn", @_) }
sub sql { $node->safe_psql('postgres', shift) }

sub json_of
{
	my ($what, @args) = @_;
	my ($rc, $out, $err) = admin(@args, '-o', 'json');
	is($rc, 0, "$what: exit 0") or diag($err);
	return eval { decode_json($out) } // do { fail("$what: one JSON document"); diag($out); {} };
}

# users create, list, get, update, disable, delete, restore.
my $u = json_of('users create', qw(users create ann@example.com --role=tenant_admin --tenant=acme --display-name=Ann));
is_deeply([ @$u{qw(email role tenant_id display_name status)} ], [ 'ann@example.com', 'tenant_admin', $acme, 'Ann', 'active' ],
	'users create: the user as create_user returns it');
my ($rc, $out, $err) = admin(qw(users create bob@example.com --role=viewer --tenant=acme));
is($rc, 0, 'users create in table form') or diag($err);
like($out, qr/^email\s+bob\@example\.com$/m, 'one field a line');
my $bob = sql(q{SELECT id FROM ffrtmp.users WHERE email = 'bob@example.com'});
($rc, $out, $err) = admin(qw(users create carl@example.com --tenant=acme));
is($rc, 2, 'users create without --role: exit 2');

my $list = json_of('users list --tenant', qw(users list --tenant=acme));
is_deeply([ sort map { $_->{email} } @$list ], [ 'ann@example.com', 'bob@example.com' ], 'users list --tenant: the tenant\'s users');
($rc, $out) = admin(qw(users list --tenant=acme));
like($out, qr/^id\s+tenant\s+email\s+display_name\s+role\s+status$/m, 'users list: a header line');
like($out, qr/^\Q$bob\E  acme\s+bob\@example\.com\s+viewer\s+active$/m, 'and aligned rows');
is(json_of('users get', 'users', 'get', $u->{id})->{email}, 'ann@example.com', 'users get by id');
$u = json_of('users update', 'users', 'update', $u->{id}, '--display-name=Annie', '--role=operator');
is_deeply([ @$u{qw(display_name role email)} ], [ 'Annie', 'operator', 'ann@example.com' ],
	'users update changes what is given, leaves the rest');
is(json_of('users disable', 'users', 'disable', $bob)->{status}, 'disabled', 'users disable');
is(json_of('users update --status', 'users', 'update', $bob, '--status=active')->{status}, 'active', 'users update --status=active');
ok(defined json_of('users delete', 'users', 'delete', $bob)->{deleted_at}, 'users delete');
$list = json_of('users list', qw(users list --tenant=acme));
ok(!grep({ $_->{id} eq $bob } @$list), 'users list leaves deleted users out');
$list = json_of('users list --deleted', qw(users list --tenant=acme --deleted));
ok(scalar(grep { $_->{id} eq $bob } @$list), '--deleted shows them');
is(json_of('users restore', 'users', 'restore', $bob)->{deleted_at}, undef, 'users restore');
($rc, $out, $err) = admin(qw(users get 00000000-0000-0000-0000-00000000beef));
is($rc, 1, 'an unknown user: exit 1');
like($err, qr/^SQLSTATE: PT404$/m, 'PT404');

# keys create, list, rotate, revoke.
my $k = json_of('keys create', qw(keys create ci --tenant=acme --role=viewer --scope=jobs.view));
like($k->{api_key}, qr/^ffrtmp_\Q$k->{key_id}\E_[0-9a-f]{48}$/, 'keys create prints the key once');
my $keys = json_of('keys list', qw(keys list --tenant=acme));
my ($row) = grep { $_->{key_id} eq $k->{key_id} } @$keys;
is_deeply([ @$row{qw(name role scopes)} ], [ 'ci', 'viewer', ['jobs.view'] ], 'keys list: its name, role and scopes');
ok(!grep({ exists $_->{api_key} } @$keys), 'and never a secret');
($rc, $out) = admin(qw(keys list --tenant=acme));
like($out, qr/^\Q$k->{key_id}\E  ffrtmp_\Q$k->{key_id}\E  ci\s+viewer\s+\{jobs\.view\}/m,
	'keys list in table form, with the prefix a key starts with');
like($out, qr/^key_id\s+prefix\s+name\s/m, 'the prefix column named in the header');
my $svc = json_of('keys create without --role', qw(keys create svc --tenant=acme));
is(sql(qq{SELECT role FROM ffrtmp.list_api_keys('acme') WHERE key_id = '$svc->{key_id}'}), 'operator',
	'without --role, create_api_key\'s default role');
my $r = json_of('keys rotate', 'keys', 'rotate', $k->{key_id}, '--grace=2 hours');
like($r->{api_key}, qr/^ffrtmp_\Q$r->{new_key_id}\E_/, 'keys rotate prints the new key');
ok(defined $r->{old_expires_at}, 'and when the old one expires');
ok(sql(qq{SELECT expires_at BETWEEN now() + interval '119 minutes' AND now() + interval '121 minutes'
	FROM ffrtmp.list_api_keys('acme') WHERE key_id = '$k->{key_id}'}) eq 't', '--grace is passed');
ok(defined json_of('keys revoke', 'keys', 'revoke', $r->{new_key_id})->{revoked_at}, 'keys revoke');
($rc, $out, $err) = admin(qw(keys revoke 0123456789abcdef));
is($rc, 1, 'revoking an unknown key: exit 1');

# A tenant administrator's key through the CLI: its own tenant only.
my $tadmin = FfrtmpRest::api_key($node, 'tadmin', 'acme', 'tenant_admin');
($rc, $out, $err) = ffrtmp("--dsn=$key_dsn", "--api-key=$tadmin", qw(users create dan@example.com --role=viewer -o json));
is($rc, 0, 'a tenant administrator\'s key creates a user') or diag($err);
is(eval { decode_json($out)->{tenant_id} }, $acme, 'in the key\'s tenant');
($rc, $out, $err) = ffrtmp("--dsn=$key_dsn", "--api-key=$tadmin", qw(users list --tenant=globex));
is($rc, 1, 'naming another tenant: exit 1');
like($err, qr/^SQLSTATE: 42501$/m, '42501');
my $viewer = FfrtmpRest::api_key($node, 'viewer', 'acme', 'viewer');
($rc, $out, $err) = ffrtmp("--dsn=$key_dsn", "--api-key=$viewer", qw(keys create sneaky));
is($rc, 1, 'a viewer key creating a key: exit 1');
like($err, qr/^ffrtmp: error: permission denied/m, 'permission denied');
like($err, qr/^HINT: \S/m, 'with a hint');
is(sql(q{SELECT count(*) FROM ffrtmp.list_api_keys('acme') WHERE name = 'sneaky'}), 0, 'and no key');

# audit.
my $events = json_of('audit', qw(audit --tenant=acme --action=api_key.revoke));
ok(scalar(@$events) >= 1, 'audit --action: rows');
is_deeply([ sort keys %{ { map { $_->{action} => 1 } @$events } } ], ['api_key.revoke'], 'of that action only');
ok(!grep({ ($_->{tenant_id} // '') ne $acme } @$events), 'of --tenant only');
my $all = json_of('audit --limit', qw(audit --limit=2));
is(scalar(@$all), 2, '--limit=2: two rows');
my $next = json_of('audit --after', 'audit', '--after=' . $all->[1]{id}, '--limit=1');
ok($next->[0]{id} > $all->[1]{id}, '--after: the next page');
is_deeply(json_of('audit --since', qw(audit --since=2999-01-01)), [], '--since the future: an empty array');
($rc, $out) = admin(qw(audit --limit=3));
like($out, qr/^id\s+at\s+tenant_id\s+db_role\s+key_id\s+action\s+target\s+outcome$/m, 'audit in table form');
is(scalar(split /\n/, $out), 4, 'a header and three rows');
($rc, $out, $err) = admin(qw(audit --limit=0));
is($rc, 1, 'a --limit audit_events refuses: exit 1');
like($err, qr/^SQLSTATE: 22023$/m, 'with its SQLSTATE');

done_testing();
