# The importer from the original system (`ffrtmp import sqlite`): a
# master.db built with the original's own CREATE TABLE statements and a few
# dozen rows (every plan, every tenant status, jobs in every state, odd
# values) imported into a real cluster by the ffrtmp command.  The tenants,
# plans, statuses and quota overrides, and the finished jobs' history, come
# out exactly; a second run changes nothing; a dry run writes nothing; the
# summary names what could not be mapped and why; a file that is not a
# database changes nothing.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $cli = $ENV{FFRTMP_CLI};
skip_all_because 'FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)'
  unless defined $cli && -x $cli;
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
# Jobs in every state the original has, and one it has not.  Columns:
# sequence number, status, parameters, queue, priority, started_at,
# completed_at, retry_count, failure_reason, error, logs.
my $t0 = '2025-12-03 10:00:00+00:00';
my $t1 = '2025-12-03 10:01:00+00:00';
my $t2 = '2025-12-03 10:05:30+00:00';
my @jobs = (
	[ 1, 'completed', '{"input": "/data/my clip.mp4", "output": "rtmp://live.example/app/key", "bitrate": "4M"}',
	  'live', 'high', $t1, $t2, 0, undef, undef, 'frame=100' ],
	[ 2, 'completed', '{"duration": 30, "resolution_width": 1280}', 'default', 'medium', $t1, $t2, 0, undef, undef, undef ],
	[ 3, 'completed', '{"input": "https://cdn.example/in.mp4", "output": "/var/out/3.mp4"}', 'batch', 'low',
	  $t1, $t2, 1, undef, undef, undef ],
	(map { [ $_, 'completed', '{"input": "/data/in.mp4"}', 'default', 'medium', $t1, $t2, 0, undef, undef, undef ] } 4 .. 6),
	[ 7, 'failed', '{"input": "/data/in.mp4"}', 'default', 'medium', $t1, $t2, 2, 'runtime_error', 'ffmpeg exited with status 1', undef ],
	[ 8, 'failed', '{"input": "/data/in.mp4"}', 'default', 'medium', $t1, $t2, 0, 'capability_mismatch', 'no gpu', undef ],
	[ 9, 'failed', '{"input": "/data/in.mp4"}', 'default', 'medium', $t1, $t2, 0, 'disk_full', 'no space', undef ],
	[ 10, 'canceled', '{"input": "/data/in.mp4"}', 'default', 'medium', undef, $t2, 0, undef, undef, undef ],
	[ 11, 'queued', '{}', 'default', 'medium', undef, undef, 0, undef, undef, undef ],
	[ 12, 'running', '{}', 'default', 'medium', $t1, undef, 0, undef, undef, undef ],
	[ 13, 'pending', '{}', 'default', 'medium', undef, undef, 0, undef, undef, undef ],
	[ 14, 'processing', '{}', 'default', 'medium', $t1, undef, 0, undef, undef, undef ],
	[ 15, 'timed_out', '{"input": "/data/in.mp4"}', 'default', 'medium', $t1, $t2, 3, 'timeout', 'ran past 240 minutes', undef ],
	[ 16, 'exploded', '{}', 'default', 'medium', undef, undef, 0, undef, undef, undef ],
	[ 17, 'completed', 'not json {', 'gpu', 'urgent', $t1, $t2, 0, undef, undef, undef ],
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
	my ($seq, $status, $params, $queue, $prio, $started, $completed, $retries, $reason, $error, $logs) = @$j;
	$rows .= sprintf("INSERT INTO jobs (id, sequence_number, scenario, parameters, status, queue, priority, progress, "
		  . "node_id, created_at, started_at, completed_at, retry_count, failure_reason, error, logs) VALUES "
		  . "(%s, %d, '1080p30-h264', %s, %s, %s, %s, 100, 'node-1', %s, %s, %s, %d, %s, %s, %s);\n",
		lit("job-$seq"), $seq, lit($params), lit($status), lit($queue), lit($prio), lit($t0), lit($started),
		lit($completed), $retries, lit($reason), lit($error), lit($logs));
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
	IPC::Run::run([ $cli, "--dsn=$dsn", 'import', 'sqlite', @_ ], '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# Everything about the tenants that an import could change, updated_at too.
my $tenants_sql = q{SELECT name, plan, status, coalesce(display_name, '-'), coalesce(expires_at::text, '-'),
	quota_overrides::text, max_jobs, max_workers, max_jobs_per_hour, max_cpu_cores, max_gpus, updated_at
	FROM ffrtmp.tenants ORDER BY name};
my $before = $node->safe_psql('postgres', $tenants_sql);
# Everything about the jobs, their events, usage and the audit log.
my $jobs_sql = q{SELECT (SELECT string_agg(concat_ws('|', seq, state, input_url, output_url, queue, priority, attempt,
	failure_reason, error, created_at, started_at, finished_at, updated_at, idempotency_key, result::text), E'\n' ORDER BY seq)
	FROM ffrtmp_data.jobs),
	(SELECT string_agg(concat_ws('|', job_id, from_state, to_state, reason, actor), E'\n' ORDER BY id) FROM ffrtmp_data.job_events),
	(SELECT string_agg(concat_ws('|', tenant_id, active_jobs, queued_jobs, jobs_submitted, hour_counts::text), E'\n' ORDER BY tenant_id)
	FROM ffrtmp_data.usage),
	(SELECT count(*) FROM ffrtmp_data.audit_log WHERE action = 'job.import')};
my $jobs_before = $node->safe_psql('postgres', $jobs_sql);

# A dry run first: it reports what it would do and writes nothing.
my ($rc, $out, $err) = run_import('--dry-run', $db);
is($rc, 1, 'dry run: exit status 1, the server refused one tenant') or diag "$out\n$err";
like($out, qr/dry run/, 'dry run: says it is one');
like($out, qr/^tenant acme: created \(plan pro, status active, quotas /m, 'dry run: reports what it would create');
is($node->safe_psql('postgres', $tenants_sql), $before, 'dry run: no tenant created or changed');
like($out, qr/jobs 11 imported, 0 unchanged, 5 not imported, 1 refused;/, 'dry run: reports the jobs it would import');
is($node->safe_psql('postgres', $jobs_sql), $jobs_before, 'dry run: no job, event, usage change or audit row written');

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
like($out, qr/^job job-11: not imported: queued, not finished/m, 'summary: a queued job, not finished');
like($out, qr/^job job-12: not imported: running, not finished/m, 'summary: a running job, not finished');
like($out, qr/^job job-13: not imported: pending, not finished/m, 'summary: a legacy pending job, not finished');
like($out, qr/^job job-16: not imported: status "exploded" is not a status of the original system$/m,
	'summary: an unknown job status');
like($out, qr/^job job-9: refused by the server\n  error: failure reason "disk_full" .*\(SQLSTATE 22023\)$/m,
	'summary: a job the server refuses, with its message');
like($out, qr/^job job-17: queue "gpu" is not live, default or batch: imported in default$/m, 'summary: an unknown queue');
like($out, qr/^job job-17: priority "urgent" is not high, medium or low: imported as medium$/m, 'summary: an unknown priority');
like($out, qr/^jobs: scenario, .* kept as each job's result\.original/m, 'summary: what is kept outside ffrtmp\'s fields');
like($out, qr/^jobs: the logs of 1 job not imported/m, 'summary: logs are not imported, "1 job" in the singular');
like($out, qr/^jobs: 11 imported jobs are older than the retention of 7d \(ffrtmp\.retention\) and will be pruned by the next pass$/m,
	'summary: jobs the next pruning pass would delete at once are announced');
like($out, qr/^nodes: 3 in the store, not imported: /m, 'summary: the nodes, counted');
like($out, qr/^Summary: tenants 8 created, 1 updated, 0 unchanged, 3 not imported, 1 refused; jobs 11 imported, 0 unchanged, 5 not imported, 1 refused; nodes 3 not imported$/m,
	'summary: the totals');

# The job history, exactly: final states, inputs, attempts, reasons, the
# original's times, the key that makes it idempotent, the original's record.
my $default_jobs = $node->safe_psql('postgres', q{SELECT concat_ws('|', seq, state, input_url, coalesce(output_url, '-'), queue,
	priority, attempt, coalesce(failure_reason, '-'), coalesce(error, '-'), to_char(j.created_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
	coalesce(to_char(j.started_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), '-'), to_char(j.finished_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
	j.idempotency_key, j.result #>> '{original,node_id}', result #>> '{original,scenario}')
	FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'default' ORDER BY seq});
is($default_jobs, join("\n",
	'1|completed|file:///data/my%20clip.mp4|rtmp://live.example/app/key|live|100|1|-|-|10:00:00|10:01:00|10:05:30|import:job-1|node-1|1080p30-h264',
	'2|completed|testsrc://|-|default|0|1|-|-|10:00:00|10:01:00|10:05:30|import:job-2|node-1|1080p30-h264',
	'3|completed|https://cdn.example/in.mp4|-|batch|-100|2|-|-|10:00:00|10:01:00|10:05:30|import:job-3|node-1|1080p30-h264',
	(map { "$_|completed|file:///data/in.mp4|-|default|0|1|-|-|10:00:00|10:01:00|10:05:30|import:job-$_|node-1|1080p30-h264" } 4 .. 6),
	'7|failed|file:///data/in.mp4|-|default|0|3|runtime_error|ffmpeg exited with status 1|10:00:00|10:01:00|10:05:30|import:job-7|node-1|1080p30-h264',
	'8|failed|file:///data/in.mp4|-|default|0|1|capability_mismatch|no gpu|10:00:00|10:01:00|10:05:30|import:job-8|node-1|1080p30-h264',
	'9|canceled|file:///data/in.mp4|-|default|0|1|-|-|10:00:00|-|10:05:30|import:job-10|node-1|1080p30-h264',
	'10|timed_out|file:///data/in.mp4|-|default|0|4|timeout|ran past 240 minutes|10:00:00|10:01:00|10:05:30|import:job-15|node-1|1080p30-h264',
	'11|completed|testsrc://|-|default|0|1|-|-|10:00:00|10:01:00|10:05:30|import:job-17|node-1|1080p30-h264'),
	'jobs: the finished jobs imported exactly, in the original\'s order');
is($node->safe_psql('postgres', q{SELECT result #>> '{original,parameters}' FROM ffrtmp_data.jobs WHERE idempotency_key = 'import:job-17'}),
	'not json {', 'jobs: parameters that are not JSON are kept as text');
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE from_state IS NULL AND to_state = j.state AND reason = 'imported'), count(*)
	FROM ffrtmp_data.job_events e JOIN ffrtmp_data.jobs j ON j.id = e.job_id}), '11|11', 'jobs: one event each, the import');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE action = 'job.import'}), '11',
	'jobs: one audit row each');
is($node->safe_psql('postgres', q{SELECT active_jobs, queued_jobs, jobs_submitted, hour_counts = array_fill(0, ARRAY[60])
	FROM ffrtmp_data.usage u JOIN ffrtmp_data.tenants t ON t.id = u.tenant_id WHERE t.name = 'default'}), '0|0|11|t',
	'jobs: no quota or per-hour counter moved, the job numbers taken');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'jobs: usage counters still exact');

# A second run changes nothing, not even updated_at.
my $after = $node->safe_psql('postgres', $tenants_sql);
my $jobs_after = $node->safe_psql('postgres', $jobs_sql);
($rc, $out, $err) = run_import($db);
is($rc, 1, 'second run: exit status 1 again (the same refusal)') or diag "$out\n$err";
like($out, qr/^Summary: tenants 0 created, 0 updated, 9 unchanged, 3 not imported, 1 refused;/m,
	'second run: every imported tenant unchanged') or diag $out;
is($node->safe_psql('postgres', $tenants_sql), $after, 'second run: no tenant changed');
like($out, qr/jobs 0 imported, 11 unchanged, 5 not imported, 1 refused;/, 'second run: every job found, none imported again');
unlike($out, qr/retention/, 'second run: no retention warning, no job imported now');
is($node->safe_psql('postgres', $jobs_sql), $jobs_after, 'second run: no job, event, usage or audit row changed');

# A job submitted after the import takes the next number.
is($node->safe_psql('postgres', q{SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'default')}), '12',
	'a job submitted after the import takes the next job number');

# A change in ffrtmp since the import is put back as the store has it, and only that.
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('acme', plan => 'basic', quotas => '{"max_jobs": 7}')});
($rc, $out, $err) = run_import($db);
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
like($err, qr/^ffrtmp: error: cannot read .*notes\.txt: file is not a database$/m,
	'a file that is not a database: says so, as an error of the ffrtmp command');
($rc, $out, $err) = run_import("$dir/missing.db");
is($rc, 2, 'no such file: exit status 2');
like($err, qr/^ffrtmp: error: cannot read .*missing\.db/m, 'no such file: says so, as an error of the ffrtmp command');
ok(!-e "$dir/missing.db", 'no such file: none is created');
# Files SQLite would read as an empty database, or never finish reading: an
# empty file, a device, a FIFO; and a database without the original's tables.
append_to_file("$dir/empty.db", '');
system('mkfifo', "$dir/store.fifo") == 0 or die "mkfifo: $!";
for my $f ([ 'an empty file', "$dir/empty.db", qr/no jobs or nodes table/ ],
	[ '/dev/null', '/dev/null', qr/not a regular file/ ],
	[ 'a FIFO', "$dir/store.fifo", qr/not a regular file/ ])
{
	($rc, $out, $err) = run_import($f->[1]);
	is($rc, 2, "$f->[0]: exit status 2");
	like($err, $f->[2], "$f->[0]: says why");
}
is($node->safe_psql('postgres', $tenants_sql), $after, 'unreadable files change nothing');

# A caller who is not an administrator is refused by the server, per tenant.
$node->safe_psql('postgres', 'CREATE ROLE clerk LOGIN');
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('acme', display_name => 'Renamed')});
my $clerk_dsn = $node->connstr('postgres') . ' user=clerk';
my ($crc, $cout, $cerr) = ('', '', '');
IPC::Run::run([ $cli, "--dsn=$clerk_dsn", 'import', 'sqlite', $db ], '>', \$cout, '2>', \$cerr);
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
like($out, qr/^job job-1: refused by the server\n  error: permission denied: tenants\.manage \(SQLSTATE 42501\)$/m,
	'a tenant administrator\'s key: the first job refused by the server');
like($out, qr/^jobs: 11 more not tried: the server refused the caller/m, 'a tenant administrator\'s key: the others not tried');
like($out, qr/jobs 0 imported, 0 unchanged, 5 not imported, 12 refused;/, 'a tenant administrator\'s key: every finished job counted as refused');
is($node->safe_psql('postgres', $tenants_sql), $after, 'a tenant administrator\'s key: nothing changed');

# A hostile store: escape sequences in tenant names, statuses, plans, job
# ids, statuses, queues and priorities (ESC, and U+009B, the 8-bit CSI).
# The report shows each value escaped, as tables and errors do, so nothing
# in a store can retitle, clear or recolour the operator's terminal.
my $hostile = "$dir/hostile.db";
my $hostile_rows = <<'SQL';
CREATE TABLE tenants(id, name, display_name, status, plan, expires_at, quotas);
INSERT INTO tenants VALUES(1, 'evil'||char(27)||']0;PWNED'||char(7), 'x', 'weird'||char(27)||'[31m', 'free', NULL, '{}');
INSERT INTO tenants VALUES(2, 'okname', 'x', 'active', 'nosuch'||char(27)||'[2J', NULL, '{}');
CREATE TABLE jobs(id, sequence_number, status, parameters, queue, priority, created_at, started_at,
  completed_at, last_activity_at, retry_count, failure_reason, error, scenario, confidence, engine,
  node_id, progress, max_retries, retry_reason, state_transitions, logs);
INSERT INTO jobs VALUES('j1'||char(27)||'[2J', 1, 'bogus'||char(27)||'[41m', '{}', NULL, NULL, '2024-01-01',
  NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO jobs VALUES('j2', 2, 'completed', '{}', 'q'||char(27)||'[42m', 'p'||char(155)||'x', '2024-01-01',
  NULL, '2024-01-02', NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SQL
ok(IPC::Run::run([ 'sqlite3', $hostile ], '<', \$hostile_rows, '>', \$built_out, '2>', \$built_err),
	'hostile store built') or diag $built_err;
($rc, $out, $err) = run_import($hostile, '--dry-run');
is($rc, 0, 'hostile store: the dry run ends');
unlike($out, qr/[\e\x{07}]/, 'hostile store: no ESC or BEL from the store on stdout');
unlike($err, qr/[\e\x{07}]/, 'hostile store: no ESC or BEL from the store on stderr');
unlike($out . $err, qr/\x{c2}\x{9b}|\x{9b}/, 'hostile store: no raw 8-bit CSI (U+009B)');
like($out, qr/^tenant evil\\x1B\]0;PWNED\\x07: /m, 'the tenant name is shown escaped');
like($out, qr/weird\\x1B\[31m/, 'the tenant status is shown escaped');
like($out, qr/nosuch\\x1B\[2J/, 'the plan is shown escaped');
like($out, qr/^job j1\\x1B\[2J: not imported: status "bogus\\x1B\[41m"/m, 'the job id and status are shown escaped');
like($out, qr/^job j2: queue "q\\x1B\[42m"/m, 'the queue is shown escaped');
like($out, qr/^job j2: priority "p\\u009Bx"/m, 'the 8-bit CSI in a priority is shown as \\u009B');

# A file that is no database, named with an escape sequence: the name is
# shown escaped in "cannot read".
my $badname = "$dir/bad\e[2J.db";
open(my $bad, '>', $badname) or die "$badname: $!";
print $bad "this is no SQLite database, it is text long enough to have a header\n" x 4;
close $bad;
($rc, $out, $err) = run_import($badname, '--dry-run');
isnt($rc, 0, 'a file that is no database: refused');
unlike($out . $err, qr/\e/, 'a file that is no database: no ESC of its name reaches the terminal');
like($err, qr/cannot read .*bad\\x1B\[2J\.db/, 'a file that is no database: its name is shown escaped');

# --output=json (and -o json): one JSON document on stdout, with the same
# rows and reasons as the text report, under the field names docs/cli.md
# lists, and nothing else there.
my ($jrc, $jout, $jerr) = ('', '', '');
IPC::Run::run([ $cli, "--dsn=$dsn", '--output=json', 'import', 'sqlite', '--dry-run', $db ], '>', \$jout, '2>', \$jerr);
$jrc = $? >> 8;
is($jrc, 1, '--output=json: the same exit status as the text report') or diag "$jout\n$jerr";
my $doc = eval { JSON::PP->new->decode($jout) };
ok(ref $doc eq 'HASH', '--output=json: stdout is one JSON object') or diag "$@\n$jout";
$doc = {} unless ref $doc eq 'HASH';
is_deeply([ sort keys %$doc ], [qw(dry_run file jobs nodes notes rows tenants)], '--output=json: the documented top-level fields');
is_deeply($doc->{jobs}, { imported => 0, unchanged => 11, not_imported => 5, refused => 1, past_retention => 0 },
	'--output=json: the job counts');
is_deeply([ sort keys %{ $doc->{tenants} // {} } ], [qw(created not_imported refused unchanged updated)],
	'--output=json: the tenant counts');
is($doc->{nodes}{not_imported}, 3, '--output=json: the nodes');
ok($doc->{dry_run}, '--output=json: says it is a dry run');
my %row = map { ("$_->{kind} $_->{name} $_->{outcome}" => $_) } @{ $doc->{rows} // [] };
like($row{'tenant startup not_imported'}{reason} // '', qr/^plan "starter" is not an ffrtmp plan/,
	'--output=json: a tenant not imported, with its reason');
is($row{'tenant Bad Name refused'}{sqlstate}, '22023', '--output=json: a tenant the server refused, with its SQLSTATE');
like($row{'job job-11 not_imported'}{reason} // '', qr/^queued, not finished/, '--output=json: a job not imported');
is($row{'job job-9 refused'}{sqlstate}, '22023', '--output=json: a job the server refused');
like($row{'job job-17 adjusted'}{reason} // '', qr/^(queue|priority) /, '--output=json: a job imported with a value changed');
like($row{'tenant oddq adjusted'}{reason} // '', qr/^quota /, '--output=json: a tenant\'s quota not imported');
ok((grep { /^nodes: 3 in the store/ } @{ $doc->{notes} // [] }), '--output=json: the notes about the whole store');
is_deeply([ sort keys %{ $row{'job job-9 refused'} // {} } ], [qw(detail hint kind name outcome reason sqlstate)],
	'--output=json: the documented fields of a row');
IPC::Run::run([ $cli, "--dsn=$dsn", '-o', 'json', 'import', 'sqlite', '--dry-run', $db ], '>', \$jout, '2>', \$jerr);
ok(eval { JSON::PP->new->decode($jout); 1 }, '-o json: the same JSON document');
IPC::Run::run([ $cli, "--dsn=$dsn", '-o', 'json', 'import', 'sqlite', '--dry-run', $hostile ], '>', \$jout, '2>', \$jerr);
unlike($jout, qr/[\e\x{07}]|\x{c2}\x{9b}/, '--output=json, hostile store: no ESC, BEL or 8-bit CSI raw in the document');
$doc = eval { JSON::PP->new->decode($jout) } // {};
ok((grep { ($_->{name} // '') eq "evil\e]0;PWNED\a" } @{ $doc->{rows} // [] }),
	'--output=json, hostile store: the name is kept exactly, as JSON escapes');

# Odd cells, row by row: a BLOB in a job or a tenant, retry counts that are
# no count (text, a fraction, negative, past import_job's attempt bound).
# Each such row is reported, with the column, and skipped; the other rows
# are imported.  A tenant the server refuses for its name has that one
# reason, not also a note about its expiry.
my $odd = "$dir/odd.db";
my $odd_rows = "BEGIN;\n";
my $odd_job = "INSERT INTO jobs (id, sequence_number, scenario, parameters, status, created_at, completed_at, retry_count) "
  . "VALUES ('%s', %d, %s, '{}', 'completed', '2025-12-03 10:00:00+00:00', '2025-12-03 10:05:00+00:00', %s);\n";
$odd_rows .= sprintf($odd_job, 'b1', 101, "x'00ff'", '0');
$odd_rows .= sprintf($odd_job, 'b2', 102, "'s'", "'abc'");
$odd_rows .= sprintf($odd_job, 'b3', 103, "'s'", '2.9');
$odd_rows .= sprintf($odd_job, 'b4', 104, "'s'", '-1');
$odd_rows .= sprintf($odd_job, 'b5', 105, "'s'", '9223372036854775807');
$odd_rows .= sprintf($odd_job, 'b6', 106, "'s'", '2147483647');
$odd_rows .= sprintf($odd_job, 'b7', 107, "'s'", '2');
$odd_rows .= "INSERT INTO tenants VALUES ('t1', 'Bad Expired', 'x', 'active', 'free', '{}', '{}', '{}', "
  . "'2025-12-01', '2025-12-01', '2020-01-01 00:00:00+00:00');\n";
$odd_rows .= "INSERT INTO tenants VALUES ('t2', 'blobby', x'00ff', 'active', 'free', '{}', '{}', '{}', "
  . "'2025-12-01', '2025-12-01', NULL);\n";
$odd_rows .= "COMMIT;\n";
ok(IPC::Run::run([ 'sqlite3', $odd ], '<', \"$schema$odd_rows", '>', \$built_out, '2>', \$built_err),
	'store with odd cells built') or diag $built_err;
($rc, $out, $err) = run_import($odd);
is($rc, 1, 'odd cells: exit status 1 (the server refused one tenant), not 2 (unreadable)') or diag "$out\n$err";
note $out;
like($out, qr/^job b1: not imported: scenario holds a BLOB/m, 'odd cells: a job with a BLOB is reported, with its column');
like($out, qr/^tenant blobby: not imported: display_name holds a BLOB/m, 'odd cells: a tenant with a BLOB is reported, with its column');
like($out, qr/^job b2: not imported: retry_count "abc" is not a count/m, 'odd cells: a retry_count that is text');
like($out, qr/^job b3: not imported: retry_count "2\.9" is not a count/m, 'odd cells: a retry_count that is no whole number');
like($out, qr/^job b4: not imported: retry_count "-1" is not a count/m, 'odd cells: a negative retry_count');
like($out, qr/^job b5: not imported: retry_count "9223372036854775807" is not a count/m,
	'odd cells: a retry_count past any attempt (no overflow)');
like($out, qr/^job b6: not imported: retry_count "2147483647" is not a count/m,
	'odd cells: a retry_count one past import_job\'s attempt bound');
is($node->safe_psql('postgres', q{SELECT string_agg(idempotency_key || '|' || attempt, ',' ORDER BY seq) FROM ffrtmp_data.jobs
	WHERE idempotency_key LIKE 'import:b%'}), 'import:b7|3', 'odd cells: only the mappable job is imported, with its attempt');
like($out, qr/^tenant Bad Expired: refused by the server\n  error: .*\(SQLSTATE 22023\)\n(?!  expiry)/m,
	'odd cells: a tenant refused for its name has that one reason');
unlike($out, qr/expiry/, 'odd cells: no expiry note for the refused tenant');
like($out, qr/jobs 1 imported, 0 unchanged, 6 not imported, 0 refused;/, 'odd cells: the summary counts them as not imported');
like($out, qr/^jobs: 1 imported job is older than the retention of 7d/m, 'odd cells: the retention warning in the singular');
IPC::Run::run([ $cli, "--dsn=$dsn", '-o', 'json', 'import', 'sqlite', '--dry-run', $odd ], '>', \$jout, '2>', \$jerr);
$doc = eval { JSON::PP->new->decode($jout) } // {};
ok((grep { $_->{name} eq 'b1' && $_->{outcome} eq 'not_imported' && $_->{reason} =~ /^scenario holds a BLOB/ } @{ $doc->{rows} // [] }),
	'odd cells, --output=json: the BLOB row with its column');
ok(!(grep { ($_->{name} // '') eq 'Bad Expired' && $_->{outcome} ne 'refused' } @{ $doc->{rows} // [] }),
	'odd cells, --output=json: one row, refused, for the tenant refused for its name');

$node->stop;
done_testing();
