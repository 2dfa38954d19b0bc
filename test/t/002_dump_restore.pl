# pg_dump carries the tenants' data (the default tenant's row over the one
# CREATE EXTENSION makes, not the other rows the extension creates itself),
# pg_restore brings it back, role mappings follow role names, and the
# counters are exact (repair_usage() finds them so).  The restore into a
# fresh cluster, as the operations guide gives it, is 085_backup_restore.pl.  Users, API keys,
# invitations and the audit log come back too: the chains verify, a key
# still authenticates, an invitation's token still works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.database = 'source'");
$node->start;

$node->safe_psql('postgres', q{
	CREATE DATABASE source;
	CREATE DATABASE copy;
	CREATE ROLE dump_app LOGIN;
	CREATE ROLE dump_boss LOGIN;
});
$node->safe_psql('source', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('kept', plan => 'pro', metadata => '{"k": 1}');
	SELECT ffrtmp.add_tenant_role('kept', 'dump_app');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'kept', idempotency_key => 'k' || g) FROM generate_series(1, 5) g;
	SELECT ffrtmp.cancel_job(id) FROM ffrtmp.jobs WHERE seq = 2;
	-- Draining from its first commit (the scheduler, woken by a node that
	-- joins, would otherwise assign it a job), so that neither database's
	-- scheduler assigns any of the jobs this test then reads back as they
	-- were dumped.
	BEGIN;
	SELECT ffrtmp.register_node('kept-1', cpu_cores => 8, tenant => 'kept');
	SELECT ffrtmp.drain_node(id) FROM ffrtmp.nodes WHERE name = 'kept-1';
	COMMIT;
	SELECT ffrtmp.submit_job('testsrc://') ;
	SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('boss@kept.example', 'tenant_admin', tenant => 'kept')), 'dump_boss');
});
my $api_key = $node->safe_psql('source', q{
	SELECT api_key FROM ffrtmp.create_api_key('ci', "user" => (SELECT id FROM ffrtmp.users WHERE email = 'boss@kept.example'))});
my $token = $node->safe_psql('source', q{SELECT token FROM ffrtmp.invite_user('new@kept.example', 'viewer', tenant => 'kept')});
# The scheduler's pass (live in source) seals the audit rows before the dump.
ok($node->poll_query_until('source', q{SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
	'the audit rows are sealed');
my $audit = $node->safe_psql('source', q{SELECT count(*) || ' ' || max(id) FROM ffrtmp_data.audit_log});

my $dump = $node->basedir . '/source.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('source') ], 'pg_dump succeeds');
# The extension lives only in the database ffrtmp.database names: the
# restore goes where the setting now points.
$node->append_conf('postgresql.conf', "ffrtmp.database = 'copy'");
$node->restart;
command_ok([ 'pg_restore', '-d', $node->connstr('copy'), $dump ], 'pg_restore succeeds without errors');

is($node->safe_psql('copy', q{SELECT string_agg(name || ':' || plan || ':' || metadata::text, ',' ORDER BY name) FROM ffrtmp.tenants}),
	'default:enterprise:{},kept:pro:{"k": 1}', 'tenants come back, the default one once');
is($node->safe_psql('copy', q{SELECT string_agg(seq || ':' || state, ',' ORDER BY seq) FROM ffrtmp.jobs j JOIN ffrtmp.tenants t ON t.id = j.tenant_id WHERE t.name = 'kept'}),
	'1:queued,2:canceled,3:queued,4:queued,5:queued', 'jobs come back with their states');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp.job_events}), '7', 'and their history');
# The narrow tables are not dumped: the jobs trigger fills them as COPY
# restores jobs (docs/scheduler.md's check finds no job out of step).
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp_data.job_queue}), '5', 'the queued jobs are back in job_queue');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp_data.jobs j
	 WHERE (j.state = 'queued') <> EXISTS (SELECT 1 FROM ffrtmp_data.job_queue q WHERE q.job_id = j.id)
	    OR (j.state = 'retrying') <> EXISTS (SELECT 1 FROM ffrtmp_data.job_backoffs b WHERE b.job_id = j.id)
	    OR (j.state IN ('assigned', 'running', 'paused'))
	       <> EXISTS (SELECT 1 FROM ffrtmp_data.job_leases l WHERE l.job_id = j.id)}), '0',
	'no job is out of step with the narrow tables');
is($node->safe_psql('copy', q{SELECT string_agg(role_name, ',' ORDER BY role_name) FROM ffrtmp.tenant_roles}), 'dump_app,dump_boss',
	'the role mappings come back');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp.presets}), '6', 'built-in presets exist once');

is($node->safe_psql('copy', 'SELECT ffrtmp.repair_usage()'), '0', 'repair_usage finds nothing to fix: the default tenant\'s counters came back too');
is($node->safe_psql('copy', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'after it the counters match a recount');
is($node->safe_psql('copy', q{SELECT active_jobs || '/' || active_workers FROM ffrtmp.tenant_stats('kept')}),
	'4/1', 'tenant_stats is right after the restore');
is($node->safe_psql('copy', q{SET ROLE dump_app; SELECT seq FROM ffrtmp.submit_job('testsrc://')}),
	'6', 'the mapped role acts for its tenant, and numbering continues');
is($node->safe_psql('copy', q{SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'kept', idempotency_key => 'k3')}),
	'3', 'idempotency keys survive the restore');

# Users, keys, invitations, the audit log.
is($node->safe_psql('copy', q{SELECT email || ':' || role || ':' || status FROM ffrtmp.users}),
	'boss@kept.example:tenant_admin:active', 'users come back');
is($node->safe_psql('copy', q{SET ROLE dump_boss; SELECT count(*) > 0 FROM ffrtmp.audit_log}),
	't', 'the mapped user acts as itself: a tenant administrator reads its tenant\'s log');
is($node->safe_psql('copy', q{SELECT count(*) || ' ' || max(id) FROM ffrtmp_data.audit_log WHERE id <= } . (split / /, $audit)[1]),
	$audit, 'the audit log comes back, every row');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0', 'and its chains verify');
is($node->safe_psql('copy', qq{BEGIN; SELECT name FROM ffrtmp_data.tenants WHERE id = (SELECT ffrtmp.authenticate('$api_key'));
	SELECT seq > 0 FROM ffrtmp.submit_job('testsrc://'); COMMIT;}),
	"kept\nt", 'an API key still authenticates, and acts');
is($node->safe_psql('copy', qq{SELECT email FROM ffrtmp.accept_invitation('$token', display_name => 'New')}),
	'new@kept.example', 'an invitation\'s token still works, once');
ok($node->poll_query_until('copy', q{SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
	'the restored database\'s pass seals the new rows');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
	'which go on the restored chains, intact');
is($node->safe_psql('copy', q{SELECT count(*) FROM ffrtmp_data.audit_log WHERE id > } . (split / /, $audit)[1]
	. q{ AND action IN ('job.submit', 'invitation.accept')}), '3',
	'the new rows (two jobs submitted, the invitation accepted) follow the restored ones');

$node->stop;
done_testing();
