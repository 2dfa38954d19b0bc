# The importer from the original system (`ffrtmp import sqlite`, driven here
# by ffrtmp-import-test): a master.db built with the original's own CREATE
# TABLE statements and a few dozen rows (every plan, every tenant status,
# jobs in several states, odd values) imported into a real cluster.  The
# tenants, plans, statuses and quota overrides come out exactly; a second
# run changes nothing; a dry run writes nothing; the summary names what could
# not be mapped and why; a file that is not a database changes nothing.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $import = $ENV{FFRTMP_IMPORT};
skip_all_because 'FFRTMP_IMPORT does not name an executable ffrtmp-import-test'
  unless defined $import && -x $import;
skip_all_because 'no sqlite3 command (Debian package sqlite3)'
  unless IPC::Run::run([ 'sqlite3', '-version' ], '>', \my $v, '2>', \my $e);

# The original's tables, as github.com/psantana5/ffmpeg-rtmp declares them at
# commit 913e7d8e44e9bfd76654c2ebb6154896f04829f4: nodes and jobs from
# shared/pkg/store/sqlite.go (its SQLite store), tenants from
# shared/pkg/store/postgres.go (the store that keeps tenants).
my $schema = <<'SQL';
CREATE TABLE IF NOT EXISTS nodes (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	address TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL,
	cpu_threads INTEGER NOT NULL,
	cpu_model TEXT NOT NULL,
	cpu_load_percent REAL DEFAULT 0,
	has_gpu BOOLEAN NOT NULL,
	gpu_type TEXT,
	gpu_capabilities TEXT,
	ram_total_bytes INTEGER NOT NULL,
	ram_free_bytes INTEGER DEFAULT 0,
	labels TEXT,
	status TEXT NOT NULL,
	last_heartbeat DATETIME NOT NULL,
	registered_at DATETIME NOT NULL,
	current_job_id TEXT
);

CREATE TABLE IF NOT EXISTS jobs (
	id TEXT PRIMARY KEY,
	sequence_number INTEGER NOT NULL,
	scenario TEXT NOT NULL,
	confidence TEXT,
	engine TEXT NOT NULL DEFAULT 'auto',
	parameters TEXT,
	status TEXT NOT NULL,
	queue TEXT DEFAULT 'default',
	priority TEXT DEFAULT 'medium',
	progress INTEGER DEFAULT 0,
	node_id TEXT,
	created_at DATETIME NOT NULL,
	started_at DATETIME,
	last_activity_at DATETIME,
	completed_at DATETIME,
	retry_count INTEGER NOT NULL DEFAULT 0,
	max_retries INTEGER DEFAULT 3,
	retry_reason TEXT,
	error TEXT,
	failure_reason TEXT,
	logs TEXT,
	state_transitions TEXT
);

CREATE UNIQUE INDEX IF NOT EXISTS idx_jobs_sequence ON jobs(sequence_number);
CREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs(status);
CREATE INDEX IF NOT EXISTS idx_jobs_queue_priority ON jobs(queue, priority, created_at);
CREATE INDEX IF NOT EXISTS idx_nodes_status ON nodes(status);
CREATE UNIQUE INDEX IF NOT EXISTS idx_nodes_address ON nodes(address);

CREATE TABLE IF NOT EXISTS tenants (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'active',
	plan TEXT NOT NULL DEFAULT 'free',
	quotas JSONB NOT NULL,
	usage JSONB NOT NULL,
	metadata JSONB,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP
);
SQL

# Quotas as the original writes them (shared/pkg/models/tenant.go): its
# plans' defaults differ from ffrtmp's, -1 is unlimited, and three of its
# quotas have no ffrtmp counterpart.
my $pro_quotas = '{"max_jobs": 100, "max_workers": 20, "max_jobs_per_hour": 1000, "max_cpu_cores": 64, '
  . '"max_gpus": 4, "max_storage_gb": 1000, "max_bandwidth_mbps": 10000, "job_timeout_minutes": 240}';
my @tenants = (
	# name, display name, status, plan, quotas, expires_at
	[ 'default', 'Default Tenant', 'active', 'enterprise', '{"max_jobs": 1000, "max_workers": 100, '
	  . '"max_jobs_per_hour": 10000, "max_cpu_cores": 256, "max_gpus": 16, "max_storage_gb": 10000, '
	  . '"max_bandwidth_mbps": 100000, "job_timeout_minutes": 1440}', undef ],
	[ 'acme', 'ACME Corporation', 'active', 'pro', $pro_quotas, undef ],
	[ 'freebie', 'Free Rider', 'active', 'free',
	  '{"max_jobs": 10, "max_workers": 2, "max_jobs_per_hour": 100, "max_cpu_cores": 4, "max_gpus": 0}', undef ],
	[ 'basic-co', 'Basic Co', 'suspended', 'basic', '{}', undef ],
	[ 'bigcorp', 'Big Corp', 'active', 'enterprise',
	  '{"max_jobs": -1, "max_workers": -1, "max_jobs_per_hour": -1, "max_cpu_cores": -1, "max_gpus": 16}', undef ],
	[ 'trial', 'Trial Account', 'expired', 'pro', '{"max_workers": 20}', '2026-01-01 00:00:00+00:00' ],
	[ 'later', '', 'active', 'basic', '{"max_jobs": 50}', '2030-06-30 12:00:00+00:00' ],
	[ 'gone', 'Gone Ltd', 'deleted', 'pro', '{}', undef ],
	[ 'startup', 'Startup', 'active', 'starter', '{}', undef ],
	[ 'archive', 'Archived', 'archived', 'free', '{}', undef ],
	[ 'Bad Name', 'Not a slug', 'active', 'free', '{}', undef ],
	[ 'oddq', 'Odd Quotas', 'active', 'free', '{"max_jobs": "lots", "max_workers": 2.5, "max_gpus": -7, "max_cpu_cores": 8}', undef ],
	[ 'notjson', 'Not JSON', 'active', 'basic', 'not json {', undef ],
);
my @jobs = (
	(map { [ 'completed', $_ ] } 1 .. 6),
	(map { [ 'failed', $_ ] } 7 .. 9),
	[ 'canceled', 10 ], [ 'queued', 11 ], [ 'running', 12 ], [ 'pending', 13 ],
	[ 'processing', 14 ], [ 'timed_out', 15 ], [ 'exploded', 16 ],
);

sub lit { my ($s) = @_; return 'NULL' unless defined $s; $s =~ s/'/''/g; return "'$s'"; }

my $dir = PostgreSQL::Test::Utils::tempdir('import');
my $db = "$dir/master.db";
my $rows = "BEGIN;\n";
for my $t (@tenants)
{
	my ($name, $display, $status, $plan, $quotas, $expires) = @$t;
	$rows .= sprintf("INSERT INTO tenants VALUES (%s, %s, %s, %s, %s, %s, '{}', '{}', "
		  . "'2025-12-01 10:00:00+00:00', '2025-12-02 10:00:00+00:00', %s);\n",
		lit("id-$name"), lit($name), lit($display), lit($status), lit($plan), lit($quotas), lit($expires));
}
for my $j (@jobs)
{
	my ($status, $seq) = @$j;
	$rows .= "INSERT INTO jobs (id, sequence_number, scenario, parameters, status, created_at) VALUES "
	  . "('job-$seq', $seq, '1080p30-h264', '{\"bitrate\": \"4M\"}', '$status', '2025-12-03 10:00:00+00:00');\n";
}
for my $n (1 .. 3)
{
	$rows .= "INSERT INTO nodes (id, name, address, type, cpu_threads, cpu_model, has_gpu, ram_total_bytes, status, "
	  . "last_heartbeat, registered_at) VALUES ('node-$n', 'worker$n', 'http://10.0.0.$n:9000', 'server', 16, 'x86', 0, "
	  . "34359738368, 'available', '2025-12-03 10:00:00+00:00', '2025-12-01 10:00:00+00:00');\n";
}
$rows .= "COMMIT;\n";
my ($built_out, $built_err) = ('', '');
ok(IPC::Run::run([ 'sqlite3', $db ], '<', \"$schema$rows", '>', \$built_out, '2>', \$built_err), 'master.db built')
  or diag $built_err;
my $db_sha = sha256_hex(slurp_file($db));

my $node = PostgreSQL::Test::Cluster->new('import');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
my $dsn = $node->connstr('postgres');

# run_import(ARGS...): (exit status, stdout, stderr)
sub run_import
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $import, "--dsn=$dsn", @_ ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# Everything about the tenants that an import could change, updated_at too.
my $tenants_sql = q{SELECT name, plan, status, coalesce(display_name, '-'), coalesce(expires_at::text, '-'),
	quota_overrides::text, max_jobs, max_workers, max_jobs_per_hour, max_cpu_cores, max_gpus, updated_at
	FROM ffrtmp.tenants ORDER BY name};
my $before = $node->safe_psql('postgres', $tenants_sql);

# A dry run first: it reports what it would do and writes nothing.
my ($rc, $out, $err) = run_import('--dry-run', $db);
is($rc, 1, 'dry run: exit status 1, the server refused one tenant') or diag "$out\n$err";
like($out, qr/dry run/, 'dry run: says it is one');
like($out, qr/^tenant acme: created \(plan pro, status active, quotas /m, 'dry run: reports what it would create');
is($node->safe_psql('postgres', $tenants_sql), $before, 'dry run: no tenant created or changed');
# The same inside a transaction the importer did not begin (as under an API
# key, after ffrtmp.authenticate), which its caller then commits.
($rc, $out, $err) = run_import('--dry-run', '--in-transaction', $db);
like($out, qr/^tenant acme: created/m, 'dry run in a transaction: reports what it would create') or diag "$out\n$err";
is($node->safe_psql('postgres', $tenants_sql), $before, 'dry run in a transaction: nothing written once committed');

# The import.
($rc, $out, $err) = run_import($db);
is($rc, 1, 'import: exit status 1, the server refused one tenant') or diag "$out\n$err";
note $out;
my %created = map { $_ => 1 } $out =~ /^tenant (\S+): created/mg;
is_deeply([ sort keys %created ], [qw(acme basic-co bigcorp freebie later notjson oddq trial)],
	'import: the mappable tenants are created');
like($out, qr/^tenant default: updated \(display name, quotas\)$/m, 'import: the default tenant takes the original\'s quotas');

# Exactly: the plan, status, display name, expiry and the overrides, which
# are the original's quotas where they differ from ffrtmp's plan.
my $got = $node->safe_psql('postgres', q{SELECT name, plan, status, coalesce(display_name, '-'),
	coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), '-'), quota_overrides::text
	FROM ffrtmp.tenants ORDER BY name});
is($got, join("\n",
	'acme|pro|active|ACME Corporation|-|{"max_gpus": 4, "max_jobs": 100, "max_cpu_cores": 64, "max_jobs_per_hour": 1000}',
	'basic-co|basic|suspended|Basic Co|-|{}',
	'bigcorp|enterprise|active|Big Corp|-|{"max_gpus": 16}',
	'default|enterprise|active|Default Tenant|-|{"max_gpus": 16, "max_jobs": 1000, "max_workers": 100, "max_cpu_cores": 256, "max_jobs_per_hour": 10000}',
	'freebie|free|active|Free Rider|-|{}',
	'later|basic|active|-|2030-06-30 12:00|{}',
	'notjson|basic|active|Not JSON|-|{}',
	'oddq|free|active|Odd Quotas|-|{"max_cpu_cores": 8}',
	'trial|pro|expired|Trial Account|-|{}'),
	'import: tenants, plans, statuses, display names, expiries and quota overrides as in the original');
is($node->safe_psql('postgres', q{SELECT max_jobs, max_workers, max_cpu_cores, max_gpus FROM ffrtmp.tenants WHERE name = 'acme'}),
	'100|20|64|4', 'import: acme\'s quotas in force are the original\'s');

# What could not be mapped, each with its reason.
like($out, qr/^  expiry 2026-01-01 00:00:00\+00:00 not imported: in the past; the tenant is expired$/m,
	'summary: an expiry in the past (ffrtmp takes only future ones)');
like($out, qr/^tenant gone: not imported: deleted in the original system$/m, 'summary: a deleted tenant');
like($out, qr/^tenant startup: not imported: plan "starter" is not an ffrtmp plan \(free, basic, pro, enterprise\)$/m,
	'summary: an unknown plan, with the plans there are');
like($out, qr/^tenant archive: not imported: status "archived" is not/m, 'summary: an unknown status');
like($out, qr/^tenant Bad Name: refused by the server/m, 'summary: a name the server refuses');
like($out, qr/^  error: .*\(SQLSTATE 22023\)$/m, 'summary: with the server\'s message and SQLSTATE');
like($out, qr/^  quotas max_storage_gb, max_bandwidth_mbps, job_timeout_minutes not imported: ffrtmp has no such quota$/m,
	'summary: quotas ffrtmp does not have');
like($out, qr/^  quota max_jobs = lots not imported/m, 'summary: a quota that is not a number');
like($out, qr/^  quota max_workers = 2\.5 not imported/m, 'summary: a quota that is not a count');
like($out, qr/^  quota max_gpus = -7 not imported/m, 'summary: a negative quota other than -1');
like($out, qr/^  quotas not imported: not valid JSON/m, 'summary: quotas that are not JSON');
like($out, qr/^jobs: 16 in the store, not imported: /m, 'summary: the jobs, counted');
like($out, qr/^  completed: 6$/m, 'summary: jobs by status');
like($out, qr/^  exploded: 1 \(not a status of the original system\)$/m, 'summary: an unknown job status');
like($out, qr/^nodes: 3 in the store, not imported: /m, 'summary: the nodes, counted');
like($out, qr/^Summary: tenants 8 created, 1 updated, 0 unchanged, 3 not imported, 1 refused; jobs 16 not imported; nodes 3 not imported$/m,
	'summary: the totals');

# A second run changes nothing, not even updated_at.
my $after = $node->safe_psql('postgres', $tenants_sql);
($rc, $out, $err) = run_import($db);
is($rc, 1, 'second run: exit status 1 again (the same refusal)') or diag "$out\n$err";
like($out, qr/^Summary: tenants 0 created, 0 updated, 9 unchanged, 3 not imported, 1 refused;/m,
	'second run: every imported tenant unchanged') or diag $out;
is($node->safe_psql('postgres', $tenants_sql), $after, 'second run: no tenant changed');

# A change in ffrtmp since the import is put back as the store has it, and only that.
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('acme', plan => 'basic', quotas => '{"max_jobs": 7}')});
($rc, $out, $err) = run_import('--in-transaction', $db);
like($out, qr/^tenant acme: updated \(plan, quotas\)$/m, 'a third run updates only what differs') or diag "$out\n$err";
like($out, qr/tenants 0 created, 1 updated, 8 unchanged/, 'a third run leaves the others');
is($node->safe_psql('postgres', q{SELECT plan, quota_overrides::text FROM ffrtmp.tenants WHERE name = 'acme'}),
	'pro|{"max_gpus": 4, "max_jobs": 100, "max_cpu_cores": 64, "max_jobs_per_hour": 1000}',
	'a third run restores the plan and overrides');

# The store is only read.
is(sha256_hex(slurp_file($db)), $db_sha, 'master.db is unchanged by the imports');

# A file that is not a database, or none: exit status 2, nothing written.
$after = $node->safe_psql('postgres', $tenants_sql);
append_to_file("$dir/notes.txt", "not a database\n" x 100);
($rc, $out, $err) = run_import("$dir/notes.txt");
is($rc, 2, 'a file that is not a database: exit status 2');
like($err, qr/cannot read .*notes\.txt: file is not a database/, 'a file that is not a database: says so');
($rc, $out, $err) = run_import("$dir/missing.db");
is($rc, 2, 'no such file: exit status 2');
like($err, qr/cannot read .*missing\.db/, 'no such file: says so');
ok(!-e "$dir/missing.db", 'no such file: none is created');
is($node->safe_psql('postgres', $tenants_sql), $after, 'unreadable files change nothing');

# A caller who is not an administrator is refused by the server, per tenant.
$node->safe_psql('postgres', 'CREATE ROLE clerk LOGIN');
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('acme', display_name => 'Renamed')});
my $clerk_dsn = $node->connstr('postgres') . ' user=clerk';
my ($crc, $cout, $cerr) = ('', '', '');
IPC::Run::run([ $import, "--dsn=$clerk_dsn", $db ], '>', \$cout, '2>', \$cerr);
$crc = $? >> 8;
is($crc, 1, 'not an administrator: exit status 1');
is($node->safe_psql('postgres', q{SELECT display_name FROM ffrtmp.tenants WHERE name = 'acme'}), 'Renamed',
	'not an administrator: nothing changed');

# Under an API key whose role may not create or change tenants: each
# tenant refused by the server with its SQLSTATE, nothing changed.
my $key = $node->safe_psql('postgres',
	q{SELECT api_key FROM ffrtmp.create_api_key('importer', tenant => 'acme', role => 'tenant_admin')});
$after = $node->safe_psql('postgres', $tenants_sql);
($rc, $out, $err) = run_import("--api-key=$key", $db);
is($rc, 1, 'a tenant administrator\'s key: exit status 1') or diag "$out\n$err";
note $out;
like($out, qr/^tenant acme: refused by the server/m, 'a tenant administrator\'s key: its own tenant refused too');
like($out, qr/^  error: .*\(SQLSTATE 42501\)$/m, 'a tenant administrator\'s key: permission denied, from the server');
is($node->safe_psql('postgres', $tenants_sql), $after, 'a tenant administrator\'s key: nothing changed');

$node->stop;
done_testing();
