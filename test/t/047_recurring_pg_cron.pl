# Recurring transcodes with pg_cron (docs/recurring.md): a cron job calls
# submit_job with an idempotency key per period, so however often it runs in
# one period, one job is submitted.  Here two cron jobs run the same command
# every minute (a double run in each period) against an hourly key; after
# they ran, each period has exactly one job, and running the command again
# by hand for a period that already has its job adds none.  Skipped where
# pg_cron (Debian's postgresql-15-cron) is not installed in the PostgreSQL
# under test.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

my $share = `pg_config --sharedir`;
chomp $share;
skip_all_because "pg_cron is not installed in $share (postgresql-15-cron)"
  unless -e "$share/extension/pg_cron.control";

my $node = PostgreSQL::Test::Cluster->new('recurring');
$node->init;
# The tests' server listens on a socket only: pg_cron then runs its jobs in
# background workers instead of connecting over TCP.
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp, pg_cron'
ffrtmp.schedulers = 0
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
});
$node->start;
sub sql { return $node->safe_psql('postgres', $_[0]); }

sql(q{CREATE EXTENSION ffrtmp});
sql(q{CREATE EXTENSION pg_cron});
sql(q{SELECT ffrtmp.create_tenant('acme', plan => 'pro')});
# The hourly archive of docs/recurring.md: every argument is a function of
# the period, so a repeat in the same period has the same arguments.
sql(q{
CREATE FUNCTION public.archive_hourly(at timestamptz DEFAULT now()) RETURNS bigint
LANGUAGE sql BEGIN ATOMIC
    SELECT id FROM ffrtmp.submit_job(
        'rtmp://ingest.example.com/live/main',
        output_url => 'archive/main-' || to_char(date_trunc('hour', at), 'YYYYMMDD-HH24') || '.mp4',
        preset => '1080p-h264',
        idempotency_key => 'archive-main-' || to_char(date_trunc('hour', at), 'YYYY-MM-DD"T"HH24'),
        tenant => 'acme');
END});
sql(q{SELECT cron.schedule('archive-main', '* * * * *', 'SELECT public.archive_hourly()')});
sql(q{SELECT cron.schedule('archive-main-again', '* * * * *', 'SELECT public.archive_hourly()')});

# pg_cron's schedule is in minutes (1.4): wait for both jobs' first runs.
ok( $node->poll_query_until('postgres', q{
		SELECT count(DISTINCT jobid) = 2 FROM cron.job_run_details WHERE status = 'succeeded'}),
	'both cron jobs ran');
is(sql(q{SELECT count(*) FROM cron.job_run_details WHERE status NOT IN ('succeeded', 'running', 'starting')}), '0',
	'no run failed (a repeat in the period returned the existing job)');

# The periods (hours) in which the command ran, by pg_cron's own record.
my $periods = q{SELECT DISTINCT 'archive-main-' || to_char(date_trunc('hour', start_time), 'YYYY-MM-DD"T"HH24') AS key
                  FROM cron.job_run_details WHERE status = 'succeeded'};
is(sql(qq{SELECT count(*) FROM ($periods) p}),
	sql(q{SELECT count(*) FROM ffrtmp.jobs}),
	'one job per period, though the command ran twice in it');
is(sql(qq{SELECT count(*) FROM ($periods) p JOIN ffrtmp.jobs j ON j.idempotency_key = p.key}),
	sql(q{SELECT count(*) FROM ffrtmp.jobs}),
	'each keyed by its period');
like(sql(q{SELECT output_url FROM ffrtmp.jobs ORDER BY id LIMIT 1}), qr{^archive/main-\d{8}-\d{2}\.mp4$},
	'writing the period\'s archive');

# A rerun in a period that has its job (by hand, for the first run's hour).
my $first = sql(q{SELECT min(start_time) FROM cron.job_run_details WHERE status = 'succeeded'});
my $before = sql(q{SELECT count(*) FROM ffrtmp.jobs});
my $again = sql(qq{SELECT public.archive_hourly('$first')});
is(sql(q{SELECT count(*) FROM ffrtmp.jobs}), $before, 'a rerun in the same period adds no job');
is($again, sql(qq{SELECT id FROM ffrtmp.jobs WHERE idempotency_key =
	'archive-main-' || to_char(date_trunc('hour', '$first'::timestamptz), 'YYYY-MM-DD"T"HH24')}),
	'it returns the period\'s job');
is(sql(q{SELECT count(*) FROM ffrtmp.verify_usage()}), '0', 'the counters are exact');

sql(q{SELECT cron.unschedule('archive-main'); SELECT cron.unschedule('archive-main-again')});
$node->stop;
done_testing();
