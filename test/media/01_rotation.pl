# Rotation: a clip whose track carries a display matrix (a phone held
# upright writes a quarter turn) comes out upright, with or without a target
# size, the pixels turned as the ffmpeg command line turns them; mirrored
# matrices are honoured too; stream copy to MP4 keeps the matrix, and formats
# that cannot carry one refuse a copy rather than deliver a sideways picture.
#
# Each input is a grey 640x360 picture with a white marker in its top-left
# quarter; where the marker lands in the output tells which way it turned.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();
my $plain = ffmpeg_make("$dir/plain.mp4",
	[ '-f', 'lavfi', '-i', 'color=c=gray:s=640x360:r=25:d=1,drawbox=x=0:y=0:w=320:h=180:color=white:t=fill' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p' ]);

# Overwrites the display matrix of the first track of an MP4 ('tkhd', ISO/IEC
# 14496-12 8.3.2): FFmpeg 5.1's command line writes only pure rotations.
sub with_matrix
{
	my ($src, $dst, @m) = @_;
	open(my $in, '<:raw', $src) or die "$src: $!";
	local $/;
	my $data = <$in>;
	close $in;
	my $at = index($data, 'tkhd');
	die "no tkhd in $src" if $at < 0;
	my $version = ord(substr($data, $at + 4, 1));
	substr($data, $at + 4 + ($version == 1 ? 52 : 40), 36) = pack('l>9', @m);
	open(my $out, '>:raw', $dst) or die "$dst: $!";
	print $out $data;
	close $out;
	return $dst;
}

sub with_rotate_tag
{
	my ($degrees) = @_;
	return ffmpeg_make("$dir/rotate$degrees.mp4", [ '-i', $plain ],
		[ '-c', 'copy', '-metadata:s:v:0', "rotate=$degrees" ]);
}

# Which quarter of a 2x2 grid holds the marker: 0 top-left, 1 top-right,
# 2 bottom-left, 3 bottom-right; -1 when it is not exactly one.
sub marker
{
	my ($grid) = @_;
	my @bright = grep { $grid->[$_] > 200 } 0 .. 3;
	my @grey = grep { $grid->[$_] > 100 && $grid->[$_] < 160 } 0 .. 3;
	return (@bright == 1 && @grey == 3) ? $bright[0] : -1;
}

my $one = 65536;
my @cases = (
	# name, input, ffprobe's rotation, portrait, marker quarter, ffmpeg 5.1 turns it the same way
	[ 'rotation=-90 (a phone held upright)', with_rotate_tag(270), -90, 1, 1, 1 ],
	[ 'rotation=90', with_rotate_tag(90), 90, 1, 2, 1 ],
	[ 'rotation=180', with_rotate_tag(180), -180, 0, 3, 1 ],
	[ 'a horizontal mirror', with_matrix($plain, "$dir/hflip.mp4", -$one, 0, 0, 0, $one, 0, 640 * $one, 0, 1 << 30),
	  undef, 0, 1, 0 ],
	[ 'a quarter turn mirrored (transposed)', with_matrix($plain, "$dir/transposed.mp4", 0, $one, 0, $one, 0, 0, 0, 0, 1 << 30),
	  undef, 1, 0, 0 ],
	[ 'the other quarter turn mirrored', with_matrix($plain, "$dir/antitransposed.mp4",
		0, -$one, 0, -$one, 0, 0, 360 * $one, 640 * $one, 1 << 30), undef, 1, 3, 0 ],
);

for my $c (@cases)
{
	my ($name, $in, $rotation, $portrait, $quarter, $same_as_ffmpeg) = @$c;
	my ($w, $h) = $portrait ? (360, 640) : (640, 360);
	my $info = video_info($in);
	is($info->{rotation}, $rotation, "$name: ffprobe reads the input's matrix") if defined $rotation;
	ok(@{ $info->{side_data} } == 1, "$name: the input carries a display matrix");

	# Without a size: the display size, upright, no matrix left.
	my $run = transcode($in, "$dir/out.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast' });
	is($run->{status}, 0, "$name: transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/out.mp4");
	is_deeply([ @$v{qw(width height sar rotation)} ], [ $w, $h, 1, 0 ],
		"$name: ${w}x$h square pixels, no display matrix left");
	is(marker(luma_grid("$dir/out.mp4", 2, 2)), $quarter, "$name: the picture is turned upright");
	if ($same_as_ffmpeg)
	{
		ffmpeg_reference($in, "$dir/ffmpeg.mp4", [ '-c:v', 'libx264', '-preset', 'ultrafast' ]);
		my $f = video_info("$dir/ffmpeg.mp4");
		is_deeply([ @$v{qw(display_width display_height)} ], [ @$f{qw(display_width display_height)} ],
			"$name: the display size the ffmpeg command line shows");
		is(marker(luma_grid("$dir/ffmpeg.mp4", 2, 2)), $quarter, "$name: turned the way ffmpeg turns it");
	}
	my $decode = decode_whole("$dir/out.mp4");
	ok($decode->{ok} && $decode->{frames} == 25, "$name: decodes whole, 25 frames")
		or diag "$decode->{frames} frames: $decode->{errors}";

	# A landscape target size: the upright picture fitted in it.
	$run = transcode($in, "$dir/sized.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', size => '1280x720' });
	is($run->{status}, 0, "$name, size 1280x720: transcodes") or diag $run->{stderr};
	$v = video_info("$dir/sized.mp4");
	is_deeply([ @$v{qw(width height sar rotation)} ], [ 1280, 720, 1, 0 ], "$name, size 1280x720: 1280x720, upright");
	my $box = picture_box("$dir/sized.mp4");
	my $fit = $portrait ? { width => 404, height => 720, x => 438, y => 0 } : { width => 1280, height => 720, x => 0, y => 0 };
	is_deeply($box, $fit, "$name, size 1280x720: the picture fills the height, "
		. ($portrait ? 'pillarboxed' : 'no padding'));
	is(marker(luma_grid("$dir/sized.mp4", 2, 2, "$box->{width}:$box->{height}:$box->{x}:$box->{y}")), $quarter,
		"$name, size 1280x720: turned upright");
}

# A ladder fits each rung to the upright picture.
my $phone = $cases[0][1];
mkdir "$dir/ladder";
my $run = transcode($phone, "$dir/ladder/master.m3u8",
	{ format => 'hls', video_codec => 'h264', encoder_preset => 'ultrafast',
	  renditions => [ { size => '1280x720', name => 'hi' }, { size => '640x360', name => 'lo' } ] });
is($run->{status}, 0, 'a ladder of the phone clip transcodes') or diag $run->{stderr};
for my $rung ([ 'hi', 1280, 720 ], [ 'lo', 640, 360 ])
{
	my ($name, $w, $h) = @$rung;
	my $box = picture_box("$dir/ladder/master_$name.m3u8");
	ok($box && $box->{height} == $h && abs($box->{width} - $h * 9 / 16) <= 1,
		"ladder rung $name: a ${h}-line upright picture, its aspect within a pixel")
		or diag explain $box;
	is(marker(luma_grid("$dir/ladder/master_$name.m3u8", 2, 2, "$box->{width}:$box->{height}:$box->{x}:$box->{y}")), 1,
		"ladder rung $name: turned upright");
}

# Stream copy keeps the matrix where the format can carry it (MP4), as the
# ffmpeg command line does, and refuses where it cannot.
for my $c ($cases[0], $cases[4])
{
	my ($name, $in) = @$c;
	my $run = transcode($in, "$dir/copy.mp4", { video_codec => 'copy', audio_codec => 'none', format => 'mp4' });
	is($run->{status}, 0, "$name: stream copy to mp4") or diag $run->{stderr};
	is_deeply(video_info("$dir/copy.mp4")->{side_data}, video_info($in)->{side_data},
		"$name: the copy keeps the display matrix");
	is(packet_md5("$dir/copy.mp4", '0:v'), packet_md5($in, '0:v'), "$name: and every packet");
}
ffmpeg_reference($phone, "$dir/ffmpeg_copy.mp4", [ '-c', 'copy' ]);
is(video_info("$dir/ffmpeg_copy.mp4")->{rotation}, -90, 'the ffmpeg command line keeps the matrix in its copy too');
for my $format ([ 'mkv', 'mkv' ], [ 'hls', 'm3u8' ], [ 'flv', 'flv' ])
{
	my ($f, $ext) = @$format;
	my $run = transcode($phone, "$dir/copy_$f.$ext", { video_codec => 'copy', audio_codec => 'none', format => $f });
	is($run->{reason}, 'user_error', "stream copy of a rotated clip to $f is refused");
	like($run->{error} // '', qr/cannot carry the input's display matrix \(rotation=-90\): encode the video instead of copying/,
		"... saying why and what to do");
}
done_testing();
