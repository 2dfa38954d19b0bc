# ffrtmp-worker --listen: /health answers while the process serves, /ready
# only once the database is reachable and the node registered, and /metrics
# (Prometheus text format) counts what a real transcode and a real failure
# did: jobs finished by state, failures by class, bytes read and written,
# the database round trips.  systemd's notification protocol, read from a
# real notify socket: WATCHDOG=1 from the start, READY=1 only once ready,
# STOPPING=1 on the drain.  Other paths are 404, other methods 405, and an
# address already in use stops the worker with a message that says so.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpNeed;
use FfrtmpProcess;
use HTTP::Tiny;
use IO::Select;
use IO::Socket::UNIX;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Socket qw(SOCK_DGRAM);
use Test::More;

my $env = FfrtmpCluster->new('worker_metrics');
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $base = "http://127.0.0.1:$port";
my $http = HTTP::Tiny->new(timeout => 10);

# A datagram socket where systemd would listen, as the worker is told by NOTIFY_SOCKET.
my $notify_path = $env->dir . '/notify.sock';
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $notify_path)
  or die "could not bind $notify_path: $!";
my @notes;

# Reads what the worker sent to the notify socket until $want matches one
# message or $timeout seconds pass; returns whether it came.
sub read_notes
{
	my ($want, $timeout) = @_;
	my $select = IO::Select->new($notify);
	my $found = 0;
	wait_until(
		sub {
			while ($select->can_read(0.2))
			{
				my $message = '';
				$notify->recv($message, 4096);
				push @notes, $message;
				$found ||= defined $want && $message =~ $want;
			}
			return $found;
		},
		$timeout);
	return $found;
}

# The metrics as { 'name{labels}' => value }.
sub metrics
{
	my $response = $http->get("$base/metrics");
	return {} unless $response->{success};
	my %samples;
	for my $line (split /\n/, $response->{content})
	{
		next if $line =~ /^#/;
		$samples{$1} = $2 + 0 if $line =~ /^(\S+) (\S+)$/;
	}
	return \%samples;
}

# --- before the database: the process serves, it is not ready ---------------
$env->node->stop;
my $worker;
{
	local $ENV{NOTIFY_SOCKET} = $notify_path;
	local $ENV{WATCHDOG_USEC} = 2_000_000;
	$worker = $env->start_worker(wait => 0, args => ["--listen=127.0.0.1:$port"]);
}
ok(wait_until(sub { $http->get("$base/health")->{status} != 599 }, 30), 'the worker listens on its --listen port')
  or diag $env->worker_log($worker);
is($http->get("$base/health")->{status}, 200, '/health is 200 while the database is down');
my $ready = $http->get("$base/ready");
is($ready->{status}, 503, '/ready is 503 while the database is down');
like($ready->{content}, qr/not ready/, "/ready's body says why");
my $m = metrics();
is($m->{ffrtmp_worker_up}, 1, 'ffrtmp_worker_up is 1');
is($m->{ffrtmp_worker_connected}, 0, 'ffrtmp_worker_connected is 0 without a database');
ok(read_notes(qr/^WATCHDOG=1$/m, 10), 'WATCHDOG=1 comes while the database is down (WATCHDOG_USEC set)');
ok(!grep({ /^READY=1$/m } @notes), 'READY=1 does not come before the node is registered');
ok(grep({ /^STATUS=waiting for the database/m } @notes), 'STATUS= says it waits for the database');

# --- the database comes: registered, ready ----------------------------------
$env->node->start;
ok(wait_until(sub { $http->get("$base/ready")->{status} == 200 }, 60), '/ready is 200 once connected and registered')
  or diag $env->worker_log($worker);
is($env->sql("SELECT state FROM ffrtmp.nodes WHERE name = " . quote_literal($worker->{name})), 'online',
	'/ready said 200 for a node the database has online');
ok(read_notes(qr/^READY=1$/m, 20), 'READY=1 once the node is registered');
ok(grep({ /^READY=1\nSTATUS=ready: 0 of 1 slot\(s\) busy$/ } @notes), 'READY=1 comes with its STATUS= line');
my $watchdogs = grep { /^WATCHDOG=1$/m } @notes;
ok(read_notes(qr/^WATCHDOG=1$/m, 10) && (grep { /^WATCHDOG=1$/m } @notes) > $watchdogs,
	'WATCHDOG=1 keeps coming from the loop');
$m = metrics();
is($m->{ffrtmp_worker_connected}, 1, 'ffrtmp_worker_connected is 1');
is($m->{ffrtmp_worker_slots}, 1, 'ffrtmp_worker_slots is the configured --slots');

# --- HTTP: HEAD, other paths, other methods ---------------------------------
my $head = $http->head("$base/ready");
is($head->{status}, 200, 'HEAD /ready is 200');
is($head->{content} // '', '', 'HEAD has no body');
is($http->head("$base/metrics")->{status}, 200, 'HEAD /metrics is 200');
is($http->get("$base/")->{status}, 404, 'GET / is 404');
is($http->get("$base/metrics/extra")->{status}, 404, 'GET /metrics/extra is 404');
my $post = $http->post_form("$base/metrics", { a => 1 });
is($post->{status}, 405, 'POST /metrics is 405');
like($post->{headers}{allow} // '', qr/GET, HEAD/, '405 says Allow: GET, HEAD');
is($http->request('DELETE', "$base/health")->{status}, 405, 'DELETE /health is 405');
my $scrape = $http->get("$base/metrics");
like($scrape->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, '/metrics is text format 0.0.4');
like($scrape->{content}, qr/^# TYPE ffrtmp_worker_database_round_trip_seconds histogram$/m,
	'the round-trip histogram has its TYPE line');

# --- a real transcode, then a real failure ----------------------------------
my $done = $env->submit('testsrc://320x240@25?duration=1', output => 'metrics/out.mp4');
is($env->wait_job($done)->{state}, 'completed', 'a short testsrc transcode completes');
$m = metrics();
is($m->{'ffrtmp_worker_jobs_finished_total{state="completed"}'}, 1, 'jobs_finished_total{state="completed"} is 1');
is($m->{'ffrtmp_worker_jobs_finished_total{state="failed"}'}, 0, 'jobs_finished_total{state="failed"} is 0');
cmp_ok($m->{ffrtmp_worker_input_bytes_total} // 0, '>', 0, 'input_bytes_total counts the bytes read');
cmp_ok($m->{ffrtmp_worker_output_bytes_total} // 0, '>', 0, 'output_bytes_total counts the bytes written');
cmp_ok($m->{ffrtmp_worker_output_bytes_total} // 0, '<=', -s $env->output_path('metrics/out.mp4'),
	'output_bytes_total is at most the output file (media bytes, not the container)');
is($m->{ffrtmp_worker_running_jobs}, 0, 'running_jobs is 0 again');
my $count = $m->{ffrtmp_worker_database_round_trip_seconds_count} // 0;
cmp_ok($count, '>', 0, 'the round-trip histogram counted the database calls');
is($m->{'ffrtmp_worker_database_round_trip_seconds_bucket{le="+Inf"}'}, $count, 'its +Inf bucket is its count');
my @buckets = map { $m->{"ffrtmp_worker_database_round_trip_seconds_bucket{le=\"$_\"}"} }
  qw(0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 +Inf);
ok(!grep({ !defined } @buckets) && !grep({ $buckets[$_] < $buckets[ $_ - 1 ] } 1 .. $#buckets),
	'its buckets are cumulative');

my $broken = $env->input_root . '/broken.mp4';
append_to_file($broken, "this is no media file\n" x 100);
my $failed = $env->submit("file://$broken", output => 'metrics/broken.mp4');
my $job = $env->wait_job($failed);
is($job->{state}, 'failed', 'a job whose input is no media fails');
is($job->{failure_reason}, 'input_error', 'as an input_error');
$m = metrics();
is($m->{'ffrtmp_worker_job_failures_total{class="input_error"}'}, 1, 'job_failures_total{class="input_error"} is 1');
is($m->{'ffrtmp_worker_job_failures_total{class="runtime_error"}'}, 0, 'the other classes stay at 0');
is($m->{'ffrtmp_worker_jobs_finished_total{state="failed"}'}, 1, 'jobs_finished_total{state="failed"} is 1');
is($m->{'ffrtmp_worker_jobs_finished_total{state="completed"}'}, 1, 'the completed count is unchanged');
# The whole text, after a completed and a failed job, is one promtool
# parses and finds lint clean (names, types, units, _total on counters only).
SKIP:
{
	skip_because('promtool (prometheus) is not installed', 1)
	  unless system('sh', '-c', 'command -v promtool >/dev/null') == 0;
	my $file = $env->dir . '/worker.prom';
	open my $fh, '>', $file or die $!;
	print $fh $http->get("$base/metrics")->{content};
	close $fh;
	my $lint = `promtool check metrics < $file 2>&1`;
	is($? >> 8, 0, 'promtool check metrics accepts the worker\'s /metrics: parsed, lint clean') or diag($lint);
}
unlike($http->get("$base/metrics")->{content}, qr/broken|file:|acme|\Q$env->{tenant_id}\E/,
	'no URL, path or tenant appears in /metrics');

# --- a second worker on the same address --------------------------------------
my $second = $env->start_worker(wait => 0, args => ["--listen=127.0.0.1:$port"]);
my $status = $env->wait_worker_exit($second, 30);
ok(defined $status && $status != 0, 'a worker whose --listen address is in use exits with a failure');
like($env->worker_log($second), qr/could not listen on 127\.0\.0\.1:\Q$port\E: Address already in use/,
	'its log says the address is in use');
is($http->get("$base/health")->{status}, 200, 'the first worker still serves');

# --- the drain --------------------------------------------------------------
is($env->stop_worker($worker), 0, 'the worker drains and exits 0');
ok(read_notes(qr/^STOPPING=1$/m, 10), 'STOPPING=1 on the drain');
is($http->get("$base/health")->{status}, 599, 'nothing listens once the worker has exited');

close $notify;
unlink $notify_path;
done_testing();
