# Hostile input to the command-line client (docs/cli.md), each case a
# defect found by trying to break it, kept with the behaviour that fixed it:
#
# - a --dsn that libpq cannot parse (a URI or key=value pairs) is reported
#   without its quoted parts, so without its password;
# - a connection lost in the middle of a command is exit 3 (no connection),
#   not exit 1 (the server refused);
# - --param KEY=VALUE sends a JSON number only when VALUE is one by RFC 8259
#   (-0, 0.5, 1e5), anything else (007, .5, 1., +1) as the string --help
#   promises, never a JSON syntax error;
# - jobs history and jobs logs of a job that does not exist are refused
#   (PT404, exit 1), as jobs get is, not an empty success;
# - a table's columns stay aligned when a value holds wide (CJK) characters;
# - an empty --api-key is a usage error, not a key;
# - the man page's synopsis of each subcommand lists every option its
#   --help lists (jobs submit's and webhooks deliveries' did not);
# - control characters: the server refuses C1 controls (U+009B is an 8-bit
#   CSI) and carriage returns in display names, descriptions and node
#   labels, and shows them as ? in a job's error (which a tenant writes
#   through a dedicated node of its own); text stored before that (or by a
#   path without the check) is shown escaped (\r, \u009B) in tables,
#   "column  value" lists, log lines and errors, never raw on an operator's
#   terminal.
#
# - a usage error names the short option getopt refused (-x of -xyz, -n of
#   -n5) and shows the command line escaped;
# - bidi marks (ALM, LRM, RLM) and the line and paragraph separators are
#   escaped as \uXXXX;
# - a reader that stops early (| head -c1) is no error: exit 0, no message;
# - jobs get #N without a tenant hints at --tenant, not at job_id's argument.
#
# (A subcommand option's value starting with -o, also found here, belongs to
# the global options' parser and is tested with it.)
#
# The binary is the build tree's, handed over by scripts/test.sh as FFRTMP_CLI.
use strict;
use warnings;
use IPC::Run;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FfrtmpNeed;
use FfrtmpRest;

my $cli = $ENV{FFRTMP_CLI} or skip_all_because('FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)');

my $node = FfrtmpRest::cluster('clibreak', sql => q{
	CREATE ROLE cli_user LOGIN;
	GRANT ffrtmp_api TO cli_user;
});
my $dsn = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres';

# ffrtmp(@args) as the cluster's superuser: (exit code, stdout, stderr).
sub admin
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, "--dsn=$dsn", @_ ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub sql { $node->safe_psql('postgres', shift) }

# A query's answer, or undef when it fails (a tenant that was not created).
sub value
{
	my ($rc, $out) = $node->psql('postgres', shift);
	return $rc == 0 ? $out : undef;
}

# 1. A password in an unparsable --dsn, as a URI and as key=value pairs.
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, '--dsn=postgresql://bob:S3cretPW@[::1/postgres', 'health' ], '<', \'', '>', \$out, '2>', \$err);
	is($? >> 8, 3, 'an unparsable --dsn: exit 3');
	unlike($err, qr/S3cretPW/, 'the error does not show the password of the --dsn URI');
	like($err, qr/cannot connect: .*IPv6 host address/, 'but says what libpq could not read');
	for my $dsn ('postgresql://bob:S3cret%zzPW@localhost/postgres', 'host=localhost user=bob password=S3cret PWtail',
		"host=localhost password='S3cretPW")
	{
		my ($out2, $err2) = ('', '');
		IPC::Run::run([ $cli, "--dsn=$dsn", 'health' ], '<', \'', '>', \$out2, '2>', \$err2);
		is($? >> 8, 3, "--dsn=$dsn: exit 3");
		unlike($err2, qr/S3cret|PWtail/, "--dsn=$dsn: no part of the password in the error");
	}
	# A parsed --dsn: libpq's message names the host, as it should.
	my ($out3, $err3) = ('', '');
	IPC::Run::run([ $cli, '--dsn=host=' . $node->host . ' port=1 password=S3cretPW dbname=postgres', 'health' ],
		'<', \'', '>', \$out3, '2>', \$err3);
	is($? >> 8, 3, 'a server that is not there: exit 3');
	unlike($err3, qr/S3cretPW/, 'no password in its error either');
}

# 1b. An empty --api-key is a usage error (most likely a variable not set).
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $cli, "--dsn=$dsn", '--api-key=', 'health' ], '<', \'', '>', \$out, '2>', \$err);
	is($? >> 8, 2, '--api-key= (empty): exit 2');
	like($err, qr/--api-key is empty/, 'and says so');
}

# 3. The connection lost while the command runs (jobs submit --wait waits in
# wait_for_job, on the server): the backend is terminated.
{
	admin(qw(tenants create lost));
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start([ $cli, "--dsn=$dsn", qw(jobs submit --tenant=lost --input=file:///tmp/in.mp4 --wait) ],
		'<', \'', '>', \$out, '2>', \$err, IPC::Run::timeout(300));
	$node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE query LIKE '%FROM ffrtmp.wait_for_job(%' AND pid <> pg_backend_pid()})
	  or die 'jobs submit --wait never waited';
	sql(q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%FROM ffrtmp.wait_for_job(%' AND pid <> pg_backend_pid()});
	$h->finish;
	is($? >> 8, 3, 'a connection lost mid-command: exit 3 (no connection), not 1 (refused)') or diag($err);
}

# 3b. --param: RFC 8259's numbers as numbers, anything else a string
# ("anything else a string", jobs submit --help).
{
	admin(qw(tenants create zeros --plan=pro));
	my $param = sub {
		my ($key, $value) = @_;
		my ($rc, $out, $err) = admin(qw(jobs submit --tenant=zeros --input=file:///tmp/in.mp4 -o json), "--param=$key=$value");
		unlike($err, qr/invalid input syntax for type json/, "--param $key=$value: no JSON syntax error");
		my ($id) = $out =~ /"id":(\d+)/;
		return ($rc, $err, $id ? sql("SELECT jsonb_typeof(params->'$key') || ' ' || (params->>'$key') FROM ffrtmp.jobs WHERE id = $id") : undef);
	};
	my ($rc, $err, $sent) = $param->('audio_track', '-0');
	is($sent, 'number 0', '-0 is a JSON number');
	($rc, $err, $sent) = $param->('duration', '0.5');
	is($sent, 'number 0.5', '0.5 is a JSON number');
	($rc, $err, $sent) = $param->('audio_rate', '1e5');
	like($sent // '', qr/^number /, '1e5 is a JSON number');
	for my $string ('007', '.5', '1.', '+1')
	{
		($rc, $err) = $param->('audio_track', $string);
		is($rc, 1, "audio_track=$string: refused by the server");
		like($err, qr/not a string/, "audio_track=$string was sent as a string (the server wants a number)");
	}
}

# 3c. A job that does not exist.
{
	my ($rc, $out, $err) = admin(qw(jobs get 999999));
	is($rc, 1, 'jobs get of a job that does not exist: exit 1');
	my ($get_err) = $err =~ /(error:.*)/s;
	for my $cmd ('history', 'logs')
	{
		($rc, $out, $err) = admin('jobs', $cmd, '999999');
		is($rc, 1, "jobs $cmd of a job that does not exist: exit 1, not an empty table");
		like($err, qr/SQLSTATE: PT404/, "jobs $cmd: PT404");
		is(($err =~ /(error:.*)/s)[0], $get_err, "jobs $cmd: the message and hint of jobs get");
		is($out, '', "jobs $cmd: nothing on stdout");
	}
	# A job of another tenant, asked for with that tenant's key: the same answer.
	admin(qw(tenants create other --plan=pro));
	admin(qw(tenants create mine --plan=pro));
	($rc, $out) = admin(qw(jobs submit --tenant=other --input=file:///tmp/in.mp4 -o json));
	my ($theirs) = $out =~ /"id":(\d+)/;
	my $key = FfrtmpRest::api_key($node, 'mine-key', 'mine', 'tenant_admin');
	my $as_cli = 'host=' . $node->host . ' port=' . $node->port . ' dbname=postgres user=cli_user';
	for my $cmd ('get', 'history', 'logs')
	{
		my ($o, $e) = ('', '');
		IPC::Run::run([ $cli, "--dsn=$as_cli", "--api-key=$key", 'jobs', $cmd, $theirs ], '<', \'', '>', \$o, '2>', \$e);
		is($? >> 8, 1, "jobs $cmd of another tenant's job: exit 1");
		like($e, qr/SQLSTATE: PT404/, "jobs $cmd of another tenant's job: PT404, as if it did not exist");
	}
}

# 4. Wide characters: the column after them starts at the same place on every line.
{
	admin('tenants', 'create', 'wide', "--display-name=\x{65e5}\x{672c}\x{8a9e}\x{306e}\x{4f1a}\x{793e}");
	admin(qw(tenants create narrow --display-name=ABCDEFGHIJKL));
	my ($rc, $out) = admin(qw(tenants list));
	utf8::decode($out);
	my %col;
	for my $line (split /\n/, $out)
	{
		next unless $line =~ /^\S+\s+(wide|narrow)\s/;
		my $name = $1;
		my $before = $line =~ /^(.*?)(?:free|basic|pro|enterprise)\s/ ? $1 : '';
		# Terminal columns: a CJK ideograph or kana takes two.
		my $w = 0;
		$w += (/[\x{1100}-\x{115F}\x{2E80}-\x{A4CF}\x{AC00}-\x{D7A3}\x{F900}-\x{FAFF}\x{FF00}-\x{FF60}]/ ? 2 : 1) for split //, $before;
		$col{$name} = $w;
	}
	ok(defined $col{wide} && defined $col{narrow}, 'both rows listed');
	is($col{wide}, $col{narrow}, 'the plan column starts at the same terminal column after a CJK display name');
}

# 5. Control characters: refused by the server, escaped by the client.
{
	my ($rc, $out, $err) = admin('tenants', 'create', 'c1', "--display-name=Evil\x{c2}\x{9b}2J\x{c2}\x{9d}0;title\x{c2}\x{9c}");
	is($rc, 1, 'the server refuses a C1 control in a display name') or diag($out);
	like($err, qr/display_name contains a control character \(U\+009B\).*SQLSTATE: 22023/s, 'named as U+009B, 22023');
	unlike($err, qr/\x{c2}[\x{80}-\x{9f}]/, 'no raw C1 control in the error either');
	($rc, $out, $err) = admin('tenants', 'create', 'c1', "--description=line1\rSPOOF");
	is($rc, 1, 'the server refuses a carriage return in a description');
	like($err, qr/description contains a control character \(\\x0d\)/, 'named as \x0d');

	# Text stored before the check (or by a path without it): shown escaped.
	($rc, $out, $err) = admin(qw(tenants create c1 --display-name=placeholder));
	is($rc, 0, 'tenants create c1') or diag($err);
	sql(q{UPDATE ffrtmp_data.tenants SET display_name = 'Evil' || chr(155) || '2J' || chr(157) || '0;title' || chr(156),
		description = E'line1\rSPOOF\nline2\ttab ' || chr(8238) || 'txt.exe' WHERE name = 'c1'});
	($rc, $out) = admin(qw(tenants list));
	unlike($out, qr/\x{c2}[\x{80}-\x{9f}]/, 'tenants list: no raw C1 control in the table');
	like($out, qr/Evil\\u009B2J\\u009D0;title\\u009C/, 'tenants list: CSI, OSC and ST shown as \u009B, \u009D, \u009C');
	($rc, $out) = admin(qw(tenants get c1));
	unlike($out, qr/\r/, 'tenants get: no raw carriage return');
	like($out, qr/line1\\rSPOOF\nline2\ttab \\u202Etxt\.exe/,
		'tenants get: CR shown as \r, a bidi override as \u202E, newline and tab kept in a "column  value" list');
	unlike($out, qr/\x{e2}\x{80}\x{ae}/, 'tenants get: no raw right-to-left override');
	($rc, $out) = admin(qw(tenants get c1 -o json));
	# The server's JSON, its C1 controls written as \uXXXX: the same string to a parser.
	like($out, qr/"display_name":"Evil\\u009B2J\\u009D0;title\\u009C"/, 'JSON output: C1 controls as \u009B');
	is(eval { decode_json($out)->{display_name} }, "Evil\x{9b}2J\x{9d}0;title\x{9c}", 'JSON output: the same value');
}

# 6. A tenant's own node reports a failure whose error would move the
# operator's cursor (CSI), set the window title (OSC) and rewrite the line (CR).
{
	admin(qw(tenants create hostile --plan=pro));
	my $key = FfrtmpRest::api_key($node, 'node', 'hostile', 'tenant_admin');
	my ($rc, $out, $err) = admin(qw(jobs submit --tenant=hostile --input=file:///tmp/in.mp4 -o json));
	my ($job) = $out =~ /"id":(\d+)/ or die "jobs submit: $err";
	# As the tenant: every call one transaction authenticated by its key.
	my $as_tenant = sub {
		my $q = "BEGIN; SELECT ffrtmp.authenticate('$key'); $_[0]; COMMIT;";
		return $node->psql('postgres', $q, extra_params => [ '-U', 'cli_user' ]);
	};
	my ($prc, $reg) = $as_tenant->(q{SELECT node_id || ' ' || session_token FROM ffrtmp.register_node('evil', 2)});
	my ($node_id, $token) = (split /\n/, $reg)[-1] =~ /^(\d+) (\S+)$/ or die "register_node: $reg";
	for (1 .. 300)
	{
		$as_tenant->("SELECT ffrtmp.node_heartbeat($node_id, '$token')");
		last if sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $job") eq 'assigned';
		sleep 1;
	}
	$as_tenant->("SELECT 1 FROM ffrtmp.start_job($job, 1, $node_id, '$token')");
	$as_tenant->("SELECT 1 FROM ffrtmp.finish_job($job, 1, $node_id, '$token', 'failed', "
		  . q{error => E'could not open input\rjob completed, all good   ' || chr(155) || '2J' || chr(157) || '0;pwned' || chr(156), }
		  . q{failure_reason => 'input_error')});
	is(sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $job"), 'failed', 'the tenant\'s node failed the job');
	is(sql("SELECT error FROM ffrtmp.jobs WHERE id = $job"), 'could not open input?job completed, all good   ?2J?0;pwned?',
		'the server keeps the error with its CR and C1 controls as ?');
	($rc, $out) = admin(qw(jobs get), $job);
	is($rc, 0, 'jobs get: exit 0');
	unlike($out, qr/\x{c2}[\x{80}-\x{9f}]/, 'jobs get: the error\'s C1 controls are not written raw');
	unlike($out, qr/\r/, 'jobs get: nor its carriage return');
	($rc, $out) = admin(qw(jobs history), $job);
	unlike($out, qr/\x{c2}[\x{80}-\x{9f}]|\r/, 'jobs history: neither in the reason of the failed row');

	# The node's labels, a JSON object the tenant writes: a C1 control is refused.
	($prc, $out, $err) = $as_tenant->(
		q{SELECT node_id FROM ffrtmp.register_node('evil2', 2, labels => jsonb_build_object('zone', 'eu' || chr(155) || '2J'))});
	like($err, qr/labels holds a control character/, 'register_node refuses a C1 control in a label');
	# Labels stored before the check: nodes get shows them escaped.
	sql(qq{UPDATE ffrtmp_data.nodes SET labels = jsonb_build_object('zone', 'eu' || chr(155) || '2J') WHERE id = $node_id});
	($rc, $out, $err) = admin(qw(nodes get), $node_id);
	is($rc, 0, 'nodes get: exit 0') or diag($err);
	unlike($out, qr/\x{c2}[\x{80}-\x{9f}]/, 'nodes get: no raw C1 control from the labels');
	like($out, qr/eu\\u009B2J/, 'nodes get: the label\'s CSI shown as \u009B');

	# A log line stored before the check: jobs logs shows it escaped.
	sql(qq{INSERT INTO ffrtmp_data.job_logs (job_id, attempt, line, tenant_id, logged_at, level, source, message)
		SELECT id, 1, 1, tenant_id, now(), 'error', 'libav', E'frame 1\rfake ' || chr(155) || '2J done' FROM ffrtmp_data.jobs WHERE id = $job});
	($rc, $out, $err) = admin(qw(jobs logs), $job);
	is($rc, 0, 'jobs logs: exit 0') or diag($err);
	like($out, qr/frame 1\\rfake \\u009B2J done/, 'jobs logs: CR and CSI escaped in a table\'s cell');
	($rc, $out) = admin(qw(jobs logs --follow), $job);
	like($out, qr/#1 .*frame 1\\rfake \\u009B2J done/, 'jobs logs --follow: and in a log line');
}

# 7. ffrtmp(1) against --help: each subcommand's options in its synopsis.
SKIP:
{
	my $man_file = $cli =~ s{[^/]+$}{ffrtmp.1}r;	# scripts/test.sh copies it beside the binary
	skip "no $man_file", 1 unless -r $man_file;
	my $man = slurp_file($man_file);
	my ($groups) = `$cli --help` =~ /\nCommands:\n(.*?)\n\n/s;
	for my $group ($groups =~ /^  (\S+)/mg)
	{
		my $help = `$cli $group --help`;
		my @subs = $help =~ /\nSubcommands:\n(.*?)\n\n/s ? ($1 =~ /^  (\S+)/mg) : ('');
		for my $sub (@subs)
		{
			my $command = $sub eq '' ? $group : "$group $sub";
			my ($synopsis) = `$cli $command --help` =~ /^(.*?)\n\n/s;
			my %want = map { $_ => 1 } grep { $_ ne 'help' } $synopsis =~ /--([a-z][a-z-]*)/g;
			# A flag must not own the next word (the CLI's list of the
			# subcommands' flags): -o json after it is still the format.
			for my $flag ($synopsis =~ /--([a-z][a-z-]*)(?![=a-z-])/g)
			{
				my $out = `$cli $command --$flag -o json --help 2>&1`;
				is($?, 0, "$command --$flag -o json: --$flag takes no value") or diag($out);
			}
			# The man page's entry: the .B/.BI line that names the command.
			(my $roff = $command) =~ s/-/\\-/g;
			my ($entry) = grep { /^\.BI? / && /\Q$roff\E(?![a-z])/ } split /\n/, $man;
			my %have = map { s/\\-/-/gr => 1 } (($entry // '') =~ /\\-\\-([a-z](?:[a-z]|\\-)*)/g);
			my @missing = sort grep { !$have{$_} } keys %want;
			is("@missing", '', "ffrtmp(1) lists every option of $command --help in its synopsis");
		}
	}
}

# 6. A command option's separate-word value is never read as a global option.
{
	my ($rc, $out, $err) = admin(qw(tenants create dash --display-name -only --description --tenant -o json));
	is($rc, 0, '--display-name -only --description --tenant: both are values') or diag($err);
	like($out, qr/"display_name"\s*:\s*"-only"/, 'the display name is -only, and a real -o json after them is the format');
	like($out, qr/"description"\s*:\s*"--tenant"/, 'the description is --tenant');
	($rc, $out, $err) = admin('tenants', 'create', 'dash2', '--description', '-output is x');
	is($rc, 0, '--description "-output is x" is the description') or diag($err);
}

# 7. A usage error names the faulty word (a short option by its letter, in a
# group or with a value glued on) and shows the command line escaped.
{
	my ($rc, $out, $err) = admin(qw(jobs list -xyz));
	is($rc, 2, '-xyz: a usage error');
	like($err, qr/^ffrtmp: unknown option -x$/m, '-xyz: names -x, the letter getopt refused');
	($rc, $out, $err) = admin(qw(jobs submit --wait -n5));
	like($err, qr/^ffrtmp: unknown option -n$/m, '--wait -n5: names -n, not the word before it');
	($rc, $out, $err) = admin(qw(jobs list -n5 --wait=1));
	like($err, qr/^ffrtmp: unknown option -n$/m, '-n5 before a long option: still -n');
	($rc, $out, $err) = admin(qw(jobs submit --wait=1));
	like($err, qr/^ffrtmp: --wait takes no value$/m, '--wait=1: a flag given a value says so');
	($rc, $out, $err) = admin('jobs', 'list', "--x\e]0;owned\a\x{c2}\x{9b}2J\x{e2}\x{80}\x{ae}");
	is($rc, 2, 'an unknown option of control characters: a usage error');
	unlike($err, qr/[\e\a]|\x{c2}\x{9b}|\x{e2}\x{80}\x{ae}/, 'its controls are not echoed raw');
	like($err, qr/unknown option --x\\x1B\]0;owned\\x07\\u009B2J\\u202E/, 'but escaped, as a server text is');
	($rc, $out, $err) = admin('tenants', 'get', 'a', "b\e[2J");
	like($err, qr/unexpected argument "b\\x1B\[2J"/, 'an unexpected argument is echoed escaped');
	($rc, $out, $err) = admin("nosuch\r\e[2J");
	like($err, qr/unknown command "nosuch\\r\\x1B\[2J"/, 'an unknown command is echoed escaped');
}

# 8. Bidi marks (ALM, LRM, RLM) and the line and paragraph separators are
# escaped like the other bidi controls, and a table counts the escape's width.
{
	my ($rc, $out, $err) = admin('tenants', 'create', 'marks', "--description=a\x{e2}\x{80}\x{8f}b\x{d8}\x{9c}c\x{e2}\x{80}\x{8e}d\x{e2}\x{80}\x{a8}e\x{e2}\x{80}\x{a9}f");
	is($rc, 0, 'a description with bidi marks and separators is stored') or diag($err);
	($rc, $out, $err) = admin(qw(tenants get marks));
	like($out, qr/a\\u200Fb\\u061Cc\\u200Ed\\u2028e\\u2029f/, 'tenants get shows each as \\uXXXX');
	unlike($out, qr/\x{e2}\x{80}[\x{8e}\x{8f}\x{a8}\x{a9}]|\x{d8}\x{9c}/, 'none of them raw');
}

# 9. A reader that stops early is no error (SIGPIPE is ignored): exit 0,
# nothing on stderr, even when the output is larger than a pipe holds.
{
	sql(q{SELECT ffrtmp.create_tenant('pipe' || i, display_name => repeat('x', 200)) FROM generate_series(1, 500) i});
	my ($out, $err) = ('', '');
	# SIGPIPE at its default, as a shell starts a pipeline (an ignored
	# signal is inherited, and the test harness may ignore it).
	local $SIG{PIPE} = 'DEFAULT';
	IPC::Run::run([ 'bash', '-c', 'set -o pipefail; "$@" | head -c1', 'pipe', $cli, "--dsn=$dsn",
		qw(tenants list -o json) ], '<', \'', '>', \$out, '2>', \$err);
	is($? >> 8, 0, 'tenants list | head -c1 under pipefail: exit 0 (not 141)');
	is($err, '', 'and no error on stderr');
	is(length($out), 1, 'head had its byte');
}

# 10. jobs get #N as an administrator without --tenant: the hint names the
# CLI's option, not job_id's SQL argument; the message and SQLSTATE stay.
{
	my ($rc, $out, $err) = admin('jobs', 'get', '#4');
	is($rc, 1, 'jobs get #4 without a tenant: refused (exit 1)');
	like($err, qr/job number 4 names no tenant/, "with the server's message");
	like($err, qr/^HINT: use --tenant=NAME with a #sequence number/m, 'a hint that names --tenant');
	unlike($err, qr/tenant =>/, "not the SQL function's argument");
	like($err, qr/^SQLSTATE: 22023$/m, 'and the SQLSTATE');
	($rc, $out, $err) = admin('--tenant=marks', 'jobs', 'get', '#4');
	like($err, qr/PT404/, 'with --tenant, a number it lacks is the server\'s PT404');
}

done_testing();
