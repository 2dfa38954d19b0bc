# ffrtmp-worker end to end with live RTMP: a private nginx (libnginx-mod-rtmp)
# on loopback, a publisher pushing a test stream, one job repackaging it to
# HLS without re-encoding and one re-streaming it (h264) to another RTMP
# stream that a player reads; killing the publisher ends both jobs cleanly;
# a file pushed to RTMP is paced in real time; a source that never sends data
# fails after the I/O timeout with an error that says so.
use strict;
use warnings;
use IO::Socket::INET;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use FfrtmpServers;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $io_timeout = 3;
my $env = FfrtmpCluster->new('live');
my $rtmp = start_rtmp_server($env->dir . '/nginx');
my $worker = $env->start_worker(args => [ '--slots=3', "--io-timeout=${io_timeout}s" ]);

my $publisher = start_publisher("$rtmp->{url}/in", seconds => 120, log => $env->dir . '/publisher.log');
my $source = wait_until(sub { probe_summary("$rtmp->{url}/in", count => 0, timeout => 10) }, 30) // {};
is($source->{video}{codec}, 'h264', 'the publisher\'s stream is on the RTMP server');

my $hls = $env->submit("$rtmp->{url}/in", output => 'live/index.m3u8',
	params => { video_codec => 'copy', audio_codec => 'copy', format => 'hls' }, max_attempts => 1);
my $restream = $env->submit("$rtmp->{url}/in", output => "$rtmp->{url}/out",
	params => { video_codec => 'h264', audio_codec => 'aac', format => 'flv', size => '640x360' },
	max_attempts => 1);

my $both_running = wait_until(
	sub {
		$env->sql("SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($hls, $restream) AND state = 'running'") eq '2';
	},
	60);
ok($both_running, 'the HLS job and the re-stream job both run on the live input');

# A player of the re-stream sees an h264 stream.
my $played = wait_until(
	sub {
		my $p = probe_summary("$rtmp->{url}/out", count => 0, timeout => 10);
		return $p && $p->{video} ? $p : undef;
	},
	30) // {};
is_deeply([ @{ $played->{video} // {} }{qw(codec width height)} ], [ 'h264', 640, 360 ],
	'a player reads the re-stream: h264 640x360');
is($played->{audio}{codec}, 'aac', 'with aac audio');

# Let the HLS job write a few segments, then kill the publisher.
ok(wait_until(sub { (($env->progress($hls) // {})->{frames} // 0) >= 150 }, 60),
	'the HLS job reports progress on the live input');
my $killed_at = time;
stop_process($publisher, 'KILL');

my $hls_row = $env->wait_job($hls, timeout => 60);
is($hls_row->{state}, 'completed', 'killing the publisher ends the HLS job cleanly: completed')
  or diag "$hls_row->{failure_reason}: " . ($hls_row->{error} // '');
my $playlist_path = $env->output_path('live/index.m3u8');
my $playlist = hls_media($playlist_path) // { segments => [] };
ok($playlist->{ended}, 'the playlist is closed with EXT-X-ENDLIST');
ok(@{ $playlist->{segments} } >= 2
	  && !(grep { !-s $env->output_path("live/$_") } map { $_->{uri} } @{ $playlist->{segments} }),
	'its segments are all there') or diag explain $playlist;
my $recorded = probe_summary($playlist_path) // {};
is_deeply([ @{ $recorded->{video} // {} }{qw(codec width height)}, $recorded->{audio}{codec} ],
	[ 'h264', 640, 360, 'aac' ], 'the recording plays: the publisher\'s h264 640x360 and aac, copied');
cmp_ok($recorded->{video}{seconds} // 0, '>=', 4, 'and holds the seconds it was live for');
is_deeply([ grep { /(^|\/)\.|\.partial$|\.tmp$/ } files_under($env->output_path('live')) ], [],
	'no partial playlist or segment is left');

my $restream_row = $env->wait_job($restream, timeout => 60);
is($restream_row->{state}, 'completed', 'the re-stream job also ends cleanly when its source goes')
  or diag "$restream_row->{failure_reason}: " . ($restream_row->{error} // '');

# A file (here the test source) pushed to RTMP goes out in real time, as a
# live encoder would send it, not as fast as it can be encoded.
my $paced = $env->submit('testsrc://640x360@30?duration=6', output => "$rtmp->{url}/paced",
	params => { video_codec => 'h264', audio_codec => 'aac', format => 'flv' }, max_attempts => 1);
my $paced_row = $env->wait_job($paced, timeout => 60);
is($paced_row->{state}, 'completed', 'a 6 s test source pushed to RTMP completes');
my $paced_seconds = $env->sql("SELECT extract(epoch FROM finished_at - started_at) FROM ffrtmp.jobs WHERE id = $paced");
cmp_ok($paced_seconds, '>=', 5, 'and takes about its own length: it is paced in real time');

# Sources that never send anything: a stream nobody publishes (the server
# accepts the player and stays silent), and a server that never answers.
my $black_hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, Proto => 'tcp')
  or die "listen: $!";
my %silent = (
	'a stream nobody publishes'   => [ "$rtmp->{idle_url}/nobody", 'silent/unpublished.m3u8' ],
	'a server that never answers' =>
	  [ 'rtmp://127.0.0.1:' . $black_hole->sockport . '/live/nothing', 'silent/no-answer.m3u8' ],);
my %silent_jobs = map {
	$_ => $env->submit($silent{$_}[0], output => $silent{$_}[1],
		params => { video_codec => 'copy', audio_codec => 'copy', format => 'hls' }, max_attempts => 1)
} sort keys %silent;
for my $name (sort keys %silent)
{
	my $row = $env->wait_job($silent_jobs{$name}, timeout => 60);
	is($row->{state}, 'failed', "$name: the job fails");
	like($row->{failure_reason} // '', qr/^(network_error|input_error)$/,
		"$name: as a network_error or input_error");
	like($row->{error} // '', qr/time ?out|timed out|silent|nothing for [\d.]+ ?s/i,
		"$name: the error says the input was silent too long")
	  and note "$name: $row->{error}";
	my $ran = $env->sql("SELECT extract(epoch FROM finished_at - started_at) FROM ffrtmp.jobs WHERE id = $silent_jobs{$name}");
	cmp_ok($ran, '<=', $io_timeout + 7, "$name: it fails about --io-timeout ($io_timeout s) after it started");
}
close $black_hole;
is_deeply([ files_under($env->output_path('silent')) ], [], 'the timed-out jobs left no output');

$env->stop_all_workers;
stop_process($rtmp->{harness});
done_testing();
