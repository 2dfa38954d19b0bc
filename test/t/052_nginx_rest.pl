# The REST API's nginx site (deploy/nginx): Debian's nginx, started on
# loopback with the shipped site and its ffrtmp-v1*.conf, in front of a stand-in for
# PostgREST that records what it receives.  For every /v1/ route: the
# method, path, query and body PostgREST gets, the profile headers set by
# nginx (a client's own replaced), the credentials and X-Tenant-ID passed
# on, nginx's request id; unknown paths 404 and wrong methods 405 with
# Allow, none of them reaching PostgREST.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use HTTP::Tiny;
use JSON::PP;
use FfrtmpNginx;
use FfrtmpProcess;
use FfrtmpServers;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $nginx = '/usr/sbin/nginx';
skip_all_because 'nginx is not installed' unless -x $nginx;

my $deploy = abs_path(dirname(__FILE__) . '/../../deploy/nginx') // die 'no deploy/ beside test/';
my $dir = abs_path(PostgreSQL::Test::Utils::tempdir());

# The stand-in PostgREST: one JSON line per request {method, path, query,
# headers (names in lower case), body}, answered 200 with a JSON body.
my $upstream = start_recording_upstream("$dir/upstream.jsonl");

# The shipped site, its snippets read from the repository, listening on
# loopback, its upstream the stand-in.
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $site = slurp_file("$deploy/ffrtmp-site.conf");
$site =~ s{/etc/nginx/snippets/}{$deploy/}g;
$site =~ s{server 127\.0\.0\.1:3000;}{server 127.0.0.1:$upstream->{port};} or die 'no upstream in the site';
$site =~ s{listen 80;}{listen 127.0.0.1:$port;} or die 'no listen in the site';
$site =~ s{\n\s*listen \[::\]:80;}{};
write_nginx_conf($dir, http => $site);
my $h = start_nginx($dir, $port);

my $http = HTTP::Tiny->new(timeout => 20);

# Sends one request through nginx; returns (response, what the stand-in
# received or undef when nothing reached it).
sub through
{
	my ($method, $path, %o) = @_;
	my $res = $http->request($method, "http://127.0.0.1:$port$path",
		{ headers => $o{headers} // {}, (defined $o{body} ? (content => $o{body}) : ()) });
	return ($res, next_request($upstream));
}

my $key = 'ffrtmp_0123456789abcdef';
my %auth = (Authorization => "Bearer $key", 'X-Tenant-ID' => 'acme');

# [client method, client path+query, client body, upstream method, path,
#  query, body ('=' for the client's)]
my $uuid = '3f2a8c1e-5b7d-4e9a-8c2f-1a2b3c4d5e6f';
my @routes = (
	[ GET => '/v1/health', undef, GET => '/rpc/health', undef, '' ],
	[ GET => '/v1/ready', undef, GET => '/rpc/ready', undef, '' ],
	[ POST => '/v1/tenants', '{"name":"acme","plan":"pro"}', POST => '/rpc/create_tenant', undef, '=' ],
	[ GET => '/v1/tenants', undef, GET => '/rpc/list_tenants', undef, '' ],
	[ GET => '/v1/tenants?active_only=true', undef, GET => '/rpc/list_tenants', 'active_only=true', '' ],
	[ GET => '/v1/tenants/acme', undef, GET => '/rpc/get_tenant', 'tenant=acme', '' ],
	[ PUT => '/v1/tenants/acme', '{"plan":"enterprise"}', POST => '/rpc/update_tenant', undef,
		'{"plan":"enterprise","tenant":"acme"}' ],
	[ PUT => '/v1/tenants/acme', '{"status":"suspended","display_name":"Acme Corp","quotas":{"max_jobs":5}}',
		POST => '/rpc/update_tenant', undef,
		'{"status":"suspended","display_name":"Acme Corp","quotas":{"max_jobs":5},"tenant":"acme"}' ],
	[ PUT => '/v1/tenants/acme', '{"tenant":"other","plan":"pro"}', POST => '/rpc/update_tenant', undef,
		'{"tenant":"other","plan":"pro","tenant":"acme"}' ],
	[ DELETE => '/v1/tenants/acme', undef, POST => '/rpc/delete_tenant', undef, '{"tenant":"acme"}' ],
	[ POST => '/v1/tenants/acme/restore', undef, POST => '/rpc/restore_tenant', undef, '{"tenant":"acme"}' ],
	[ GET => '/v1/tenants/acme/stats', undef, GET => '/rpc/tenant_stats', 'tenant=acme', '' ],
	[ GET => '/v1/tenants/acme/jobs', undef, GET => '/rpc/tenant_jobs', 'tenant=acme', '' ],
	[ GET => '/v1/tenants/acme/jobs?state=queued', undef, GET => '/rpc/tenant_jobs', 'tenant=acme&state=queued', '' ],
	[ GET => '/v1/tenants/acme/nodes', undef, GET => '/rpc/tenant_nodes', 'tenant=acme', '' ],
	[ POST => '/v1/tenants/acme/roles', '{"role_name":"ci_bot"}', POST => '/rpc/add_tenant_role', undef,
		'{"role_name":"ci_bot","tenant":"acme"}' ],
	# The path's tenant comes last, after a client's own (the last wins);
	# {} gets the path's alone, a body that is no object invalid JSON (400).
	[ POST => '/v1/tenants/acme/roles', " {\n \"role_name\": \"ci_bot\",\n \"tenant\": \"other\"\n}\n", POST => '/rpc/add_tenant_role', undef,
		"{\n \"role_name\": \"ci_bot\",\n \"tenant\": \"other\",\"tenant\":\"acme\"}" ],
	[ POST => '/v1/tenants/acme/roles', '{}', POST => '/rpc/add_tenant_role', undef, '{"tenant":"acme"}' ],
	[ POST => '/v1/tenants/acme/roles', '["ci_bot"]', POST => '/rpc/add_tenant_role', undef, '"tenant":"acme"}' ],
	[ DELETE => '/v1/tenants/acme/roles/ci_bot', undef, POST => '/rpc/remove_tenant_role', undef,
		'{"tenant":"acme","role_name":"ci_bot"}' ],
	[ POST => '/v1/jobs', '{"input_url":"file:///in/a.mp4"}', POST => '/rpc/submit_job', undef, '=' ],
	[ GET => '/v1/jobs/42', undef, GET => '/rpc/get_job', 'id=42', '' ],
	[ POST => '/v1/jobs/42/cancel', undef, POST => '/rpc/cancel_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/batch', '{"jobs":[{"input_url":"file:///in/a.mp4"}]}', POST => '/rpc/submit_jobs', undef, '=' ],
	[ POST => '/v1/jobs/42/retry', undef, POST => '/rpc/retry_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/hold', undef, POST => '/rpc/hold_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/release', undef, POST => '/rpc/release_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/pause', undef, POST => '/rpc/pause_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/resume', undef, POST => '/rpc/resume_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/wait', undef, POST => '/rpc/wait_for_job', undef, '{"id":42}' ],
	[ POST => '/v1/jobs/42/wait', '{"timeout":"5 minutes"}', POST => '/rpc/wait_for_job', undef,
		'{"timeout":"5 minutes","id":42}' ],
	[ POST => '/v1/jobs/42/wait', "  \n", POST => '/rpc/wait_for_job', undef, '{"id":42}' ],
	[ GET => '/v1/jobs/42/history', undef, GET => '/rpc/job_history', 'job_id=42', '' ],
	[ GET => '/v1/jobs/42/logs', undef, GET => '/rpc/job_logs', 'job=42', '' ],
	[ GET => '/v1/jobs/42/logs?attempt=2', undef, GET => '/rpc/job_logs', 'job=42&attempt=2', '' ],
	[ GET => '/v1/job-ids/7', undef, GET => '/rpc/job_id', 'seq=7', '' ],
	[ GET => '/v1/job-ids/7?tenant=acme', undef, GET => '/rpc/job_id', 'seq=7&tenant=acme', '' ],
	[ POST => '/v1/users', '{"email":"a@example.com","role":"viewer"}', POST => '/rpc/create_user', undef, '=' ],
	[ GET => '/v1/users', undef, GET => '/rpc/list_users', undef, '' ],
	[ GET => "/v1/users/$uuid", undef, GET => '/rpc/get_user', "user_id=$uuid", '' ],
	[ PUT => "/v1/users/$uuid", '{"role":"operator"}', POST => '/rpc/update_user', undef,
		qq({"role":"operator","user_id":"$uuid"}) ],
	[ PUT => "/v1/users/$uuid", '{"display_name":"Bo","status":"active","user_id":"x"}', POST => '/rpc/update_user', undef,
		qq({"display_name":"Bo","status":"active","user_id":"x","user_id":"$uuid"}) ],
	[ DELETE => "/v1/users/$uuid", undef, POST => '/rpc/delete_user', undef, qq({"user_id":"$uuid"}) ],
	[ PUT => "/v1/users/$uuid/role", '{"role_name":"bob"}', POST => '/rpc/map_user_role', undef,
		qq({"role_name":"bob","user_id":"$uuid"}) ],
	[ POST => "/v1/users/$uuid/disable", undef, POST => '/rpc/disable_user', undef, qq({"user_id":"$uuid"}) ],
	[ POST => "/v1/users/$uuid/restore", undef, POST => '/rpc/restore_user', undef, qq({"user_id":"$uuid"}) ],
	[ POST => '/v1/invitations', '{"email":"b@example.com","role":"operator"}', POST => '/rpc/invite_user', undef, '=' ],
	[ GET => '/v1/invitations', undef, GET => '/rpc/list_invitations', undef, '' ],
	[ POST => '/v1/invitations/accept', '{"token":"ffrtmp_invite_0123"}', POST => '/rpc/accept_invitation', undef, '=' ],
	[ DELETE => "/v1/invitations/$uuid", undef, POST => '/rpc/revoke_invitation', undef, qq({"invitation_id":"$uuid"}) ],
	[ POST => '/v1/keys', '{"name":"ci"}', POST => '/rpc/create_api_key', undef, '=' ],
	[ GET => '/v1/keys', undef, GET => '/rpc/list_api_keys', undef, '' ],
	[ DELETE => '/v1/keys/0123456789abcdef', undef, POST => '/rpc/revoke_api_key', undef, '{"key_id":"0123456789abcdef"}' ],
	[ POST => '/v1/keys/0123456789abcdef/rotate', undef, POST => '/rpc/rotate_api_key', undef, '{"key_id":"0123456789abcdef"}' ],
	[ POST => '/v1/keys/0123456789abcdef/rotate', '{"grace":"1 hour"}', POST => '/rpc/rotate_api_key', undef,
		'{"grace":"1 hour","key_id":"0123456789abcdef"}' ],
	[ POST => '/v1/webhooks', '{"url":"https://h.example/x","secret":"s","events":["completed"]}',
		POST => '/rpc/create_webhook', undef, '=' ],
	[ GET => '/v1/webhooks', undef, GET => '/rpc/list_webhooks', undef, '' ],
	[ DELETE => '/v1/webhooks/7', undef, POST => '/rpc/delete_webhook', undef, '{"id":7}' ],
	[ GET => '/v1/webhooks/deliveries?webhook=7&max_rows=10', undef, GET => '/rpc/webhook_deliveries', 'webhook=7&max_rows=10', '' ],
	[ GET => '/v1/audit?after_id=10&max_rows=5', undef, GET => '/rpc/audit_events', 'after_id=10&max_rows=5', '' ],
	[ GET => '/v1/audit/verify', undef, GET => '/rpc/verify_audit_chain', undef, '' ],
);

for my $r (@routes)
{
	my ($cm, $cp, $cb, $um, $up, $uq, $ub) = @$r;
	my ($res, $got) = through($cm, $cp, body => $cb,
		headers => { %auth, 'Accept-Profile' => 'evil', 'Content-Profile' => 'evil',
			'X-Request-Id' => 'client-chosen', ($cb ? ('Content-Type' => 'application/json') : ()) });
	my $name = "$cm $cp";
	is($res->{status}, 200, "$name: answered by the upstream");
	ok($got, "$name: reached PostgREST") or next;
	is_deeply([ $got->{method}, $got->{path}, $got->{query} ], [ $um, $up, $uq ], "$name: $um $up" . ($uq ? "?$uq" : ''));
	is($got->{body}, $ub eq '=' ? $cb : $ub, "$name: body");
	is($got->{headers}{'content-type'}, 'application/json', "$name: JSON content type") if $got->{body} ne '';
	is($got->{headers}{'accept-profile'}, 'ffrtmp', "$name: Accept-Profile is v1's schema");
	is($got->{headers}{'content-profile'}, 'ffrtmp', "$name: Content-Profile is v1's schema");
	is($got->{headers}{'x-api-key'}, $key, "$name: the Bearer API key goes on as X-API-Key");
	ok(!exists $got->{headers}{authorization}, "$name: ... and Authorization does not (PostgREST would read a JWT)");
	is($got->{headers}{'x-tenant-id'}, 'acme', "$name: X-Tenant-ID passed on");
	like($got->{headers}{'x-request-id'}, qr/^[0-9a-f]{32}$/, "$name: nginx's request id, not the client's");
	is($res->{headers}{'x-request-id'}, $got->{headers}{'x-request-id'}, "$name: request id returned to the client");
}

# Every route of the map is exercised above and listed in docs/rest.md: a
# route added to one cannot be left out of the others.
my @map = slurp_file("$deploy/ffrtmp-v1-routes.conf") =~ /^\s*"~\^([A-Z]+ \/v1\/[^"]*)"\s+"/mg;
my @docs = slurp_file(dirname(__FILE__) . '/../../docs/rest.md') =~ /^\| `([A-Z]+ \/v1\/[^`]*)` \|/mg;
is(scalar @docs, scalar @map, 'docs/rest.md lists as many routes as the nginx map has');
for my $pattern (@map)
{
	my @hits = grep { my $r = "$_->[0] " . ($_->[1] =~ s/\?.*//r); $r =~ /^$pattern/ } @routes;
	ok(@hits, "route $pattern is tested");
	my $example = "$hits[0][0] " . ($hits[0][1] =~ s/\?.*//r) if @hits;
	ok($example && grep({ my $d = quotemeta($_) =~ s/\\\{\w+\\\}/[^\/]+/gr; $example =~ /^$d$/ } @docs),
		"route $pattern is in docs/rest.md");
}

# docs/rest.md has a curl example of every route, each sending the
# credential the way nginx expects it: a Bearer API key, but a superadmin's
# JWT for a route whose permission only superadmin holds (no API key is a
# superadmin's), none for accepting an invitation and for the health and
# readiness probes, which answer anonymous callers (a probe's example with
# a superadmin's JWT sends that instead).  Which permissions only
# superadmin holds comes from docs/access-control.md's permission table,
# and each route's permission from docs/rest.md's route table, both
# generated from the catalog and checked against it by 028_docs.pl.
my $page = slurp_file(dirname(__FILE__) . '/../../docs/rest.md') =~ s/\\\n\s*/ /gr;
my @curls = map { my ($m) = /-X ([A-Z]+)/; my ($p) = m{"\$API(/[^"?]*)}; [ $m // 'GET', $p ? "/v1$p" : '', $_ ] }
  grep { /"\$API\// } $page =~ /^(curl .*)$/mg;
# A row of the permission table: | `perm` | viewer | operator | tenant_admin | superadmin | ...
my %superadmin_only = map { $_->[0] => 1 } grep { defined $_->[1] && $_->[1] eq '   |   |   | x |' }
  map { [ /^\| `([a-z_.]+)` \|((?: [ x] \|){4})/ ] } slurp_file(dirname(__FILE__) . '/../../docs/access-control.md') =~ /^(\| `.*)$/mg;
ok(exists $superadmin_only{'tenants.manage'} && exists $superadmin_only{'platform.view'}
	  && !exists $superadmin_only{'jobs.view'}, 'docs/access-control.md: the permissions only superadmin holds read')
  or diag(join ' ', sort keys %superadmin_only);
my %route_permission = $page =~ /^\| `([A-Z]+ \/v1\/[^`]*)` \| [^|]* \| `?([a-z_.]+)`? \|/mg;
for my $pattern (@map)
{
	my ($m, $p) = split / /, $pattern, 2;
	# A shell variable ($USER_ID) stands for an id: "a" fits every id pattern.
	ok(grep({ my $path = $_->[1] =~ s/\$\w+/a/gr; "$_->[0] $path" =~ /^$m $p/ } @curls),
		"docs/rest.md has a curl example of $pattern");
}
for my $c (@curls)
{
	next if $c->[1] eq '/v1/invitations/accept';
	next if $c->[1] =~ m{^/v1/(health|ready)$} && $c->[2] !~ /Authorization: Bearer \$FFRTMP_API_KEY/
	  && ($c->[2] !~ /Authorization/ || $c->[2] =~ /Authorization: Bearer \$SUPERADMIN_JWT/);
	# The route table's route the example calls, a literal path before one
	# with an id ({id} stands for any).
	my ($route) = grep {
		my $d = quotemeta($_) =~ s/\\\{\w+\\\}/[^\/]+/gr;
		"$c->[0] $c->[1]" =~ /^$d$/
	} sort { ($a =~ tr/{//) <=> ($b =~ tr/{//) || $a cmp $b } keys %route_permission;
	ok(defined $route, "curl example $c->[0] $c->[1]: a route of the table") or next;
	if ($superadmin_only{ $route_permission{$route} })
	{
		like($c->[2], qr/-H "Authorization: Bearer \$SUPERADMIN_JWT"/,
			"curl example $c->[0] $c->[1]: a superadmin's JWT ($route_permission{$route} is superadmin's alone)");
	}
	else
	{
		like($c->[2], qr/-H "Authorization: Bearer \$FFRTMP_API_KEY"/, "curl example $c->[0] $c->[1]: a Bearer API key");
	}
}

# Every curl example of the REST pages, in prose or a code block, quoted
# or not, after a "$ " prompt or not, names a method and path the route map
# serves: -X, else POST with a body (-d, --data*), else GET; the path after
# $API or after a host's /v1/.  Shell variables stand for ids.
for my $doc ('rest.md', 'onboarding.md', 'openapi.md')
{
	my $text = slurp_file(dirname(__FILE__) . "/../../docs/$doc") =~ s/\\\n\s*/ /gr;
	for my $line (grep { /(\$API\/|\/v1\/)/ } $text =~ /(?:^|`|\$ )(curl\s[^\n`]*)/mg)
	{
		my ($m) = $line =~ /(?:-X|--request)\s*([A-Z]+)/;
		$m //= $line =~ /\s(-d|--data\S*)\s/ ? 'POST' : 'GET';
		my ($p) = $line =~ m{\$API(/[^\s"'?]*)};
		$p = "/v1$p" if defined $p;
		($p) = $line =~ m{https?://[^/\s"']+(/v1/[^\s"'?]*)} unless defined $p;
		next unless defined $p;
		my $route = "$m " . ($p =~ s/\$\{?\w+\}?/a/gr);
		ok(grep({ $route =~ /^$_/ } @map), "docs/$doc: curl example $m $p is a route of the map")
		  or diag($line);
	}
}

# X-API-Key, the other way to present a key, is passed on too.
my (undef, $got) = through(GET => '/v1/health', headers => { 'X-API-Key' => $key });
is($got->{headers}{'x-api-key'}, $key, 'X-API-Key passed on');
ok(!exists $got->{headers}{authorization}, '... with no Authorization made up');

# Credentials: only a Bearer API key is moved; a JWT reaches PostgREST as
# sent, and a client's own X-API-Key wins over a Bearer API key.
my $jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiZmZydG1wX2FwaSJ9.c2lnbmF0dXJl';
for my $c (
	[ 'a JWT', { Authorization => "Bearer $jwt" }, "Bearer $jwt", undef ],
	[ 'a JWT and an X-API-Key', { Authorization => "Bearer $jwt", 'X-API-Key' => $key }, "Bearer $jwt", $key ],
	[ 'a Bearer API key, scheme in any case', { Authorization => "bearer $key" }, undef, $key ],
	[ 'a Bearer API key and another X-API-Key', { Authorization => 'Bearer ffrtmp_other', 'X-API-Key' => $key },
		undef, $key ],
	[ 'Basic credentials', { Authorization => 'Basic dXNlcjpwdw==' }, 'Basic dXNlcjpwdw==', undef ],
	[ 'a Bearer value that merely contains ffrtmp_', { Authorization => 'Bearer x.ffrtmp_y' }, 'Bearer x.ffrtmp_y', undef ])
{
	my ($what, $headers, $authorization, $api_key) = @$c;
	(undef, $got) = through(GET => '/v1/tenants', headers => $headers);
	is($got->{headers}{authorization}, $authorization, "$what: Authorization upstream " . ($authorization // 'absent'));
	is($got->{headers}{'x-api-key'}, $api_key, "$what: X-API-Key upstream " . ($api_key // 'absent'));
}

# A large body (over nginx's default in-memory buffer) arrives whole.
my $big = '{"input_url":"file:///in/a.mp4","params":{"pad":"' . ('x' x 200_000) . '"}}';
(undef, $got) = through(POST => '/v1/jobs', body => $big, headers => { 'Content-Type' => 'application/json' });
is(length($got->{body} // ''), length($big), 'a 200 kB body reaches PostgREST whole');

# A body with the path's id after a client's member of the same name: the
# path's is the argument, as PostgREST v12.2.9 reads a function call's body
# (the raw JSON into json_to_record, whose object keeps the last duplicate).
my $pg = PostgreSQL::Test::Cluster->new('json_to_record');
$pg->init;
$pg->start;
for my $c ([ '/v1/tenants/acme', '{"tenant":"other","plan":"pro"}', 'tenant text, plan text', 'acme|pro' ],
	[ "/v1/users/$uuid", '{"user_id":"00000000-0000-0000-0000-000000000000","role":"viewer"}', 'user_id uuid, role text',
		"$uuid|viewer" ])
{
	my ($path, $body, $columns, $want) = @$c;
	(undef, $got) = through(PUT => $path, body => $body, headers => { %auth, 'Content-Type' => 'application/json' });
	my $lit = $got->{body} =~ s/'/''/gr;
	is($pg->safe_psql('postgres', "SELECT pgrst_body.* FROM (SELECT '$lit'::json AS json_data) pgrst_payload, "
		  . "LATERAL (SELECT * FROM json_to_record(pgrst_payload.json_data) AS _($columns) LIMIT 1) pgrst_body"),
		$want, "PUT $path with the id in the body too: PostgreSQL's json_to_record takes the path's");
}
$pg->stop;

# Not routes: nothing reaches PostgREST.
for my $case (
	[ GET => '/v1/nope', 404 ],
	[ GET => '/v1/rpc/create_tenant', 404 ],
	[ GET => '/rpc/create_tenant', 404 ],
	[ GET => '/v1/tenants/a%20b', 404 ],
	[ GET => '/v1/tenants/a%22,%22x', 404 ],
	[ GET => '/v1/jobs/abc', 404 ],
	[ GET => '/v1/users/not-a-uuid!', 404 ],
	[ GET => '/v1/tenants/', 404 ],
	[ GET => '/v1/tenants/acme/stats/', 404 ],
	[ DELETE => '/v1/tenants', 405, 'GET, POST' ],
	[ GET => '/v1/jobs', 405, 'POST' ],
	[ PATCH => '/v1/tenants/acme', 405, 'GET, PUT, DELETE' ],
	[ GET => '/v1/jobs/42/cancel', 405, 'POST' ],
	[ POST => '/v1/health', 405, 'GET' ],
	[ DELETE => '/v1/webhooks', 405, 'GET, POST' ],
	[ GET => '/v1/jobs/42/retry', 405, 'POST' ],
	[ GET => '/v1/jobs/batch', 405, 'POST' ],
	[ DELETE => '/v1/jobs/42/logs', 405, 'GET' ],
	[ POST => '/v1/invitations/accept/x', 404 ],
	[ POST => '/v1/tenants/acme/roles/ci_bot', 405, 'DELETE' ],
	[ POST => '/v1/audit/verify', 405, 'GET' ])
{
	my ($m, $p, $status, $allow) = @$case;
	my ($res, $got) = through($m, $p);
	is($res->{status}, $status, "$m $p: $status");
	ok(!$got, "$m $p: nothing reached PostgREST");
	my $body = eval { decode_json($res->{content}) } // {};
	ok(defined $body->{message} && defined $body->{hint}, "$m $p: PostgREST-shaped JSON error body");
	is($res->{headers}{allow}, $allow, "$m $p: Allow: $allow") if $allow;
}

# The path's tenant cannot be given a second time in the query.
for my $q ('tenant=other', 'state=queued&tenant=other')
{
	my ($res, $got) = through(GET => "/v1/tenants/acme/jobs?$q", headers => \%auth);
	is($res->{status}, 400, "?$q on a tenant's jobs: 400");
	ok(!$got, "?$q: nothing reached PostgREST");
	like($res->{content}, qr/"message":"argument tenant is given by the path"/, "?$q: says why");
}
for my $c ([ '/v1/jobs/42/logs?job=7', 'job' ], [ '/v1/job-ids/7?seq=8', 'seq' ])
{
	my ($p, $arg) = @$c;
	my ($res, $got) = through(GET => $p, headers => \%auth);
	is($res->{status}, 400, "$p: 400");
	ok(!$got, "$p: nothing reached PostgREST");
	like($res->{content}, qr/"message":"argument $arg is given by the path"/, "$p: says why");
}
# A name that merely ends in "tenant" is another argument.
my ($res_ok, $got_ok) = through(GET => '/v1/tenants/acme/jobs?subtenant=x', headers => \%auth);
is($got_ok && $got_ok->{query}, 'tenant=acme&subtenant=x', '?subtenant= is passed on');

# PostgREST v12.2.9 reads a query name percent-decoded, '+' as a space, ';'
# as a separator like '&', "x.tenant", "tenant->k" or "\"tenant\"" as the
# argument tenant, and keeps the last: on a route whose path gives an
# argument, a name other than a plain identifier is refused, so that no
# spelling of the path's argument gets through.
for my $c (
	[ '/v1/tenants/acme/jobs?%74enant=globex', 'a percent-encoded letter' ],
	[ '/v1/tenants/acme/jobs?state=queued&%74enant=globex', 'the same after another argument' ],
	[ '/v1/tenants/acme/jobs?tenant%5Fid=1', '%5F (an encoded _)' ],
	[ '/v1/tenants/acme/jobs?tenant+=globex', '+ (a space)' ],
	[ '/v1/tenants/acme/jobs?state=queued;tenant=globex', 'a raw ; (a separator)' ],
	[ '/v1/tenants/acme/jobs?jobs.tenant=globex', 'an embedding path' ],
	[ '/v1/tenants/acme/jobs?tenant-%3Ek=globex', 'a JSON path' ],
	[ '/v1/tenants/acme/jobs?%22tenant%22=globex', 'a quoted name' ],
	[ '/v1/tenants/acme/jobs?&&tenant=globex', 'empty pairs' ],
	[ '/v1/jobs/1/logs?jo%62=2', 'a percent-encoded job' ],
	[ '/v1/job-ids/1?se%71=2', 'a percent-encoded seq' ])
{
	my ($p, $what) = @$c;
	my ($res, $got) = through(GET => $p, headers => \%auth);
	is($res->{status}, 400, "$what in a name ($p): 400");
	ok(!$got, "$p: nothing reached PostgREST") or diag("PostgREST got $got->{path}?$got->{query}");
	like($res->{content}, qr/^\{"code":"400","message":"malformed query string","details":null,"hint":"[^"]+"\}$/,
		"$p: PostgREST-shaped JSON error body");
}
# The path's argument in another case, or twice: refused as a repeat.
for my $q ('TENANT=globex', 'Tenant=globex', 'tenant=acme&tenant=globex', 'tenant', 'state=queued&tenant')
{
	my ($res, $got) = through(GET => "/v1/tenants/acme/jobs?$q", headers => \%auth);
	is($res->{status}, 400, "?$q on a tenant's jobs: 400");
	ok(!$got, "?$q: nothing reached PostgREST");
	like($res->{content}, qr/"message":"argument tenant is given by the path"/, "?$q: says why");
}
# Values may be encoded, names may hold _ and digits, and PostgREST's own
# parameters pass.
for my $c ([ '/v1/tenants/acme/jobs?state=queued%2Crunning&max_rows=10', 'tenant=acme&state=queued%2Crunning&max_rows=10' ],
	[ '/v1/tenants/acme/jobs?select=id,state&order=id.desc&limit=5', 'tenant=acme&select=id,state&order=id.desc&limit=5' ],
	[ '/v1/jobs/42/logs?attempt=2&', 'job=42&attempt=2&' ],
	[ '/v1/job-ids/7?tenant=acme', 'seq=7&tenant=acme' ])
{
	my ($p, $q) = @$c;
	my (undef, $got) = through(GET => $p, headers => \%auth);
	is($got && $got->{query}, $q, "$p: passed on as ?$q");
}

# A numeric id is a JSON number: leading zeros are no route (404), so that
# no body such as {"id":007} (invalid JSON) is sent; 0 is one.
for my $c ([ POST => '/v1/jobs/007/cancel' ], [ POST => '/v1/jobs/007/wait' ], [ DELETE => '/v1/webhooks/007' ],
	[ GET => '/v1/jobs/007' ], [ GET => '/v1/jobs/00/logs' ], [ GET => '/v1/job-ids/01' ])
{
	my ($m, $p) = @$c;
	my ($res, $got) = through($m, $p, headers => \%auth);
	is($res->{status}, 404, "$m $p: 404");
	ok(!$got, "$m $p: nothing reached PostgREST") or diag("PostgREST got $got->{body}");
}
{
	my ($res, $got) = through(POST => '/v1/jobs/0/cancel', headers => \%auth);
	is($got && $got->{body}, '{"id":0}', 'POST /v1/jobs/0/cancel: {"id":0}');
}

# A body over the limit: 413, in JSON.
my ($res) = through(POST => '/v1/jobs', body => 'x' x (1024 * 1024 + 1),
	headers => { 'Content-Type' => 'application/json' });
is($res->{status}, 413, 'a body over 1 MB: 413');
like($res->{content}, qr/^\{"code":"413","message":"request body too large"/, '413 in JSON');

# The anonymous invitation acceptance is rate-limited per address (a burst
# of 10, then one every 2 s): sent at once, some request past the burst is
# 429, in JSON with Retry-After, without reaching PostgREST; other routes
# from the same address are not limited.
{
	my ($limited, $got);
	for (1 .. 30)
	{
		($res, $got) = through(POST => '/v1/invitations/accept', body => '{"token":"ffrtmp_invite_0123"}',
			headers => { 'Content-Type' => 'application/json' });
		if ($res->{status} == 429) { $limited = $res; last }
	}
	ok($limited, 'POST /v1/invitations/accept past its burst: 429');
	ok(!$got, '... not passed on to PostgREST');
	is($limited && $limited->{headers}{'retry-after'}, '2', '... with Retry-After');
	like($limited && $limited->{content}, qr/^\{"code":"429","message":"too many requests"/, '... in JSON');
	($res, $got) = through(GET => '/v1/invitations', headers => \%auth);
	is($res->{status}, 200, 'GET /v1/invitations from the same address: not limited');
	($res, $got) = through(POST => '/v1/jobs', body => '{}', headers => { %auth, 'Content-Type' => 'application/json' });
	is($res->{status}, 200, 'nor POST /v1/jobs');
}

# PostgREST down: 503 with Retry-After, in JSON.
stop_http_server($upstream);
($res) = through(GET => '/v1/health');
is($res->{status}, 503, 'PostgREST down: 503');
is($res->{headers}{'retry-after'}, '5', 'with Retry-After');
like($res->{content}, qr/^\{"code":"503","message":"the API is unavailable"/, '503 in JSON');

stop_process($h);
done_testing();
