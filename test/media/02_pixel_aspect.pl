# Pixel aspect: anamorphic inputs (non-square pixels, SAR != 1) keep their
# display aspect in every mode: without a size they become square pixels at
# the display size, with a size they are fitted by their display aspect (a
# 16:9 PAL picture fills 1280x720 instead of being squeezed into 900x720),
# and stream copy keeps the SAR.  The display aspect is what ffprobe shows as
# the input's display_aspect_ratio.
#
# Each input is a grey picture with a white marker in its top-left quarter,
# so the padding around it (black) shows where the picture is.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

my @cases = (
	# name, stored size, how the SAR is written, SAR, display size without a size, picture in 1280x720
	[ 'PAL 16:9 (720x576 SAR 64:45)', '720x576', [ '-vf', 'setsar=64/45' ], 64 / 45, [ 1024, 576 ], [ 1280, 720 ] ],
	[ 'PAL 16:9 by -aspect 16:9', '720x576', [ '-aspect', '16:9' ], 64 / 45, [ 1024, 576 ], [ 1280, 720 ] ],
	[ 'PAL 4:3 (720x576 SAR 16:15)', '720x576', [ '-vf', 'setsar=16/15' ], 16 / 15, [ 768, 576 ], [ 960, 720 ] ],
	[ 'NTSC 4:3 (720x480 SAR 8:9)', '720x480', [ '-vf', 'setsar=8/9' ], 8 / 9, [ 640, 480 ], [ 960, 720 ] ],
	[ 'NTSC 16:9 (720x480 SAR 32:27)', '720x480', [ '-vf', 'setsar=32/27' ], 32 / 27, [ 854, 480 ], [ 1280, 720 ] ],
);

# The display aspect kept within a pixel: the width the picture's height
# calls for, at most one pixel away.
sub aspect_kept
{
	my ($w, $h, $aspect) = @_;
	return abs($w - $h * $aspect) <= 1;
}

for my $c (@cases)
{
	my ($name, $size, $sar_options, $sar, $display, $fit) = @$c;
	my ($sw, $sh) = split /x/, $size;
	(my $file = $name) =~ s/\W+/_/g;
	my $in = ffmpeg_make("$dir/$file.mp4",
		[ '-f', 'lavfi', '-i', "color=c=gray:s=$size:r=25:d=1,drawbox=x=0:y=0:w=iw/2:h=ih/2:color=white:t=fill" ],
		[ @$sar_options, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p' ]);
	my $i = video_info($in);
	my $aspect = $i->{display_width} / $i->{display_height};
	ok(abs($i->{sar} - $sar) < 1e-6, "$name: ffprobe reads the input's SAR");
	my ($dar) = map { $_->{display_aspect_ratio} } grep { $_->{codec_type} eq 'video' } @{ ffprobe_json($in)->{streams} };
	my ($dn, $dd) = split /:/, $dar;
	ok(abs($aspect - $dn / $dd) < 1e-6, "$name: its display aspect is ffprobe's display_aspect_ratio $dar");

	# Without a size: square pixels at the display size, rounded to even.
	my $run = transcode($in, "$dir/out.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast' });
	is($run->{status}, 0, "$name: transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/out.mp4");
	is_deeply([ @$v{qw(width height sar)} ], [ @$display, 1 ], "$name: $display->[0]x$display->[1] square pixels");
	ok(aspect_kept($v->{width}, $v->{height}, $aspect), "$name: the display aspect kept within a pixel");
	is_deeply(picture_box("$dir/out.mp4"), { width => $display->[0], height => $display->[1], x => 0, y => 0 },
		"$name: the picture fills the frame");
	my $decode = decode_whole("$dir/out.mp4");
	ok($decode->{ok} && $decode->{frames} == 25, "$name: decodes whole, 25 frames")
		or diag "$decode->{frames} frames: $decode->{errors}";

	# Into 1280x720: fitted by its display aspect, padded only where it must.
	$run = transcode($in, "$dir/sized.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', size => '1280x720' });
	is($run->{status}, 0, "$name, size 1280x720: transcodes") or diag $run->{stderr};
	$v = video_info("$dir/sized.mp4");
	is_deeply([ @$v{qw(width height sar)} ], [ 1280, 720, 1 ], "$name, size 1280x720: 1280x720 square pixels");
	my $box = picture_box("$dir/sized.mp4");
	is_deeply([ @$box{qw(width height)} ], $fit, "$name, size 1280x720: a $fit->[0]x$fit->[1] picture");
	ok(aspect_kept($box->{width}, $box->{height}, $aspect), "$name, size 1280x720: the display aspect kept within a pixel");
	is($box->{x}, (1280 - $fit->[0]) / 2, "$name, size 1280x720: centred");

	# Stream copy keeps the SAR, in MP4 and Matroska.
	for my $format ([ 'mp4', 'mp4' ], [ 'mkv', 'mkv' ])
	{
		my ($f, $ext) = @$format;
		$run = transcode($in, "$dir/copy.$ext", { video_codec => 'copy', audio_codec => 'none', format => $f });
		is($run->{status}, 0, "$name: stream copy to $f") or diag $run->{stderr};
		ok(abs((video_info("$dir/copy.$ext")->{sar} // 0) - $sar) < 1e-6, "$name: the $f copy keeps the SAR");
	}
}

# A ladder: each rung fitted by the display aspect.
my $pal = "$dir/PAL_16_9_720x576_SAR_64_45_.mp4";
mkdir "$dir/ladder";
my $run = transcode($pal, "$dir/ladder/master.m3u8",
	{ format => 'hls', video_codec => 'h264', encoder_preset => 'ultrafast',
	  renditions => [ { size => '1280x720', name => 'hi' }, { size => '640x480', name => 'lo' } ] });
is($run->{status}, 0, 'a ladder of the 16:9 PAL clip transcodes') or diag $run->{stderr};
is_deeply(picture_box("$dir/ladder/master_hi.m3u8"), { width => 1280, height => 720, x => 0, y => 0 },
	'ladder rung 1280x720: filled');
is_deeply(picture_box("$dir/ladder/master_lo.m3u8"), { width => 640, height => 360, x => 0, y => 60 },
	'ladder rung 640x480: letterboxed to 640x360');
# An implausible SAR (beyond 10:1 either way) is a broken tag, not an
# intent: ignored, with a warning, rather than a picture a few pixels high.
for my $case ([ '100/1', 'wide' ], [ '1/100', 'narrow' ])
{
	my ($ratio, $name) = @$case;
	my $absurd = ffmpeg_make("$dir/absurd_$name.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1' ],
		[ '-vf', "setsar=$ratio", '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p' ]);
	my $run = transcode($absurd, "$dir/absurd_$name-out.mp4", { video_codec => 'h264' });
	is($run->{status}, 0, "SAR $ratio: transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/absurd_$name-out.mp4") // {};
	is_deeply([ @$v{qw(width height sar)} ], [ 320, 240, 1 ], "SAR $ratio: ignored, 320x240 square pixels");
	like(join(' ', @{ $run->{result}{warnings} // [] }), qr/pixel aspect ratio \d+:\d+ is implausible and was ignored/,
		"SAR $ratio: the result warns that it was ignored");
}

done_testing();
