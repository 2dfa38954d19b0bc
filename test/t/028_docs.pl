# The docs cannot go stale: every relative link of README.md and docs/*.md
# leads to a file and a heading that exist (scripts/check-docs), and the SQL
# reference, docs/sql-reference.md, is what scripts/sql-reference writes from
# a fresh install, byte for byte, with a COMMENT on every function, view,
# table, type and column of the extension.  scripts/test.sh copies the docs
# next to the tests, with the list of the checkout's files.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

for my $need ('docs/sql-reference.md', 'scripts/sql-reference', 'scripts/check-docs', 'source-files') {
	plan skip_all => "$need is not next to the tests (scripts/test.sh copies it)" unless -e $need;
}

# Links and titles.
my ($out, $err) = ('', '');
my $links_ok = IPC::Run::run([ 'perl', 'scripts/check-docs', '--root', '.', '--files', 'source-files' ],
	'>', \$out, '2>', \$err);
ok($links_ok, 'every link and anchor of README.md and docs/*.md resolves, every page has its title')
  or diag("$out$err");

# The checker finds what it is for (so that a pass above means something).
my $dir = PostgreSQL::Test::Utils::tempdir('docs');
PostgreSQL::Test::Utils::append_to_file("$dir/page.md",
	"# Page\n\n## A heading\n\n[ok](#a-heading) [bad](#no-heading) [gone](missing.md) `[code](x.md)`\n");
($out, $err) = ('', '');
IPC::Run::run([ 'perl', 'scripts/check-docs', '--root', $dir, "$dir/page.md" ], '>', \$out, '2>', \$err);
like($out, qr/page\.md:5: link to #no-heading: no heading with anchor #no-heading/, 'a missing anchor is reported');
like($out, qr/page\.md:5: link to missing\.md: no such file/, 'a missing file is reported');
unlike($out, qr/#a-heading|x\.md/, 'a good anchor and a link inside code are not');

# The SQL reference, from a fresh install.
my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
my @db = ('--', '-h', $node->host, '-p', $node->port, '-d', 'postgres');

($out, $err) = ('', '');
IPC::Run::run([ 'bash', 'scripts/sql-reference', '--check', @db ], '>', \$out, '2>', \$err);
is($out, '', 'every function, view, table, type and column of the extension has a COMMENT')
  or diag("add a COMMENT ON for each of these in sql/:\n$out$err");

my $generated = "$dir/sql-reference.md";
my $made = IPC::Run::run([ 'bash', 'scripts/sql-reference', '-o', $generated, @db ], '>', \$out, '2>', \$err);
ok($made, 'scripts/sql-reference writes the reference') or diag($err);
my $same = $made && slurp_file($generated) eq slurp_file('docs/sql-reference.md');
ok($same, 'docs/sql-reference.md is what a fresh install generates')
  or diag(join '',
	"docs/sql-reference.md is stale; regenerate it, as root, with\n",
	"    bash scripts/sql-reference --fresh -o docs/sql-reference.md\n",
	"and commit it. The difference (- checked in, + generated):\n",
	scalar `diff -u docs/sql-reference.md '$generated' | head -n 200`);

# The front page's taste of the SQL API runs as it says, in one psql session
# on a database that already has jobs (so that no job id is guessed right by
# chance): the statements before "-- as acme_app" as an administrator, the
# rest as that role (psql variables such as :id carry over), and only the
# one marked "-- ERROR" fails.
my ($taste) = slurp_file('README.md') =~ /^## A taste of the SQL API\n\n```sql\n(.*?)^```/ms;
ok($taste, 'README.md has its taste of the SQL API');
$node->safe_psql('postgres', 'CREATE ROLE acme_app LOGIN');
$node->safe_psql('postgres', q{
	SELECT ffrtmp.create_tenant('taste-other', plan => 'pro');
	SELECT ffrtmp.submit_job('file:///media/in/other.mp4', tenant => 'taste-other') FROM generate_series(1, 3);
});
my $script = ($taste // '') =~ s/^-- as acme_app\b.*$/SET ROLE acme_app;/mr;
my ($rc, $o, $e) = $node->psql('postgres', $script, on_error_stop => 0);
my @errors = $e =~ /^.*ERROR:.*$/mg;
my $expected_errors = () = ($taste // '') =~ /-- ERROR/g;
is(scalar @errors, $expected_errors, "the taste runs, and fails only where it says") or diag $e;
like($e, qr/ERROR:.*network policy/, "the taste's refusal is one of the network policy");
like($o, qr/^\w+\|/m, 'get_job finds the job just submitted') or diag $o;

# The generator refuses an object without a COMMENT, naming it.
$node->safe_psql('postgres', q{COMMENT ON FUNCTION ffrtmp.get_job(bigint) IS NULL;
	COMMENT ON COLUMN ffrtmp.jobs.state IS NULL});
($out, $err) = ('', '');
my $refused = !IPC::Run::run([ 'bash', 'scripts/sql-reference', '-o', "$dir/refused.md", @db ], '>', \$out, '2>', \$err);
ok($refused && !-e "$dir/refused.md", 'an object without a COMMENT stops the generator, which writes nothing');
like($err, qr/function ffrtmp\.get_job\(id bigint\)/, 'naming the function');
like($err, qr/column ffrtmp\.jobs\.state/, 'and the column');

$node->stop;
done_testing();
