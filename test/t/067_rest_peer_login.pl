# PostgREST's login as docs/rest.md#deployment sets it up: the
# environment file the docs' steps write (its URI, its secret, its mode),
# and the docs' pg_ident.conf and pg_hba.conf commands run against a cluster's files
# (whose pg_hba.conf, like Debian's, ends in "local all all" lines), and
# the OS user the service runs as then logs in over the socket as
# ffrtmp_authenticator with no password, through peer and the map.  The
# OS user ffrtmp-api is not created here: the test's own OS user stands for
# it.  Run twice, the commands change nothing more; without the map's line,
# peer refuses, so the line the docs add is the one that lets it in.
use strict;
use warnings;
use File::Basename qw(dirname);
use IPC::Run ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my ($block) = slurp_file(dirname(__FILE__) . '/../../docs/rest.md') =~ /\n## Deployment\n.*?\n```sh\n(.*?)\n```\n/s;
my ($db) = ($block // '') =~ /^FFRTMP_DB=(\S+)/m;
my ($steps) = ($block // '') =~ /^(# the OS user ffrtmp-api logs in as ffrtmp_authenticator.*?\n)systemctl reload postgresql$/ms;
ok($db && $steps, 'docs/rest.md#deployment sets FFRTMP_DB and the login of ffrtmp-api') or BAIL_OUT('no steps');

# The environment file the steps write: 0600, the URI logging in as
# ffrtmp_authenticator over the socket to FFRTMP_DB with no password, a
# secret long enough for PostgREST (32 characters), kept when run again.
my ($env_steps) = ($block // '') =~ /^(# PostgREST's settings and secrets.*?\n)install -m 0644 deploy\/systemd/ms;
ok($env_steps, 'the steps write the environment file');
my $etc = PostgreSQL::Test::Utils::tempdir();
my $src = File::Basename::dirname(__FILE__) . '/../..';
my $run_env = sub {
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'bash', '-c', "set -e\ncd $src\nFFRTMP_DB=$db\n" . ($env_steps =~ s{/etc/ffrtmp}{$etc}gr) ],
		'>', \$out, '2>', \$err) or die "the docs' steps failed: $err";
};
$run_env->();
my $env = slurp_file("$etc/postgrest.env");
is((stat "$etc/postgrest.env")[2] & 07777, 0600, 'postgrest.env is mode 0600');
like($env, qr{^FFRTMP_DB_URI=postgresql://ffrtmp_authenticator\@/\Q$db\E\?host=/run/postgresql$}m,
	'the URI logs in as ffrtmp_authenticator to FFRTMP_DB over the socket, with no password');
like($env, qr/^FFRTMP_JWT_SECRET=[A-Za-z0-9]{32,}$/m, 'a secret of at least 32 characters');
ok(-f "$etc/postgrest.conf", 'postgrest.conf is installed');
$run_env->();
is(slurp_file("$etc/postgrest.env"), $env, 'run again, the environment file is kept');

my $os_user = getpwuid($<);
my $node = PostgreSQL::Test::Cluster->new('peer_login');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE ROLE ffrtmp_authenticator LOGIN NOINHERIT');
my $pgdata = $node->data_dir;
like(slurp_file("$pgdata/pg_hba.conf"), qr/^local\s+all\s+all\s/m, 'the cluster has "local all all" lines');

sub run_steps
{
	my $script = "set -e\nFFRTMP_DB=$db\nPGETC=$pgdata\n" . ($steps =~ s/ffrtmp-api/$os_user/gr);
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'bash', '-c', $script ], '>', \$out, '2>', \$err) or die "the docs' steps failed: $err";
	$node->reload;
}
sub login
{
	my ($out, $err) = ('', '');
	my $rc = $node->psql($db, 'SELECT session_user', stdout => \$out, stderr => \$err,
		extra_params => [ '-U', 'ffrtmp_authenticator' ]);
	return ($rc, $out, $err);
}

run_steps();
my $hba = slurp_file("$pgdata/pg_hba.conf");
my $ident = slurp_file("$pgdata/pg_ident.conf");
my ($first_local) = $hba =~ /^(local\s.*)$/m;
like($first_local, qr/^local $db ffrtmp_authenticator peer map=\S+$/, 'the peer line is the first local line');
my ($map) = $hba =~ /peer map=(\S+)/;
like($ident, qr/^\Q$map $os_user\E ffrtmp_authenticator$/m, "pg_ident.conf maps the OS user to ffrtmp_authenticator ($map)");
my ($rc, $out, $err) = login();
is($rc, 0, 'the OS user logs in as ffrtmp_authenticator with no password') or diag($err);
is($out, 'ffrtmp_authenticator', '... as that role');

run_steps();
is(slurp_file("$pgdata/pg_hba.conf"), $hba, 'run again, pg_hba.conf is unchanged');
is(slurp_file("$pgdata/pg_ident.conf"), $ident, '... and pg_ident.conf too');

# Without the map's line, peer (OS user and role differ) refuses.
append_to_file("$pgdata/pg_ident.conf.new", join '', grep { !/^\Q$map\E / } split /^/, $ident);
rename "$pgdata/pg_ident.conf.new", "$pgdata/pg_ident.conf" or die "rename: $!";
$node->reload;
($rc, $out, $err) = login();
isnt($rc, 0, 'without the pg_ident line, the login is refused');
like($err, qr/Peer authentication failed/, '... by peer authentication');

$node->stop;
done_testing();
