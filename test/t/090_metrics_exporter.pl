# The database's metrics served the two standard ways (docs/metrics.md): a
# real prometheus-postgres-exporter with deploy/prometheus/queries.yaml,
# connected as a login role in ffrtmp_monitor and scraped over loopback, its
# series checked against ffrtmp.metrics() and the tables; and a real
# Prometheus server scraping that exporter, queried through its HTTP API.
# Histograms count at commit: the jobs here are dispatched by the scheduler
# and finished in committed transactions, so their counts show.
use strict;
use warnings;
use Cwd qw(abs_path);
use HTTP::Tiny;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpNeed;
use FfrtmpProcess;
use FfrtmpRest;

for my $tool (qw(prometheus-postgres-exporter prometheus))
{
	skip_all_because("$tool is not installed") unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}
my $queries = abs_path('deploy/prometheus/queries.yaml');

my $node = FfrtmpRest::cluster('metrics', conf => "ffrtmp.scheduler_interval = '100ms'\n", sql => q{
	SELECT ffrtmp.create_tenant('acme', plan => 'basic');
	SELECT ffrtmp.create_tenant('globex', plan => 'free');
	SELECT ffrtmp.update_tenant('globex', status => 'suspended');
	SELECT ffrtmp.register_node('pool-1', cpu_cores => 8, slots => 2);
	CREATE ROLE scraper LOGIN IN ROLE ffrtmp_monitor;
});
my $dir = abs_path(PostgreSQL::Test::Utils::tempdir('metrics'));
my $sql = sub { $node->safe_psql('postgres', $_[0]) };

# A webhook on completed jobs: the two completions below queue two deliveries.
$sql->(q{SELECT ffrtmp.create_webhook('https://hooks.example.com/ffrtmp', '0123456789abcdef0123', ARRAY['completed'], tenant => 'acme')});

# Three jobs: two dispatched by the scheduler (2 slots) and finished, one left queued.
$sql->(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme') FROM generate_series(1, 3)});
ok(wait_until(sub { $sql->(q{SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'assigned'}) == 2 }, 30),
	'the scheduler assigns two jobs');
$sql->(q{UPDATE ffrtmp_data.jobs SET state = 'running', started_at = now() - interval '42 s' WHERE state = 'assigned'});
$sql->(q{UPDATE ffrtmp_data.jobs SET state = 'completed', finished_at = now() WHERE state = 'running'});
ok(wait_until(sub { $sql->(q{SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'assigned'}) == 1 }, 30),
	'and the third once they are done');
# A rolled-back assignment counts nothing.
$sql->(q{BEGIN; UPDATE ffrtmp_data.jobs SET state = 'canceled' WHERE state = 'assigned'; ROLLBACK});

# Deliveries end (as the daemon's finish_webhook_delivery ends them): one
# delivered, one failed; a rolled-back ending counts nothing.
is($sql->(q{SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE delivery_state = 'pending'}), 2,
	'two completions queue two deliveries');
$sql->(q{BEGIN; UPDATE ffrtmp_data.webhook_deliveries SET delivery_state = 'delivered'; ROLLBACK});
# So does one in a subtransaction rolled back, the transaction committing.
$sql->(q{BEGIN;
	SAVEPOINT s;
	UPDATE ffrtmp_data.webhook_deliveries SET delivery_state = 'failed' WHERE id = (SELECT min(id) FROM ffrtmp_data.webhook_deliveries);
	ROLLBACK TO s;
	UPDATE ffrtmp_data.webhook_deliveries SET delivery_state = 'delivered', finished_at = now()
	 WHERE id = (SELECT min(id) FROM ffrtmp_data.webhook_deliveries);
	COMMIT});
$sql->(q{UPDATE ffrtmp_data.webhook_deliveries SET delivery_state = 'failed', finished_at = now() WHERE delivery_state = 'pending'});
is($sql->(q{SELECT string_agg(outcome || '=' || total, ',' ORDER BY outcome) FROM ffrtmp_data.metric_webhook_deliveries()}),
	'delivered=1,failed=1', 'deliveries count by outcome at commit, the rolled-back ones (transaction, savepoint) not');

# A REST request whose path needs escaping in a label: quote, backslash.
my $key = FfrtmpRest::api_key($node, 'reader', 'acme', 'viewer');
my $path = '/rpc/a"b\\c';
is(FfrtmpRest::request($node, method => 'GET', path => $path, headers => { 'X-API-Key' => $key },
		sql => q{SELECT json_build_object('ok', true)})->{status}, 200, 'a REST request is counted');
# A refusal kept out of the server log: acme asks for a job that is not there.
is(FfrtmpRest::request($node, method => 'GET', path => '/rpc/get_job', headers => { 'X-API-Key' => $key },
		sql => q{SELECT ffrtmp.get_job(999999999)})->{status}, 404, 'a job not found is refused with 404');
# An administrator's refusal on a call naming acme: acme has no job number 999999999.
my (undef, undef, $admin_err) = $node->psql('postgres', q{SELECT ffrtmp.job_id(999999999, tenant => 'acme')});
like($admin_err, qr/ERROR/, 'an administrator asking for a number acme has not is refused');

my $counts = $sql->(q{SELECT string_agg(queue || '=' || count, ',' ORDER BY queue) FROM ffrtmp_data.metric_histograms()
                       WHERE metric = 'ffrtmp_dispatch_latency_seconds'});
is($counts, 'batch=0,default=3,live=0', 'three dispatches observed in the default queue, the rolled-back one not');
is($sql->(q{SELECT count || ' ' || buckets[array_position(le, 30)] || ' ' || buckets[array_position(le, 60)]
              FROM ffrtmp_data.metric_histograms() WHERE metric = 'ffrtmp_job_duration_seconds' AND queue = 'default'}),
	'2 0 2', 'two jobs of 42 s: in the 60 s bucket, not the 30 s one');

# The exporter, as the scraper role, on a free loopback port.
my $exporter_port = PostgreSQL::Test::Cluster::get_free_port();
$ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port . ' user=scraper dbname=postgres sslmode=disable';
my $exporter = start_background(
	[ 'prometheus-postgres-exporter', "--web.listen-address=127.0.0.1:$exporter_port",
	  "--extend.query-path=$queries", '--disable-default-metrics', '--disable-settings-metrics' ],
	"$dir/exporter.log");
my $http = HTTP::Tiny->new(timeout => 10);
my $scrape = sub {
	my $r = $http->get("http://127.0.0.1:$exporter_port/metrics");
	return $r->{success} ? $r->{content} : undef;
};
my $text = wait_until(sub { my $t = $scrape->(); $t && $t =~ /^ffrtmp_tenants_active/m ? $t : undef }, 30);
ok($text, 'the exporter serves ffrtmp\'s series') or diag(slurp_file("$dir/exporter.log"));
$text //= '';

# Samples as name => [ [labels hash, value], ... ], labels without the exporter's server label.
my %series;
for my $line (split /\n/, $text)
{
	next if $line =~ /^#/;
	my ($name, $labels, $value) = $line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/ or next;
	my %l;
	while (($labels // '') =~ /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) { $l{$1} = $2 }
	delete $l{server};
	push @{ $series{$name} }, [ \%l, $value ];
}
sub value_of
{
	my ($name, %want) = @_;
	for my $s (@{ $series{$name} // [] })
	{
		my $l = $s->[0];
		return $s->[1] if keys %$l == keys %want && !grep { ($l->{$_} // "\0") ne $want{$_} } keys %want;
	}
	return undef;
}

is(value_of('pg_exporter_last_scrape_error'), 0, 'the exporter\'s last scrape had no error');
my @load = @{ $series{pg_exporter_user_queries_load_error} // [] };
ok(@load && !(grep { $_->[1] != 0 } @load), 'and queries.yaml loaded without error');

# Every family of ffrtmp.metrics() comes out of the exporter under the same
# name and type, but ffrtmp_tenants: the exporter cannot name it (the
# namespace ffrtmp is ffrtmp_nodes'), prometheus.yml renames its
# ffrtmp_tenants_total at scrape (checked with Prometheus below).
my %exporter_name = (ffrtmp_tenants => 'ffrtmp_tenants_total');
my $families = $sql->(q{SELECT string_agg(name || ' ' || type, ',' ORDER BY ord) FROM ffrtmp_data.metric_families()});
for my $f (split /,/, $families)
{
	my ($family, $type) = split / /, $f;
	my $name = $exporter_name{$family} // $family;
	my $sample = $type eq 'histogram' ? "${name}_bucket" : $name;
	my $typed = $type eq 'histogram' ? 'histogram' : $type;
	like($text, qr/^# TYPE \Q$name\E \Q$typed\E$/m, "$name is a $type");
	ok($series{$sample} || $name =~ /quota_usage/, "$name has series");
}

# Values agree with SQL and with ffrtmp.metrics().
is(value_of('ffrtmp_tenants_total'), 3, 'tenants (as the exporter names it): default, acme, globex');
is(value_of('ffrtmp_tenants_active'), 2, 'tenants_active: globex is suspended');
is(value_of('ffrtmp_tenant_api_refusals_total', tenant => 'acme', code => 'PT404'), 1, 'api refusals: acme\'s job not found');
is(value_of('ffrtmp_tenant_api_refusals_total', tenant => '(admin)', code => 'PT404'), 1,
	'the administrator\'s refusal counts under (admin), not under the tenant it named');
is(value_of('ffrtmp_tenant_api_refusals_total', tenant => 'default', code => 'PT404'), undef,
	'nor under the default tenant of the administrator\'s context');
is(value_of('ffrtmp_tenant_jobs', tenant => 'acme', state => 'completed'), 2, 'jobs: 2 of acme completed');
is(value_of('ffrtmp_tenant_jobs', tenant => 'acme', state => 'assigned'), 1, 'and 1 assigned');
is(value_of('ffrtmp_tenant_quota_usage_ratio', tenant => 'acme', resource => 'jobs'), 0.02, 'acme: 1 active job of basic\'s 50');
is(value_of('ffrtmp_nodes', state => 'online'), 1, 'one node online');
is(value_of('ffrtmp_queue_depth', queue => 'default'), 0, 'nothing left queued');
is(value_of('ffrtmp_dispatch_latency_seconds_count', queue => 'default'), 3, 'dispatch latency counts 3');
is(value_of('ffrtmp_job_duration_seconds_bucket', queue => 'default', le => '60'), 2, 'job duration: 2 within 60 s');
is(value_of('ffrtmp_job_duration_seconds_bucket', queue => 'default', le => '+Inf'), 2, 'and +Inf');
is(value_of('ffrtmp_scheduler_leader'), 1, 'a scheduler leads');
is(value_of('ffrtmp_webhook_deliveries_total', outcome => 'failed'), 1, 'webhook deliveries failed: 1');
ok(value_of('ffrtmp_scheduler_pass_duration_seconds_count') > 0, 'its passes are timed');
is(value_of('ffrtmp_tenant_api_requests_total', tenant => 'acme', endpoint => '/rpc/a\\"b\\\\c'), 1,
	'the request counts under its endpoint, quote and backslash escaped');
my $own = $sql->(q{SELECT ffrtmp.metrics()});
like($own, qr/^ffrtmp_tenant_api_requests_total\{tenant="acme",endpoint="\/rpc\/a\\"b\\\\c"\} 1$/m,
	'ffrtmp.metrics() escapes it the same way');
for my $line (grep { /^ffrtmp_(tenants|tenant_jobs|nodes|dispatch_latency_seconds_count|tenant_api_refusals_total)\b/ } split /\n/, $own)
{
	my ($name, $labels, $value) = $line =~ /^(\w+)(?:\{(.*)\})? (\S+)$/;
	$name = $exporter_name{$name} // $name;
	my %l;
	while (($labels // '') =~ /(\w+)="((?:[^"\\]|\\.)*)"/g) { $l{$1} = $2 }
	is(value_of($name, %l), $value, "the exporter and ffrtmp.metrics() agree: $line");
}

# ffrtmp.metrics()'s whole text is one promtool parses and finds lint clean
# (a gauge named _total, a counter without it, would exit 3).
open my $own_file, '>', "$dir/own.prom" or die $!;
print $own_file "$own\n";
close $own_file;
my $lint = `promtool check metrics < $dir/own.prom 2>&1`;
is($? >> 8, 0, 'promtool check metrics accepts ffrtmp.metrics(): parsed, lint clean') or diag($lint);

# The shipped scrape example is a configuration Prometheus accepts, and it
# loads the alerting rules from where ffrtmp-monitoring installs them
# (test/t/097 checks the installed files); checked with the tree's
# alerts.yml in their place, as a build from source points it.
my $example = slurp_file('deploy/prometheus/prometheus.yml');
my $installed_rules = '/usr/share/ffrtmp/prometheus/alerts.yml';
like($example, qr{^rule_files:\n  - \Q$installed_rules\E$}m,
	'prometheus.yml loads the alerting rules from their installed path');
(my $from_source = $example) =~ s{\Q$installed_rules\E}{abs_path("deploy/prometheus/alerts.yml")}e;
open my $example_fh, '>', "$dir/example.yml" or die $!;
print $example_fh $from_source;
close $example_fh;
my $check = `promtool check config $dir/example.yml 2>&1`;
is($?, 0, 'promtool accepts deploy/prometheus/prometheus.yml') or diag($check);
like($check, qr/SUCCESS: \d+ rules found/, 'with its rule file') or diag($check);

# Prometheus scraping the exporter every 2 s, in a private directory.
my $prom_port = PostgreSQL::Test::Cluster::get_free_port();
open my $conf, '>', "$dir/prometheus.yml" or die $!;
print $conf <<"EOF";
global:
  scrape_interval: 2s
scrape_configs:
  - job_name: ffrtmp-database
    static_configs:
      - targets: ['127.0.0.1:$exporter_port']
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: ffrtmp_tenants_total
        target_label: __name__
        replacement: ffrtmp_tenants
EOF
close $conf;
my $prometheus = start_background(
	[ 'prometheus', "--config.file=$dir/prometheus.yml", "--storage.tsdb.path=$dir/tsdb",
	  "--web.listen-address=127.0.0.1:$prom_port", '--web.enable-lifecycle' ],
	"$dir/prometheus.log");
my $json = JSON::PP->new;
my $query = sub {
	my $r = $http->get("http://127.0.0.1:$prom_port/api/v1/query?" . $http->www_form_urlencode({ query => $_[0] }));
	return undef unless $r->{success};
	my $result = $json->decode($r->{content})->{data}{result};
	return @$result ? $result->[0]{value}[1] : undef;
};
my $first = wait_until(sub { $query->('ffrtmp_tenants_active') }, 60);
is($first, '2', 'Prometheus has ffrtmp_tenants_active from the exporter')
  or diag(slurp_file("$dir/prometheus.log"));
is($query->('ffrtmp_queue_depth{queue="default"}'), '0', 'and ffrtmp_queue_depth{queue="default"}');
is($query->('ffrtmp_tenants'), '3', 'and ffrtmp_tenants, renamed at scrape as deploy/prometheus/prometheus.yml does');
is($query->('ffrtmp_dispatch_latency_seconds_count{queue="default"}'), '3', 'and a histogram\'s _count');
is($query->('ffrtmp_tenant_api_requests_total{endpoint="/rpc/a\\"b\\\\c"}'), '1',
	'and the escaped endpoint label, read back as it was');

$http->post("http://127.0.0.1:$prom_port/-/quit");
stop_process($prometheus);
stop_process($exporter);
$node->stop;
done_testing();
