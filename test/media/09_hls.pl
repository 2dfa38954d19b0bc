# HLS master and media playlists (RFC 8216), checked against the segments
# on disk: each variant's BANDWIDTH is at least its measured peak segment
# bit rate, container included (RFC 8216 4.1 and 4.3.4.2), for rungs encoded
# by quality (crf) and by bitrate, in one-rung and three-rung ladders;
# AVERAGE-BANDWIDTH is the measured average; CODECS names the profile and
# level really encoded (from the SPS bytes and ffprobe) and the AAC object
# type; RESOLUTION and FRAME-RATE are ffprobe's; TARGETDURATION is never 0
# and never below a rounded EXTINF, in ladders and in single-rendition HLS;
# and every variant decodes whole.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();
my $in = ffmpeg_make("$dir/in.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=4',
	  '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=4' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30', '-c:a', 'aac' ]);
my $short = ffmpeg_make("$dir/short.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=0.1',
	  '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=0.1' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac' ]);

my %profile_idc = (High => 0x64, Main => 0x4d, Baseline => 0x42, 'Constrained Baseline' => 0x42);

# RFC 8216 4.3.3.1: TARGETDURATION >= 1 and >= every EXTINF rounded to the nearest integer.
sub check_target_duration
{
	my ($media, $what) = @_;
	my @too_long = grep { int($_->{duration} + 0.5) > ($media->{target} // 0) } @{ $media->{segments} };
	ok(($media->{target} // 0) >= 1 && !@too_long && @{ $media->{segments} },
		"$what: TARGETDURATION $media->{target} is >= 1 and >= every EXTINF rounded")
	  or diag 'EXTINF: ' . join(' ', map { $_->{duration} } @{ $media->{segments} });
}

# Every attribute of every variant of the master at $master, against its segments and ffprobe.
sub check_ladder
{
	my ($master, $what, $names) = @_;
	my ($mdir) = $master =~ m{^(.*/)};
	my $variants = hls_master($master) // [];
	is(scalar @$variants, scalar @$names, "$what: the master lists every rendition");
	for my $i (0 .. $#$variants)
	{
		my $v = $variants->[$i];
		my $name = "$what $names->[$i]";
		my $media = hls_media("$mdir$v->{uri}") // { segments => [] };
		my $m = hls_measure($media);
		ok($media->{ended} && @{ $media->{segments} } && !(grep { $_->{bytes} <= 0 } @{ $media->{segments} }),
			"$name: a complete media playlist whose segments are all there");
		cmp_ok($v->{BANDWIDTH} // 0, '>=', $m->{peak},
			"$name: BANDWIDTH is at least the measured peak segment bit rate");
		cmp_ok($v->{BANDWIDTH} // 0, '<=', $m->{fastest} + 1, "$name: and no more than its fastest segment's rate");
		ok(defined $v->{'AVERAGE-BANDWIDTH'} && abs($v->{'AVERAGE-BANDWIDTH'} - $m->{average}) <= 0.01 * $m->{average} + 1,
			"$name: AVERAGE-BANDWIDTH is the measured average")
		  or diag 'AVERAGE-BANDWIDTH ' . ($v->{'AVERAGE-BANDWIDTH'} // 'missing') . ", measured $m->{average}";
		my $first = "$mdir$media->{segments}[0]{uri}";
		my ($codecs, $st) = hls_expected_codecs($first);
		is($v->{CODECS}, $codecs, "$name: CODECS is what the first segment holds ($codecs)");
		my $level_hex = sprintf('%02x', $st->{level} // 0);
		my $profile_hex = sprintf('%02x', $profile_idc{ $st->{profile} // '' } // 0);
		like($v->{CODECS} // '', qr/^avc1\.$profile_hex..$level_hex,mp4a\.40\.2$/,
			"$name: its profile and level are ffprobe's ($st->{profile}\@$st->{level}) and the audio is AAC-LC");
		my $info = video_info("$mdir$v->{uri}") // {};
		is($v->{RESOLUTION}, "$info->{width}x$info->{height}", "$name: RESOLUTION is ffprobe's");
		is($v->{'FRAME-RATE'}, sprintf('%.3f', $info->{fps} // 0), "$name: FRAME-RATE is ffprobe's, 3 decimals");
		check_target_duration($media, $name);
		my $decode = decode_whole("$mdir$v->{uri}");
		ok($decode->{ok} && $decode->{frames} > 0, "$name: decodes whole ($decode->{frames} frames)")
		  or diag $decode->{errors};
	}
	return $variants;
}

# --- three rungs: quality, bitrate, quality ---------------------------------
mkdir "$dir/three";
my $run = transcode($in, "$dir/three/index.m3u8",
	{ format => 'hls', hls_segment_seconds => 1, encoder_preset => 'veryfast',
	  renditions => [ { size => '640x360', crf => 18 }, { size => '480x270', video_bitrate => '800k' },
		  { size => '320x180', crf => 28 } ] });
is($run->{status}, 0, 'a three-rung ladder (crf 18, 800k, crf 28) transcodes') or diag $run->{stderr};
check_ladder("$dir/three/index.m3u8", 'three rungs', [qw(360p 270p 180p)]);
my $decode = decode_whole("$dir/three/index.m3u8");
ok($decode->{ok}, 'the whole ladder decodes through its master playlist') or diag $decode->{errors};

# --- one rung, by quality and by bitrate ------------------------------------
for my $case ([ 'crf', { crf => 18 } ], [ 'bitrate', { video_bitrate => '1000k' } ])
{
	my ($kind, $rate) = @$case;
	mkdir "$dir/$kind";
	$run = transcode($in, "$dir/$kind/index.m3u8",
		{ format => 'hls', hls_segment_seconds => 1, renditions => [ { size => '640x360', %$rate } ] });
	is($run->{status}, 0, "a one-rung $kind ladder transcodes") or diag $run->{stderr};
	check_ladder("$dir/$kind/index.m3u8", "one $kind rung", ['360p']);
}

# --- H.265: hev1.<profile>.<compatibility>.L<level>.<constraints> ----------
mkdir "$dir/hevc";
$run = transcode($in, "$dir/hevc/index.m3u8",
	{ format => 'hls', video_codec => 'h265', hls_segment_seconds => 1, renditions => [ { size => '320x180' } ] });
is($run->{status}, 0, 'an H.265 one-rung ladder transcodes') or diag $run->{stderr};
my ($hevc) = @{ hls_master("$dir/hevc/index.m3u8") // [ {} ] };
my $hevc_info = video_info("$dir/hevc/$hevc->{uri}") // {};
is($hevc->{CODECS}, "hev1.1.6.L$hevc_info->{level}.90,mp4a.40.2",
	"H.265 Main: CODECS names ffprobe's profile (Main: 1, compatible with 1 and 2) and level ($hevc_info->{level})");
my $hevc_m = hls_measure(hls_media("$dir/hevc/$hevc->{uri}") // { segments => [] });
cmp_ok($hevc->{BANDWIDTH} // 0, '>=', $hevc_m->{peak}, 'H.265: BANDWIDTH is at least the measured peak');

# --- a 0.1 s input: a ladder and single-rendition HLS -----------------------
mkdir "$dir/short";
$run = transcode($short, "$dir/short/index.m3u8",
	{ format => 'hls', renditions => [ { size => '640x360' }, { size => '320x180', video_bitrate => '300k' } ] });
is($run->{status}, 0, 'a ladder of a 0.1 s input transcodes') or diag $run->{stderr};
check_ladder("$dir/short/index.m3u8", '0.1 s ladder', [qw(360p 180p)]);

for my $case ([ 'short_single', $short, 0.1 ], [ 'single', $in, 4 ])
{
	my ($name, $input, $seconds) = @$case;
	mkdir "$dir/$name";
	$run = transcode($input, "$dir/$name/index.m3u8", { format => 'hls', hls_segment_seconds => 1 });
	is($run->{status}, 0, "single-rendition HLS of a $seconds s input transcodes") or diag $run->{stderr};
	my $media = hls_media("$dir/$name/index.m3u8") // { segments => [] };
	check_target_duration($media, "single-rendition HLS of $seconds s");
	$decode = decode_whole("$dir/$name/index.m3u8");
	ok($decode->{ok} && $decode->{frames} > 0, "single-rendition HLS of $seconds s: decodes whole")
	  or diag $decode->{errors};
}

# What HLS segments (MPEG-TS) carry: h264 or h265 video.  The muxer would
# write anything else as an opaque data stream that no player decodes.
my $vp9 = ffmpeg_make("$dir/vp9.webm", [ '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1' ],
	[ '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8' ]);
mkdir "$dir/vp9";
$run = transcode($vp9, "$dir/vp9/index.m3u8", { format => 'hls', video_codec => 'copy', audio_codec => 'none' });
is($run->{reason} // '', 'user_error', 'copying vp9 into HLS is a user error');
like($run->{error} // '', qr/format hls cannot hold the input's vp9 stream: encode it instead of copying/,
	'which says to encode it');
ok(!-e "$dir/vp9/index.m3u8", 'and publishes no playlist');
$run = transcode($vp9, "$dir/vp9/index.m3u8", { format => 'hls', video_codec => 'vp9' });
is($run->{status}, 2, 'encoding vp9 for HLS is refused before any work');
like($run->{stderr}, qr/format hls cannot hold video_codec vp9/, 'naming the codec');

done_testing();
