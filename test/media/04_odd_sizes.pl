# Odd sizes: every output is 4:2:0 (chroma at half resolution), which needs
# even dimensions.  An input with an odd width or height (854x481 from a
# crop) comes out at the nearest even size that keeps its display aspect
# within a pixel (854x481: 480 lines, 852.2 columns, so 852x480), with or
# without a target size, for every codec, and in a ladder.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

sub odd_input
{
	my ($size, $codec, $ext) = @_;
	my @codec = $codec eq 'libx264' ? ('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p')
		: ('-c:v', $codec, '-pix_fmt', 'yuv444p');
	return ffmpeg_make("$dir/in_${size}_$codec.$ext",
		[ '-f', 'lavfi', '-i', "color=c=gray:s=$size:r=25:d=1,format=yuv444p,drawbox=x=0:y=0:w=iw/2:h=ih/2:color=white:t=fill" ],
		\@codec);
}

sub aspect_kept
{
	my ($w, $h, $iw, $ih) = @_;
	return abs($w - $h * $iw / $ih) <= 1;
}

my @cases = (
	# input size, codec, container, expected size without a size param
	[ '854x481', 'libx264', 'mp4', [ 852, 480 ] ],
	[ '854x481', 'ffv1', 'mkv', [ 852, 480 ] ],
	[ '853x480', 'libx264', 'mp4', [ 852, 480 ] ],
	[ '641x361', 'ffv1', 'mkv', [ 640, 360 ] ],
	[ '321x241', 'libx264', 'mp4', [ 320, 240 ] ],
);

for my $c (@cases)
{
	my ($size, $codec, $ext, $even) = @$c;
	my ($iw, $ih) = split /x/, $size;
	my $in = odd_input($size, $codec, $ext);
	my $name = "$size $codec";
	is_deeply([ @{ video_info($in) }{qw(width height)} ], [ $iw, $ih ], "$name: the input is $size");

	for my $out ([ 'h264', 'mp4' ], [ 'vp9', 'webm' ])
	{
		my ($vc, $oext) = @$out;
		my $run = transcode($in, "$dir/out.$oext",
			{ video_codec => $vc, encoder_preset => $vc eq 'h264' ? 'ultrafast' : 'ultrafast', audio_codec => 'none' });
		is($run->{status}, 0, "$name to $vc without a size: transcodes") or diag $run->{stderr};
		my $v = video_info("$dir/out.$oext");
		is_deeply([ @$v{qw(width height sar)} ], [ @$even, 1 ], "$name to $vc: $even->[0]x$even->[1] square pixels");
		ok(aspect_kept($v->{width}, $v->{height}, $iw, $ih), "$name to $vc: the aspect kept within a pixel");
		my $decode = decode_whole("$dir/out.$oext");
		ok($decode->{ok} && $decode->{frames} == 25, "$name to $vc: decodes whole, 25 frames")
			or diag "$decode->{frames} frames: $decode->{errors}";
	}

	my $run = transcode($in, "$dir/sized.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', size => '640x480' });
	is($run->{status}, 0, "$name, size 640x480: transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/sized.mp4");
	is_deeply([ @$v{qw(width height)} ], [ 640, 480 ], "$name, size 640x480: 640x480");
	my $box = picture_box("$dir/sized.mp4");
	ok($box->{width} % 2 == 0 && $box->{height} % 2 == 0 && $box->{x} % 2 == 0 && $box->{y} % 2 == 0,
		"$name, size 640x480: an even picture at an even place") or diag explain $box;
	ok(aspect_kept($box->{width}, $box->{height}, $iw, $ih), "$name, size 640x480: the aspect kept within a pixel")
		or diag explain $box;
}

# A ladder from an odd input.
my $in = "$dir/in_854x481_libx264.mp4";
mkdir "$dir/ladder";
my $run = transcode($in, "$dir/ladder/master.m3u8",
	{ format => 'hls', video_codec => 'h264', encoder_preset => 'ultrafast',
	  renditions => [ { size => '1280x720', name => 'hi' }, { size => '426x240', name => 'lo' } ] });
is($run->{status}, 0, 'a ladder of the 854x481 clip transcodes') or diag $run->{stderr};
for my $rung ([ 'hi', 1280, 720 ], [ 'lo', 426, 240 ])
{
	my ($name, $w, $h) = @$rung;
	my $v = video_info("$dir/ladder/master_$name.m3u8");
	is_deeply([ @$v{qw(width height)} ], [ $w, $h ], "ladder rung $name: ${w}x$h");
	my $decode = decode_whole("$dir/ladder/master_$name.m3u8");
	ok($decode->{ok} && $decode->{frames} == 25, "ladder rung $name: decodes whole, 25 frames")
		or diag "$decode->{frames} frames: $decode->{errors}";
}
done_testing();
