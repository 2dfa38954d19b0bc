# FfrtmpServers: the servers the end-to-end tests feed the worker from, on
# loopback: a private nginx RTMP server, an ffmpeg publisher pushing a live
# test stream to it, and a tiny HTTP file server (redirects, request log)
# for the input-trick and network-policy cases, a webhook receiver that
# logs every POST it gets, and a stand-in upstream for nginx that records
# every request.  Each is a background
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
use FfrtmpNginx;
use FfrtmpProcess;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(start_rtmp_server start_publisher start_http_server stop_http_server start_webhook_receiver
  start_recording_upstream next_request);

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
	write_nginx_conf($dir,
		modules => "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n", rtmp => <<"RTMP");
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
RTMP
	my $h = start_nginx($dir, $port);
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

# A server on $address (an ephemeral port) in a forked child, which
# accepts connections one at a time and hands each to $serve->($client),
# closing it afterwards.  Returns { pid, port, url => "http://<address>:<port>" };
# stop it with stop_http_server (or it stops at exit).
sub fork_server
{
	my ($address, $serve) = @_;
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
			$serve->($client);
			close $client;
		}
		POSIX::_exit(0);
	}
	close $listen;
	track_pid($pid);
	return { pid => $pid, port => $port, url => "http://$address:$port" };
}

# One HTTP request read from $client, its body as long as Content-Length
# says: { line (the request line, as sent), method, target (path and
# query), headers (names in lower case), body }.
sub read_request
{
	my ($client) = @_;
	my $line = <$client> // '';
	my %headers;
	while (my $header = <$client>)
	{
		last if $header =~ /^\r?\n$/;
		$headers{ lc $1 } = $2 if $header =~ /^([^:]+):\s*(.*?)\r?\n$/;
	}
	my $body = '';
	read($client, $body, $headers{'content-length'}) if $headers{'content-length'};
	my ($method, $target) = $line =~ /^(\S+) (\S+)/;
	return { line => $line, method => $method, target => $target, headers => \%headers, body => $body };
}

# A minimal HTTP/1.0 file server for $dir on 127.0.0.1 (an ephemeral port),
# in a forked child.  Options: address (another loopback address to listen
# on), redirects ({ '/path' => 'Location' }, answered with 302), log (a file
# that gets one line per connection: the request line, or "(nothing)").
# Returns { pid, port, url => "http://<address>:<port>" }.
sub start_http_server
{
	my ($dir, %o) = @_;
	return fork_server(
		$o{address} // '127.0.0.1',
		sub {
			my ($client) = @_;
			my $request = read_request($client)->{line};
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
		});
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
	my %failures = %{ $o{fail} // {} };
	my $json = JSON::PP->new->canonical;
	return fork_server(
		'127.0.0.1',
		sub {
			my ($client) = @_;
			my $r = read_request($client);
			my ($path) = $r->{line} =~ m{^POST (/\S*)};
			my $status = 204;
			if (defined $path && ($failures{$path} // 0) > 0)
			{
				$failures{$path}--;
				$status = 500;
			}
			append_to_file($log,
				$json->encode({ path => $path, headers => $r->{headers}, body => $r->{body}, status => $status })
				  . "\n");
			print $client "HTTP/1.1 $status " . ($status == 204 ? 'No Content' : 'Internal Server Error')
			  . "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		});
}

# A stand-in for an upstream HTTP server (PostgREST behind nginx) on
# 127.0.0.1, in a forked child, that records what reaches it: each request
# is appended to $log as one JSON line {method, path, query, headers (names
# in lower case), body} and answered 200 with the JSON body [].  Returns
# { pid, port, url, log }; next_request reads what it recorded.
sub start_recording_upstream
{
	my ($log) = @_;
	my $json = JSON::PP->new->canonical;
	my $upstream = fork_server(
		'127.0.0.1',
		sub {
			my ($client) = @_;
			my $r = read_request($client);
			my ($path, $query) = split /\?/, $r->{target} // '', 2;
			append_to_file($log, $json->encode({ method => $r->{method}, path => $path, query => $query,
				headers => $r->{headers}, body => $r->{body} }) . "\n");
			print $client "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
			  . "Connection: close\r\n\r\n[]";
		});
	return { %$upstream, log => $log, seen => 0 };
}

# The request the recording upstream got since the last call (the last one
# if several), decoded; undef when none reached it.
sub next_request
{
	my ($upstream) = @_;
	my @lines = -f $upstream->{log} ? split /\n/, slurp_file($upstream->{log}) : ();
	my $got = @lines > $upstream->{seen} ? decode_json($lines[-1]) : undef;
	$upstream->{seen} = @lines;
	return $got;
}

1;
