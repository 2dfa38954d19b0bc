# FfrtmpNginx: Debian's nginx started by a test in a scratch prefix of its
# own, on loopback: the configuration's boilerplate (pid, logs and temporary
# paths all under the prefix, one worker, in the foreground) written around
# the test's own http {} or rtmp {} contents, nginx started as a background
# process of FfrtmpProcess and waited for until its port answers.
# write_nginx_conf($dir, http => ...) then start_nginx($dir, $port).
package FfrtmpNginx;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter 'import';
use File::Path qw(make_path);
use IO::Socket::INET;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(write_nginx_conf start_nginx);

our $nginx = -x '/usr/sbin/nginx' ? '/usr/sbin/nginx' : 'nginx';

# Writes $dir/nginx.conf: the test's contents in the boilerplate.  Options:
# http (the contents of an http {} block, which gets an access log
# $dir/access.log and the temporary paths under $dir), rtmp (the contents
# of an rtmp {} block), modules (load_module lines, before everything).
sub write_nginx_conf
{
	my ($dir, %o) = @_;
	make_path($dir);
	$dir = abs_path($dir);
	my $conf = ($o{modules} // '') . <<"CONF";
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 256; }
CONF
	$conf .= <<"CONF" if defined $o{http};
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
$o{http}
}
CONF
	$conf .= "rtmp {\n$o{rtmp}\n}\n" if defined $o{rtmp};
	append_to_file("$dir/nginx.conf", $conf);
	return "$dir/nginx.conf";
}

# Starts nginx on $dir/nginx.conf (write_nginx_conf's) and returns its
# harness (stop it with stop_process) once 127.0.0.1:$port, where the
# configuration listens, accepts connections.  A failed start bails out
# with nginx's output and error log.
sub start_nginx
{
	my ($dir, $port) = @_;
	$dir = abs_path($dir);
	my $h = start_background([ $nginx, '-e', "$dir/error.log", '-p', "$dir/", '-c', "$dir/nginx.conf" ],
		"$dir/nginx.out");
	my $up = wait_until(
		sub {
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp');
			close $s if $s;
			return $s || !$h->pumpable;
		},
		20);
	BAIL_OUT("nginx did not start:\n" . join('', map { -f $_ ? slurp_file($_) : '' } "$dir/nginx.out", "$dir/error.log"))
	  unless $up && $h->pumpable;
	return $h;
}

1;
