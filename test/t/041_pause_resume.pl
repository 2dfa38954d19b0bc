# pause_job and resume_job with the real worker and a real transcode: a
# paused job's process is stopped (state T) and its output stops growing;
# past its timeout in wall time it is not timed out (neither by the
# scheduler nor by the worker's own timer), and its node keeps it through
# its heartbeats; resumed, it continues and completes with a whole output.
# A pause the node was not notified of is caught by its next heartbeat, and
# a paused job can be canceled: its process ends and its partial output goes.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $env = FfrtmpCluster->new('pause');
my $worker = $env->start_worker(name => 'pause-w');
my $params = { video_codec => 'h264', encoder_preset => 'medium', format => 'mp4' };

# The pid of the process that runs a job's attempt, from the worker's log.
sub job_process
{
	my ($job, $attempt) = @_;
	my ($pid) = $env->worker_log($worker) =~ /job=$job .*started attempt $attempt in process (\d+)/;
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

sub partial_size
{
	my ($dir) = @_;
	my ($partial) = grep { /\.partial$/ } files_under($env->output_path($dir));
	return $partial ? -s $env->output_path("$dir/$partial") : -1;
}

# --- pause, past the timeout, resume, complete --------------------------------
# 20 s of 360p video encoded at 'medium': a few seconds of work (some 15 s
# on a loaded machine), well within the 45 s timeout, which the pause alone
# then outlasts.
my $job = $env->submit('testsrc://640x360@30?duration=20', output => 'paused/out.mp4',
	params => $params, timeout => '45 seconds', max_attempts => 1);
ok(wait_until(sub { frames($job) > 0 }, 120), 'the job runs and reports progress');
my $pid = job_process($job, 1);
ok($pid, 'its process is known') or BAIL_OUT('no job process in the worker log');
my $started = time;
is($env->sql("SELECT state FROM ffrtmp.pause_job($job)"), 'paused', 'pause_job pauses it');
ok(wait_until(sub { process_state($pid) eq 'T' }, 10), 'the worker stops the job process (state T)')
  or diag 'process state: ' . process_state($pid);
like($env->worker_log($worker), qr/job=$job .*attempt 1 paused/, 'the worker log says so');

# Stopped, it writes nothing: the same output size and frame count a while later.
sleep 1;    # reports and writes under way when it stopped have landed
my ($size, $frames) = (partial_size('paused'), frames($job));
sleep 3;
cmp_ok($size, '>', 0, 'it had written part of its output') or diag 'files: ' . join(' ', files_under($env->output_path('paused')));
ok($size > 0 && partial_size('paused') == $size, 'its output stops growing while paused');
ok($frames > 0 && frames($job) == $frames, 'and so does its progress');

# Past its timeout in wall time: still paused, on its node, its process stopped.
my $node = $env->worker_node_id($worker);
wait_until(sub { time - $started > 47 }, 60);
my $row = $env->job($job);
is($row->{state}, 'paused', 'a paused job past its timeout in wall time is not timed out');
is($row->{node_id}, $node, 'and keeps its node (its heartbeats list it)');
is(process_state($pid), 'T', 'the worker\'s own timer did not end it either');

is($env->sql("SELECT state FROM ffrtmp.resume_job($job)"), 'running', 'resume_job resumes it');
ok(wait_until(sub { my $s = process_state($pid); $s ne 'T' }, 10), 'the worker continues the job process');
ok(wait_until(sub { frames($job) > $frames }, 60), 'it makes progress again');
$row = $env->wait_job($job, timeout => 300);
is($row->{state}, 'completed', 'the resumed job completes within its timeout of running time')
  or diag $env->worker_log($worker);
my $out = probe_summary($env->output_path('paused/out.mp4')) // {};
is($out->{video}{codec}, 'h264', 'its output is H.264');
ok(abs(($out->{video}{seconds} // 0) - 20) <= 2 / 30, 'and whole: 20 s of video')
  or diag 'got ' . ($out->{video}{seconds} // 'nothing') . ' s';
is($env->sql("SELECT string_agg(coalesce(from_state, '') || '>' || to_state, ' ' ORDER BY id) FROM ffrtmp.job_history($job)"),
	'>queued queued>assigned assigned>running running>paused paused>running running>completed',
	'its history shows the pause and the resume');

# --- a pause the node was not notified of, then cancel ------------------------
$job = $env->submit('testsrc://1280x720@30?duration=120', output => 'canceled/out.mp4', params => $params);
ok(wait_until(sub { frames($job) > 0 }, 120), 'a long job runs');
$pid = job_process($job, 1);
# A change of state without its notification (as if it were lost): the
# worker learns of it from node_attempts after its next heartbeat.
$env->sql("UPDATE ffrtmp_data.jobs SET state = 'paused', state_reason = 'test' WHERE id = $job");
ok(wait_until(sub { process_state($pid) eq 'T' }, 10), 'without a notification, the next heartbeat stops it');
is($env->sql("SELECT state FROM ffrtmp.cancel_job($job)"), 'canceled', 'cancel_job cancels the paused job');
ok(wait_until(sub { process_state($pid) eq '' || process_state($pid) eq 'Z' }, 10),
	'its process ends');
ok(wait_until(sub { !files_under($env->output_path('canceled')) }, 10), 'and its partial output is removed')
  or diag 'left: ' . join(' ', files_under($env->output_path('canceled')));
is($env->job($job)->{state}, 'canceled', 'the job stays canceled');
like($env->worker_log($worker), qr/job=$job .*no longer holds attempt 1/, 'the worker says why it stopped it');

$env->stop_all_workers;
done_testing();
