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
	SELECT bool_and(s.audit_id IS NOT NULL) AND bool_or(a.action = 'tenant.update')
	  FROM ffrtmp_data.audit_log a LEFT JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id}),
   'the pass chains the committed rows while a tenant holds a transaction open');
$open->query_safe('COMMIT');
$open->quit;
ok($node->poll_query_until('postgres', q{
	SELECT bool_and(s.audit_id IS NOT NULL) AND bool_or(a.action = 'job.submit')
	  FROM ffrtmp_data.audit_log a LEFT JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id}),
   'and the row of that transaction once it commits');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
   'the chains verify');

# A refusal's transaction rolls back; the pass writes it from shared memory.
my ($rc, $out, $err) = $node->psql('postgres', q{SET ROLE au_nobody; SELECT ffrtmp.submit_job('testsrc://')});
like($err, qr/acts for no tenant/, 'a role mapped to no tenant is refused');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id
	 WHERE a.outcome = 'refused' AND a.db_role = 'au_nobody'}),
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
	  JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id
	 WHERE t.name = 'au' AND a.outcome = 'refused' AND a.db_role = 'au_viewer'}),
   'the pass writes it on its tenant\'s chain');

# Append-only: every path that writes the log inserts its row, and sealing
# writes the row's seal beside it: no row of the log is ever updated (each
# update would be a dead row and a new entry in every index of the table).
$node->safe_psql('postgres', q{
	SELECT ffrtmp.update_user((SELECT id FROM ffrtmp.users WHERE email = 'v@au.example'), display_name => 'V');
	SELECT ffrtmp.revoke_api_key((SELECT key_id FROM ffrtmp.create_api_key('k',
		"user" => (SELECT id FROM ffrtmp.users WHERE email = 'v@au.example'))));
});
$node->safe_psql('postgres', q{
	SET ROLE au_app;
	SELECT ffrtmp.cancel_job((SELECT id FROM ffrtmp.submit_job('testsrc://')));
	SELECT count((ffrtmp.submit_job('testsrc://')).id) FROM generate_series(1, 20);
});
ok($node->poll_query_until('postgres', q{
	SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'the pass seals every row');
# The scheduler reports its statistics after its pass: wait until they count every seal.
ok($node->poll_query_until('postgres', q{
	SELECT n_tup_ins >= (SELECT count(*) FROM ffrtmp_data.audit_log)
	  FROM pg_stat_user_tables WHERE relid = 'ffrtmp_data.audit_seals'::regclass}),
   'the statistics count the seals written');
is($node->safe_psql('postgres', q{
	SELECT string_agg(relname || ' ' || n_tup_upd, ', ' ORDER BY relname) FROM pg_stat_user_tables
	 WHERE relid IN ('ffrtmp_data.audit_log'::regclass, 'ffrtmp_data.audit_seals'::regclass)}),
   'audit_log 0, audit_seals 0', 'no row of the log, nor of its seals, was updated: by submits, a cancel, a user, a key, nor by sealing');

# A row put in among rows sealed long ago (an id below the sealer's cursor)
# is never sealed at the end of the chain as a late commit: it shows.
$node->safe_psql('postgres', q{
	INSERT INTO ffrtmp_data.audit_log (id, tenant_id, db_role, action, target) OVERRIDING SYSTEM VALUE
	SELECT 0, t.id, 'au_app', 'job.cancel', 'job:1' FROM ffrtmp_data.tenants t WHERE t.name = 'au';
});
$node->safe_psql('postgres', q{SET ROLE au_app; SELECT ffrtmp.submit_job('testsrc://')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM ffrtmp_data.audit_log a
	 WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id)}),
   'the pass seals the rows written after it, not the row put in');
is($node->safe_psql('postgres', q{SELECT id || ' ' || problem FROM ffrtmp.verify_audit_chain()}),
   '0 row not sealed: inserted among rows sealed after it', 'verify_audit_chain shows the row put in');
$node->safe_psql('postgres', q{SET ROLE ffrtmp_owner; DELETE FROM ffrtmp_data.audit_log WHERE id = 0});

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
	SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'the old rows are sealed');
my $upto = $node->safe_psql('postgres', q{
	SELECT max(s.chain_seq) FROM ffrtmp_data.audit_seals s JOIN ffrtmp_data.tenants t ON t.id = s.chain
	 WHERE t.name = 'au-old'});
$node->safe_psql('postgres', q{SELECT ffrtmp.update_tenant('au-old', display_name => 'AU later')});
$node->safe_psql('postgres', q{
	INSERT INTO ffrtmp_data.audit_log (tenant_id, at, db_role, action, target)
	SELECT t.id, now() - interval '2 days', 'au_past', 'past.call', 'past:1'
	  FROM ffrtmp_data.tenants t WHERE t.name = 'au-old';
});
ok($node->poll_query_until('postgres', q{
	SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'the late row is sealed after the recent one');
$node->append_conf('postgresql.conf', "ffrtmp.audit_retention = '1s'\n");
$node->reload;
ok($node->poll_query_until('postgres', qq{
	SELECT pruned_seq = $upto FROM ffrtmp_data.audit_chain_heads h JOIN ffrtmp_data.tenants t ON t.id = h.chain
	 WHERE t.name = 'au-old'}),
   'the pass prunes the chain\'s first rows older than the retention');
is($node->safe_psql('postgres', q{
	SELECT string_agg(a.action, ',' ORDER BY s.chain_seq)
	  FROM ffrtmp_data.audit_log a JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id
	  JOIN ffrtmp_data.tenants t ON t.id = a.tenant_id WHERE t.name = 'au-old'}),
   'tenant.update,past.call', 'the late old row waits for the recent row sealed before it, which stays');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE at > now() - interval '1 hour'}) > 0
	? 'kept' : 'gone', 'kept', 'a retention under a day prunes nothing younger than a day (the floor)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
   'what remains verifies: no false alarm of rows missing');

$node->stop;
done_testing();
