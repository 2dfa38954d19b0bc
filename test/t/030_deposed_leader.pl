# The leader-epoch fence on the scheduler's own pass: a leader whose epoch is
# no longer current (here an administrator bumps it, as a new term would)
# writes nothing in its next pass: recovery, dispatch and pruning all run
# behind the fence.  Its pass fails with the fence's error, the process
# leaves, and a leader of a new epoch takes over and dispatches.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('deposed');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.schedulers = 1
ffrtmp.scheduler_interval = '100ms'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
ok($node->poll_query_until('postgres', q{SELECT leader_pid IS NOT NULL FROM ffrtmp_data.scheduler_shared()}),
	'a leader runs');
my ($leader, $epoch) = split /\|/, $node->safe_psql('postgres', q{SELECT leader_pid, epoch FROM ffrtmp_data.scheduler_state});

# In one transaction: the epoch moves on, and a job and a node arrive.  The
# old leader's next pass sees all three at once.
my $offset = -s $node->logfile;
my $job = $node->safe_psql('postgres', q{
	BEGIN;
	UPDATE ffrtmp_data.scheduler_state SET epoch = epoch + 10;
	SELECT count(*) FROM ffrtmp.register_node('deposed-1', cpu_cores => 4, slots => 1);
	SELECT id FROM ffrtmp.submit_job('testsrc://');
	COMMIT;
});
$job = (split /\n/, $job)[-1];
my $deposed = qr/ERROR:  scheduler epoch $epoch is not current\n.*DETAIL:  Epoch @{[$epoch + 10]} began since; a pass of an earlier epoch writes nothing\./;
ok($node->poll_query_until('postgres', "SELECT state = 'assigned' FROM ffrtmp.jobs WHERE id = $job"),
	'the job is dispatched');
like(substr(slurp_file($node->logfile), $offset), $deposed, 'by a new leader, after the old one\'s pass was refused');
my ($new_leader, $new_epoch) = split /\|/, $node->safe_psql('postgres', q{SELECT leader_pid, epoch FROM ffrtmp_data.scheduler_state});
isnt($new_leader, $leader, 'the deposed process left');
is($new_epoch, $epoch + 11, 'and its successor took the next epoch');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM ffrtmp.job_events WHERE job_id = $job AND to_state = 'assigned'"), '1',
	'the job was assigned once');

$node->stop;
done_testing();
