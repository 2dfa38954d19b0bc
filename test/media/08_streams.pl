# Which input streams a job uses, and what its result says about the rest:
# the audio track by index or language (params.audio_track,
# params.audio_language), cover art never taken for video, subtitles, data
# and attachments dropped and listed, an audio-only input given a video
# preset completed as audio only with a warning, and a stream copy of an
# input whose first video keyframe comes late starting at that keyframe, as
# ffmpeg -c copy does.  And params.audio_channels: every count from 1 to 8
# with Opus, in the layouts libopus codes.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();

# Three audio tracks told apart by their sample rate; the second is the
# default-flagged one; and an English subtitle track.
my $srt = "$dir/subs.srt";
open(my $fh, '>', $srt) or die $!;
print $fh "1\n00:00:00,000 --> 00:00:01,500\nhello\n";
close $fh;
my $multi = ffmpeg_make("$dir/multi.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2',
	  (map { ('-f', 'lavfi', '-i', "sine=frequency=440:sample_rate=$_:duration=2") } 44100, 48000, 22050),
	  '-i', $srt ],
	[ (map { ('-map', $_) } 0 .. 4), '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'mov_text',
	  '-metadata:s:a:0', 'language=eng', '-metadata:s:a:1', 'language=fra', '-metadata:s:a:2', 'language=deu',
	  '-metadata:s:s:0', 'language=eng',
	  '-disposition:a:0', '0', '-disposition:a:1', 'default', '-disposition:a:2', '0' ]);

# The output's one audio stream: [sample rate, language].
sub audio_of
{
	my ($path) = @_;
	my $probe = ffprobe_json($path) or return [];
	my @audio = grep { $_->{codec_type} eq 'audio' } @{ $probe->{streams} };
	return [ scalar(@audio), map { ($_->{sample_rate}, $_->{tags}{language} // '') } @audio ];
}

my %cases = (
	'no choice: the default-flagged track' => [ {}, 48000, 'fra' ],
	'audio_track 0'                        => [ { audio_track => 0 }, 44100, 'eng' ],
	'audio_track 2'                        => [ { audio_track => 2 }, 22050, 'deu' ],
	'audio_language eng'                   => [ { audio_language => 'eng' }, 44100, 'eng' ],
	'audio_language ger (the B code of deu)' => [ { audio_language => 'ger' }, 22050, 'deu' ],
	'audio_track 0 copied'                 => [ { audio_track => 0, audio_codec => 'copy', video_codec => 'copy' }, 44100, 'eng' ],
);
for my $name (sort keys %cases)
{
	my ($params, $rate, $language) = @{ $cases{$name} };
	my $run = transcode($multi, "$dir/pick.mp4", $params);
	is($run->{status}, 0, "$name: completes") or diag $run->{stderr};
	is_deeply(audio_of("$dir/pick.mp4"), [ 1, $rate, $language ], "$name: one audio stream, the $language one");
}

my $run = transcode($multi, "$dir/none.mp4", { audio_language => 'spa' });
is($run->{reason}, 'input_error', 'a language the input lacks fails as input_error');
is($run->{error}, 'the input has no audio track in language "spa" (it has: track 0 (eng), track 1 (fra), track 2 (deu))',
	'saying what the input has');
$run = transcode($multi, "$dir/none.mp4", { audio_track => 3 });
is($run->{reason}, 'input_error', 'a track number past the last fails as input_error');
like($run->{error}, qr/^the input has no audio track 3 \(params\.audio_track counts from 0; it has: track 0 \(eng\)/,
	'saying how tracks are counted and what the input has');

# Subtitles and the tracks not chosen are dropped, and the result says so.
$run = transcode($multi, "$dir/subs.mp4", { audio_language => 'deu' });
is_deeply($run->{result}{dropped},
	[ { index => 1, type => 'audio', codec => 'aac', language => 'eng' },
	  { index => 2, type => 'audio', codec => 'aac', language => 'fra' },
	  { index => 4, type => 'subtitle', codec => 'mov_text', language => 'eng' } ],
	'the result lists every input stream the output does not carry') or diag json_text($run->{result});
is_deeply([ map { $_->{codec_type} } @{ ffprobe_json("$dir/subs.mp4")->{streams} } ], [ 'video', 'audio' ],
	'the output holds one video and one audio stream');
ok(!exists $run->{result}{warnings}, 'nothing to warn about');

# Data streams and attachments too (Matroska: a font attached, a timecode track in MP4).
my $mkv = ffmpeg_make("$dir/attached.mkv",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1', '-f', 'lavfi', '-i', 'sine=duration=1', '-i', $srt ],
	[ '-map', '0', '-map', '1', '-map', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
	  '-attach', $srt, '-metadata:s:t', 'mimetype=text/plain' ]);
$run = transcode($mkv, "$dir/attached.mp4", {});
is_deeply([ map { $_->{type} } @{ $run->{result}{dropped} // [] } ], [ 'subtitle', 'attachment' ],
	'a subtitle and an attachment are dropped and listed') or diag $run->{stderr};
my $timecode = ffmpeg_make("$dir/timecode.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=1' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-timecode', '10:00:00:00' ]);
$run = transcode($timecode, "$dir/timecode_out.mp4", { video_codec => 'copy' });
is_deeply([ map { "$_->{type} $_->{codec}" } @{ $run->{result}{dropped} // [] } ], [ 'data tmcd' ],
	'a timecode data stream is dropped and listed') or diag json_text($run->{result});

# Cover art is not video: an mp3 with a cover becomes an audio-only output.
my $mp3 = ffmpeg_make("$dir/cover.mp3",
	[ '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-f', 'lavfi', '-i', 'color=red:size=300x300:duration=1' ],
	[ '-map', '0', '-map', '1', '-frames:v', '1', '-c:a', 'libmp3lame', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic' ]);
$run = transcode($mp3, "$dir/cover.mp4", { video_codec => 'h264' });
is($run->{status}, 0, 'an mp3 with cover art, given video_codec h264, completes') or diag $run->{stderr};
is_deeply([ map { $_->{codec_type} } @{ (ffprobe_json("$dir/cover.mp4") // {})->{streams} // [] } ], ['audio'],
	'as audio only: the cover is not made a one-frame video');
is_deeply($run->{result}{dropped}, [ { index => 1, type => 'video', codec => 'mjpeg', cover_art => JSON::PP::true } ],
	'the cover art is listed as dropped');
is_deeply($run->{result}{warnings}, ['the input has no video stream, only cover art: the output is audio only'],
	'and the result warns that the output is audio only');

# An audio-only input given a video preset completes as audio only, and says so.
my $wav = ffmpeg_make("$dir/speech.wav", [ '-f', 'lavfi', '-i', 'sine=frequency=300:duration=2' ], []);
$run = transcode($wav, "$dir/speech.mp4", { video_codec => 'h264', size => '1280x720', crf => 23 });
is($run->{status}, 0, 'an audio-only input given h264 settings completes') or diag $run->{stderr};
is_deeply([ map { $_->{type} } @{ $run->{result}{streams} // [] } ], ['audio'], 'with an audio stream only');
is_deeply($run->{result}{warnings}, ['the input has no video stream: the output is audio only'],
	'and the result warns that the output is audio only');
$run = transcode($wav, "$dir/ladder.m3u8",
	{ format => 'hls', renditions => [ { name => '360p', size => '640x360' }, { name => '720p', size => '1280x720' } ] });
is($run->{reason}, 'input_error', 'an HLS ladder of an audio-only input is refused');

# A stream copy of an input that begins with frames depending on an earlier
# keyframe (cut out of a longer stream, as from a live recording).
my $source = ffmpeg_make("$dir/gop.mkv",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3', '-f', 'lavfi', '-i', 'sine=duration=3' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-c:a', 'aac' ]);
my $late = ffmpeg_make("$dir/late.mkv", [ '-i', $source ], [ '-ss', '0.4', '-c', 'copy', '-copyinkf' ]);
my $first = (ffprobe_json($late, args => [ '-show_packets', '-select_streams', 'v' ])->{packets} // [])->[0] // {};
unlike($first->{flags} // '', qr/K/, "the test input's first video packet is not a keyframe");

$run = transcode($late, "$dir/late.mp4", { video_codec => 'copy', audio_codec => 'copy' });
is($run->{status}, 0, 'the copy completes') or diag $run->{stderr};
my $decode = decode_whole("$dir/late.mp4");
ok($decode->{ok}, 'the whole output decodes without an error') or diag $decode->{errors};
my $v = video_info("$dir/late.mp4");
is($decode->{frames}, $v->{frames}, 'every video packet copied decodes to a frame: none depends on a missing keyframe');
ffmpeg_reference($late, "$dir/late_ffmpeg.mp4", [ '-c', 'copy' ]);
my $ref = video_info("$dir/late_ffmpeg.mp4");
is($v->{frames}, $ref->{frames}, 'the same video frames as ffmpeg -c copy keeps');
my ($ours, $theirs) = map { [ grep { $_->{codec_type} eq 'video' } @{ ffprobe_json($_)->{streams} } ]->[0]{start_time} }
	"$dir/late.mp4", "$dir/late_ffmpeg.mp4";
ok(abs($ours - $theirs) < 0.002, "the video starts where ffmpeg's does ($ours s), on the audio's clock");
is(audio_streams("$dir/late.mp4")->[0]{frames}, audio_streams($late)->[0]{frames}, 'the audio is copied whole');
like(($run->{result}{warnings} // [])->[0] // '',
	qr/^the input's video begins with \d+ frames that depend on an earlier keyframe: they were dropped, and the copied video begins at its first keyframe, 0\.\d\d s in$/,
	'the result says frames before the first keyframe were dropped');

$run = transcode($late, "$dir/late_encoded.mp4", { video_codec => 'h264' });
is($run->{status}, 0, 'the same input encoded completes') or diag $run->{stderr};
$decode = decode_whole("$dir/late_encoded.mp4");
ok($decode->{ok} && $decode->{frames} > 0, 'and decodes whole') or diag $decode->{errors};

# params.audio_channels: the output has that many channels, in a layout the
# encoder takes.  Opus codes more than two in Vorbis order (3.0 and quad
# for 3 and 4, not FFmpeg's default 2.1 and 4.0, which libopus refuses).
my $surround = ffmpeg_make("$dir/surround.mkv",
	[ '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1' ],
	[ '-af', 'pan=7.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0|c6=c0|c7=c0', '-c:a', 'pcm_s16le' ]);
my %opus_layout = (1 => 'mono', 2 => 'stereo', 3 => '3.0', 4 => 'quad', 5 => '5.0', 6 => '5.1', 7 => '6.1', 8 => '7.1');
for my $channels (1 .. 8)
{
	my $out = "$dir/channels_$channels.webm";
	$run = transcode($surround, $out, { video_codec => 'none', audio_codec => 'opus', audio_channels => $channels });
	is($run->{status}, 0, "opus with audio_channels $channels completes") or diag $run->{stderr};
	my $audio = (grep { $_->{codec_type} eq 'audio' } @{ (ffprobe_json($out) // {})->{streams} // [] })[0] // {};
	is_deeply([ $audio->{codec_name}, $audio->{channels}, $audio->{channel_layout} ],
		[ 'opus', $channels, $opus_layout{$channels} ], "and the webm holds $channels opus channels ($opus_layout{$channels})");
}
for my $channels (3, 4)
{
	$run = transcode($surround, "$dir/channels_$channels.mp4", { video_codec => 'none', audio_channels => $channels });
	is($run->{status}, 0, "aac with audio_channels $channels completes") or diag $run->{stderr};
	is(audio_streams("$dir/channels_$channels.mp4")->[0]{channels}, $channels, "and the mp4 holds $channels channels");
}

done_testing();
