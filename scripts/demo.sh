#!/usr/bin/env bash
# The ffrtmp demo: installs what is needed (as root, from Debian's packages),
# builds and installs the extension, starts a private PostgreSQL cluster with
# ffrtmp preloaded, and walks through tenants, quotas, jobs and usage from psql.
#
#   FFRTMP_DEMO_DIR  where the cluster lives (default /tmp/ffrtmp-demo)
#   FFRTMP_DEMO_PORT its port, on a unix socket only (default 55440)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
dir=${FFRTMP_DEMO_DIR:-/tmp/ffrtmp-demo}
port=${FFRTMP_DEMO_PORT:-55440}

if [ "$(id -u)" -eq 0 ]; then
  "$repo/scripts/install-deps.sh"
fi
build_and_install "$repo"

if [ -f "$dir/data/postmaster.pid" ]; then
  stop_cluster "$dir"
fi
rm -rf "$dir"
start_cluster "$dir" "$port"
echo "demo: PostgreSQL with ffrtmp preloaded, socket $dir port $port"

psql_demo() {
  as_postgres psql -X -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=0 "$@"
}

psql_demo <<'SQL'
\set ECHO queries
CREATE EXTENSION ffrtmp;

-- Tenants on two plans; a role that acts for one of them.
SELECT name, plan, max_jobs, max_cpu_cores FROM ffrtmp.create_tenant('acme', plan => 'pro', display_name => 'Acme Corp');
SELECT name, plan, max_jobs, max_cpu_cores FROM ffrtmp.create_tenant('globex', plan => 'free');
CREATE ROLE acme_app LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'acme_app');

-- A worker node dedicated to acme, and one in the shared pool.
SELECT node_id FROM ffrtmp.register_node('acme-gpu-1', cpu_cores => 16, gpus => 2, tenant => 'acme');
SELECT node_id FROM ffrtmp.register_node('pool-1', cpu_cores => 32, slots => 4);

-- acme's application submits jobs as itself: it needs no tenant argument.
SET ROLE acme_app;
SELECT seq, state, preset, priority FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', preset => '720p30-test');
SELECT seq, state, preset, priority FROM ffrtmp.submit_job('testsrc://1920x1080@30?duration=20', preset => 'hls-abr', output_url => 'abr/master.m3u8', priority => 'high');
SELECT seq, state, queue FROM ffrtmp.submit_job('rtmp://127.0.0.1/live/cam1', output_url => 'live/cam1.m3u8', params => '{"format": "hls", "video_codec": "copy", "audio_codec": "copy"}', queue => 'live');
-- It cannot act for another tenant, nor see one.
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT name FROM ffrtmp.tenants;
RESET ROLE;

-- globex is on the free plan: 10 active jobs, then 429.
SELECT count(ffrtmp.submit_job('testsrc://640x360@25?duration=5', tenant => 'globex')) AS submitted FROM generate_series(1, 10);
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT seq, state FROM ffrtmp.cancel_job((SELECT id FROM ffrtmp.jobs WHERE seq = 1 AND tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'globex')));

-- The scheduler leader dispatches on its own (woken by the submits' commits).
SELECT pg_sleep(1.5);
SELECT t.name AS tenant, j.seq, j.state, n.name AS node
  FROM ffrtmp.jobs j JOIN ffrtmp.tenants t ON t.id = j.tenant_id LEFT JOIN ffrtmp.nodes n ON n.id = j.node_id
 WHERE j.state <> 'queued' ORDER BY t.name, j.seq;
SELECT name, leader FROM ffrtmp.scheduler_status();
SELECT ffrtmp.health();

-- Usage, as operators read it.
SELECT name, effective_status, plan FROM ffrtmp.list_tenants();
\echo
\echo === acme
SELECT summary FROM ffrtmp.tenant_stats('acme') \g (format=unaligned tuples_only=on)
\echo
\echo === globex
SELECT summary FROM ffrtmp.tenant_stats('globex') \g (format=unaligned tuples_only=on)
SQL

cat <<EOF

demo: done.  The cluster is still running; connect with
    runuser -u postgres -- psql -h $dir -p $port
and stop it with
    runuser -u postgres -- $PGBIN/pg_ctl -D $dir/data stop
EOF
