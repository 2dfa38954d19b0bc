# The PostgREST deployment files (deploy/postgrest, deploy/systemd):
# postgrest.conf sets what the REST API relies on (the authenticator's
# db-uri and the JWT secret from the environment, never written in the
# file; the v1 schema, the anon role, the pre-request function, plans
# disabled, loopback only) and the systemd unit passes systemd-analyze.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $deploy = abs_path(dirname(__FILE__) . '/../../deploy') // die 'no deploy/ beside test/';

# postgrest.conf as PostgREST reads it: key = value, "#" comments.
my %conf;
for (split /\n/, slurp_file("$deploy/postgrest/postgrest.conf"))
{
	next if /^\s*(#|$)/;
	my ($k, $v) = /^\s*([a-z0-9-]+)\s*=\s*(.*?)\s*$/ or die "not a setting: $_";
	ok(!exists $conf{$k}, "postgrest.conf: $k set once");
	$conf{$k} = $v;
}
is($conf{'db-uri'}, '"$(FFRTMP_DB_URI)"', 'db-uri comes from the environment');
is($conf{'jwt-secret'}, '"$(FFRTMP_JWT_SECRET)"', 'the JWT secret comes from the environment');
is($conf{'db-schemas'}, '"ffrtmp"', 'the v1 schema is served');
is($conf{'db-anon-role'}, '"ffrtmp_anon"', 'anonymous requests run as ffrtmp_anon');
like($conf{'db-pre-request'}, qr/^"ffrtmp\.[a-z_]+"$/, 'a pre-request function in the ffrtmp schema');
is($conf{'db-plan-enabled'}, 'false', 'no query plans over HTTP');
is($conf{'server-host'}, '"127.0.0.1"', 'PostgREST listens on loopback only (nginx is in front)');
is($conf{'server-port'}, '3000', 'on the port the nginx upstream names');
like(slurp_file("$deploy/nginx/ffrtmp-site.conf"), qr/server 127\.0\.0\.1:3000;/,
	'the nginx upstream is that port');

# The profile nginx sets is a schema PostgREST serves.
my ($profile) = slurp_file("$deploy/nginx/ffrtmp-v1.conf") =~ /set \$ffrtmp_v1_profile (\w+);/;
ok($profile && grep({ $_ eq $profile } split /\s*,\s*/, $conf{'db-schemas'} =~ s/"//gr),
	"nginx's v1 profile ($profile) is in db-schemas");

SKIP:
{
	skip_because 'systemd-analyze is not installed', 2 unless -x '/usr/bin/systemd-analyze';
	# The binary and the users are the installer's; the unit's syntax and
	# settings are checked with them stubbed.
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $unit = slurp_file("$deploy/systemd/ffrtmp-postgrest.service");
	like($unit, qr{^ExecStart=/usr/local/bin/postgrest /etc/ffrtmp/postgrest\.conf$}m, 'the unit runs postgrest with the config');
	$unit =~ s{^ExecStart=\S+}{ExecStart=/bin/true}m;
	$unit =~ s{^(User|Group)=.*\n}{}mg;
	$unit =~ s{^EnvironmentFile=}{EnvironmentFile=-}m;
	append_to_file("$dir/ffrtmp-postgrest.service", $unit);
	my ($out, $err);
	my $ok = IPC::Run::run([ 'systemd-analyze', 'verify', "$dir/ffrtmp-postgrest.service" ], '>', \$out, '2>', \$err);
	ok($ok && $err !~ /ffrtmp-postgrest/, 'systemd-analyze verify accepts the unit') or diag($err);
}

done_testing();
