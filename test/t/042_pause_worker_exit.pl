# A paused job when its worker goes away.  Drained (SIGTERM), the worker
# does not wait on a stopped process forever: at the end of its grace the
# job's process is continued to act on its SIGTERM, cleans up and ends, and
# the worker exits.  Killed (SIGKILL), the worker leaves a stopped process
# whose parent is gone: the kernel sends its orphaned process group SIGHUP
# and SIGCONT, and the parent-death SIGTERM is pending too; the process
# must end as a running job's does, removing its partial output.  The
# worker started again under the node's name ends the old attempt.  Also
# with a worker: many pauses and resumes in a row, and an HLS ladder.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('pause_exit');
my $params = { video_codec => 'h264', encoder_preset => 'medium', format => 'mp4' };

sub job_process
{
	my ($worker, $job) = @_;
	my ($pid) = $env->worker_log($worker) =~ /job=$job .*started attempt 1 in process (\d+)/;
	return $pid;
}

# A process's state letter from /proc/PID/stat (R, S, T, Z...), '' once gone.
sub process_state
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return '';
	my $stat = <$fh> // '';
	return $stat =~ /^\d+ \(.*\) (\S)/ ? $1 : '';
}

sub frames { return ($env->progress($_[0]) // {})->{frames} // 0 }

# Submits a long job to the worker, waits for it to run, pauses it and
# waits for its process to be stopped; returns the job and its pid.
sub paused_job
{
	my ($worker, $dir) = @_;
	my $job = $env->submit('testsrc://1280x720@30?duration=300', output => "$dir/out.mp4",
		params => $params, max_attempts => 1);
	ok(wait_until(sub { frames($job) > 0 }, 120), "$dir: the job runs");
	my $pid = job_process($worker, $job);
	ok($pid, "$dir: its process is known") or BAIL_OUT('no job process in the worker log');
	ok(wait_until(sub { scalar(files_under($env->output_path($dir))) }, 60), "$dir: it writes a partial output");
	is($env->sql("SELECT state FROM ffrtmp.pause_job($job)"), 'paused', "$dir: pause_job pauses it");
	ok(wait_until(sub { process_state($pid) eq 'T' }, 10), "$dir: its process is stopped");
	return ($job, $pid);
}

# --- drained while paused ------------------------------------------------------
my $drained = $env->start_worker(name => 'drain-w', args => ['--grace=2s']);
my ($job, $pid) = paused_job($drained, 'drained');
is($env->stop_worker($drained, 'TERM', 60), 0, 'drained, the worker exits (status 0) at the end of its grace');
ok(wait_until(sub { process_state($pid) eq '' }, 10), 'the paused job\'s process has ended')
  or diag 'process state: ' . process_state($pid);
ok(!files_under($env->output_path('drained')), 'and its partial output is removed')
  or diag 'left: ' . join(' ', files_under($env->output_path('drained')));
isnt($env->job($job)->{state}, 'paused', 'the job is no longer paused on the gone worker');

# --- killed while paused -------------------------------------------------------
my $killed = $env->start_worker(name => 'kill-w');
($job, $pid) = paused_job($killed, 'killed');
$env->kill_worker($killed);
ok(wait_until(sub { process_state($pid) eq '' }, 10), 'killed, its worker leaves no stopped process behind')
  or diag 'process state: ' . process_state($pid);
ok(wait_until(sub { !files_under($env->output_path('killed')) }, 10),
	'and the job\'s process removes its partial output, as a running one does')
  or diag 'left: ' . join(' ', files_under($env->output_path('killed')));
my $again = $env->start_worker(name => 'kill-w');
my $row = $env->wait_job($job, timeout => 60);
is($row->{state}, 'failed', 'the worker started again ends the attempt it does not hold');
is($row->{failure_reason}, 'platform_error', 'as platform_error');

# --- paused and resumed many times quickly -----------------------------------
# Calls faster than the worker acts on them: it may see a pause, a resume or
# neither of each pair, and a second pause before it has acted on the first;
# whatever it saw, it ends with the process running, and the job completes
# whole within its timeout of running time.
# (30 s of video: progress arrives with the worker's heartbeat, so the job
# must still run for a while once its first frames are reported.)
$job = $env->submit('testsrc://640x360@30?duration=30', output => 'flicker/out.mp4',
	params => $params, timeout => '5 minutes', max_attempts => 1);
ok(wait_until(sub { frames($job) > 0 }, 120), 'flicker: the job runs');
$pid = job_process($again, $job);
my $refused = 0;
for (1 .. 20)
{
	$refused++ unless $env->sql("SELECT state FROM ffrtmp.pause_job($job)") eq 'paused';
	$refused++ unless $env->sql("SELECT state FROM ffrtmp.resume_job($job)") eq 'running';
	last if $env->job($job)->{state} ne 'running';
}
is($refused, 0, 'twenty pauses and resumes in a row are each accepted');
$row = $env->wait_job($job, timeout => 300);
is($row->{state}, 'completed', 'the job completes: its process was left running')
  or diag 'process state: ' . process_state($pid) . "\n" . $env->worker_log($again);
my $out = probe_summary($env->output_path('flicker/out.mp4')) // {};
ok(abs(($out->{video}{seconds} // 0) - 30) <= 2 / 30, 'and whole: 30 s of video')
  or diag 'got ' . ($out->{video}{seconds} // 'nothing') . ' s';
is($env->sql("SELECT count(*) FROM ffrtmp.jobs WHERE id = $job AND started_at > finished_at"), '0',
	'its started_at did not move past its end');

# --- an HLS ladder paused and resumed -----------------------------------------
# One process encodes every rendition: stopped and continued as a whole, its
# variant playlists stay complete and as long as the source.
$job = $env->submit('testsrc://1280x720@30?duration=8', output => 'abr/master.m3u8', preset => 'hls-abr',
	max_attempts => 1);
ok(wait_until(sub { frames($job) > 0 }, 120), 'ladder: the job runs');
$pid = job_process($again, $job);
is($env->sql("SELECT state FROM ffrtmp.pause_job($job)"), 'paused', 'ladder: pause_job pauses it');
ok(wait_until(sub { process_state($pid) eq 'T' || $env->job($job)->{state} ne 'paused' }, 10),
	'ladder: its process is stopped');
sleep 3;
$env->sql("SELECT ffrtmp.resume_job($job)");
$row = $env->wait_job($job, timeout => 300);
is($row->{state}, 'completed', 'ladder: the resumed job completes')
  or diag "$row->{failure_reason}: " . ($row->{error} // '');
my $variants = hls_master($env->output_path('abr/master.m3u8')) // [];
is(scalar(@$variants), 3, 'ladder: its master playlist lists three variants');
for my $variant (@$variants)
{
	my $list = hls_media($env->output_path("abr/$variant->{uri}")) // {};
	ok($list->{ended} && abs($list->{seconds} - 8) <= 0.1,
		"ladder $variant->{RESOLUTION}: complete and as long as the source")
	  or diag "seconds: $list->{seconds}";
}

$env->stop_all_workers;
done_testing();
