# The worker's own log, as an operator reads it, from a real ffrtmp-worker
# running real jobs:
#
# - --log-level=debug --log-format=json: every line on stderr is one JSON
#   object with time (RFC 3339, UTC, milliseconds), level and message; the
#   lines about a job carry job_id, attempt and tenant, and the node's name;
#   debug lines trace the job: fetched, accepted by start_job, its process
#   confined, its process's exit.
# - The default (info, text): no debug line, each line with its time.
# - SIGHUP with the configuration file's log-level changed to debug: the
#   debug lines start without a restart.
# - stderr connected to the journal (JOURNAL_STREAM naming its device and
#   inode): each line starts with its syslog priority and has no time of its
#   own; a JOURNAL_STREAM naming another file (stderr redirected) changes
#   nothing.
# - A wrong --log-level or --log-format, on the command line or in the
#   configuration file, is a usage error: exit status 2, nothing started.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('worker_logs');
my $clip = make_clip($env->input_root . '/clip.mp4', seconds => 1);
my $time_re = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
my %priority = (error => 3, warning => 4, info => 6, debug => 7);

# Runs one job on $worker to completion; returns its id.
sub run_job
{
	my ($output) = @_;
	my $id = $env->submit("file://$clip", output => $output);
	is($env->wait_job($id)->{state}, 'completed', "job $id completes");
	return $id;
}

sub log_lines
{
	my ($worker) = @_;
	return grep { $_ ne '' } split /\n/, $env->worker_log($worker);
}

# --- debug, JSON -------------------------------------------------------------
my $json_worker = $env->start_worker(args => [ '--log-level=debug', '--log-format=json' ]);
my $job = run_job('json/out.mp4');
$env->stop_worker($json_worker);

my @lines = log_lines($json_worker);
my @objects;
my @bad;
for my $line (@lines)
{
	my $o = eval { JSON::PP->new->utf8->decode($line) };
	if (ref $o eq 'HASH' && ($o->{time} // '') =~ $time_re && ($o->{level} // '') =~ /^(debug|info|warning|error)$/
		&& defined $o->{message} && $o->{message} ne '')
	{
		push @objects, $o;
	}
	else
	{
		push @bad, $line;
	}
}
ok(@lines > 5, 'the JSON worker logged ' . scalar(@lines) . ' lines');
is_deeply(\@bad, [], 'every line is a JSON object with time, level and message');
ok(!(grep { ($_->{node} // '') ne $json_worker->{name} } @objects), 'every line names the node');

my @about_job = grep { ($_->{job_id} // 0) == $job } @objects;
my ($started) = grep { $_->{message} =~ /^started attempt 1 in process \d+/ } @about_job;
ok($started && $started->{level} eq 'info' && $started->{attempt} == 1 && $started->{tenant} eq $env->tenant_id,
	'the start of the attempt: info, with job_id, attempt and tenant')
  or diag explain \@about_job;
for my $trace ([ fetched => qr/^fetched: attempt 1 is assigned to this node/ ],
	[ 'start_jobs' => qr/^start_jobs accepted attempt 1/ ],
	[ 'child confined' => qr/^process \d+ confined .*: running attempt 1/ ],
	[ 'child exit' => qr/^process \d+ of attempt 1 exited with status 0/ ])
{
	my ($line) = grep { $_->{message} =~ $trace->[1] } @about_job;
	ok($line && $line->{level} eq 'debug' && $line->{attempt} == 1, "a debug line traces the job: $trace->[0]")
	  or diag explain \@about_job;
}
ok((grep { $_->{level} eq 'debug' && !defined $_->{job_id} && $_->{message} eq 'connecting to the database' } @objects),
	'a debug line about no job has no job fields');

# --- info (the default), text; then debug after a reload ----------------------
my $config = $env->dir . '/worker.conf';
append_to_file($config, "log-level = info\n");
my $text_worker = $env->start_worker(args => ["--config=$config"]);
my $text_job = run_job('text/out.mp4');
@lines = log_lines($text_worker);
is_deeply([ grep { !m/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warning|error) / } @lines ], [],
	'at info, every text line is time, then info, warning or error: no debug line');
ok((grep { /^\S+ info job=$text_job tenant=\S+ started attempt 1 / } @lines),
	'the start of the job, with job= and tenant=');

unlink $config;
append_to_file($config, "log-level = debug\n");
kill 'HUP', $text_worker->{pid};
ok(wait_until(sub { $env->worker_log($text_worker) =~ /reloaded the configuration/ }, 30), 'the worker reloads');
run_job('text/after-reload.mp4');
ok((grep { /^\S+ debug job=\d+ tenant=\S+ fetched: attempt 1 / } log_lines($text_worker)),
	'after SIGHUP with log-level = debug, debug lines without a restart');
$env->stop_worker($text_worker);

# --- the journal ----------------------------------------------------------------
# The worker's stderr is its log file (FfrtmpCluster opens it for appending):
# JOURNAL_STREAM names that file's device and inode, as systemd names the
# journal's socket.
sub stream_of
{
	my ($path) = @_;
	append_to_file($path, '');
	my @st = stat $path or die "$path: $!";
	return "$st[0]:$st[1]";
}

my $journal_name = 'worker_logs-journal';
my $journal_log = $env->dir . "/$journal_name.log";
my $journal_worker;
{
	local $ENV{JOURNAL_STREAM} = stream_of($journal_log);
	$journal_worker = $env->start_worker(name => $journal_name, args => ['--log-level=debug']);
}
run_job('journal/out.mp4');
$env->stop_worker($journal_worker);
@lines = log_lines($journal_worker);
my @unprefixed = grep { !(/^<([3467])>(error|warning|info|debug) / && $1 == $priority{$2}) } @lines;
is_deeply(\@unprefixed, [], 'under the journal every line starts with its priority: <3> error ... <7> debug');
ok((grep { /^<7>debug / } @lines) && (grep { /^<6>info job=\d+ / } @lines), 'debug and info lines among them');
ok(!(grep { /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/ } map { substr($_, 0, 40) } @lines),
	'and no time of their own: the journal has one');

my $elsewhere_name = 'worker_logs-elsewhere';
my $elsewhere_worker;
{
	local $ENV{JOURNAL_STREAM} = stream_of($env->dir . '/not-stderr');
	$elsewhere_worker = $env->start_worker(name => $elsewhere_name, args => ['--log-format=json']);
}
$env->stop_worker($elsewhere_worker);
@lines = log_lines($elsewhere_worker);
ok(@lines && !(grep { !/^\{"time":"/ } @lines),
	'JOURNAL_STREAM naming another file (stderr redirected): plain lines, with their time');
ok(!(grep { /"level":"debug"/ } @lines), 'JSON at the default level (info): no debug line');

# --- wrong values: a usage error ------------------------------------------------
my $bad_config = $env->dir . '/bad.conf';
append_to_file($bad_config, "log-format = yaml\n");
my $conninfo = $env->conninfo;
for my $case ([ [ '--log-level=verbose', $conninfo ], qr/invalid log level "verbose": write debug, info, warning or error/ ],
	[ [ '--log-format=xml', $conninfo ], qr/invalid log format "xml": write text or json/ ],
	[ [ $conninfo, '--log-level' ], qr/option --log-level needs a value/ ],
	[ [ "--config=$bad_config", $conninfo ], qr/bad\.conf:1: invalid log format "yaml"/ ])
{
	my ($out, $err) = ('', '');
	my $what = join(' ', grep { $_ ne $conninfo } @{ $case->[0] });
	IPC::Run::run([ worker_bin(), @{ $case->[0] } ], '<', \undef, '>', \$out, '2>', \$err);
	is($? >> 8, 2, "$what: exit status 2 (usage)");
	like($err, $case->[1], "$what: says what is wrong");
}
$env->stop_all_workers;
# The webhook daemon shares the worker's log: under the journal its lines
# carry their priority too (a connection it cannot make is an error line).
SKIP:
{
	skip 'FFRTMP_WEBHOOKS does not name ffrtmp-webhooks', 2 unless $ENV{FFRTMP_WEBHOOKS} && -x $ENV{FFRTMP_WEBHOOKS};
	my $hooks_log = $env->dir . '/webhooks-journal.log';
	local $ENV{JOURNAL_STREAM} = stream_of($hooks_log);
	open my $err, '>>', $hooks_log or die "$hooks_log: $!";
	IPC::Run::run([ $ENV{FFRTMP_WEBHOOKS}, '--once', 'host=' . $env->dir . '/no-such-socket-dir port=1 connect_timeout=2' ],
		'<', \undef, '>', \my $out, '2>', $err);
	close $err;
	is($? >> 8, 1, 'ffrtmp-webhooks --once that cannot connect: exit 1');
	like(slurp_file($hooks_log), qr/^<3>error could not connect: /m,
		'its error line under the journal starts with <3> and no time');
}

done_testing();
