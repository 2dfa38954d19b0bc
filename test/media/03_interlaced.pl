# Interlaced input: params.deinterlace auto (the default) deinterlaces an
# input that declares fields (ffprobe's field_order tt/bb/tb/bt) with bwdif,
# one frame per frame, before anything scales it, so outputs are progressive
# (ffmpeg's idet finds progressive frames, not combed ones) and flagged so;
# the result is bit for bit what the ffmpeg command line gives with the same
# filters.  on deinterlaces every frame; off keeps the fields, coded
# interlaced (libx264 +ildct+ilme) and flagged in the input's field order,
# and refuses what would mix the fields (scaling, turning, a frame rate) or
# a codec that cannot code fields.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

# 576i25 top field first, 480i30 bottom field first: 2 s of moving pattern,
# woven into fields from a 50 (60) frame/s source, as a camera writes them.
sub interlaced
{
	my ($name, $size, $rate, $scan, $sar) = @_;
	return ffmpeg_make("$dir/$name.mp4",
		[ '-f', 'lavfi', '-i', "testsrc2=size=$size:rate=$rate:duration=2" ],
		[ '-vf', "interlace=scan=$scan,setsar=$sar", '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
		  '-flags', '+ildct+ilme', '-x264opts', "$scan=1", '-field_order', $scan eq 'tff' ? 'tt' : 'bb' ]);
}

my $tff = interlaced('576i_tff', '720x576', 50, 'tff', '1');
my $bff = interlaced('480i_bff', '720x480', 60, 'bff', '1');
my $anamorphic = interlaced('576i_tff_16x9', '720x576', 50, 'tff', '64/45');
# MPEG-4 Part 2 in MP4 declares no field order, but flags each frame interlaced.
my $undeclared = ffmpeg_make("$dir/mpeg4_576i.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=720x576:rate=50:duration=2' ],
	[ '-vf', 'interlace=scan=tff', '-c:v', 'mpeg4', '-q:v', '3', '-flags', '+ildct+ilme' ]);
my $progressive = ffmpeg_make("$dir/progressive.mp4", [ '-f', 'lavfi', '-i', 'testsrc2=size=720x576:rate=25:duration=2' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p' ]);

is(video_info($tff)->{field_order}, 'tt', 'the 576i input declares top field first');
is(video_info($bff)->{field_order}, 'bb', 'the 480i input declares bottom field first');
is(video_info($undeclared)->{field_order}, 'unknown', 'the MPEG-4 576i input declares no field order');
my $idet = idet_counts($tff);
ok($idet->{tff} > 40, "idet finds the 576i input's frames woven top field first") or diag explain $idet;

sub progressive_output
{
	my ($path, $frames, $what) = @_;
	my $v = video_info($path);
	is($v->{field_order}, 'progressive', "$what: flagged progressive");
	my $c = idet_counts($path);
	ok($c->{progressive} >= 0.9 * ($c->{tff} + $c->{bff} + $c->{progressive}),
		"$what: idet finds progressive frames, not combed ones") or diag explain $c;
	my $decode = decode_whole($path);
	ok($decode->{ok} && $decode->{frames} == $frames, "$what: decodes whole, $frames frames")
		or diag "$decode->{frames} frames: $decode->{errors}";
}

# auto: deinterlaced, with and without scaling, in either field order, and
# by the frames' own flags where the stream declares nothing.
for my $c ([ '576i25 tff', $tff, 50, undef ], [ '576i25 tff', $tff, 50, '1280x720' ], [ '480i30 bff', $bff, 60, undef ],
	[ 'MPEG-4 576i25, frames flagged interlaced', $undeclared, 50, undef ])
{
	my ($name, $in, $frames, $size) = @$c;
	my $what = "$name, deinterlace auto" . ($size ? ", size $size" : '');
	my $run = transcode($in, "$dir/auto.mp4",
		{ video_codec => 'h264', encoder_preset => 'ultrafast', ($size ? (size => $size) : ()) });
	is($run->{status}, 0, "$what: transcodes") or diag $run->{stderr};
	progressive_output("$dir/auto.mp4", $frames, $what);
}

# Deinterlacing keeps the frame rate and the input's time base: 25 frames a
# second of 576i25 stay 25 in HLS, and a generated source that declares no
# field order (and so passes through bwdif untouched) keeps its 30.
for my $c ([ '576i25 tff', $tff, 25, 50 ], [ 'testsrc, no field order', 'testsrc://640x360@30?duration=2', 30, 60 ])
{
	my ($name, $in, $fps, $frames) = @$c;
	mkdir "$dir/hls";
	my $run = transcode($in, "$dir/hls/out.m3u8", { format => 'hls', video_codec => 'h264', encoder_preset => 'ultrafast' });
	is($run->{status}, 0, "$name to HLS, deinterlace auto: transcodes") or diag $run->{stderr};
	my $v = video_info("$dir/hls/out.m3u8");
	is_deeply([ @$v{qw(fps frames)} ], [ $fps, $frames ], "$name to HLS: $frames frames at $fps a second");
}

# The ffmpeg command line with bwdif before the same encode gives the same
# packets, scaled (pillarboxed: 5:4 in 16:9) or not: the scaler never blends fields.
for my $size (undef, '1280x720')
{
	my $what = $size ? "size $size" : 'no size';
	my $run = transcode($tff, "$dir/worker.mp4", { video_codec => 'h264', encoder_preset => 'veryfast',
		video_bitrate => '1500k', ($size ? (size => $size) : ()) });
	is($run->{status}, 0, "deinterlace auto, $what, at the clean-source settings") or diag $run->{stderr};
	ffmpeg_reference($tff, "$dir/ffmpeg.mp4",
		[ '-threads', '1', '-filter_threads', '1',
		  '-vf', 'bwdif=mode=send_frame:parity=auto:deint=interlaced,' . ($size ? 'scale=900:720,pad=1280:720:190:0,' : '') . 'setsar=1,format=yuv420p',
		  '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1500k', '-g', '50', '-keyint_min', '50', '-threads', '1',
		  '-movflags', '+faststart' ]);
	is(packet_md5("$dir/worker.mp4", '0:v'), packet_md5("$dir/ffmpeg.mp4", '0:v'),
		"deinterlace auto, $what: the packets the ffmpeg command line writes with bwdif");
}

# on: every frame, even of an input that declares nothing interlaced.
my $run = transcode($progressive, "$dir/on.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', deinterlace => 'on' });
is($run->{status}, 0, 'deinterlace on, progressive input: transcodes') or diag $run->{stderr};
progressive_output("$dir/on.mp4", 50, 'deinterlace on, progressive input');
$run = transcode($tff, "$dir/on.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', deinterlace => 'on' });
progressive_output("$dir/on.mp4", 50, 'deinterlace on, 576i input');

# off: the fields kept, coded interlaced, in the input's order, with its SAR.
for my $c ([ '576i25 tff', $tff, 'tt', 'tff', 50, 1 ], [ '480i30 bff', $bff, 'bb', 'bff', 60, 1 ],
	[ '576i25 tff 16:9', $anamorphic, 'tt', 'tff', 50, 64 / 45 ])
{
	my ($name, $in, $order, $idet_key, $frames, $sar) = @$c;
	for my $format ([ 'mp4', 'mp4' ], [ 'mkv', 'mkv' ])
	{
		my ($f, $ext) = @$format;
		my $what = "$name, deinterlace off, $f";
		my $run = transcode($in, "$dir/off.$ext", { video_codec => 'h264', encoder_preset => 'ultrafast',
			deinterlace => 'off', format => $f });
		is($run->{status}, 0, "$what: transcodes") or diag $run->{stderr};
		my $v = video_info("$dir/off.$ext");
		my $i = video_info($in);
		is_deeply([ @$v{qw(width height field_order)} ], [ $i->{width}, $i->{height}, $order ],
			"$what: the stored size, flagged $order");
		ok(abs($v->{sar} - $sar) < 1e-6, "$what: the input's SAR kept (no scaling)");
		my $c = idet_counts("$dir/off.$ext");
		ok($c->{$idet_key} >= 0.9 * $frames, "$what: idet finds its frames woven $idet_key") or diag explain $c;
		my $decode = decode_whole("$dir/off.$ext");
		ok($decode->{ok} && $decode->{frames} == $frames, "$what: decodes whole, $frames frames")
			or diag "$decode->{frames} frames: $decode->{errors}";
	}
}

# off on a progressive input: nothing to keep, an ordinary encode.
$run = transcode($progressive, "$dir/off.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', deinterlace => 'off', size => '640x360' });
is($run->{status}, 0, 'deinterlace off, progressive input, scaled: transcodes') or diag $run->{stderr};
is(video_info("$dir/off.mp4")->{field_order}, 'progressive', '... progressive');

# off refuses what would mix the fields, or a codec without field coding.
for my $c ([ 'a size', { size => '1280x720' }, qr/cannot be scaled or given another frame rate: drop size and fps, or use deinterlace auto/ ],
	[ 'a frame rate', { fps => 50 }, qr/cannot be scaled or given another frame rate/ ],
	[ 'vp9', { video_codec => 'vp9', format => 'webm', audio_codec => 'none' }, qr/which vp9 cannot code: use video_codec h264, or deinterlace auto/ ],
	[ 'h265', { video_codec => 'h265' }, qr/which h265 cannot code/ ])
{
	my ($name, $params, $message) = @$c;
	my $run = transcode($tff, "$dir/refused.mp4", { video_codec => 'h264', deinterlace => 'off', %$params });
	is($run->{reason}, 'user_error', "deinterlace off with $name is refused");
	like($run->{error} // '', $message, "... saying why and what to do");
}
# A display matrix cannot be honoured without turning the fields: the
# refusal names the matrix (as ffprobe shows it), not params never given.
my $turned = ffmpeg_make("$dir/576i_tff_turned.mp4", [ '-i', $tff ], [ '-c', 'copy', '-metadata:s:v:0', 'rotate=90' ]);
$run = transcode($turned, "$dir/refused.mp4", { video_codec => 'h264', deinterlace => 'off' });
is($run->{reason}, 'user_error', 'deinterlace off with a display matrix is refused');
like($run->{error} // '', qr/which cannot be turned upright, but the input has a display matrix \(rotation=90\): use deinterlace auto/,
	'... naming the matrix as ffprobe shows it');
is(video_info($turned)->{rotation}, 90, '(ffprobe shows that input as rotation=90)');

# Tiny pictures: bwdif refuses planes of fewer than 3 columns or 4 lines
# (a 4:2:0 picture's chroma has half its lines), so a picture that small,
# whose codec declares no field order (MPEG-4 part 2 here), is left as it
# is rather than failing the job, and so is one with deinterlace on.
for my $size (qw(16x6 8x4 4x4))
{
	my $in = ffmpeg_make("$dir/tiny_$size.avi", [ '-f', 'lavfi', '-i', "testsrc=size=$size:rate=25:duration=0.4" ],
		[ '-c:v', 'mpeg4', '-pix_fmt', 'yuv420p' ]);
	for my $mode (qw(auto on))
	{
		my $run = transcode($in, "$dir/tiny.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', deinterlace => $mode });
		is($run->{status}, 0, "a $size picture, no field order, deinterlace $mode: transcodes") or diag $run->{stderr};
		my $decode = decode_whole("$dir/tiny.mp4");
		ok($decode->{ok} && $decode->{frames} == 10, "a $size picture, deinterlace $mode: 10 frames")
			or diag "$decode->{frames} frames: $decode->{errors}";
	}
}

done_testing();
