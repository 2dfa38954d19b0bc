# The backup and restore of docs/operations.md, step by step, into a FRESH
# cluster: the roles first (pg_dumpall --roles-only), the library preloaded
# with the scheduler off, pg_restore of a pg_dump -Fc, then the checks and the
# one repair the guide names (mapping the roles again: their OIDs are new),
# then the scheduler on.  Every tenant row (the default tenant's changes
# too), usage counter, job, node, webhook, user, API key and audit row comes
# back; a key authenticates again; the audit chains verify; repair_usage has
# nothing to fix.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# The ```sql blocks of a section of docs/operations.md (the heading's text),
# up to the next heading of its level or above, and with inline => 1 its
# `SELECT ...;` spans too: the test runs the guide's own statements, so that
# they cannot go stale.
sub guide_sql
{
	my ($heading, %opt) = @_;
	open my $fh, '<', 'docs/operations.md' or die "docs/operations.md: $!";
	my $text = do { local $/; <$fh> };
	my ($level, $body) = $text =~ /^(#+) \Q$heading\E\n(.*?)(?=^#{1,2} |\z)/ms
	  or die "no section \"$heading\" in docs/operations.md";
	$body =~ s/^#{@{[ length($level) + 1 ]},} .*$//mg;
	my @blocks = $body =~ /^```sql\n(.*?)^```$/msg;
	push @blocks, $body =~ /`(SELECT [^`]*;)`/g if $opt{inline};
	die "no sql block in \"$heading\"" unless @blocks;
	return @blocks;
}

my $conf = "shared_preload_libraries = 'ffrtmp'\nffrtmp.database = 'video'\nffrtmp.scheduler_interval = '100ms'\n";
my $old = PostgreSQL::Test::Cluster->new('old');
$old->init;
$old->append_conf('postgresql.conf', $conf);
$old->start;
$old->safe_psql('postgres', q{
	CREATE DATABASE video;
	CREATE ROLE acme_app LOGIN;
	CREATE ROLE acme_boss LOGIN;
});
$old->safe_psql('video', q{
	CREATE EXTENSION ffrtmp;
	SELECT ffrtmp.create_tenant('acme', plan => 'pro', metadata => '{"k": 1}');
	SELECT ffrtmp.update_tenant('acme', quotas => '{"max_jobs": 7}');
	SELECT ffrtmp.create_tenant('globex', plan => 'free');
	SELECT ffrtmp.update_tenant('globex', status => 'suspended');
	SELECT ffrtmp.add_tenant_role('acme', 'acme_app');
	SELECT ffrtmp.submit_job('testsrc://', tenant => 'acme', idempotency_key => 'k' || g) FROM generate_series(1, 4) g;
	SELECT ffrtmp.cancel_job(id) FROM ffrtmp.jobs WHERE seq = 2;
	SELECT ffrtmp.submit_job('testsrc://') FROM generate_series(1, 2);
	-- The default tenant's row and usage row exist before any restore (CREATE
	-- EXTENSION makes them); what was changed in them must come back.
	SELECT ffrtmp.update_tenant('default', plan => 'pro', metadata => '{"d": 2}', quotas => '{"max_gpus": 3}');
	SELECT ffrtmp.register_node('acme-1', cpu_cores => 8, tenant => 'acme');
	-- Draining: no job of this test is assigned, before the dump or after.
	SELECT ffrtmp.drain_node(id) FROM ffrtmp.nodes WHERE name = 'acme-1';
	SELECT ffrtmp.create_webhook('https://hooks.example.com/acme', '0123456789abcdef0123', ARRAY['completed'], tenant => 'acme');
	SELECT ffrtmp.map_user_role((SELECT id FROM ffrtmp.create_user('boss@acme.example', 'tenant_admin', tenant => 'acme')), 'acme_boss');
});
my $api_key = $old->safe_psql('video', q{
	SELECT api_key FROM ffrtmp.create_api_key('ci', "user" => (SELECT id FROM ffrtmp.users WHERE email = 'boss@acme.example'))});
ok($old->poll_query_until('video', q{SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
	'the old cluster\'s scheduler seals the audit rows before the dump');

# What must come back, read in the old cluster.
my %read = (
	tenants  => q{SELECT string_agg(concat_ws(':', name, plan, status, metadata, quota_overrides), ',' ORDER BY name) FROM ffrtmp.tenants},
	jobs     => q{SELECT string_agg(concat_ws(':', t.name, j.seq, j.state, j.idempotency_key), ',' ORDER BY t.name, j.seq) FROM ffrtmp.jobs j JOIN ffrtmp.tenants t ON t.id = j.tenant_id},
	events   => q{SELECT count(*) FROM ffrtmp.job_events},
	nodes    => q{SELECT string_agg(concat_ws(':', name, state, cpu_cores), ',') FROM ffrtmp.nodes},
	webhooks => q{SELECT string_agg(concat_ws(':', url, events::text, secret_fingerprint), ',') FROM ffrtmp.webhooks},
	users    => q{SELECT string_agg(concat_ws(':', email, role, status, db_role), ',') FROM ffrtmp.users},
	keys     => q{SELECT string_agg(name, ',') FROM ffrtmp.list_api_keys('acme')},
	audit    => q{SELECT count(*) || ' ' || max(id) FROM ffrtmp_data.audit_log},
	stats    => q{SELECT string_agg(concat_ws(':', t.name, s.active_jobs, s.queued_jobs), ',' ORDER BY t.name) FROM ffrtmp.tenants t, ffrtmp.tenant_stats(t.name) s},
	usage    => q{SELECT string_agg(concat_ws(':', tenant_id, active_jobs, queued_jobs, jobs_submitted, hour_counts::text, hour_minutes::text, vtime), ',' ORDER BY tenant_id) FROM ffrtmp_data.usage},
);
$read{role_oid} = q{SELECT oid FROM pg_roles WHERE rolname = 'acme_app'};
my %before = map { $_ => $old->safe_psql('video', $read{$_}) } keys %read;

# The backup: roles (cluster-wide) and the database.
my $dir = PostgreSQL::Test::Utils::tempdir('backup');
command_ok([ 'pg_dumpall', '--roles-only', '-f', "$dir/roles.sql", '-d', $old->connstr('postgres') ],
	'pg_dumpall --roles-only succeeds');
command_ok([ 'pg_dump', '-Fc', '-f', "$dir/video.dump", '-d', $old->connstr('video') ], 'pg_dump -Fc succeeds');
$old->stop;

# The restore, into a new cluster: preloaded, its scheduler off meanwhile.
my $new = PostgreSQL::Test::Cluster->new('new');
$new->init;
$new->append_conf('postgresql.conf', $conf . "ffrtmp.schedulers = 0\n");
$new->start;
# Other roles first: the restored roles get OIDs other than the old ones, as
# in any cluster that has lived a while.
$new->safe_psql('postgres', 'CREATE ROLE someone_' . $_) for 1 .. 10;
my ($rc, $out, $err) = $new->psql('postgres', undef, on_error_stop => 0, extra_params => [ '-f', "$dir/roles.sql" ]);
my @errors = grep { !/role "\Q$ENV{USER}\E" already exists/ } $err =~ /ERROR:\s+(.*)/g;
is("@errors", '', 'the roles restore, with no error but the bootstrap superuser\'s existing');
$new->safe_psql('postgres', 'CREATE DATABASE video');
command_ok([ 'pg_restore', '--single-transaction', '-d', $new->connstr('video'), "$dir/video.dump" ],
	'pg_restore succeeds without errors');

is($new->safe_psql('video', $read{$_}), $before{$_}, "$_ come back") for sort grep { $_ ne 'role_oid' } keys %read;
isnt($new->safe_psql('video', $read{role_oid}), $before{role_oid}, 'a role has a new OID');
is($new->safe_psql('video', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0', 'the audit chains verify');
is($new->safe_psql('video', q{SELECT count(*) FROM ffrtmp.presets}), '6', 'built-in presets exist once');

# The counters come back exact, the default tenant's too: repair_usage is
# not needed after a restore (and changes nothing).
is($new->safe_psql('video', 'SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'every usage counter matches a recount');
is($new->safe_psql('video', 'SELECT ffrtmp.repair_usage()'), '0', 'repair_usage finds nothing to fix');
is($new->safe_psql('video', q{SELECT seq FROM ffrtmp.submit_job('testsrc://')}), '3',
	'the default tenant\'s numbering continues');

# The role mappings: same names, new OIDs, so they map nothing until made again.
my $problems = $new->safe_psql('video', q{SELECT ffrtmp.ready() -> 'problems'});
like($problems, qr/role mapping \\?"acme_app\\?" names a role that was dropped and created again/,
	'ready() names the role mapping to make again');
like($problems, qr/user boss\@acme\.example is mapped to role \\?"acme_boss\\?", which was dropped and created again/,
	'and the user\'s mapping');
($rc, $out, $err) = $new->psql('video', q{SET ROLE acme_app; SELECT seq FROM ffrtmp.submit_job('testsrc://')});
like($err, qr/role "acme_app" acts for no tenant/, 'until then the role does not act for its tenant');
is($new->safe_psql('video', qq{BEGIN; SELECT name FROM ffrtmp_data.tenants WHERE id = (SELECT ffrtmp.authenticate('$api_key'));
	SELECT seq FROM ffrtmp.submit_job('testsrc://'); COMMIT;}),
	"acme\n5", 'an API key authenticates again, and acts for its tenant, with no mapping made again');
# The guide's statements: the checks, then mapping every role again.
my @restore_sql = guide_sql('Restoring into a new cluster');
is(scalar(@restore_sql), 2, 'the guide has its two blocks of checks and mappings');
$new->safe_psql('video', $_) for @restore_sql;
unlike($new->safe_psql('video', q{SELECT ffrtmp.ready() -> 'problems'}), qr/role mapping|is mapped to role/,
	'mapped again, ready() reports no problem with them');
is($new->safe_psql('video', q{SET ROLE acme_app; SELECT seq FROM ffrtmp.submit_job('testsrc://')}), '6',
	'the role acts for its tenant, and numbering continues');
is($new->safe_psql('video', q{SET ROLE acme_boss; SELECT count(*) > 0 FROM ffrtmp.audit_log}), 't',
	'the mapped user reads its tenant\'s audit log');
is($new->safe_psql('video', q{SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'acme', idempotency_key => 'k3')}),
	'3', 'idempotency keys survive the restore');

# The scheduler on: it leads, seals the new audit rows on the restored chains.
$new->append_conf('postgresql.conf', "ffrtmp.schedulers = 1\n");
$new->restart;
ok($new->poll_query_until('video', q{SELECT ffrtmp.health() ->> 'leader_pid' IS NOT NULL}),
	'the scheduler leads once turned on');
ok($new->poll_query_until('video', q{SELECT NOT EXISTS (SELECT FROM ffrtmp_data.audit_log a WHERE NOT EXISTS (SELECT FROM ffrtmp_data.audit_seals s WHERE s.audit_id = a.id))}),
	'and seals the rows written since the restore');
is($new->safe_psql('video', q{SELECT count(*) FROM ffrtmp.verify_audit_chain()}), '0', 'on the restored chains, intact');

# The guide's troubleshooting statements run as written, an administrator's
# and the isolation questions' as the tenant's role too.
my @trouble = guide_sql('Troubleshooting', inline => 1);
ok(@trouble >= 8, 'the troubleshooting section has its statements');
for my $block (@trouble)
{
	my ($line) = $block =~ /^(SELECT[^\n]*)/m;
	($rc, $out, $err) = $new->psql('video', $block, on_error_stop => 1);
	is($rc . $err, '0', "the guide's troubleshooting statements run: $line");
}
($rc, $out, $err) = $new->psql('video', "SET ROLE acme_app;\n" . (grep { /current_tenant/ } @trouble)[0]);
like($out, qr/^acme_app\|[-0-9a-f]{36}\|tenant_admin\nacme$/, 'and tell a mapped role which tenant it acts for, as what');

$new->stop;
done_testing();
