#!/usr/bin/env bash
# Benchmark: ffrtmp.submit_jobs in batches of 100 and of 1,000 jobs against
# single ffrtmp.submit_job calls, in one private cluster, in the same run,
# with pgbench; prints jobs per second and the ratios (the goal: a batch
# path at least 5 times the single calls' jobs per second).
#
# The machine is shared and noisy, so the three workloads are interleaved (a
# different one starts each round) over several short rounds, and the
# medians are compared.  See bench/README.md.
#
# Run as root (or as postgres) with the packages installed:
#     bash bench/submit_jobs.sh
# Settings, from the environment:
#     ROUNDS=3        rounds of every workload
#     DURATION=10     seconds per pgbench run (-T)
#     CLIENTS=8       pgbench clients (-c); THREADS=2 pgbench threads (-j)
#     TENANTS=10      tenants the clients spread over
#     PORT=5499       port of the private cluster (unix socket only)
#     BUILD=1         make && make install the extension first (0 to skip)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"

rounds=${ROUNDS:-3}
duration=${DURATION:-10}
clients=${CLIENTS:-8}
threads=${THREADS:-2}
tenants=${TENANTS:-10}
port=${PORT:-5499}

bench_cluster "$port"

# The pgbench scripts: one job per transaction, or one batch of N jobs (the
# same job as the single call, written out as JSON in the script, as a client
# would send it).
job='{"input_url": "testsrc://1280x720@30?duration=10"}'
batch_script() {  # batch_script N
  local jobs
  jobs=$(printf "$job, %.0s" $(seq 1 "$1"))
  printf '%s\n' "\\set t random(1, $tenants)" \
    "SELECT count(*) FROM ffrtmp.submit_jobs('[${jobs%, }]', tenant => 'bench-' || :t);"
}
printf '%s\n' "\\set t random(1, $tenants)" \
  "SELECT id FROM ffrtmp.submit_job('testsrc://1280x720@30?duration=10', tenant => 'bench-' || :t);" \
  >"$dir/single.sql"
batch_script 100 >"$dir/batch100.sql"
batch_script 1000 >"$dir/batch1000.sql"
chown -R postgres "$dir"

bench_tenants "$tenants"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }

workloads=(single batch100 batch1000)
declare -A size=([single]=1 [batch100]=100 [batch1000]=1000)
declare -A jobs_per_s
echo "pgbench: $clients clients, $threads threads, ${duration}s per run, $rounds rounds, $tenants tenants, $(nproc) CPUs"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  line="round $round (jobs/s):"
  for w in $(rotated "$round" "${workloads[@]}"); do
    sql -c "CHECKPOINT"
    tps=$(run "$w")
    j=$(awk -v t="$tps" -v n="${size[$w]}" 'BEGIN {printf "%.0f", t * n}')
    jobs_per_s[$w]="${jobs_per_s[$w]:-} $j"
    line="$line  $w $j"
  done
  echo "$line"
done

single=$(median "${jobs_per_s[single]}")
b100=$(median "${jobs_per_s[batch100]}")
b1000=$(median "${jobs_per_s[batch1000]}")
echo
echo "Medians over $rounds rounds:"
printf '  %-36s %12s %8s\n' "" "jobs/s" "ratio"
printf '  %-36s %12.0f %8s\n' "submit_job, one job per call" "$single" "1.0"
printf '  %-36s %12.0f %8s\n' "submit_jobs, batches of 100" "$b100" "$(ratio "$b100" "$single")"
printf '  %-36s %12.0f %8s\n' "submit_jobs, batches of 1000" "$b1000" "$(ratio "$b1000" "$single")"
echo
for w in batch100 batch1000; do
  r=$(ratio "$(median "${jobs_per_s[$w]}")" "$single")
  verdict=$(awk -v r="$r" 'BEGIN {print (r >= 5) ? "meets" : "MISSES"}')
  echo "ratio $w / single = $r ($verdict the goal of >= 5)"
done

bad=$(sql -At -c "SELECT count(*) FROM ffrtmp.verify_usage()")
echo "jobs submitted: $(sql -At -c 'SELECT count(*) FROM ffrtmp_data.jobs'); usage counters after the run: $([ "$bad" = 0 ] && echo exact || echo "$bad WRONG")"
[ "$bad" = 0 ]
