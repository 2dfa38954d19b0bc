# FfrtmpTest: the harness of the ffrtmp-worker end-to-end tests.
#
# One object per test file: a PostgreSQL node with ffrtmp preloaded and a
# fast scheduler, a tenant ("acme"), an input root and an output root in the
# test's temporary directory, and ffrtmp-worker processes started, drained or
# killed on demand.  Around it, functions for what the tests check and feed:
# ffprobe read as JSON, mp4 box order, HLS playlists, clips generated with
# ffmpeg, a private nginx RTMP server on loopback, a publisher, and a tiny
# HTTP server for the input-trick cases.
#
# The binaries come from the environment (scripts/test.sh copies them next
# to the tests, since the checkout belongs to root):
#   FFRTMP_WORKER     path of ffrtmp-worker
#   FFRTMP_TRANSCODE  path of ffrtmp-transcode (not needed by the tests)
package FfrtmpTest;

use strict;
use warnings;
use Carp;
use Cwd qw(abs_path);
use Exporter 'import';
use File::Find;
use File::Path qw(make_path);
use IO::Socket::INET;
use IPC::Run;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(worker_bin make_clip ffprobe_json probe_summary packet_hashes
  mp4_top_level_boxes read_playlist files_under wait_until quote_literal
  start_rtmp_server stop_process start_publisher start_http_server stop_http_server);

my $json = JSON::PP->new->canonical;
my $loopback = '127.0.0.0/8, ::1';    # what the tests open to jobs by default
my @to_stop;    # harnesses and pids cleaned up at exit, whatever happened

# The worker binary, or skip the whole file when there is none.
sub worker_bin
{
	my $bin = $ENV{FFRTMP_WORKER};
	plan skip_all => 'FFRTMP_WORKER does not name an executable ffrtmp-worker'
	  unless defined $bin && -x $bin;
	return abs_path($bin);
}

sub quote_literal
{
	my ($text) = @_;
	return 'NULL' unless defined $text;
	$text =~ s/'/''/g;
	return "'$text'";
}

# Polls $code every 0.1 s until it returns true or $timeout seconds pass;
# returns its last value.
sub wait_until
{
	my ($code, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	my $value;
	while (1)
	{
		$value = $code->();
		return $value if $value || time > $deadline;
		sleep 0.1;
	}
}

=pod

=head1 The cluster, the tenant and the workers

	my $env = FfrtmpTest->new('outputs', node_timeout => '3s');
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

# Background processes read /dev/null and write to files, with no pipes, so
# that IPC::Run's pumpable() tells when they have exited.

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
	my $h = IPC::Run::start(\@cmd, '<', '/dev/null', '>>', $log, '2>&1');
	my $worker = { name => $name, harness => $h, pid => $h->{KIDS}[0]{PID}, log => $log };
	push @{ $self->{workers} }, $worker;
	push @to_stop, $h;
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
# still running after $timeout seconds is killed.  Returns the exit status
# (or the wait status of a signal).
sub stop_worker
{
	my ($self, $worker, $signal, $timeout) = @_;
	my $h = $worker->{harness};
	return $h->full_result || 0 unless $h->pumpable;
	$h->signal($signal // 'TERM');
	unless (wait_until(sub { !$h->pumpable }, $timeout // 30))
	{
		diag "worker $worker->{name} did not stop; killing it";
		$h->signal('KILL');
	}
	eval { $h->finish };
	return $h->full_result || 0;
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
	push @args, 'tenant => ' . quote_literal($a{tenant} // 'acme');
	return 'SELECT id FROM ffrtmp.submit_job(' . join(', ', @args) . ')';
}

# Submits a job (input_url, then output, preset, params as a Perl hash,
# timeout, max_attempts, cpu_cores); returns its id.  Dies if refused.
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

=pod

=head1 Media

=cut

# Writes a test clip with ffmpeg: a test pattern and a 440 Hz tone.
# Options: size (640x360), fps (30), seconds (4), vcodec (libx264),
# acodec (aac), extra (more output options).
sub make_clip
{
	my ($path, %o) = @_;
	my $size = $o{size} // '640x360';
	my $fps = $o{fps} // 30;
	my $seconds = $o{seconds} // 4;
	my @cmd = (
		'ffmpeg', '-nostdin', '-hide_banner', '-v', 'error', '-y',
		'-f', 'lavfi', '-i', "testsrc=size=$size:rate=$fps:duration=$seconds",
		'-f', 'lavfi', '-i', "sine=frequency=440:sample_rate=48000:duration=$seconds",
		'-c:v', $o{vcodec} // 'libx264', '-pix_fmt', 'yuv420p', '-g', $fps,
		(($o{vcodec} // 'libx264') eq 'libx264' ? ('-preset', 'ultrafast') : ()),
		'-c:a', $o{acodec} // 'aac', '-shortest', @{ $o{extra} // [] }, $path);
	my $err = '';
	IPC::Run::run(\@cmd, '<', \undef, '>', \my $out, '2>', \$err)
	  or croak "could not make $path: $err";
	return $path;
}

# ffprobe's JSON (format and streams) of a file or URL, or undef when it
# cannot be read (the reason goes to the test's log).  Options: count (also
# count packets, giving nb_read_packets), timeout (seconds, for live URLs),
# args (more ffprobe arguments).
sub ffprobe_json
{
	my ($target, %o) = @_;
	my @cmd = ('ffprobe', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams',
		($o{count} ? ('-count_packets') : ()), @{ $o{args} // [] }, $target);
	my ($out, $err) = ('', '');
	my $ok = eval {
		IPC::Run::run(\@cmd, '<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout($o{timeout} // 120));
	};
	if (!$ok)
	{
		note "ffprobe $target: " . ($@ || $err);
		return undef;
	}
	my $probe = eval { $json->decode($out) };
	return $probe && $probe->{streams} ? $probe : undef;
}

sub _rate
{
	my ($text) = @_;
	return undef unless defined $text && $text =~ m{^(\d+)/(\d+)$} && $2 > 0 && $1 > 0;
	return $1 / $2;
}

# What the tests compare, flattened from ffprobe:
#   { format, duration, size, nb_streams,
#     video => { codec, width, height, fps, frames, seconds, bit_rate, profile },
#     audio => { codec, sample_rate, channels, frames } }
# video.frames is the number of video packets (count => 1) and seconds is
# frames / fps: the length of the picture, whatever the container says.
sub probe_summary
{
	my ($target, %o) = @_;
	my $probe = ffprobe_json($target, count => 1, %o) or return undef;
	my %s = (
		format     => $probe->{format}{format_name},
		duration   => $probe->{format}{duration},
		size       => $probe->{format}{size},
		nb_streams => scalar @{ $probe->{streams} });
	for my $st (@{ $probe->{streams} })
	{
		my $type = $st->{codec_type} // '';
		if ($type eq 'video' && !$s{video})
		{
			my $fps = _rate($st->{avg_frame_rate}) // _rate($st->{r_frame_rate});
			$s{video} = {
				codec    => $st->{codec_name},
				profile  => $st->{profile},
				width    => $st->{width},
				height   => $st->{height},
				fps      => $fps,
				frames   => $st->{nb_read_packets},
				bit_rate => $st->{bit_rate},
				seconds  => ($fps && $st->{nb_read_packets}) ? $st->{nb_read_packets} / $fps : undef,
			};
		}
		elsif ($type eq 'audio' && !$s{audio})
		{
			$s{audio} = {
				codec       => $st->{codec_name},
				sample_rate => $st->{sample_rate},
				channels    => $st->{channels},
				frames      => $st->{nb_read_packets},
			};
		}
	}
	return \%s;
}

# One MD5 per stream of the packets as stored (no decoding), from ffmpeg's
# streamhash muxer: equal hashes mean the stream was copied, not re-encoded.
# $map selects streams, e.g. '0:v'.
sub packet_hashes
{
	my ($path, $map) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $path, '-map', $map // '0', '-c', 'copy',
		  '-f', 'streamhash', '-hash', 'md5', '-' ],
		'<', \undef, '>', \$out, '2>', \$err)
	  or return "error: $err";
	$out =~ s/^\d+,//mg;    # keep codec type and hash, not the stream index
	return $out;
}

# The top-level box types of an mp4 file, in file order.
sub mp4_top_level_boxes
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or return ();
	my $size_left = -s $path;
	my @types;
	my $offset = 0;
	while ($offset + 8 <= $size_left)
	{
		seek($fh, $offset, 0);
		read($fh, my $header, 16) >= 8 or last;
		my ($size, $type) = unpack('N a4', $header);
		if ($size == 1)
		{
			my ($hi, $lo) = unpack('N N', substr($header, 8, 8));
			$size = $hi * 4294967296 + $lo;
		}
		elsif ($size == 0)
		{
			$size = $size_left - $offset;
		}
		push @types, $type;
		last if $size < 8;
		$offset += $size;
	}
	close $fh;
	return @types;
}

# An HLS playlist parsed: { ended => bool, segments => [uri...], seconds =>
# sum of EXTINF, lengths => [EXTINF...], target => EXT-X-TARGETDURATION,
# variants => [{ uri, resolution, bandwidth }...], text }.
sub read_playlist
{
	my ($path) = @_;
	my %p = (ended => 0, segments => [], seconds => 0, lengths => [], variants => [], text => '');
	open(my $fh, '<', $path) or return undef;
	my $pending_variant;
	while (my $line = <$fh>)
	{
		$p{text} .= $line;
		$line =~ s/\s+$//;
		if ($line =~ /^#EXTINF:([\d.]+)/) { $p{seconds} += $1; push @{ $p{lengths} }, $1 }
		elsif ($line =~ /^#EXT-X-TARGETDURATION:(\d+)/) { $p{target} = $1 }
		elsif ($line eq '#EXT-X-ENDLIST') { $p{ended} = 1 }
		elsif ($line =~ /^#EXT-X-STREAM-INF:(.*)/)
		{
			my $attrs = $1;
			$pending_variant = {
				resolution => ($attrs =~ /RESOLUTION=(\d+x\d+)/)[0],
				bandwidth  => ($attrs =~ /(?<![-A-Z])BANDWIDTH=(\d+)/)[0],
			};
		}
		elsif ($line ne '' && $line !~ /^#/)
		{
			if ($pending_variant)
			{
				$pending_variant->{uri} = $line;
				push @{ $p{variants} }, $pending_variant;
				undef $pending_variant;
			}
			else { push @{ $p{segments} }, $line }
		}
	}
	close $fh;
	return \%p;
}

# Every file and symbolic link below $dir (relative paths, sorted),
# hidden ones included.
sub files_under
{
	my ($dir) = @_;
	return () unless -d $dir;
	my @files;
	find(
		{
			wanted => sub {
				return if -d $_ && !-l $_;
				(my $rel = $File::Find::name) =~ s{^\Q$dir\E/?}{};
				push @files, $rel;
			},
			no_chdir => 1
		},
		$dir);
	return sort @files;
}

=pod

=head1 Live: nginx RTMP, a publisher, an HTTP server

=cut

# A private nginx with the RTMP module on 127.0.0.1:<free port>, its files in
# $dir, with two applications: "live" (players are disconnected when the
# publisher goes) and "idle" (players of an unpublished stream wait, silent).
# Returns { port, url => "rtmp://127.0.0.1:<port>/live",
# idle_url => "rtmp://127.0.0.1:<port>/idle", harness, dir }.
sub start_rtmp_server
{
	my ($dir) = @_;
	make_path($dir);
	$dir = abs_path($dir);
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $module = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
	my $nginx = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : 'nginx';
	append_to_file("$dir/nginx.conf", <<"CONF");
load_module $module;
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 256; }
rtmp {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        chunk_size 4096;
        # Players are dropped when the publisher goes (as a re-streaming
        # setup wants): without this nginx keeps them connected and silent.
        application live {
            live on;
            record off;
            idle_streams off;
        }
        # Players of a stream nobody publishes wait here, connected and silent.
        application idle {
            live on;
            record off;
        }
    }
}
CONF
	my $h = IPC::Run::start([ $nginx, '-e', "$dir/error.log", '-p', "$dir/", '-c', "$dir/nginx.conf" ],
		'<', '/dev/null', '>>', "$dir/nginx.out", '2>&1');
	push @to_stop, $h;
	my $up = wait_until(
		sub {
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
			close $s if $s;
			return $s || !$h->pumpable;
		},
		20);
	BAIL_OUT("nginx did not start:\n" . (-f "$dir/error.log" ? slurp_file("$dir/error.log") : ''))
	  unless $up && $h->pumpable;
	return {
		port     => $port,
		url      => "rtmp://127.0.0.1:$port/live",
		idle_url => "rtmp://127.0.0.1:$port/idle",
		harness  => $h,
		dir      => $dir
	};
}

# Stops a background process started with IPC::Run (TERM, then KILL after
# $grace seconds); returns its full wait status.
sub stop_process
{
	my ($h, $signal, $grace) = @_;
	return undef unless $h;
	if ($h->pumpable)
	{
		$h->signal($signal // 'TERM');
		$h->signal('KILL') unless wait_until(sub { !$h->pumpable }, $grace // 10);
	}
	eval { $h->finish };
	return $h->full_result || 0;
}

# ffmpeg pushing a live test stream (h264 + aac in flv, paced with -re) to
# $url.  Options: seconds (60), size (640x360), fps (30), log (file).
sub start_publisher
{
	my ($url, %o) = @_;
	my $size = $o{size} // '640x360';
	my $fps = $o{fps} // 30;
	my @cmd = (
		'ffmpeg', '-nostdin', '-hide_banner', '-v', 'error', '-re',
		'-f', 'lavfi', '-i', "testsrc=size=$size:rate=$fps",
		'-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=44100',
		'-t', $o{seconds} // 60,
		'-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
		'-g', $fps, '-c:a', 'aac', '-f', 'flv', $url);
	my $h = IPC::Run::start(\@cmd, '<', '/dev/null', '>>', $o{log} // '/dev/null', '2>&1');
	push @to_stop, $h;
	return $h;
}

# A minimal HTTP/1.0 file server for $dir on 127.0.0.1 (an ephemeral port),
# in a forked child.  Options: address (another loopback address to listen
# on), redirects ({ '/path' => 'Location' }, answered with 302), log (a file
# that gets one line per connection: the request line, or "(nothing)").
# Returns { pid, port, url => "http://<address>:<port>" }.
sub start_http_server
{
	my ($dir, %o) = @_;
	my $address = $o{address} // '127.0.0.1';
	my $listen = IO::Socket::INET->new(
		LocalAddr => $address, LocalPort => 0, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
	  or croak "cannot listen: $!";
	my $port = $listen->sockport;
	my $pid = fork();
	croak "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		$SIG{TERM} = sub { POSIX::_exit(0) };
		while (my $client = $listen->accept)
		{
			my $request = <$client> // '';
			while (my $header = <$client>) { last if $header =~ /^\r?\n$/ }
			my ($path) = $request =~ m{^GET (/[^ ?]*)};
			if ($o{log})
			{
				(my $line = $request) =~ s/\s+$//;
				append_to_file($o{log}, ($line eq '' ? '(nothing)' : $line) . "\n");
			}
			my $file = defined $path && $path !~ /\.\./ ? "$dir$path" : undef;
			if (defined $path && $o{redirects} && $o{redirects}{$path})
			{
				print $client "HTTP/1.0 302 Found\r\nLocation: $o{redirects}{$path}\r\n"
				  . "Content-Length: 0\r\nConnection: close\r\n\r\n";
			}
			elsif ($file && -f $file && open(my $fh, '<:raw', $file))
			{
				local $/;
				my $body = <$fh>;
				close $fh;
				my $type = $file =~ /\.m3u8$/ ? 'application/vnd.apple.mpegurl' : 'application/octet-stream';
				print $client "HTTP/1.0 200 OK\r\nContent-Type: $type\r\nContent-Length: "
				  . length($body) . "\r\nConnection: close\r\n\r\n" . $body;
			}
			else
			{
				print $client "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
			}
			close $client;
		}
		POSIX::_exit(0);
	}
	close $listen;
	push @to_stop, $pid;
	return { pid => $pid, port => $port, url => "http://$address:$port" };
}

sub stop_http_server
{
	my ($server) = @_;
	kill 'TERM', $server->{pid};
	waitpid($server->{pid}, 0);
	@to_stop = grep { !(!ref $_ && $_ == $server->{pid}) } @to_stop;
}

# Whatever a test left running goes, even when it died half way.
END
{
	my $rc = $?;
	for my $thing (reverse @to_stop)
	{
		if (ref $thing)
		{
			eval { stop_process($thing, 'TERM', 5) if $thing->pumpable };
		}
		elsif (kill 0, $thing)
		{
			kill 'TERM', $thing;
			waitpid($thing, 0);
		}
	}
	$? = $rc;
}

1;
