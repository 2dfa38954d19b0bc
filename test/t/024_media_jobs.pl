# Media jobs through the whole system (database, scheduler, ffrtmp-worker):
# an HLS ladder's master playlist holds what its segments measure
# (BANDWIDTH at least the peak segment bit rate, AVERAGE-BANDWIDTH, CODECS,
# RESOLUTION, FRAME-RATE, TARGETDURATION, RFC 8216), and the job's result,
# read from ffrtmp.jobs, describes the media: the segments' bit rate and
# duration rather than the playlist file's, one entry per rendition, and a
# one-frame ladder at the encoder's frame rate.  A phone clip (a display
# matrix, BT.709 tags) and a broadcast clip (576i, anamorphic 16:9, two
# audio languages) come out upright, at their display aspect, progressive,
# colour-tagged and with the audio asked for.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('media_jobs');
my $clip = make_clip($env->input_root . '/clip.mp4', size => '640x360', fps => 30, seconds => 4);
my $one = $env->input_root . '/one.mp4';
my ($out, $err) = ('', '');
IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
		'-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', $one ], '<', \undef, '>', \$out, '2>', \$err)
  or die "could not make $one: $err";

# A phone clip: stored 640x360 with a 90 degree display matrix, BT.709.
my $flat = $env->input_root . '/flat.mp4';
my $phone = $env->input_root . '/phone.mp4';
IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2',
		'-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-color_range', 'tv', '-colorspace', 'bt709',
		'-color_primaries', 'bt709', '-color_trc', 'bt709', $flat ], '<', \undef, '>', \$out, '2>', \$err)
  && IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', $flat, '-c', 'copy',
		'-metadata:s:v:0', 'rotate=90', $phone ], '<', \undef, '>', \$out, '2>', \$err)
  or die "could not make $phone: $err";
# A broadcast clip: 720x576 interlaced top field first, SAR 64:45, English and French audio.
my $broadcast = $env->input_root . '/broadcast.mkv';
IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=720x576:rate=50:duration=2',
		'-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2',
		'-f', 'lavfi', '-i', 'sine=frequency=880:sample_rate=48000:duration=2',
		'-map', '0:v', '-map', '1:a', '-map', '2:a', '-vf', 'interlace=scan=tff,setsar=64/45',
		'-c:v', 'libx264', '-flags', '+ildct+ilme', '-x264opts', 'tff=1', '-field_order', 'tt',
		'-c:a', 'aac', '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', $broadcast ],
	'<', \undef, '>', \$out, '2>', \$err)
  or die "could not make $broadcast: $err";

my $worker = $env->start_worker(args => ['--slots=2']);
my $upright = $env->submit("file://$phone", output => 'phone/720p.mp4', params => { size => '1280x720' });
my $french = $env->submit("file://$broadcast", output => 'broadcast/fra.mp4', params => { audio_language => 'fra' });
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

# --- a phone clip: upright, fitted into the size, tagged --------------------
$job = $env->wait_job($upright, timeout => 300);
is($job->{state}, 'completed', 'a phone clip job with a size completes');
my $v = video_info($env->output_path('phone/720p.mp4')) // {};
is_deeply([ @$v{qw(width height rotation)} ], [ 1280, 720, 0 ], 'phone: 1280x720 with no display matrix left');
my $box = FfrtmpMedia::picture_box($env->output_path('phone/720p.mp4')) // {};
ok(abs(($box->{width} // 0) - 404) <= 4 && ($box->{height} // 0) == 720,
	'phone: the upright 9:16 picture is pillarboxed, 404x720 within the frame')
  or diag 'picture box ' . ($box->{width} // '?') . 'x' . ($box->{height} // '?');
is(join('/', @$v{qw(color_range color_space color_primaries color_transfer)}), 'tv/bt709/bt709/bt709',
	'phone: its BT.709 colour tags are kept');

# --- a broadcast clip: deinterlaced, square pixels at 16:9, French audio ---
$job = $env->wait_job($french, timeout => 300);
is($job->{state}, 'completed', 'a broadcast clip job choosing the French audio completes');
$v = video_info($env->output_path('broadcast/fra.mp4')) // {};
is_deeply([ @$v{qw(width height sar field_order)} ], [ 1024, 576, 1, 'progressive' ],
	'broadcast: 1024x576 square pixels (16:9, as displayed), progressive');
my $idet = FfrtmpMedia::idet_counts($env->output_path('broadcast/fra.mp4'));
cmp_ok($idet->{progressive} // 0, '>', 10 * (($idet->{tff} // 0) + ($idet->{bff} // 0)),
	'broadcast: idet finds progressive frames, not combed fields');
my $audio = FfrtmpMedia::audio_streams($env->output_path('broadcast/fra.mp4'));
is_deeply([ map { $_->{language} // 'und' } @$audio ], ['fra'], 'broadcast: the one audio stream is the French one');
my @dropped = map { "$_->{type}:" . ($_->{language} // '') } @{ $job->{result}{dropped} // [] };
is_deeply(\@dropped, ['audio:eng'], 'broadcast: the result says the English audio was dropped');

$env->stop_all_workers;
done_testing();
