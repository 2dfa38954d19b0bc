# docs/onboarding.md runs as written: its ```sql blocks, in order, in one
# psql session on a fresh cluster (psql variables set with \gset carry over
# from block to block, as for a reader following the page).
#
# The page's conventions, which this test is the definition of:
# - a block whose first line is "-- as ROLE" runs as that database role
#   (SET ROLE ROLE before it, RESET ROLE after it); any other block runs as
#   the superuser, the platform administrator;
# - a line "-- ERROR: ... (SQLSTATE xxxxx)" says the statement above it fails
#   with that SQLSTATE: each block must fail exactly with the SQLSTATEs its
#   lines name, in that order, and a block with no such line must not fail.
# The cluster runs no scheduler, so before the block that verifies the audit
# chain the test seals the log itself (ffrtmp_data.seal_audit(), what the
# scheduler's pass calls), so that the chain verified is the page's rows.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use FfrtmpNeed;
use Test::More;

skip_all_because 'docs/ is not next to the tests (scripts/test.sh copies it)' unless -d 'docs';
ok(-e 'docs/onboarding.md', 'docs/onboarding.md exists') or BAIL_OUT('no onboarding page');

my @blocks = slurp_file('docs/onboarding.md') =~ /^```sql\n(.*?)^```$/msg;
cmp_ok(scalar @blocks, '>=', 15, 'docs/onboarding.md has its sql blocks');

my $node = PostgreSQL::Test::Cluster->new('onboarding');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');

# One script: each block between two markers written to both streams, so
# that each block's output and errors can be told apart.
my $script = "\\set VERBOSITY verbose\n";
for my $i (0 .. $#blocks) {
	my ($role) = $blocks[$i] =~ /\A-- as (\w+)\s*$/m;
	$script .= "\\echo \@\@block $i\n\\warn \@\@block $i\n";
	$script .= "SELECT ffrtmp_data.seal_audit() AS sealed \\gset\n" if $blocks[$i] =~ /verify_audit_chain/;
	$script .= "SET ROLE $role;\n" if $role;
	$script .= $blocks[$i];
	$script .= "RESET ROLE;\n" if $role;
}
$script .= "\\echo \@\@block end\n\\warn \@\@block end\n";
my ($rc, $out, $err) = $node->psql('postgres', $script, on_error_stop => 0);

# section(TEXT, I): what block I wrote to one stream.
sub section {
	my ($text, $i) = @_;
	my ($s) = $text =~ /^\@\@block $i\n(.*?)^\@\@block /ms;
	return $s // '';
}

for my $i (0 .. $#blocks) {
	my ($first) = $blocks[$i] =~ /\A(?:-- as \w+\n)?(.*)$/m;
	my $name = "block " . ($i + 1) . " ($first)";
	my @expected = $blocks[$i] =~ /^-- ERROR:.*\(SQLSTATE (\w{5})\)\s*$/mg;
	my $errors = section($err, $i);
	my @got = $errors =~ /^(?:psql:[^\n]*?: )?ERROR:\s+(\w{5}):/mg;
	is("@got", "@expected", @expected ? "$name fails with SQLSTATE @expected" : "$name runs")
	  or diag $errors;
	unlike($errors, qr/\\gset|^psql:.*error/mi, "$name sets its psql variables") if $blocks[$i] =~ /\\gset/;
}

# What the page says the blocks show.
my $all = join "\n", map { section($out, $_) } 0 .. $#blocks;
my ($role_block) = grep { $blocks[$_] =~ /\A-- as bob\n.*caller_role/s } 0 .. $#blocks;
is((split /\n/, section($out, $role_block))[0], 'operator', 'bob acts as an operator with his psql login');
like($all, qr/^t\|f$/m, "bob's key may submit and may not invite");
my ($audit) = grep { $blocks[$_] =~ /FROM ffrtmp\.audit_log/ } 0 .. $#blocks;
# Refusals reach the log through a queue the scheduler flushes (none runs
# here): only the rows of what succeeded are compared.
my @rows = grep { (split /\|/)[2] eq 'ok' } split /\n/, section($out, $audit);
is_deeply([ map { (split /\|/)[0] } @rows ],
	[ qw(invitation.create invitation.accept api_key.create api_key.create job.submit api_key.create job.submit api_key.rotate api_key.revoke) ],
	'the audit log shows what the page did, in order') or diag section($out, $audit);
like($rows[4], qr/^job\.submit\|job:\d+\|ok\|t\|[0-9a-f]{16}$/, "bob's job: by bob, with his key");
like($rows[6], qr/^job\.submit\|job:\d+\|ok\|\|[0-9a-f]{16}$/, "the service's job: by no user, with the service key");
is(section($out, $#blocks), '', 'the audit chain of acme verifies');
is($node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE s.audit_id IS NULL) || ' ' || (count(*) > 8)
	  FROM ffrtmp_data.audit_log a LEFT JOIN ffrtmp_data.audit_seals s ON s.audit_id = a.id WHERE a.tenant_id = (SELECT id FROM ffrtmp.get_tenant('acme'))}),
	'0 true', "every one of acme's rows is in the chain verified");

$node->stop;
done_testing();
