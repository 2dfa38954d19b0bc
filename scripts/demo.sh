#!/usr/bin/env bash
# The ffrtmp demo: installs what is needed (as root, from Debian's packages),
# builds and installs the extension and the worker, starts a private PostgreSQL
# cluster with ffrtmp preloaded, walks through tenants, quotas, jobs and usage
# with the ffrtmp command and psql (SQL where the demo shows SQL on purpose),
# then runs a real transcode: two jobs (an MP4 and an HLS ladder) submitted
# and watched with ffrtmp, run by an ffrtmp-worker, the outputs shown with
# ffprobe.
#
#   FFRTMP_DEMO_DIR  where the cluster lives (default /tmp/ffrtmp-demo)
#   FFRTMP_DEMO_PORT its port, on a unix socket only (default 55440)
#   FFRTMP_DEMO_INSTALLED=yes  run it on what the Debian packages installed
#                    (docs/operations.md): the system's PostgreSQL 15 with the
#                    library of postgresql-15-ffrtmp, ffrtmp-worker and ffrtmp
#                    from /usr/bin; it installs and builds nothing
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
installed=${FFRTMP_DEMO_INSTALLED:-no}
[ "$installed" = yes ] && PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
. "$repo/scripts/lib.sh"
portable_locale
# The postgres user runs the cluster and psql; it may not be able to enter the
# caller's directory (a checkout in root's home), and every path below is
# absolute, so work from /.
cd /
dir=${FFRTMP_DEMO_DIR:-/tmp/ffrtmp-demo}
port=${FFRTMP_DEMO_PORT:-55440}

if [ "$installed" = yes ]; then
  # /usr/bin before /usr/local/bin, where `make install` puts the programs.
  PATH="$PGBIN:/usr/bin:$PATH"
  echo "demo: running the installed packages: $(command -v ffrtmp-worker), $(command -v ffrtmp)" \
    "($(ffrtmp --version)), $PGBIN/postgres with $(dirname "$PGBIN")/lib/ffrtmp.so"
else
  if [ "$(id -u)" -eq 0 ]; then
    "$repo/scripts/install-deps.sh"
  fi
  build_and_install "$repo"
fi

if [ -f "$dir/data/postmaster.pid" ]; then
  stop_cluster "$dir"
fi
rm -rf "$dir"
start_cluster "$dir" "$port"
echo "demo: PostgreSQL with ffrtmp preloaded, socket $dir port $port"

psql_demo() {
  as_postgres psql -X -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=0 "$@"
}

# The ffrtmp command (docs/cli.md) as the cluster's superuser: an
# administrator.  Each command line is echoed, as psql echoes its queries.
ffrtmp_demo() {
  local a line='$ ffrtmp'
  for a in "$@"; do
    if [[ $a =~ ^[-A-Za-z0-9_=./:@]*$ ]]; then line+=" $a"
    elif [[ $a =~ ^(--[a-z-]+=)(.*)$ ]]; then line+=" ${BASH_REMATCH[1]}'${BASH_REMATCH[2]}'"
    else line+=" '$a'"; fi
  done
  echo "$line"
  as_postgres ffrtmp --dsn="host=$dir port=$port dbname=postgres user=postgres" "$@"
}

psql_demo -c 'CREATE EXTENSION ffrtmp'
# Tenants on two plans.
ffrtmp_demo tenants create acme --plan=pro --display-name="Acme Corp"
ffrtmp_demo tenants create globex --plan=free

psql_demo <<'SQL'
\set ECHO queries
-- A role that acts for acme (add_tenant_role: the 0.1 shortcut, whose role
-- is that tenant's administrator; a program with narrower powers uses an API
-- key, docs/onboarding.md).
CREATE ROLE acme_app LOGIN;
SELECT ffrtmp.add_tenant_role('acme', 'acme_app');

-- A worker node dedicated to acme, and one in the shared pool.
SELECT node_id FROM ffrtmp.register_node('acme-gpu-1', cpu_cores => 16, gpus => 2, tenant => 'acme');
SELECT node_id FROM ffrtmp.register_node('pool-1', cpu_cores => 32, slots => 4);

-- acme's application submits jobs as itself: it needs no tenant argument.
SET ROLE acme_app;
SELECT seq, state, preset, priority FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', preset => '720p30-test');
SELECT seq, state, preset, priority FROM ffrtmp.submit_job('testsrc://1920x1080@30?duration=20', preset => 'hls-abr', output_url => 'abr/master.m3u8', priority => 'high');
SELECT seq, state, queue FROM ffrtmp.submit_job('rtmp://ingest.example.com/live/cam1', output_url => 'live/cam1.m3u8', params => '{"format": "hls", "video_codec": "copy", "audio_codec": "copy"}', queue => 'live');
-- It cannot act for another tenant, nor see one.
\echo '-- (refused on purpose: acme_app acts for acme only)'
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT name FROM ffrtmp.tenants;
RESET ROLE;

-- globex is on the free plan: 10 active jobs, then 429.
SELECT count(ffrtmp.submit_job('testsrc://640x360@25?duration=5', tenant => 'globex')) AS submitted FROM generate_series(1, 10);
\echo '-- (refused on purpose: globex is at its quota of 10 active jobs)'
SELECT seq FROM ffrtmp.submit_job('testsrc://', tenant => 'globex');
SELECT seq, state FROM ffrtmp.cancel_job((SELECT id FROM ffrtmp.jobs WHERE seq = 1 AND tenant_id = (SELECT id FROM ffrtmp.tenants WHERE name = 'globex')));

-- The scheduler leader dispatches on its own (woken by the submits' commits).
SELECT pg_sleep(1.5);
SELECT t.name AS tenant, j.seq, j.state, n.name AS node
  FROM ffrtmp.jobs j JOIN ffrtmp.tenants t ON t.id = j.tenant_id LEFT JOIN ffrtmp.nodes n ON n.id = j.node_id
 WHERE j.state <> 'queued' ORDER BY t.name, j.seq;
SELECT name, leader FROM ffrtmp.scheduler_status();
SQL
ffrtmp_demo health
ffrtmp_demo nodes list

# Usage, as operators read it.
ffrtmp_demo tenants list
ffrtmp_demo tenants stats acme
ffrtmp_demo tenants stats globex

# A real transcode through the whole system: database -> scheduler ->
# ffrtmp-worker -> files, checked with ffprobe.
media="$dir/media"
mkdir -p "$media/out"
chown -R postgres "$media" 2>/dev/null || true
# The jobs above were for show (no worker ran them, and the live camera does
# not exist): cancel them and drain the pretend nodes, so that the worker
# below runs exactly the two jobs submitted next.
echo "demo: the jobs above were for show: canceling them and draining the pretend nodes"
psql_demo -q <<'SQL'
SELECT count(ffrtmp.cancel_job(id)) AS shown_jobs_canceled FROM ffrtmp.jobs
 WHERE state IN ('queued', 'assigned', 'running', 'retrying');
SELECT count(ffrtmp.drain_node(id)) AS pretend_nodes_drained FROM ffrtmp.nodes;
SQL
# setpriv execs the worker itself (runuser would stand between), so that $!
# is the worker and SIGTERM reaches it: it drains and leaves cleanly.
run_worker=()
[ "$(id -u)" -eq 0 ] && run_worker=(setpriv --reuid=postgres --regid=postgres --init-groups)
"${run_worker[@]}" ffrtmp-worker --name demo-worker --slots 2 --poll-interval 1s --heartbeat-interval 1s \
  --grace 20s --output-root "$media/out" "host=$dir port=$port dbname=postgres user=postgres" \
  >"$dir/worker.log" 2>&1 &
worker_pid=$!
trap 'kill -TERM $worker_pid 2>/dev/null || true' EXIT

ffrtmp_demo --tenant=acme jobs submit --input='testsrc://1280x720@30?duration=5' --preset=720p30-test \
  --output=demo/clip.mp4
ffrtmp_demo --tenant=acme jobs submit --input='testsrc://1280x720@30?duration=4' --output=demo/ladder/index.m3u8 \
  --params='{"format": "hls", "hls_segment_seconds": 2, "renditions": [{"size": "854x480", "video_bitrate": "1200k"}, {"size": "640x360", "video_bitrate": "700k"}]}'
mapfile -t demo_jobs < <(psql_demo -Atc "SELECT id FROM ffrtmp.jobs WHERE output_url LIKE 'demo/%' ORDER BY id")
# Until both have ended; through a pipe, so that it prints plain lines (on a
# terminal it redraws progress bars in place).  Exit 1 when one did not
# complete: the queries below show why.
echo "demo: watching ffrtmp-worker transcode both jobs"
ffrtmp_demo jobs watch "${demo_jobs[@]}" | cat || true
psql_demo <<'SQL'
\set ECHO queries
SELECT seq, state, output_url, result ->> 'duration' AS duration, result ->> 'size' AS bytes,
       (SELECT string_agg(s ->> 'codec' || coalesce(' ' || (s ->> 'width') || 'x' || (s ->> 'height'), ''), ', ')
          FROM jsonb_array_elements(result -> 'streams') s) AS streams, error
  FROM ffrtmp.jobs WHERE output_url LIKE 'demo/%' ORDER BY seq;
SQL
ffrtmp_demo jobs history "${demo_jobs[1]}"
acme_dir="$media/out/$(psql_demo -Atc "SELECT id FROM ffrtmp.tenants WHERE name = 'acme'")/demo"
echo "demo: ffprobe $acme_dir/clip.mp4"
ffprobe -v error -show_entries stream=codec_name,width,height,avg_frame_rate:format=duration -of compact=p=0 "$acme_dir/clip.mp4"
echo "demo: the HLS ladder's master playlist, $acme_dir/ladder/index.m3u8"
cat "$acme_dir/ladder/index.m3u8"
echo "demo: stopping the worker (SIGTERM: it finishes what it runs, then its node leaves)"
kill -TERM "$worker_pid" && wait "$worker_pid" || true
trap - EXIT
ffrtmp_demo nodes list
echo "demo: the worker's log ($dir/worker.log):"
cat "$dir/worker.log"

cat <<EOF

demo: done.  The cluster is still running; connect with
    runuser -u postgres -- psql -h $dir -p $port
or use the command-line tool on it (docs/cli.md) with
    runuser -u postgres -- env PGHOST=$dir PGPORT=$port ffrtmp tenants list
and stop it with
    runuser -u postgres -- $PGBIN/pg_ctl -D $dir/data stop
EOF
