# The Debian packages (debian/): scripts/build-packages builds
# postgresql-15-ffrtmp, ffrtmp-worker and ffrtmp-monitoring with Debian's tooling, lintian
# finds no error in them, `apt-get install ./*.deb` installs them on this
# machine, dpkg -L lists what docs/operations.md says each installs (the
# units starting the programs from /usr/bin, the example configuration a
# conffile, the system user made), and the demo runs on the installed files:
# the system's PostgreSQL 15 loading the packaged library, ffrtmp-worker
# and ffrtmp from /usr/bin, two real transcodes checked with ffprobe.
#
# It changes the machine (the system's PostgreSQL library directory,
# /usr/bin, a system user), and the packages stay installed: only the
# packages layer of scripts/test.sh runs it, as root, after every other
# layer (FFRTMP_TEST_PACKAGES=1, FFRTMP_SOURCE names the checkout).
use strict;
use warnings;
use File::Temp qw(tempdir);
use IPC::Run;
use FfrtmpNeed;
use Test::More;

plan skip_all => 'installs packages into the system: run by the packages layer of scripts/test.sh'
  unless ($ENV{FFRTMP_TEST_PACKAGES} // '') eq '1';
skip_all_because 'installing packages needs root' unless $> == 0;
my $source = $ENV{FFRTMP_SOURCE};
skip_all_because 'FFRTMP_SOURCE names no checkout with debian/'
  unless defined $source && -f "$source/debian/control";
for my $tool ('dpkg-buildpackage', 'dh', 'pg_buildext', 'help2man', 'lintian', 'apt-get')
{
	skip_all_because "no $tool (scripts/install-deps.sh installs it)"
	  unless IPC::Run::run([ 'sh', '-c', "command -v $tool" ], '>', \my $o);
}

# run(COMMAND...): its exit status and its output, stdout and stderr together.
sub run
{
	my $out = '';
	IPC::Run::run(\@_, '<', \undef, '>&', \$out);
	return ($? >> 8, $out);
}

my $dir = tempdir('ffrtmp-packages.XXXXXX', TMPDIR => 1, CLEANUP => 1);
# The demo's cluster runs as postgres, which must reach its directory.
chmod 0755, $dir;
my $demo = "$dir/demo";
my $pgbin = '/usr/lib/postgresql/15/bin';
END
{
	# The demo leaves its cluster running for the reader: stop it, passed or not.
	IPC::Run::run([ 'runuser', '-u', 'postgres', '--', "$pgbin/pg_ctl", '-D', "$demo/data", '-m', 'fast',
			'-w', 'stop' ], '>&', \my $ignored)
	  if defined $demo && -f "$demo/data/postmaster.pid";
}

# Build.
my ($rc, $out) = run('bash', "$source/scripts/build-packages", "$dir/deb");
is($rc, 0, 'scripts/build-packages builds the packages') or diag($out);
my @debs = grep { m{^/.*\.deb$} } split /\n/, $out;
my %deb = map { m{/([a-z0-9.+-]+)_[^/]*\.deb$} ? ($1 => $_) : () } @debs;
ok($deb{$_}, "it prints the path of $_") for qw(postgresql-15-ffrtmp ffrtmp-worker ffrtmp-monitoring);
BAIL_OUT('no packages to install')
  unless $deb{'postgresql-15-ffrtmp'} && $deb{'ffrtmp-worker'} && $deb{'ffrtmp-monitoring'};

# lintian: no error (its warnings are listed in docs/building.md's terms:
# none that the packages could fix).
($rc, $out) = run('lintian', '--fail-on', 'error', $deb{'postgresql-15-ffrtmp'},
	$deb{'ffrtmp-worker'}, $deb{'ffrtmp-monitoring'});
is($rc, 0, 'lintian finds no error in the packages') or diag($out);
unlike($out, qr/^E: /m, 'lintian reports no E: tag') or diag($out);

# Install, as an operator would; --reinstall, because a full run has
# already installed the checkout's build over an earlier installation's
# files (scripts/test.sh builds and installs first): the same version must
# be unpacked again.
($rc, $out) = run('sh', '-c',
	"cd '$dir/deb' && DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall --no-install-recommends ./*.deb");
is($rc, 0, 'apt-get install ./*.deb installs them') or diag($out);
for my $package (qw(postgresql-15-ffrtmp ffrtmp-worker ffrtmp-monitoring))
{
	($rc, $out) = run('dpkg-query', '-W', '-f', '${Status} ${Version}', $package);
	is($out, 'install ok installed 0.2-1', "$package 0.2-1 is installed");
	# Every file as the package has it: nothing built from a checkout
	# (make install) has replaced one.
	($rc, $out) = run('dpkg', '--verify', $package);
	is($out, '', "dpkg --verify $package: the installed files are the package's");
}

# What docs/operations.md ("From the Debian packages") says each installs.
my %promised = (
	'postgresql-15-ffrtmp' => [
		'/usr/lib/postgresql/15/lib/ffrtmp.so',
		map { "/usr/share/postgresql/15/extension/$_" }
		  qw(ffrtmp.control ffrtmp--0.2.sql ffrtmp--0.1--0.2.sql ffrtmp--0.1.sql)
	],
	'ffrtmp-worker' => [
		(map { "/usr/bin/$_" } qw(ffrtmp-worker ffrtmp-transcode ffrtmp-webhooks ffrtmp)),
		'/lib/systemd/system/ffrtmp-worker.service',
		'/lib/systemd/system/ffrtmp-webhooks.service',
		'/etc/ffrtmp/worker.conf',
		(map { "/usr/share/man/man1/$_.1.gz" } qw(ffrtmp ffrtmp-worker ffrtmp-transcode ffrtmp-webhooks)),
		'/usr/share/bash-completion/completions/ffrtmp',
		'/usr/lib/sysusers.d/ffrtmp-worker.conf',
	],
	# The monitoring files of docs/metrics.md and docs/monitoring.md.
	'ffrtmp-monitoring' => [
		(map { "/usr/share/ffrtmp/prometheus/$_" } qw(queries.yaml alerts.yml prometheus.yml)),
		'/usr/share/ffrtmp/grafana/ffrtmp-overview.json',
	],);
for my $package (sort keys %promised)
{
	($rc, $out) = run('dpkg', '-L', $package);
	my %listed = map { $_ => 1 } split /\n/, $out;
	ok($listed{$_}, "dpkg -L $package lists $_") for @{ $promised{$package} };
}
# The installed files are the tree's, and the installed example Prometheus
# configuration, as it is, loads the installed alerting rules.
for my $file (qw(prometheus/queries.yaml prometheus/alerts.yml prometheus/prometheus.yml grafana/ffrtmp-overview.json))
{
	is(slurp("/usr/share/ffrtmp/$file"), slurp("$source/deploy/$file"), "/usr/share/ffrtmp/$file is deploy/$file");
}
SKIP:
{
	skip_because('promtool is not installed', 1) unless IPC::Run::run([ 'sh', '-c', 'command -v promtool' ], '>', \my $o);
	($rc, $out) = run('promtool', 'check', 'config', '/usr/share/ffrtmp/prometheus/prometheus.yml');
	ok($rc == 0 && $out =~ /SUCCESS: \d+ rules found/, 'promtool accepts the installed prometheus.yml and its rules')
	  or diag($out);
}
($rc, $out) = run('dpkg-query', '-W', '-f', '${Conffiles}', 'ffrtmp-worker');
like($out, qr{^ /etc/ffrtmp/worker\.conf [0-9a-f]{32}$}m,
	'/etc/ffrtmp/worker.conf is a conffile: an upgrade keeps the operator\'s changes');

# The units start the installed programs, as the system user the package made.
for my $unit (qw(ffrtmp-worker ffrtmp-webhooks))
{
	my $text = slurp("/lib/systemd/system/$unit.service");
	like($text, qr{^ExecStart=/usr/bin/$unit\b}m, "$unit.service starts /usr/bin/$unit");
	unlike($text, qr{/usr/local/}, "$unit.service names nothing in /usr/local");
	like($text, qr{^User=ffrtmp$}m, "$unit.service runs as ffrtmp");
}
# systemd's own check of the installed units: directives, and the programs
# they start exist (systemd is in scripts/install-deps.sh).
SKIP:
{
	skip_because('systemd-analyze is not installed', 1) unless -x '/usr/bin/systemd-analyze';
	($rc, $out) = run('systemd-analyze', 'verify', '/lib/systemd/system/ffrtmp-worker.service',
		'/lib/systemd/system/ffrtmp-webhooks.service');
	ok($rc == 0 && $out !~ /ffrtmp/, 'systemd-analyze verify accepts both installed units') or diag($out);
}
($rc, $out) = run('getent', 'passwd', 'ffrtmp');
like($out, qr{^ffrtmp:}, 'the package made the system user ffrtmp');

# The programs run, and their manual pages describe them.
for my $program (qw(ffrtmp-worker ffrtmp-webhooks ffrtmp))
{
	($rc, $out) = run("/usr/bin/$program", '--version');
	is($out, "$program 0.2\n", "/usr/bin/$program --version says 0.2");
}
($rc, $out) = run('sh', '-c', 'zcat /usr/share/man/man1/ffrtmp-worker.1.gz');
like($out, qr/slots/, 'ffrtmp-worker(1) documents its options (from --help)');
($rc, $out) = run('sh', '-c', 'zcat /usr/share/man/man1/ffrtmp-transcode.1.gz');
like($out, qr/check\\?-params/, 'ffrtmp-transcode(1) documents its options');

# The demo, on the installed files only.
($rc, $out) = run(
	'env', "FFRTMP_DEMO_INSTALLED=yes", "FFRTMP_DEMO_DIR=$demo", 'FFRTMP_DEMO_PORT=55497',
	'bash', "$source/scripts/demo.sh");
is($rc, 0, 'the demo runs on the installed packages') or diag($out);
like(
	$out,
	qr{^demo: running the installed packages: /usr/bin/ffrtmp-worker, /usr/bin/ffrtmp \(ffrtmp 0\.2\), /usr/lib/postgresql/15/bin/postgres with /usr/lib/postgresql/15/lib/ffrtmp\.so$}m,
	'it runs /usr/bin\'s programs and the packaged library');
like($out, qr/^codec_name=h264\|width=1280\|height=720\|/m,
	'the installed worker transcoded the demo\'s MP4 (ffprobe)');
like($out, qr/^#EXT-X-STREAM-INF:.*RESOLUTION=854x480/m, 'and its HLS ladder');
like($out, qr/^demo: done\./m, 'the demo ends');
($rc, $out) = run('runuser', '-u', 'postgres', '--', "$pgbin/psql", '-X', '-At', '-h', $demo, '-p',
	'55497', '-d', 'postgres', '-c',
	"SELECT extversion || ' ' || (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') FROM pg_extension WHERE extname = 'ffrtmp'"
);
is($out, "0.2 ffrtmp\n", 'its cluster preloads ffrtmp and has the extension at 0.2');

done_testing();

sub slurp
{
	my ($path) = @_;
	open my $fh, '<', $path or return '';
	local $/;
	return <$fh>;
}
