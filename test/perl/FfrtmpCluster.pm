# FfrtmpCluster: a PostgreSQL cluster with ffrtmp, its tenant and its
# ffrtmp-worker processes, for the end-to-end tests (test/t).
#
# One object per test file: a PostgreSQL node with ffrtmp preloaded and a
# fast scheduler, a tenant ("acme"), an input root and an output root in the
# test's temporary directory, ffrtmp-worker processes started, drained or
# killed on demand, and jobs submitted and waited for.  Media (clips, ffprobe,
# playlists) is FfrtmpMedia's; servers (RTMP, HTTP, publishers) are
# FfrtmpServers'; background processes and wait_until are FfrtmpProcess'.
#
# The worker binary comes from the environment (scripts/test.sh copies it
# next to the tests, since the checkout belongs to root):
#   FFRTMP_WORKER     path of ffrtmp-worker
package FfrtmpCluster;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter 'import';
use File::Path qw(make_path);
use JSON::PP;
use FfrtmpProcess;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(worker_bin quote_literal);

my $json = JSON::PP->new->canonical;
my $loopback = '127.0.0.0/8, ::1';    # what the tests open to jobs by default

# The worker binary, or skip the whole file when there is none.
sub worker_bin
{
	my $bin = $ENV{FFRTMP_WORKER};
	plan skip_all => 'FFRTMP_WORKER does not name an executable ffrtmp-worker'
	  unless defined $bin && -x $bin;
	return abs_path($bin);
}

# $text as an SQL string literal (NULL for undef).
sub quote_literal
{
	my ($text) = @_;
	return 'NULL' unless defined $text;
	$text =~ s/'/''/g;
	return "'$text'";
}

=pod

=head1 The cluster, the tenant and the workers

	my $env = FfrtmpCluster->new('outputs', node_timeout => '3s');
	my $w = $env->start_worker(args => ['--slots=2']);
	my $id = $env->submit("file://$clip", output => 'a/out.mp4', params => {...});
	my $job = $env->wait_job($id);          # terminal state, as a hash
	$env->output_path('a/out.mp4');         # <output root>/<tenant uuid>/a/out.mp4

=cut

sub new
{
	my ($class, $name, %o) = @_;
	my $self = bless { name => $name, workers => [], nworkers => 0 }, $class;
	worker_bin();

	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my $node_timeout = $o{node_timeout} // '3s';
	# The tests' media servers listen on loopback, which the network policy
	# refuses unless allowed: at submit here, in the worker with --allow-network.
	my $network_allow = $o{network_allow} // $loopback;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '100ms'
ffrtmp.node_timeout = '$node_timeout'
ffrtmp.network_allow = '$network_allow'
max_connections = 60
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
	$self->{tenant_id} = $node->safe_psql('postgres',
		q{SELECT id FROM ffrtmp.create_tenant('acme', plan => 'pro')});
	$self->{node} = $node;

	# Absolute paths: the worker insists on them, and tempdir's are relative.
	$self->{dir} = abs_path(PostgreSQL::Test::Utils::tempdir($name));
	$self->{input_root} = "$self->{dir}/input";
	$self->{output_root} = "$self->{dir}/output";
	make_path($self->{input_root}, $self->{output_root});
	return $self;
}

sub node        { $_[0]{node} }
sub dir         { $_[0]{dir} }
sub input_root  { $_[0]{input_root} }
sub output_root { $_[0]{output_root} }
sub tenant_id   { $_[0]{tenant_id} }
sub tenant_dir  { "$_[0]{output_root}/$_[0]{tenant_id}" }

sub output_path
{
	my ($self, $relative) = @_;
	return $self->tenant_dir . "/$relative";
}

sub conninfo
{
	my ($self) = @_;
	return sprintf('host=%s port=%d dbname=postgres', $self->{node}->host, $self->{node}->port);
}

sub sql
{
	my ($self, $query) = @_;
	return $self->{node}->safe_psql('postgres', $query);
}

# Starts ffrtmp-worker in the background with short intervals, this test's
# roots and connection string, plus args; waits for its node to be online
# unless wait => 0.  Its jobs may connect to loopback unless allow_network
# gives another list (--allow-network values; [] for the default policy).
# Returns a hash: name, harness, pid, log.
sub start_worker
{
	my ($self, %o) = @_;
	my $name = $o{name} // sprintf('%s-w%d', $self->{name}, ++$self->{nworkers});
	my $log = "$self->{dir}/$name.log";
	my @roots = @{ $o{input_roots} // [ $self->{input_root} ] };
	my @cmd = (
		worker_bin(), "--name=$name", '--poll-interval=1s', '--heartbeat-interval=1s',
		"--output-root=" . ($o{output_root} // $self->{output_root}),
		(map { "--input-root=$_" } @roots),
		(map { "--allow-network=$_" } @{ $o{allow_network} // [$loopback] }),
		@{ $o{args} // [] }, $self->conninfo);
	note "starting @cmd";
	my $h = start_background(\@cmd, $log);
	my $worker = { name => $name, harness => $h, pid => $h->{KIDS}[0]{PID}, log => $log };
	push @{ $self->{workers} }, $worker;
	if ($o{wait} // 1)
	{
		my $up = wait_until(
			sub {
				$self->sql("SELECT count(*) FROM ffrtmp.nodes WHERE name = "
					  . quote_literal($name) . " AND state = 'online'") eq '1'
				  || !$h->pumpable;
			},
			30);
		BAIL_OUT("worker $name did not come online; its log:\n" . $self->worker_log($worker))
		  unless $up && $h->pumpable;
	}
	return $worker;
}

sub worker_log
{
	my ($self, $worker) = @_;
	return -f $worker->{log} ? slurp_file($worker->{log}) : '';
}

# The node id the worker registered under.
sub worker_node_id
{
	my ($self, $worker) = @_;
	return $self->sql('SELECT id FROM ffrtmp.nodes WHERE name = ' . quote_literal($worker->{name}));
}

# Waits up to $timeout seconds for the worker to exit by itself; returns its
# wait status (0: exit status 0), or undef when it is still running.
sub wait_worker_exit
{
	my ($self, $worker, $timeout) = @_;
	my $h = $worker->{harness};
	return undef unless wait_until(sub { !$h->pumpable }, $timeout // 60);
	eval { $h->finish };
	return $h->full_result || 0;    # IPC::Run gives '' for status 0
}

# Sends a signal (default TERM, the drain) and waits for the exit; a worker
# still running after $timeout seconds (default 30) is killed.  Returns the
# exit status (or the wait status of a signal).
sub stop_worker
{
	my ($self, $worker, $signal, $timeout) = @_;
	return stop_process($worker->{harness}, $signal // 'TERM', $timeout // 30);
}

sub kill_worker
{
	my ($self, $worker) = @_;
	return $self->stop_worker($worker, 'KILL', 10);
}

sub stop_all_workers
{
	my ($self) = @_;
	$self->stop_worker($_) for grep { $_->{harness}->pumpable } @{ $self->{workers} };
}

# submit_job's named arguments, as SQL.
sub _submit_sql
{
	my ($self, $input, %a) = @_;
	my @args = (quote_literal($input));
	push @args, 'output_url => ' . quote_literal($a{output}) if defined $a{output};
	push @args, 'preset => ' . quote_literal($a{preset}) if defined $a{preset};
	push @args, 'params => ' . quote_literal($json->encode($a{params})) . '::jsonb' if defined $a{params};
	push @args, 'timeout => ' . quote_literal($a{timeout}) . '::interval' if defined $a{timeout};
	push @args, "max_attempts => " . int($a{max_attempts}) if defined $a{max_attempts};
	push @args, "cpu_cores => " . int($a{cpu_cores}) if defined $a{cpu_cores};
	push @args, 'retry_all_failures => ' . ($a{retry_all_failures} ? 'true' : 'false') if defined $a{retry_all_failures};
	push @args, 'tenant => ' . quote_literal($a{tenant} // 'acme');
	return 'SELECT id FROM ffrtmp.submit_job(' . join(', ', @args) . ')';
}

# Submits a job (input_url, then output, preset, params as a Perl hash,
# timeout, max_attempts, cpu_cores, retry_all_failures); returns its id.  Dies if refused.
sub submit
{
	my ($self, $input, %a) = @_;
	return $self->sql($self->_submit_sql($input, %a));
}

# Like submit, for calls expected to be refused: returns (id or undef,
# error text with its SQLSTATE, e.g. "ERROR:  22023: invalid output_url ...").
sub try_submit
{
	my ($self, $input, %a) = @_;
	my ($rc, $out, $err) = $self->{node}->psql('postgres',
		"\\set VERBOSITY verbose\n" . $self->_submit_sql($input, %a));
	return ($rc == 0 ? $out : undef, $err);
}

# The job as a hash of its columns (result is decoded JSON).
sub job
{
	my ($self, $id) = @_;
	my $row = $self->sql("SELECT row_to_json(j) FROM ffrtmp.jobs j WHERE id = $id");
	return $row eq '' ? undef : $json->decode($row);
}

# Waits until the job is in one of the states (default: any final state),
# up to timeout seconds (default 180); returns the job as a hash.
sub wait_job
{
	my ($self, $id, %o) = @_;
	my @states = @{ $o{states} // [qw(completed failed timed_out canceled rejected)] };
	my $in = join(', ', map { quote_literal($_) } @states);
	wait_until(sub { $self->sql("SELECT state IN ($in) FROM ffrtmp.jobs WHERE id = $id") eq 't' },
		$o{timeout} // 180);
	my $job = $self->job($id);
	diag "job $id is $job->{state}" . ($job->{error} ? " ($job->{failure_reason}: $job->{error})" : '')
	  unless grep { $_ eq $job->{state} } @states;
	return $job;
}

# The job's latest progress report (a hash), or undef while there is none.
sub progress
{
	my ($self, $id) = @_;
	my $row = $self->sql("SELECT progress FROM ffrtmp.job_progress WHERE job_id = $id");
	return $row eq '' ? undef : $json->decode($row);
}

1;
