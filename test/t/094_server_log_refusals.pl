# The server log and the API's expected refusals (ffrtmp.log_refusals):
#
# - By default a quota refusal (PT429), a job that is not found (PT404) and a
#   tenant's role naming another tenant (42501) reach the client
#   but leave no ERROR in the server log; every SQLSTATE of the contract that
#   the API raises with a 4xx status likewise, and PostgREST's PGRST 401 of
#   the pre-request function in the authenticator's session.
# - Logged as ever: internal errors (XX000) and the API's other 5xx and
#   worker-only SQLSTATEs leaving an API function, SQLSTATEs outside the
#   contract (division by zero, in an API call or in the authenticator's
#   session), a contract SQLSTATE raised outside the API (a DO block), and
#   an error raised after a PL/pgSQL handler caught an API refusal.
# - ffrtmp.log_refusals = on (a superuser's SET) logs the refusals too; a
#   tenant's role may not set it.
# - Through PostgREST's statements (replayed by FfrtmpRest): a job not found
#   (404), a viewer's key submitting (42501 raised again as PGRST 403), a
#   wrong key (401) and the request rate limit (429) leave no ERROR; an
#   internal error of a request is logged.
use strict;
use warnings;
use FfrtmpRest;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('log_refusals');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'ffrtmp'
log_line_prefix = '%m [%p] %e '
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION ffrtmp;
SELECT ffrtmp.create_tenant('acme', plan => 'free');
SELECT ffrtmp.create_tenant('other', plan => 'free');
UPDATE ffrtmp_data.plans SET max_api_requests_per_minute = 1 WHERE name = 'basic';
SELECT ffrtmp.create_tenant('busy', plan => 'basic');
SELECT ffrtmp.update_tenant('acme', quotas => '{"max_jobs": 0}');
CREATE ROLE acme_user;
SELECT ffrtmp.add_tenant_role('acme', 'acme_user');
ALTER ROLE ffrtmp_authenticator LOGIN;
-- A function of the API (declared, so the permission hook watches it) that
-- raises the SQLSTATE it is given: every code goes the way an API error goes.
CREATE FUNCTION ffrtmp.log_probe(code text) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$BEGIN
        IF code = '22012' THEN PERFORM 1 / 0; END IF;
        RAISE EXCEPTION USING MESSAGE = 'log probe', ERRCODE = code;
    END$$;
INSERT INTO ffrtmp_data.function_permissions VALUES ('log_probe', 'jobs.view');
});

# Runs $sql (as $user, default the superuser); returns the client's stderr
# and the ERROR lines the server log gained meanwhile.
sub run
{
	my ($sql, $user) = @_;
	my $offset = -s $node->logfile;
	my ($rc, $out, $err) = $node->psql('postgres', $sql, extra_params => [ defined $user ? ('-U', $user) : () ]);
	my $log = slurp_file($node->logfile);
	my @errors = grep { /\bERROR:/ } split /\n/, substr($log, $offset);
	return ($err, \@errors);
}

sub not_logged
{
	my ($sql, $client_pattern, $what, $user) = @_;
	my ($err, $errors) = run($sql, $user);
	like($err, $client_pattern, "$what: the client gets the error");
	is_deeply($errors, [], "$what: no ERROR in the server log");
}

sub logged
{
	my ($sql, $log_pattern, $what, $user) = @_;
	my ($err, $errors) = run($sql, $user);
	ok((grep { $_ =~ $log_pattern } @$errors), "$what: logged at ERROR")
	  or diag "client: $err\nlog: @$errors";
}

# --- the issue's examples ------------------------------------------------------
my $quota = q{SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme')};
my $missing = q{SELECT * FROM ffrtmp.get_job(987654)};
my $denied = q{SET ROLE acme_user; SELECT ffrtmp.submit_job('testsrc://', tenant => 'other')};
not_logged($quota, qr/has reached its quota/, 'a quota refusal (PT429)');
not_logged($missing, qr/987654/, 'a job not found (PT404)');
not_logged($denied, qr/42501|permission|may not|not allowed/i, 'a tenant\'s role naming another tenant (42501)');

logged("SET ffrtmp.log_refusals = on; $quota", qr/ PT429 ERROR:.*has reached its quota/,
	'with ffrtmp.log_refusals = on, the quota refusal');
logged("SET ffrtmp.log_refusals = on; $missing", qr/ PT404 ERROR:/, 'with ffrtmp.log_refusals = on, the job not found');
logged("SET ffrtmp.log_refusals = on; $denied", qr/ 42501 ERROR:/, 'with ffrtmp.log_refusals = on, the other tenant refused');
logged(q{SET ROLE acme_user; SET ffrtmp.log_refusals = on}, qr/ 42501 ERROR:.*ffrtmp\.log_refusals/,
	'a tenant\'s role may not turn it on (and that refusal is no API call\'s: logged)');

# --- every SQLSTATE of the contract, leaving an API function --------------------
my $contract = decode_json($node->safe_psql('postgres', 'SELECT ffrtmp.contract()'));
my @api_codes = grep { $_->{raised_by_api} && length $_->{code} == 5 } @{ $contract->{sqlstates} };
my @refusals = grep { ($_->{http} // 0) >= 400 && $_->{http} < 500 } @api_codes;
my @others = grep { !(($_->{http} // 0) >= 400 && $_->{http} < 500) } @api_codes;
ok(@refusals >= 8 && (grep { $_->{code} eq 'XX000' } @others), 'the contract lists refusals and internal errors');
for my $s (@refusals)
{
	not_logged("SELECT ffrtmp.log_probe('$s->{code}')", qr/log probe/, "$s->{code} ($s->{name}, HTTP $s->{http})");
}
for my $s (@others, { code => '22012', name => 'division_by_zero (outside the contract)' },
	{ code => '53200', name => 'out_of_memory' }, { code => '58030', name => 'io_error' })
{
	logged("SELECT ffrtmp.log_probe('$s->{code}')", qr/ $s->{code} ERROR:/, "$s->{code} ($s->{name}) leaving an API function");
}

# --- not from the API, or no longer -------------------------------------------
logged(q{DO $$BEGIN RAISE SQLSTATE 'PT404' USING MESSAGE = 'raised outside the API'; END$$},
	qr/ PT404 ERROR:  raised outside the API/, 'a contract SQLSTATE raised outside the API');
logged(q{DO $$BEGIN
	BEGIN PERFORM ffrtmp.get_job(987654); EXCEPTION WHEN OTHERS THEN NULL; END;
	RAISE SQLSTATE 'PT404' USING MESSAGE = 'after a caught refusal';
END$$}, qr/ PT404 ERROR:  after a caught refusal/, 'an error after a handler caught an API refusal');

# --- the authenticator's session (PostgREST's) -----------------------------------
not_logged(q{SELECT ffrtmp.pre_request()}, qr/"status":\s*401/, 'PGRST 401 of the pre-request function',
	'ffrtmp_authenticator');
logged(q{SELECT 1 / 0}, qr/ 22012 ERROR:/, 'a division by zero in the authenticator\'s session', 'ffrtmp_authenticator');

# --- REST requests ------------------------------------------------------------------
my %key = (acme => FfrtmpRest::api_key($node, 'acme-viewer', 'acme', 'viewer'),
	busy => FfrtmpRest::api_key($node, 'busy-viewer', 'busy', 'viewer'));

# Replays a request with $key; returns its status and the ERROR lines the server log gained.
sub rest
{
	my ($key, %r) = @_;
	my $offset = -s $node->logfile;
	my $response = FfrtmpRest::request($node, headers => { 'X-API-Key' => $key }, %r);
	my @errors = grep { /\bERROR:/ } split /\n/, substr(slurp_file($node->logfile), $offset);
	return ($response->{status}, \@errors);
}

for my $case ([ 404, 'a job not found', $key{acme}, method => 'GET', path => '/rpc/get_job', rpc => [ 'get_job', { id => 987654 } ] ],
	[ 403, 'a viewer\'s key submitting (PGRST 403)', $key{acme}, method => 'POST', path => '/rpc/submit_job',
		rpc => [ 'submit_job', { input_url => 'testsrc://' } ] ],
	[ 401, 'a wrong API key', 'ffrtmp_wrong', method => 'GET', path => '/rpc/whoami', sql => 'SELECT 1' ],
	[ 200, 'the first request of a plan allowing one a minute', $key{busy}, method => 'GET', path => '/rpc/whoami',
		sql => 'SELECT 1' ],
	[ 429, 'the second (the rate limit)', $key{busy}, method => 'GET', path => '/rpc/whoami', sql => 'SELECT 1' ])
{
	my ($want, $what, $key, %r) = @$case;
	my ($status, $errors) = rest($key, %r);
	is($status, $want, "REST, $what: HTTP $want");
	is_deeply($errors, [], "REST, $what: no ERROR in the server log");
}
my ($status, $errors) = rest($key{acme}, method => 'POST', path => '/rpc/log_probe', rpc => [ 'log_probe', { code => 'XX000' } ]);
is($status, 500, 'REST, an internal error: HTTP 500');
ok((grep { / XX000 ERROR:  log probe/ } @$errors), 'REST, an internal error: logged at ERROR') or diag "@$errors";

$node->stop;
done_testing();
