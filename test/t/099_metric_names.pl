# Every metric the Grafana dashboard and the alerting rules use
# (deploy/grafana, deploy/prometheus/alerts.yml, as scripts/metric-names
# reads them) is one that really comes out of the two sources Prometheus
# scrapes: prometheus-postgres-exporter with deploy/prometheus/queries.yaml,
# and ffrtmp-worker --listen.  Both are started for real and scraped over
# loopback after a real transcode, a failed job, a webhook delivery, a
# REST request and a refusal, so that families that only show samples once something
# happened have them.
use strict;
use warnings;
use Cwd qw(abs_path);
use HTTP::Tiny;
use FfrtmpCluster;
use FfrtmpNeed;
use FfrtmpProcess;
use FfrtmpRest;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

skip_all_because('prometheus-postgres-exporter is not installed')
  unless grep { -x "$_/prometheus-postgres-exporter" } split /:/, $ENV{PATH};
skip_all_because('YAML::XS is not installed (scripts/metric-names reads the rules with it)')
  unless eval { require YAML::XS; 1 };

my $env = FfrtmpCluster->new('metric_names');
my $node = $env->node;
my $dir = $env->dir;
my $http = HTTP::Tiny->new(timeout => 10);

# Something of each kind the families count: a quota-limited tenant's jobs,
# one completed and one failed transcode, a webhook delivery, a REST request.
$env->sql(q{SELECT ffrtmp.create_tenant('limited', plan => 'basic')});
$env->sql(q{SELECT ffrtmp.create_webhook('https://hooks.example.com/x', '0123456789abcdef0123', ARRAY['completed'], tenant => 'acme')});
$env->sql(q{CREATE ROLE scraper LOGIN IN ROLE ffrtmp_monitor});
my $port = PostgreSQL::Test::Cluster::get_free_port();
$env->start_worker(args => ["--listen=127.0.0.1:$port"]);
my $good = $env->submit('testsrc://320x240@30?duration=1', output => 'names/good.mp4');
is($env->wait_job($good)->{state}, 'completed', 'a transcode completes');
my $bad_input = $env->input_root . '/not-media.mp4';
PostgreSQL::Test::Utils::append_to_file($bad_input, 'not a media file');
my $bad = $env->submit("file://$bad_input", output => 'names/bad.mp4', max_attempts => 1);
is($env->wait_job($bad)->{state}, 'failed', 'a job with a broken input fails');
$env->sql(q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'limited')});
my $key = FfrtmpRest::api_key($node, 'reader', 'acme', 'viewer');
is(FfrtmpRest::request($node, method => 'GET', path => '/rpc/health', headers => { 'X-API-Key' => $key },
		sql => q{SELECT ffrtmp.health()})->{status}, 200, 'a REST request is served');

# A refusal of the API (a job not found), counted in ffrtmp_tenant_api_refusals_total.
$node->psql('postgres', 'SELECT ffrtmp.get_job(999999999)');

# The worker's /metrics.
my $worker_text = $http->get("http://127.0.0.1:$port/metrics");
ok($worker_text->{success}, 'the worker serves /metrics');
PostgreSQL::Test::Utils::append_to_file("$dir/worker.prom", $worker_text->{content} // '');

# The exporter's, as a login role in ffrtmp_monitor.
my $exporter_port = PostgreSQL::Test::Cluster::get_free_port();
local $ENV{DATA_SOURCE_NAME} = 'host=' . $node->host . ' port=' . $node->port . ' user=scraper dbname=postgres sslmode=disable';
my $exporter = start_background(
	[ 'prometheus-postgres-exporter', "--web.listen-address=127.0.0.1:$exporter_port",
	  '--extend.query-path=' . abs_path('deploy/prometheus/queries.yaml'),
	  '--disable-default-metrics', '--disable-settings-metrics' ],
	"$dir/exporter.log");
my $db_text = wait_until(
	sub {
		my $r = $http->get("http://127.0.0.1:$exporter_port/metrics");
		return $r->{success} && $r->{content} =~ /^ffrtmp_tenants_active/m ? $r->{content} : undef;
	},
	30);
ok($db_text, 'the exporter serves ffrtmp\'s series') or diag(slurp_file("$dir/exporter.log"));
like($db_text // '', qr/^pg_exporter_last_scrape_error(?:\{[^}]*\})? 0$/m, 'its scrape had no error');
PostgreSQL::Test::Utils::append_to_file("$dir/database.prom", $db_text // '');

# The names used, and that each is exported.
my ($out, $err) = ('', '');
IPC::Run::run([ 'perl', 'scripts/metric-names' ], '>', \$out, '2>', \$err);
my @used = grep { /\S/ } split /\n/, $out;
cmp_ok(scalar(@used), '>=', 20, 'scripts/metric-names lists the names the dashboard and rules use')
  or diag($err);
my $rc = IPC::Run::run([ 'perl', 'scripts/metric-names', "--check=$dir/database.prom", "--check=$dir/worker.prom" ],
	'>', \$out, '2>', \$err);
ok($rc, 'every one of them is exported by the exporter or the worker') or diag("$out$err");

# The check can fail: without the worker's scrape, its names are missing.
$rc = IPC::Run::run([ 'perl', 'scripts/metric-names', "--check=$dir/database.prom" ], '>', \$out, '2>', \$err);
ok(!$rc && "$out$err" =~ /ffrtmp_worker_/, 'the check names what a scrape lacks');

$exporter->signal('TERM');
$exporter->finish;
$env->stop_all_workers;
done_testing();
