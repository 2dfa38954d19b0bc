# make bench's harness (bench/run) at a tiny size: it starts its own cluster,
# runs the drain (ffrtmp's simulated nodes, pg-boss, graphile-worker), the
# profiled round, the latency, the submit and the scale measurements, and
# writes a RESULTS.md with every section, table and row a reader needs (the
# time of each step, the Goals table, "What bounds it"), and the PNG charts
# it links.  Structure only: no number is compared with anything (speed is
# measured in bench/, never asserted in a test).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

skip_all_because 'bench/ is not next to the tests (scripts/test.sh copies it)' unless -x 'bench/run';
for my $tool (qw(node gnuplot pgbench))
{
	skip_all_because "$tool is not installed (scripts/install-deps.sh)"
	  unless system("command -v $tool >/dev/null 2>&1") == 0;
}

my $out = PostgreSQL::Test::Utils::tempdir('bench');
my %tiny = (
	BUILD => 0, PORT => 5593, ROUNDS => 2, JOBS => 200, JOBS_1SLOT => 8, NODES => 4,
	NODES_SWEEP => '2 4', RATE => 50, SECONDS_PER_RUN => 2, DURATION => 1,
	CLIENTS_SWEEP => '1 2', BATCHES => 2, SCALE_QUEUED => 2000, SCALE_TENANTS => 20,
	SCALE_JOBS => 100, TRANSCODE => 0);
my $log = '';
my $ok = do
{
	local @ENV{ keys %tiny } = values %tiny;
	IPC::Run::run([ 'bench/run', '--quick', '--output', $out ], '>&', \$log);
};
ok($ok, 'bench/run --quick ends with status 0') or diag($log);

my $results = -e "$out/RESULTS.md" ? slurp_file("$out/RESULTS.md") : '';
like($results, qr/^# ffrtmp benchmark results$/m, 'RESULTS.md is written');
for my $row ('machine', 'load at the end', 'PostgreSQL', 'settings', 'pg-boss', 'graphile-worker', 'Node.js')
{
	like($results, qr/^\| \Q$row\E \| \S.* \|$/m, "the run's $row is recorded");
}
like($results, qr/^\| pg-boss \| 10\.1\.6 \|$/m, 'pg-boss is the pinned version');
like($results, qr/^\| graphile-worker \| 0\.16\.6 \|$/m, 'graphile-worker is the pinned version');

# Each measurement's section, with its rows holding numbers.
my $number = qr/-?[0-9]+(?:\.[0-9]+)?/;

# The time of the whole run and of each step.
my $took = qr/$number min(?: \(CPU $number min\))?/;
like($results,
	qr/^The run took $number min: drain $took, profile $took, latency $took, scale shallow $took, submit $took, scale deep $took /m,
	'the run and each step are timed');

# The Goals table: every goal of the issue, what the run measured, the verdict.
like($results, qr/^## Goals\n\n\| goal \| measured \| verdict \|$/m, 'the Goals table comes first');
ok(index($results, '## Goals') < index($results, '## Drain'), 'the Goals table is above the measurements');
for my $goal ('Drain: ffrtmp at least 2x pg-boss', 'Drain: ffrtmp at least 2x graphile-worker',
	'Latency: commit to fetch p50 under 5 ms', 'Latency: commit to fetch p99 under 20 ms',
	'Submit: submit_job at least 0.7x a plain INSERT', 'Submit: one busy tenant at least 0.4x',
	'Submit: submit_jobs batches at least 0.5x COPY', 'Scale: dispatch rate with the deep queue',
	'Scale: submit_job speed with the deep queue', 'Scale: sizes stable')
{
	like($results, qr/^\| \Q$goal\E[^|]* \| [^|]*$number[^|]* \| (?:met|short) \|$/m,
		"goal measured: $goal");
}
for my $goal ('Transcode: the worker within 3%', 'Transcode: the one-decode ladder')
{
	like($results, qr/^\| \Q$goal\E[^|]* \| not measured in this run \| - \|$/m,
		"goal listed though not run: $goal");
}

# What bounds it: the profiled drain round, the profiled submits, the latency's split.
like($results, qr/^## What bounds it$/m, 'section What bounds it');
for my $part (qw(Drain Submit Latency))
{
	like($results, qr/^### $part$/m, "what bounds it: $part");
}
like($results, qr/^\| per job \| ffrtmp-16b \| pg-boss \| graphile \|$/m,
	'profile: ffrtmp and the peers side by side, per job');
for my $row ('WAL bytes', 'WAL records', 'full-page images', 'rows inserted', 'rows updated', 'rows deleted')
{
	like($results, qr/^\| \Q$row\E \| $number \| $number \| $number \|$/m, "profile: $row per job");
}
like($results, qr/^\| of them HOT \| [0-9]+% \| (?:[0-9]+%|-) \| (?:[0-9]+%|-) \|$/m, 'profile: the HOT share');
like($results, qr/^\| relation locks per statement \(median, max of [0-9]+ samples\) \| $number, [0-9]+ \| - \| - \|$/m,
	'profile: the start_jobs statements\' relation locks');
like($results, qr/^\| of them off the fast path \(median, max\) \| $number, [0-9]+ \| - \| - \|$/m,
	'profile: how many of them are off the fast path');
my $waits = qr/[A-Za-z]+:[A-Za-z_]+ [0-9]+%(?:, [A-Za-z]+:[A-Za-z_]+ [0-9]+%)*/;
for my $system ('ffrtmp-16b', 'pg-boss', 'graphile', 'plain INSERT', 'submit_job, 10 tenants', 'submit_job, 1 tenant')
{
	like($results, qr/^- \Q$system\E: $waits\.$/m, "profile: the time of $system by wait event");
}
like($results, qr/^\| ffrtmp_data\.jobs \| [0-9]+ \| $number \/ $number \/ $number \/ $number \|$/m,
	'profile: WAL and rows per job of the jobs table');
like($results, qr/^\| statement \| level \| calls \| total ms \| mean ms \| share % \|$/m,
	'profile: the statements that took the most time');
like($results, qr/^\| per transaction \| plain INSERT \| submit_job, 10 tenants \| submit_job, 1 tenant \|$/m,
	'profile: the submits side by side, per transaction');
like($results, qr/^At $number jobs\/s the median job waited $number ms from its commit to the start of the pass/m,
	'profile: the latency split');
for my $section (qw(Drain Latency Submit Scale))
{
	like($results, qr/^## $section$/m, "section $section");
}
# Ratios against the single calls (ffrtmp-16) and the batched ones (ffrtmp-16b).
for my $system (qw(ffrtmp-16 ffrtmp-16b pg-boss graphile ffrtmp-1))
{
	like($results, qr/^\| $system \| $number(?: \| $number){5} \|$/m,
		"drain: $system has a median, ratios and its client's CPU share");
}
like($results, qr/^\| 2 \| $number $number $number(?: \| $number){5} \|$/m,
	'drain: the second round is listed with its load and each system');
like($results, qr/^\| median of the runs \(ms\) \| $number \| $number \| $number \| $number \|$/m,
	'latency: p50, p90, p99 and the largest');
like($results, qr/^\| 1 \| $number $number $number \| $number \| $number(?: \| $number){6} \|$/m,
	'latency: each run with its percentiles and where the time goes');
for my $workload ('plain INSERT', 'submit_job, 10 tenants', 'submit_job, 1 tenant', 'COPY, rows/s',
	'submit_jobs, jobs/s')
{
	like($results, qr/^\| \Q$workload\E \| $number \| $number \| $number \|/m, "submit: $workload");
}
like($results, qr/^\| shallow \| $number \| $number \| $number \|$/m, 'scale: the shallow queue');
like($results, qr/^\| deep \(20 tenants\) \| $number \| $number \| $number \|$/m, 'scale: the deep queue');
like($results, qr/^\| jobs \| .* \| $number \| $number \|$/m, 'scale: the jobs table with its updates');

# The charts: PNG files, each linked from RESULTS.md.
for my $chart (qw(throughput_nodes throughput_clients latency fairness))
{
	my $file = "$out/charts/$chart.png";
	my $head = -e $file ? substr(slurp_file($file), 0, 8) : '';
	is($head, "\x89PNG\r\n\x1a\n", "chart $chart is a PNG");
	like($results, qr/^!\[$chart\]\(charts\/$chart\.png\)$/m, "RESULTS.md links chart $chart");
}

done_testing();
