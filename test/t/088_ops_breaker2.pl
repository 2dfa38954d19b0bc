# Breaking the operations guide's backup and restore (docs/operations.md,
# "Backups"), the trigger that writes a restored default tenant over the one
# CREATE EXTENSION made (ffrtmp_data.restore_over_default), and two claims of
# the deployment examples.  Each assertion is what an operator relies on.
#
# - A restore into a database that already holds ffrtmp's rows must not
#   write the dump's default tenant and counters over the live ones (plain
#   pg_restore goes on after an error, table by table).
# - An INSERT of the default tenant's key that is not a restore (a
#   superuser's ON CONFLICT DO NOTHING) must not change the existing row.
# - "Restoring into the same cluster (a new database, the roles still
#   there)" must work as the guide says.
# - An installation that followed docs/recurring.md (pg_cron in the
#   database) must restore with the guide's postgresql.conf.
# - deploy/patroni/patroni.yml must state ffrtmp.node_timeout's real default.
# - A member started by Patroni from deploy/patroni/patroni.yml (addresses,
#   ports and paths made local, nothing else changed) must not let anyone
#   in as the superuser without a password: bootstrap.pg_hba is added to
#   initdb's default pg_hba.conf, which trusts every local connection.
# - `kubectl apply -k deploy/kubernetes` must not deploy a JWT secret that
#   is printed in the repository (a token signed with it acts as any role
#   the authenticator may become, ffrtmp_api_admin included).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use FfrtmpNeed;
use IPC::Run;
use FfrtmpProcess;
use YAML::XS ();
use JSON::PP;

my $default_id = '00000000-0000-0000-0000-000000000000';
my $conf = "shared_preload_libraries = 'ffrtmp'\nffrtmp.database = 'video'\nffrtmp.schedulers = 0\n";

# A command's exit status and standard error.
sub run_rc
{
	my ($cmd) = @_;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run($cmd, '>', \$stdout, '2>', \$stderr);
	chomp $stdout;
	return ($? >> 8, $stdout, $stderr);
}

# The postgresql.conf lines of the guide's "Restoring into a new cluster":
# those for an installation with recurring jobs (the block that preloads
# pg_cron) when $cron, else the first.
sub guide_restore_conf
{
	my ($cron) = @_;
	open my $fh, '<', 'docs/operations.md' or die "docs/operations.md: $!";
	my $text = do { local $/; <$fh> };
	my ($section) = $text =~ /^### Restoring into a new cluster\n(.*?)(?=^#{1,3} |\z)/ms
	  or die 'no section "Restoring into a new cluster"';
	my @blocks = $section =~ /^```\n(.*?)^```$/msg or die 'no postgresql.conf block';
	my ($block) = $cron ? grep({ /pg_cron/ } @blocks) : @blocks;
	die 'no postgresql.conf block for pg_cron' unless defined $block;
	return ($block, $text);
}

my $old = PostgreSQL::Test::Cluster->new('old');
$old->init;
$old->append_conf('postgresql.conf', $conf);
$old->start;
$old->safe_psql('postgres', 'CREATE DATABASE video');
$old->safe_psql('video', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('acme', plan => 'pro');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme') FROM generate_series(1, 3);
	SELECT ffrtmp.submit_job('testsrc://');
	SELECT ffrtmp.update_tenant('default', metadata => '{"from": "dump"}');
});
my $dir = PostgreSQL::Test::Utils::tempdir('breaker2');
command_ok([ 'pg_dump', '-Fc', '-f', "$dir/video.dump", '-d', $old->connstr('video') ], 'pg_dump -Fc succeeds');

# 1. A restore into a database that already has ffrtmp's rows.
my $live = PostgreSQL::Test::Cluster->new('live');
$live->init;
$live->append_conf('postgresql.conf', $conf);
$live->start;
$live->safe_psql('postgres', 'CREATE DATABASE video');
$live->safe_psql('video', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('globex');
	SELECT ffrtmp.submit_job('testsrc://') FROM generate_series(1, 5);
	SELECT ffrtmp.update_tenant('default', metadata => '{"from": "live"}');
});
my $default_row = q{SELECT concat_ws(':', name, plan, metadata) FROM ffrtmp_data.tenants WHERE id = '} . $default_id . q{'};
my $before = $live->safe_psql('video', $default_row);

# As the guide writes it: refused at the first error, nothing written.
my ($rc, $out, $err) = run_rc([ 'pg_restore', '--exit-on-error', '-d', $live->connstr('video'), "$dir/video.dump" ]);
isnt($rc, 0, 'pg_restore --exit-on-error into a database with ffrtmp data fails');
is($live->safe_psql('video', $default_row), $before, 'and leaves the default tenant as it was');

# As the guide writes it now: one transaction.
($rc, $out, $err) = run_rc([ 'pg_restore', '--single-transaction', '-d', $live->connstr('video'), "$dir/video.dump" ]);
isnt($rc, 0, 'pg_restore --single-transaction into a database with ffrtmp data fails');
is($live->safe_psql('video', $default_row), $before, 'and leaves the default tenant as it was');

# pg_restore's default goes on after each error: the trigger turns the
# default tenant's duplicate key into an overwrite, and its usage counters
# come from the dump while its jobs are the live ones.
($rc, $out, $err) = run_rc([ 'pg_restore', '-d', $live->connstr('video'), "$dir/video.dump" ]);
isnt($rc, 0, 'plain pg_restore into a database with ffrtmp data reports errors');
is($live->safe_psql('video', $default_row), $before,
	'a restore into a database with data does not write the dump\'s default tenant over the live one');
like($err, qr/ERROR:  the default tenant's tenants row is not the one CREATE EXTENSION made: this database already holds data\n(?:.*\n)*?HINT:  Restore into a new, empty database \(docs\/operations\.md\)\./,
	'the default tenant\'s row is refused, saying that the database holds data and to restore into a new one') or diag($err);
is($live->safe_psql('video', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0',
	'nor the dump\'s usage counters over the live default tenant\'s');
is($live->safe_psql('video', q{SELECT count(*) FROM ffrtmp_data.tenants t WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.jobs j WHERE j.tenant_id = t.id) AND t.name = 'acme'}), '0',
	'nor half a tenant (acme without its jobs)');

# 2. Not a restore: a superuser's idempotent seed of the default tenant.
$live->safe_psql('video', qq{
	INSERT INTO ffrtmp_data.tenants (id, name, plan) VALUES ('$default_id', 'seeded', 'free') ON CONFLICT DO NOTHING;
	INSERT INTO ffrtmp_data.usage (tenant_id) VALUES ('$default_id') ON CONFLICT DO NOTHING;
});
like($live->safe_psql('video', $default_row), qr/^default:/,
	'INSERT ... ON CONFLICT DO NOTHING of the default tenant changes nothing (it is renamed now)');
is($live->safe_psql('video', qq{SELECT active_jobs > 0 FROM ffrtmp_data.usage WHERE tenant_id = '$default_id'}), 't',
	'nor zeroes its usage counters');
$live->stop;

# 3. The guide: "Restoring into the same cluster (a new database, the roles
# still there) skips roles.sql".
my ($guide_conf, $guide) = guide_restore_conf();
if ($guide =~ /Restoring into the same cluster \(a new database/)
{
	$old->safe_psql('postgres', 'CREATE DATABASE video_copy');
	($rc, $out, $err) = run_rc([ 'pg_restore', '--exit-on-error', '-d', $old->connstr('video_copy'), "$dir/video.dump" ]);
	is($rc . $err, '0', 'the guide\'s restore into a new database of the same cluster succeeds');
}
else
{
	pass('the guide no longer offers a restore into the same cluster');
}

# 4. An installation with recurring jobs (docs/recurring.md: pg_cron in the
# database ffrtmp lives in) restored with the guide's postgresql.conf.
SKIP:
{
	my $pkglib = `pg_config --pkglibdir`;
	chomp $pkglib;
	skip_because('pg_cron is not installed (Debian package postgresql-15-cron)', 1)
	  unless -e "$pkglib/pg_cron.so";
	$old->append_conf('postgresql.conf',
		"shared_preload_libraries = 'ffrtmp, pg_cron'\ncron.database_name = 'video'\ncron.use_background_workers = on\n");
	$old->restart;
	$old->safe_psql('video', q{CREATE EXTENSION pg_cron;
		SELECT cron.schedule('hourly', '0 * * * *', $$SELECT 1$$);});
	command_ok([ 'pg_dump', '-Fc', '-f', "$dir/cron.dump", '-d', $old->connstr('video') ], 'pg_dump -Fc with pg_cron succeeds');
	my $new = PostgreSQL::Test::Cluster->new('new');
	$new->init;
	my ($cron_conf) = guide_restore_conf('cron');
	$new->append_conf('postgresql.conf', $cron_conf);
	$new->start;
	$new->safe_psql('postgres', 'CREATE DATABASE video');
	($rc, $out, $err) = run_rc([ 'pg_restore', '--single-transaction', '-d', $new->connstr('video'), "$dir/cron.dump" ]);
	is($rc . $err, '0', 'a database with recurring jobs (pg_cron) restores with the guide\'s postgresql.conf');
	$new->stop;
}
$old->stop;

# 5. The Patroni example's claim about ffrtmp.node_timeout's default.
my $guc_default = `grep -A2 '"ffrtmp.node_timeout"' src/scheduler.c` =~ /&node_timeout_s, (\d+),/ ? $1 : 'unknown';
my $patroni = slurp_file('deploy/patroni/patroni.yml');
my ($claimed) = $patroni =~ /ffrtmp\.node_timeout \(default (\d+)s/;
is($claimed // $guc_default, $guc_default, 'deploy/patroni/patroni.yml gives ffrtmp.node_timeout\'s real default');

# 6. deploy/patroni/patroni.yml run by Patroni, as a single member on
# loopback: its addresses, ports and paths made local, the rest as shipped.
SKIP:
{
	my @missing = grep { my $t = $_; !grep { -x "$_/$t" } split /:/, $ENV{PATH} } qw(patroni etcd);
	skip_because("@missing not installed (Debian packages patroni, etcd-server)", 1) if @missing;
	my $ha = PostgreSQL::Test::Utils::tempdir('patroni_example');
	chmod 0700, $ha;
	my ($client, $peer, $rest, $port) = map { PostgreSQL::Test::Cluster::get_free_port() } 1 .. 4;
	my $etcd = start_background(
		[ 'etcd', '--name', 'e1', '--data-dir', "$ha/etcd",
		  '--listen-client-urls', "http://127.0.0.1:$client", '--advertise-client-urls', "http://127.0.0.1:$client",
		  '--listen-peer-urls', "http://127.0.0.1:$peer", '--initial-advertise-peer-urls', "http://127.0.0.1:$peer",
		  '--initial-cluster', "e1=http://127.0.0.1:$peer", '--initial-cluster-state', 'new' ],
		"$ha/etcd.log");
	my $c = YAML::XS::LoadFile('deploy/patroni/patroni.yml');
	$c->{restapi}{listen} = $c->{restapi}{connect_address} = "127.0.0.1:$rest";
	$c->{etcd3}{hosts} = "127.0.0.1:$client";
	my $pg = $c->{postgresql};
	$pg->{listen} = $pg->{connect_address} = "127.0.0.1:$port";
	chomp($pg->{bin_dir} = `pg_config --bindir`);
	$pg->{data_dir} = "$ha/data";
	$pg->{pgpass} = "$ha/pgpass";
	$pg->{parameters}{unix_socket_directories} = $ha;
	open my $fh, '>', "$ha/patroni.yml" or die "$ha/patroni.yml: $!";
	print $fh JSON::PP->new->encode($c);
	close $fh;
	local $ENV{HOME} = $ha;
	my $patroni = start_background([ 'patroni', "$ha/patroni.yml" ], "$ha/patroni.log");
	my $http = HTTP::Tiny->new(timeout => 2);
	ok(wait_until(sub { $http->get("http://127.0.0.1:$rest/primary")->{status} == 200 }, 90),
		'the example\'s member bootstraps and leads')
	  or diag(slurp_file("$ha/patroni.log"));
	local $ENV{PGPASSFILE} = "$ha/no-such-pgpass";
	local $ENV{PGPASSWORD};
	delete $ENV{PGPASSWORD};
	($rc, $out, $err) = run_rc([ 'psql', '-X', '-Atc', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
		"host=127.0.0.1 port=$port user=postgres dbname=postgres connect_timeout=5" ]);
	isnt("$rc $out", '0 t', 'no password-less superuser login over TCP on a member set up from the example')
	  or diag(slurp_file("$ha/data/pg_hba.conf"));
	stop_process($patroni, 'TERM', 30);
	system('pg_ctl', '-D', "$ha/data", '-m', 'immediate', '-s', 'stop') if -e "$ha/data/postmaster.pid";
	stop_process($etcd, 'TERM', 10);
}

# 7. What `kubectl apply -k deploy/kubernetes` deploys: no JWT secret that
# the repository prints.
my $kustomization = slurp_file('deploy/kubernetes/kustomization.yaml');
my ($resources) = $kustomization =~ /^resources:\n((?:  - .*\n)+)/m;
my @applied = $resources =~ /- (\S+)/g;
my @known = grep { slurp_file("deploy/kubernetes/$_") =~ /^\s*jwt-secret: \S+/m } @applied;
is("@known", '', 'kubectl apply -k deploys no JWT secret printed in the repository');

done_testing();
