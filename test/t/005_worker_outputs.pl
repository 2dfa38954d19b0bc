# ffrtmp-worker end to end: the database, the scheduler and the daemon turn a
# generated clip into every output kind, and ffprobe says what was written:
# codecs, resolution, frame rate, duration (within two frames of the input),
# mp4 faststart, HLS playlists and segments, an ABR ladder that plays as a
# whole, stream copy without re-encoding, the built-in presets, the job's
# result and progress, and --once.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $env = FfrtmpCluster->new('outputs');
my $clip = make_clip($env->input_root . '/clip.mp4', size => '640x360', fps => 30, seconds => 4);
my $input = probe_summary($clip);
is_deeply([ $input->{video}{codec}, $input->{video}{frames}, $input->{audio}{codec} ], [ 'h264', 120, 'aac' ],
	'the generated input clip is 120 frames of h264 with aac');

my $worker = $env->start_worker(args => ['--slots=2']);
my $encoders = $env->sql(q{SELECT array_to_string(encoders, ' ') FROM ffrtmp.nodes WHERE state = 'online'});
for my $encoder (qw(libx264 libx265 libvpx-vp9 aac libopus))
{
	like(" $encoders ", qr/ \Q$encoder\E /, "the worker registered the $encoder encoder it detected");
}

# Within two frames of the expected length, measured in video frames.
sub close_to
{
	my ($seconds, $expected, $fps, $name) = @_;
	my $ok = defined $seconds && abs($seconds - $expected) <= 2 / $fps + 1e-6;
	ok($ok, $name) or diag 'got ' . ($seconds // 'nothing') . " s, expected $expected s";
}

# No partial file (".name.<attempt>.partial") and nothing hidden left beside the outputs.
sub no_leftovers
{
	my ($dir, $name) = @_;
	my @hidden = grep { m{(^|/)\.} || /\.partial$/ || /\.tmp$/ } files_under($dir);
	is_deeply(\@hidden, [], $name);
}

my $file_params = { video_codec => 'h264', audio_codec => 'aac' };
my %jobs;
$jobs{mp4} = $env->submit("file://$clip", output => 'files/out.mp4', params => { %$file_params, format => 'mp4' });
$jobs{mkv} = $env->submit("file://$clip", output => 'files/out.mkv', params => { %$file_params, format => 'mkv' });
$jobs{webm} = $env->submit("file://$clip", output => 'files/out.webm',
	params => { video_codec => 'vp9', audio_codec => 'opus', format => 'webm' });
$jobs{hls} = $env->submit("file://$clip", output => 'hls/index.m3u8',
	params => { %$file_params, format => 'hls', hls_segment_seconds => 1 });
$jobs{abr} = $env->submit('testsrc://1280x720@30?duration=4', output => 'abr/master.m3u8', preset => 'hls-abr');
$jobs{size} = $env->submit("file://$clip", output => 'scaled/640x480.mp4', params => { size => '640x480' });
$jobs{fps} = $env->submit("file://$clip", output => 'scaled/15fps.mp4', params => { fps => 15 });
$jobs{duration} = $env->submit("file://$clip", output => 'cut/2s.mp4', params => { duration => 2 });
$jobs{copy} = $env->submit("file://$clip", output => 'copy/out.mp4',
	params => { video_codec => 'copy', audio_codec => 'copy', format => 'mp4' });

# --- mp4: h264 + aac, faststart, the result read back from the file ---------
my $job = $env->wait_job($jobs{mp4});
is($job->{state}, 'completed', 'an mp4 job completes');
my $mp4 = $env->output_path('files/out.mp4');
my $out = probe_summary($mp4);
is_deeply([ @{ $out->{video} }{qw(codec width height fps)}, $out->{audio}{codec} ],
	[ 'h264', 640, 360, 30, 'aac' ], 'mp4: h264 640x360 at 30 fps with aac');
close_to($out->{video}{seconds}, 4, 30, 'mp4: as long as the input, within two frames');
my @boxes = mp4_top_level_boxes($mp4);
my ($moov) = grep { $boxes[$_] eq 'moov' } 0 .. $#boxes;
my ($mdat) = grep { $boxes[$_] eq 'mdat' } 0 .. $#boxes;
ok(defined $moov && defined $mdat && $moov < $mdat, 'mp4 is faststart: moov comes before mdat')
  or diag "top-level boxes: @boxes";

my $result = $job->{result} // {};
close_to($result->{duration}, 4, 30, 'the job result has the duration of the output');
my ($result_video) = grep { ($_->{type} // '') eq 'video' } @{ $result->{streams} // [] };
my ($result_audio) = grep { ($_->{type} // '') eq 'audio' } @{ $result->{streams} // [] };
is_deeply([ map { $result_video->{$_} } qw(codec width height fps) ], [ 'h264', 640, 360, 30 ],
	'the job result lists the video stream: codec, width, height, fps');
is($result_audio->{codec}, 'aac', 'and the audio stream');
ok(defined $result->{size} && $result->{size} == -s $mp4, 'the job result has the size of the output file')
  or diag 'result size ' . ($result->{size} // 'missing') . ', file ' . (-s $mp4);

# --- mkv and webm ------------------------------------------------------------
$job = $env->wait_job($jobs{mkv});
is($job->{state}, 'completed', 'an mkv job completes');
$out = probe_summary($env->output_path('files/out.mkv'));
like($out->{format} // '', qr/matroska/, 'mkv: a Matroska file');
is_deeply([ @{ $out->{video} }{qw(codec width height)}, $out->{audio}{codec} ], [ 'h264', 640, 360, 'aac' ],
	'mkv: h264 640x360 with aac');
close_to($out->{video}{seconds}, 4, 30, 'mkv: as long as the input');

$job = $env->wait_job($jobs{webm});
is($job->{state}, 'completed', 'a webm job completes');
$out = probe_summary($env->output_path('files/out.webm'));
like($out->{format} // '', qr/webm/, 'webm: a WebM file');
is_deeply([ @{ $out->{video} }{qw(codec width height)}, $out->{audio}{codec} ], [ 'vp9', 640, 360, 'opus' ],
	'webm: vp9 640x360 with opus');
close_to($out->{video}{seconds}, 4, 30, 'webm: as long as the input');
no_leftovers($env->output_path('files'), 'no partial file is left beside the finished files');

# --- HLS, one rendition ------------------------------------------------------
$job = $env->wait_job($jobs{hls});
is($job->{state}, 'completed', 'an HLS job completes');
my $playlist_path = $env->output_path('hls/index.m3u8');
my $playlist = hls_media($playlist_path) // { segments => [], seconds => 0 };
ok($playlist->{ended}, 'HLS: the playlist is complete (EXT-X-ENDLIST)');
my @lengths = map { $_->{duration} } @{ $playlist->{segments} };
my @long_segments = grep { $_ > 1 + 1 / 30 + 1e-6 } @lengths;
ok(@{ $playlist->{segments} } >= 3 && !@long_segments,
	'HLS: hls_segment_seconds 1 makes segments of 1 s, not longer')
  or diag "segment lengths: @lengths";
is_deeply([ grep { !-s $env->output_path("hls/$_") } map { $_->{uri} } @{ $playlist->{segments} } ], [],
	'HLS: every segment the playlist names is there, beside it');
close_to($playlist->{seconds}, 4, 30, 'HLS: the segments add up to the input length');
$out = probe_summary($playlist_path);
is_deeply([ @{ $out->{video} }{qw(codec width height)}, $out->{audio}{codec} ], [ 'h264', 640, 360, 'aac' ],
	'HLS: the playlist plays as h264 640x360 with aac');
close_to($out->{video}{seconds}, 4, 30, 'HLS: played through, as long as the input');
no_leftovers($env->output_path('hls'), 'HLS: no partial playlist or segment is left');

# --- HLS ladder (hls-abr): master playlist and three playable variants ------
$job = $env->wait_job($jobs{abr});
is($job->{state}, 'completed', 'an hls-abr ladder job completes');
my $master_path = $env->output_path('abr/master.m3u8');
my $variants = hls_master($master_path) // [];
is_deeply([ sort map { $_->{RESOLUTION} // '?' } @$variants ], [qw(1280x720 1920x1080 854x480)],
	'the master playlist lists three variants: 1080p, 720p and 480p');
ok(!(grep { !$_->{BANDWIDTH} } @$variants), 'each variant has a BANDWIDTH');
for my $variant (@$variants)
{
	my $path = $env->output_path("abr/$variant->{uri}");
	my $res = $variant->{RESOLUTION} // '?';
	my $list = hls_media($path) // {};
	ok($list->{ended}, "ladder $res: the variant playlist is complete");
	my $v = probe_summary($path) // {};
	is(join('x', $v->{video}{width} // 0, $v->{video}{height} // 0), $res, "ladder $res: plays at that resolution");
	is_deeply([ $v->{video}{codec}, $v->{audio}{codec} ], [ 'h264', 'aac' ], "ladder $res: h264 with aac");
	close_to($v->{video}{seconds}, 4, 30, "ladder $res: as long as the test source");
}
my $whole = ffprobe_json($master_path) // { streams => [] };
is_deeply([ sort map { "$_->{width}x$_->{height}" } grep { $_->{codec_type} eq 'video' } @{ $whole->{streams} } ],
	[qw(1280x720 1920x1080 854x480)], 'the ladder plays as a whole: the master playlist opens all three variants');
no_leftovers($env->output_path('abr'), 'ladder: no partial playlist or segment is left');

# --- scaling, frame rate, duration -----------------------------------------
$job = $env->wait_job($jobs{size});
is($job->{state}, 'completed', 'a job with size 640x480 completes');
my $scaled = $env->output_path('scaled/640x480.mp4');
$out = probe_summary($scaled);
is_deeply([ @{ $out->{video} }{qw(width height)} ], [ 640, 480 ], 'size: the output has the size asked for');
# 640x360 in 640x480 keeps its aspect ratio with bands of 60 rows above and below.
my $band = '';
IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $scaled, '-frames:v', '1', '-vf', 'crop=640:50:0:0',
		'-f', 'rawvideo', '-pix_fmt', 'gray', '-' ], '<', \undef, '>', \$band, '2>', \my $err);
my $bright = grep { $_ > 40 } unpack('C*', $band);
ok(length($band) == 640 * 50 && $bright == 0, 'size: the picture keeps its aspect ratio (black bands, not stretched)')
  or diag length($band) . " bytes, $bright bright pixels in the top 50 rows; $err";

$job = $env->wait_job($jobs{fps});
is($job->{state}, 'completed', 'a job with fps 15 completes');
$out = probe_summary($env->output_path('scaled/15fps.mp4'));
is($out->{video}{fps}, 15, 'fps: the output runs at 15 fps');
close_to($out->{video}{seconds}, 4, 15, 'fps: with as many frames as 4 s at 15 fps need (60)');

$job = $env->wait_job($jobs{duration});
is($job->{state}, 'completed', 'a job with duration 2 completes');
$out = probe_summary($env->output_path('cut/2s.mp4'));
close_to($out->{video}{seconds}, 2, 30, 'duration: the output has the first 2 s of video');
cmp_ok($out->{duration} // 99, '<=', 2.1, 'duration: the whole file, audio included, lasts 2 s');

# --- stream copy -------------------------------------------------------------
$job = $env->wait_job($jobs{copy});
is($job->{state}, 'completed', 'a stream copy job completes');
my $copy = $env->output_path('copy/out.mp4');
$out = probe_summary($copy);
is_deeply([ $out->{video}{codec}, $out->{video}{frames}, $out->{audio}{codec} ],
	[ 'h264', 120, 'aac' ], 'copy: same codecs and frame count as the input');
is(packet_md5($copy, '0:v'), packet_md5($clip, '0:v'),
	'copy: the video packets are the input\'s, byte for byte (no re-encode)');
is(packet_md5($copy, '0:a'), packet_md5($clip, '0:a'), 'copy: and so are the audio packets');

# --- progress while a longer job runs --------------------------------------
my $long = $env->submit('testsrc://1280x720@30?duration=20', output => 'progress/long.mp4',
	params => { video_codec => 'h264', encoder_preset => 'medium' });
my @seen;
wait_until(
	sub {
		my $p = $env->progress($long);
		push @seen, $p if $p && (!@seen || ($p->{frames} // 0) != ($seen[-1]{frames} // 0));
		return $env->sql("SELECT state NOT IN ('queued', 'assigned', 'running') FROM ffrtmp.jobs WHERE id = $long")
		  eq 't';
	},
	300);
$job = $env->wait_job($long);
is($job->{state}, 'completed', 'a 20 s test-source job completes');
cmp_ok(scalar @seen, '>=', 2, 'job_progress showed the job moving while it ran');
my @frames = map { $_->{frames} // -1 } @seen;
my $last = $seen[-1] // {};
ok(@frames >= 2 && $frames[-1] > $frames[0] && !(grep { $frames[$_] < $frames[ $_ - 1 ] } 1 .. $#frames),
	'progress: frames count up') or diag "frames reported: @frames";
ok(defined $last->{percent} && $last->{percent} > 0 && $last->{percent} <= 100,
	'progress: percent is known, the test source having a duration');
ok(defined $last->{fps} && defined $last->{speed}, 'progress: fps and speed are reported');
is($env->sql("SELECT count(*) FROM ffrtmp.job_progress WHERE job_id = $long"), '0',
	'progress is cleared once the job completes');

# --- every built-in preset, 1 s of it ---------------------------------------
my %presets = (
	'480p-h264'   => [ 'h264', 854,  480,  undef ],
	'720p30-test' => [ 'h264', 1280, 720,  30 ],
	'1080p-h264'  => [ 'h264', 1920, 1080, undef ],
	'4K60-h264'   => [ 'h264', 3840, 2160, 60 ],
	'4K-h265'     => [ 'hevc', 3840, 2160, undef ],);
my %preset_jobs = map {
	$_ => $env->submit("file://$clip", output => "presets/$_.mp4", preset => $_, params => { duration => 1 })
} sort keys %presets;
for my $preset (sort keys %presets)
{
	my ($codec, $width, $height, $fps) = @{ $presets{$preset} };
	$job = $env->wait_job($preset_jobs{$preset}, timeout => 600);
	is($job->{state}, 'completed', "preset $preset: the job completes");
	$out = probe_summary($env->output_path("presets/$preset.mp4")) // {};
	is_deeply([ @{ $out->{video} // {} }{qw(codec width height)}, $out->{audio}{codec} ],
		[ $codec, $width, $height, 'aac' ], "preset $preset: $codec ${width}x$height with aac");
	is($out->{video}{fps}, $fps, "preset $preset: at $fps fps") if $fps;
	close_to($out->{video}{seconds}, 1, $fps // 30, "preset $preset: 1 s long, as params.duration asks");
}

# --- --once: one job, then exit --------------------------------------------
$env->stop_worker($worker);
my @once_jobs = map { $env->submit("file://$clip", output => "once/$_.mp4", params => { duration => 1 }) } 1 .. 2;
my $once = $env->start_worker(args => ['--once'], wait => 0);
my $status = $env->wait_worker_exit($once, 120);
is($status, 0, '--once: the worker exits with status 0 after its job completed');
my $once_ids = join ', ', @once_jobs;
is($env->sql("SELECT count(*) FROM ffrtmp.jobs WHERE id IN ($once_ids) AND state = 'completed'"),
	'1', '--once: it ran exactly one of the two jobs waiting');
# Those jobs were submitted just after the first worker stopped: none of
# them may have been given to it and lost an attempt.
is($env->sql("SELECT max(attempt) FROM ffrtmp.jobs WHERE id IN ($once_ids)"), '1',
	'jobs submitted right after a worker stopped (SIGTERM) are not given to it: no attempt is lost')
  or diag $env->sql("SELECT string_agg(format('job %s attempt %s: %s -> %s (%s)', job_id, attempt, from_state, to_state, reason), E'\n' ORDER BY id) FROM ffrtmp.job_events WHERE job_id IN ($once_ids)");

$env->stop_all_workers;
done_testing();
