# Webhooks end to end: the real ffrtmp-webhooks daemon delivers the events
# the database wrote (job changes made through the SQL API, as a worker
# makes them) to a real HTTP receiver on loopback.  Each request's signature
# verifies with its webhook's secret; a job's events arrive in order; a 500
# is retried and then delivered; with the network policy's default, a
# loopback address is refused without a connection and the delivery fails;
# the tenant's delivery log shows it all.  The real worker's progress reports
# and finish write events the same way.
use strict;
use warnings;
use Digest::SHA qw(hmac_sha256_hex);
use IPC::Run ();
use JSON::PP;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;
use FfrtmpCluster;
use FfrtmpProcess;
use FfrtmpServers;

my $bin = $ENV{FFRTMP_WEBHOOKS};
skip_all_because 'FFRTMP_WEBHOOKS does not name an executable ffrtmp-webhooks'
  unless defined $bin && -x $bin;

my $json = JSON::PP->new->canonical;
my $env = FfrtmpCluster->new('webhooks');
$env->sql(q{
CREATE ROLE hook_alice LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'hook_alice');
CREATE ROLE hook_sender LOGIN IN ROLE ffrtmp_webhook_sender;
});
my $log = $env->dir . '/receiver.log';
my $receiver = start_webhook_receiver($log, fail => { '/flaky' => 1 });
my %secret = (hook => 'whsec-hook-0123456789', flaky => 'whsec-flaky-0123456789', refused => 'whsec-refused-0123456');

# As the tenant: webhook ids by path.
sub as_alice { return $env->sql("SET ROLE hook_alice;\n$_[0]") }
my %hook;
$hook{hook} = as_alice(qq{SELECT id FROM ffrtmp.create_webhook('$receiver->{url}/hook', '$secret{hook}',
	'{completed,failed,canceled,progress.25,progress.50,progress.75}')});
$hook{flaky} = as_alice(qq{SELECT id FROM ffrtmp.create_webhook('$receiver->{url}/flaky', '$secret{flaky}', '{canceled}')});
like(as_alice('SELECT secret_fingerprint FROM ffrtmp.list_webhooks() ORDER BY id LIMIT 1'), qr/^sha256:[0-9a-f]{12}$/,
	'the tenant sees its secret only as a fingerprint');

# Job 1 runs on a node (the worker's calls, made here): three milestones,
# then completed.  Job 2 is canceled.  All before any daemon runs.
my ($node, $token) = split /\|/,
  $env->sql(q{SELECT node_id || '|' || session_token FROM ffrtmp.register_node('hook-node', cpu_cores => 4)});
my $job1 = $env->submit('testsrc://', max_attempts => 1);
ok(wait_until(sub { $env->sql("SELECT state FROM ffrtmp.jobs WHERE id = $job1") eq 'assigned' }, 30),
	'job 1 is dispatched');
$env->sql(qq{
SELECT ffrtmp.start_job($job1, 1, $node, '$token');
SELECT ffrtmp.report_progress($job1, 1, $node, '$token', '{"percent": 30}');
SELECT ffrtmp.report_progress($job1, 1, $node, '$token', '{"percent": 60}');
SELECT ffrtmp.report_progress($job1, 1, $node, '$token', '{"percent": 80}');
SELECT ffrtmp.finish_job($job1, 1, $node, '$token', 'completed', '{"duration": 1.5}');
});
my $job2 = $env->submit('testsrc://', max_attempts => 1);
$env->sql("SELECT ffrtmp.cancel_job($job2)");
is($env->sql('SELECT count(*) FROM ffrtmp_data.webhook_deliveries'), '6',
	"six events wait in the outbox: four of job 1, job 2's canceled to two webhooks");

# The daemon, allowed to reach loopback (as an operator allows an internal receiver).
my $conninfo = $env->conninfo . ' user=hook_sender';
my $daemon_log = $env->dir . '/webhooks.log';
my $daemon = start_background(
	[ $bin, '--allow-network=127.0.0.0/8', '--retry-initial=1s', '--poll-interval=100ms', $conninfo ], $daemon_log);
ok( wait_until(
		sub { $env->sql(q{SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE delivery_state = 'pending'}) eq '0' }, 60),
	'every delivery is done') or diag slurp_file($daemon_log);
is(stop_process($daemon), 0, 'the daemon stops on SIGTERM with status 0');
# Its log lines have ffrtmp-worker's format: UTC time, level, message.
my $stamp = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;
like(slurp_file($daemon_log), qr/^$stamp info delivery \d+ attempt 1: delivered$/m,
	'a delivery is logged with its time and level info');
like(slurp_file($daemon_log), qr/^$stamp warning delivery \d+ attempt 1: HTTP 500, now pending$/m,
	'a failed attempt with level warning');
unlike(slurp_file($daemon_log), qr/^(?!$stamp (info|warning|error) )/m, 'and every line has them');

my @requests = map { $json->decode($_) } grep { /\S/ } split /\n/, slurp_file($log);
is(scalar(@requests), 7, 'the receiver got seven requests: six events and one retry');
my $now = time;
for my $r (@requests)
{
	my ($name) = $r->{path} =~ m{^/(\w+)$};
	my $h = $r->{headers};
	my $expected = hmac_sha256_hex("$h->{'ffrtmp-timestamp'}.$r->{body}", $secret{$name});
	is($h->{'ffrtmp-signature'}, "v1=$expected",
		"the signature of $r->{path} $h->{'ffrtmp-event'} verifies with its webhook's secret");
	ok(abs($now - $h->{'ffrtmp-timestamp'}) < 300, 'its timestamp is recent');
	my $body = $json->decode($r->{body});
	is($body->{id}, $h->{'ffrtmp-event-id'}, 'the body carries the event id of the header');
	is($body->{type}, $h->{'ffrtmp-event'}, 'and the event type');
	is($h->{'content-type'}, 'application/json', 'as JSON');
}
isnt(hmac_sha256_hex("$requests[0]{headers}{'ffrtmp-timestamp'}.$requests[0]{body}x", $secret{hook}),
	substr($requests[0]{headers}{'ffrtmp-signature'}, 3), 'a changed body would not verify');

my @job1 = map { $json->decode($_->{body}) } grep { $_->{path} eq '/hook' && $json->decode($_->{body})->{job}{id} == $job1 }
  @requests;
is_deeply([ map { $_->{type} } @job1 ], [qw(progress.25 progress.50 progress.75 completed)],
	'the events of job 1 arrive in order');
is($job1[3]{job}{state}, 'completed', "completed carries the job's state");
is($job1[3]{job}{result}{duration}, 1.5, 'and its result');
is($job1[3]{tenant_id}, $env->tenant_id, 'and its tenant');
is($job1[1]{progress}{percent}, 60, 'a milestone carries the progress reported');

my @flaky = grep { $_->{path} eq '/flaky' } @requests;
is_deeply([ map { $_->{status} } @flaky ], [ 500, 204 ], 'the flaky receiver answered 500, then took the retry');
is($flaky[0]{headers}{'ffrtmp-event-id'}, $flaky[1]{headers}{'ffrtmp-event-id'}, 'the retry has the same event id');
my $flaky_log = as_alice(qq{SELECT delivery_state || ' ' || attempts || ' ' || last_status || ' '
	|| (SELECT string_agg(coalesce(e ->> 'status', '-') || ':' || coalesce(e ->> 'error', ''), ',' ORDER BY (e ->> 'attempt')::int)
	      FROM jsonb_array_elements(log) e)
	FROM ffrtmp.webhook_deliveries(webhook => $hook{flaky})});
is($flaky_log, 'delivered 2 204 500:HTTP 500,204:', "the tenant's delivery log shows the 500 and the delivery");
is(as_alice(qq{SELECT string_agg(event || ' ' || delivery_state, ', ' ORDER BY id) FROM ffrtmp.webhook_deliveries(job => $job1)}),
	'progress.25 delivered, progress.50 delivered, progress.75 delivered, completed delivered',
	"and job 1's events, delivered");

# The real worker: its progress reports and its finish write the events,
# which the daemon, run with --once, delivers in order and then exits.
$env->sql("SELECT ffrtmp.leave_node($node, '$token', true)");
my $worker = $env->start_worker;
# Long enough for a few progress reports (one a second) on most machines.
my $job4 = $env->submit('testsrc://1280x720@30?duration=10', output => 'hooks/real.mp4', max_attempts => 1,
	params => { video_codec => 'h264', encoder_preset => 'medium' });
is($env->wait_job($job4)->{state}, 'completed', 'the real worker completes a job');
$env->stop_worker($worker);
my ($out, $err) = ('', '');
IPC::Run::run([ $bin, '--once', '--allow-network=127.0.0.0/8', $conninfo ], '>', \$out, '2>', \$err);
is($? >> 8, 0, '--once delivers what is due, then exits with status 0') or diag $err;
my @real = grep { $_->{path} eq '/hook' && $json->decode($_->{body})->{job}{id} == $job4 }
  map { $json->decode($_) } grep { /\S/ } split /\n/, slurp_file($log);
my @types = map { $_->{headers}{'ffrtmp-event'} } @real;
is($types[-1], 'completed', "the worker's job ends with completed (after: @types[0 .. $#types - 1])");
is_deeply([ @types[ 0 .. $#types - 1 ] ], [ sort @types[ 0 .. $#types - 1 ] ], 'its milestones come first, in order');
is(scalar(grep { $_->{headers}{'ffrtmp-signature'} eq
			'v1=' . hmac_sha256_hex("$_->{headers}{'ffrtmp-timestamp'}.$_->{body}", $secret{hook}) } @real),
	scalar(@real), 'every one signed with the secret');
my $result = $json->decode($real[-1]{body})->{job}{result};
ok(ref $result eq 'HASH' && %$result, 'completed carries what the worker produced');
is_deeply($result, $env->job($job4)->{result}, "the job's result as the database has it");
my $received = scalar(grep { /\S/ } split /\n/, slurp_file($log));

# With the network policy's default, loopback is refused where the daemon
# connects (the database allowed the URL's literal host at creation).
$hook{refused} = as_alice(qq{SELECT id FROM ffrtmp.create_webhook('$receiver->{url}/refused', '$secret{refused}', '{canceled}')});
my $job3 = $env->submit('testsrc://', max_attempts => 1);
$env->sql("SELECT ffrtmp.cancel_job($job3)");
$daemon = start_background([ $bin, '--retry-initial=1s', '--poll-interval=100ms', $conninfo ], $daemon_log);
ok( wait_until(
		sub { $env->sql(qq{SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE job_id = $job3 AND delivery_state = 'pending'}) eq '0' },
		60),
	'the delivery to loopback ends');
stop_process($daemon);
is(as_alice(qq{SELECT delivery_state || ' ' || attempts || ' ' || coalesce(last_status::text, '-') || ' ' || last_error
	FROM ffrtmp.webhook_deliveries(webhook => $hook{refused})}),
	'failed 1 - network policy refused a connection to 127.0.0.1 (127.0.0.1): a loopback address',
	'it failed at once, refused by the network policy, and the log says why');
my @after = grep { /\S/ } split /\n/, slurp_file($log);
is(scalar(@after), $received, 'and the receiver got no request');
is(as_alice(qq{SELECT count(*) FROM ffrtmp.webhook_deliveries(job => $job3)}), '3',
	"job 3's canceled went to every webhook that asks for it");

# Another tenant sees none of it.
$env->sql(q{SELECT ffrtmp.create_tenant('other'); CREATE ROLE hook_other LOGIN; SELECT ffrtmp.add_tenant_role('other', 'hook_other')});
is($env->sql('SET ROLE hook_other; SELECT count(*) FROM ffrtmp.webhook_deliveries()'), '0',
	'another tenant reads no delivery');
is($env->sql('SET ROLE hook_other; SELECT count(*) FROM ffrtmp.list_webhooks()'), '0', 'and no webhook');

# The command line, and a role that is not the delivery daemon's.
IPC::Run::run([ $bin, '--help' ], '>', \$out, '2>', \$err);
like($out, qr/Ffrtmp-Signature: v1=HEX/, '--help says how requests are signed');
IPC::Run::run([ $bin, '--batch=0' ], '>', \$out, '2>', \$err);
is($? >> 8, 2, 'a bad option exits with status 2');
like($err, qr/invalid --batch "0"/, 'saying which');
IPC::Run::run([ $bin, '--once', $env->conninfo . ' user=hook_alice' ], '>', \$out, '2>', \$err);
is($? >> 8, 77, 'a role without ffrtmp_webhook_sender exits with status 77');
like($err, qr/permission denied for function claim_webhook_deliveries/, 'and the log says why');

stop_http_server($receiver);
done_testing();
