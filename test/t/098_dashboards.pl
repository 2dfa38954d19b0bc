# The Grafana dashboard (deploy/grafana/ffrtmp-overview.json) and the
# Prometheus alerting rules (deploy/prometheus/alerts.yml): the dashboard
# has what Grafana needs to import it (uid, title, a prometheus data source
# variable every query uses, a tenant variable, panels with ids once each and
# places on the grid that do not overlap) and the panels the operators need;
# every PromQL expression of both parses (promtool); each alert has its
# `for:`, severity, summary, description and a runbook in docs/monitoring.md,
# fires on series that should fire it and stays silent on neighbours
# (`promtool test rules` on alerts_test.yml); every metric they use is one of
# the catalogue, and, given scrapes of the exporter and the worker in
# FFRTMP_SCRAPES (file names, separated by spaces or colons), one of those
# really exports.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;
use JSON::PP;

my $dashboard_file = 'deploy/grafana/ffrtmp-overview.json';
my $rules_file = 'deploy/prometheus/alerts.yml';
my $rules_test_file = 'deploy/prometheus/alerts_test.yml';
for my $need ($dashboard_file, $rules_file, $rules_test_file, 'scripts/metric-names', 'docs/monitoring.md')
{
	skip_all_because "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}
skip_all_because 'YAML::XS is not installed (Debian: libyaml-libyaml-perl)'
  unless eval { require YAML::XS; 1 };
my $promtool = -x '/usr/bin/promtool' ? '/usr/bin/promtool' : undef;
my $dir = PostgreSQL::Test::Utils::tempdir('dashboards');

# run(COMMAND...): (ok, stdout and stderr).
sub run
{
	my $out = '';
	my $ok = IPC::Run::run(\@_, '>&', \$out);
	return ($ok, $out);
}

# The metrics of the catalogue that the metric lanes export: the dashboard
# and the rules may use these and nothing else (plus Prometheus's own `up`).
my %catalogue = map { $_ => 1 } qw(
  ffrtmp_tenants ffrtmp_tenants_active ffrtmp_tenant_quota_usage_ratio
  ffrtmp_tenant_api_requests_total ffrtmp_tenant_api_requests_refused_total
  ffrtmp_tenant_api_refusals_total
  ffrtmp_tenant_jobs ffrtmp_queue_depth ffrtmp_queue_oldest_age_seconds
  ffrtmp_dispatch_latency_seconds ffrtmp_job_duration_seconds
  ffrtmp_scheduler_leader ffrtmp_scheduler_epoch ffrtmp_scheduler_last_pass_age_seconds
  ffrtmp_scheduler_pass_duration_seconds ffrtmp_nodes ffrtmp_webhook_deliveries_total
  ffrtmp_worker_up ffrtmp_worker_connected ffrtmp_worker_slots ffrtmp_worker_running_jobs
  ffrtmp_worker_encode_frames_per_second ffrtmp_worker_encode_speed_ratio
  ffrtmp_worker_input_bytes_total ffrtmp_worker_output_bytes_total
  ffrtmp_worker_jobs_finished_total ffrtmp_worker_job_failures_total
  ffrtmp_worker_database_round_trip_seconds up);

# --- The dashboard's structure.
my $dash = decode_json(slurp_file($dashboard_file));
like($dash->{uid} // '', qr/^[a-zA-Z0-9_-]{1,40}$/, 'the dashboard has a uid Grafana accepts');
ok(length($dash->{title} // ''), 'the dashboard has a title');
ok(!defined $dash->{id}, 'no database id: Grafana gives one at import');
ok(($dash->{schemaVersion} // 0) >= 37 && $dash->{schemaVersion} <= 39,
	"schemaVersion $dash->{schemaVersion} is one of Grafana 10's");

my %vars = map { $_->{name} => $_ } @{ $dash->{templating}{list} // [] };
is($vars{datasource}{type}, 'datasource', 'a datasource variable');
is($vars{datasource}{query}, 'prometheus', 'it lists Prometheus data sources');
is($vars{tenant}{type}, 'query', 'a tenant variable from a query');
is($vars{tenant}{datasource}{uid}, '${datasource}', 'the tenant variable asks the chosen data source');
is(ref $vars{tenant}{query} ? $vars{tenant}{query}{query} : $vars{tenant}{query},
	'label_values(ffrtmp_tenant_jobs, tenant)', 'the tenant variable lists the tenants that have jobs');
ok($vars{tenant}{multi} && $vars{tenant}{includeAll}, 'several tenants or all can be chosen');

# One file for Grafana's import and for file provisioning: no __inputs (the
# import would ask for a data source and write its uid into the copy, but
# provisioning fills in no ${DS_...} placeholder); the datasource variable
# chooses when the dashboard is viewed, starting from none of the author's.
ok(!exists $dash->{__inputs}, 'no __inputs: the import page asks for no data source');
unlike(slurp_file($dashboard_file), qr/\$\{DS_/, 'no ${DS_...} placeholder, which provisioning would leave unresolved');
ok(!%{ $vars{datasource}{current} // {} }, 'the datasource variable names no data source of the author\'s Grafana');

my @panels = @{ $dash->{panels} };
push @panels, @{ $_->{panels} // [] } for @{ $dash->{panels} };
my (%ids, @exprs, @bad);
for my $p (@panels)
{
	my $name = "panel " . ($p->{id} // '?') . " ($p->{title})";
	push @bad, "$name: no id" unless defined $p->{id} && $p->{id} =~ /^\d+$/;
	push @bad, "$name: id used twice" if defined $p->{id} && $ids{ $p->{id} }++;
	my $g = $p->{gridPos} // {};
	push @bad, "$name: gridPos lacks h, w, x or y"
	  if grep { !defined $g->{$_} || $g->{$_} !~ /^\d+$/ } qw(h w x y);
	push @bad, "$name: wider than the grid's 24 columns" if ($g->{x} // 0) + ($g->{w} // 0) > 24;
	next if $p->{type} eq 'row';
	push @bad, "$name: no title" unless length($p->{title} // '');
	push @bad, "$name: not the datasource variable"
	  unless ($p->{datasource}{uid} // '') eq '${datasource}' && ($p->{datasource}{type} // '') eq 'prometheus';
	push @bad, "$name: no targets" unless @{ $p->{targets} // [] };
	my %refs;
	for my $t (@{ $p->{targets} // [] })
	{
		push @bad, "$name: a target without expr" unless length($t->{expr} // '');
		push @bad, "$name: refId used twice" if $refs{ $t->{refId} // '' }++;
		push @bad, "$name target $t->{refId}: not the datasource variable"
		  unless ($t->{datasource}{uid} // '') eq '${datasource}';
		push @exprs, $t->{expr} // '';
		push @bad, "$name: a tenant's metric not filtered by \$tenant: $t->{expr}"
		  if $t->{expr} =~ /ffrtmp_(?:jobs|tenant_)\w*/ && $t->{expr} !~ /tenant=~"\$tenant"/;
	}
}
is_deeply(\@bad, [], 'every panel has an id of its own, a place, the datasource variable and queries');

# No two panels share a cell of the grid.
my (%cell, @overlaps);
for my $p (@panels)
{
	my $g = $p->{gridPos};
	for my $y ($g->{y} .. $g->{y} + $g->{h} - 1)
	{
		for my $x ($g->{x} .. $g->{x} + $g->{w} - 1)
		{
			push @overlaps, "$p->{title} over $cell{$x,$y} at x=$x y=$y" if $cell{$x,$y};
			$cell{$x,$y} //= $p->{title};
		}
	}
}
is_deeply([ @overlaps[ 0 .. ($#overlaps < 4 ? $#overlaps : 4) ] ], [], 'no two panels overlap');

# What the operators asked for, each by the query that shows it.
my @wanted = (
	[ 'quota utilisation per tenant', qr/ffrtmp_tenant_quota_usage_ratio\{tenant=~"\$tenant"\}/ ],
	[ 'usage per tenant', qr/sum by \(tenant\).*ffrtmp_tenant_jobs\{/ ],
	[ 'queue depth', qr/ffrtmp_queue_depth/ ],
	[ 'oldest queued age', qr/ffrtmp_queue_oldest_age_seconds/ ],
	[ 'throughput from the database', qr/rate\(ffrtmp_job_duration_seconds_count\[/ ],
	[ 'throughput from the workers', qr/rate\(ffrtmp_worker_jobs_finished_total\[/ ],
	[ 'dispatch latency quantiles', qr/histogram_quantile\(0\.\d+, .*ffrtmp_dispatch_latency_seconds_bucket/ ],
	[ 'active tenants', qr/ffrtmp_tenants_active/ ],
	[ 'suspended tenants', qr/ffrtmp_tenants\) - max\(ffrtmp_tenants_active/ ],
	[ 'top consumers', qr/topk\(\d+, .*tenant/ ],
	[ 'nodes by state', qr/by \(state\) \(ffrtmp_nodes\)/ ],
	[ 'workers up', qr/ffrtmp_worker_up/ ],
	[ 'workers ready', qr/ffrtmp_worker_connected/ ],
	[ 'failure classes', qr/sum by \(class\) \(rate\(ffrtmp_worker_job_failures_total/ ],
	[ 'API requests per tenant', qr/by \(tenant\) \(rate\(ffrtmp_tenant_api_requests_total/ ],
	[ 'API 429s per tenant', qr/by \(tenant\) \(rate\(ffrtmp_tenant_api_requests_refused_total/ ],
);
for my $w (@wanted)
{
	ok((grep { $_ =~ $w->[1] } @exprs), "the dashboard shows $w->[0]");
}

# --- The rules' structure, and a runbook section for each alert.
my $rules = YAML::XS::Load(slurp_file($rules_file));
my $tests = YAML::XS::Load(slurp_file($rules_test_file));
my %anchors = map { lc(s/[^\w\- ]//gr =~ s/ /-/gr) => 1 }
  slurp_file('docs/monitoring.md') =~ /^#+\s+(.+?)\s*$/mg;
my (%fires, %silent);
for my $t (@{ $tests->{tests} })
{
	for my $case (@{ $t->{alert_rule_test} // [] })
	{
		(@{ $case->{exp_alerts} // [] } ? $fires{ $case->{alertname} } : $silent{ $case->{alertname} })++;
	}
}
my @alerts = map { @{ $_->{rules} } } @{ $rules->{groups} };
for my $a (grep { $_->{alert} } @alerts)
{
	my $name = $a->{alert};
	my @wrong;
	push @wrong, 'no for:' unless ($a->{for} // '') =~ /^\d+[smh]$/;
	push @wrong, 'severity not critical, warning or info'
	  unless ($a->{labels}{severity} // '') =~ /^(critical|warning|info)$/;
	push @wrong, "no $_" for grep { !length($a->{annotations}{$_} // '') } qw(summary description);
	my ($anchor) = ($a->{annotations}{runbook_url} // '') =~ m{^docs/monitoring\.md#(.+)$};
	push @wrong, 'runbook_url is not a section of docs/monitoring.md' unless $anchor && $anchors{$anchor};
	push @wrong, 'alerts_test.yml has no case where it fires' unless $fires{$name};
	push @wrong, 'alerts_test.yml has no case where it stays silent' unless $silent{$name};
	is_deeply(\@wrong, [], "alert $name: for, severity, annotations, runbook, tests");
}
my @rule_exprs = map { $_->{expr} } grep { $_->{alert} } @alerts;
for my $w (
	[ 'scheduler leaderless', qr/ffrtmp_scheduler_leader\) == 0 or absent\(ffrtmp_scheduler_leader\)/ ],
	[ 'scheduler passes too old',
	  qr/max\(ffrtmp_scheduler_last_pass_age_seconds\s+and on\(job, instance\) \(ffrtmp_scheduler_leader == 1\)\) >/ ],
	[ 'queue age per queue', qr/ffrtmp_queue_oldest_age_seconds\{queue="live"\} >/ ],
	[ 'tenant at quota', qr/ffrtmp_tenant_quota_usage_ratio >= 1/ ],
	[ 'node flapping', qr/changes\(ffrtmp_nodes\{state="online"\}/ ],
	[ 'worker restarts', qr/resets\(ffrtmp_worker_/ ],
	[ 'worker down', qr/up\{job="ffrtmp-worker"\} == 0/ ],
	[ 'webhook failures', qr/ffrtmp_webhook_deliveries_total\{outcome="failed"\}/ ])
{
	ok((grep { $_ =~ $w->[1] } @rule_exprs), "an alert for $w->[0]");
}

# --- promtool: the rules, their unit tests, every expression of both.
SKIP:
{
	skip_because 'promtool is not installed (Debian: prometheus)', 5 unless $promtool;
	my ($ok, $out) = run($promtool, 'check', 'rules', $rules_file);
	ok($ok, 'promtool check rules accepts alerts.yml') or diag($out);
	($ok, $out) = run($promtool, 'test', 'rules', $rules_test_file);
	ok($ok, 'promtool test rules: each alert fires where it should and only there') or diag($out);

	# Each expression becomes a recording rule, which promtool parses.
	my ($eok, $lines) = run('scripts/metric-names', '--exprs');
	ok($eok, 'scripts/metric-names --exprs') or diag($lines);
	my @all = map { [ split /\t/ ] } split /\n/, $lines;
	my $json = JSON::PP->new->canonical;
	my $write = sub {
		my ($file, @rows) = @_;
		my $n = 0;
		my @rules = map { { record => 'ffrtmp_check:expr_' . ++$n, expr => $_->[2] } } @rows;
		PostgreSQL::Test::Utils::append_to_file($file,
			$json->encode({ groups => [ { name => 'expressions', rules => \@rules } ] }));
	};
	$write->("$dir/exprs.yml", @all);
	($ok, $out) = run($promtool, 'check', 'rules', "$dir/exprs.yml");
	ok($ok && @all > 40, scalar(@all) . ' expressions of the dashboard and the rules parse')
	  or diag($out, "\n", $lines);
	# The same check catches an expression that does not parse.
	$write->("$dir/broken.yml", [ '', '', 'sum by (queue (ffrtmp_queue_depth)' ]);
	($ok, $out) = run($promtool, 'check', 'rules', "$dir/broken.yml");
	ok(!$ok && $out =~ /parse error/, 'promtool refuses an expression that does not parse') or diag($out);
}

# --- The metric names.
my ($ok, $out) = run('scripts/metric-names');
ok($ok, 'scripts/metric-names lists the metrics used') or diag($out);
my @names = split /\n/, $out;
note("metrics the dashboard and the rules use:\n", map { "  $_\n" } @names);
is_deeply([ grep { !$catalogue{$_} } @names ], [], 'every one is in the metric catalogue');
is_deeply([ grep { !/^ffrtmp_/ || /_(bucket|sum|count)$/ } grep { $_ ne 'up' } @names ], [],
	'base names with the ffrtmp_ prefix');

SKIP:
{
	my @scrapes = grep { length } split /[\s:]+/, $ENV{FFRTMP_SCRAPES} // '';
	skip 'FFRTMP_SCRAPES names no scrapes of the exporter and the worker', 1 unless @scrapes;
	($ok, $out) = run('scripts/metric-names', map { ('--check', $_) } @scrapes);
	ok($ok && $out eq '', "every metric used is exported (scrapes: @scrapes)")
	  or diag("used but exported by none of them:\n$out");
}

done_testing();
