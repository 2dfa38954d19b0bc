# FfrtmpPatroni: a Patroni-managed PostgreSQL cluster on loopback for the
# high-availability tests (test/t/095_*): one etcd (Debian's etcd-server)
# as the DCS and N PostgreSQL members, each run by its own Patroni with
# ffrtmp preloaded, synchronous replication on (synchronous_mode), fast
# failover timings (ttl 6 s unless given, loop_wait 1 s, retry_timeout 2 s):
# a failover takes about ttl.
#
#   my $ha = FfrtmpPatroni->new($dir, members => 3, ttl => 6,
#       parameters => { 'ffrtmp.node_timeout' => '20s' });
#   my $leader = $ha->wait_leader;               # a member: name, port, rest, pid, ...
#   $ha->sql($leader, 'SELECT 1');
#   $ha->conninfo;                               # every member, target_session_attrs=read-write
#   $ha->kill_member($leader);                   # SIGKILL of its Patroni and postmaster
#   $ha->start_member($leader);                  # it rejoins (pg_rewind)
#
# Every process listens on 127.0.0.1 on a free port, keeps its files under
# $dir, and is stopped at exit (replicas before the leader, then etcd), also
# when the test dies half way.  Patroni runs PostgreSQL from the bin
# directory of the pg_config first in PATH (scripts/test.sh puts the one the
# extension was installed into there).
package FfrtmpPatroni;

use strict;
use warnings;
use File::Path qw(make_path);
use HTTP::Tiny;
use IPC::Run ();
use JSON::PP;
use FfrtmpProcess;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $http = HTTP::Tiny->new(timeout => 2);
my @clusters;    # stopped at exit

sub new
{
	my ($class, $dir, %o) = @_;
	my $self = bless { dir => $dir, members => [], parameters => $o{parameters} // {}, ttl => $o{ttl} // 6 },
	  $class;
	chomp(my $bindir = `pg_config --bindir`);
	$self->{bindir} = $bindir;
	make_path("$dir/etcd");
	$self->_start_etcd;
	for my $i (1 .. ($o{members} // 3))
	{
		my $m = { name => "m$i", port => PostgreSQL::Test::Cluster::get_free_port(),
			rest => PostgreSQL::Test::Cluster::get_free_port(), dir => "$dir/m$i" };
		make_path($m->{dir});
		chmod 0700, $m->{dir};
		$self->_write_config($m);
		push @{ $self->{members} }, $m;
	}
	push @clusters, $self;
	# Patroni wants a writable home (it keeps nothing there that matters).
	$ENV{HOME} = $dir;
	$self->start_member($_) for @{ $self->{members} };
	return $self;
}

sub members { @{ $_[0]{members} } }

sub _start_etcd
{
	my ($self) = @_;
	my $client = PostgreSQL::Test::Cluster::get_free_port();
	my $peer = PostgreSQL::Test::Cluster::get_free_port();
	$self->{etcd_port} = $client;
	$self->{etcd} = start_background(
		[ 'etcd', '--name', 'e1', '--data-dir', "$self->{dir}/etcd/data",
		  '--listen-client-urls', "http://127.0.0.1:$client",
		  '--advertise-client-urls', "http://127.0.0.1:$client",
		  '--listen-peer-urls', "http://127.0.0.1:$peer",
		  '--initial-advertise-peer-urls', "http://127.0.0.1:$peer",
		  '--initial-cluster', "e1=http://127.0.0.1:$peer", '--initial-cluster-state', 'new' ],
		"$self->{dir}/etcd/etcd.log");
	wait_until(sub { ($http->get("http://127.0.0.1:$client/health")->{content} // '') =~ /"health":\s*"true"/ }, 30)
	  or BAIL_OUT('etcd did not become healthy; its log:' . "\n" . slurp_file("$self->{dir}/etcd/etcd.log"));
}

# Patroni's configuration as JSON, which is YAML too.
sub _write_config
{
	my ($self, $m) = @_;
	my $trust = [ 'local all all trust', 'host all all 127.0.0.1/32 trust',
		'host replication all 127.0.0.1/32 trust' ];
	my %conf = (
		scope => 'ffrtmp-ha',
		name => $m->{name},
		log => { level => 'INFO' },
		restapi => { listen => "127.0.0.1:$m->{rest}", connect_address => "127.0.0.1:$m->{rest}" },
		etcd3 => { hosts => "127.0.0.1:$self->{etcd_port}" },
		bootstrap => {
			dcs => {
				ttl => $self->{ttl}, loop_wait => 1, retry_timeout => 2,
				# Commits are acknowledged once a standby has them: the
				# promoted one then holds every acknowledged job.
				synchronous_mode => JSON::PP::true,
				postgresql => { use_pg_rewind => JSON::PP::true,
					parameters => { wal_log_hints => 'on' } },
			},
			initdb => [ { encoding => 'UTF8' }, 'no-locale' ],
			pg_hba => $trust,
		},
		postgresql => {
			listen => "127.0.0.1:$m->{port}",
			connect_address => "127.0.0.1:$m->{port}",
			data_dir => "$m->{dir}/data",
			bin_dir => $self->{bindir},
			pgpass => "$m->{dir}/pgpass",
			authentication => { superuser => { username => 'postgres' },
				replication => { username => 'postgres' },
				rewind => { username => 'postgres' } },
			pg_hba => $trust,
			parameters => {
				shared_preload_libraries => 'ffrtmp',
				unix_socket_directories => $m->{dir},
				max_connections => 60,
				%{ $self->{parameters} },
			},
		},
	);
	$m->{config} = "$m->{dir}/patroni.yml";
	open my $fh, '>', $m->{config} or die "$m->{config}: $!";
	print $fh JSON::PP->new->canonical->pretty->encode(\%conf);
	close $fh;
}

# Starts (or restarts) a member's Patroni.
sub start_member
{
	my ($self, $m) = @_;
	$m->{harness} = start_background([ 'patroni', $m->{config} ], "$m->{dir}/patroni.log");
	$m->{pid} = $m->{harness}{KIDS}[0]{PID};
}

# The REST API's answer to GET $path (the HTTP status, 599 when none).
sub rest_status
{
	my ($self, $m, $path) = @_;
	return $http->get("http://127.0.0.1:$m->{rest}$path")->{status};
}

# The member whose REST API says it is the primary, or undef.
sub leader
{
	my ($self, @except) = @_;
	for my $m (@{ $self->{members} })
	{
		next if grep { $_ == $m } @except;
		return $m if $self->rest_status($m, '/primary') == 200;
	}
	return undef;
}

# Waits for a leader (not one of @except) that streams to every other
# running member, one of them synchronously; returns it.
sub wait_leader
{
	my ($self, $timeout, @except) = @_;
	my $want = grep { my $m = $_; !grep { $_ == $m } @except } @{ $self->{members} };
	my $leader;
	wait_until(
		sub {
			$leader = $self->leader(@except) or return 0;
			my $streaming = $self->try_sql($leader,
				q{SELECT count(*) FILTER (WHERE state = 'streaming') || ' ' || count(*) FILTER (WHERE sync_state = 'sync')
				  FROM pg_stat_replication});
			return 0 unless defined $streaming;
			my ($n, $sync) = split / /, $streaming;
			return $n == $want - 1 && ($want == 1 || $sync >= 1);
		},
		$timeout // 90)
	  or BAIL_OUT("no leader streaming to the other members; logs:\n" . $self->logs);
	return $leader;
}

# Runs SQL on one member as postgres; returns its output, or undef on error.
sub try_sql
{
	my ($self, $m, $query, $db) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(
		[ "$self->{bindir}/psql", '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		  "host=127.0.0.1 port=$m->{port} user=postgres dbname=" . ($db // 'postgres') . ' connect_timeout=2',
		  '-c', $query ],
		'<', \undef, '>', \$out, '2>', \$err);
	return undef unless $ok;
	chomp $out;
	return $out;
}

sub sql
{
	my ($self, $m, $query) = @_;
	my $out = $self->try_sql($m, $query);
	die "query on $m->{name} failed: $query" unless defined $out;
	return $out;
}

# A connection string that finds the primary among every member.
sub conninfo
{
	my ($self) = @_;
	my @m = @{ $self->{members} };
	return sprintf('host=%s port=%s user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=1',
		join(',', map { '127.0.0.1' } @m), join(',', map { $_->{port} } @m));
}

# The postmaster's pid, from its pid file.
sub postmaster_pid
{
	my ($self, $m) = @_;
	open my $fh, '<', "$m->{dir}/data/postmaster.pid" or return undef;
	my $pid = <$fh>;
	close $fh;
	chomp $pid;
	return $pid;
}

# SIGKILL of the member's Patroni and postmaster: a machine gone at once,
# as far as the rest of the cluster can tell.
sub kill_member
{
	my ($self, $m) = @_;
	my $postmaster = $self->postmaster_pid($m);
	kill 'KILL', $m->{pid};
	kill 'KILL', $postmaster if $postmaster;
	eval { $m->{harness}->finish };
	wait_until(sub { !kill 0, $postmaster }, 10) if $postmaster;
}

sub logs
{
	my ($self) = @_;
	return join '', map { my $f = "$_->{dir}/patroni.log"; -f $f ? "== $_->{name}\n" . slurp_file($f) : '' }
	  @{ $self->{members} };
}

# Stops one member: TERM to Patroni (which stops PostgreSQL), then an
# immediate stop of a postmaster left behind.
sub stop_member
{
	my ($self, $m) = @_;
	stop_process($m->{harness}, 'TERM', 20) if $m->{harness};
	delete $m->{harness};
	if (-f "$m->{dir}/data/postmaster.pid")
	{
		system("$self->{bindir}/pg_ctl", '-D', "$m->{dir}/data", '-m', 'immediate', '-s', 'stop');
	}
}

# Replicas first, so that none is promoted while the leader stops.
sub stop
{
	my ($self) = @_;
	my $leader = $self->leader;
	$self->stop_member($_) for grep { !$leader || $_ != $leader } @{ $self->{members} };
	$self->stop_member($leader) if $leader;
	stop_process($self->{etcd}, 'TERM', 10) if $self->{etcd};
	delete $self->{etcd};
}

END
{
	my $rc = $?;
	eval { $_->stop } for @clusters;
	$? = $rc;
}

1;
