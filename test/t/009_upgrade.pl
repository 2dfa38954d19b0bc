# Upgrades: release 0.1's install script is exactly what users installed, and a
# database that installed 0.1 and ran ALTER EXTENSION ffrtmp UPDATE is the same,
# object by object, as a fresh install of the current version, with its data
# kept.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# sha256 of sql/ffrtmp--0.1.sql as released (commit 4a37c24, the last change
# to sql/0.1/).  Never change it: fix forward in the next update script.
my $released_0_1 = '40b1a969a121612a788418f94f146a19fa15e3940c0a511e8f3a6d7e8836b72d';

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'");
$node->start;

my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my $script = slurp_file("$sharedir/extension/ffrtmp--0.1.sql");
is(sha256_hex($script), $released_0_1, 'the installed ffrtmp--0.1.sql is release 0.1 byte for byte');

# Everything the extension owns, one line per object and property, sorted:
# definitions, owners, privileges, comments, settings, policies, indexes,
# triggers, constraints and the seed rows of its lookup tables.
my $describe = <<'SQL';
WITH members AS (
    SELECT classid, objid FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ffrtmp')
), lines AS (
    SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' owner=' || c.relowner::regrole
           || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
           || ' acl=' || coalesce(c.relacl::text, '-') || ' options=' || coalesce(c.reloptions::text, '-')
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '-') AS line
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
           || ' acl=' || coalesce(a.attacl::text, '-')
           || ' comment=' || coalesce(col_description(c.oid, a.attnum), '-')
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    UNION ALL
    SELECT 'view ' || c.oid::regclass || ' ' || replace(pg_get_viewdef(c.oid), E'\n', ' ')
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
     WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
      FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid)
      FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' cmd=' || p.polcmd::text
           || ' roles=' || p.polroles::regrole[]::text
           || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_policy'), '-')
      FROM members m JOIN pg_policy p ON m.classid = 'pg_class'::regclass AND p.polrelid = m.objid
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ' owner=' || p.proowner::regrole
           || ' acl=' || coalesce(p.proacl::text, '-')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
           || ' ' || replace(pg_get_functiondef(p.oid), E'\n', ' ')
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
     WHERE p.prokind <> 'a'
    UNION ALL
    SELECT 'type ' || t.oid::regtype || ' owner=' || t.typowner::regrole
           || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '-')
      FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT 'enum ' || e.enumtypid::regtype || ' ' || e.enumlabel || ' ' || e.enumsortorder
      FROM members m JOIN pg_enum e ON m.classid = 'pg_type'::regclass AND e.enumtypid = m.objid
    UNION ALL
    SELECT 'cast ' || format_type(ca.castsource, NULL) || ' -> ' || format_type(ca.casttarget, NULL)
           || ' via ' || coalesce(ca.castfunc::regprocedure::text, '-') || ' ' || ca.castcontext::text
      FROM members m JOIN pg_cast ca ON m.classid = 'pg_cast'::regclass AND ca.oid = m.objid
    UNION ALL
    SELECT 'schema ' || n.nspname || ' owner=' || n.nspowner::regrole || ' acl=' || coalesce(n.nspacl::text, '-')
           || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
      FROM pg_namespace n WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data')
    UNION ALL
    SELECT 'config ' || c.oid::regclass || ' ' || coalesce(x.extcondition[i], '')
      FROM pg_extension x, generate_subscripts(x.extconfig, 1) i
      JOIN pg_class c ON true
     WHERE x.extname = 'ffrtmp' AND c.oid = x.extconfig[i]
    UNION ALL
    SELECT 'seed plans ' || row_to_json(p)::text FROM ffrtmp_data.plans p
    UNION ALL
    SELECT 'seed job_states ' || row_to_json(s)::text FROM ffrtmp_data.job_states s
    UNION ALL
    SELECT 'seed job_transitions ' || row_to_json(t)::text FROM ffrtmp_data.job_transitions t
    UNION ALL
    SELECT 'seed failure_reasons ' || row_to_json(f)::text FROM ffrtmp_data.failure_reasons f
    UNION ALL
    SELECT 'seed presets ' || name || ' ' || params::text FROM ffrtmp_data.presets WHERE tenant_id IS NULL
)
SELECT string_agg(line, E'\n' ORDER BY line) FROM lines;
SQL

$node->safe_psql('postgres', 'CREATE EXTENSION ffrtmp');
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}),
	'0.2', 'CREATE EXTENSION installs 0.2');
my $fresh = $node->safe_psql('postgres', $describe);
$node->safe_psql('postgres', 'DROP EXTENSION ffrtmp');

$node->safe_psql('postgres', q{CREATE EXTENSION ffrtmp VERSION '0.1'});
$node->safe_psql('postgres', q{
	CREATE ROLE upgrade_app LOGIN;
	SELECT ffrtmp.create_tenant('kept', plan => 'pro');
	SELECT ffrtmp.add_tenant_role('kept', 'upgrade_app');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'kept', idempotency_key => 'k' || g) FROM generate_series(1, 3) g;
	SELECT ffrtmp.cancel_job(id) FROM ffrtmp_data.jobs WHERE seq = 2;
});
$node->safe_psql('postgres', 'ALTER EXTENSION ffrtmp UPDATE');
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}),
	'0.2', 'ALTER EXTENSION ffrtmp UPDATE reaches 0.2');
my $upgraded = $node->safe_psql('postgres', $describe);

my @fresh = split /\n/, $fresh;
my %in_upgraded = map { $_ => 1 } split /\n/, $upgraded;
my %in_fresh = map { $_ => 1 } @fresh;
my @only_fresh = grep { !$in_upgraded{$_} } @fresh;
my @only_upgraded = grep { !$in_fresh{$_} } split /\n/, $upgraded;
ok(@fresh > 400, 'the description covers the whole extension (' . scalar(@fresh) . ' lines)');
is(join("\n", @only_fresh), '', 'nothing of a fresh install is missing or different after the upgrade');
is(join("\n", @only_upgraded), '', 'the upgrade leaves nothing a fresh install lacks');

is($node->safe_psql('postgres', q{SELECT string_agg(seq || ':' || state, ',' ORDER BY seq) FROM ffrtmp_data.jobs}),
	'1:queued,2:canceled,3:queued', 'jobs survive the upgrade');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0',
	'and the usage counters still match a recount');
is($node->safe_psql('postgres', q{SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'kept', idempotency_key => 'k3')}),
	'3', 'idempotency keys of 0.1 still answer');

# Release 0.1 did not refuse other databases, and a copy of a database
# (CREATE DATABASE ... TEMPLATE) carries the extension along: there no
# scheduler ever dispatches, so the library refuses new work and ready() says why.
$node->safe_psql('postgres', 'CREATE DATABASE elsewhere');
$node->safe_psql('elsewhere', q{CREATE EXTENSION ffrtmp VERSION '0.1'});
my ($rc, $out, $err) = $node->psql('elsewhere', q{SELECT ffrtmp.submit_job('testsrc://')});
like($err, qr/cannot submit jobs in database "elsewhere": the ffrtmp scheduler runs in database "postgres"/,
	'a 0.1 install outside ffrtmp.database accepts no job');
($rc, $out, $err) = $node->psql('elsewhere', q{SELECT ffrtmp.register_node('stray', cpu_cores => 2)});
like($err, qr/cannot register nodes in database "elsewhere"/, 'and no node');
($rc, $out, $err) = $node->psql('elsewhere', 'ALTER EXTENSION ffrtmp UPDATE');
like($err, qr/can only be installed in database "postgres"/, 'and it cannot be updated there');

$node->stop;
done_testing();
