# Media jobs through the whole system (database, scheduler, ffrtmp-worker):
# an HLS ladder's master playlist holds what its segments measure
# (BANDWIDTH at least the peak segment bit rate, AVERAGE-BANDWIDTH, CODECS,
# RESOLUTION, FRAME-RATE, TARGETDURATION, RFC 8216), and the job's result,
# read from ffrtmp.jobs, describes the media: the segments' bit rate and
# duration rather than the playlist file's, one entry per rendition, and a
# one-frame ladder at the encoder's frame rate.
use strict;
use warnings;
use FfrtmpTest;
use FfrtmpMedia qw(hls_master hls_media hls_measure hls_expected_codecs video_info decode_whole);
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpTest->new('media_jobs');
my $clip = make_clip($env->input_root . '/clip.mp4', size => '640x360', fps => 30, seconds => 4);
my $one = $env->input_root . '/one.mp4';
my ($out, $err) = ('', '');
IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
		'-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', $one ], '<', \undef, '>', \$out, '2>', \$err)
  or die "could not make $one: $err";

my $worker = $env->start_worker(args => ['--slots=2']);
my $ladder = $env->submit("file://$clip", output => 'abr/master.m3u8',
	params => { format => 'hls', hls_segment_seconds => 1,
		renditions => [ { size => '640x360', crf => 20 }, { size => '320x180', video_bitrate => '400k' } ] });
my $single = $env->submit("file://$clip", output => 'hls/index.m3u8',
	params => { format => 'hls', hls_segment_seconds => 1, video_bitrate => '1500k' });
my $frame = $env->submit("file://$one", output => 'one/master.m3u8',
	params => { format => 'hls', renditions => [ { size => '640x360' }, { size => '320x180' } ] });

sub within
{
	my ($got, $want, $share, $name) = @_;
	ok(defined $got && $want > 0 && abs($got - $want) <= $share * $want, $name)
	  or diag 'got ' . ($got // 'nothing') . ", measured $want";
}

# --- the ladder: master playlist against its segments -----------------------
my $job = $env->wait_job($ladder, timeout => 300);
is($job->{state}, 'completed', 'an HLS ladder job (crf 20 and 400k rungs) completes');
my $dir = $env->output_path('abr');
my $variants = hls_master("$dir/master.m3u8") // [];
is_deeply([ map { $_->{RESOLUTION} } @$variants ], [qw(640x360 320x180)], 'the master lists both renditions');
my $total = 0;
for my $v (@$variants)
{
	my $name = "ladder $v->{RESOLUTION}";
	my $media = hls_media("$dir/$v->{uri}") // { segments => [] };
	my $m = hls_measure($media);
	$total += $m->{average};
	cmp_ok($v->{BANDWIDTH} // 0, '>=', $m->{peak}, "$name: BANDWIDTH is at least the measured peak segment bit rate");
	within($v->{'AVERAGE-BANDWIDTH'}, $m->{average}, 0.01, "$name: AVERAGE-BANDWIDTH is the measured average");
	my ($codecs, $st) = hls_expected_codecs("$dir/$media->{segments}[0]{uri}");
	is($v->{CODECS}, $codecs, "$name: CODECS is the first segment's profile and level with AAC-LC ($codecs)");
	my $info = video_info("$dir/$v->{uri}") // {};
	is_deeply([ $v->{RESOLUTION}, $v->{'FRAME-RATE'} ], [ "$info->{width}x$info->{height}", sprintf('%.3f', $info->{fps} // 0) ],
		"$name: RESOLUTION and FRAME-RATE are ffprobe's");
	my @too_long = grep { int($_->{duration} + 0.5) > $media->{target} } @{ $media->{segments} };
	ok($media->{target} >= 1 && !@too_long, "$name: TARGETDURATION >= 1 and >= every EXTINF rounded");
	ok(decode_whole("$dir/$v->{uri}")->{ok}, "$name: decodes whole");
}

# --- the ladder: the job's result -------------------------------------------
my $result = $job->{result} // {};
is($result->{format}, 'hls', 'ladder result: format hls');
within($result->{bit_rate}, $total, 0.03, 'ladder result: bit_rate is that of all renditions\' segments');
within($result->{duration}, 4, 0.02, 'ladder result: duration is the media\'s, 4 s');
my @renditions = @{ $result->{renditions} // [] };
is_deeply([ map { $_->{name} } @renditions ], [qw(360p 180p)], 'ladder result: one entry per rendition, by name');
for my $i (0 .. $#$variants)
{
	my ($v, $e) = ($variants->[$i], $renditions[$i] // {});
	is_deeply([ @$e{qw(bandwidth average_bandwidth codecs playlist frame_rate)}, "$e->{width}x$e->{height}" ],
		[ @$v{qw(BANDWIDTH AVERAGE-BANDWIDTH CODECS uri)}, 30, $v->{RESOLUTION} ],
		"ladder result, $v->{RESOLUTION}: what the master playlist says, at 30 fps");
}
ok(defined $result->{size} && defined $result->{frames}, 'ladder result: the worker\'s size and frames are kept');

# --- single-rendition HLS: the media's bit rate, not the playlist file's ---
$job = $env->wait_job($single, timeout => 300);
is($job->{state}, 'completed', 'a single-rendition HLS job completes');
my $media = hls_media($env->output_path('hls/index.m3u8')) // { segments => [] };
my $m = hls_measure($media);
cmp_ok($m->{average}, '>', 200_000, "its segments hold hundreds of kb/s ($m->{average} b/s), the playlist file a few hundred bytes");
within($job->{result}{bit_rate}, $m->{average}, 0.03, 'HLS result: bit_rate is the segments\' measured rate');
within($job->{result}{duration}, $m->{seconds}, 0.01, 'HLS result: duration is the sum of EXTINF');

# --- one frame: the encoder's rate -----------------------------------------
$job = $env->wait_job($frame, timeout => 300);
is($job->{state}, 'completed', 'a one-frame ladder job completes');
$result = $job->{result} // {};
is_deeply([ map { $_->{fps} // 'none' } grep { $_->{type} eq 'video' } @{ $result->{streams} // [] } ], [ 25, 25 ],
	'one-frame ladder result: each video stream at the encoder\'s 25 fps, not a guess from the time base');
is_deeply([ map { $_->{frame_rate} // 'none' } @{ $result->{renditions} // [] } ], [ 25, 25 ],
	'one-frame ladder result: each rendition\'s frame_rate is 25');
my $short = hls_media($env->output_path('one/master_360p.m3u8')) // {};
cmp_ok($short->{target} // 0, '>=', 1, 'one-frame ladder: TARGETDURATION is at least 1, not 0');

$env->stop_all_workers;
done_testing();
