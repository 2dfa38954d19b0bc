# An upkeep step with more than a batch to do (a burst of audit rows to
# seal, say: any tenant's mutating calls write them) calls the next pass at
# once, until it has caught up.  Those extra passes are for that backlog
# only: recovery and the rejection of jobs no node can run read what no
# burst concerns (every node, the whole queue) and stay once per
# ffrtmp.scheduler_interval, so that a tenant writing audit rows faster than
# a batch a pass cannot make the leader scan everything back to back.
#
# The timer is set to its longest (60 s) and jobs no node can run are
# rejected after 1 s.  The leader's whole pass is held in its upkeep, after
# its rejection step, by a lock on a chain's head; meanwhile a job no node
# can run waits past its time, and 2,500 audit rows wait to be sealed.  Once
# the pass goes on, the passes that seal the rest must leave that job
# queued; the next whole pass (ffrtmp.dispatch()) rejects it.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('behind');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.scheduler_interval = '60s'
ffrtmp.reject_unrunnable_after = '1s'
ffrtmp.node_timeout = '3600s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');

sub sql { $node->safe_psql('postgres', $_[0]) }

sql(q{SELECT ffrtmp.create_tenant('bh', plan => 'enterprise')});
sql(q{SELECT ffrtmp.register_node('bh-node', cpu_cores => 8, slots => 4, tenant => 'bh')});
# Everything so far sealed, by a whole pass.
sql('SELECT ffrtmp.dispatch()');
is(sql(q{SELECT count(*) FROM ffrtmp_data.audit_log a
          WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id)}), '0',
   'the audit log is sealed');

# The burst: 2,500 rows of the tenant's chain, more than two batches.
sql(q{INSERT INTO ffrtmp_data.audit_log (tenant_id, db_role, action, target)
      SELECT t.id, 'burst', 'test.burst', 'burst:' || g FROM ffrtmp_data.tenants t, generate_series(1, 2500) g
       WHERE t.name = 'bh'});

# Hold the next whole pass in its upkeep: the sealer waits for the chain's head.
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN');
$holder->query_safe(q{SELECT * FROM ffrtmp_data.audit_chain_heads h
                       WHERE h.chain = (SELECT id FROM ffrtmp_data.tenants WHERE name = 'bh') FOR UPDATE});
my $asker = $node->background_psql('postgres');
$asker->query_until(qr/asked/, q{\echo asked
SELECT ffrtmp.dispatch();
});
ok($node->poll_query_until('postgres', q{SELECT EXISTS (SELECT 1 FROM pg_stat_activity
    WHERE backend_type LIKE 'ffrtmp scheduler%' AND wait_event_type = 'Lock')}),
   'the whole pass waits in its upkeep, its rejection step done');

# Meanwhile a job no node can run is submitted and waits past its time.
my $big = sql(q{SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => 'bh', cpu_cores => 64)});
usleep(1_500_000);

# The pass goes on: it seals a batch, and passes called at once seal the rest.
$holder->query_safe('COMMIT');
$holder->quit;
ok($node->poll_query_until('postgres', q{SELECT NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_log a
    WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
   'the burst is sealed without waiting for the timer');
$asker->quit;
is(sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $big"), 'queued',
   'the passes that caught up with the seals did not reject: that waits for a whole pass');

sql('SELECT ffrtmp.dispatch()');
is(sql("SELECT state FROM ffrtmp_data.jobs WHERE id = $big"), 'rejected', 'a whole pass rejects the job');
is(sql('SELECT count(*) FROM ffrtmp.verify_audit_chain()'), '0', 'the chains verify');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters are exact');

$node->stop;
done_testing();
