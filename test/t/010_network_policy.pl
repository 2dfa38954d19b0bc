# The network policy in the worker: a job's process connects only where the
# policy allows, checked on the resolved address before every connect():
# inputs, RTMP pushes, HTTP redirects, HLS segments and keys, names that
# resolve to loopback.  Stand-in servers on loopback count what reaches them:
# a refused job never connects, and fails as user_error with the policy's
# message, not with what a network answered.
#
# The cluster allows loopback at submit (as an operator would for a local
# media server), so that what is tested here is the worker's own check.
use strict;
use warnings;
use File::Path qw(make_path);
use Socket qw(inet_ntoa);
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpServers;

my $env = FfrtmpCluster->new('netpolicy');
my $web = $env->dir . '/web';
make_path($web);
make_clip("$web/clip.mp4", seconds => 1, size => '320x240', fps => 10);
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', "$web/clip.mp4", '-c', 'copy', '-f', 'mpegts',
			"$web/seg.ts" ], '<', \undef, '>', \$out, '2>', \$err)
	  or die "ffmpeg: $err";
}

# The server jobs are meant to reach, and one on another loopback address
# that stands for an internal service nobody allowed.
my $log = $env->dir . '/web.log';
my $inside_log = $env->dir . '/inside.log';
my $inside = start_http_server($web, address => '127.0.0.2', log => $inside_log);
my $server = start_http_server(
	$web,
	log       => $log,
	redirects => { '/redirect.mp4' => "$inside->{url}/clip.mp4" });
my $playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n%s"
  . "#EXTINF:1.0,\n%s\n#EXT-X-ENDLIST\n";
append_to_file("$web/segment.m3u8", sprintf($playlist, '', "$inside->{url}/seg.ts"));
append_to_file("$web/key.m3u8",
	sprintf($playlist, qq{#EXT-X-KEY:METHOD=AES-128,URI="$inside->{url}/key.bin"\n}, 'seg.ts'));
append_to_file("$web/good.m3u8", sprintf($playlist, '', 'seg.ts'));

sub lines
{
	my ($file) = @_;
	return -f $file ? scalar(() = slurp_file($file) =~ /\n/g) : 0;
}

# A name other than localhost that /etc/hosts maps to loopback, if there is one.
my $loopback_name;
if (open(my $hosts, '<', '/etc/hosts'))
{
	while (<$hosts>)
	{
		next unless /^\s*127\.\S+\s+(.*)/;
		($loopback_name) = grep { $_ ne 'localhost' && !/^#/ && !/localhost/ } split ' ', $1;
		last if $loopback_name;
	}
}

# Runs one job to its end; returns the row.
sub run_job
{
	my ($input, %o) = @_;
	my $id = $env->submit($input, max_attempts => 1, %o);
	return $env->wait_job($id, timeout => 60);
}

sub refused
{
	my ($name, $input, $host, %o) = @_;
	my $row = run_job($input, %o);
	is($row->{state}, 'failed', "$name: the job fails");
	is($row->{failure_reason}, 'user_error', "$name: as the tenant's error");
	is($row->{error}, "network policy refused a connection to $host: a loopback address",
		"$name: with the policy's message, not what a network answered");
	return $row;
}

# --- a worker with the default policy ----------------------------------------
my $closed = $env->start_worker(name => 'closed', allow_network => []);
my $port = $server->{port};

refused('the issue\'s example, an input on loopback', "http://127.0.0.1:$port/clip.mp4", '127.0.0.1');
refused('a database port on loopback', 'http://127.0.0.1:' . $env->node->port . '/', '127.0.0.1');
refused('a name that resolves to loopback', "http://localhost:$port/clip.mp4", 'localhost');
SKIP:
{
	skip 'no other name for loopback in /etc/hosts', 3 unless $loopback_name;
	refused("a name that only /etc/hosts maps to loopback ($loopback_name)",
		"http://$loopback_name:$port/clip.mp4", $loopback_name);
}
refused('an IPv6 loopback input', "http://[::1]:$port/clip.mp4", '::1');
refused('an RTMP input on loopback', "rtmp://127.0.0.1:$port/live/in", '127.0.0.1');
refused('an RTMP push to loopback', 'testsrc://320x240@10?duration=1', '127.0.0.1',
	output => "rtmp://127.0.0.1:$port/live/out", params => { format => 'flv' });
is(lines($log), 0, 'the stand-in server saw no connection from any refused job');
like($env->worker_log($closed), qr/network policy refused a connection to 127\.0\.0\.1/,
	'the worker logs each refusal');
$env->stop_worker($closed);

# --- a worker whose operator allowed the media server's address --------------
my $open = $env->start_worker(name => 'open', allow_network => ['127.0.0.1/32']);
my $row = run_job("http://127.0.0.1:$port/clip.mp4", output => 'allowed.mp4');
is($row->{state}, 'completed', 'an allowed address: the job completes')
  or diag "$row->{failure_reason}: " . ($row->{error} // '');
ok(lines($log) >= 1, 'and the stand-in server saw it connect');

my $before = lines($log);
refused('an allowed server redirecting to a refused address', "http://127.0.0.1:$port/redirect.mp4", '127.0.0.2');
ok(lines($log) > $before, 'the allowed server was asked');
refused('an HLS playlist whose segment is at a refused address', "http://127.0.0.1:$port/segment.m3u8",
	'127.0.0.2');
refused('an HLS playlist whose key is at a refused address', "http://127.0.0.1:$port/key.m3u8", '127.0.0.2');
is(lines($inside_log), 0, 'the refused address never saw a connection');
$row = run_job("http://127.0.0.1:$port/good.m3u8", output => 'good-hls.mp4');
is($row->{state}, 'completed', 'an HLS playlist with its segments on the allowed server transcodes')
  or diag "$row->{failure_reason}: " . ($row->{error} // '');
$env->stop_worker($open);

# --- a worker that allows a host name, not its address -----------------------
my $named = $env->start_worker(name => 'named', allow_network => ['localhost']);
$row = run_job("http://localhost:$port/clip.mp4", output => 'by-name.mp4');
is($row->{state}, 'completed', 'an allowed host name reaches what it resolves to')
  or diag "$row->{failure_reason}: " . ($row->{error} // '');
refused('the same address, named by its number', "http://127.0.0.1:$port/clip.mp4", '127.0.0.1');
$env->stop_worker($named);

# --- ffrtmp-transcode, the local tool, under the same policy -----------------
SKIP:
{
	my $tool = $ENV{FFRTMP_TRANSCODE};
	skip_because 'FFRTMP_TRANSCODE does not name ffrtmp-transcode', 4 unless $tool && -x $tool;
	my $before_tool = lines($log);
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ $tool, '-q', "http://127.0.0.1:$port/clip.mp4", $env->dir . '/tool.mp4' ],
		'<', \undef, '>', \$out, '2>', \$err);
	ok(!$ok, 'ffrtmp-transcode refuses a loopback input by default');
	like($err, qr/network policy refused a connection to 127\.0\.0\.1: a loopback address \(user_error\)/,
		'with the policy\'s message');
	is(lines($log), $before_tool, 'and the server saw no connection');
	$ok = IPC::Run::run([ $tool, '-q', '--allow-network=127.0.0.1', "http://127.0.0.1:$port/clip.mp4",
			$env->dir . '/tool.mp4' ], '<', \undef, '>', \$out, '2>', \$err);
	ok($ok && lines($log) > $before_tool, 'with --allow-network it connects and transcodes')
	  or diag $err;
}

# --- credentials never reach the database, the worker or its log -------------
my (undef, $err) = $env->try_submit("rtmp://user:secret\@127.0.0.1:$port/live/in");
like($err, qr/22023: input_url carries credentials/, 'a URL with credentials is refused at submit');
unlike($err, qr/secret/, 'and the error does not echo them');
unlike(join('', map { $env->worker_log($_) } $closed, $open, $named), qr/secret/, 'no worker log has them');

stop_http_server($server);
stop_http_server($inside);
done_testing();
