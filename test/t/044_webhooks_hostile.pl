# Webhooks against hostile or broken receivers and a hostile environment:
# the real ffrtmp-webhooks daemon, with receivers on loopback.  A 3xx is a
# failed attempt, its Location never requested; proxies named by the
# environment are not used; loopback in any spelling (decimal, hex, short
# forms, IPv4-mapped IPv6, ::1, 0.0.0.0, a name that resolves to it) is
# refused where the daemon connects, without a request; a receiver that
# never answers ends its attempt at --timeout without delaying other
# tenants' requests (they run at once); https verifies the
# receiver's certificate; the secret is in no log; and
# --once exits non-zero when it could not deliver because the database was
# unreachable.
use strict;
use warnings;
use IO::Socket::INET;
use IPC::Run ();
use JSON::PP;
use POSIX ();
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
my $env = FfrtmpCluster->new('webhooks_hostile');
$env->sql(q{
CREATE ROLE hook_alice LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'hook_alice');
SELECT ffrtmp.create_tenant('other', plan => 'pro');
CREATE ROLE hook_sender LOGIN IN ROLE ffrtmp_webhook_sender;
});
my $conninfo = $env->conninfo . ' user=hook_sender';
my $secret = 'whsec-hostile-0123456789';

# A listener in a forked child: each connection's first line is appended to
# $log, then $answer->($request_line) is written back (undef: hold the
# connection open for 30 s without a byte).
sub start_listener
{
	my ($log, $answer) = @_;
	my $listen = IO::Socket::INET->new(
		LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1, Proto => 'tcp')
	  or die "cannot listen: $!";
	my $port = $listen->sockport;
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		$SIG{TERM} = sub { POSIX::_exit(0) };
		while (my $client = $listen->accept)
		{
			my $line = <$client> // '';
			$line =~ s/\r?\n$//;
			while (my $header = <$client>) { last if $header =~ /^\r?\n$/ }
			append_to_file($log, "$line\n");
			my $reply = $answer->($line);
			if (defined $reply) { print $client $reply }
			else { sleep 30 }
			close $client;
		}
		POSIX::_exit(0);
	}
	close $listen;
	track_pid($pid);
	return { pid => $pid, port => $port, url => "http://127.0.0.1:$port" };
}

sub lines { my ($f) = @_; return -e $f ? grep { /\S/ } split /\n/, slurp_file($f) : () }

my $fast_log = $env->dir . '/fast.log';
my $fast;
$fast = start_listener($fast_log, sub {
	return $_[0] =~ m{^POST /redirect}
	  ? "HTTP/1.1 302 Found\r\nLocation: $fast->{url}/landed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
	  : "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
});
my $proxy_log = $env->dir . '/proxy.log';
my $proxy = start_listener($proxy_log, sub { "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n" });
my $slow_log = $env->dir . '/slow.log';
my $slow = start_listener($slow_log, sub { undef });

# A webhook of tenant $tenant ('acme' or 'other') for canceled, written
# straight into the table (the URL check at creation is not under test here).
sub webhook
{
	my ($tenant, $url) = @_;
	return $env->sql(qq{INSERT INTO ffrtmp_data.webhooks (tenant_id, url, secret, events, created_by)
		SELECT id, '$url', '$secret', '{canceled}', 'test' FROM ffrtmp_data.tenants WHERE name = '$tenant' RETURNING id});
}

# A canceled job of tenant $tenant: one event per webhook of it.
sub cancel_one
{
	my ($tenant) = @_;
	my $job = $env->submit('testsrc://', max_attempts => 1, tenant => $tenant);
	$env->sql("SELECT ffrtmp.cancel_job($job)");
	return $job;
}

sub delivery
{
	my ($hook) = @_;
	return $env->sql(qq{SELECT delivery_state || ' ' || attempts || ' ' || coalesce(last_status::text, '-') || ' '
		|| coalesce(last_error, '') FROM ffrtmp_data.webhook_deliveries WHERE webhook_id = $hook ORDER BY id DESC LIMIT 1});
}

sub pending
{
	return $env->sql(q{SELECT count(*) FROM ffrtmp_data.webhook_deliveries
		WHERE delivery_state = 'pending' AND (attempts = 0 OR leased_until IS NOT NULL)});
}

# 1. A redirect, and proxies named by the environment.
my $redirect = webhook('acme', "$fast->{url}/redirect");
my $direct = webhook('acme', "$fast->{url}/direct");
cancel_one('acme');
my $daemon_log = $env->dir . '/webhooks.log';
{
	local $ENV{http_proxy} = $proxy->{url};
	local $ENV{HTTP_PROXY} = $proxy->{url};
	local $ENV{https_proxy} = $proxy->{url};
	local $ENV{ALL_PROXY} = $proxy->{url};
	local $ENV{all_proxy} = $proxy->{url};
	local $ENV{NO_PROXY} = '';
	local $ENV{no_proxy} = '';
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, '--once', '--allow-network=127.0.0.0/8', $conninfo ], '>', \$out, '2>', \$err);
	is($? >> 8, 0, '--once delivers what is due and exits 0') or diag $err;
	append_to_file($daemon_log, $err);
}
is_deeply([ lines($proxy_log) ], [], 'the proxy named by http_proxy, HTTP_PROXY and ALL_PROXY got no connection');
like(delivery($direct), qr/^delivered 1 204 $/, 'the receiver was reached directly');
like(delivery($redirect), qr/^pending 1 302 HTTP 302$/, 'a 302 is a failed attempt, to be tried again');
is_deeply([ sort map { (split ' ')[1] } lines($fast_log) ], [ '/direct', '/redirect' ],
	'and its Location was not requested');
$env->sql("DELETE FROM ffrtmp_data.webhooks WHERE id IN ($redirect, $direct)");

# 2. Loopback in every spelling, and a name that resolves to it, refused
# where the daemon connects (no --allow-network), without a request.
my $port = $fast->{port};
my @spellings = (
	"http://2130706433:$port/decimal", "http://0x7f000001:$port/hex", "http://0x7f.1:$port/hexshort",
	"http://0177.0.0.1:$port/octal",   "http://127.1:$port/short",    "http://[::ffff:127.0.0.1]:$port/mapped",
	"http://[::1]:$port/v6",           "http://0.0.0.0:$port/zero",   "http://LOCALHOST:$port/upper",    "http://0:$port/bare");
my %hook_of = map { $_ => webhook('acme', $_) } @spellings;
cancel_one('acme');
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, '--once', $conninfo ], '>', \$out, '2>', \$err);
	append_to_file($daemon_log, $err);
}
for my $url (@spellings)
{
	like(delivery($hook_of{$url}), qr/^failed 1 - (network policy refused a connection to|invalid URL)/,
		"$url is refused at once");
}
is_deeply([ lines($fast_log) ], [ 'POST /redirect HTTP/1.1', 'POST /direct HTTP/1.1' ],
	'and the receiver got no request') or diag slurp_file($daemon_log);
$env->sql('DELETE FROM ffrtmp_data.webhooks WHERE id IN (' . join(',', values %hook_of) . ')');

# 3. A receiver that accepts and never answers: the attempt ends at
# --timeout, the delivery stays pending for a retry.  Another tenant's event,
# due after those of three such webhooks, does not wait for them: a claim
# takes the webhooks in turn and its requests run at once, each with its own
# timeout (one after the other, it would wait three timeouts).
my @hangs = map { webhook('acme', "$slow->{url}/hang$_") } 1 .. 3;
my $hang_list = join(',', @hangs);
cancel_one('acme') for 1 .. 3;
my $olga_hook = webhook('other', "$fast->{url}/other");
cancel_one('other');
my $daemon = start_background([ $bin, '--allow-network=127.0.0.0/8', '--timeout=1s', '--poll-interval=100ms', $conninfo ],
	$daemon_log);
ok(wait_until(sub { pending() eq '0' }, 60), 'every event was attempted, and every attempt reported') or diag slurp_file($daemon_log);
stop_process($daemon);
is($env->sql(qq{SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE webhook_id IN ($hang_list)
	AND delivery_state = 'pending' AND last_status IS NULL AND last_error ILIKE '%timed out%'}), '9',
	'an attempt to a receiver that never answers ends at --timeout and is tried again later');
like(delivery($olga_hook), qr/^delivered 1 204/, "the other tenant's event was delivered");
is($env->sql(qq{SELECT count(*) FROM ffrtmp_data.webhook_deliveries h, ffrtmp_data.webhook_deliveries o
	WHERE h.webhook_id IN ($hang_list) AND o.webhook_id = $olga_hook
	  AND (h.log -> 0 ->> 'at')::timestamptz < o.finished_at - interval '1 second'}), '0',
	"another tenant's event does not wait for hanging receivers' timeouts (requests run at once)");

$env->sql("DELETE FROM ffrtmp_data.webhooks WHERE id IN ($hang_list, $olga_hook)");

# 4. https verifies the receiver's certificate: a self-signed one fails the
# attempt before any request is sent.
my $tls_dir = $env->dir . '/tls';
mkdir $tls_dir;
system('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
	'-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', "$tls_dir/key.pem", '-out', "$tls_dir/cert.pem") == 0
  or die 'openssl req failed';
my $tls_port = do { my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1); $s->sockport };
my $tls_log = "$tls_dir/server.log";
my $tls = start_background([ 'openssl', 's_server', '-accept', "127.0.0.1:$tls_port", '-cert', "$tls_dir/cert.pem",
		'-key', "$tls_dir/key.pem", '-www' ], $tls_log);
ok(wait_until(sub { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $tls_port) }, 30), 'a TLS receiver listens');
my $tls_hook = webhook('acme', "https://127.0.0.1:$tls_port/hook");
cancel_one('acme');
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, '--once', '--allow-network=127.0.0.0/8', '--timeout=5s', $conninfo ], '>', \$out, '2>', \$err);
	append_to_file($daemon_log, $err);
}
stop_process($tls);
like(delivery($tls_hook), qr/^pending 1 - .*certificate/i, 'a self-signed certificate fails the attempt');
$env->sql("DELETE FROM ffrtmp_data.webhooks WHERE id = $tls_hook");

# 5. The secret appears in no log.
unlike(slurp_file($daemon_log), qr/\Q$secret\E/, "the daemon's log never shows the secret");
is($env->sql(qq{SELECT count(*) FROM ffrtmp_data.webhook_deliveries WHERE log::text LIKE '%$secret%'
	OR last_error LIKE '%$secret%' OR payload::text LIKE '%$secret%'}), '0', 'nor the delivery log');

# 6. --once and a database it cannot reach: nothing was delivered, which its
# exit status must say (cron would otherwise report success).
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ $bin, '--once', 'host=' . $env->dir . '/nowhere dbname=x user=hook_sender' ], '>', \$out, '2>', \$err);
	isnt($? >> 8, 0, '--once exits non-zero when the database is unreachable');
	like($err, qr/could not connect/, 'saying why');
}

stop_http_server($_) for $fast, $proxy, $slow;
done_testing();
