#!/usr/bin/env bash
# Benchmark: ffrtmp.submit_job against a plain INSERT of a row as wide as a
# job, in one private cluster, in the same run, with pgbench (8 clients, 2
# threads).  Also measured: the same INSERT with a NOTIFY in its transaction,
# and submit_job with every client on one tenant.
#
# The machine is shared and noisy, so the four workloads are interleaved
# (a different one starts each round) over several short rounds, and the
# medians are compared.  See bench/README.md.
#
# Run as root (or as postgres) with the packages installed:
#     bash bench/submit_job.sh
# Settings, from the environment:
#     ROUNDS=5        rounds of every workload
#     DURATION=10     seconds per pgbench run (-T)
#     CLIENTS=8       pgbench clients (-c); THREADS=2 pgbench threads (-j)
#     TENANTS=10      tenants the submit_job clients spread over
#     MODE=simple     pgbench query mode: simple, extended or prepared
#     SYNC_COMMIT=on  synchronous_commit for the cluster
#     PORT=5497       port of the private cluster (unix socket only)
#     BUILD=1         make && make install the extension first (0 to skip)
#     STATEMENTS=0    1: load pg_stat_statements (track = all) and print where
#                     the time went per workload at the end (slows all runs)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"

rounds=${ROUNDS:-5}
duration=${DURATION:-10}
clients=${CLIENTS:-8}
threads=${THREADS:-2}
tenants=${TENANTS:-10}
mode=${MODE:-simple}
sync_commit=${SYNC_COMMIT:-on}
port=${PORT:-5497}
statements=${STATEMENTS:-0}

bench_cluster "$port"
{
  echo "synchronous_commit = $sync_commit"
  if [ "$statements" = 1 ]; then
    echo "shared_preload_libraries = 'ffrtmp, pg_stat_statements'"
    echo "pg_stat_statements.track = all"
  fi
} >>"$dir/data/postgresql.conf"
as_postgres pg_ctl -D "$dir/data" -l "$dir/server.log" -w restart >/dev/null

# The pgbench scripts, with the tenant count put in.
for w in plain_insert submit_job insert_notify submit_one_tenant; do
  sed "s/random(1, 10)/random(1, $tenants)/" "$repo/bench/$w.sql" >"$dir/$w.sql"
done
chown -R postgres "$dir"

bench_tenants "$tenants"
sql -v statements="$statements" <<'SQL'
CREATE SCHEMA bench;
-- The columns, types and defaults (identity included) of ffrtmp_data.jobs,
-- and its primary key.
CREATE TABLE bench.plain_jobs (LIKE ffrtmp_data.jobs INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE bench.plain_jobs ADD PRIMARY KEY (id);
SELECT :statements = 1 AS statements \gset
\if :statements
CREATE EXTENSION pg_stat_statements;
\endif
SQL

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

workloads=(plain_insert submit_job insert_notify submit_one_tenant)
declare -A tps
echo "pgbench: $clients clients, $threads threads, ${duration}s per run, $rounds rounds, query mode $mode," \
     "synchronous_commit $sync_commit, $(nproc) CPUs"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  line="round $round:"
  for w in $(rotated "$round" "${workloads[@]}"); do
    sql -c "CHECKPOINT"                 # every run starts with clean buffers
    if [ "$statements" = 1 ]; then sql -c "SELECT pg_stat_statements_reset()" >/dev/null; fi
    t=$(run "$w")
    t=$(printf %.0f "$t")
    tps[$w]="${tps[$w]:-} $t"
    line="$line  $w $t"
    if [ "$statements" = 1 ] && [ "$round" = "$rounds" ]; then
      sql -c "SELECT round(total_exec_time::numeric / greatest(calls, 1), 4) AS ms_per_call, calls,
                     round(total_exec_time::numeric, 0) AS total_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
                FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8" >"$dir/statements.$w.txt"
    fi
  done
  echo "$line"
done

# Per-round ratios too: a noisy neighbour slows a whole round, and the
# ratio within a round partly cancels it out.
paired() {  # paired WORKLOAD: median over the rounds of WORKLOAD / plain_insert
  local a=(${tps[$1]}) b=(${tps[plain_insert]}) out="" i
  for i in "${!a[@]}"; do out="$out $(ratio "${a[$i]}" "${b[$i]}")"; done
  median "$out"
}
plain=$(printf %.0f "$(median "${tps[plain_insert]}")")
submit=$(printf %.0f "$(median "${tps[submit_job]}")")
notify=$(printf %.0f "$(median "${tps[insert_notify]}")")
one=$(printf %.0f "$(median "${tps[submit_one_tenant]}")")
echo
echo "Medians over $rounds rounds (tps = transactions per second; ratio = median tps / median plain_insert tps;"
echo "per-round ratio = median over the rounds of the ratio within each round):"
printf '  %-34s %10s %8s %16s\n' "" tps ratio "per-round ratio"
printf '  %-34s %10s %8s %16s\n' "plain_insert tps" "$plain" "1.00" "1.00"
printf '  %-34s %10s %8s %16s\n' "submit_job tps ($tenants tenants)" "$submit" "$(ratio "$submit" "$plain")" "$(paired submit_job)"
printf '  %-34s %10s %8s %16s\n' "insert+notify tps" "$notify" "$(ratio "$notify" "$plain")" "$(paired insert_notify)"
printf '  %-34s %10s %8s %16s\n' "submit_job tps (1 tenant)" "$one" "$(ratio "$one" "$plain")" "$(paired submit_one_tenant)"
echo
r=$(ratio "$submit" "$plain")
verdict=$(awk -v r="$r" 'BEGIN {print (r >= 0.70) ? "meets" : "MISSES"}')
echo "ratio submit_job / plain_insert = $r ($verdict the goal of >= 0.70)"

if [ "$statements" = 1 ]; then
  for w in "${workloads[@]}"; do
    echo
    echo "pg_stat_statements, last $w run:"
    cat "$dir/statements.$w.txt"
  done
fi

bad=$(sql -At -c "SELECT count(*) FROM ffrtmp.verify_usage()")
echo "usage counters after the run: $([ "$bad" = 0 ] && echo exact || echo "$bad WRONG")"
[ "$bad" = 0 ]
