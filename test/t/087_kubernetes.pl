# The Kubernetes manifests (deploy/kustomization.yaml, deploy/kubernetes/):
# valid for a real validator, test/k8s/validate.mjs, installed here from npm
# with its pinned models of Kubernetes, CloudNativePG and the Prometheus
# Operator (schemas, unknown kinds and fields, and what the schemas cannot
# say: references, probes against the worker's --listen, the preload,
# pinned images, the exporter queries, and that every metric the dashboards
# and alerting rules use is stored under its name by the scrapes of the
# worker and of CloudNativePG's exporter); and the validator can fail: each
# kind of mistake it is there for, put into a copy of the manifests, is
# refused with its message.  Nothing here runs on a cluster.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $root = abs_path(dirname(__FILE__) . '/../..') // die 'no tree above test/';
my $deploy = "$root/deploy";
my $validator = "$root/test/k8s";
for my $need ("$deploy/kustomization.yaml", "$validator/validate.mjs") {
	skip_all_because "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}
my $dir = PostgreSQL::Test::Utils::tempdir('k8s');

# In the cluster, nginx reaches PostgREST through its Service, and PostgREST
# listens beyond the loopback that deploy/postgrest/postgrest.conf names.
my ($upstream_host, $upstream_port) =
  slurp_file("$deploy/kubernetes/nginx-site.conf") =~ /upstream ffrtmp_postgrest \{[^}]*?server ([\w.-]+):(\d+);/s;
my $postgrest = slurp_file("$deploy/kubernetes/postgrest.yaml");
like($postgrest, qr/^kind: Service\nmetadata:\n  name: \Q$upstream_host\E\n.*^    - name: http\n      port: \Q$upstream_port\E\n/ms,
	"nginx's upstream ($upstream_host:$upstream_port) is PostgREST's Service and port");
like($postgrest, qr/- name: PGRST_SERVER_HOST\n\s+value: "\*"/, 'PostgREST listens on the pod address, not loopback');

sub which { my ($p) = @_; return grep { -x "$_/$p" } split /:/, $ENV{PATH} }
sub copy_tree { my ($from, $to) = @_; system('cp', '-r', $from, $to) == 0 or die "cp -r $from $to failed"; }

SKIP: {
	skip_because 'node and npm are not installed (scripts/install-deps.sh installs them)', 1
	  unless which('node') && which('npm');

	# The validator and its pinned packages, in a private directory.
	copy_tree($validator, "$dir/validator");
	my ($out, $err) = ('', '');
	my $installed = do {
		local $ENV{npm_config_cache} = "$dir/npm-cache";
		local $ENV{HOME} = $dir;
		IPC::Run::run([ 'npm', 'ci', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', "$dir/validator" ],
			'>', \$out, '2>', \$err);
	};
	ok($installed, 'npm ci installs the validator\'s pinned packages') or diag($err);

	# The metric names the dashboards and rules use, and those the worker
	# exports: the literal names in its binary (or, run from the source
	# tree, its source), for the validator to compare with the scrapes.
	my $used = `perl $root/scripts/metric-names`;
	is($?, 0, 'scripts/metric-names lists the metrics the dashboards and rules use');
	my $worker_bin = $ENV{FFRTMP_WORKER} // '';
	my $worker_file = -x $worker_bin ? $worker_bin : "$root/src/worker/worker_metrics.c";
	my %worker = map { $_ => 1 } slurp_file($worker_file) =~ /\b(ffrtmp_worker_[a-z_]+[a-z])/g;
	ok(exists $worker{ffrtmp_worker_up}, "the worker's metric names are read from $worker_file");
	PostgreSQL::Test::Utils::append_to_file("$dir/metrics-used", $used);
	PostgreSQL::Test::Utils::append_to_file("$dir/worker-metrics", join('', map { "$_\n" } sort keys %worker));

	# validate(MODE, DIR...): (exit status, output) of the validator.
	my $validate = sub {
		my ($mode, @trees) = @_;
		my ($o, $e) = ('', '');
		IPC::Run::run([ 'node', "$dir/validator/validate.mjs", "--kustomize=$mode",
			"--metrics-used=$dir/metrics-used", "--worker-metrics=$dir/worker-metrics", @trees ], '>', \$o, '2>', \$e);
		return ($? >> 8, $o . $e);
	};

	# The tree as it is, the base of the mistakes below.
	my $base = "$dir/deploy";
	copy_tree($deploy, $base);

	# [file, what, replaced by, the validator's message, the mistake]
	my @mistakes = (
		[ 'kubernetes/worker.yaml', qr/readinessProbe:/, 'readinesProbe:',
			qr/"readinesProbe"' does not exist in type 'IContainer'/, 'a misspelt field of a Deployment' ],
		[ 'kubernetes/worker.yaml', qr/replicas: 2/, 'replicas: two',
			qr{schema: /spec/replicas must be integer}, 'a string where a number goes' ],
		[ 'kubernetes/database.yaml', qr/shared_preload_libraries:/, 'shared_preload_library:',
			qr/"shared_preload_library"' does not exist in type 'IPostgresConfiguration'/, 'a misspelt field of the CloudNativePG Cluster' ],
		[ 'kubernetes/database.yaml', qr/instances: 3/, 'instances: "3"',
			qr{schema: /spec/instances must be integer}, 'a wrong type in the Cluster' ],
		[ 'kubernetes/monitoring.yaml', qr/path: \/metrics/, 'pathh: /metrics',
			qr/"pathh"' does not exist in type 'IEndpoint'/, 'a misspelt field of a ServiceMonitor' ],
		[ 'kubernetes/monitoring.yaml', qr/kind: PodMonitor/, 'kind: PodMonitr',
			qr/unknown kind "PodMonitr" of monitoring\.coreos\.com\/v1/, 'an unknown kind' ],
		[ 'kubernetes/namespace.yaml', qr/apiVersion: v1/, 'apiVersion: v2',
			qr/unknown apiVersion "v2"/, 'an unknown apiVersion' ],
		[ 'kubernetes/worker.yaml', qr/--listen=0\.0\.0\.0:9091/, '--listen=0.0.0.0:9092',
			qr/livenessProbe port http is not --listen's 9092/, 'probes on another port than --listen' ],
		[ 'kubernetes/worker.yaml', qr/--listen=0\.0\.0\.0:9091/, '--listen=127.0.0.1:9091',
			qr/--listen=127\.0\.0\.1:9091 is loopback/, 'the worker listening on loopback' ],
		[ 'kubernetes/worker.yaml', qr/path: \/health/, 'path: /healthz',
			qr{livenessProbe asks /healthz, not /health}, 'the liveness probe on a path the worker does not serve' ],
		[ 'kubernetes/monitoring.yaml', qr/endpoints:\n    - port: metrics/, "endpoints:\n    - port: metric",
			qr/endpoint port metric is no named port of the Services it selects/, "a ServiceMonitor on a port the Service lacks" ],
		[ 'kubernetes/postgrest.yaml', qr/name: ffrtmp-postgrest-jwt/, 'name: ffrtmp-postgrest-jwtt',
			qr/no Secret named ffrtmp-postgrest-jwtt in the manifests/, 'a Secret that does not exist' ],
		[ 'kubernetes/postgrest.yaml', qr/key: jwt-secret/, 'key: jwt',
			qr/Secret ffrtmp-postgrest-jwt has no key jwt/, 'a key a Secret does not have' ],
		[ 'kubernetes/worker.yaml', qr/secretName: ffrtmp-db-ca/, 'secretName: ffrtmp-db-cacert',
			qr/no Secret named ffrtmp-db-cacert/, "a Secret that neither the manifests nor CloudNativePG make" ],
		[ 'kubernetes/database.yaml', qr/- name: ffrtmp-queries/, '- name: ffrtmp-querys',
			qr/no ConfigMap named ffrtmp-querys/, 'exporter queries from a ConfigMap that does not exist' ],
		[ 'kubernetes/nginx.yaml', qr/nginx-unprivileged:1\.27\.4/, 'nginx-unprivileged',
			qr/image docker\.io\/nginxinc\/nginx-unprivileged is not pinned/, 'an image without a tag' ],
		[ 'kubernetes/worker.yaml', qr/worker:0\.2/, 'worker:latest',
			qr/image registry\.example\.com\/ffrtmp\/worker:latest is not pinned/, 'an image tagged latest' ],
		[ 'kubernetes/database.yaml', qr/shared_preload_libraries:\n      - ffrtmp/, "shared_preload_libraries:\n      - pg_stat_statements",
			qr/ffrtmp is not in postgresql\.shared_preload_libraries/, 'the library not preloaded' ],
		[ 'kubernetes/database.yaml', qr/ffrtmp\.database: ffrtmp/, 'ffrtmp.database: postgres',
			qr/ffrtmp\.database is postgres, not the database ffrtmp/, 'ffrtmp.database not the database of the extension' ],
		[ 'kubernetes/database.yaml', qr/- CREATE EXTENSION ffrtmp/, '- SELECT 1',
			qr/postInitApplicationSQL does not create the extension ffrtmp/, 'the extension never created' ],
		[ 'kubernetes/worker.yaml', qr/memory: 9Gi/, 'memory: 6Gi',
			qr/limits\.memory 6Gi is less than --slots=2 x --job-memory/, "a memory limit below the slots' jobs" ],
		[ 'kubernetes/worker.yaml', qr/readOnlyRootFilesystem: true/, 'readOnlyRootFilesystem: false',
			qr/container worker: the root filesystem is not read-only/, 'a writable root filesystem' ],
		[ 'kubernetes/secrets.example.yaml', qr/username: ffrtmp_worker/, 'username: worker',
			qr/Secret ffrtmp-worker-db's username is not the role ffrtmp_worker/, "a managed role's Secret for another user" ],
		[ 'prometheus/queries.yaml', qr/\z/, "\nother:\n  query: SELECT 1 AS x\n  metrics:\n    - x:\n        usage: SUMMARY\n",
			qr/query other's metrics would not be named ffrtmp_\*.*\n.*usage SUMMARY is not CloudNativePG's/,
			'an exporter query with a name and a usage CloudNativePG cannot take' ],
		[ 'kubernetes/monitoring.yaml', qr/ {8}- sourceLabels:\n {12}- __name__\n {10}regex: cnpg_ffrtmp_tenants_total\n(?: {10}.*\n){3}/, '',
			qr/metric ffrtmp_tenants, used by the dashboards or alerting rules, is stored under no such name/,
			"the tenant count left as CloudNativePG's exporter names it, not renamed as the dashboard reads it" ],
	);
	# Each mistake in a copy of its own; all copies in one run of the
	# validator (its start-up takes seconds), each judged on its own.
	my @trees;
	for my $m (@mistakes) {
		my ($file, $what, $by, $message, $name) = @$m;
		my $tree = "$dir/mistake" . (@trees + 1);
		copy_tree($base, $tree);
		my $text = slurp_file("$tree/$file");
		my $count = () = $text =~ /$what/g;
		is($count, 1, "$name: the mistake goes in once ($file)");
		$text =~ s/$what/$by/;
		open my $fh, '>', "$tree/$file" or die $!;
		print $fh $text;
		close $fh;
		push @trees, $tree;
	}
	my ($rc, $o) = $validate->('no', $base, @trees);
	is($rc, 1, 'the validator fails on the mistakes');
	my $base_valid = qr/^\Q$base\E: \d+ manifests \(from the files\): valid$/m;
	like($o, $base_valid, 'deploy/ is valid: schemas, unknown fields, references, probes, preload, images, queries, metric names')
	  or diag($o);
	for my $i (0 .. $#mistakes) {
		my (undef, undef, undef, $message, $name) = @{ $mistakes[$i] };
		my $tree = $trees[$i];
		like($o, qr/^\Q$tree\E: \d+ manifests \(from the files\): \d+ errors?$/m, "$name: refused");
		my $said = join "\n", grep { m{/mistake@{[$i + 1]}/} } split /\n/, $o;
		like($said, $message, "$name: ... saying what is wrong") or diag($said);
	}

	# kustomize's own rendering (hash-suffixed ConfigMaps, the namespace), where
	# kustomize or kubectl is installed; the files are read the same way above.
	SKIP: {
		skip 'neither kustomize nor kubectl is installed', 3 unless which('kustomize') || which('kubectl');
		my ($rc, $o) = $validate->('yes', $base, $trees[0]);
		like($o, qr/^\Q$base\E: \d+ manifests \(from (kustomize build|kubectl kustomize)\): valid$/m,
			'the base as kustomize renders it is valid') or diag($o);
		like($o, qr/^\Q$trees[0]\E: \d+ manifests \(from (kustomize build|kubectl kustomize)\): \d+ errors?$/m,
			'a misspelt field is refused in kustomize\'s rendering too') or diag($o);
		like($o, qr/"readinesProbe"' does not exist/, '... saying what is wrong');
	}
}

done_testing();
