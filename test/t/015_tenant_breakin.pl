# Holes found by a second break-in round, each as a hostile tenant would try
# it.  Every case here failed when it was written.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('breakin');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'ffrtmp'
ffrtmp.tenant_statement_timeout = '500ms'
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION ffrtmp;
SELECT name FROM ffrtmp.create_tenant('acme', plan => 'pro');
CREATE ROLE alice LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'alice');
});

sub run_as
{
	my ($user, $sql) = @_;
	my ($out, $err, $timed_out) = ('', '', 0);
	$node->psql('postgres', $sql, extra_params => [ '-U', $user ], stdout => \$out, stderr => \$err,
		timeout => $PostgreSQL::Test::Utils::timeout_default, timed_out => \$timed_out);
	return ($out, $timed_out ? 'timed out' : $err);
}

# 1. The statement cap cannot be caught and outlived: a PL/pgSQL block that
# catches query_canceled gets a fresh cap for its next query, so one statement
# (holding its locks and its snapshot) runs for ever.  Here it catches three
# cancels and then says so; it must not get that far.
my ($out, $err) = run_as('alice', q{
DO $$
DECLARE caught int := 0;
BEGIN
    PERFORM ffrtmp.submit_job('testsrc://320x240@10?duration=1');
    LOOP
        BEGIN
            PERFORM pg_sleep(60);
        EXCEPTION WHEN query_canceled THEN
            caught := caught + 1;
            IF caught >= 3 THEN
                RAISE NOTICE 'escaped the statement cap % times', caught;
                RETURN;
            END IF;
        END;
    END LOOP;
END $$});
unlike($err, qr/escaped the statement cap/, 'a tenant cannot catch the statement cap and carry on');
like($err, qr/outran ffrtmp\.tenant_statement_timeout|terminating connection/,
	'its session is ended instead');

# The same, catching the cancellation once and then spinning without another
# query (no query start to notice it): the deadline at twice the cap ends it.
($out, $err) = run_as('alice', q{
DO $$
DECLARE t timestamptz := clock_timestamp();
BEGIN
    PERFORM ffrtmp.submit_job('testsrc://320x240@10?duration=1');
    BEGIN
        PERFORM pg_sleep(60);
    EXCEPTION WHEN query_canceled THEN NULL;
    END;
    WHILE clock_timestamp() < t + interval '20 seconds' LOOP END LOOP;
    RAISE NOTICE 'outlived the statement cap';
END $$});
unlike($err, qr/outlived the statement cap/, 'a tenant that catches the cancellation and spins is ended too');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE usename = 'alice'}), '0',
	'and holds nothing afterwards');

# 2. A caller's value quoted in an error shows control characters as \xNN
# (docs/security.md, "Bounds on what a tenant or a node stores"): an output_url with an escape sequence or a newline must
# not reach the client or the server log raw.
($out, $err) = run_as('alice',
	q{SELECT ffrtmp.submit_job('testsrc://320x240@10?duration=1', output_url => E'a\u001b[2Jb.mp4')});
like($err, qr/invalid output_url/, 'an output_url with a control character is refused');
unlike($err, qr/\x1b/, 'and the error does not echo the raw escape character');
($out, $err) = run_as('alice',
	q{SELECT ffrtmp.submit_job('testsrc://320x240@10?duration=1', output_url => E'a\nLOG:  forged line.mp4')});
unlike($err, qr/\nLOG:  forged/, 'nor a raw newline that forges a log line');

# 3. Node labels are stored and shown to operators: control characters in
# their keys or values are refused like in every other name a node gives.
for my $labels (q{'{"k": "a\u001b[31mred"}'}, q{'{"a\u0007b": "x"}'})
{
	($out, $err) = run_as('alice',
		"SELECT node_id FROM ffrtmp.register_node('n-' || md5($labels), 1, labels => $labels)");
	like($err, qr/labels/, "labels $labels with a control character are refused");
}

done_testing();
