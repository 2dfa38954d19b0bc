# ffrtmp-worker end to end, when things go wrong: a worker SIGKILLed mid-job
# (the job is re-queued and finished by another worker, one complete output),
# the database restarted mid-job (the job completes), a job canceled while it
# runs (stopped, no partial output), broken or missing inputs (a clear
# input_error on attempt 1, not retried, and the daemon keeps serving), and
# inputs or outputs that try to reach outside the configured roots (refused,
# not retried; nothing is read or written there).
use strict;
use warnings;
use File::Path qw(make_path);
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use FfrtmpServers;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

# A node silent for 5 s is offline: longer than a restart of the test
# database takes, shorter than the tests want to wait for a lost worker.
my $env = FfrtmpCluster->new('faults', node_timeout => '5s');
my $root = $env->input_root;
my $outside = $env->dir . '/outside';    # neither an input nor an output root
make_path($outside);
my $clip = make_clip("$root/clip.mp4", seconds => 2);
my $outside_clip = make_clip("$outside/secret.mp4", seconds => 2);

# The pid of the process that ran a job's attempt, from the worker's log.
sub job_process
{
	my ($worker, $job, $attempt) = @_;
	my ($pid) = $env->worker_log($worker) =~ /job=$job .*started attempt $attempt in process (\d+)/;
	return $pid;
}

sub process_gone
{
	my ($pid) = @_;
	return 1 unless $pid && kill(0, $pid);
	# A zombie is gone for our purposes: it writes nothing any more.
	open(my $fh, '<', "/proc/$pid/stat") or return 1;
	my $stat = <$fh> // '';
	return $stat =~ /^\d+ \(.*\) Z/;
}

sub running_with_progress
{
	my ($job) = @_;
	return wait_until(sub { ($env->progress($job) // {})->{frames} }, 120);
}

my $long_params = { video_codec => 'h264', encoder_preset => 'medium', format => 'mp4' };

# --- a worker SIGKILLed mid-job ----------------------------------------------
my $first = $env->start_worker(name => 'faults-first');
my $job = $env->submit('testsrc://1280x720@30?duration=30', output => 'killed/out.mp4',
	params => $long_params, max_attempts => 3);
ok(running_with_progress($job), 'a 30 s job runs on the first worker');
my $orphan = job_process($first, $job, 1);
$env->kill_worker($first);
ok(wait_until(sub { process_gone($orphan) }, 5),
	'the SIGKILLed worker\'s job process does not outlive it (it cannot write a second output)');
# The daemon gets a PG* variable, which its job processes must not inherit.
$ENV{PGCONNECT_TIMEOUT} = '10';
my $second = $env->start_worker(name => 'faults-second');
my $row = $env->wait_job($job, timeout => 300);
is($row->{state}, 'completed', 'the job is re-queued and completed');
is($row->{attempt}, 2, 'on attempt 2');
is($row->{node_id}, $env->worker_node_id($second), 'by the second worker');
is_deeply([ files_under($env->output_path('killed')) ], ['out.mp4'],
	'exactly one output file, and no partial file left by the killed attempt');
my $out = probe_summary($env->output_path('killed/out.mp4')) // {};
ok(abs(($out->{video}{seconds} // 0) - 30) <= 2 / 30, 'and it is complete: 30 s of video')
  or diag 'got ' . ($out->{video}{seconds} // 'nothing') . ' s';

# --- the database restarted mid-job ------------------------------------------
$job = $env->submit('testsrc://1280x720@30?duration=30', output => 'restart/out.mp4',
	params => $long_params, max_attempts => 3);
ok(running_with_progress($job), 'a 30 s job runs');
$env->node->restart;
$row = $env->wait_job($job, timeout => 300);
is($row->{state}, 'completed', 'the database restarted mid-job: the job still completes');
is($row->{attempt}, 1, 'on attempt 1: the worker reconnected and carried on, well within node_timeout');
is_deeply([ files_under($env->output_path('restart')) ], ['out.mp4'], 'with one output file and no partial');
$out = probe_summary($env->output_path('restart/out.mp4')) // {};
ok(abs(($out->{video}{seconds} // 0) - 30) <= 2 / 30, 'holding all 30 s of video');
ok($second->{harness}->pumpable, 'the worker rode out the restart');

# --- cancel_job on a running job ---------------------------------------------
$job = $env->submit('testsrc://1280x720@30?duration=120', output => 'cancel/out.mp4', params => $long_params);
ok(running_with_progress($job), 'a long job runs');
is_deeply([ files_under($env->output_path('cancel')) ], ['.out.mp4.1.partial'],
	'while it runs, the output is written under a partial name only');
my $process = job_process($second, $job, 1);
# Landlock leaves no mark in /proc, but the sandbox sets no_new_privs just
# before it restricts the process: a job process without it was not sandboxed.
my ($no_new_privs) = (slurp_file("/proc/$process/status") =~ /^NoNewPrivs:\s*(\d)/m);
is($no_new_privs, '1', 'the job runs in its sandbox (no_new_privs, set as it enters Landlock)');
my $environ = eval { slurp_file("/proc/$process/environ") } // '';
unlike($environ, qr/PG[A-Z]+=/, 'the job process has none of the daemon\'s PG* environment (and is not dumpable)');
my $t0 = time;
$env->sql("SELECT ffrtmp.cancel_job($job)");
my $stopped = wait_until(sub { process_gone($process) && !files_under($env->output_path('cancel')) }, 10);
my $took = time - $t0;
ok($stopped && $took <= 3, 'cancel_job: the worker stops the job and removes its partial output within 3 s')
  or diag sprintf('took %.1f s; left: %s', $took, join(' ', files_under($env->output_path('cancel'))));
note sprintf('stopped %.2f s after cancel_job', $took);
is($env->job($job)->{state}, 'canceled', 'the job stays canceled');

# An HLS output is many files: segments already written go too.
$job = $env->submit('testsrc://1280x720@30?duration=120', output => 'cancel-hls/index.m3u8',
	params => { %$long_params, format => 'hls', hls_segment_seconds => 1 });
ok(wait_until(sub { grep { /\.ts$/ } files_under($env->output_path('cancel-hls')) }, 120),
	'a long HLS job has written segments');
$env->sql("SELECT ffrtmp.cancel_job($job)");
ok(wait_until(sub { !files_under($env->output_path('cancel-hls')) }, 5),
	'canceling it removes its segments and partial playlist')
  or diag join(' ', files_under($env->output_path('cancel-hls')));

# --- broken inputs: a clear input_error, and the worker keeps serving --------
open(my $in, '<:raw', $clip) or die;
my $size = -s $clip;
read($in, my $head, int($size / 2));
close $in;
append_to_file("$root/truncated.mp4", $head);
append_to_file("$root/empty.mp4", '');
srand(4);
append_to_file("$root/random.mp4", pack('C*', map { int rand 256 } 1 .. 262144));
# The attempts a job has started, from its history.
sub attempts_started
{
	my ($id) = @_;
	return $env->sql("SELECT count(*) FROM ffrtmp.job_events WHERE job_id = $id AND to_state = 'running'");
}

# input_error is deterministic: a job of 3 attempts (the default) fails on its first.
$job = $env->submit("file://$root/missing.mp4", output => 'bad/missing.mp4');
$row = $env->wait_job($job);
is($row->{state}, 'failed', 'a missing input: the job fails');
is($row->{failure_reason}, 'input_error', 'a missing input: failure_reason input_error');
is($row->{attempt} . '/' . attempts_started($job), '1/1', 'a missing input: failed on attempt 1, not retried')
  or diag "max_attempts $row->{max_attempts}";
unlike($row->{error} // '', qr{(?:^|[\s'"(\[=,:])/[\w.]}, 'a missing input: the error quotes no path of this machine')
  and note "missing: $row->{error}";

for my $bad (qw(truncated empty random))
{
	my $article = $bad eq 'empty' ? 'an' : 'a';
	$job = $env->submit("file://$root/$bad.mp4", output => "bad/$bad.mp4");
	$row = $env->wait_job($job);
	is($row->{state}, 'failed', "$article $bad input: the job fails");
	is($row->{failure_reason}, 'input_error', "$article $bad input: failure_reason input_error");
	is(attempts_started($job), 1, "$article $bad input: one attempt of 3, not retried");
	like($row->{error} // '', qr/input/i, "$article $bad input: the error says what is wrong with the input")
	  and note "$bad: $row->{error}";
	unlike($row->{error} // '', qr{(?:^|[\s'"(\[=,:])/[\w.]}, "$article $bad input: the error quotes no path of this machine");
	like($row->{error} // '', qr/: Invalid data found when processing input \(mov: moov atom not found\)$/,
		"$article $bad input: the error stored carries libav's own reason, whole")
	  if $bad eq 'random';
}
is_deeply([ files_under($env->output_path('bad')) ], [], 'the failed jobs left no output and no partial file');
$job = $env->submit("file://$clip", output => 'good/after-bad.mp4');
is($env->wait_job($job)->{state}, 'completed', 'the worker keeps serving: the next good job completes');

# A failed attempt at an HLS output that exists already leaves that output whole.
$job = $env->submit("file://$clip", output => 'kept/index.m3u8', params => { format => 'hls', hls_segment_seconds => 1 });
is($env->wait_job($job)->{state}, 'completed', 'an HLS output is written');
my @before = sort(files_under($env->output_path('kept')));
$job = $env->submit("file://$root/empty.mp4", output => 'kept/index.m3u8', params => { format => 'hls' });
is($env->wait_job($job)->{state}, 'failed', 'a second job to the same playlist fails on a broken input');
is_deeply([ sort(files_under($env->output_path('kept'))) ], \@before,
	'the earlier output keeps every segment and playlist, and no staging directory is left');
my $kept = probe_summary($env->output_path('kept/index.m3u8'));
ok($kept && abs($kept->{video}{seconds} - 2) < 0.1, 'and still plays whole') or diag explain $kept;

# --- inputs and outputs outside the roots ------------------------------------
sub refused_by_submit
{
	my ($name, $input, %args) = @_;
	my ($id, $err) = $env->try_submit($input, %args);
	ok(!defined $id && $err =~ /22023/, "$name: submit_job refuses it (22023)") or diag "id " . ($id // '') . ": $err";
}

# Submitted, then refused by the worker: the job fails with a reason that
# blames the job, a deterministic one on its first attempt, and no output
# appears.
sub refused_by_worker
{
	my ($name, $input, %args) = @_;
	my ($id, $err) = $env->try_submit($input, %args);
	if (!defined $id)
	{
		like($err, qr/22023/, "$name: refused by submit_job (22023)");
		return;
	}
	my $j = $env->wait_job($id);
	ok($j->{state} eq 'failed' && ($j->{failure_reason} // '') =~ /^(user_error|input_error|network_error)$/,
		"$name: the worker refuses it") or diag "$j->{state} $j->{failure_reason}: " . ($j->{error} // '');
	note "$name: $j->{failure_reason}: " . ($j->{error} // '');
	is(attempts_started($id), 1, "$name: not retried")
	  if ($j->{failure_reason} // '') =~ /^(user_error|input_error)$/;
	return $j;
}

refused_by_worker('file:///etc/passwd', 'file:///etc/passwd', output => 'trick/passwd.mp4');
refused_by_worker('a media file outside the input roots', "file://$outside_clip", output => 'trick/outside.mp4');
refused_by_submit('.. out of the input root', "file://$root/../../../../etc/passwd", output => 'trick/dotdot.mp4');
symlink($outside_clip, "$root/link.mp4") or die "symlink: $!";
refused_by_worker('a symbolic link in the input root pointing outside', "file://$root/link.mp4",
	output => 'trick/link.mp4');
refused_by_submit('concat: protocol', "concat:$clip|$outside_clip", output => 'trick/concat.mp4');
refused_by_submit('a bare path', $outside_clip, output => 'trick/bare.mp4');

# An HTTP server on loopback: a playlist over http whose segment is a local
# file, and an ffconcat list naming one; the same playlist with its segment
# over http works, so it is the file:// reference that is refused.
my $web = $env->dir . '/web';
make_path($web);
for my $remux ([ $outside_clip, "$outside/secret.ts" ], [ $clip, "$web/seg.ts" ])
{
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ 'ffmpeg', '-nostdin', '-v', 'error', '-i', $remux->[0], '-c', 'copy', '-f', 'mpegts',
			$remux->[1] ], '<', \undef, '>', \$stdout, '2>', \$stderr)
	  or die "ffmpeg: $stderr";
}
my $playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n"
  . "#EXTINF:2.0,\n%s\n#EXT-X-ENDLIST\n";
append_to_file("$web/good.m3u8", sprintf($playlist, 'seg.ts'));
append_to_file("$web/trick.m3u8", sprintf($playlist, "file://$outside/secret.ts"));
append_to_file("$web/trick.ffconcat", "ffconcat version 1.0\nfile $outside_clip\n");
my $http = start_http_server($web);
$job = $env->submit("$http->{url}/good.m3u8", output => 'http/good.mp4', max_attempts => 1);
$row = $env->wait_job($job);
is($row->{state}, 'completed', 'an HLS playlist over http with its segments over http transcodes')
  or diag "$row->{failure_reason}: " . ($row->{error} // '');
refused_by_worker('an http playlist naming a file:// segment', "$http->{url}/trick.m3u8",
	output => 'http/trick.mp4');
refused_by_worker('an http ffconcat list naming a local file', "$http->{url}/trick.ffconcat",
	output => 'http/concat.mp4');
is_deeply([ files_under($env->output_path('http')) ], ['good.mp4'], 'the refused http inputs wrote nothing');
stop_http_server($http);

refused_by_submit('output ../../etc/x.mp4', "file://$clip", output => '../../etc/x.mp4');
refused_by_submit('an output with .. inside', "file://$clip", output => 'a/../../../x.mp4');
refused_by_submit('an absolute output path', "file://$clip", output => "$outside/absolute.mp4");
make_path($env->tenant_dir);
symlink($outside, $env->tenant_dir . '/escape') or die "symlink: $!";
refused_by_worker('an output through a symbolic link in the tenant directory', "file://$clip",
	output => 'escape/through-link.mp4');

is_deeply([ files_under($outside) ], [qw(secret.mp4 secret.ts)], 'nothing was written outside the output root');
ok(!-e '/etc/x.mp4' && !-e $env->output_root . '/../etc/x.mp4', 'not even at the paths the tricks named');
is_deeply([ files_under($env->output_path('trick')) ], [], 'and nothing under the paths of the refused jobs');

# --- still serving after all of it -------------------------------------------
$job = $env->submit("file://$clip", output => 'good/last.mp4');
is($env->wait_job($job)->{state}, 'completed', 'after every refusal the same worker still completes jobs');
ok($second->{harness}->pumpable, 'and it never exited');

$env->stop_all_workers;
done_testing();
