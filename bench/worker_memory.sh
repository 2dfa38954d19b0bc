#!/usr/bin/env bash
# Benchmark: ffrtmp-worker's memory, at idle and per running job.  A private
# cluster with the scheduler, one worker with JOBS slots; the daemon's RSS
# and PSS once it has registered and sits idle, then for each preset JOBS
# long test-source jobs run at once and every job process (a forked child of
# the daemon) is sampled while it encodes, then the daemon again once the
# jobs are canceled (it should be back where it started).
#
# Run as root (the cluster and the worker run as postgres) with the packages
# installed:
#     bash bench/worker_memory.sh
# Settings, from the environment:
#     JOBS=2            jobs running at once (the worker's --slots)
#     PRESETS="720p30-test 1080p-h264 4K60-h264"
#     SAMPLES=5         samples, one a second, while the jobs run
#     PORT=5498         port of the private cluster (unix socket only)
#     BUILD=1           make && make install first (0 to skip)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"

jobs=${JOBS:-2}
presets=${PRESETS:-"720p30-test 1080p-h264 4K60-h264"}
samples=${SAMPLES:-5}
port=${PORT:-5498}

if [ "${BUILD:-1}" = 1 ]; then
  echo "building and installing..."
  build_and_install "$repo"
fi

dir=$(mktemp -d /tmp/ffrtmp-bench-mem.XXXXXX)
worker_pid=
cleanup() {
  if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
    kill -TERM "$worker_pid" 2>/dev/null || true
    sleep 2
    kill -KILL "$worker_pid" 2>/dev/null || true
  fi
  stop_cluster "$dir"
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_cluster "$dir" "$port"
echo "ffrtmp.scheduler_interval = '200ms'" >>"$dir/data/postgresql.conf"
as_postgres pg_ctl -D "$dir/data" -l "$dir/server.log" -w restart >/dev/null
mkdir -p "$dir/out"
cp "$repo/src/worker/ffrtmp-worker" "$dir/"
chown -R postgres "$dir"

sql() { as_postgres psql -X -q -At -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }
sql -c 'CREATE EXTENSION ffrtmp' -c "SELECT ffrtmp.create_tenant('bench', plan => 'enterprise')" >/dev/null

# The worker as postgres; its pid is the one of the process running our binary.
as_postgres "$dir/ffrtmp-worker" --name=bench-mem --slots="$jobs" --poll-interval=1s --heartbeat-interval=1s \
  --output-root="$dir/out" "host=$dir port=$port dbname=postgres" >"$dir/worker.log" 2>&1 &
launcher=$!
for _ in $(seq 1 100); do
  worker_pid=$(pgrep -u postgres -f -x "$dir/ffrtmp-worker --name=bench-mem.*" | head -1 || true)
  [ -n "$worker_pid" ] && [ "$(sql -c "SELECT count(*) FROM ffrtmp.nodes WHERE name = 'bench-mem' AND state = 'online'")" = 1 ] && break
  sleep 0.1
done
[ -n "$worker_pid" ] || { echo "the worker did not start:"; cat "$dir/worker.log"; exit 1; }

# kB of a process: "rss pss"
mem_of() {
  local rss pss
  rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0)
  pss=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0)
  echo "${rss:-0} ${pss:-0}"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

sleep 3
read -r idle_rss idle_pss < <(mem_of "$worker_pid")
printf '\n%-40s %10s %10s\n' "" "RSS MiB" "PSS MiB"
printf '%-40s %10s %10s\n' "daemon, idle after registering" "$(mib "$idle_rss")" "$(mib "$idle_pss")"

for preset in $presets; do
  case $preset in
    4K*) source="testsrc://3840x2160@60?duration=3600" ;;
    1080p*) source="testsrc://1920x1080@30?duration=3600" ;;
    *) source="testsrc://1280x720@30?duration=3600" ;;
  esac
  ids=$(sql -c "SELECT string_agg(id::text, ',') FROM (SELECT (ffrtmp.submit_job('$source', output_url => 'mem/$preset-' || g || '.mp4', preset => '$preset', tenant => 'bench')).id FROM generate_series(1, $jobs) g) s")
  # Until every job reports progress: they are all encoding.
  for _ in $(seq 1 600); do
    [ "$(sql -c "SELECT count(*) FROM ffrtmp.job_progress WHERE job_id IN ($ids) AND (progress ->> 'frames')::bigint > 0")" = "$jobs" ] && break
    sleep 0.2
  done
  max_job_rss=0 max_job_pss=0 sum_job_rss=0 sum_job_pss=0 n=0 max_daemon_rss=0
  for _ in $(seq 1 "$samples"); do
    read -r d_rss _ < <(mem_of "$worker_pid")
    [ "$d_rss" -gt "$max_daemon_rss" ] && max_daemon_rss=$d_rss
    for child in $(pgrep -P "$worker_pid" || true); do
      read -r rss pss < <(mem_of "$child")
      [ "$rss" -gt "$max_job_rss" ] && max_job_rss=$rss
      [ "$pss" -gt "$max_job_pss" ] && max_job_pss=$pss
      sum_job_rss=$((sum_job_rss + rss)) sum_job_pss=$((sum_job_pss + pss)) n=$((n + 1))
    done
    sleep 1
  done
  [ "$n" -gt 0 ] || n=1
  printf '%-40s %10s %10s\n' "$preset: one job, mean of samples" "$(mib $((sum_job_rss / n)))" "$(mib $((sum_job_pss / n)))"
  printf '%-40s %10s %10s\n' "$preset: one job, largest sample" "$(mib "$max_job_rss")" "$(mib "$max_job_pss")"
  printf '%-40s %10s %10s\n' "$preset: daemon while $jobs run" "$(mib "$max_daemon_rss")" ""
  sql -c "SELECT count(ffrtmp.cancel_job(id)) FROM unnest('{$ids}'::bigint[]) id" >/dev/null
  for _ in $(seq 1 100); do
    [ -z "$(pgrep -P "$worker_pid" || true)" ] && break
    sleep 0.1
  done
done

sleep 2
read -r end_rss end_pss < <(mem_of "$worker_pid")
printf '%-40s %10s %10s\n' "daemon, idle again after the jobs" "$(mib "$end_rss")" "$(mib "$end_pss")"
echo
echo "RSS counts shared libraries in full in every process; PSS shares them out."
echo "Job processes are forked from the daemon, so the libav* code they share with it is not copied."
kill -TERM "$worker_pid" 2>/dev/null || true
wait "$launcher" 2>/dev/null || true
worker_pid=
