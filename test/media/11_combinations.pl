# Combinations: inputs as customers upload them, where several of the
# real-world cases meet, or where a stream changes what it is mid-way
# (clips joined together: size, pixel aspect, range).
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

# The mean luma (0-255) of frame N (counting from 0) over a crop ("w:h:x:y").
sub luma_at
{
	my ($path, $n, $crop) = @_;
	my $out = `ffmpeg -nostdin -v error -i '$path' -vf 'select=eq(n\\,$n),crop=$crop,scale=1:1:flags=area,format=gray' -frames:v 1 -f rawvideo - 2>/dev/null`;
	return length($out) == 1 ? ord($out) : -1;
}

# Two MPEG-TS clips one after the other, the second starting where the
# first ends; optionally more output options for each ([...], [...]).
sub joined
{
	my ($name, $first, $second, $first_options, $second_options) = @_;
	my $a = ffmpeg_make("$dir/${name}_a.ts", [ '-f', 'lavfi', '-i', $first ],
		[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', @{ $first_options // [] } ]);
	my $b = ffmpeg_make("$dir/${name}_b.ts", [ '-f', 'lavfi', '-i', $second ],
		[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-output_ts_offset', '1',
		  @{ $second_options // [] } ]);
	my $joined = "$dir/$name.ts";
	system("cat '$a' '$b' > '$joined'") == 0 or die "cat: $?";
	return $joined;
}

# A picture size that changes mid-stream: 320x240 white, then 640x360 black
# with a white bottom-right quarter.  The output keeps the first size; the
# second picture is fitted into it whole (letterboxed, 320x180 at y=30), not
# cropped to its top-left corner.
{
	my $in = joined('size_change', 'color=c=white:s=320x240:r=25:d=1',
		'color=c=black:s=640x360:r=25:d=1,drawbox=x=320:y=180:w=320:h=180:color=white:t=fill');
	for my $out ([ 'h264', 'mp4' ], [ 'vp9', 'webm' ])
	{
		my ($vc, $ext) = @$out;
		my $run = transcode($in, "$dir/size_change.$ext", { video_codec => $vc, encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "size change to $vc: transcodes") or diag $run->{stderr};
		my $v = video_info("$dir/size_change.$ext");
		is_deeply([ @$v{qw(width height sar)} ], [ 320, 240, 1 ], "size change to $vc: the first clip's size");
		my $decode = decode_whole("$dir/size_change.$ext");
		ok($decode->{ok} && $decode->{frames} == 50, "size change to $vc: decodes whole, 50 frames")
			or diag "$decode->{frames} frames: $decode->{errors}";
		cmp_ok(luma_at("$dir/size_change.$ext", 40, '120:60:180:135'), '>', 200,
			"size change to $vc: the second clip's bottom-right corner is in the picture");
		cmp_ok(luma_at("$dir/size_change.$ext", 40, '320:20:0:4'), '<', 40,
			"size change to $vc: the second clip is letterboxed");
	}

	# A ladder: every rendition keeps its own size through the change.
	my $run = transcode($in, "$dir/ladder.m3u8", { format => 'hls', video_codec => 'h264',
		encoder_preset => 'ultrafast',
		renditions => [ { size => '320x240' }, { size => '160x120' } ] });
	is($run->{status}, 0, "size change in a ladder: transcodes") or diag $run->{stderr};
	for my $rung ([ '240p', 320, 240 ], [ '120p', 160, 120 ])
	{
		my ($name, $w, $h) = @$rung;
		my $v = video_info("$dir/ladder_$name.m3u8");
		is_deeply([ @$v{qw(width height)} ], [ $w, $h ], "size change in a ladder: $name stays ${w}x$h");
		my $decode = decode_whole("$dir/ladder_$name.m3u8");
		ok($decode->{ok} && $decode->{frames} == 50, "size change in a ladder: $name decodes whole, 50 frames")
			or diag "$decode->{frames} frames: $decode->{errors}";
	}
}

# Kept fields (deinterlace off) are coded as they are, so a size change
# cannot be followed: refused, saying what to do.
{
	my $in = joined('fields_change', 'testsrc=s=720x576:r=25:d=1,setfield=tff', 'testsrc=s=704x576:r=25:d=1,setfield=tff',
		([ '-flags', '+ildct+ilme', '-x264opts', 'tff=1' ]) x 2);
	my $run = transcode($in, "$dir/fields_change.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', deinterlace => 'off' });
	is($run->{reason}, 'user_error', 'size change with deinterlace off: refused');
	like($run->{error} // '', qr/changes from 720x576 to 704x576 mid-stream.*use deinterlace auto/,
		'... saying why and what to do');
}

# A pixel aspect that changes mid-stream: 320x240 white with square pixels,
# then with 4:3 pixels (displayed 427x240).  The second clip is shown at its
# own display aspect, letterboxed in the first clip's 320x240.
{
	my $in = joined('sar_change', 'color=c=white:s=320x240:r=25:d=1,setsar=1',
		'color=c=white:s=320x240:r=25:d=1,setsar=4/3');
	my $run = transcode($in, "$dir/sar_change.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast' });
	is($run->{status}, 0, 'aspect change: transcodes') or diag $run->{stderr};
	my $v = video_info("$dir/sar_change.mp4");
	is_deeply([ @$v{qw(width height sar)} ], [ 320, 240, 1 ], 'aspect change: the first clip\'s size');
	cmp_ok(luma_at("$dir/sar_change.mp4", 10, '320:16:0:0'), '>', 200, 'aspect change: the first clip fills the frame');
	cmp_ok(luma_at("$dir/sar_change.mp4", 40, '320:16:0:0'), '<', 40, 'aspect change: the second clip is letterboxed');
	cmp_ok(luma_at("$dir/sar_change.mp4", 40, '320:100:0:70'), '>', 200, 'aspect change: the second clip is shown');
}

# A broadcast that switches from 4:3 to 16:9 (MPEG-2 576i, SAR 16:15 then
# 64:45, the size unchanged) into 1280x720: the 4:3 part is pillarboxed,
# the 16:9 part fills the frame (not pillarboxed and squeezed as 4:3).
{
	my @mpeg2 = ('-c:v', 'mpeg2video', '-flags', '+ilme+ildct', '-top', '1');
	my $a = ffmpeg_make("$dir/dvb_a.ts", [ '-f', 'lavfi', '-i', 'color=c=white:s=720x576:r=25:d=1,setsar=16/15' ], \@mpeg2);
	my $b = ffmpeg_make("$dir/dvb_b.ts", [ '-f', 'lavfi', '-i', 'color=c=white:s=720x576:r=25:d=1,setsar=64/45' ],
		[ @mpeg2, '-output_ts_offset', '1' ]);
	system("cat '$a' '$b' > '$dir/dvb.ts'") == 0 or die "cat: $?";
	my $run = transcode("$dir/dvb.ts", "$dir/dvb.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast', size => '1280x720' });
	is($run->{status}, 0, '4:3 to 16:9 switch: transcodes') or diag $run->{stderr};
	cmp_ok(luma_at("$dir/dvb.mp4", 10, '40:16:0:352'), '<', 40, '4:3 to 16:9 switch: the 4:3 part is pillarboxed');
	cmp_ok(luma_at("$dir/dvb.mp4", 40, '40:16:0:352'), '>', 200, '4:3 to 16:9 switch: the 16:9 part fills the frame');
}

# A range that changes mid-stream: limited-range grey 0xC0 (Y 181), then
# the same grey in full range (Y 192, yuv420p tagged "pc").  Both come out
# as limited range, Y 181, as the output is tagged; the full-range clip is
# not coded as it is (too bright).
{
	my $in = joined('range_change', 'color=c=0xC0C0C0:s=320x240:r=25:d=1',
		'color=c=0xC0C0C0:s=320x240:r=25:d=1,scale=out_range=pc', [], [ '-color_range', 'pc' ]);
	my $run = transcode($in, "$dir/range_change.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast' });
	is($run->{status}, 0, 'range change: transcodes') or diag $run->{stderr};
	is(video_info("$dir/range_change.mp4")->{color_range}, 'tv', 'range change: the output is limited range');
	for my $n (10, 40)
	{
		my $y = `ffmpeg -nostdin -v error -i '$dir/range_change.mp4' -vf 'select=eq(n\\,$n),crop=16:16:100:100' -pix_fmt yuv420p -frames:v 1 -f rawvideo - 2>/dev/null`;
		ok(abs(ord($y) - 181) <= 2, "range change: frame $n is grey at Y 181 (got " . ord($y) . ')');
	}
}

# Sound that changes mid-stream: mono 44.1 kHz, then stereo 48 kHz (as
# joined clips from two cameras).  An audio filter source takes one format,
# so the second clip gets a new resampler; the output keeps the first
# clip's format, with both clips' sound (give or take the AAC priming
# a TS keeps), to every container.
{
	my $a = ffmpeg_make("$dir/sound_a.ts", [ '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25:d=1',
		'-f', 'lavfi', '-i', 'sine=f=440:r=44100:d=1' ], [ '-ac', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac' ]);
	my $b = ffmpeg_make("$dir/sound_b.ts", [ '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25:d=1',
		'-f', 'lavfi', '-i', 'sine=f=880:r=48000:d=1' ],
		[ '-ac', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-output_ts_offset', '1' ]);
	system("cat '$a' '$b' > '$dir/sound_change.ts'") == 0 or die "cat: $?";
	for my $out ([ 'h264', 'aac', 'mp4' ], [ 'vp9', 'opus', 'webm' ], [ 'h264', 'aac', 'm3u8' ])
	{
		my ($vc, $ac, $ext) = @$out;
		my $name = "sound change to $ac in $ext";
		my $run = transcode("$dir/sound_change.ts", "$dir/sound_change.$ext",
			{ format => $ext eq 'm3u8' ? 'hls' : $ext, video_codec => $vc, audio_codec => $ac, encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "$name: transcodes") or diag $run->{stderr};
		my $got = audio_streams("$dir/sound_change.$ext");
		is(scalar(@$got) && $got->[0]{channels}, 1, "$name: the first clip's layout, mono");
		my $pcm = `ffmpeg -nostdin -v error -i '$dir/sound_change.$ext' -map 0:a -ac 1 -ar 48000 -f s16le - 2>/dev/null`;
		my $seconds = length($pcm) / 2 / 48000;
		ok(abs($seconds - 2) < 0.15, "$name: both clips' sound, about 2 s (got $seconds)");
	}
}

# Clips joined carelessly: each coded with B-frames, the second starting
# where the first's decoding ends, so its first picture comes a frame before
# the first clip's last one ends (as a cat of two camera files does).  The
# old code gave the encoder a frame that did not move time on and died on
# the muxer's "non monotonically increasing dts"; a frame that does not move
# the output's time on is dropped, as ffmpeg's frame-rate sync drops it:
# with or without a size change, a new frame rate, or a ladder.
{
	my $bframes = [ '-preset', 'medium', '-bf', '2' ];
	my %inputs = (
		'same size' => joined('overlap_same', 'testsrc2=s=320x240:r=25:d=1', 'testsrc2=s=320x240:r=25:d=1',
			$bframes, $bframes),
		'size change' => joined('overlap_size', 'testsrc2=s=320x240:r=25:d=1', 'testsrc2=s=640x360:r=25:d=1',
			$bframes, $bframes));
	for my $name (sort keys %inputs)
	{
		for my $case ([ 'mp4', "$dir/overlap.mp4", {}, 25 ], [ 'fps 30', "$dir/overlap30.mp4", { fps => 30 }, 30 ],
			[ 'an HLS ladder at fps 30', "$dir/overlap_hls.m3u8", { format => 'hls', fps => 30,
				renditions => [ { size => '320x240' }, { size => '160x120' } ] }, 30, "$dir/overlap_hls_120p.m3u8" ])
		{
			my ($what, $output, $params, $fps, $check) = @$case;
			my $run = transcode($inputs{$name}, $output, { encoder_preset => 'ultrafast', %$params });
			is($run->{status}, 0, "overlapping join, $name, $what: transcodes") or diag $run->{stderr};
			my $decode = decode_whole($check // $output);
			ok($decode->{ok} && abs($decode->{frames} - 2 * $fps) <= 2,
				"overlapping join, $name, $what: decodes whole, 2 s of frames")
				or diag "$decode->{frames} frames: $decode->{errors}";
		}
	}
}

# Clips joined that each start their own time (a cat of two files made
# alike): the picture steps back a whole clip.  Dropping what does not move
# time on would silently lose the second clip's picture (its sound kept);
# it is an input error saying so.
{
	my $clip = ffmpeg_make("$dir/restart_a.ts", [ '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=1' ],
		[ '-c:v', 'libx264', '-preset', 'ultrafast' ]);
	system("cat '$clip' '$clip' > '$dir/restart.ts'") == 0 or die "cat: $?";
	my $run = transcode("$dir/restart.ts", "$dir/restart.mp4", { encoder_preset => 'ultrafast' });
	is($run->{reason}, 'input_error', 'clips each starting their own time: an input error');
	like($run->{error} // '', qr/picture timestamps go back \d+\.\d\d s mid-stream/,
		'clips each starting their own time: says how far back');
}

# Clips joined that switch between SDR and HDR (PQ): the light follows the
# clip.  Into SDR output, a PQ clip after an SDR one is tone-mapped and an
# SDR clip after a PQ one is not (the old code kept the first clip's choice:
# the SDR clip came out darkened as if PQ, the PQ clip washed out); hdr keep
# cannot show an SDR clip as PQ and says so.  Each clip is measured against
# the same clip transcoded alone.
{
	my $pq = [ '-pix_fmt', 'yuv420p10le', '-color_primaries', 'bt2020', '-color_trc', 'smpte2084',
		'-colorspace', 'bt2020nc' ];
	my $sdr = [ '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709' ];
	my $src = 'testsrc2=s=320x240:r=25:d=1';
	my %alone = (pq => joined('alone_pq', $src, $src, $pq, $pq), sdr => joined('alone_sdr', $src, $src, $sdr, $sdr));
	my %level;
	for my $kind (sort keys %alone)
	{
		my $run = transcode($alone{$kind}, "$dir/alone_$kind.mp4", { encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "a $kind clip alone: transcodes") or diag $run->{stderr};
		$level{$kind} = luma_at("$dir/alone_$kind.mp4", 10, '320:240:0:0');
	}
	for my $case ([ 'pq_then_sdr', $pq, $sdr, 'sdr' ], [ 'sdr_then_pq', $sdr, $pq, 'pq' ])
	{
		my ($name, $first, $second, $then) = @$case;
		my $in = joined($name, $src, $src, $first, $second);
		my $run = transcode($in, "$dir/$name.mp4", { encoder_preset => 'ultrafast' });
		is($run->{status}, 0, "$name: transcodes") or diag $run->{stderr};
		my $got = luma_at("$dir/$name.mp4", 35, '320:240:0:0');
		ok(abs($got - $level{$then}) <= 6, "$name: the second clip's light is the $then clip's ($got, alone $level{$then})");
	}
	my $run = transcode(joined('keep_then_sdr', $src, $src, $pq, $sdr), "$dir/keep_then_sdr.mp4",
		{ video_codec => 'h265', hdr => 'keep', encoder_preset => 'ultrafast' });
	is($run->{reason}, 'user_error', 'hdr keep, PQ then SDR: a user error');
	like($run->{error} // '', qr/transfer changes from smpte2084 to bt709 mid-stream.*use hdr "tonemap"/,
		'hdr keep, PQ then SDR: says what changed and what to do');
}

done_testing();
