# The command-line client against a real cluster (docs/cli.md): every
# tenants subcommand and health in table and JSON form (the JSON parsed and
# its values checked against the SQL API's), tenants stats' exact layout,
# the connection's libpq conventions and API keys, the exit codes (1 the
# server refused, with its message, hint and SQLSTATE; 2 usage; 3 no
# connection), colour only on a terminal without NO_COLOR, --help, the man
# page and the bash completion.
#
# The binary is the build tree's, handed over by scripts/test.sh as FFRTMP_CLI.
use strict;
use warnings;
use File::Basename qw(dirname);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpNeed;
use FfrtmpRest;

my $cli = $ENV{FFRTMP_CLI} or skip_all_because('FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)');

my $node = FfrtmpRest::cluster('cli', sql => q{
	CREATE ROLE cli_user LOGIN;
	GRANT ffrtmp_api TO cli_user;
});
my $dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';

# ffrtmp(@args) with %ENV plus $env: (exit code, stdout, stderr).  No
# terminal: stdin, stdout and stderr are pipes.
sub ffrtmp
{
	my ($env, @args) = ref $_[0] eq 'HASH' ? @_ : ({}, @_);
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %$env);
	delete $ENV{$_} for grep { !defined $env->{$_} && exists $env->{$_} } keys %$env;
	IPC::Run::run([ $cli, @args ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# As the cluster's superuser (an administrator), through --dsn.
sub admin { ffrtmp({}, "--dsn=$dsn", @_) }

# The JSON document of a command that must succeed.
sub json_of
{
	my ($what, @args) = @_;
	my ($rc, $out, $err) = admin(@args, '--output=json');
	is($rc, 0, "$what: exit 0") or diag($err);
	return eval { decode_json($out) } // do { fail("$what: one JSON document"); diag($out); {} };
}

sub sql { $node->safe_psql('postgres', shift) }

# tenants create, in both forms.
my ($rc, $out, $err) = admin(qw(tenants create acme --plan=pro), '--display-name=ACME Corporation');
is($rc, 0, 'tenants create: exit 0') or diag($err);
like($out, qr/^name\s+acme$/m, 'tenants create shows the new tenant, one field a line');
like($out, qr/^display_name\s+ACME Corporation$/m, 'with its display name');
my $acme = FfrtmpRest::tenant_id($node, 'acme');
like($out, qr/^id\s+\Q$acme\E$/m, 'and its id');
my $g = json_of('tenants create --output=json', qw(tenants create globex --description=Widgets --expires=2999-01-01));
is($g->{name}, 'globex', 'the JSON object names the tenant');
is($g->{plan}, 'free', 'without --plan, the function\'s default plan');
is($g->{description}, 'Widgets', '--description is passed');
is($g->{max_jobs}, 0 + sql(q{SELECT max_jobs FROM ffrtmp.get_tenant('globex')}), 'quotas as the server gives them (a number)');
ok(defined $g->{expires_at} && $g->{expires_at} =~ /^2999-01-01/, '--expires is passed');
is($g->{display_name}, undef, 'a NULL is JSON null');

# tenants list.
($rc, $out, $err) = admin(qw(tenants list));
is($rc, 0, 'tenants list: exit 0');
like($out, qr/^id\s+name\s+display_name\s+plan\s+effective_status\s*$/m, 'a header line');
like($out, qr/^\Q$acme\E  acme\s+ACME Corporation  pro\s+active$/m, 'one aligned row a tenant');
my $list = json_of('tenants list --output=json', qw(tenants list));
is_deeply([ sort map { $_->{name} } @$list ],
	[ sort split /\n/, sql(q{SELECT name FROM ffrtmp.list_tenants()}) ], 'the JSON array holds every tenant the function lists');
my ($a_row) = grep { $_->{name} eq 'acme' } @$list;
is($a_row->{id}, $acme, 'with its id');
is($a_row->{max_jobs_per_hour}, 0 + sql(q{SELECT max_jobs_per_hour FROM ffrtmp.get_tenant('acme')}), 'and every column');

# tenants get, by name and by id.
my $t = json_of('tenants get --output=json', qw(tenants get acme));
is($t->{id}, $acme, 'tenants get by name');
is(json_of('tenants get by id', 'tenants', 'get', $acme)->{name}, 'acme', 'tenants get by id');
($rc, $out) = admin(qw(tenants get acme));
like($out, qr/^effective_status\s+active$/m, 'tenants get as "field value" lines');

# tenants update: plan, names, quotas (a number, unlimited, default).
$t = json_of('tenants update', qw(tenants update globex --plan=basic --display-name=Globex --quota max_jobs=7
	--quota max_gpus=unlimited));
is($t->{plan}, 'basic', 'tenants update --plan');
is($t->{display_name}, 'Globex', 'tenants update --display-name');
is($t->{max_jobs}, 7, '--quota max_jobs=7');
is($t->{max_gpus}, undef, '--quota max_gpus=unlimited: no limit');
is_deeply($t->{quota_overrides}, { max_jobs => 7, max_gpus => undef }, 'the overrides as update_tenant keeps them');
$t = json_of('tenants update --quota=default', qw(tenants update globex --quota=max_jobs=default));
is_deeply($t->{quota_overrides}, { max_gpus => undef }, '--quota KEY=default drops the override');
$t = json_of('tenants update', 'tenants', 'update', 'globex', '--description=say "hi" \\ there');
is($t->{description}, 'say "hi" \\ there', 'values go as parameters, quotes and backslashes intact');

# tenants stats: the exact layout, "unlimited" where a quota is.
sql(q{
	SELECT ffrtmp.update_tenant('acme', quotas => '{"max_jobs": 200, "max_gpus": null}');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme') FROM generate_series(1, 3);
});
($rc, $out, $err) = admin(qw(tenants stats acme));
is($rc, 0, 'tenants stats: exit 0') or diag($err);
my $s = sql(q{SELECT row_to_json(s) FROM ffrtmp.tenant_stats('acme') s});
my $st = decode_json($s);
is($out, <<"EOF", 'tenants stats prints the layout of the issue, "unlimited" for no limit');
Tenant: ACME Corporation (pro)
Status: active

Current Usage:
  Active Jobs: $st->{active_jobs}
  Active Workers: 0
  CPU Cores Used: $st->{cpu_cores_used}
  GPUs Used: 0
  Jobs This Hour: 3

Available Resources:
  Jobs Available: $st->{jobs_available}
  Workers Available: 20
  CPU Cores Available: $st->{cpu_cores_available}
  GPUs Available: unlimited
EOF
is($st->{jobs_available} + $st->{active_jobs}, 200, '(the numbers are the function\'s)');
my $sj = json_of('tenants stats --output=json', qw(tenants stats acme));
is($sj->{$_}, $st->{$_}, "tenants stats JSON: $_ as tenant_stats() gives it")
  for qw(tenant_id active_jobs jobs_this_hour jobs_available gpus_available summary);
is($sj->{gpus_available}, undef, 'unlimited is null in JSON');
is_deeply([ @$sj{qw(display_name plan effective_status)} ], [ 'ACME Corporation', 'pro', 'active' ],
	'with the tenant\'s display_name, plan and effective_status');
($rc, $out) = ffrtmp({ FFRTMP_TENANT => 'globex' }, "--dsn=$dsn", qw(tenants stats));
like($out, qr/^Tenant: Globex \(basic\)$/m, 'without an argument, FFRTMP_TENANT names the tenant');
($rc, $out) = admin(qw(tenants stats --tenant=acme));
like($out, qr/^Tenant: ACME Corporation \(pro\)$/m, '--tenant likewise');

# tenants delete and restore.
$t = json_of('tenants delete', qw(tenants delete globex));
is($t->{effective_status}, 'deleted', 'tenants delete: the tenant is deleted');
ok(defined $t->{deleted_at}, 'with its deleted_at');
$list = json_of('tenants list --active', qw(tenants list --active));
ok(!grep({ $_->{name} eq 'globex' } @$list), 'tenants list --active leaves it out');
$t = json_of('tenants restore', qw(tenants restore globex));
is($t->{effective_status}, 'active', 'tenants restore: active again');
($rc, $out) = admin(qw(tenants delete globex));
like($out, qr/^effective_status\s+deleted$/m, 'tenants delete in table form');
($rc, $out) = admin(qw(tenants restore globex));
like($out, qr/^effective_status\s+active$/m, 'tenants restore in table form');

# health.
my $h = json_of('health --output=json', 'health');
my $hs = decode_json(sql(q{SELECT ffrtmp.health()}));
is_deeply([ sort keys %$h ], [ sort keys %$hs ], 'health: the object of ffrtmp.health()');
is($h->{writable}, JSON::PP::true, 'with its values (writable)');
($rc, $out) = admin('health');
like($out, qr/^writable\s+true$/m, 'health as key/value lines');

# The server refused: exit 1, its message, hint and SQLSTATE on stderr,
# nothing on stdout.
($rc, $out, $err) = admin(qw(tenants get nosuch));
is($rc, 1, 'an unknown tenant: exit 1');
like($err, qr/^ffrtmp: error: tenant "nosuch" does not exist$/m, 'the server\'s message');
like($err, qr/^HINT: \S/m, 'its hint');
like($err, qr/^SQLSTATE: PT404$/m, 'its SQLSTATE');
is($out, '', 'nothing on stdout');
($rc, $out, $err) = admin(qw(tenants create acme));
is($rc, 1, 'a taken name: exit 1');
like($err, qr/already taken/, 'with the server\'s message');
($rc, $out, $err) = admin(qw(tenants update acme --quota max_jobs=lots));
is($rc, 1, 'a quota update_tenant refuses: exit 1');
like($err, qr/^SQLSTATE: 22023$/m, '22023');
is(sql(q{SELECT max_jobs FROM ffrtmp.get_tenant('acme')}), 200, 'and nothing changed');

# API keys: each command authenticates the key in its transaction.
my $viewer = FfrtmpRest::api_key($node, 'viewer', 'acme', 'viewer');
my $key_dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres user=cli_user';
($rc, $out, $err) = ffrtmp({ FFRTMP_API_KEY => $viewer }, "--dsn=$key_dsn", qw(tenants list --output=json));
is($rc, 0, 'a viewer key (FFRTMP_API_KEY) lists tenants') or diag($err);
is_deeply([ map { $_->{name} } @{ decode_json($out) } ], ['acme'], 'its own tenant only');
($rc, $out, $err) = ffrtmp({}, "--dsn=$key_dsn", "--api-key=$viewer", qw(tenants stats));
like($out, qr/^Tenant: ACME Corporation \(pro\)$/m, '--api-key: tenants stats without a tenant is the key\'s');
($rc, $out, $err) = ffrtmp({}, "--dsn=$key_dsn", "--api-key=$viewer", qw(tenants update acme --plan=free));
is($rc, 1, 'permission denied with a viewer key: exit 1');
like($err, qr/^SQLSTATE: 42501$/m, 'SQLSTATE 42501');
($rc, $out, $err) = ffrtmp({}, "--dsn=$key_dsn", "--api-key=$viewer", qw(tenants stats globex));
is($rc, 1, 'another tenant\'s stats with a key: exit 1');
like($err, qr/^ffrtmp: error: permission denied for tenant "globex"$/m, 'with the server\'s message');
like($err, qr/^HINT: \S/m, 'and hint');
($rc, $out, $err) = ffrtmp({}, "--dsn=$key_dsn", '--api-key=ffrtmp_0123456789abcdef_' . ('0' x 48), qw(tenants list));
is($rc, 1, 'a wrong key: exit 1');
like($err, qr/^ffrtmp: error: invalid api key$/m, 'invalid api key');
like($err, qr/^SQLSTATE: 28000$/m, '28000');

# libpq's conventions: PG* variables and a service file.
($rc, $out, $err) = ffrtmp({ PGHOST => $node->host, PGPORT => $node->port, PGDATABASE => 'postgres' },
	qw(tenants get acme -o json));
is($rc, 0, 'no --dsn: the PG* variables') or diag($err);
is(decode_json($out)->{id}, $acme, '(and -o json)');
my $svc = PostgreSQL::Test::Utils::tempdir() . '/pg_service.conf';
open my $fh, '>', $svc or die $!;
print $fh "[ffrtmp_test]\nhost=" . $node->host . "\nport=" . $node->port . "\ndbname=postgres\n";
close $fh;
($rc, $out, $err) = ffrtmp({ PGSERVICEFILE => $svc, PGHOST => undef, PGPORT => undef },
	'--dsn=service=ffrtmp_test', qw(tenants get acme));
is($rc, 0, '--dsn=service=NAME: a service file') or diag($err);
($rc, $out, $err) = ffrtmp({}, '--dsn=postgresql:///postgres?host=' . $node->host . '&port=' . $node->port, 'health');
is($rc, 0, '--dsn as a URI') or diag($err);

# Cannot connect: exit 3.
my $free = PostgreSQL::Test::Cluster::get_free_port();
($rc, $out, $err) = ffrtmp({}, "--dsn=host=127.0.0.1 port=$free dbname=postgres", qw(tenants list));
is($rc, 3, 'a wrong port: exit 3');
like($err, qr/^ffrtmp: error: cannot connect: /m, 'says it cannot connect');

# A database without the extension: the server's 3F000 (no schema ffrtmp)
# or 42883 (no function ffrtmp.*), and the hint to connect to the
# extension's database.  Another refusal has no such hint.
sql(q{CREATE DATABASE plain});
sql(q{CREATE DATABASE halfway});
$node->safe_psql('halfway', q{CREATE SCHEMA ffrtmp});
my $no_extension = qr/^HINT: connect to the database where the extension is installed \(ffrtmp\.database\), e\.g\. --dsn 'dbname=video' or PGDATABASE\.$/m;
for my $db ([ 'plain', '3F000', qr/schema "ffrtmp" does not exist/ ], [ 'halfway', '42883', qr/function ffrtmp\.\S+ does not exist/ ])
{
	my ($name, $code, $message) = @$db;
	my $db_dsn = 'host=' . $node->host . ' port=' . $node->port . " dbname=$name";
	($rc, $out, $err) = ffrtmp({}, "--dsn=$db_dsn", qw(tenants list));
	is($rc, 1, "a database without the extension ($code): exit 1");
	like($err, $message, "... the server's message");
	like($err, $no_extension, '... and the hint to connect to the extension\'s database');
	like($err, qr/^SQLSTATE: $code$/m, "... SQLSTATE $code");
}
($rc, $out, $err) = admin(qw(tenants get nosuch));
unlike($err, $no_extension, 'a refusal of the extension itself has no such hint');

# Usage errors: exit 2, nothing sent.
for my $u ([ 'no command', [] ], [ 'an unknown command', ['nodez'] ], [ 'an unknown subcommand', [qw(tenants frob)] ],
	[ 'an unknown option', [qw(tenants list --frob)] ], [ 'a missing tenant', [qw(tenants get)] ],
	[ 'a missing name', [qw(tenants create)] ], [ 'an extra argument', [qw(tenants get acme globex)] ],
	[ '--quota without =', [qw(tenants update acme --quota max_jobs)] ], [ 'a missing value', [qw(tenants create x --plan)] ],
	[ 'a bad --format', [qw(--format=yaml tenants list)] ], [ 'a bad -o', [qw(tenants list -o yaml)] ],
	[ 'a bad --output', [qw(tenants list --output=yaml)] ])
{
	($rc, $out, $err) = admin(@{ $u->[1] });
	is($rc, 2, "$u->[0]: exit 2");
}
like($err, qr/--output must be table or json/, 'with what is wrong');
# --format is the format, -o and --output=table|json its aliases.
for my $f ([qw(--format=json)], [qw(--format json)], [qw(-o json)], [qw(-ojson)], [qw(--output json)])
{
	($rc, $out, $err) = admin(qw(tenants get acme), @$f);
	is(eval { decode_json($out)->{name} }, 'acme', "@$f: one JSON object") or diag($err);
}
($rc, $out, $err) = admin(qw(--format=json tenants get acme --output=table));
like($out, qr/^name\s+acme$/m, '--output=table after --format=json: the last one given wins');

# --help on every command and subcommand, on stdout, exit 0.
($rc, $out) = admin('--help');
is($rc, 0, 'ffrtmp --help: exit 0');
my @groups = $out =~ /^  (\w+) /mg;
is_deeply(\@groups, [qw(tenants users keys audit jobs nodes webhooks health import)], 'names every command');
my %subs;
for my $grp (@groups)
{
	($rc, $out) = admin($grp, '--help');
	is($rc, 0, "ffrtmp $grp --help: exit 0");
	my @s = $grp =~ /^(?:audit|health)$/ ? () : $out =~ /^  (\w+) /mg;
	$subs{$grp} = \@s;
	for my $sub (@s)
	{
		($rc, $out) = admin($grp, $sub, '--help');
		is($rc, 0, "ffrtmp $grp $sub --help: exit 0");
		like($out, qr/^ffrtmp $grp $sub/, "which starts with its synopsis");
	}
}
is_deeply($subs{tenants}, [qw(create list get update stats delete restore)], 'tenants: every subcommand');
is_deeply($subs{users}, [qw(create list get update delete disable restore)], 'users: every subcommand');
is_deeply($subs{keys}, [qw(create list rotate revoke)], 'keys: every subcommand');

# The man page and the bash completion, installed beside the binary.
my $dir = dirname($cli);
my $man = slurp_file("$dir/ffrtmp.1");
like($man, qr/^\.TH FFRTMP 1/m, 'a man page, ffrtmp(1)');
like($man, qr/tenants $_/, "which documents tenants $_") for @{ $subs{tenants} };
like($man, qr/EXIT STATUS/, 'and the exit codes');
my $compl = sub {
	my ($line) = @_;
	my @w = split / /, $line, -1;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'bash', '-c', 'source "$1"; complete -p ffrtmp; COMP_WORDS=("${@:2}"); COMP_CWORD=$(($# - 2)); _ffrtmp; '
		  . 'printf "%s\n" "${COMPREPLY[@]}"', 'bash', "$dir/ffrtmp.bash-completion", @w ], '>', \$o, '2>', \$e);
	return $o;
};
like($compl->('ffrtmp '), qr/^complete -F _ffrtmp ffrtmp$/m, 'the completion is registered for ffrtmp');
is_deeply([ sort grep { !/^complete/ } split /\n/, $compl->('ffrtmp ') ], [ sort @groups ], 'it completes every command');
for my $grp (qw(tenants users keys))
{
	is_deeply([ sort grep { !/^complete/ } split /\n/, $compl->("ffrtmp $grp ") ], [ sort @{ $subs{$grp} } ],
		"and every $grp subcommand");
}
like($compl->('ffrtmp tenants update acme --q'), qr/^--quota=$/m, 'and their options');
# As bash splits words at '=': "--output" "=" "json".
is_deeply([ grep { !/^complete/ } split /\n/, $compl->('ffrtmp --output = json tenants ') ], $subs{tenants},
	'a global option with its value before the command is passed over');
is_deeply([ grep { !/^complete/ } split /\n/, $compl->('ffrtmp tenants list --output = ') ], [qw(table json)],
	'--output= completes its values');
is_deeply([ grep { !/^complete/ } split /\n/, $compl->('ffrtmp tenants list --format = ') ], [qw(table json)],
	'and --format= too');

# Colour only on a terminal, and never with NO_COLOR (script(1) gives a terminal).
SKIP:
{
	skip_because('script(1) is not installed', 2) unless -x '/usr/bin/script';
	my $cmd = "$cli --dsn='$dsn' tenants list";
	my ($o1, $o2);
	IPC::Run::run([ 'script', '-qec', $cmd, '/dev/null' ], '<', \'', '>', \$o1);
	{
		local $ENV{NO_COLOR} = '1';
		IPC::Run::run([ 'script', '-qec', $cmd, '/dev/null' ], '<', \'', '>', \$o2);
	}
	like($o1, qr/\e\[1m/, 'on a terminal the header is bold');
	unlike($o2, qr/\e\[/, 'with NO_COLOR no escape sequence');
}
($rc, $out) = admin(qw(tenants list));
unlike($out, qr/\e\[/, 'not on a terminal: none either');

done_testing();
