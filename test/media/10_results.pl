# A job's result describes the media written, not the file that indexes
# it: for HLS the duration and bit rate of the segments (not of the
# playlist file), for a ladder one entry per rendition with what its master
# playlist promises, and a frame rate that is true (a one-frame output runs
# at the encoder's rate, never at a rate guessed from a time base).
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();
my $in = ffmpeg_make("$dir/in.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=4',
	  '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=4' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30', '-c:a', 'aac' ]);
my $one = ffmpeg_make("$dir/one.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25' ],
	[ '-frames:v', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p' ]);

sub within
{
	my ($got, $want, $share, $name) = @_;
	ok(defined $got && $want > 0 && abs($got - $want) <= $share * $want, $name)
	  or diag 'got ' . ($got // 'nothing') . ", measured $want";
}

# Bits per second of every segment of the media playlist at $path.
sub media_rate
{
	my ($path) = @_;
	my $m = hls_measure(hls_media($path) // { segments => [] });
	return ($m->{average}, $m->{seconds});
}

# --- mp4: the file's bit rate -----------------------------------------------
my $run = transcode($in, "$dir/out.mp4", { video_bitrate => '1500k' });
is($run->{status}, 0, 'an mp4 transcodes') or diag $run->{stderr};
my $r = $run->{result} // {};
my $probe = ffprobe_json("$dir/out.mp4");
within($r->{bit_rate}, (-s "$dir/out.mp4") * 8 / $probe->{format}{duration}, 0.03,
	'mp4: result.bit_rate is the file\'s size over its duration');

# --- single-rendition HLS: the segments, not the playlist -------------------
mkdir "$dir/hls";
$run = transcode($in, "$dir/hls/index.m3u8", { format => 'hls', hls_segment_seconds => 1, video_bitrate => '1500k' });
is($run->{status}, 0, 'single-rendition HLS transcodes') or diag $run->{stderr};
$r = $run->{result} // {};
my ($rate, $seconds) = media_rate("$dir/hls/index.m3u8");
cmp_ok($rate, '>', 1_000_000, "the segments hold about 1.5 Mb/s (measured $rate b/s)");
within($r->{bit_rate}, $rate, 0.03, 'HLS: result.bit_rate is the media\'s, measured from the segments');
within($r->{duration}, $seconds, 0.01, 'HLS: result.duration is the segments\' (sum of EXTINF)');
is($r->{format}, 'hls', 'HLS: result.format is hls');
is_deeply([ sort map { $_->{type} } @{ $r->{streams} // [] } ], [qw(audio video)], 'HLS: result.streams: video and audio');

# --- a ladder: all renditions, and one entry each ---------------------------
mkdir "$dir/abr";
$run = transcode($in, "$dir/abr/master.m3u8",
	{ format => 'hls', hls_segment_seconds => 1,
	  renditions => [ { size => '640x360', video_bitrate => '1200k' }, { size => '320x180', crf => 28 } ] });
is($run->{status}, 0, 'a two-rung ladder transcodes') or diag $run->{stderr};
$r = $run->{result} // {};
my $variants = hls_master("$dir/abr/master.m3u8") // [];
my $total = 0;
$total += (media_rate("$dir/abr/$_->{uri}"))[0] for @$variants;
within($r->{bit_rate}, $total, 0.03, 'ladder: result.bit_rate is that of all renditions\' segments together');
within($r->{duration}, 4, 0.02, 'ladder: result.duration is the media\'s, 4 s');
my @renditions = @{ $r->{renditions} // [] };
is_deeply([ map { $_->{name} } @renditions ], [qw(360p 180p)], 'ladder: result.renditions names each rendition');
for my $i (0 .. $#$variants)
{
	my ($v, $e) = ($variants->[$i], $renditions[$i] // {});
	my $name = "rendition " . ($e->{name} // $i);
	my $info = video_info("$dir/abr/$v->{uri}") // {};
	is_deeply([ @$e{qw(width height playlist)} ], [ $info->{width}, $info->{height}, $v->{uri} ],
		"$name: width and height as ffprobe reads them, and its playlist");
	is_deeply([ @$e{qw(bandwidth average_bandwidth codecs)} ], [ @$v{qw(BANDWIDTH AVERAGE-BANDWIDTH CODECS)} ],
		"$name: bandwidth, average_bandwidth and codecs as the master playlist says");
	is($e->{frame_rate}, 30, "$name: frame_rate 30");
	within($e->{average_bandwidth}, (media_rate("$dir/abr/$v->{uri}"))[0], 0.01,
		"$name: average_bandwidth is its segments' measured rate");
}

# --- one frame: the encoder's rate, not the time base's --------------------
mkdir "$dir/one";
$run = transcode($one, "$dir/one/master.m3u8",
	{ format => 'hls', renditions => [ { size => '640x360' }, { size => '320x180' } ] });
is($run->{status}, 0, 'a ladder of a one-frame input transcodes') or diag $run->{stderr};
$r = $run->{result} // {};
my @fps = map { $_->{fps} // 'none' } grep { $_->{type} eq 'video' } @{ $r->{streams} // [] };
is_deeply(\@fps, [ 25, 25 ], 'one-frame ladder: each video stream runs at the encoder\'s 25 fps');
is_deeply([ map { $_->{frame_rate} // 'none' } @{ $r->{renditions} // [] } ], [ 25, 25 ],
	'one-frame ladder: each rendition\'s frame_rate is 25');
is(decode_whole("$dir/one/master_360p.m3u8")->{frames}, 1, 'one-frame ladder: one frame in, one frame out');

mkdir "$dir/one_hls";
$run = transcode($one, "$dir/one_hls/index.m3u8", { format => 'hls' });
is($run->{status}, 0, 'single-rendition HLS of one frame transcodes') or diag $run->{stderr};
my ($video) = grep { $_->{type} eq 'video' } @{ ($run->{result} // {})->{streams} // [] };
ok($video && (!defined $video->{fps} || $video->{fps} == 25),
	'one-frame HLS: fps is 25 or left out, never guessed') or diag 'fps ' . ($video->{fps} // 'none');

for my $format (qw(mp4 mkv))
{
	$run = transcode($one, "$dir/one_out.$format", { format => $format });
	is($run->{status}, 0, "a one-frame $format transcodes") or diag $run->{stderr};
	($video) = grep { $_->{type} eq 'video' } @{ ($run->{result} // {})->{streams} // [] };
	ok($video && (!defined $video->{fps} || $video->{fps} == 25), "one-frame $format: fps is 25 or left out")
	  or diag 'fps ' . ($video->{fps} // 'none');
}

# Sound of 0.01 s (one AAC frame) to HLS: its segment is a few MPEG-TS
# packets, which libavformat's format detection takes for MPEG audio; the
# result still describes it (read as the MPEG-TS it is).
my $blip = ffmpeg_make("$dir/blip.m4a", [ '-f', 'lavfi', '-i', 'sine=duration=0.01' ], [ '-c:a', 'aac' ]);
mkdir "$dir/blip";
$run = transcode($blip, "$dir/blip/index.m3u8", { format => 'hls' });
is($run->{status}, 0, 'HLS of 0.01 s of sound transcodes') or diag $run->{stderr};
$r = $run->{result} // {};
is_deeply([ map { "$_->{type} $_->{codec}" } @{ $r->{streams} // [] } ], [ 'audio aac' ],
	'0.01 s of sound to HLS: the result has its AAC stream');
ok(($r->{duration} // 0) > 0 && ($r->{duration} // 1) < 0.1, '0.01 s of sound to HLS: and its duration');

done_testing();
