# The command-line client's nodes and webhooks commands against a real
# cluster and the real ffrtmp-worker (docs/cli.md): nodes list, get, drain
# (the worker then exits) and remove; webhooks events, create (the secret
# from --secret or FFRTMP_WEBHOOK_SECRET, never shown back), list,
# deliveries (a real job's completion queued for the endpoint) and delete;
# each in table and JSON form, the JSON checked against the SQL API's; the
# error paths (an unknown node or webhook, a bad secret, a viewer key) with
# the server's message and exit code.
#
# The binary is the build tree's, handed over by scripts/test.sh as FFRTMP_CLI.
use strict;
use warnings;
use File::Basename ();
use IPC::Run;
use JSON::PP;
use FfrtmpCluster;
use FfrtmpProcess;
use FfrtmpRest;
use PostgreSQL::Test::Utils;
use Test::More;

my $cli = $ENV{FFRTMP_CLI} or BAIL_OUT('FFRTMP_CLI names no ffrtmp binary (scripts/test.sh sets it)');
my $env = FfrtmpCluster->new('cli_nodes');
my $node = $env->node;
my $dsn = $env->conninfo;

sub ffrtmp
{
	my ($vars, @args) = ref $_[0] eq 'HASH' ? @_ : ({}, @_);
	my ($out, $err) = ('', '');
	local %ENV = (%ENV, %$vars);
	IPC::Run::run([ $cli, @args ], '<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

sub admin { ffrtmp({}, "--dsn=$dsn", @_) }

sub json_of
{
	my ($what, @args) = @_;
	my ($rc, $out, $err) = admin(@args, '--output=json');
	is($rc, 0, "$what: exit 0") or diag($err);
	return eval { decode_json($out) } // do { fail("$what: one JSON document"); diag($out); {} };
}

sub sql { $env->sql(shift) }

my $viewer = FfrtmpRest::api_key($node, 'viewer', 'acme', 'viewer');

# --- webhooks ------------------------------------------------------------------
my $events = json_of('webhooks events', qw(webhooks events));
is_deeply([ map { $_->{event} } @$events ], [ split /\n/, sql(q{SELECT event FROM ffrtmp.webhook_event_types ORDER BY event}) ],
	'webhooks events: the event names the server knows');

my $secret = 'cli-secret-0123456789';
my $wh = json_of('webhooks create', qw(webhooks create --tenant=acme --url=http://127.0.0.1:9/hook --event=completed --event=failed),
	"--secret=$secret");
is($wh->{url}, 'http://127.0.0.1:9/hook', 'webhooks create: the webhook, its url');
is_deeply($wh->{events}, [qw(completed failed)], 'its events, every --event');
like($wh->{secret_fingerprint}, qr/^sha256:[0-9a-f]{12}$/, 'the secret only as a fingerprint');
is(sql(q{SELECT count(*) FROM ffrtmp.list_webhooks('acme')}), '1', 'created on the server');
my ($rc, $out, $err) = ffrtmp({ FFRTMP_WEBHOOK_SECRET => $secret }, "--dsn=$dsn", '--tenant=acme',
	qw(webhooks create --url=http://127.0.0.1:9/other --event=progress.50));
is($rc, 0, 'the secret from FFRTMP_WEBHOOK_SECRET') or diag($err);
like($out, qr/^url\s+http:\/\/127\.0\.0\.1:9\/other$/m, 'table form: one field a line');
unlike($out, qr/\Q$secret\E/, 'the secret is never printed');

($rc, $out, $err) = admin(qw(webhooks list --tenant=acme));
is($rc, 0, 'webhooks list: exit 0');
like($out, qr/^id\s+url\s+events\s+secret_fingerprint\s+created_at$/m, 'a header line');
like($out, qr/^\Q$wh->{id}\E\s+http:\/\/127\.0\.0\.1:9\/hook\s+\{completed,failed\}\s+sha256:/m, 'one aligned row a webhook');
my $list = json_of('webhooks list --output=json', qw(webhooks list --tenant=acme));
is_deeply([ map { $_->{id} } @$list ], [ split /\n/, sql(q{SELECT id FROM ffrtmp.list_webhooks('acme')}) ],
	'the JSON array: every webhook list_webhooks gives, oldest first');

($rc, $out, $err) = admin(qw(webhooks create --tenant=acme --url=http://127.0.0.1:9/x --event=completed --secret=short));
is($rc, 1, 'a secret the server refuses: exit 1');
like($err, qr/^ffrtmp: error: webhook secret must be 16 to 256 printable ASCII characters/m, 'with its message');
($rc, $out, $err) = ffrtmp({ FFRTMP_WEBHOOK_SECRET => undef }, "--dsn=$dsn", qw(webhooks create --tenant=acme --event=completed));
is($rc, 2, 'without --url: exit 2 (usage)');
($rc, $out, $err) = ffrtmp("--dsn=$dsn", "--api-key=$viewer", qw(webhooks create --url=http://127.0.0.1:9/v --event=completed),
	"--secret=$secret");
is($rc, 1, 'a viewer key creating a webhook: exit 1');
like($err, qr/42501/, 'permission denied');

# --- nodes, and a real job's delivery ------------------------------------------
my $worker = $env->start_worker(name => 'cli-node');
my $nid = sql(q{SELECT id FROM ffrtmp.nodes WHERE name = 'cli-node'});
my $nodes = json_of('nodes list', qw(nodes list));
my ($n) = grep { $_->{name} eq 'cli-node' } @$nodes;
is($n->{id}, $nid, 'nodes list: the worker\'s node');
is($n->{state}, 'online', 'online');
is(scalar(@$nodes), sql(q{SELECT count(*) FROM ffrtmp.nodes}), 'every node the view shows');
($rc, $out, $err) = admin(qw(nodes list));
like($out, qr/^id\s+name\s+state\s+tenant_id\s+cpu_cores\s+gpus\s+slots\s+last_heartbeat$/m, 'table form: a header');
like($out, qr/^\Q$nid\E\s+cli-node\s+online\s/m, 'and its row');
my $g = json_of('nodes get', 'nodes', 'get', $nid);
is($g->{name}, 'cli-node', 'nodes get: the node');
is_deeply($g->{encoders}, decode_json(sql("SELECT to_json(encoders) FROM ffrtmp.nodes WHERE id = $nid")), 'its encoders, an array');
is_deeply(json_of('nodes list --tenant', qw(nodes list --tenant=acme)), [], 'acme has no dedicated node (tenant_nodes)');
($rc, $out, $err) = ffrtmp("--dsn=$dsn", "--api-key=$viewer", 'nodes', 'drain', $nid);
is($rc, 1, 'a viewer key draining a node: exit 1');
is(sql("SELECT state FROM ffrtmp.nodes WHERE id = $nid"), 'online', 'and the node is still online');

my $job = $env->submit('testsrc://320x240@30?duration=1', output => 'hook/out.mp4', params => { video_codec => 'h264' });
is($env->wait_job($job)->{state}, 'completed', 'a job completes on the node');
my $d = json_of('webhooks deliveries', 'webhooks', 'deliveries', '--tenant=acme', "--webhook=$wh->{id}", "--job=$job");
is(scalar(@$d), 1, 'webhooks deliveries: its completion, to the webhook that asked for it');
is($d->[0]{event}, 'completed', 'the event');
is($d->[0]{job_id}, $job, 'of the job');
($rc, $out, $err) = admin(qw(webhooks deliveries --tenant=acme));
like($out, qr/^id\s+webhook_id\s+job_id\s+event\s+delivery_state\s+attempts/m, 'table form: a header');
like($out, qr/^\d+\s+\Q$wh->{id}\E\s+\Q$job\E\s+completed\s/m, 'and a row a delivery');
is_deeply(json_of('deliveries --state', qw(webhooks deliveries --tenant=acme --state=delivered)), [],
	'--state=delivered: none (nothing listens)');

my $dr = json_of('nodes drain', 'nodes', 'drain', $nid);
is($dr->{state}, 'draining', 'nodes drain: the node draining');
ok(defined $env->wait_worker_exit($worker, 60), 'its idle worker exits');
($rc, $out, $err) = admin('nodes', 'remove', $nid);
is($rc, 0, 'nodes remove: exit 0') or diag($err);
like($out, qr/^removed\s+t$/m, 'says it is removed');
($rc, $out, $err) = admin('nodes', 'get', $nid);
is($rc, 1, 'nodes get of a removed node: exit 1');
like($err, qr/no node \Q$nid\E/, 'no such node');
($rc, $out, $err) = admin('nodes', 'remove', $nid);
is($rc, 1, 'removing it again: exit 1');
like($err, qr/node \Q$nid\E does not exist\nHINT: .+\nSQLSTATE: PT404/, 'the server\'s message, hint and SQLSTATE');
($rc, $out, $err) = admin(qw(nodes get one));
is($rc, 2, 'a node that is not an id: exit 2');

# --- webhooks delete ----------------------------------------------------------
my $del = json_of('webhooks delete', 'webhooks', 'delete', $wh->{id});
is($del->{id}, $wh->{id}, 'webhooks delete: the webhook deleted');
is(sql("SELECT count(*) FROM ffrtmp.webhooks WHERE id = $wh->{id}"), '0', 'gone on the server');
($rc, $out, $err) = admin('webhooks', 'delete', $wh->{id});
is($rc, 1, 'deleting it again: exit 1');
like($err, qr/PT404/, 'not found');

# --help, the man page and the bash completion know every GROUP subcommand.
sub help_man_completion
{
	my ($grp, @want) = @_;
	my ($rc, $out) = ffrtmp("$grp", '--help');
	is($rc, 0, "ffrtmp $grp --help: exit 0");
	is_deeply([ $out =~ /^  (\w+) /mg ], \@want, "$grp: every subcommand");
	for my $sub (@want)
	{
		($rc, $out) = ffrtmp($grp, $sub, '--help');
		like($out, qr/^ffrtmp $grp $sub/, "ffrtmp $grp $sub --help: its synopsis");
	}
	my $dir = File::Basename::dirname($cli);
	my $man = slurp_file("$dir/ffrtmp.1");
	like($man, qr/$grp $_/, "the man page documents $grp $_") for @want;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'bash', '-c', 'source "$1"; COMP_WORDS=(ffrtmp "$2" ""); COMP_CWORD=2; _ffrtmp; printf "%s\n" "${COMPREPLY[@]}"',
		'bash', "$dir/ffrtmp.bash-completion", $grp ], '>', \$o, '2>', \$e);
	is_deeply([ sort split /\n/, $o ], [ sort @want ], "the completion completes every $grp subcommand");
}
help_man_completion('nodes', qw(list get drain remove));
help_man_completion('webhooks', qw(create list delete deliveries events));

done_testing();
