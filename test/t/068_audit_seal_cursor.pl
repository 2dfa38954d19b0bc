# The sealer reads only the audit rows above its cursor, and moves the
# cursor past an id only once no transaction can still commit a row with a
# smaller one.  A transaction that took its audit row's id before the
# sealer looked, and stays open over two passes while no younger transaction
# has ended (so a snapshot's xmax is not past it), must still have its row
# sealed when it commits: the cursor waits for it.  (Passes are run by hand:
# a scheduler's own transactions would end younger transactions.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cursor');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 0
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	CREATE ROLE cu_app LOGIN;
	SELECT ffrtmp.create_tenant('cu', plan => 'enterprise');
	SELECT ffrtmp.add_tenant_role('cu', 'cu_app');
	SELECT ffrtmp_data.seal_audit();
	SELECT ffrtmp_data.seal_audit();
});

# The open transaction: the newest one, its row written and not committed.
my $open = $node->background_psql('postgres');
$open->query_safe(q{BEGIN; SET ROLE cu_app; SELECT ffrtmp.submit_job('testsrc://')});
my $late = $node->safe_psql('postgres', q{SELECT last_value FROM ffrtmp_data.audit_log_id_seq});

# Two passes while it is open, then it commits, then one more pass.
$node->safe_psql('postgres', q{SELECT ffrtmp_data.seal_audit()});
$node->safe_psql('postgres', q{SELECT ffrtmp_data.seal_audit()});
ok($node->safe_psql('postgres', q{SELECT low_id FROM ffrtmp_data.audit_seal_cursor}) < $late,
   'the cursor does not pass the id of a row an open transaction holds');
$open->query_safe('COMMIT');
$open->quit;
$node->safe_psql('postgres', q{SELECT ffrtmp_data.seal_audit()});
is($node->safe_psql('postgres', qq{SELECT count(*) FROM ffrtmp_data.audit_seals WHERE audit_id = $late}), '1',
   'the row of the transaction that committed late is sealed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0',
   'and the chains verify: no row taken for one put in');

# Once nothing is open, the cursor moves past every row.
$node->safe_psql('postgres', q{SELECT ffrtmp_data.seal_audit()});
$node->safe_psql('postgres', q{SELECT ffrtmp_data.seal_audit()});
is($node->safe_psql('postgres', q{
	SELECT low_id >= (SELECT max(id) FROM ffrtmp_data.audit_log) FROM ffrtmp_data.audit_seal_cursor}), 't',
   'with no transaction open, the cursor moves past every row');

# The scheduler seals at most a batch (1,000) a pass, and its upkeep comes
# once per ffrtmp.scheduler_interval (a minute here); a full batch calls the
# next pass at once, so 10,000 rows waiting are sealed without waiting for
# ten timer passes.
$node->safe_psql('postgres', 'SET ROLE cu_app;' . q{
	SELECT count(*) FROM ffrtmp.submit_jobs((SELECT jsonb_agg(jsonb_build_object('input_url', 'testsrc://'))
	                                          FROM generate_series(1, 1000)));
} x 10);
$node->append_conf('postgresql.conf', "ffrtmp.schedulers = 1\nffrtmp.scheduler_interval = 60000\n");
$node->restart;
ok($node->poll_query_until('postgres', q{
	SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'the scheduler seals 10,000 waiting rows in passes called back one after the other');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0', 'and they verify');

$node->stop;
done_testing();
