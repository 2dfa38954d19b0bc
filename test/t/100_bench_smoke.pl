# make bench's harness (bench/run) at a tiny size: it starts its own cluster,
# runs the drain (ffrtmp's simulated nodes, pg-boss, graphile-worker), the
# latency, the submit and the scale measurements, and writes a RESULTS.md
# with every section, table and row a reader needs, and the PNG charts it
# links.  Structure only: no number is compared with anything (speed is
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
