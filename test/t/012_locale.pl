# The suite and the demo start PostgreSQL whatever locale the caller's
# environment names: an SSH client forwards LANG=en_US.UTF-8 to machines that
# may have only C.UTF-8 generated, and initdb then refuses to run.  The
# scripts pick a locale every Debian system has (portable_locale in
# scripts/lib.sh); this starts a cluster the way the Perl TAP tests do (initdb
# with the environment's locale) under a locale that is not generated.
use strict;
use warnings;
use Cwd qw(abs_path);
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $lib = 'scripts/lib.sh';
skip_all_because "$lib is not next to the tests (scripts/test.sh copies it)" unless -f $lib;

my %generated = map { lc($_) =~ s/[-_.]//gr => 1 } split /\n/, `locale -a`;
my ($missing) = grep { !$generated{ lc($_) =~ s/[-_.]//gr } } ('en_US.UTF-8', 'de_DE.UTF-8', 'xx_XX.UTF-8');

my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('locale'));
my @caller_env = ('env', '-u', 'LC_ALL', '-u', 'LC_CTYPE', '-u', 'LC_COLLATE', "LANG=$missing");

# The fault as a newcomer meets it: initdb under that locale fails.
my ($out, $err) = ('', '');
my $plain = IPC::Run::run([ @caller_env, 'initdb', '-D', "$dir/plain", '-A', 'trust', '-N' ], '>', \$out, '2>', \$err);
ok(!$plain, "initdb alone fails with LANG=$missing (the fault is reproduced)");
like($err, qr/invalid locale settings|locale/i, 'because of the locale');

# The same start-up through the scripts' environment.
($out, $err) = ('', '');
my $fixed = IPC::Run::run(
	[ @caller_env, 'bash', '-c', ". $lib && portable_locale && initdb -D \"\$0\" -A trust -N >/dev/null && "
		  . "pg_ctl -D \"\$0\" -o \"-c listen_addresses='' -c unix_socket_directories='\$0'\" -l \"\$0/log\" -w start >/dev/null && "
		  . "psql -X -At -h \"\$0\" -d postgres -c 'SHOW lc_ctype'; rc=\$?; pg_ctl -D \"\$0\" -m fast -w stop >/dev/null; exit \$rc",
	  "$dir/fixed" ],
	'>', \$out, '2>', \$err);
ok($fixed, "with the scripts' locale, initdb and the server start under LANG=$missing") or diag($err);
is($err, '', 'and nothing on stderr that a newcomer would take for an error');
is($out =~ s/\s+$//r, 'C.UTF-8', 'and the cluster runs in C.UTF-8');

done_testing();
