# The reference point of the media layer: on a clean source (square pixels,
# progressive, no rotation) the worker's engine writes the same video
# packets, bit for bit, as the ffmpeg command line at the same settings, and
# a decode of the whole output finds no error.
use strict;
use warnings;
use FfrtmpMedia;
use Test::More;

my $dir = media_dir();
my $in = ffmpeg_make("$dir/clean.mp4",
	[ '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=2',
	  '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000:duration=2' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30', '-c:a', 'aac' ]);

my $run = transcode($in, "$dir/worker.mp4",
	{ video_codec => 'h264', size => '1280x720', encoder_preset => 'veryfast', video_bitrate => '1500k' });
is($run->{status}, 0, 'the worker transcodes the clean source') or diag $run->{stderr};
ffmpeg_reference($in, "$dir/ffmpeg.mp4",
	[ '-threads', '1', '-filter_threads', '1',
	  '-vf', 'scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,'
	  . 'pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p',
	  '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '1500k', '-g', '60', '-keyint_min', '60', '-threads', '1',
	  # The worker tags every output; this untagged 640x360 source gets what
	  # players assume for SD: BT.601 525-line (smpte170m), limited range.
	  '-color_range', 'tv', '-colorspace', 'smpte170m', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m',
	  '-c:a', 'aac', '-b:a', '128k', '-movflags', '+faststart' ]);
is(packet_md5("$dir/worker.mp4", '0:v'), packet_md5("$dir/ffmpeg.mp4", '0:v'),
	'its video packets are bit-identical to the ffmpeg command line at the same settings');
my $v = video_info("$dir/worker.mp4");
is_deeply([ @$v{qw(width height sar rotation)} ], [ 1280, 720, 1, 0 ], 'a 1280x720 square-pixel picture, upright');
my $decode = decode_whole("$dir/worker.mp4");
ok($decode->{ok}, 'the whole output decodes without an error') or diag $decode->{errors};
is($decode->{frames}, 60, 'and holds every frame of the input');
done_testing();
