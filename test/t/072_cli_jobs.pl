# The command-line client's jobs commands against a real cluster and the
# real ffrtmp-worker (docs/cli.md): submit (its --param values typed as the
# encode-parameter table wants them), list, get by id and by #N, history,
# hold, release, cancel, retry and logs in table and JSON form, the JSON
# parsed and its values checked against the SQL API's; the error paths (an
# unknown job, a malformed one, a viewer key cancelling, a quota exceeded);
# submit --wait; during a real transcode, `jobs watch` and `jobs logs
# --follow` under a pseudo-terminal (script(1)), the screen captured and
# checked, beside their plain-line form when stdout is a pipe; pause and
# resume of a running job, seen by `jobs watch` without ids, which runs
# until interrupted, or until its API key is revoked.
#
# The binary is the build tree's, handed over by scripts/test.sh as FFRTMP_CLI.
use strict;
use warnings;
use File::Basename ();
use IPC::Run;
use JSON::PP;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use FfrtmpRest;
use PostgreSQL::Test::Utils;
use Test::More;

my $cli = $ENV{FFRTMP_CLI} or BAIL_OUT('FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)');
my $env = FfrtmpCluster->new('cli_jobs');
my $node = $env->node;
my $dsn = $env->conninfo;

# ffrtmp(@args) with %ENV plus $env: (exit code, stdout, stderr), no terminal.
sub ffrtmp
{
	my ($vars, @args) = ref $_[0] eq 'HASH' ? @_ : ({}, @_);
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %$vars);
	IPC::Run::run([ $cli, @args ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# As the cluster's superuser (an administrator) acting on tenant acme.
sub admin { ffrtmp({}, "--dsn=$dsn", '--tenant=acme', @_) }

sub json_of
{
	my ($what, @args) = @_;
	my ($rc, $out, $err) = admin(@args, '--output=json');
	is($rc, 0, "$what: exit 0") or diag($err);
	return eval { decode_json($out) } // do { fail("$what: one JSON document"); diag($out); {} };
}

sub sql { $env->sql(shift) }

# --- submit, list, get, history ------------------------------------------------
# No worker yet: the jobs stay queued while the commands look at them.
my ($rc, $out, $err) = admin(qw(jobs submit --input=testsrc://320x240@30?duration=2 --output-url=cli/a.mp4),
	qw(--param=video_codec=h264 --param=crf=30 --priority=5));
is($rc, 0, 'jobs submit: exit 0') or diag($err);
my ($a_id) = $out =~ /^id\s+(\d+)$/m;
ok($a_id, 'it shows the new job, one field a line, with its id');
like($out, qr/^state\s+queued$/m, 'queued');
is(sql("SELECT params->'crf' FROM ffrtmp.jobs WHERE id = $a_id"), '30', '--param=crf=30 is the JSON number 30');
is(sql("SELECT params->>'video_codec' FROM ffrtmp.jobs WHERE id = $a_id"), 'h264', 'and a word a string');
is(sql("SELECT priority FROM ffrtmp.jobs WHERE id = $a_id"), '5', '--priority is passed');

my $bj = json_of('jobs submit --output=json', qw(jobs submit --input=testsrc://320x240@30?duration=2 --output-url=cli/b.mp4),
	'--params={"video_codec":"h264","crf":28}', qw(--queue=batch --max-attempts=2));
is($bj->{state}, 'queued', 'the JSON object is the queued job');
is($bj->{queue}, 'batch', '--queue is passed');
is($bj->{max_attempts}, 2, '--max-attempts is passed, a number');
is_deeply($bj->{params}, decode_json(sql("SELECT params FROM ffrtmp.jobs WHERE id = $bj->{id}")),
	'--params is the job\'s parameters, as the server stored them');

# --output: the answer's format when its value is table or json, else (on
# submit) the job's output, as the issue spells it; --output-url is the
# spelling that never means the format.
my $cj = json_of('jobs submit --output=URL', qw(jobs submit --input=testsrc://320x240@30?duration=2 --output=cli/c.mp4));
like($cj->{output_url}, qr{cli/c\.mp4$}, '--output=URL is the job\'s output, --output=json the format');
($rc, $out, $err) = admin(qw(jobs submit --input=testsrc://320x240@30?duration=2 --output cli/d.mp4));
is($rc, 0, '--output URL (two words): exit 0') or diag($err);
like($out, qr{^output_url\s+\S*cli/d\.mp4$}m, 'the job\'s output, shown as a table');
my $ej = json_of('jobs submit --output json', qw(jobs submit --input=testsrc://320x240@30?duration=2 --output json));
is($ej->{state}, 'queued', '--output json on submit is the format: a JSON answer');
unlike($ej->{output_url} // '', qr{/json$}, 'not an output named "json" (the server chose the output)');
my $lj = json_of('jobs submit --output-url=json', qw(jobs submit --input=testsrc://320x240@30?duration=2 --output-url=json));
like($lj->{output_url}, qr{json$}, 'an output literally named "json" is --output-url=json');
($rc, $out, $err) = ffrtmp("--dsn=$dsn", '--tenant=acme', '--format=json', qw(jobs get), $cj->{id});
is($rc, 0, '--format=json: exit 0') or diag($err);
is(eval { decode_json($out)->{id} }, $cj->{id}, '--format=json is the format, whatever the command');
($rc, $out, $err) = admin(qw(jobs submit --input=testsrc://320x240@30?duration=2 --output=cli/e.mp4 --output-url=cli/f.mp4));
is($rc, 2, '--output=URL and --output-url together: exit 2');
like($err, qr/give one/, 'one output, named once');
($rc, $out, $err) = admin(qw(jobs list --output=cli/g.mp4));
is($rc, 2, '--output=URL on a command without an output: exit 2');
like($err, qr/--output must be table or json .*"cli\/g\.mp4"/, 'it says --output is the format there');
is(sql(q{SELECT count(*) FROM ffrtmp.jobs WHERE output_url LIKE '%cli/e.mp4' OR output_url LIKE '%cli/f.mp4'}), '0',
	'and nothing was submitted');
sql(q{SELECT ffrtmp.cancel_job(id) FROM ffrtmp.jobs WHERE id > } . $bj->{id});

($rc, $out, $err) = admin(qw(jobs list));
is($rc, 0, 'jobs list: exit 0');
like($out, qr/^id\s+seq\s+tenant_name\s+state\s+queue\s+priority\s+percent\s+input_url/m, 'a header line');
like($out, qr/^\Q$a_id\E\s+1\s+acme\s+queued\s+default\s+5\s/m, 'one aligned row a job');
my $list = json_of('jobs list --output=json', qw(jobs list));
is_deeply([ sort { $a <=> $b } map { $_->{id} } @$list ],
	[ sort { $a <=> $b } split /\n/, sql(q{SELECT id FROM ffrtmp.tenant_jobs('acme')}) ],
	'the JSON array holds every job tenant_jobs lists');
$list = json_of('jobs list --limit=1', qw(jobs list --state=queued --limit=1));
is_deeply([ map { $_->{id} } @$list ], [ $bj->{id} ], '--state and --limit: the newest queued job only');
$list = json_of('jobs list --state=completed', qw(jobs list --state=completed));
is_deeply($list, [], 'no completed job: an empty array');

my $g = json_of('jobs get', 'jobs', 'get', $a_id);
is($g->{id}, $a_id, 'jobs get: the job');
is($g->{tenant_name}, 'acme', 'with its tenant\'s name (get_job)');
my $s = json_of('jobs get #N', 'jobs', 'get', '#2');
is($s->{id}, $bj->{id}, '#2 is the tenant\'s second job (job_id)');
($rc, $out, $err) = admin('jobs', 'get', $a_id);
like($out, qr/^input_url\s+testsrc:\/\/320x240\@30\?duration=2$/m, 'jobs get in table form');

my $h = json_of('jobs history', 'jobs', 'history', $a_id);
is($h->[0]{to_state}, 'queued', 'jobs history: its submission first');

# --- hold, release, cancel, retry ----------------------------------------------
is(json_of('jobs hold', 'jobs', 'hold', $a_id)->{state}, 'held', 'jobs hold holds it');
is(sql("SELECT state FROM ffrtmp.jobs WHERE id = $a_id"), 'held', 'as the server says');
is(json_of('jobs release', 'jobs', 'release', "#1")->{state}, 'queued', 'jobs release #1 releases it');
($rc, $out, $err) = admin('jobs', 'release', $a_id);
is($rc, 1, 'releasing a job that is not held: exit 1');
like($err, qr/^ffrtmp: error: .+\nHINT: .+/m, 'with the server\'s message and hint');
like($err, qr/PT409/, 'and its SQLSTATE');
is(json_of('jobs cancel', 'jobs', 'cancel', $bj->{id})->{state}, 'canceled', 'jobs cancel cancels it');
($rc, $out, $err) = admin('jobs', 'retry', $bj->{id});
is($rc, 0, 'jobs retry: exit 0') or diag($err);
like($out, qr/^state\s+queued$/m, 'the job is queued again');
json_of('jobs cancel', 'jobs', 'cancel', $bj->{id});

# --- errors --------------------------------------------------------------------
($rc, $out, $err) = admin(qw(jobs get 999999));
is($rc, 1, 'an unknown job: exit 1');
like($err, qr/job 999999 does not exist/, 'with the server\'s message');
like($err, qr/PT404/, 'and SQLSTATE');
is($out, '', 'nothing on stdout');
($rc, $out, $err) = admin('jobs', 'get', '#999');
is($rc, 1, 'an unknown job number: exit 1');
($rc, $out, $err) = admin(qw(jobs get twelve));
is($rc, 2, 'a job that is neither an id nor #N: exit 2 (usage)');
($rc, $out, $err) = admin(qw(jobs submit --output-url=x.mp4));
is($rc, 2, 'submit without --input: exit 2');

my $viewer = FfrtmpRest::api_key($node, 'viewer', 'acme', 'viewer');
($rc, $out, $err) = ffrtmp("--dsn=$dsn", "--api-key=$viewer", 'jobs', 'cancel', $a_id);
is($rc, 1, 'a viewer key cancelling a job: exit 1');
like($err, qr/42501/, 'permission denied (42501)');
is(sql("SELECT state FROM ffrtmp.jobs WHERE id = $a_id"), 'queued', 'and the job is still queued');
($rc, $out, $err) = ffrtmp("--dsn=$dsn", "--api-key=$viewer", '-o', 'json', 'jobs', 'get', $a_id);
is($rc, 0, 'the viewer may read it');
is(decode_json($out)->{id}, $a_id, 'through its key');

sql(q{SELECT ffrtmp.create_tenant('tiny'); SELECT ffrtmp.update_tenant('tiny', quotas => '{"max_jobs": 1}')});
($rc, $out, $err) = ffrtmp("--dsn=$dsn", qw(jobs submit --tenant=tiny --input=testsrc://320x240@30?duration=2 --output-url=t/1.mp4));
is($rc, 0, 'a tenant\'s first job within max_jobs 1') or diag($err);
($rc, $out, $err) = ffrtmp("--dsn=$dsn", qw(jobs submit --tenant=tiny --input=testsrc://320x240@30?duration=2 --output-url=t/2.mp4));
is($rc, 1, 'its second: exit 1 (quota exceeded)');
my ($sql_rc, $sql_out, $sql_err) = $node->psql('postgres',
	q{SELECT ffrtmp.submit_job('testsrc://320x240@30?duration=2', output_url => 't/3.mp4', tenant => 'tiny')});
my ($message) = $sql_err =~ /ERROR:\s+(.*)/;
like($err, qr/^ffrtmp: error: \Q$message\E$/m, 'the server\'s message, as psql shows it');
like($err, qr/^HINT: \S/m, 'and its hint');
is(sql(q{SELECT count(*) FROM ffrtmp.tenant_jobs('tiny')}), '1', 'and no second job');

# --- a real transcode: --wait, watch and logs --follow -------------------------
sql("SELECT ffrtmp.cancel_job($a_id)");
my $worker = $env->start_worker;

my $w = json_of('jobs submit --wait', qw(jobs submit --wait --input=testsrc://320x240@30?duration=2 --output-url=cli/w.mp4),
	'--param=video_codec=h264');
is($w->{state}, 'completed', 'submit --wait returns the job once completed');
is($w->{percent}, 100, 'its percent: 100 once completed');
ok(-f $env->output_path('cli/w.mp4'), 'and its output is there');
srand(14);
append_to_file($env->input_root . '/random.mp4', pack('C*', map { int rand 256 } 1 .. 65536));
($rc, $out, $err) = admin('jobs', 'submit', '--wait', '--input=file://' . $env->input_root . '/random.mp4',
	qw(--output-url=cli/x.mp4 --max-attempts=1));
is($rc, 1, 'submit --wait of a job that fails: exit 1');
like($out, qr/^state\s+failed$/m, 'it shows the job as it ended');
like($err, qr/did not complete/, 'and says so');

# About 20 s of video at a slow preset: several seconds of running to watch.
my ($long_rc, $long) = admin(qw(jobs submit --input=testsrc://640x360@30?duration=20 --output-url=cli/long.mp4),
	qw(--param=video_codec=h264 --param=encoder_preset=medium --param=format=mp4 --max-attempts=1 -o json));
my $id = decode_json($long)->{id};

# Under a pseudo-terminal (script -q -c CMD /dev/null): what a person sees.
sub in_terminal
{
	my ($vars, @args) = @_;
	my $cmd = join(' ', map { my $a = $_; $a =~ s/'/'\\''/g; "'$a'" } $cli, "--dsn=$dsn", '--tenant=acme', @args);
	$cmd = "stty cols $vars->{COLUMNS} rows 24; $cmd" if $vars->{COLUMNS};
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, TERM => 'xterm', %$vars);
	delete $ENV{NO_COLOR} unless exists $vars->{NO_COLOR};
	return IPC::Run::start([ 'script', '-q', '-e', '-c', $cmd, '/dev/null' ], '<', \'', '>', \$out, '2>', \$err,
		IPC::Run::timeout(300)), \$out;
}
my ($watch_tty, $watch_screen) = in_terminal({}, 'jobs', 'watch', $id);
my ($mono_tty, $mono_screen) = in_terminal({ NO_COLOR => '1' }, 'jobs', 'watch', $id);
my ($follow_tty, $follow_screen) = in_terminal({}, 'jobs', 'logs', $id, '--follow');
my ($narrow_tty, $narrow_screen) = in_terminal({ COLUMNS => 60 }, 'jobs', 'watch', $id, $id);
my ($plain_out, $follow_out, $json_out) = ('', '', '');
my $plain = IPC::Run::start([ $cli, "--dsn=$dsn", '--tenant=acme', 'jobs', 'watch', $id ], '<', \'', '>', \$plain_out, '2>', \my $e1, IPC::Run::timeout(300));
my $follow = IPC::Run::start([ $cli, "--dsn=$dsn", '--tenant=acme', 'jobs', 'logs', $id, '--follow' ], '<', \'', '>', \$follow_out, '2>', \my $e2, IPC::Run::timeout(300));
my $json_watch = IPC::Run::start([ $cli, "--dsn=$dsn", '--tenant=acme', '-o', 'json', 'jobs', 'watch', $id ], '<', \'', '>', \$json_out, '2>', \my $e3, IPC::Run::timeout(300));
for my $h ($watch_tty, $mono_tty, $follow_tty, $narrow_tty, $plain, $follow, $json_watch)
{
	$h->finish;
	is($h->full_result(0) >> 8, 0, 'each watcher ends when the job ends, with exit 0');
}
my $job = $env->wait_job($id, timeout => 10);
is($job->{state}, 'completed', 'the watched job completed');

# The terminal: bars redrawn in place, with colour.
like($$watch_screen, qr/\e\[\d+A/, 'on a terminal the lines are redrawn in place (cursor up)');
like($$watch_screen, qr/\e\[2K/, 'each line cleared before it is drawn again');
like($$watch_screen, qr/job \Q$id\E \(acme #\d+\)  \e\[36mrunning\s*\e\[0m  \[#*-*\]\s+\d+\.\d%  [\d.]+ fps  [\d.]+x  ETA \d\d:\d\d:\d\d/,
	'a running line: state in colour, a bar, percent, fps, speed and ETA');
like($$watch_screen, qr/\e\[2Kjob \Q$id\E \(acme #\d+\)  \e\[32mcompleted\e\[0m\r?\n$/, 'the last screen: the job completed, in green');
unlike($$mono_screen, qr/\e\[3\dm/, 'NO_COLOR: no colour');
like($$mono_screen, qr/\e\[\d+A/, 'but still redrawn in place');
like($$mono_screen, qr/running\s+\[#*-*\]\s+\d+\.\d%/, 'a running line with its percent');

# A terminal 60 columns wide: a narrower bar, and no line wraps (which would
# throw the redraw off); a job named twice is shown once.
(my $narrow = $$narrow_screen) =~ s/\e\[[0-9;]*[A-Za-z]//g;
my @shown = grep { /\S/ } split /\r?\n|\r/, $narrow;
ok(@shown && !(grep { length > 59 } @shown), 'on 60 columns every line is at most 59 wide') or diag(join("\n", @shown));
ok((grep { /running\s+\[#*-*\]/ } @shown), 'running lines with a bar');
unlike($narrow, qr/\[[#-]{30}\]/, 'narrower than 30');
unlike($$narrow_screen, qr/\e\[2A/, 'one line per job, though named twice');

# Not a terminal: plain lines, one a change, no escape codes.
unlike($plain_out, qr/\e/, 'through a pipe: no escape code');
my @lines = split /\n/, $plain_out;
cmp_ok(scalar(grep { /running .*\d+\.\d%/ } @lines), '>=', 1, 'plain lines of the running job with a percent');
like($lines[-1], qr/^job \Q$id\E \(acme #\d+\)  completed$/, 'the last line: completed');
my %once;
ok(!(grep { $once{$_}++ } @lines), 'no line repeated: one a change');
my @objects = map { decode_json($_) } split /\n/, $json_out;
is($objects[-1]{state}, 'completed', '--output=json: one object a line, the last completed');
is($objects[-1]{id}, $id, 'of the job');

# logs --follow: every line of the attempt as they came, through the end.
my $logged = sql("SELECT count(*) FROM ffrtmp.job_logs($id)");
my @followed = split /\n/, $follow_out;
is(scalar(@followed), $logged, 'logs --follow printed every line of the job\'s log');
like($followed[-1], qr/^#1 .*info\s+worker\s+attempt 1 completed in/, 'the last: the attempt completed');
like($$follow_screen, qr/attempt 1 completed in/, 'on a terminal too');

($rc, $out, $err) = admin('jobs', 'logs', $id);
like($out, qr/^attempt_no\s+line\s+logged_at\s+level\s+source\s+message/m, 'jobs logs: a table');
my $logs = json_of('jobs logs --attempt=1', 'jobs', 'logs', $id, '--attempt=1');
is(scalar(@$logs), $logged, 'every line of attempt 1 in JSON');
is($logs->[-1]{source}, 'worker', 'each with its source');

# --follow of one attempt that has ended: its lines, then the end at once.
($rc, $out, $err) = admin('jobs', 'logs', $id, '--follow', '--attempt=1');
is($rc, 0, 'logs --follow --attempt=1 of an ended attempt: exit 0') or diag($err);
is(scalar(split /\n/, $out), $logged, 'every line of it');

# --- pause and resume a running job; watch without ids until interrupted -------
my ($p_rc, $p_json) = admin(qw(jobs submit --input=testsrc://640x360@30?duration=60 --output-url=cli/paused.mp4),
	qw(--param=video_codec=h264 --param=encoder_preset=medium --param=format=mp4 --max-attempts=1 -o json));
my $pid = decode_json($p_json)->{id};
my $all_out = '';
# Started with SIGINT ignored, as a shell without job control starts a
# background command: the watch must end at SIGINT all the same.
my $all = do
{
	local $SIG{INT} = 'IGNORE';
	IPC::Run::start([ $cli, "--dsn=$dsn", 'jobs', 'watch' ], '<', \'', '>', \$all_out, '2>', \my $e4,
		IPC::Run::timeout(300));
};
ok(wait_until(sub { $all->pump_nb; $all_out =~ /^job \Q$pid\E \(acme #\d+\)  running\s+\[#*-*\]\s+\d+\.\d%/m }, 120),
	'watch without ids shows the running job with its progress') or diag($all_out);
my $paused = json_of('jobs pause', 'jobs', 'pause', $pid);
is($paused->{state}, 'paused', 'jobs pause pauses it');
ok(wait_until(sub { $all->pump_nb; $all_out =~ /^job \Q$pid\E .*paused/m }, 30),
	'then paused') or diag($all_out);
$all->signal('INT');
$all->finish;
ok(($all->full_result(0) & 127) == 2, 'and runs until interrupted (SIGINT)');
is(json_of('jobs resume', 'jobs', 'resume', $pid)->{state}, 'running', 'jobs resume resumes it');
($rc, $out, $err) = admin('jobs', 'resume', $pid);
is($rc, 1, 'resuming a running job: exit 1');
like($err, qr/PT409/, 'the server says it is not paused');
# A watch without ids, not on a terminal: a job it has shown that ends
# gets one final line with its final state, as with ids (it used to vanish).
my $fin_out = '';
my $fin = IPC::Run::start([ $cli, "--dsn=$dsn", 'jobs', 'watch' ], '<', \'', '>', \$fin_out, '2>', \my $e6,
	IPC::Run::timeout(300));
ok(wait_until(sub { $fin->pump_nb; $fin_out =~ /^job \Q$pid\E .*running/m }, 60),
	'a watch without ids shows the resumed job') or diag($fin_out);
is(json_of('jobs cancel', 'jobs', 'cancel', $pid)->{state}, 'canceled', 'jobs cancel stops the running job');
ok(wait_until(sub { $fin->pump_nb; $fin_out =~ /^job \Q$pid\E \(acme #\d+\)  canceled/m }, 30),
	'the watch without ids prints its final line: canceled') or diag($fin_out);
$fin->signal('INT');
$fin->finish;
my @finals = $fin_out =~ /^job \Q$pid\E .*canceled/mg;
is(scalar @finals, 1, 'one final line, not one a poll');

# Each poll is a transaction of its own, the key authenticated again: a
# watch with a key that is revoked stops at its next poll.
my $op = FfrtmpRest::api_key($node, 'watcher', 'acme', 'operator');
my ($key_id) = $op =~ /^ffrtmp_([0-9a-f]+)_/;
my $key_err = '';
my $keyed = do
{
	# Its own application_name, to find its session below.
	local $ENV{PGAPPNAME} = 'ffrtmp-keyed-watch';
	IPC::Run::start([ $cli, "--dsn=$dsn", "--api-key=$op", 'jobs', 'watch' ], '<', \'', '>', \my $o5, '2>', \$key_err,
		IPC::Run::timeout(120));
};
sleep 2;
ok($keyed->pumpable, 'a watch with a key runs');
# Its polls are transactions on one connection, not a connection each.
my $session = q{SELECT string_agg(pid || ' ' || backend_start, ', ') FROM pg_stat_activity
 WHERE application_name = 'ffrtmp-keyed-watch'};
my $first = '';
wait_until(sub { ($first = sql($session)) ne '' }, 10);
like($first, qr/^\d+ [^,]+$/, 'the watch has a session');
sleep 3;
is(sql($session), $first, 'the watch polls on one connection, the same session 3 s later');
sql("SELECT ffrtmp.revoke_api_key('$key_id')");
ok(wait_until(sub { $keyed->pump_nb if $keyed->pumpable; !$keyed->pumpable }, 30), 'and stops once the key is revoked');
$keyed->finish;
is($keyed->full_result(0) >> 8, 1, 'exit 1');
like($key_err, qr/^ffrtmp: error: /m, 'with the server\'s refusal') or diag($key_err);

# watch of a job that has ended: one screen, at once.
($rc, $out, $err) = admin('jobs', 'watch', $id);
is($rc, 0, 'watching a completed job: exit 0 at once');
like($out, qr/completed/, 'showing it completed');
($rc, $out, $err) = admin(qw(jobs watch 999999));
is($rc, 1, 'watching an unknown job: exit 1');
like($err, qr/job 999999 does not exist/, 'it says so');
($rc, $out, $err) = admin('jobs', 'watch', $bj->{id});
is($rc, 1, 'watching a canceled job: exit 1 (it did not complete)');

$env->stop_all_workers;
# --help, the man page and the bash completion know every GROUP subcommand.
sub help_man_completion
{
	my ($grp, @want) = @_;
	my ($rc, $out) = ffrtmp("$grp", '--help');
	is($rc, 0, "ffrtmp $grp --help: exit 0");
	is_deeply([ $out =~ /^  (\w+) /mg ], \@want, "$grp: every subcommand");
	for my $sub (@want)
	{
		($rc, $out) = ffrtmp($grp, $sub, '--help');
		like($out, qr/^ffrtmp $grp $sub/, "ffrtmp $grp $sub --help: its synopsis");
	}
	my $dir = File::Basename::dirname($cli);
	my $man = slurp_file("$dir/ffrtmp.1");
	like($man, qr/$grp $_/, "the man page documents $grp $_") for @want;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'bash', '-c', 'source "$1"; COMP_WORDS=(ffrtmp "$2" ""); COMP_CWORD=2; _ffrtmp; printf "%s\n" "${COMPREPLY[@]}"',
		'bash', "$dir/ffrtmp.bash-completion", $grp ], '>', \$o, '2>', \$e);
	is_deeply([ sort split /\n/, $o ], [ sort @want ], "the completion completes every $grp subcommand");
}
help_man_completion('jobs', qw(submit list get history cancel retry hold release pause resume logs watch));

done_testing();
