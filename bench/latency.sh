#!/usr/bin/env bash
# Latency: single submit_job calls at a steady RATE jobs/s over 10 tenants
# (4 submitter processes, paced) for SECONDS_PER_RUN s, drained by NODES
# simulated nodes x 16 slots; for every job, the time from the submitter's
# commit (submit_job returned) to a node's fetch_assigned returning it, both
# read from the same clock.  ROUNDS runs; p50, p90, p99 and the largest per
# run and their medians.  Run by bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
attach

rounds=${ROUNDS:-3}
rate=${RATE:-1000}
seconds=${SECONDS_PER_RUN:-10}
nodes=${NODES:-100}
data=$OUT/latency
mkdir -p "$data"

# latencies OUT: job id -> fetch minus commit, in ms, one per line, sorted.
latencies() {
  cat "$1"/submit.* | sort -k1,1 >"$1/commits"
  cat "$1"/fetch.* | awk '{print $1, $3}' | sort -k1,1 >"$1/fetches"
  join "$1/commits" "$1/fetches" | awk '{printf "%.3f\n", ($3 - $2) * 1000}' | sort -n
}
pct() { awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i]}' "$2"; }

declare -A col
rows=""
: >"$data/all.ms"
echo "latency: $rate jobs/s for ${seconds}s, $nodes nodes x 16 slots, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  l=$(load)
  out=$data/$round
  mkdir -p "$out"
  r=$(sim --nodes "$nodes" --slots 16 --rate "$rate" --seconds "$seconds" --out "$out")
  latencies "$out" >"$out/ms"
  cat "$out/ms" >>"$data/all.ms"
  cells=("$round" "$l" "$(wc -l <"$out/ms")" "$(awk -v s="$seconds" 'END {printf "%.0f", NR / s}' "$out/ms")")
  for p in 50 90 99 100; do
    v=$(pct "$p" "$out/ms")
    col[$p]="${col[$p]:-} $v"
    cells+=("$v")
  done
  echo "round $round (load $l): ${cells[*]:2} (jobs, jobs/s, p50 p90 p99 max ms); $(field sim_cpu_share "$r") simulator CPU share"
  rows="$rows$(table_row "${cells[@]}")"$'\n'
done
sort -n "$data/all.ms" | awk '{a[NR] = $1} END {for (i = 1; i <= NR; i++) print a[i], i / NR}' >"$data/cdf.dat"

{
  echo "## Latency"
  echo
  echo "submit_job at a steady $rate jobs/s over 10 tenants (4 paced submitters), $nodes simulated nodes x 16"
  echo "slots; the time from submit_job's commit to the node's fetch_assigned returning the job, in ms (one"
  echo "clock). $rounds runs of ${seconds} s."
  echo
  table_row "" p50 p90 p99 max
  table_row --- ---: ---: ---: ---:
  table_row "median of the runs (ms)" "$(median "${col[50]}")" "$(median "${col[90]}")" "$(median "${col[99]}")" "$(median "${col[100]}")"
  echo
  echo "Goal: p99 under 20 ms, p50 under 5 ms."
  echo
  table_row run load jobs "jobs/s submitted" "p50 ms" "p90 ms" "p99 ms" "max ms"
  table_row --- --- ---: ---: ---: ---: ---: ---:
  printf '%s' "$rows"
} >"$OUT/latency.md"
