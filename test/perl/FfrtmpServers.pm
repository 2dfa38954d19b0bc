# FfrtmpServers: the servers the end-to-end tests feed the worker from, on
# loopback: a private nginx RTMP server, an ffmpeg publisher pushing a live
# test stream to it, and a tiny HTTP file server (redirects, request log)
# for the input-trick and network-policy cases, and a webhook receiver that
# logs every POST it gets.  Each is a background
# process of FfrtmpProcess: stop_process($server->{harness}) or
# stop_process($publisher) stops it, and whatever is left stops at exit.
package FfrtmpServers;

use strict;
use warnings;
use Carp;
use Cwd qw(abs_path);
use Exporter 'import';
use File::Path qw(make_path);
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use FfrtmpProcess;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(start_rtmp_server start_publisher start_http_server stop_http_server start_webhook_receiver);

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
	my $h = start_background([ $nginx, '-e', "$dir/error.log", '-p', "$dir/", '-c', "$dir/nginx.conf" ],
		"$dir/nginx.out");
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
	return start_background(\@cmd, $o{log});
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
	track_pid($pid);
	return { pid => $pid, port => $port, url => "http://$address:$port" };
}

sub stop_http_server
{
	my ($server) = @_;
	kill 'TERM', $server->{pid};
	waitpid($server->{pid}, 0);
	forget_pid($server->{pid});
}

# A webhook receiver on 127.0.0.1 (an ephemeral port), in a forked child:
# each POST is appended to $log as one JSON line {path, headers (names in
# lower case), body, status}, then answered: 500 for the first $o{fail}{$path}
# requests to a path, 204 otherwise.  Returns { pid, port, url }; stop it with
# stop_http_server.
sub start_webhook_receiver
{
	my ($log, %o) = @_;
	my $listen = IO::Socket::INET->new(
		LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
	  or croak "cannot listen: $!";
	my $port = $listen->sockport;
	my $pid = fork();
	croak "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		my %failures = %{ $o{fail} // {} };
		my $json = JSON::PP->new->canonical;
		$SIG{TERM} = sub { POSIX::_exit(0) };
		while (my $client = $listen->accept)
		{
			my $request = <$client> // '';
			my %headers;
			while (my $header = <$client>)
			{
				last if $header =~ /^\r?\n$/;
				$headers{ lc $1 } = $2 if $header =~ /^([^:]+):\s*(.*?)\r?\n$/;
			}
			my $body = '';
			read($client, $body, $headers{'content-length'} // 0);
			my ($path) = $request =~ m{^POST (/\S*)};
			my $status = 204;
			if (defined $path && ($failures{$path} // 0) > 0)
			{
				$failures{$path}--;
				$status = 500;
			}
			append_to_file($log,
				$json->encode({ path => $path, headers => \%headers, body => $body, status => $status }) . "\n");
			print $client "HTTP/1.1 $status " . ($status == 204 ? 'No Content' : 'Internal Server Error')
			  . "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
			close $client;
		}
		POSIX::_exit(0);
	}
	close $listen;
	track_pid($pid);
	return { pid => $pid, port => $port, url => "http://127.0.0.1:$port" };
}

1;
