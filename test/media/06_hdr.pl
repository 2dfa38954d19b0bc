# 10-bit and HDR inputs.  10-bit SDR becomes 8-bit with its tags; a PQ
# (smpte2084) or HLG (arib-std-b67) input never loses its transfer
# silently: params.hdr "keep" keeps it (10-bit BT.2020) where the codec can
# carry it and refuses clearly where not, "tonemap" converts it to SDR
# BT.709 (the same picture as the ffmpeg command line's zscale + tonemap
# chain), "auto" keeps it for h265, vp9 and av1 and tone-maps it for h264.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

sub tags
{
	my ($v) = @_;
	return 'unreadable' unless $v;
	return join('/', @$v{qw(pix_fmt color_range color_space color_primaries color_transfer)});
}

# The mean luma of the first frames as decoded.
sub luma_mean
{
	my ($path) = @_;
	my $err = `ffmpeg -nostdin -hide_banner -v info -i '$path' -vf signalstats,metadata=print -frames:v 5 -f null - 2>&1`;
	my @y = $err =~ /lavfi\.signalstats\.YAVG=([\d.]+)/g;
	return @y ? (eval { my $s = 0; $s += $_ for @y; $s / @y }) : -1;
}

# 10-bit inputs from libx265, tagged in the bitstream and the container.
sub make_x265
{
	my ($name, $primaries, $trc, $matrix) = @_;
	return ffmpeg_make("$dir/$name.mp4",
		[ '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1' ],
		[ '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le',
		  '-x265-params', "log-level=error:colorprim=$primaries:transfer=$trc:colormatrix=$matrix",
		  '-color_primaries', $primaries, '-color_trc', $trc, '-colorspace', $matrix, '-color_range', 'tv' ]);
}

my $sdr10 = make_x265('sdr10', 'bt709', 'bt709', 'bt709');
is(tags(video_info($sdr10)), 'yuv420p10le/tv/bt709/bt709/bt709', 'premise: a 10-bit SDR BT.709 input');
my $run = transcode($sdr10, "$dir/sdr10_h264.mp4", { video_codec => 'h264', encoder_preset => 'ultrafast' });
is($run->{status}, 0, '10-bit SDR to h264: transcoded') or diag $run->{stderr};
is(tags(video_info("$dir/sdr10_h264.mp4")), 'yuv420p/tv/bt709/bt709/bt709', '10-bit SDR to h264: 8-bit, tags kept');

my %sdr = map { $_ => 'yuv420p/tv/bt709/bt709/bt709' } qw(h264 h265 vp9 av1);
for my $hdr ([ PQ => 'smpte2084' ], [ HLG => 'arib-std-b67' ])
{
	my ($kind, $trc) = @$hdr;
	my $in = make_x265(lc $kind, 'bt2020', $trc, 'bt2020nc');
	my $kept = "yuv420p10le/tv/bt2020nc/bt2020/$trc";
	is(tags(video_info($in)), $kept, "premise: a 10-bit $kind input");

	# What ffmpeg's own tone-map of this input looks like (the documented chain).
	my $ref = ffmpeg_reference($in, "$dir/${kind}_ffmpeg_tonemap.mp4",
		[ '-vf', "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,"
		  . "zscale=t=bt709:m=bt709:r=tv,format=yuv420p", '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18' ]);

	my %want = (
		'h264 auto'    => $sdr{h264},
		'h264 tonemap' => $sdr{h264},
		'h264 keep'    => 'refused',
		'h265 auto'    => $kept,
		'h265 keep'    => $kept,
		'h265 tonemap' => $sdr{h265},
		'vp9 auto'     => $kept,
		'av1 keep'     => $kept,
	);
	for my $case (sort keys %want)
	{
		my ($codec, $mode) = split / /, $case;
		my $out = "$dir/${kind}_${codec}_$mode." . ($codec eq 'h264' ? 'mp4' : 'mkv');
		my $run = transcode($in, $out, { video_codec => $codec, hdr => $mode, encoder_preset => 'ultrafast', crf => 18 });
		if ($want{$case} eq 'refused')
		{
			isnt($run->{status}, 0, "$kind to $codec, hdr $mode: refused");
			is($run->{reason}, 'user_error', "$kind to $codec, hdr $mode: as the user's error");
			like($run->{error} // '', qr/hdr "keep" needs video_codec h265, vp9 or av1: h264 output cannot carry the input's HDR transfer \(\Q$trc\E\); use hdr "tonemap"/,
				"$kind to $codec, hdr $mode: the error says why and what to do");
			next;
		}
		is($run->{status}, 0, "$kind to $codec, hdr $mode: transcoded") or diag $run->{stderr};
		is(tags(video_info($out)), $want{$case}, "$kind to $codec, hdr $mode: $want{$case}");
		my $decode = decode_whole($out);
		ok($decode->{ok} && $decode->{frames} == 25, "$kind to $codec, hdr $mode: 25 frames decode cleanly")
			or diag $decode->{errors};
		next unless $want{$case} eq $sdr{$codec};
		my ($got, $expect) = (luma_mean($out), luma_mean($ref));
		ok(abs($got - $expect) < 2, "$kind to $codec, hdr $mode: the picture is ffmpeg's tone-map (mean luma $got against $expect)");
	}

	# An HLS ladder with h264 (auto): every rung tone-mapped and tagged.
	my $run = transcode($in, "$dir/${kind}_ladder.m3u8", { video_codec => 'h264', encoder_preset => 'ultrafast',
		renditions => [ { name => 'hi', size => '320x180' }, { name => 'lo', size => '160x90' } ] });
	is($run->{status}, 0, "$kind to an h264 HLS ladder: transcoded") or diag $run->{stderr};
	for my $rung (qw(hi lo))
	{
		my ($segment) = sort glob("$dir/${kind}_ladder_${rung}_*.ts");
		is(tags(video_info($segment // "$dir/none")), $sdr{h264}, "$kind to an h264 HLS ladder, rung $rung: SDR BT.709");
	}
	is_deeply([ map { $_->{'VIDEO-RANGE'} // 'SDR' } @{ hls_master("$dir/${kind}_ladder.m3u8") // [] } ], [qw(SDR SDR)],
		"$kind to an h264 HLS ladder: the master claims no HDR range");

	# An h265 HLS ladder (auto keeps HDR): the master says which range (VIDEO-RANGE, RFC 8216bis).
	$run = transcode($in, "$dir/${kind}_hevc.m3u8", { video_codec => 'h265', encoder_preset => 'ultrafast',
		renditions => [ { name => 'hi', size => '320x180' }, { name => 'lo', size => '160x90' } ] });
	is($run->{status}, 0, "$kind to an h265 HLS ladder: transcoded") or diag $run->{stderr};
	my $range = $kind =~ /hlg/i ? 'HLG' : 'PQ';
	is_deeply([ map { $_->{'VIDEO-RANGE'} // 'none' } @{ hls_master("$dir/${kind}_hevc.m3u8") // [] } ], [ $range, $range ],
		"$kind to an h265 HLS ladder: every variant says VIDEO-RANGE=$range");
}

done_testing();
