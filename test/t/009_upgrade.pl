# Upgrades: release 0.1's install script is exactly what users installed; a
# database that ran 0.1, was filled with tenants, nodes and jobs in every state
# and then ran ALTER EXTENSION ffrtmp UPDATE keeps every row and counter, goes
# on working with the tokens and jobs it had, and is the same, object by
# object, as a fresh install of the current version.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# sha256 of sql/ffrtmp--0.1.sql as released (commit 4a37c24, the last change
# to sql/0.1/).  Never change it: fix forward in the next update script.
my $released_0_1 = '40b1a969a121612a788418f94f146a19fa15e3940c0a511e8f3a6d7e8836b72d';

# No scheduler while the 0.1 database is filled and updated: every job stays
# in the state this test drives it to, so that the rows can be compared
# before and after the update.  The scheduler is started once that is done;
# nodes are never timed out by it (the test runs recovery itself).
my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ffrtmp'\nffrtmp.schedulers = 0\nffrtmp.node_timeout = '1h'");
$node->start;

sub sql { return $node->safe_psql('postgres', $_[0]); }

my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my $script = slurp_file("$sharedir/extension/ffrtmp--0.1.sql");
is(sha256_hex($script), $released_0_1, 'the installed ffrtmp--0.1.sql is release 0.1 byte for byte');

# Everything the extension owns, one line per object and property, sorted:
# every extension member by kind and name, definitions, owners, privileges,
# comments, settings, policies, indexes, triggers, constraints, sequences,
# schemas and their default privileges, event triggers, the roles and their
# memberships, pg_dump's configuration tables and the seed rows of the lookup
# tables.
my $describe = <<'SQL';
WITH members AS (
    SELECT classid, objid FROM pg_depend
     WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
       AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ffrtmp')
), lines AS (
    SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) AS line FROM members m
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' owner=' || c.relowner::regrole
           || ' rls=' || c.relrowsecurity || '/' || c.relforcerowsecurity
           || ' persistence=' || c.relpersistence::text || ' replident=' || c.relreplident::text
           || ' acl=' || coalesce(c.relacl::text, '-') || ' options=' || coalesce(c.reloptions::text, '-')
           || ' comment=' || coalesce(obj_description(c.oid, 'pg_class'), '-') AS line
      FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
    UNION ALL
    SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')
           || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
           || ' collation=' || coalesce(nullif(a.attcollation, 0)::regcollation::text, '-')
           || ' position=' || a.attnum
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
           || ' comment=' || coalesce(obj_description(i.indexrelid, 'pg_class'), '-')
      FROM members m JOIN pg_index i ON m.classid = 'pg_class'::regclass AND i.indrelid = m.objid
    UNION ALL
    SELECT 'constraint ' || co.conrelid::regclass || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
           || ' comment=' || coalesce(obj_description(co.oid, 'pg_constraint'), '-')
      FROM members m JOIN pg_constraint co ON m.classid = 'pg_class'::regclass AND co.conrelid = m.objid
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
           || ' comment=' || coalesce(obj_description(t.oid, 'pg_trigger'), '-')
      FROM members m JOIN pg_trigger t ON m.classid = 'pg_class'::regclass AND t.tgrelid = m.objid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' cmd=' || p.polcmd::text
           || ' permissive=' || p.polpermissive
           || ' roles=' || p.polroles::regrole[]::text
           || ' using=' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
           || ' check=' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_policy'), '-')
      FROM members m JOIN pg_policy p ON m.classid = 'pg_class'::regclass AND p.polrelid = m.objid
    UNION ALL
    SELECT 'sequence ' || s.seqrelid::regclass || ' type=' || s.seqtypid::regtype || ' start=' || s.seqstart
           || ' increment=' || s.seqincrement || ' min=' || s.seqmin || ' max=' || s.seqmax
           || ' cache=' || s.seqcache || ' cycle=' || s.seqcycle
           || ' owned_by=' || coalesce((SELECT d.refobjid::regclass || '.' || a.attname || ' ' || d.deptype::text
                                          FROM pg_depend d
                                          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                         WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                                           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '-')
      FROM members m JOIN pg_sequence s ON m.classid = 'pg_class'::regclass AND s.seqrelid = m.objid
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ' owner=' || p.proowner::regrole
           || ' acl=' || coalesce(p.proacl::text, '-')
           || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '-')
           || ' ' || replace(pg_get_functiondef(p.oid), E'\n', ' ')
      FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
     WHERE p.prokind <> 'a'
    UNION ALL
    SELECT 'type ' || t.oid::regtype || ' owner=' || t.typowner::regrole
           || ' acl=' || coalesce(t.typacl::text, '-')
           || ' comment=' || coalesce(obj_description(t.oid, 'pg_type'), '-')
      FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
    UNION ALL
    SELECT 'enum ' || e.enumtypid::regtype || ' ' || e.enumlabel || ' ' || e.enumsortorder
      FROM members m JOIN pg_enum e ON m.classid = 'pg_type'::regclass AND e.enumtypid = m.objid
    UNION ALL
    SELECT 'cast ' || format_type(ca.castsource, NULL) || ' -> ' || format_type(ca.casttarget, NULL)
           || ' via ' || coalesce(ca.castfunc::regprocedure::text, '-') || ' ' || ca.castcontext::text
           || ' method=' || ca.castmethod::text
           || ' comment=' || coalesce(obj_description(ca.oid, 'pg_cast'), '-')
      FROM members m JOIN pg_cast ca ON m.classid = 'pg_cast'::regclass AND ca.oid = m.objid
    UNION ALL
    SELECT 'event trigger ' || e.evtname || ' on ' || e.evtevent || ' ' || e.evtfoid::regprocedure
           || ' owner=' || e.evtowner::regrole || ' enabled=' || e.evtenabled::text
           || ' tags=' || coalesce(e.evttags::text, '-')
      FROM pg_event_trigger e
    UNION ALL
    SELECT 'schema ' || n.nspname || ' owner=' || n.nspowner::regrole || ' acl=' || coalesce(n.nspacl::text, '-')
           || ' comment=' || coalesce(obj_description(n.oid, 'pg_namespace'), '-')
      FROM pg_namespace n WHERE n.nspname IN ('ffrtmp', 'ffrtmp_data')
    UNION ALL
    SELECT 'default privileges for ' || d.defaclrole::regrole
           || ' in ' || coalesce(d.defaclnamespace::regnamespace::text, '-')
           || ' on ' || d.defaclobjtype::text || ' ' || d.defaclacl::text
      FROM pg_default_acl d
    UNION ALL
    SELECT 'role ' || r.rolname || ' login=' || r.rolcanlogin || ' inherit=' || r.rolinherit
           || ' bypassrls=' || r.rolbypassrls || ' superuser=' || r.rolsuper
           || ' createrole=' || r.rolcreaterole || ' createdb=' || r.rolcreatedb
      FROM pg_roles r WHERE r.rolname LIKE 'ffrtmp\_%'
    UNION ALL
    SELECT 'role membership ' || m.roleid::regrole || ' to ' || m.member::regrole
           || ' admin=' || m.admin_option
      FROM pg_auth_members m
     WHERE m.member::regrole::text LIKE 'ffrtmp\_%'
    UNION ALL
    SELECT 'config ' || c.oid::regclass || ' ' || coalesce(x.extcondition[i], '')
      FROM pg_extension x, generate_subscripts(x.extconfig, 1) i
      JOIN pg_class c ON true
     WHERE x.extname = 'ffrtmp' AND c.oid = x.extconfig[i]
    UNION ALL
    SELECT 'extension ' || x.extname || ' owner=' || x.extowner::regrole || ' schema=' || x.extnamespace::regnamespace
           || ' relocatable=' || x.extrelocatable || ' version=' || x.extversion
      FROM pg_extension x WHERE x.extname = 'ffrtmp'
    UNION ALL
    SELECT 'seed plans ' || row_to_json(p)::text FROM ffrtmp_data.plans p
    UNION ALL
    SELECT 'seed job_states ' || row_to_json(s)::text FROM ffrtmp_data.job_states s
    UNION ALL
    SELECT 'seed job_transitions ' || row_to_json(t)::text FROM ffrtmp_data.job_transitions t
    UNION ALL
    SELECT 'seed failure_reasons ' || row_to_json(f)::text FROM ffrtmp_data.failure_reasons f
    UNION ALL
    SELECT 'seed presets ' || name || ' ' || params::text || ' ' || description FROM ffrtmp_data.presets WHERE tenant_id IS NULL
)
SELECT string_agg(line, E'\n' ORDER BY line) FROM lines;
SQL

# The columns of a table of ffrtmp_data, as a select list.
sub columns_of {
	my ($relation) = @_;
	return sql("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
	             WHERE attrelid = 'ffrtmp_data.$relation'::regclass AND attnum > 0 AND NOT attisdropped");
}

# Seed rows 0.2 adds (the catalog comparison below checks them against a
# fresh install): left out, so that what 0.1 had is compared with itself.
my %added_in_0_2 = (
	job_states      => q{state IN ('held', 'paused')},
	job_transitions => q{'held' IN (from_state, to_state) OR 'paused' IN (from_state, to_state)});

# The rows of a table of ffrtmp_data (or a sequence's position), one line
# each; of the given columns only (those of 0.1: a column the update adds is
# compared with a fresh install's through the seed rows and the catalog).
sub rows_of {
	my ($relation, $columns) = @_;
	return sql("SELECT last_value || ':' || is_called FROM ffrtmp_data.$relation")
		if sql("SELECT relkind FROM pg_class WHERE oid = 'ffrtmp_data.$relation'::regclass") eq 'S';
	my $where = $added_in_0_2{$relation} ? "WHERE NOT ($added_in_0_2{$relation})" : '';
	return sql("SELECT string_agg(r, E'\\n' ORDER BY r) FROM (SELECT row_to_json(t)::text AS r FROM (SELECT $columns FROM ffrtmp_data.$relation $where) t) x");
}

sql('CREATE EXTENSION ffrtmp');
is(sql(q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}), '0.2', 'CREATE EXTENSION installs 0.2');
my $fresh = sql($describe);
sql('DROP EXTENSION ffrtmp');

# --- Release 0.1, filled through its own API ---------------------------------

sql(q{CREATE EXTENSION ffrtmp VERSION '0.1'});
sql(q{
	CREATE ROLE up_acme LOGIN;
	CREATE ROLE up_beta LOGIN;
	SELECT ffrtmp.create_tenant('acme', plan => 'pro', display_name => 'Acme');
	SELECT ffrtmp.create_tenant('beta', plan => 'basic');
	SELECT ffrtmp.create_tenant('gamma', plan => 'enterprise', metadata => '{"region": "eu"}');
	SELECT ffrtmp.create_tenant('idle', plan => 'free');
	SELECT ffrtmp.create_tenant('gone', plan => 'basic');
	SELECT ffrtmp.add_tenant_role('acme', 'up_acme');
	SELECT ffrtmp.add_tenant_role('beta', 'up_beta');
});

my %token;    # node id => its current session token
sub register {
	my ($args) = @_;
	my ($id, $token) = split /\|/, sql("SELECT node_id, session_token FROM ffrtmp.register_node($args)");
	$token{$id} = $token;
	return ($id, $token);
}
sub submit {
	my ($tenant, $max_attempts) = @_;
	return sql("SELECT id FROM ffrtmp.submit_job('testsrc://', tenant => '$tenant', max_attempts => $max_attempts)");
}
sub job { return sql("SELECT $_[1] FROM ffrtmp_data.jobs WHERE id = $_[0]"); }
sub held { my ($id) = @_; return join(', ', $id, job($id, 'attempt'), job($id, 'node_id'), "'" . $token{job($id, 'node_id')} . "'"); }
sub start { return sql("SELECT state FROM ffrtmp.start_job(" . held($_[0]) . ")"); }
sub finish {
	my ($id, $outcome) = @_;
	return sql("SELECT state FROM ffrtmp.finish_job(" . held($id) . ", '$outcome', error => 'made to $outcome', result => '{\"frames\": 50}')");
}
# A job of tenant acme run to the end of one attempt on its node.
sub acme_attempt {
	my ($max_attempts, $outcome) = @_;
	my $id = submit('acme', $max_attempts);
	sql('SELECT ffrtmp.dispatch()');
	start($id);
	finish($id, $outcome);
	return $id;
}

my ($acme_node, $acme_token) = register(q{'acme-1', cpu_cores => 8, slots => 8, tenant => 'acme'});
my $completed = acme_attempt(3, 'completed');
my $failed    = acme_attempt(1, 'failed');
my $timed_out = acme_attempt(1, 'timed_out');
my $retrying  = acme_attempt(3, 'failed');
my $retried   = acme_attempt(1, 'failed');
my $canceled  = submit('acme', 3);
sql("SELECT ffrtmp.cancel_job($canceled)");
my $assigned = submit('acme', 3);
sql('SELECT ffrtmp.dispatch()');
my $running = submit('acme', 3);
sql('SELECT ffrtmp.dispatch()');
start($running);
sql("SELECT ffrtmp.report_progress(" . held($running) . ", '{\"frames\": 25, \"percent\": 50}')");
# No call of 0.1 rejects a job; the state table allows it, so it is made as
# an administrator would, through the transitions trigger.
my $rejected = submit('acme', 3);
sql("UPDATE ffrtmp_data.jobs SET state = 'rejected', state_reason = 'no node offers it', failure_reason = 'capability_mismatch' WHERE id = $rejected");

# A session-bound node whose session has ended (the psql call that registered
# it), running a job: the next recovery pass takes it offline.
my ($stale_node) = register(q{'beta-s', cpu_cores => 2, tenant => 'beta', session_bound => true});
my $on_stale = submit('beta', 3);
sql('SELECT ffrtmp.dispatch()');
start($on_stale);
sql("SELECT ffrtmp.report_progress(" . held($on_stale) . ", '{\"frames\": 5}')");

# A draining node that still runs its job.
my ($gamma_node, $gamma_token) = register(q{'gamma-1', cpu_cores => 4, tenant => 'gamma'});
my $draining_job = submit('gamma', 3);
sql('SELECT ffrtmp.dispatch()');
start($draining_job);
sql("SELECT ffrtmp.drain_node($gamma_node)");

# Work that waits: a queued job, a failed job queued again (a new run), a
# suspended tenant's job, a soft-deleted tenant's finished one.
my $queued = submit('acme', 3);
sql("SELECT ffrtmp.retry_job($retried)");
my $suspended_job = submit('idle', 3);
sql(q{SELECT ffrtmp.update_tenant('idle', status => 'suspended')});
my $deleted_job = submit('gone', 3);
sql("SELECT ffrtmp.cancel_job($deleted_job)");
sql(q{SELECT ffrtmp.delete_tenant('gone')});

# A node registered twice: its first token is stale.
my ($twice_node, $stale_token) = register(q{'acme-2', cpu_cores => 2, tenant => 'acme'});
my (undef, $twice_token) = register(q{'acme-2', cpu_cores => 2, tenant => 'acme'});

my $states = q{SELECT string_agg(id || ':' || state || '/' || attempt || '/' || first_attempt, ' ' ORDER BY id) FROM ffrtmp_data.jobs};
my $jobs_before = sql($states);
is(sql(q{SELECT coalesce(string_agg(state, ' ' ORDER BY state), '') FROM ffrtmp_data.job_states s
          WHERE NOT EXISTS (SELECT 1 FROM ffrtmp_data.jobs j WHERE j.state = s.state)}),
	'', 'the 0.1 database holds jobs in every state');
is(sql("SELECT state || '/' || attempt || '/' || first_attempt FROM ffrtmp_data.jobs WHERE id = $retried"), 'queued/2/2',
	'among them a failed job queued again');
is(sql(q{SELECT string_agg(t.name || ':' || ffrtmp_data.effective_status(t.status, t.expires_at, t.deleted_at) || ':' || t.plan, ' ' ORDER BY t.name)
           FROM ffrtmp_data.tenants t}),
	'acme:active:pro beta:active:basic default:active:enterprise gamma:active:enterprise gone:deleted:basic idle:suspended:free',
	'tenants of every plan, one suspended, one soft-deleted');
is(sql(q{SELECT string_agg(name || ':' || state || ':' || (session_pid IS NOT NULL), ' ' ORDER BY name) FROM ffrtmp_data.nodes}),
	'acme-1:online:false acme-2:online:false beta-s:online:true gamma-1:draining:false', 'nodes online, draining and session-bound');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the 0.1 counters are exact');

my @relations = split /\n/, sql(q{SELECT relname FROM pg_class
                                   WHERE relnamespace = 'ffrtmp_data'::regnamespace AND relkind IN ('r', 'S') ORDER BY relname});
ok(@relations >= 15, 'every table and sequence of ffrtmp_data is kept for comparison (' . scalar(@relations) . ')');
my %columns_before = map { $_ => columns_of($_) } @relations;
my %rows_before = map { $_ => rows_of($_, $columns_before{$_}) } @relations;
my $usage_before = sql('SELECT string_agg(row_to_json(u)::text, E\'\n\' ORDER BY tenant_id) FROM ffrtmp_data.usage u');

# --- The update ------------------------------------------------------------

sql('ALTER EXTENSION ffrtmp UPDATE');
is(sql(q{SELECT extversion FROM pg_extension WHERE extname = 'ffrtmp'}), '0.2', 'ALTER EXTENSION ffrtmp UPDATE reaches 0.2');

# (a) The data: every row of every table, the counters, the states.
is(rows_of($_, $columns_before{$_}), $rows_before{$_}, "every row of ffrtmp_data.$_ is kept") for @relations;
is(sql('SELECT string_agg(row_to_json(u)::text, E\'\n\' ORDER BY tenant_id) FROM ffrtmp_data.usage u'), $usage_before,
	'the usage counters are those of 0.1');
is(sql($states), $jobs_before, "every job keeps its state, attempt and run");
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'and the counters still match a recount');

# (b) The catalog: the same as a fresh install, object by object.
my $upgraded = sql($describe);
my @fresh = split /\n/, $fresh;
my %in_upgraded = map { $_ => 1 } split /\n/, $upgraded;
my %in_fresh = map { $_ => 1 } @fresh;
my @only_fresh = grep { !$in_upgraded{$_} } @fresh;
my @only_upgraded = grep { !$in_fresh{$_} } split /\n/, $upgraded;
ok(@fresh > 600, 'the description covers the whole extension (' . scalar(@fresh) . ' lines)');
ok((grep { /^member / } @fresh) > 100, 'and names every member of the extension');
is(join("\n", @only_fresh), '', 'nothing of a fresh install is missing or different after the update');
is(join("\n", @only_upgraded), '', 'the update leaves nothing a fresh install lacks');

# --- What was running goes on ------------------------------------------------

# Recovery finds the session-bound node whose session is gone.  First: under
# 0.2's SQL a heartbeat, fetch_assigned or start_job ends lost sessions too,
# and a recovery after them would find the job's backoff (about 2 s) over
# already on a slow machine, and queue it again; nothing but recovery moves
# it on from here until the scheduler starts.
sql(q{SELECT ffrtmp_data.recover('1 h')});    # only the lost session counts
is(sql("SELECT state FROM ffrtmp_data.nodes WHERE id = $stale_node"), 'offline', "a node whose session ended goes offline");
is(sql("SELECT state || '/' || attempt || '/' || failure_reason FROM ffrtmp_data.jobs WHERE id = $on_stale"), 'retrying/2/platform_error',
	'and its job is retried');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters stay exact');

# Tenants' roles see their own jobs through 0.2's readers, and only those.
is($node->safe_psql('postgres', 'SET ROLE up_acme; SELECT count(*) FROM ffrtmp.jobs'),
	sql(q{SELECT count(*) FROM ffrtmp_data.jobs j JOIN ffrtmp_data.tenants t ON t.id = j.tenant_id WHERE t.name = 'acme'}),
	"a tenant's role sees its jobs after the update");
is($node->safe_psql('postgres', "SET ROLE up_beta; SELECT string_agg(id::text, ',') FROM ffrtmp.jobs"), $on_stale,
	"and another tenant's role only its own");
# add_tenant_role stays the documented shortcut: a role mapped under 0.1,
# with no user, acts as tenant_admin in 0.2, and so does one mapped now.
is($node->safe_psql('postgres', 'SET ROLE up_acme; SELECT ffrtmp.caller_role()'), 'tenant_admin',
	"a role mapped under 0.1 acts as its tenant's administrator after the update");
is($node->safe_psql('postgres', q{SET ROLE up_acme; SELECT t.name FROM ffrtmp.create_user('new@acme.example', 'viewer') u
	JOIN ffrtmp.tenants t ON t.id = u.tenant_id}), 'acme', 'and manages its own tenant\'s users');
sql(q{CREATE ROLE up_late LOGIN; SELECT ffrtmp.add_tenant_role('beta', 'up_late')});
is($node->safe_psql('postgres', 'SET ROLE up_late; SELECT ffrtmp.caller_role() || \' \' || (SELECT name FROM ffrtmp.tenants)'),
	'tenant_admin beta', 'a role mapped with add_tenant_role after the update acts likewise');
is(sql("SELECT string_agg(to_state, ',' ORDER BY id) FROM ffrtmp.job_history($completed)"), 'queued,assigned,running,completed',
	"a job's 0.1 history reads through 0.2's job_history");

# Session tokens handed out by 0.1 still prove their nodes; a replaced one does not.
is(sql("SELECT ffrtmp.node_heartbeat($acme_node, '$acme_token')"), 'online', "a node's 0.1 session token still works");
is(sql("SELECT ffrtmp.node_heartbeat($gamma_node, '$gamma_token')"), 'draining', 'and a draining node is still told to drain');
is(sql("SELECT ffrtmp.node_heartbeat($twice_node, '$twice_token')"), 'online', "a re-registered node's current token works");
my ($rc, $out, $err) = $node->psql('postgres', "SELECT ffrtmp.node_heartbeat($twice_node, '$stale_token')");
like($err, qr/session token of node $twice_node is not current/, 'its replaced token is refused');

# The attempt that ran across the update ends with the token and attempt it had.
is(sql("SELECT ffrtmp.report_progress(" . held($running) . ", '{\"frames\": 50, \"percent\": 100}')"), 't',
	'a running attempt reports progress across the update');
is(finish($running, 'completed'), 'completed', 'and completes');
is(finish($draining_job, 'completed'), 'completed', 'so does the one on the draining node');
is(start($assigned), 'running', 'an attempt assigned under 0.1 starts');

# The scheduler takes over: the job queued under 0.1 is dispatched and runs.
$node->append_conf('postgresql.conf', 'ffrtmp.schedulers = 1');
$node->restart;
sql("SELECT ffrtmp.node_heartbeat($acme_node, '$acme_token'), ffrtmp.node_heartbeat($twice_node, '$twice_token')");
ok($node->poll_query_until('postgres', "SELECT state = 'assigned' FROM ffrtmp_data.jobs WHERE id = $queued"),
	'the scheduler dispatches the job queued under 0.1');
is(start($queued), 'running', 'its node starts it');
is(finish($queued, 'completed'), 'completed', 'and completes it');
is(sql("SELECT (ffrtmp.health() ->> 'leader_pid') IS NOT NULL"), 't', 'a scheduler leads the updated database');
is(sql('SELECT count(*) FROM ffrtmp.verify_usage()'), '0', 'the counters are exact at the end');

# Release 0.1 did not refuse other databases, and a copy of a database
# (CREATE DATABASE ... TEMPLATE) carries the extension along: there no
# scheduler ever dispatches, so the library refuses new work and ready() says why.
$node->safe_psql('postgres', 'CREATE DATABASE elsewhere');
$node->safe_psql('elsewhere', q{CREATE EXTENSION ffrtmp VERSION '0.1'});
($rc, $out, $err) = $node->psql('elsewhere', q{SELECT ffrtmp.submit_job('testsrc://')});
like($err, qr/cannot submit jobs in database "elsewhere": the ffrtmp scheduler runs in database "postgres"/,
	'a 0.1 install outside ffrtmp.database accepts no job');
($rc, $out, $err) = $node->psql('elsewhere', q{SELECT ffrtmp.register_node('stray', cpu_cores => 2)});
like($err, qr/cannot register nodes in database "elsewhere"/, 'and no node');
($rc, $out, $err) = $node->psql('elsewhere', 'ALTER EXTENSION ffrtmp UPDATE');
like($err, qr/can only be installed in database "postgres"/, 'and it cannot be updated there');

$node->stop;
done_testing();
