# The scheduler's pass plans with enable_seqscan off, so that its kept plans
# take the indexes whatever the statistics were.  A small table read with no
# usable index (a one-row table read without its key) is then costed at the planner's
# disable_cost, far above jit_above_cost: without jit = off in the pass, each
# such statement was compiled with LLVM, tens of milliseconds of every pass.
# With the server's default JIT settings, no statement the pass runs is
# compiled.  (Where the server has no JIT provider, there is nothing to see.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('nojit');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp, pg_stat_statements'
pg_stat_statements.track = all
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = 100
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_stat_statements;
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('jit', plan => 'pro');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'jit');
});

# Some passes, the audit's sealing among them (the job's row and the tenant's).
ok($node->poll_query_until('postgres', q{
	SELECT coalesce(sum(calls), 0) >= 5 FROM pg_stat_statements WHERE query LIKE 'SELECT epoch FROM ffrtmp_data.scheduler_state%'}),
   'the scheduler runs its passes');
ok($node->poll_query_until('postgres', q{
	SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a
	                    WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'and seals the audit rows');

SKIP:
{
	skip 'the server has no JIT provider', 1
	  unless $node->safe_psql('postgres', 'SELECT pg_jit_available()') eq 't';
	is($node->safe_psql('postgres', q{
		SELECT coalesce(string_agg(left(regexp_replace(query, '\s+', ' ', 'g'), 60), '; '), 'none')
		  FROM pg_stat_statements
		 WHERE jit_functions > 0 AND query ~ 'scheduler_state|audit_seal|audit_log|ffrtmp_data\.(seal|prune|recover|reject)'}),
	   'none', 'no statement of the pass was compiled with JIT');
}

$node->stop;
done_testing();
