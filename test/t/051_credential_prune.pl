# The scheduler's pass deletes API keys and invitations that stopped working
# more than 30 days ago (revoked, expired, accepted), so create and revoke
# loops cannot grow those tables without bound; live ones, and ones dead
# for less, stay.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('prune');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = 100
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('pr', plan => 'pro');
	SELECT ffrtmp.create_api_key(name, tenant => 'pr', role => 'viewer')
	  FROM unnest(ARRAY['live', 'revoked-long-ago', 'revoked-lately', 'expired-long-ago']) name;
	SELECT ffrtmp.invite_user(email, 'viewer', tenant => 'pr')
	  FROM unnest(ARRAY['pending@pr.example', 'revoked@pr.example', 'expired@pr.example']) email;
});
# Age them as if a month had passed (the owner's hand; no API does this).
$node->safe_psql('postgres', q{
	UPDATE ffrtmp_data.api_keys SET revoked_at = now() - interval '31 days' WHERE name = 'revoked-long-ago';
	UPDATE ffrtmp_data.api_keys SET revoked_at = now() - interval '29 days' WHERE name = 'revoked-lately';
	UPDATE ffrtmp_data.api_keys SET expires_at = now() - interval '31 days' WHERE name = 'expired-long-ago';
	UPDATE ffrtmp_data.invitations SET revoked_at = now() - interval '31 days' WHERE email = 'revoked@pr.example';
	UPDATE ffrtmp_data.invitations SET expires_at = now() - interval '31 days' WHERE email = 'expired@pr.example';
});

ok($node->poll_query_until('postgres', q{
	SELECT string_agg(name, ',' ORDER BY name) = 'live,revoked-lately' FROM ffrtmp_data.api_keys}),
   'the pass deletes the keys dead for over 30 days and keeps the others');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.api_key_uses}), '2',
   'with their last-use rows');
ok($node->poll_query_until('postgres', q{
	SELECT string_agg(email, ',' ORDER BY email) = 'pending@pr.example' FROM ffrtmp_data.invitations}),
   'and the invitations revoked or expired over 30 days ago');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM ffrtmp_data.audit_log WHERE action IN ('api_key.create', 'invitation.create')}), '7',
   'the audit log keeps their history');

done_testing();
