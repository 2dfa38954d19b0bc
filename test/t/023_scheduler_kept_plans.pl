# Plans are kept for a backend's life.  Made while the jobs table was empty
# (a fresh install, everything pruned), they must still use the indexes once
# the table has grown: a dispatch pass over 20,000 queued jobs, in a backend
# that planned its queries on the empty table and without ANALYZE since, reads
# jobs through indexes only.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('plans');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 0
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('bulk', plan => 'pro');
	SELECT ffrtmp.update_tenant('bulk', quotas => '{"max_jobs": null, "max_cpu_cores": null, "max_workers": null, "max_jobs_per_hour": null}');
	SELECT count(ffrtmp.register_node('pool-' || g, cpu_cores => 64, slots => 4)) FROM generate_series(1, 20) g;
});

# One session: statistics of the empty table (as after a prune and an
# autovacuum), a pass on it (its plans are kept), 20,000 jobs
# (some of them running on the nodes), then a pass in its own transaction
# whose sequential scans of jobs are counted.
my $scans = $node->safe_psql('postgres', q{
	VACUUM ANALYZE ffrtmp_data.jobs, ffrtmp_data.usage;
	SELECT ffrtmp.dispatch();
	SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'bulk')) FROM generate_series(1, 20000);
	UPDATE ffrtmp_data.jobs SET state = 'assigned', node_id = (SELECT min(id) FROM ffrtmp_data.nodes)
	 WHERE id IN (SELECT id FROM ffrtmp_data.jobs ORDER BY id LIMIT 2);
	BEGIN;
	SELECT ffrtmp.dispatch();
	SELECT 'scans:' || seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'ffrtmp_data.jobs'::regclass;
	COMMIT;
});
like($scans, qr/^78$/m, 'the second pass assigns the 78 free slots');
like($scans, qr/^scans:0$/m, 'and scans no part of jobs sequentially, though its plans were made on an empty table');
is($node->safe_psql('postgres', q{SELECT reltuples < 1 FROM pg_class WHERE oid = 'ffrtmp_data.jobs'::regclass}), 't',
	'(the statistics still describe an empty table)');

$node->stop;
done_testing();
