# The leader's upkeep never waits for a row a tenant holds.  Dead
# credentials (API keys revoked, invitations revoked, 30 days ago) are
# pruned by the scheduler's pass; a tenant may revoke such a key or
# invitation again ("revoking again changes nothing") in a transaction it
# keeps open, which locks the row.  A prune that waited for it would hold
# the leader, so no pass, and no dispatch for any tenant, until that
# transaction ends: a tenant can keep it open as long as it sends a
# statement now and then (its idle cap is turned off here to stand for
# that).  The pass prunes what nobody holds, and the held rows at a later
# pass.  Likewise an administrator's open transaction after sealing the
# audit log by hand does not hold the leader's sealing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upkeep_locks');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '60s'
ffrtmp.tenant_idle_in_transaction_timeout = 0
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');

sub sql { $node->safe_psql('postgres', $_[0]) }

sql(q{CREATE ROLE lk_app LOGIN});
sql(q{SELECT ffrtmp.create_tenant('lk', plan => 'pro')});
sql(q{SELECT ffrtmp.add_tenant_role('lk', 'lk_app')});
# Two keys and two invitations of the tenant, revoked 40 days ago.
my @keys = split /\n/, sql(q{SET ROLE lk_app;
	SELECT (ffrtmp.create_api_key('old-' || g)).key_id FROM generate_series(1, 2) g});
my @invitations = split /\n/, sql(q{SET ROLE lk_app;
	SELECT (ffrtmp.invite_user('old' || g || '@lk.example', 'viewer')).invitation_id FROM generate_series(1, 2) g});
sql(qq{SET ROLE lk_app; SELECT ffrtmp.revoke_api_key(k) FROM unnest(ARRAY['$keys[0]', '$keys[1]']) k});
sql(qq{SET ROLE lk_app; SELECT ffrtmp.revoke_invitation(i::uuid) FROM unnest(ARRAY['$invitations[0]', '$invitations[1]']) i});
sql(q{UPDATE ffrtmp_data.api_keys SET revoked_at = now() - interval '40 days' WHERE revoked_at IS NOT NULL});
sql(q{UPDATE ffrtmp_data.invitations SET revoked_at = now() - interval '40 days' WHERE revoked_at IS NOT NULL});

# The tenant revokes the first of each again and keeps its transaction open.
my $tenant = $node->background_psql('postgres');
$tenant->query_safe('BEGIN');
$tenant->query_safe('SET ROLE lk_app');
$tenant->query_safe(qq{SELECT ffrtmp.revoke_api_key('$keys[0]')});
$tenant->query_safe(qq{SELECT ffrtmp.revoke_invitation('$invitations[0]')});

# A whole pass, upkeep included, while it is open.
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT ffrtmp.dispatch()');
is($rc, 0, 'a whole pass completes while a tenant holds dead credentials locked')
	or diag($err);
is(sql(qq{SELECT count(*) FROM ffrtmp_data.api_keys WHERE key_id = '$keys[1]'}), '0',
   'the key nobody holds is pruned');
is(sql(qq{SELECT count(*) FROM ffrtmp_data.invitations WHERE id = '$invitations[1]'}), '0',
   'the invitation nobody holds is pruned');
is(sql(qq{SELECT count(*) FROM ffrtmp_data.api_keys WHERE key_id = '$keys[0]'}), '1',
   'the key the tenant holds waits');
is(sql(qq{SELECT count(*) FROM ffrtmp_data.invitations WHERE id = '$invitations[0]'}), '1',
   'the invitation the tenant holds waits');

# Once it commits, the next pass prunes them.
$tenant->query_safe('COMMIT');
$tenant->quit;
sql('SELECT ffrtmp.dispatch()');
is(sql(qq{SELECT count(*) FROM ffrtmp_data.api_keys WHERE key_id = '$keys[0]'}), '0',
   'the key goes at the next pass');
is(sql(qq{SELECT count(*) FROM ffrtmp_data.invitations WHERE id = '$invitations[0]'}), '0',
   'and the invitation');

# An administrator may seal the audit log by hand (ffrtmp_data.seal_audit);
# one who leaves that transaction open holds the sealer's cursor.  The
# leader's sealing leaves the work to that session instead of waiting.
sql(q{CREATE ROLE lk_admin LOGIN IN ROLE ffrtmp_admin});
my $admin = $node->background_psql('postgres');
$admin->query_safe('BEGIN');
$admin->query_safe('SET ROLE lk_admin');
$admin->query_safe('SELECT ffrtmp_data.seal_audit()');
sql(q{SET ROLE lk_app; SELECT ffrtmp.create_api_key('new')});
($rc, $out, $err) = $node->psql('postgres', 'SELECT ffrtmp.dispatch()');
is($rc, 0, q{a whole pass completes while an administrator's open transaction holds the sealer's cursor})
	or diag($err);
$admin->query_safe('COMMIT');
$admin->quit;
sql('SELECT ffrtmp.dispatch()');
is(sql(q{SELECT count(*) FROM ffrtmp_data.audit_log a
          WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id)}), '0',
   'the next pass seals what was written meanwhile');
is(sql('SELECT count(*) FROM ffrtmp.verify_audit_chain()'), '0', 'the chains verify');

$node->stop;
done_testing();
