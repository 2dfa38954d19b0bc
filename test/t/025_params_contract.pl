# One contract for params: submit_job and the worker (ffrtmp-transcode
# --check-params, the code a job runs) give the same verdict, accept or
# refuse, on a corpus of valid, invalid and edge params: every param at its
# bounds and just past them, numbers given as strings, bitrate units, every
# combination rule, the examples that once disagreed, and each built-in
# preset.  A rule written twice would show here as a disagreement.
use strict;
use warnings;
use FfrtmpCluster;
use IPC::Run;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $transcode = $ENV{FFRTMP_TRANSCODE};
skip_all_because 'FFRTMP_TRANSCODE does not name an executable ffrtmp-transcode'
  unless defined $transcode && -x $transcode;
my $env = FfrtmpCluster->new('params_contract');

# [params JSON, expected verdict (1 accept, 0 refuse), output_url or undef, gpus or undef]
my @corpus = (
	# The issue's examples.
	[ '{"format": "hls", "renditions": [{"size": "1280x720"}, {"size": "960x720"}]}', 0, 'l/index.m3u8' ],
	[ '{"format": "hls", "renditions": [{"size": "1280x720"}, {"size": "960x720", "name": "720w"}]}', 1, 'l/index.m3u8' ],
	[ '{"format": "hls", "renditions": [{"size": "1280x720", "name": "a"}, {"size": "640x360", "name": "a"}]}', 0, 'l/index.m3u8' ],
	[ '{"format": "hls", "renditions": [{"size": "1280x720", "name": "360p"}, {"size": "640x360"}]}', 0, 'l/index.m3u8' ],
	[ '{"crf": "22"}', 0 ],
	[ '{"crf": 22}', 1 ],
	# Each param at its bounds and just past them.
	[ '{"crf": 0}', 1 ], [ '{"crf": 63}', 1 ], [ '{"crf": 64}', 0 ], [ '{"crf": -1}', 0 ], [ '{"crf": 22.5}', 0 ],
	[ '{"gop": 1}', 1 ], [ '{"gop": 1000}', 1 ], [ '{"gop": 0}', 0 ], [ '{"gop": 1001}', 0 ], [ '{"gop": "48"}', 0 ],
	[ '{"fps": 1}', 1 ], [ '{"fps": 240}', 1 ], [ '{"fps": 29.97}', 1 ], [ '{"fps": 0.5}', 0 ], [ '{"fps": 241}', 0 ],
	[ '{"fps": "30"}', 0 ],
	[ '{"audio_rate": 8000}', 1 ], [ '{"audio_rate": 192000}', 1 ], [ '{"audio_rate": 7999}', 0 ], [ '{"audio_rate": 192001}', 0 ],
	[ '{"audio_channels": 1}', 1 ], [ '{"audio_channels": 8}', 1 ], [ '{"audio_channels": 9}', 0 ], [ '{"audio_channels": 0}', 0 ],
	[ '{"duration": 0.001}', 1 ], [ '{"duration": 86400}', 1 ], [ '{"duration": 0}', 0 ], [ '{"duration": 86401}', 0 ],
	[ '{"duration": "2.5"}', 0 ],
	[ '{"hls_segment_seconds": 1}', 1 ], [ '{"hls_segment_seconds": 60}', 1 ], [ '{"hls_segment_seconds": 0.5}', 0 ],
	[ '{"hls_segment_seconds": 61}', 0 ],
	[ '{"audio_track": 0}', 1 ], [ '{"audio_track": 63}', 1 ], [ '{"audio_track": 64}', 0 ], [ '{"audio_track": "1"}', 0 ],
	[ '{"audio_language": "eng"}', 1 ], [ '{"audio_language": "EN"}', 0 ], [ '{"audio_language": "engl"}', 0 ],
	[ '{"size": "16x16"}', 1 ], [ '{"size": "7680x4320"}', 1 ], [ '{"size": "14x16"}', 0 ], [ '{"size": "7682x4320"}', 0 ],
	[ '{"size": "1281x720"}', 0 ], [ '{"size": "1280x720 "}', 0 ], [ '{"size": 1280}', 0 ],
	[ '{"encoder_preset": "veryfast"}', 1 ], [ '{"encoder_preset": "Fast"}', 0 ],
	[ '{"format": "hls", "renditions": [{"size": "640x360", "name": "' . ('a' x 32) . '"}]}', 1 ],
	[ '{"format": "hls", "renditions": [{"size": "640x360", "name": "' . ('a' x 33) . '"}]}', 0 ],
	[ '{"profile": "high"}', 1 ], [ '{"deinterlace": "on"}', 1 ], [ '{"deinterlace": "yes"}', 0 ],
	[ '{"hdr": "tonemap"}', 1 ], [ '{"hdr": "sdr"}', 0 ],
	[ '{"video_codec": "mpeg2"}', 0 ], [ '{"audio_codec": "mp3"}', 0 ], [ '{"format": "avi"}', 0 ],
	[ '{"vidoe_codec": "h264"}', 0 ], [ '{"name": "x"}', 0 ], [ '[1, 2]', 0 ], [ '"h264"', 0 ],
	# Bitrates: units k, K, M, G, the same bounds on both sides.
	[ '{"video_bitrate": 1000}', 1 ], [ '{"video_bitrate": 999}', 0 ], [ '{"video_bitrate": "1k"}', 1 ],
	[ '{"video_bitrate": "2500K"}', 1 ], [ '{"video_bitrate": "2.5M"}', 1 ], [ '{"video_bitrate": "1G"}', 1 ],
	[ '{"video_bitrate": "1.5G"}', 0 ], [ '{"video_bitrate": 1000000001}', 0 ], [ '{"video_bitrate": "2.5m"}', 0 ],
	[ '{"video_bitrate": "1g"}', 0 ], [ '{"video_bitrate": "1e6"}', 0 ], [ '{"video_bitrate": "0x100000"}', 0 ],
	[ '{"video_bitrate": "fast"}', 0 ], [ '{"video_bitrate": 2500.5}', 0 ], [ '{"video_bitrate": "2500000"}', 1 ],
	[ '{"maxrate": "3M", "bufsize": "6M"}', 1 ], [ '{"maxrate": "2G"}', 0 ],
	[ '{"audio_bitrate": "8k"}', 1 ], [ '{"audio_bitrate": "1M"}', 1 ], [ '{"audio_bitrate": "7999"}', 0 ],
	[ '{"audio_bitrate": "1.1M"}', 0 ],
	# Combinations.
	[ '{"video_codec": "copy", "size": "640x360"}', 0 ], [ '{"video_codec": "none", "crf": 20}', 0 ],
	[ '{"video_codec": "copy", "maxrate": "1M"}', 0 ], [ '{"video_codec": "copy", "deinterlace": "on"}', 0 ],
	[ '{"video_codec": "copy", "hdr": "keep"}', 0 ], [ '{"video_codec": "copy", "audio_codec": "aac", "audio_bitrate": "128k"}', 1 ],
	[ '{"video_codec": "none", "audio_codec": "none"}', 0 ], [ '{"video_codec": "none", "audio_codec": "opus"}', 1 ],
	[ '{"audio_track": 1, "audio_language": "eng"}', 0 ], [ '{"audio_codec": "none", "audio_track": 0}', 0 ],
	[ '{"audio_codec": "none", "audio_language": "fra"}', 0 ],
	[ '{"format": "webm"}', 1 ], [ '{"format": "webm", "video_codec": "h264"}', 0 ],
	[ '{"format": "webm", "audio_codec": "aac"}', 0 ], [ '{"format": "webm", "video_codec": "copy", "audio_codec": "copy"}', 1 ],
	[ '{"format": "webm", "video_codec": "av1"}', 1 ], [ '{"video_codec": "h264"}', 0, 'a/clip.webm' ],
	[ '{}', 1, 'a/clip.webm' ], [ '{"format": "mp4", "video_codec": "h264"}', 1, 'a/clip.webm' ],
	[ '{"format": "hls", "video_codec": "vp9"}', 0 ], [ '{"format": "hls", "video_codec": "h265"}', 1 ],
	[ '{"video_codec": "av1"}', 0, 'l/index.m3u8' ],
	[ '{"format": "flv", "video_codec": "h265"}', 0 ], [ '{"format": "flv", "video_codec": "copy"}', 1 ],
	[ '{"renditions": [{"size": "640x360"}]}', 0 ], [ '{"renditions": [{"size": "640x360"}]}', 1, 'l/index.m3u8' ],
	[ '{"format": "hls", "renditions": []}', 0 ], [ '{"format": "hls", "renditions": {}}', 0 ],
	[ '{"format": "hls", "renditions": [{"video_bitrate": "1M"}]}', 0 ],
	[ '{"format": "hls", "renditions": [{"size": "640x360", "gop": 2}]}', 0 ],
	[ '{"format": "hls", "renditions": [{"size": "640x360", "crf": "20"}]}', 0 ],
	[ '{"format": "hls", "video_codec": "copy", "renditions": [{"size": "640x360"}]}', 0 ],
	# Every encoder option (and video filter) needs its stream encoded: with
	# the stream copied or dropped it would be ignored, so it is refused, and
	# the same option with an encoded stream is accepted.  What only picks the
	# input or the container goes with copy.
	(
		map {
			my ($stream, $option) = @$_;
			(map { [ qq({"${stream}_codec": "$_", $option}), 0 ] } 'copy', 'none'),
			  [ qq({"${stream}_codec": ") . ($stream eq 'video' ? 'h264' : 'aac') . qq(", $option}), 1 ]
		} (map { [ 'video', $_ ] } '"encoder_preset": "fast"', '"profile": "high"', '"crf": 20',
			'"video_bitrate": "1M"', '"maxrate": "1M"', '"bufsize": "1M"', '"gop": 48', '"fps": 30',
			'"size": "640x360"', '"deinterlace": "on"', '"hdr": "keep"'),
		(map { [ 'audio', $_ ] } '"audio_bitrate": "128k"', '"audio_rate": 48000', '"audio_channels": 2')
	),
	[ '{"video_codec": "copy", "audio_codec": "copy", "duration": 5, "audio_track": 1}', 1 ],
	[ '{"video_codec": "copy", "audio_codec": "none", "format": "hls", "hls_segment_seconds": 6}', 1 ],
	[ '{"video_codec": "none", "audio_codec": "copy", "audio_language": "eng"}', 1 ],
	[ '{"audio_codec": "none", "encoder_preset": "fast"}', 1 ], [ '{"video_codec": "none", "audio_channels": 1}', 1 ],
	[ '{"format": "hls", "renditions": [' . join(', ', map { qq({"size": "640x360", "name": "r$_"}) } 1 .. 8) . ']}', 1 ],
	[ '{"format": "hls", "renditions": [' . join(', ', map { qq({"size": "640x360", "name": "r$_"}) } 1 .. 9) . ']}', 0 ],
	# Accepted by both once, then failed by the worker as a user_error: an
	# rtmp output carries FLV whatever params say, and FLV no Opus.
	[ '{"format": "mp4"}', 0, 'rtmp://127.0.0.1/live/out' ], [ '{"format": "hls"}', 0, 'rtmp://127.0.0.1/live/out' ],
	[ '{"format": "flv"}', 1, 'rtmp://127.0.0.1/live/out' ], [ '{}', 1, 'rtmp://127.0.0.1/live/out' ],
	[ '{"format": "flv", "audio_codec": "opus"}', 0 ], [ '{"audio_codec": "opus"}', 0, 'rtmp://127.0.0.1/live/out' ],
	[ '{"format": "flv", "audio_codec": "aac"}', 1 ], [ '{"format": "flv", "audio_codec": "none"}', 1 ],
	# The encoders' own words: a speed preset x264 knows (mapped for the
	# others), a profile the chosen encoder takes; VP9 and AV1 take none.
	[ '{"encoder_preset": "abc"}', 0 ], [ '{"encoder_preset": "ultrafast"}', 1 ], [ '{"encoder_preset": "placebo"}', 1 ],
	[ '{"video_codec": "h265", "encoder_preset": "fastest"}', 0 ], [ '{"format": "webm", "encoder_preset": "slow"}', 1 ],
	[ '{"video_codec": "av1", "encoder_preset": "6"}', 0 ],
	[ '{"profile": "bogus"}', 0 ], [ '{"profile": "baseline"}', 1 ], [ '{"profile": "high10"}', 1 ],
	[ '{"profile": "extended"}', 0 ], [ '{"profile": "main10"}', 0 ], [ '{"video_codec": "h265", "profile": "main10"}', 1 ],
	[ '{"video_codec": "h265", "profile": "main444-8"}', 1 ], [ '{"video_codec": "h265", "profile": "high"}', 0 ],
	[ '{"format": "webm", "profile": "0"}', 0 ], [ '{"video_codec": "av1", "profile": "main"}', 0 ],
	# Each video encoder's own limits, checked against a real transcode:
	# libx265's crf scale, SVT-AV1's largest target and smallest picture,
	# libvpx-vp9's maxrate and bufsize only with a target.
	[ '{"video_codec": "h265", "crf": 51}', 1 ], [ '{"video_codec": "h265", "crf": 52}', 0 ], [ '{"crf": 63}', 1 ],
	[ '{"format": "hls", "video_codec": "h265", "renditions": [{"size": "640x360", "crf": 52}]}', 0 ],
	[ '{"format": "hls", "video_codec": "h265", "crf": 52, "renditions": [{"size": "640x360"}]}', 0 ],
	[ '{"format": "hls", "video_codec": "h265", "crf": 52, "renditions": [{"size": "640x360", "crf": 30}]}', 1 ],
	[ '{"video_codec": "av1", "video_bitrate": "100M"}', 1 ], [ '{"video_codec": "av1", "video_bitrate": 100000001}', 0 ],
	[ '{"video_codec": "av1", "maxrate": "101M"}', 0 ], [ '{"video_codec": "av1", "bufsize": "1G"}', 1 ],
	[ '{"video_codec": "av1", "size": "64x64"}', 1 ], [ '{"video_codec": "av1", "size": "62x64"}', 0 ],
	[ '{"video_codec": "av1", "size": "64x16"}', 0 ], [ '{"format": "webm", "size": "16x16"}', 1 ],
	[ '{"video_codec": "vp9", "maxrate": "1M"}', 0 ], [ '{"video_codec": "vp9", "bufsize": "1M", "crf": 30}', 0 ],
	[ '{"video_codec": "vp9", "maxrate": "1M", "video_bitrate": "1M"}', 1 ], [ '{"maxrate": "1M"}', 1 ],
	# libopus takes at most 256 kb/s a channel: without audio_channels, one may be all there is.
	[ '{"audio_codec": "opus", "audio_bitrate": "256k"}', 1 ], [ '{"audio_codec": "opus", "audio_bitrate": "257k"}', 0 ],
	[ '{"audio_codec": "opus", "audio_bitrate": "512k", "audio_channels": 2}', 1 ],
	[ '{"audio_codec": "opus", "audio_bitrate": "513k", "audio_channels": 2}', 0 ],
	[ '{"audio_bitrate": "1M"}', 1 ], [ '{}', 1, 'a/clip.webm' ],
	[ '{"audio_bitrate": "300k"}', 0, 'a/clip.webm' ], [ '{"audio_bitrate": "300k", "audio_channels": 2}', 1, 'a/clip.webm' ],
	# A job with gpus is encoded by NVENC for h264 and h265 (FFmpeg 5.1's
	# h264_nvenc: baseline main high high444p; hevc_nvenc: main main10 rext):
	# only the profiles both sides' words share.  vp9 and av1 stay on the CPU.
	(map { [ qq({"profile": "$_->[0]"}), $_->[1], undef, 1 ] }
		[ 'baseline', 1 ], [ 'main', 1 ], [ 'high', 1 ], [ 'high10', 0 ], [ 'high422', 0 ], [ 'high444', 0 ]),
	(map { [ qq({"video_codec": "h265", "profile": "$_->[0]"}), $_->[1], undef, 2 ] }
		[ 'main', 1 ], [ 'main10', 1 ], [ 'main12', 0 ], [ 'main444-8', 0 ]),
	[ '{"profile": "high10"}', 1, undef, 0 ], [ '{"video_codec": "copy"}', 1, undef, 1 ],
	[ '{"format": "webm", "encoder_preset": "placebo"}', 1, undef, 1 ], [ '{"encoder_preset": "ultrafast"}', 1, undef, 1 ],
	# Numbers past what a double holds: a refusal with 22023, not a numeric error.
	[ '{"gop": 1e400}', 0 ], [ '{"duration": 1e-400}', 0 ], [ '{"fps": -1e400}', 0 ],
	[ '{"video_bitrate": 1e400}', 0 ], [ '{"crf": 1E1}', 1 ], [ '{"crf": 22.0}', 1 ], [ '{"crf": -0}', 1 ],
	# Sizes are digits, 'x', digits: no sign or space that sscanf would skip.
	[ '{"size": "1280x 720"}', 0 ], [ '{"size": "1280x+720"}', 0 ], [ '{"size": "1280x\\t720"}', 0 ],
	[ '{"format": "hls", "renditions": [{"size": "640x 360"}]}', 0 ],
	# An HLS output not ending in .m3u8 is a directory for index.m3u8: the
	# path with it must fit the 1024 bytes the worker checks.
	[ '{"format": "hls"}', 1, join('/', ('d' x 200) x 5) . '/' . ('x' x 8) ],
	[ '{"format": "hls"}', 0, join('/', ('d' x 200) x 5) . '/' . ('x' x 9) ],
	[ '{"format": "mp4"}', 1, join('/', ('d' x 200) x 5) . '/' . ('x' x 19) ],
	[ '{"format": "hls"}', 1, join('/', ('d' x 200) x 5) . '/' . ('x' x 14) . '.m3u8' ],
);

# Not JSON as PostgreSQL reads it (22P02, 22P05): the worker's reader must
# refuse it too, not take a lenient reading of its own.
my @not_json = ('{"crf": 22,}', '{"crf": 22} x', '{"crf": 22}{}', '{"crf": 22 /* c */}', '{"crf": 022}',
	'{"encoder_preset": "fast\\u0000x"}', '{"crf": 22', '');

# The verdict of each side: 1 accepted, 0 refused (anything else fails the test).
my $not_json = 0;
sub submit_verdict
{
	my ($params, $output, $gpus) = @_;
	my $sql = "BEGIN;\nSELECT id FROM ffrtmp.submit_job('testsrc://', "
	  . (defined $output ? 'output_url => ' . quote_literal($output) . ', ' : '')
	  . (defined $gpus ? "gpus => $gpus, " : '')
	  . 'params => ' . quote_literal($params) . "::jsonb, tenant => 'acme');\nROLLBACK;";
	my ($rc, $out, $err) = $env->node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return (1, '') if $rc == 0;
	return (0, $err) if $err =~ /ERROR:  22023:/ || ($not_json && $err =~ /ERROR:  22P0[25]:/);
	return (undef, $err);
}

sub worker_verdict
{
	my ($params, $output, $gpus) = @_;
	my ($out, $err);
	IPC::Run::run([ $transcode, '--check-params', "--params=$params", defined $gpus ? ("--gpus=$gpus") : (),
		defined $output ? ($output) : () ],
		'>', \$out, '2>', \$err);
	my $rc = $? >> 8;
	return (1, $out) if $rc == 0 && $out eq "ok\n";
	return (0, $out) if $rc == 2 && $out ne '' && $out ne "ok\n";
	return (undef, "exit $rc: $out$err");
}

sub compare
{
	my ($label, $params, $expected, $output, $gpus) = @_;
	my ($db, $db_text) = submit_verdict($params, $output, $gpus);
	my ($worker, $worker_text) = worker_verdict($params, $output, $gpus);
	my $where = defined $output ? " (output " . (length $output > 60 ? substr($output, 0, 24) . "... " . length($output) . " bytes" : $output) . ")" : '';
	$where .= " (gpus $gpus)" if defined $gpus;
	ok(defined $db && defined $worker && $db == $worker && (!defined $expected || $db == $expected),
		"$label$where: submit_job and the worker agree")
	  or diag "submit_job: " . ($db // 'error') . " $db_text\nworker: " . ($worker // 'error') . " $worker_text";
}

compare($_->[0], $_->[0], $_->[1], $_->[2], $_->[3]) for @corpus;
$not_json = 1;
compare("not JSON: $_", $_, 0) for @not_json;
$not_json = 0;

# Each built-in preset's params, alone, as submit_job merges them.
my @presets = split /\n/, $env->sql(q{SELECT name || E'\t' || params::text FROM ffrtmp.presets ORDER BY name});
ok(@presets >= 3, 'the built-in presets are listed');
for my $line (@presets)
{
	my ($name, $params) = split /\t/, $line, 2;
	compare("preset $name", $params, 1);
}

done_testing();
