# Colour tags (range, matrix, primaries, transfer) on every encoded output:
# a BT.709-tagged input keeps its tags, a full-range input (yuvj420p, or
# yuv420p tagged pc) is converted to limited range, as the ffmpeg command
# line's own conversion does, and tagged so; an untagged input gets what
# players assume for its size (BT.601 for SD, BT.709 for HD).
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

# The four tags as ffprobe names them, in one string.
sub tags
{
	my ($v) = @_;
	return 'unreadable' unless $v;
	return join('/', @$v{qw(color_range color_space color_primaries color_transfer)});
}

# The file ffprobe should read for an output: HLS's first segment.
sub media_of
{
	my ($out) = @_;
	return $out unless $out =~ /\.m3u8$/;
	(my $base = $out) =~ s/\.m3u8$//;
	my ($segment) = sort glob("${base}*.ts");
	return $segment // $out;
}

# The first frame's luma range and mean as decoded (signalstats, in 8-bit steps).
sub luma_stats
{
	my ($path) = @_;
	my $err = `ffmpeg -nostdin -hide_banner -v info -i '$path' -vf signalstats,metadata=print -frames:v 1 -f null - 2>&1`;
	my %s;
	$s{$1} = $2 while $err =~ /lavfi\.signalstats\.(YMIN|YMAX|YAVG)=([\d.]+)/g;
	return \%s;
}

# The first frame's mean Cb and Cr (signalstats UAVG, VAVG): the matrix
# shows in chroma.
sub chroma_means
{
	my ($path) = @_;
	my $err = `ffmpeg -nostdin -hide_banner -v info -i '$path' -vf signalstats,metadata=print -frames:v 1 -f null - 2>&1`;
	my ($u) = $err =~ /lavfi\.signalstats\.UAVG=([\d.]+)/;
	my ($v) = $err =~ /lavfi\.signalstats\.VAVG=([\d.]+)/;
	return ($u // -1, $v // -1);
}

my $run;
my @outputs = (
	[ h264 => 'mp4' ], [ h264 => 'mkv' ], [ h264 => 'm3u8' ],
	[ h265 => 'mp4' ], [ h265 => 'mkv' ], [ h265 => 'm3u8' ],
	[ vp9  => 'mp4' ], [ vp9  => 'mkv' ], [ av1 => 'mkv' ],
);

# Every output kind of one input: the four tags as expected.
sub check_outputs
{
	my ($name, $in, $want, $what) = @_;
	for my $o (@outputs)
	{
		my ($codec, $ext) = @$o;
		my $out = "$dir/${name}_$codec.$ext";
		my $run = transcode($in, $out, { video_codec => $codec, encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "$what to $codec in $ext: transcoded") or diag $run->{stderr};
		is(tags(video_info(media_of($out))), $want, "$what to $codec in $ext: tagged $want");
	}
}

my @clip = ('-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=1');
my @x264 = ('-c:v', 'libx264', '-preset', 'ultrafast');

# The issue's example: tv/bt709/bt709/bt709 came out all "unknown".
my $bt709 = ffmpeg_make("$dir/bt709.mp4", \@clip,
	[ @x264, '-pix_fmt', 'yuv420p', '-color_range', 'tv', '-colorspace', 'bt709', '-color_primaries', 'bt709',
	  '-color_trc', 'bt709' ]);
is(tags(video_info($bt709)), 'tv/bt709/bt709/bt709', 'premise: the input is tagged BT.709, limited range');
check_outputs('bt709', $bt709, 'tv/bt709/bt709/bt709', 'a BT.709 input');

# The issue's other example: yuvj420p (full range) was converted but not tagged.
my $yuvj = ffmpeg_make("$dir/yuvj.mp4", \@clip,
	[ @x264, '-pix_fmt', 'yuvj420p', '-color_range', 'pc', '-colorspace', 'bt709', '-color_primaries', 'bt709',
	  '-color_trc', 'bt709' ]);
is(video_info($yuvj)->{color_range}, 'pc', 'premise: the yuvj420p input is full range');
check_outputs('yuvj', $yuvj, 'tv/bt709/bt709/bt709', 'a yuvj420p input');

# The picture: full range (black 0, white 255) becomes limited (16, 235).  A
# lossless input of black and white bars; the worker against ffmpeg's own
# conversion of the same input, for both ways of saying "full range".
my @bars = ('-f', 'lavfi', '-i', 'color=c=white:size=160x180:rate=25:duration=1,pad=320:180:0:0:black');
# (H.264 decodes a full-range stream as yuvj420p; FFV1 in Matroska keeps
# yuv420p and says "pc" in the container.)
my %full = (
	yuvj420p        => [ '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-pix_fmt', 'yuvj420p' ],
	'yuv420p (pc)'  => [ '-vf', 'scale=out_range=pc,format=yuv420p', '-color_range', 'pc', '-c:v', 'ffv1' ],
);
for my $kind (sort keys %full)
{
	(my $file = $kind) =~ s/\W+/_/g;
	my $in = ffmpeg_make("$dir/full_$file.mkv", \@bars,
		$full{$kind});
	my $src = luma_stats($in);
	ok($src->{YMIN} <= 1 && $src->{YMAX} >= 254, "premise: the $kind input holds full-range black and white")
		or diag explain $src;
	is(video_info($in)->{pix_fmt}, $kind =~ /yuvj/ ? 'yuvj420p' : 'yuv420p', "premise: it decodes as $kind");
	my $run = transcode($in, "$dir/full_$file.mp4", { video_codec => 'h264', crf => 10, encoder_preset => 'ultrafast' });
	is($run->{status}, 0, "the $kind input transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/full_$file.mp4");
	is($v->{color_range}, 'tv', "the $kind input comes out tagged limited range");
	my $got = luma_stats("$dir/full_$file.mp4");
	ok(abs($got->{YMIN} - 16) <= 2 && abs($got->{YMAX} - 235) <= 2,
		"its black and white are converted to limited range (16, 235): got $got->{YMIN}, $got->{YMAX}");
	ffmpeg_reference($in, "$dir/full_${file}_ffmpeg.mp4",
		[ '-vf', 'scale=in_range=pc:out_range=tv,format=yuv420p', '-c:v', 'libx264', '-crf', '10', '-preset', 'ultrafast' ]);
	my $ref = luma_stats("$dir/full_${file}_ffmpeg.mp4");
	ok(abs($got->{YAVG} - $ref->{YAVG}) < 1 && abs($got->{YMIN} - $ref->{YMIN}) <= 1 && abs($got->{YMAX} - $ref->{YMAX}) <= 1,
		"and match ffmpeg's own conversion (mean $got->{YAVG} against $ref->{YAVG})");
}

# Untagged inputs get what players assume for their size.
my %untagged = (
	'720x576'  => 'tv/bt470bg/bt470bg/smpte170m',
	'720x480'  => 'tv/smpte170m/smpte170m/smpte170m',
	'1280x720' => 'tv/bt709/bt709/bt709',
);
for my $size (sort keys %untagged)
{
	my $in = ffmpeg_make("$dir/untagged_$size.mp4", [ '-f', 'lavfi', '-i', "testsrc2=size=$size:rate=25:duration=1" ],
		[ @x264, '-pix_fmt', 'yuv420p' ]);
	is(tags(video_info($in)), 'unknown/unknown/unknown/unknown', "premise: the $size input is untagged");
	for my $ext (qw(mp4 mkv))
	{
		my $run = transcode($in, "$dir/untagged_$size.out.$ext", { video_codec => 'h264', encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "untagged $size to $ext: transcoded") or diag $run->{stderr};
		is(tags(video_info("$dir/untagged_$size.out.$ext")), $untagged{$size}, "untagged $size to $ext: $untagged{$size}");
	}
}

# An RGB input (PNG frames) is converted to YUV with the matrix the output
# is tagged with: BT.709 for HD, where swscale's own default is BT.601.
my $rgb = ffmpeg_make("$dir/rgb.mkv", [ '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25:duration=1' ],
	[ '-c:v', 'png', '-pix_fmt', 'rgb24' ]);
$run = transcode($rgb, "$dir/rgb.mp4", { video_codec => 'h264', crf => 10, encoder_preset => 'ultrafast' });
is($run->{status}, 0, 'an RGB input transcodes') or diag $run->{stderr};
is(tags(video_info("$dir/rgb.mp4")), 'tv/bt709/bt709/bt709', 'an HD RGB input is tagged BT.709');
ffmpeg_reference($rgb, "$dir/rgb_ffmpeg.mp4",
	[ '-vf', 'scale=out_color_matrix=bt709:out_range=tv,format=yuv420p', '-c:v', 'libx264', '-crf', '10', '-preset', 'ultrafast' ]);
# (Both encode the same YUV picture at crf 10; BT.601 moves the means by 0.15 to 0.3.)
my @got = chroma_means("$dir/rgb.mp4");
my @want = chroma_means("$dir/rgb_ffmpeg.mp4");
ok(abs($got[0] - $want[0]) < 0.05 && abs($got[1] - $want[1]) < 0.05,
	"and converted with the BT.709 matrix, as ffmpeg converts with out_color_matrix=bt709 (Cb, Cr means @got against @want)");

# A palette input (pal8, as GIF and 8-bit PNG are) is RGB too: swscale
# turns a palette into YUV with BT.601 coefficients whatever it is told, so
# an HD one must be expanded to RGB first to be converted with BT.709.
my $pal = ffmpeg_make("$dir/pal8.mkv", [ '-f', 'lavfi', '-i', 'color=c=0xC02040:size=1280x720:rate=25:duration=0.2' ],
	[ '-c:v', 'png', '-pix_fmt', 'pal8' ]);
$run = transcode($pal, "$dir/pal8.mp4", { video_codec => 'h264', crf => 10, encoder_preset => 'ultrafast' });
is($run->{status}, 0, 'a palette input transcodes') or diag $run->{stderr};
is(tags(video_info("$dir/pal8.mp4")), 'tv/bt709/bt709/bt709', 'an HD palette input is tagged BT.709');
ffmpeg_reference($pal, "$dir/pal8_ffmpeg.mp4", [ '-vf', 'format=rgb24,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p',
	'-c:v', 'libx264', '-crf', '10', '-preset', 'ultrafast' ]);
# (BT.601 would move Cb of this red by about 7.)
@got = chroma_means("$dir/pal8.mp4");
@want = chroma_means("$dir/pal8_ffmpeg.mp4");
ok(abs($got[0] - $want[0]) < 1 && abs($got[1] - $want[1]) < 1,
	"and converted with the BT.709 matrix, as ffmpeg converts its RGB (Cb, Cr means @got against @want)");

# A ladder: every rung carries the tags, whatever its size.
$run = transcode($bt709, "$dir/ladder.m3u8", { video_codec => 'h264', encoder_preset => 'ultrafast',
	renditions => [ { name => 'a', size => '640x360' }, { name => 'b', size => '320x180' } ] });
is($run->{status}, 0, 'a two-rung HLS ladder of the BT.709 input') or diag $run->{stderr};
for my $rung (qw(a b))
{
	my ($segment) = sort glob("$dir/ladder*$rung*.ts");
	is(tags(video_info($segment // "$dir/none")), 'tv/bt709/bt709/bt709', "ladder rung $rung: tagged BT.709");
}

done_testing();
