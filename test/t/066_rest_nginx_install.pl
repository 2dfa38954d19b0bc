# Installing the REST API's nginx site as docs/rest.md#deployment says, on
# a Debian nginx that still has its stock site (sites-enabled/default, port
# 80's default_server with server_name _): the docs' nginx commands run
# against a scratch copy of /etc/nginx holding that stock site, and a /v1/
# request then reaches the ffrtmp site, whatever its Host.  Without the
# docs' removal of the stock site, only the Host set as server_name does.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Copy qw(copy);
use File::Path qw(make_path);
use IPC::Run ();
use IO::Socket::INET;
use FfrtmpNginx;
use FfrtmpProcess;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $nginx = '/usr/sbin/nginx';
my $stock = '/etc/nginx/sites-available/default';
skip_all_because 'nginx is not installed' unless -x $nginx;
skip_all_because "Debian's stock site $stock is not installed" unless -f $stock;

my $src = abs_path(dirname(__FILE__) . '/../..') // die 'no source tree';
my $dir = abs_path(PostgreSQL::Test::Utils::tempdir());

# The install block of the Deployment section: its nginx part, from the
# "# the nginx site" comment on, and the host name it sets.
my ($block) = slurp_file("$src/docs/rest.md") =~ /\n## Deployment\n.*?\n```sh\n(.*?)\n```\n/s;
ok($block, 'docs/rest.md#deployment has an install block') or BAIL_OUT('no install block');
my ($host) = $block =~ /^FFRTMP_HOST=(\S+)/m;
my ($steps) = $block =~ /^(# the nginx site\n.*)/ms;
ok($host && $steps, 'it sets FFRTMP_HOST and installs the nginx site');
like($steps, qr{^nginx -t && systemctl reload nginx$}m, 'it checks the configuration before reloading');
$steps =~ s{^nginx -t.*\n?}{}m;

# Runs the docs' steps in a scratch /etc/nginx holding Debian's stock site
# (copied and enabled as the package does), the stock site's removal left
# out when $keep_default; starts nginx on it and returns (port, handle,
# nginx -t's output).
sub install
{
	my ($name, $keep_default) = @_;
	my $etc = "$dir/$name/etc/nginx";
	make_path("$etc/sites-available", "$etc/sites-enabled", "$etc/snippets");
	copy($stock, "$etc/sites-available/default") or die "copy: $!";
	symlink('../sites-available/default', "$etc/sites-enabled/default") or die "symlink: $!";
	my $script = "set -e\nFFRTMP_HOST=$host\n" . ($steps =~ s{/etc/nginx/}{$etc/}gr);
	$script =~ s{^rm -f \S+/sites-enabled/default\n}{}m if $keep_default;
	my ($out, $err);
	IPC::Run::run([ 'bash', '-c', $script ], '>', \$out, '2>', \$err, init => sub { chdir $src })
	  or die "the docs' nginx steps failed: $err";

	# The listen ports, the upstream and the snippets' paths made this
	# test's: port 80 becomes a free loopback port, PostgREST's a port
	# nothing listens on.
	my $port = PostgreSQL::Test::Cluster::get_free_port();
	my $upstream = PostgreSQL::Test::Cluster::get_free_port();
	for my $enabled (glob "$etc/sites-enabled/*")
	{
		my $site = slurp_file($enabled);
		$site =~ s{/etc/nginx/}{$etc/}g;
		$site =~ s{listen 80\b}{listen 127.0.0.1:$port}g;
		$site =~ s{\n\s*listen \[::\]:80[^;]*;}{}g;
		$site =~ s{server 127\.0\.0\.1:3000;}{server 127.0.0.1:$upstream;};
		unlink $enabled;
		append_to_file($enabled, $site);
	}
	write_nginx_conf($etc, http => "include $etc/sites-enabled/*;");
	my ($tout, $terr) = ('', '');
	IPC::Run::run([ $nginx, '-t', '-e', "$etc/error.log", '-p', "$etc/", '-c', "$etc/nginx.conf" ],
		'>', \$tout, '2>', \$terr);
	my $h = start_nginx($etc, $port);
	return ($port, $h, $terr);
}

# A /v1/ request answered by the ffrtmp site: with PostgREST down, its JSON
# 503 (Debian's stock site would answer 404, an HTML page).  A raw request,
# to send the Host header of a name that does not resolve.
sub reaches_ffrtmp
{
	my ($port, $host_header) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 20)
	  or die "connect: $!";
	print $s "GET /v1/health HTTP/1.0\r\nHost: $host_header\r\n\r\n";
	my $res = do { local $/; <$s> } // '';
	close $s;
	note("Host $host_header: " . ($res =~ s/\r?\n.*//sr));
	return $res =~ m{^HTTP/1\.\d 503 } && $res =~ /"the API is unavailable"/;
}

{
	my ($port, $h, $test) = install('docs');
	ok(!-e "$dir/docs/etc/nginx/sites-enabled/default", "the docs' steps disable the stock site");
	ok(-e "$dir/docs/etc/nginx/sites-enabled/ffrtmp", '... and enable the ffrtmp site');
	like($test, qr/test is successful/, 'nginx -t accepts the result') or diag($test);
	unlike($test, qr/conflicting server name/, '... without a conflicting server name');
	ok(reaches_ffrtmp($port, $host), "a /v1/ request for $host reaches the ffrtmp site");
	ok(reaches_ffrtmp($port, '127.0.0.1'), '... as does one for any other host');
	stop_process($h, 'TERM', 10);
}

# A host that keeps the stock site for its other sites: server_name set as
# the docs say still routes the API's host name to the ffrtmp site.
{
	my ($port, $h, $test) = install('kept', 1);
	unlike($test, qr/conflicting server name/, 'with the stock site kept, no conflicting server name')
	  or diag($test);
	ok(reaches_ffrtmp($port, $host), "a /v1/ request for $host reaches the ffrtmp site");
	ok(!reaches_ffrtmp($port, '127.0.0.1'), 'one for another host reaches the stock site');
	stop_process($h, 'TERM', 10);
}

done_testing();
