# Hostile input to the command-line client, third round (docs/cli.md): each
# case is a defect found by trying to break the last fixes, kept as a test
# of the behaviour that should be.  They fail on the code they were found
# on:
#
# 1. import sqlite's text report writes a store value's bytes raw when they
#    are not UTF-8 and begin with a 4-byte lead (0xF0): the lead swallows
#    the next three bytes as one "character" of width 1, so an ESC (and
#    BEL) after it reaches the terminal (ESC [2J clears the screen, an OSC
#    sets the window title);
# 2. import sqlite --output=json copies a lead byte 0xF5-0xFF followed by
#    two continuation bytes as if it were a 3-byte sequence: the document
#    is not UTF-8, so no strict JSON parser reads it;
# 3. output that cannot be written (stdout a full disk, or closed) is exit
#    0 with no message: a script cannot tell that it lost the answer;
# 4. -oxyz (the global option -o grouped with a value that is no format)
#    is "unknown option -o" although -o is an option; -o xyz and
#    --output=xyz name the formats;
# 5. a time column holding 'now', 'infinity', 'epoch' or 'today' is
#    imported as that PostgreSQL special value (the job ends at the moment
#    of the import, or never);
# 6. U+2028 and the bidi overrides come raw in JSON output (tables escape
#    them);
# 7. jobs watch of more than 256 jobs prints the others' lines at every
#    poll, their final lines too;
# 8. "ffrtmp -- tenants list" is "unknown command "--"";
# 9. a store value is read up to its first NUL byte: a tenant "nulco\0evil"
#    is imported as (over) the tenant nulco.
#
# The binary is the build tree's, handed over by scripts/test.sh as FFRTMP_CLI.
use strict;
use warnings;
use Encode ();
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

# The original's tenants table (as test/t/080_cli_import.pl declares it,
# from its shared/pkg/store/postgres.go); the importer needs jobs and nodes
# too, empty here.
my $schema = <<'SQL';
CREATE TABLE nodes (id TEXT PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL UNIQUE,
	type TEXT NOT NULL, cpu_threads INTEGER NOT NULL, cpu_model TEXT NOT NULL,
	cpu_load_percent REAL DEFAULT 0, has_gpu BOOLEAN NOT NULL, gpu_type TEXT, gpu_capabilities TEXT,
	ram_total_bytes INTEGER NOT NULL, ram_free_bytes INTEGER DEFAULT 0, labels TEXT, status TEXT NOT NULL,
	last_heartbeat DATETIME NOT NULL, registered_at DATETIME NOT NULL, current_job_id TEXT);
CREATE TABLE jobs (id TEXT PRIMARY KEY, sequence_number INTEGER NOT NULL, scenario TEXT NOT NULL,
	confidence TEXT, engine TEXT NOT NULL DEFAULT 'auto', parameters TEXT, status TEXT NOT NULL,
	queue TEXT DEFAULT 'default', priority TEXT DEFAULT 'medium', progress INTEGER DEFAULT 0,
	node_id TEXT, created_at DATETIME NOT NULL, started_at DATETIME, last_activity_at DATETIME,
	completed_at DATETIME, retry_count INTEGER NOT NULL DEFAULT 0, max_retries INTEGER DEFAULT 3,
	retry_reason TEXT, error TEXT, failure_reason TEXT, logs TEXT, state_transitions TEXT);
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'active', plan TEXT NOT NULL DEFAULT 'free', quotas JSONB NOT NULL,
	usage JSONB NOT NULL, metadata JSONB, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP);
SQL

my $dir = PostgreSQL::Test::Utils::tempdir('breaker3');

# store(NAME, [name, plan (SQL expressions)]...): a master.db with these tenants.
sub store
{
	my ($file, @tenants) = @_;
	my $sql = $schema;
	my $n = 0;
	for my $t (@tenants)
	{
		$n++;
		$sql .= "INSERT INTO tenants VALUES ('id-$n', $t->[0], 'x', 'active', $t->[1], '{}', '{}', '{}', "
		  . "'2025-12-01 10:00:00', '2025-12-01 10:00:00', NULL);\n";
	}
	my $db = "$dir/$file";
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'sqlite3', $db ], '<', \$sql, '>', \$out, '2>', \$err) or die "sqlite3: $err";
	return $db;
}

my $node = PostgreSQL::Test::Cluster->new('breaker3');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
my $dsn = $node->connstr('postgres');

# ffrtmp(ARGS...): (exit status, stdout, stderr)
sub ffrtmp
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, "--dsn=$dsn", @_ ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# 1. A byte that is not UTF-8 hides an ESC and a BEL behind it: the text
# report must show them escaped, never raw.
{
	my $db = store('lead.db',
		[ q{'clear'}, q{CAST(X'F01B5B324A' AS TEXT) || 'x'} ],
		[ q{'title'}, q{CAST(X'F01B5D303B70776E6564F0072020' AS TEXT)} ],
		[ q{CAST(X'6E6DF01B5B33316D' AS TEXT)}, q{'pro'} ]);
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', $db);
	like($out, qr/plan "/, 'the text report names the odd plans');
	unlike($out, qr/\e/, 'text report: no raw ESC from a store value behind a 0xF0 byte');
	unlike($out, qr/\a/, 'text report: no raw BEL from a store value behind a 0xF0 byte');
	unlike($out . $err, qr/[\x80-\xFF]\e/, 'text report and errors: no lead byte written raw before an ESC');
}

# 2. Lead bytes 0xF5-0xFF (never UTF-8) followed by two continuation bytes:
# the JSON document must stay UTF-8 (U+FFFD for each such byte) and exact.
{
	my $db = store('f5.db',
		[ q{'f5'}, q{CAST(X'F58080' AS TEXT)} ],
		[ q{'f8'}, q{CAST(X'F88080' AS TEXT) || 'plan'} ],
		[ q{'ff'}, q{CAST(X'FFBFBF' AS TEXT)} ]);
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', '--output=json', $db);
	my $copy = $out;
	ok(eval { Encode::decode('UTF-8', $copy, Encode::FB_CROAK); 1 }, 'import --output=json: the document is UTF-8')
	  or diag $@;
	my $doc = eval { JSON::PP->new->utf8->decode($out) };
	ok($doc, 'import --output=json: one JSON document a strict parser reads') or diag $@;
	is(scalar(grep { ($_->{reason} // '') =~ /^plan "\x{FFFD}{3}(plan)?" is not an ffrtmp plan/ } @{ $doc->{rows} // [] }),
		3, 'each of the three plans is reported, its bytes as U+FFFD');
}

# 3. Output that cannot be written is an error: exit 1 or 2 (as a write
# error is for the peers: coreutils, psql) with a message, never exit 0.
# The server's change, made before the printing, stays (it is committed).
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, "--dsn=$dsn", 'tenants', 'list' ], '<', \'', '>', '/dev/full', '2>', \$err);
	my $rc = $? >> 8;
	ok($rc == 1 || $rc == 2, "tenants list >/dev/full: exit 1 or 2 (got $rc)");
	like($err, qr/ffrtmp: .*(write|output)/i, 'tenants list >/dev/full: a message says the output failed');

	$err = '';
	IPC::Run::run([ 'sh', '-c', 'exec "$@" >&-', 'closed', $cli, "--dsn=$dsn", 'tenants', 'create', 'closedout',
		'--plan=free' ], '<', \'', '2>', \$err);
	$rc = $? >> 8;
	ok($rc == 1 || $rc == 2, "tenants create with stdout closed: exit 1 or 2 (got $rc)");
	like($err, qr/ffrtmp: .*(write|output)/i, 'tenants create with stdout closed: a message says the output failed');
	is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.tenants WHERE name = 'closedout'}), '1',
		'the tenant created before the printing is committed');
}

# 4. -o is an option: grouped with a value that is no format (-oxyz, -oj)
# it is refused as -o xyz and --output=xyz are, naming the formats, not as
# an unknown option.
for my $arg ('-oxyz', '-oj')
{
	my ($rc, $out, $err) = ffrtmp('tenants', 'list', $arg);
	is($rc, 2, "tenants list $arg: a usage error");
	unlike($err, qr/unknown option -o\b/, "tenants list $arg: -o is not called an unknown option");
	like($err, qr/table or json/, "tenants list $arg: the message names the formats");
}

# 5. A time column holding one of PostgreSQL's special words ('now',
# 'infinity', 'epoch', 'today') is not a time the original wrote: the job
# is reported (not imported or refused), never imported with the moment of
# the import or an infinite end as its time.
{
	my $sql = "INSERT INTO jobs (id, sequence_number, scenario, status, created_at, started_at, completed_at, "
	  . "parameters) VALUES "
	  . "('w-now', 1, 'sc', 'completed', '2025-12-03 10:00:00', NULL, 'now', '{}'), "
	  . "('w-inf', 2, 'sc', 'completed', '-infinity', NULL, 'infinity', '{}'), "
	  . "('w-epoch', 3, 'sc', 'completed', 'epoch', NULL, '2025-12-03 10:05:00', '{}'), "
	  . "('w-today', 4, 'sc', 'completed', 'today', NULL, 'tomorrow', '{}');";
	my $db = store('words.db');
	IPC::Run::run([ 'sqlite3', $db, $sql ]) or die 'sqlite3 failed';
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', '--output=json', $db);
	my $doc = eval { decode_json($out) } // {};
	is($doc->{jobs}{imported}, 0, 'no job with a special word as a time is imported');
	is_deeply([ sort map { $_->{name} } grep { $_->{kind} eq 'job' } @{ $doc->{rows} // [] } ],
		[qw(w-epoch w-inf w-now w-today)], 'each of them is reported');
}

# 6. The bidi overrides and the line separator, escaped in tables, come raw
# in JSON output (the server's, and the importer's own): on a terminal a
# U+202E reorders what follows.  JSON may write them as \u202E and stay
# exact: a parser reads the same string.
{
	my $name = "k1\x{2028}x\x{202E}y";
	my $bytes = Encode::encode('UTF-8', $name);
	my ($rc, $out, $err) = ffrtmp('tenants', 'create', 'bidi', '--plan=free', "--display-name=$bytes");
	is($rc, 0, 'a tenant named with U+2028 and U+202E') or diag $err;
	($rc, $out, $err) = ffrtmp('-o', 'json', 'tenants', 'list');
	my $doc = eval { JSON::PP->new->utf8->decode($out) } // [];
	is((grep { ($_->{display_name} // '') eq $name } @$doc), 1, 'tenants list -o json: the name is exact');
	unlike($out, qr/\xE2\x80[\xA8\xA9\xAA-\xAE]/, 'tenants list -o json: no raw U+2028 or bidi override');

	my $db = store('bidi.db', [ q{'bidi'}, "'pro' || char(8232) || 'x' || char(8238) || 'y'" ]);
	($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', '--output=json', $db);
	unlike($out, qr/\xE2\x80[\xA8\xA9\xAA-\xAE]/, 'import --output=json: no raw U+2028 or bidi override');
	$doc = eval { JSON::PP->new->utf8->decode($out) } // {};
	like($doc->{rows}[0]{reason} // '', qr/"pro\x{2028}x\x{202E}y"/, 'import --output=json: the plan is exact');
}

# 7. jobs watch of 300 named jobs (plain lines, not a terminal): a line
# each time a job's state changes, so one "queued" line and one final
# "canceled" line per job.  Past the 256 jobs it remembers, every poll
# printed each other job's line again, its final line too.
{
	my $ids = $node->safe_psql('postgres', q{SELECT string_agg(id::text, ' ' ORDER BY id) FROM
		(SELECT (ffrtmp.submit_job(input_url => 'https://media.example/w' || i || '.mp4', tenant => 'default')).id
		 FROM generate_series(1, 300) i) j});
	my @ids = split ' ', $ids;
	is(scalar @ids, 300, '300 jobs queued');
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $cli, "--dsn=$dsn", 'jobs', 'watch', @ids ], '<', \'', '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	$h->pump until ($out =~ tr/\n//) >= 300;
	# A few polls with nothing changed, then half of the jobs end, a few
	# polls, and the other half.
	sleep 3;
	$node->safe_psql('postgres', "SELECT ffrtmp.cancel_job(id) FROM unnest('{" . join(',', @ids[150 .. 299])
		  . "}'::bigint[]) id");
	sleep 3;
	$node->safe_psql('postgres', "SELECT ffrtmp.cancel_job(id) FROM unnest('{" . join(',', @ids[0 .. 149])
		  . "}'::bigint[]) id");
	$h->finish;
	is($? >> 8, 1, 'jobs watch: exit 1 (not all completed)');
	my (%queued, %canceled);
	$queued{$1}++ while $out =~ /^job (\d+) \(default #\d+\)\s+queued /mg;
	$canceled{$1}++ while $out =~ /^job (\d+) \(default #\d+\)\s+canceled$/mg;
	is(scalar(grep { ($queued{$_} // 0) == 1 } @ids), 300, 'jobs watch of 300 jobs: one queued line each');
	is(scalar(grep { ($canceled{$_} // 0) == 1 } @ids), 300, 'jobs watch of 300 jobs: one final line each');
}

# 8. "--" ends the global options, as getopt's "--" does: the command
# follows it (it was taken for a command named "--").
{
	my ($rc, $out, $err) = ffrtmp('--', 'tenants', 'list');
	is($rc, 0, 'ffrtmp -- tenants list: the command after --') or diag $err;
	unlike($err, qr/unknown command "--"/, 'ffrtmp -- tenants list: -- is no command');
}

# 9. A store value with a NUL byte is read up to the NUL: a tenant named
# "nulco\0evil" (another row of the store, its name unique there) became
# the tenant nulco, and the import put nulco's plan back to its own.  Such
# a row must not be imported (reported), and nulco keep the plan of its
# own row.
{
	my $db = store('nul.db',
		[ q{'nulco'}, q{'pro'} ],
		[ q{CAST(X'6E756C636F006576696C' AS TEXT)}, q{'free'} ]);
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', $db);
	is($node->safe_psql('postgres', q{SELECT plan FROM ffrtmp.tenants WHERE name = 'nulco'}), 'pro',
		'the tenant nulco has the plan of its own row');
	unlike($out, qr/tenant nulco: updated/, 'a name with a NUL is not taken for nulco');
}

# Neighbours of the cases above, found while fixing them.

# An option that names something, given an empty value (an unset variable),
# is a usage error, as an empty --api-key is: nothing is sent.
for my $args ([ qw(keys create k --user=) ], [ qw(--tenant= tenants list) ], [ qw(webhooks deliveries --job=) ])
{
	my ($rc, $out, $err) = ffrtmp(@$args);
	is($rc, 2, "@$args: a usage error");
	like($err, qr/is empty/, "@$args: the message says the value is empty");
}

# The other special words, and a tenant's expiry: never a time the original wrote.
{
	my $sql = "INSERT INTO jobs (id, sequence_number, scenario, status, created_at, started_at, completed_at, "
	  . "parameters) VALUES "
	  . "('w-yest', 1, 'sc', 'completed', 'yesterday', NULL, '2025-12-03 10:05:00', '{}'), "
	  . "('w-allb', 2, 'sc', 'completed', '2025-12-03 10:00:00', 'allballs', '2025-12-03 10:05:00', '{}'), "
	  . "('w-ok', 3, 'sc', 'completed', '2025-12-03T10:00:00Z', NULL, '2025-12-03 10:05:00+00:00', '{}'); "
	  . "UPDATE tenants SET expires_at = 'infinity';";
	my $db = store('words2.db', [ q{'forever'}, q{'pro'} ]);
	IPC::Run::run([ 'sqlite3', $db, $sql ]) or die 'sqlite3 failed';
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', '--output=json', $db);
	my $doc = eval { decode_json($out) } // {};
	is($doc->{jobs}{imported}, 1, 'the job with RFC 3339 and Go times is imported, not the others');
	is_deeply([ sort map { $_->{name} } grep { $_->{kind} eq 'job' } @{ $doc->{rows} // [] } ],
		[qw(w-allb w-yest)], 'yesterday and allballs are reported');
	like(join("\n", map { $_->{reason} // '' } grep { $_->{kind} eq 'tenant' } @{ $doc->{rows} // [] }),
		qr/expires_at "infinity" is not a time/, 'a tenant expiring at infinity is reported');
}

# A NUL byte in a job's column: that job is reported, not imported cut short.
{
	my $sql = "INSERT INTO jobs (id, sequence_number, scenario, status, created_at, completed_at, parameters, error) "
	  . "VALUES ('nul-job', 1, 'sc', 'failed', '2025-12-03 10:00:00', '2025-12-03 10:05:00', '{}', "
	  . "CAST(X'626164006576696C' AS TEXT));";
	my $db = store('nuljob.db');
	IPC::Run::run([ 'sqlite3', $db, $sql ]) or die 'sqlite3 failed';
	my ($rc, $out, $err) = ffrtmp('import', 'sqlite', '--dry-run', '--output=json', $db);
	my $doc = eval { decode_json($out) } // {};
	is($doc->{jobs}{imported}, 0, 'a job with a NUL byte in its error is not imported');
	like(join("\n", map { $_->{reason} // '' } @{ $doc->{rows} // [] }), qr/error holds a NUL byte/,
		'the report names the column');
}

# Output that cannot be written: a JSON answer the same.
{
	my ($err) = ('');
	IPC::Run::run([ $cli, "--dsn=$dsn", qw(-o json tenants list) ], '<', \'', '>', '/dev/full', '2>', \$err);
	is($? >> 8, 1, 'tenants list -o json >/dev/full: exit 1');
	like($err, qr/cannot write the output/, 'tenants list -o json >/dev/full: the message');
}

$node->stop;
done_testing();
