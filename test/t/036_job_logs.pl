# A job's log in the database, written by the real ffrtmp-worker beside its
# progress reports: a job that fails on a file that is not media has
# libav's own reason among its lines; a good job has lines from start to
# completion; a damaged input whose decoder complains on every frame leaves
# at most 64 KiB, the oldest lines dropped and the newest kept.  No line
# quotes a path of the worker's machine, and only the job's tenant reads
# them.  get_job shows the latest progress of a running job, rounded.
use strict;
use warnings;
use FfrtmpCluster;
use FfrtmpMedia;
use FfrtmpProcess;
use PostgreSQL::Test::Utils;
use Test::More;

my $env = FfrtmpCluster->new('job_logs');
my $root = $env->input_root;
my $clip = make_clip("$root/clip.mp4", seconds => 2);
srand(4);
append_to_file("$root/random.mp4", pack('C*', map { int rand 256 } 1 .. 262144));

# A stream that decodes with errors on almost every frame (long enough for
# its complaints, about 38 bytes a line, to pass 64 KiB): h264 in MPEG-TS,
# one byte flipped in every third packet that carries only picture data
# (its timestamps, in the packets that start a picture, left whole).
my $ts = ffmpeg_make("$root/long.ts", [ '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30:duration=60' ],
	[ '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-f', 'mpegts' ]);
{
	my $data = slurp_file($ts);
	for (my $at = 50 * 188; $at + 188 <= length $data; $at += 3 * 188)
	{
		my ($sync, $flags, undef, $control) = unpack('C4', substr($data, $at, 4));
		next unless $sync == 0x47 && !($flags & 0x40) && (($control >> 4) & 3) == 1;
		substr($data, $at + 100, 1) = chr(ord(substr($data, $at + 100, 1)) ^ 0x55);
	}
	open(my $fh, '>:raw', $ts) or die "$ts: $!";
	print $fh $data;
	close $fh;
}

my $worker = $env->start_worker;
my $machine_path = qr{(?:^|[\s'"(\[=,:])/[\w.]};

sub log_rows
{
	my ($job, $attempt) = @_;
	my $filter = defined $attempt ? ", attempt => $attempt" : '';
	return [ map { [ split /\|/, $_, 6 ] } split /\n/,
		$env->sql("SELECT attempt_no, line, level, source, octet_length(message), message FROM ffrtmp.job_logs($job$filter)") ];
}

# --- a job that fails on a file that is not media -----------------------------
my $bad = $env->submit("file://$root/random.mp4", output => 'bad/random.mp4');
my $row = $env->wait_job($bad);
is($row->{failure_reason}, 'input_error', 'a file that is not media fails with input_error');
my $lines = log_rows($bad);
ok((grep { $_->[3] eq 'libav' && $_->[2] eq 'error' && $_->[5] =~ /moov atom not found/ } @$lines),
	'its log holds libav\'s own error line')
  or diag explain $lines;
ok((grep { $_->[3] eq 'worker' && $_->[5] =~ /^attempt 1 failed .*input_error/ } @$lines),
	'and the worker\'s line saying how the attempt ended');
is($lines->[0][5], 'started attempt 1', 'the first line is the start');
ok(!(grep { $_->[5] =~ $machine_path } @$lines), 'no line quotes a path of the worker\'s machine')
  or diag explain $lines;

# --- a good job --------------------------------------------------------------
my $good = $env->submit("file://$clip", output => 'good/clip.mp4');
is($env->wait_job($good)->{state}, 'completed', 'a good job completes');
$lines = log_rows($good, 1);
ok(@$lines >= 2, 'a good job has log lines');
like($lines->[-1][5], qr/^attempt 1 completed in [\d.]+ s: <output>$/,
	'the last says it completed, its output as <output>');
is_deeply([ map { $_->[1] } @$lines ], [ 1 .. scalar @$lines ], 'numbered from 1 without a gap');

# The job's tenant reads them, another tenant nothing.
$env->sql(q{SELECT ffrtmp.create_tenant('other', plan => 'pro');
            CREATE ROLE logs_acme; CREATE ROLE logs_other;
            SELECT ffrtmp.add_tenant_role('acme', 'logs_acme');
            SELECT ffrtmp.add_tenant_role('other', 'logs_other');});
ok($env->sql("SET ROLE logs_acme; SELECT count(*) FROM ffrtmp.job_logs($good)") > 0, 'the job\'s tenant reads them');
is($env->sql("SET ROLE logs_other; SELECT count(*) FROM ffrtmp.job_logs($good)"), 0, 'another tenant reads none');

# --- a long log, and progress for people while it runs ----------------------
my $long = $env->submit("file://$ts", output => 'long/out.mp4', params => { encoder_preset => 'medium' });
ok(wait_until(sub { $env->sql("SELECT percent IS NOT NULL FROM ffrtmp.get_job($long)") eq 't' }, 120),
	'get_job shows the running job\'s progress');
my ($fps, $speed, $percent, $eta) = split /\|/,
  $env->sql("SELECT fps, speed, percent, eta FROM ffrtmp.get_job($long)");
like("$fps $speed $percent", qr/^\d+\.\d \d+\.\d\d \d+\.\d$/, 'rounded: fps to 1 decimal, speed to 2, percent to 1')
  or diag "$fps $speed $percent";
like($eta // '', qr/^(?:\d\d:\d\d:\d\d)?$/, 'the time left in whole seconds') or diag $eta;
$row = $env->wait_job($long, timeout => 300);
ok($row->{state} =~ /^(completed|failed)$/, "the damaged input ends ($row->{state})");
$lines = log_rows($long);
my $bytes = 0;
$bytes += $_->[4] + 1 for @$lines;
ok($bytes <= 65536, "its log keeps at most 64 KiB ($bytes bytes in " . scalar(@$lines) . ' lines)');
ok($bytes > 60000, 'and nearly that much: the decoder complained a lot');
ok($lines->[0][1] > 1, "the oldest lines were dropped (the first kept is line $lines->[0][1])");
like($lines->[-1][5], qr/^attempt 1 (?:completed|failed)/, 'the newest line, the attempt\'s end, is kept');
ok((grep { $_->[3] eq 'libav' } @$lines), 'libav\'s complaints are there');
ok(!(grep { $_->[5] =~ $machine_path } @$lines), 'no line quotes a path of the worker\'s machine');

$env->stop_all_workers;
done_testing();
