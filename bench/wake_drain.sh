#!/usr/bin/env bash
# Benchmark: how fast 100 nodes of one slot each drain no-op jobs through the
# worker's calls (fetch_assigned, start_job, finish_job, each its own
# transaction; the nodes listen on their channels like the worker), with the
# default settings (ffrtmp.scheduler_interval = 1s).  A job that finishes
# wakes the scheduler leader at commit, so its slot is filled without
# waiting for the timer; this measures that against earlier revisions.
#
# Workloads, each in its own private cluster, interleaved (a different one
# first each round), medians compared:
#   head    this checkout
#   REV     the build of each revision of BASES, in a copy of the PostgreSQL
#           installation ("before")
#
# Each run pauses dispatch, submits JOBS jobs over 10 tenants, starts the
# nodes, lifts the pause and times the drain from there to the last finish.
# Each run's line also shows how many passes the drain took and their mean
# duration (ffrtmp_scheduler_pass_duration_seconds).
#
# Run as root with the packages installed:
#     BASES="v0.1 main" bash bench/wake_drain.sh
# Settings, from the environment:
#     ROUNDS=3  NODES=100  JOBS=1000
#     BASES=            revisions to compare with (built from git archive)
#     BASE_PG_ROOT=     the PostgreSQL installation to copy for them (default:
#                       that of PG_CONFIG, which must then be a relocatable
#                       copy, not the system's)
#     PORT=5491         the first of the clusters' ports (unix socket only)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"

rounds=${ROUNDS:-3}
nodes=${NODES:-100}
jobs=${JOBS:-1000}
read -r -a bases <<<"${BASES:-}"
port=${PORT:-5491}

work=$(mktemp -d /tmp/ffrtmp-wake-drain.XXXXXX)
chmod 755 "$work"
declare -A cluster_dir
cleanup() {
  for d in "${cluster_dir[@]}"; do stop_cluster "$d"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building and installing the extension..."
build_and_install "$repo"
gcc -O2 -Wall -Wextra -Werror -I"$("$PG_CONFIG" --includedir)" -o "$work/nodes" \
  "$repo/bench/wake_drain_nodes.c" -L"$("$PG_CONFIG" --libdir)" -lpq -lpthread

# Each base build goes into a PostgreSQL installation of its own.
declare -A base_bin
for rev in "${bases[@]}"; do
  root=${BASE_PG_ROOT:-$(cd "$PGBIN/../../../.." && pwd)}
  if [ "$root" = / ]; then
    echo "BASES needs a relocatable copy of PostgreSQL: set BASE_PG_ROOT" >&2
    exit 2
  fi
  echo "building $rev ($(git -C "$repo" rev-parse --short "$rev")) in a copy of $root..."
  cp -a "$root" "$work/pg-$rev"
  mkdir "$work/src-$rev"
  git -C "$repo" archive "$rev" | tar -x -C "$work/src-$rev"
  config="$work/pg-$rev/${PGBIN#"$root"/}/pg_config"
  make -C "$work/src-$rev" -s PG_CONFIG="$config" >/dev/null
  make -C "$work/src-$rev" -s PG_CONFIG="$config" install >/dev/null
  base_bin[$rev]=$("$config" --bindir)
done

# start NAME BINDIR: a cluster for workload NAME, run by the binaries in BINDIR.
start() {
  local d="$work/$1"
  cluster_dir[$1]=$d
  PATH="$2:$PATH" start_cluster "$d" "$port" "max_connections = $((nodes + 20))"
  port=$((port + 1))
  csql "$1" -c "CREATE EXTENSION ffrtmp" \
    -c "SELECT count(ffrtmp.create_tenant('bench-' || g, plan => 'enterprise')) FROM generate_series(1, 10) g" >/dev/null
}
csql() {
  local d=${cluster_dir[$1]}
  shift
  as_postgres psql -X -q -At -h "$d" -p "$(sed -n 's/^port = //p' "$d/data/postgresql.conf")" \
    -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

workloads=()
for rev in "${bases[@]}"; do
  start "$rev" "${base_bin[$rev]}"
  workloads+=("$rev")
done
start head "$PGBIN"
workloads+=(head)

# passes W: the leader's passes so far in W's cluster and their total seconds.
passes() {
  csql "$1" -c "SELECT ffrtmp.metrics()" |
    awk '/^ffrtmp_scheduler_pass_duration_seconds_(count|sum) / {printf "%s ", $2}'
}

# drain W: one timed drain in W's cluster; prints jobs per second, the
# passes the drain took and their mean duration in ms.
drain() {
  local d=${cluster_dir[$1]} secs before after
  csql "$1" -c "SELECT ffrtmp.pause_dispatch()" \
    -c "SELECT count(ffrtmp.submit_job('testsrc://', tenant => 'bench-' || (g % 10 + 1))) FROM generate_series(1, $jobs) g" \
    -c "CHECKPOINT" >/dev/null
  before=$(passes "$1")
  secs=$(as_postgres "$work/nodes" \
    "host=$d port=$(sed -n 's/^port = //p' "$d/data/postgresql.conf") user=postgres dbname=postgres" "$nodes" "$jobs")
  after=$(passes "$1")
  awk -v s="$secs" -v n="$jobs" -v b="$before" -v a="$after" 'BEGIN {
    split(b, x, " "); split(a, y, " "); p = y[2] - x[2]
    printf "%.0f %d %.1f", n / s, p, p ? (y[1] - x[1]) / p * 1000 : 0 }'
}

declare -A rate
echo "$nodes nodes x 1 slot, $jobs jobs per drain, $rounds rounds, $(nproc) CPUs"
echo "each run: workload jobs/s (passes in the drain, their mean ms)"
for round in $(seq 1 "$rounds"); do
  line="round $round (load $(cut -d' ' -f1-3 /proc/loadavg)):"
  for w in $(rotated "$round" "${workloads[@]}"); do
    read -r r p ms <<<"$(drain "$w")"
    [ -n "$r" ] || { echo "the drain in $w failed" >&2; exit 1; }
    rate[$w]="${rate[$w]:-} $r"
    line="$line  $w $r ($p, $ms)"
  done
  echo "$line"
done

ref=${workloads[0]}
echo
echo "Medians over $rounds rounds (load now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %-10s %10s %8s   %s\n' "" "jobs/s" "ratio" "(to $ref)"
for w in "${workloads[@]}"; do
  printf '  %-10s %10.0f %8.2f\n' "$w" "$(median "${rate[$w]}")" \
    "$(awk -v a="$(median "${rate[$w]}")" -v b="$(median "${rate[$ref]}")" 'BEGIN {print a / b}')"
done

# Nothing lost or doubled: every job completed once, on its first attempt, and the counters are exact.
for w in "${workloads[@]}"; do
  check=$(csql "$w" -c "SELECT count(*) FILTER (WHERE state <> 'completed' OR attempt <> 1) || ' ' ||
                               (SELECT count(*) FROM ffrtmp_data.job_events WHERE to_state = 'completed') || ' ' ||
                               count(*) FROM ffrtmp_data.jobs")
  read -r bad events total <<<"$check"
  echo "$w: $total jobs, $bad not completed once, $events completions in job_events"
  [ "$bad" = 0 ] && [ "$events" = "$total" ] && [ "$total" = $((jobs * rounds)) ]
done
