# The scheduler's pass keeps the audit log: it writes the refusals queued in
# shared memory, chains the committed rows of each tenant (an open tenant
# transaction holds nothing up), and prunes rows older than
# ffrtmp.audit_retention.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('audit');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = 100
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	CREATE ROLE au_app LOGIN;
	CREATE ROLE au_nobody LOGIN IN ROLE ffrtmp_tenant;
	SELECT ffrtmp.create_tenant('au', plan => 'pro');
	SELECT ffrtmp.add_tenant_role('au', 'au_app');
});

# A tenant's open transaction: its row is not sealed until it commits, and
# meanwhile an administrator changes the tenant (nothing waits on the
# chain) and the pass seals that change.
my $open = $node->background_psql('postgres');
$open->query_safe(q{BEGIN; SET ROLE au_app; SELECT ffrtmp.submit_job('testsrc://')});
$node->safe_psql('postgres', q{SET statement_timeout = '5s'; SELECT ffrtmp.update_tenant('au', display_name => 'AU')});
ok($node->poll_query_until('postgres', q{
	SELECT bool_and(row_hash IS NOT NULL) AND bool_or(action = 'tenant.update') FROM ffrtmp_data.audit_log}),
   'the pass chains the committed rows while a tenant holds a transaction open');
$open->query_safe('COMMIT');
$open->quit;
ok($node->poll_query_until('postgres', q{
	SELECT bool_and(row_hash IS NOT NULL) AND bool_or(action = 'job.submit') FROM ffrtmp_data.audit_log}),
   'and the row of that transaction once it commits');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
   'the chains verify');

# A refusal's transaction rolls back; the pass writes it from shared memory.
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE au_nobody; SELECT ffrtmp.submit_job('testsrc://')});
like($err, qr/acts for no tenant/, 'a role mapped to no tenant is refused');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM ffrtmp_data.audit_log
	 WHERE outcome = 'refused' AND db_role = 'au_nobody' AND row_hash IS NOT NULL}),
   'the pass writes the refusal to the audit log, chained');

# A refusal of a tenant's user goes to that tenant's chain, where its
# administrator reads it.
$node->safe_psql('postgres', q{
	CREATE ROLE au_viewer LOGIN;
	SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('v@au.example', 'viewer', tenant => 'au')), 'au_viewer');
});
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE au_viewer; SELECT ffrtmp.submit_job('testsrc://')});
like($err, qr/permission denied: jobs\.create/, 'a viewer is refused');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
	 WHERE t.name = 'au' AND a.outcome = 'refused' AND a.db_role = 'au_viewer' AND a.row_hash IS NOT NULL}),
   'the pass writes it on its tenant\'s chain');

# Retention: the pass prunes by ffrtmp.audit_retention, never under a day,
# by chain position: a chain's longest run of first rows all older than the
# retention.  Tenant au-old's first rows are two days old (backdated before
# the pass seals them); then a recent row; then a row from two days ago
# sealed after it, as a transaction that commits late is: it waits for the
# recent row, which no pruning takes along.
$node->safe_psql('postgres', qq{
	BEGIN;
	SELECT ffrtmp.create_tenant('au-old');
	SELECT set_config('ffrtmp_test.old', (SELECT id::text FROM ffrtmp_data.tenants WHERE name = 'au-old'), true);
	SET LOCAL ROLE ffrtmp_owner;
	UPDATE ffrtmp_data.audit_log SET at = now() - interval '2 days'
	 WHERE tenant_id = current_setting('ffrtmp_test.old')::uuid;
	COMMIT;
});
ok($node->poll_query_until('postgres', q{
	SELECT bool_and(row_hash IS NOT NULL) FROM ffrtmp_data.audit_log}),
   'the old rows are sealed');
my $upto = $node->safe_psql('postgres', q{
	SELECT max(a.chain_seq) FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id
	 WHERE t.name = 'au-old'});
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('au-old', display_name => 'AU later')});
$node->safe_psql('postgres', q{
	INSERT INTO ffrtmp_data.audit_log (tenant_id, at, db_role, action, target)
	SELECT t.id, now() - interval '2 days', 'au_past', 'past.call', 'past:1'
	  FROM ffrtmp_data.tenants t WHERE t.name = 'au-old';
});
ok($node->poll_query_until('postgres', q{
	SELECT bool_and(row_hash IS NOT NULL) FROM ffrtmp_data.audit_log}),
   'the late row is sealed after the recent one');
$node->append_conf('postgresql.conf', "ffrtmp.audit_retention = '1s'\n");
$node->reload;
ok($node->poll_query_until('postgres', qq{
	SELECT pruned_seq = $upto FROM ffrtmp_data.audit_chain_heads h JOIN ffrtmp_data.tenants t ON t.id = h.chain
	 WHERE t.name = 'au-old'}),
   'the pass prunes the chain\'s first rows older than the retention');
is($node->safe_psql('postgres', q{
	SELECT string_agg(a.action, ',' ORDER BY a.chain_seq)
	  FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id WHERE t.name = 'au-old'}),
   'tenant.update,past.call', 'the late old row waits for the recent row sealed before it, which stays');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE at > now() - interval '1 hour'}) > 0
	? 'kept' : 'gone', 'kept', 'a retention under a day prunes nothing younger than a day (the floor)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
   'what remains verifies: no false alarm of rows missing');

$node->stop;
done_testing();
