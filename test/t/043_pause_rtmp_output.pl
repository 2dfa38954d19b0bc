# A paused job that pushes a file (here the test source) to an RTMP output,
# as a live encoder would, paced in real time.  The server keeps the stalled
# publisher (nginx-rtmp sends no ping it must answer), and once resumed the
# job goes on from where it stopped, still in real time: the time paused is
# not made up by sending the rest as fast as it can be encoded.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use FfrtmpServers;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $env = FfrtmpCluster->new('pause_rtmp');
my $rtmp = start_rtmp_server($env->dir . '/nginx');
my $worker = $env->start_worker(name => 'rtmp-w');
sub frames { return ($env->progress($_[0]) // {})->{frames} // 0 }

my $job = $env->submit('testsrc://640x360@30?duration=20', output => "$rtmp->{url}/paused",
	params => { video_codec => 'h264', audio_codec => 'aac', format => 'flv' }, max_attempts => 1);
ok(wait_until(sub { frames($job) > 30 }, 120), 'the job pushes to the RTMP server');
is($env->sql("SELECT state FROM ffrtmp.pause_job($job)"), 'paused', 'pause_job pauses it');
ok(wait_until(sub { $env->worker_log($worker) =~ /job=$job .*attempt 1 paused/ }, 10), 'the worker stops it');
sleep 10;
is($env->sql("SELECT state FROM ffrtmp.resume_job($job)"), 'running', 'resume_job resumes it');
my $row = $env->wait_job($job, timeout => 120);
is($row->{state}, 'completed', 'a paused RTMP push completes once resumed')
  or diag "$row->{failure_reason}: " . ($row->{error} // '') . "\n" . $env->worker_log($worker);
# started_at moved later by the time paused: what is left is the running time.
my $running = $env->sql("SELECT extract(epoch FROM finished_at - started_at) FROM ffrtmp.jobs WHERE id = $job");
cmp_ok($running, '>=', 18, 'its 20 s went out in about 20 s of running time: paced after the pause too');

stop_process($rtmp->{harness});
$env->stop_all_workers;
done_testing();
