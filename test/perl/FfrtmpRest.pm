# FfrtmpRest: replays a PostgREST request against the database, statement
# for statement, and answers with the HTTP status, headers and JSON body
# PostgREST would.
#
# PostgREST cannot run in the tests, so this follows its source, release
# v12.2.9 (docs/testing.md#the-rest-replay-harness):
#   src/PostgREST/Query.hs, runQuery: one transaction per request, as the
#     authenticator, READ COMMITTED; READ ONLY for GET and HEAD and for a
#     call of a STABLE or IMMUTABLE function (Plan.hs, txMode), else READ WRITE;
#   setPgLocals: one SELECT of set_config(..., true) for search_path (the
#     exposed schema, then db-extra-search-path: PostgREST's default is
#     public, deploy/postgrest/postgrest.conf sets it empty, and so does this
#     replay, unless a test passes extra_search_path), role
#     (the JWT's role, else db-anon-role), request.jwt.claims,
#     request.method, request.path, request.headers and request.cookies
#     (JSON objects, header names lower case);
#   runPreReq: SELECT <db-pre-request>();
#   the request's statement (here the caller's SQL, or a function call);
#     response.status and response.headers are read in the same transaction
#     (Query/Statements.hs reads them in the statement itself);
#   COMMIT.
#   src/PostgREST/ApiRequest.hs, getSchema: the schema of the request is
#     the profile header, Content-Profile for DELETE, PATCH, POST and PUT
#     and Accept-Profile for any other method; without one, the first of
#     db-schemas.  A profile not in db-schemas is 406 (Error.hs,
#     UnacceptableSchema, PGRST106) before any statement runs.  A response
#     names its schema in Content-Profile when the request gave a profile
#     or db-schemas lists more than one (Response.hs, profileHeader).
#   src/PostgREST/Error.hs, pgErrorStatus: the HTTP status of a SQLSTATE;
#     42501 is 403 when a JWT named a role other than the anonymous one and
#     401 otherwise; PTxyz is xyz; SQLSTATE PGRST takes its body from the
#     message's JSON and its status and headers from the detail's; any other
#     401 carries WWW-Authenticate: Bearer.  The error body is
#     {code, details, hint, message}.
package FfrtmpRest;

use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;

my $json = JSON::PP->new->canonical;

sub _lit
{
	my ($s) = @_;
	return 'NULL' unless defined $s;
	$s =~ s/'/''/g;
	return "'$s'";
}

# PostgREST's map of SQLSTATE to HTTP status (Error.hs, pgErrorStatus).
sub status_of
{
	my ($code, $authenticated) = @_;
	return 503 if $code =~ /^08/;
	return 500 if $code =~ /^09/;
	return 403 if $code =~ /^0[LP]/;
	return 409 if $code eq '23503' || $code eq '23505';
	return 405 if $code eq '25006';
	return 500 if $code =~ /^25/;
	return 403 if $code =~ /^28/;
	return 500 if $code =~ /^(2D|38|39|3B|40|55|57|58|F0|HV|XX)/;
	return 503 if $code =~ /^53/;
	return 413 if $code =~ /^54/;
	return 404 if $code eq '42883' || $code eq '42P01';
	return 500 if $code eq '42P17';
	return ($authenticated ? 403 : 401) if $code eq '42501';
	return 400 if $code eq 'P0001';
	return 500 if $code =~ /^P0/;
	return $1 if $code =~ /^PT(\d\d\d)$/;
	return 400;
}

# request($node, %r): method, path, headers (hashref), cookies, claims (the
# verified JWT's; none means the anonymous role), role (default: the claims'
# role or ffrtmp_anon), sql (the request's statement, one row of JSON) or
# rpc => [name, {arg => value}] (called in the request's schema); user
# (default ffrtmp_authenticator); schemas (db-schemas, an array reference,
# default ['ffrtmp']); profile (sent as Accept-Profile or Content-Profile,
# whichever PostgREST reads for the method); extra_search_path
# (db-extra-search-path, an array reference, default empty as shipped).
# Returns {status, headers, body} with body decoded from JSON.
sub request
{
	my ($node, %r) = @_;
	my $method = $r{method} // 'GET';
	my %headers = map { lc($_) => $r{headers}{$_} } keys %{ $r{headers} // {} };
	my $claims = $r{claims} // {};
	my $role = $r{role} // $claims->{role} // 'ffrtmp_anon';
	my $profile_header = $method =~ /^(DELETE|PATCH|POST|PUT)$/ ? 'content-profile' : 'accept-profile';
	$headers{$profile_header} = $r{profile} if defined $r{profile};
	my @schemas = @{ $r{schemas} // ['ffrtmp'] };
	my $schema = $headers{$profile_header} // $schemas[0];
	unless (grep { $_ eq $schema } @schemas)
	{
		return { status => 406, headers => {},
			body => { code => 'PGRST106', details => undef, hint => undef,
				message => 'The schema must be one of the following: ' . join(', ', @schemas) } };
	}
	my %profile = (defined $headers{$profile_header} || @schemas > 1)
	  ? ('Content-Profile' => $schema) : ();
	my $sql = $r{sql};
	if ($r{rpc})
	{
		my ($fn, $args) = @{ $r{rpc} };
		my $list = join ', ', map { qq{"$_" => } . _lit($args->{$_}) } sort keys %{ $args // {} };
		$sql = qq{SELECT coalesce(json_agg(r), '[]') FROM "$schema"."$fn"($list) r};
	}
	my $read_only = $method eq 'GET' || $method eq 'HEAD';
	if ($r{rpc} && !$read_only)
	{
		# A POST to a function that writes nothing is READ ONLY too.
		$read_only = $node->safe_psql('postgres', qq{
			SELECT bool_and(provolatile <> 'v') FROM pg_proc
			 WHERE pronamespace = } . _lit(qq{"$schema"}) . q{::regnamespace AND proname = } . _lit($r{rpc}[0])) eq 't';
	}
	my $mode = $read_only ? 'READ ONLY' : 'READ WRITE';
	my $script = join "\n",
	  q{\set VERBOSITY verbose},
	  q{\set ON_ERROR_STOP 1},
	  q{\pset tuples_only on},
	  q{\pset format unaligned},
	  "BEGIN ISOLATION LEVEL READ COMMITTED $mode;",
	  'SELECT set_config(' . join(', true), set_config(',
		"'search_path', " . _lit(join ', ', map { qq{"$_"} } $schema, @{ $r{extra_search_path} // [] }),
		"'role', " . _lit($role),
		"'request.jwt.claims', " . _lit($json->encode($claims)),
		"'request.method', " . _lit($method),
		"'request.path', " . _lit($r{path} // '/'),
		"'request.headers', " . _lit($json->encode(\%headers)),
		"'request.cookies', " . _lit($json->encode($r{cookies} // {}))) . ', true) \g /dev/null',
	  'SELECT "ffrtmp"."pre_request"() \g /dev/null',
	  ($sql // 'SELECT NULL') . ';',
	  q{SELECT coalesce(current_setting('response.status', true), '') || '|' || coalesce(current_setting('response.headers', true), '');},
	  'COMMIT;', '';
	my ($out, $err) = ('', '');
	$node->psql('postgres', $script, stdout => \$out, stderr => \$err,
		extra_params => [ '-U', $r{user} // 'ffrtmp_authenticator' ]);
	if ($err =~ /^(?:psql:[^\n]*?)?ERROR:\s+([0-9A-Z]{5}): (.*?)$/m)
	{
		my ($code, $message) = ($1, $2);
		my ($detail) = $err =~ /^DETAIL:\s+(.*?)$/m;
		my ($hint) = $err =~ /^HINT:\s+(.*?)$/m;
		if ($code eq 'PGRST')
		{
			my $d = $json->decode($detail);
			return { status => $d->{status}, headers => $d->{headers} // {},
				body => $json->decode($message) };
		}
		# "Authenticated" is PostgREST's view: a JWT gave a role other than
		# the anonymous one.  The pre-request function's switch to
		# ffrtmp_api does not count, so a key's 42501 is 401 there.
		my $status = status_of($code, $role ne 'ffrtmp_anon');
		return { status => $status, headers => ($status == 401 ? { 'WWW-Authenticate' => 'Bearer' } : {}),
			body => { code => $code, message => $message, details => $detail, hint => $hint } };
	}
	die "replay failed without an error: $err" if $err =~ /\S/ && $err !~ /^(WARNING|NOTICE)/m;
	my @lines = split /\n/, $out;
	my ($status, $rh) = split /\|/, pop(@lines) // '|', 2;
	my $body = join "\n", @lines;
	return {
		status => ($status || 200),
		headers => { %profile, ($rh ? (map { %$_ } @{ $json->decode($rh) }) : ()) },
		body => ($body =~ /\S/ ? $json->decode($body) : undef) };
}

# The cluster the REST tests replay their requests against: $name
# initialised and started with ffrtmp preloaded, the extension created,
# then $o{sql} run (tenants, roles, plan changes).  $o{conf}: more lines for
# postgresql.conf.  Returns the PostgreSQL::Test::Cluster.
sub cluster
{
	my ($name, %o) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\n" . ($o{conf} // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp; ' . ($o{sql} // ''));
	return $node;
}

# A new API key (ffrtmp.create_api_key) named $name, of $tenant, with $role
# and, given, the scopes in the array @$scopes; returns the key's text.
sub api_key
{
	my ($node, $name, $tenant, $role, $scopes) = @_;
	my $s = $scopes ? ', scopes => ' . _lit('{' . join(',', @$scopes) . '}') : '';
	return $node->safe_psql('postgres',
		'SELECT api_key FROM ffrtmp.create_api_key(' . _lit($name) . ', tenant => ' . _lit($tenant)
		  . ', role => ' . _lit($role) . "$s)");
}

# New users (ffrtmp.create_user), each [name, role, tenant or undef],
# their address name@example.com; returns (name => id, ...).
sub users
{
	my ($node, @users) = @_;
	return map {
		my ($name, $role, $tenant) = @$_;
		($name => $node->safe_psql('postgres',
			'SELECT id FROM ffrtmp.create_user(' . _lit("$name\@example.com") . ', ' . _lit($role)
			  . (defined $tenant ? ', tenant => ' . _lit($tenant) : '') . ')'))
	} @users;
}

# The id of the tenant named $name.
sub tenant_id
{
	my ($node, $name) = @_;
	return $node->safe_psql('postgres', 'SELECT id FROM ffrtmp_data.tenants WHERE name = ' . _lit($name));
}

1;
