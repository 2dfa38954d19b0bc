#!/usr/bin/env bash
# Latency: single submit_job calls at a steady RATE jobs/s over 10 tenants
# (SUBMITTERS, 8, submitter processes, paced; one that falls behind the pace
# submits as fast as its calls commit, and all stop after SECONDS_PER_RUN s:
# the rate reached is reported beside the rate asked for), drained by NODES
# simulated nodes x 16 slots; for every job, the time from the submitter's
# commit (submit_job returned) to a node's fetch_assigned returning it, both
# read from the same clock.  ROUNDS runs; p50, p90, p99 and the largest per
# run and their medians.  Where the time goes: each latency split at the
# start of the pass that assigned the job (its job_events row's time, the
# pass transaction's start), into waiting for a pass and the pass with its
# commit, the notification and the node's fetch.  Run by bench/run.
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
submitters=${SUBMITTERS:-8}
data=$OUT/latency
mkdir -p "$data"

# latencies OUT: job id -> fetch minus commit, in ms, one per line, sorted.
latencies() {
  cat "$1"/submit.* | sort -k1,1 >"$1/commits"
  cat "$1"/fetch.* | awk '{print $1, $3}' | sort -k1,1 >"$1/fetches"
  join "$1/commits" "$1/fetches" | awk '{printf "%.3f\n", ($3 - $2) * 1000}' | sort -n
}
# split OUT: for each job, commit to its assigning pass's start and that
# start to the fetch, in ms, one job per line.
split() {
  local first
  first=$(awk 'NR == 1 || $1 < m {m = $1} END {print m + 0}' "$1/commits")  # this run's jobs only
  sql -At -F ' ' -c "SELECT job_id, extract(epoch FROM at) FROM ffrtmp_data.job_events WHERE to_state = 'assigned' AND job_id >= $first" |
    sort -k1,1 >"$1/assigned"
  join "$1/commits" "$1/assigned" | join - "$1/fetches" |
    awk '{printf "%.3f %.3f\n", ($3 - $2) * 1000, ($4 - $3) * 1000}' >"$1/split"
}
pct() { awk -v p="$1" '{a[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print NR ? a[i] : "-"}' "$2"; }

declare -A col wait99 pass99
rows=""
: >"$data/all.ms"
echo "latency: $rate jobs/s for ${seconds}s ($submitters submitters), $nodes nodes x 16 slots, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  l=$(load)
  out=$data/$round
  mkdir -p "$out"
  r=$(sim --nodes "$nodes" --slots 16 --protocol batch --submitters "$submitters" --rate "$rate" --seconds "$seconds" --out "$out")
  latencies "$out" >"$out/ms"
  split "$out"
  wait_ms=$(cut -d' ' -f1 "$out/split" | sort -n | pct 50 /dev/stdin)
  pass_ms=$(cut -d' ' -f2 "$out/split" | sort -n | pct 50 /dev/stdin)
  wait99[$round]=$(cut -d' ' -f1 "$out/split" | sort -n | pct 99 /dev/stdin)
  pass99[$round]=$(cut -d' ' -f2 "$out/split" | sort -n | pct 99 /dev/stdin)
  split50="${split50:-} $wait_ms" split50b="${split50b:-} $pass_ms"
  cat "$out/ms" >>"$data/all.ms"
  # The rate reached: the jobs over the span of their commits.
  reached=$(awk 'NR == 1 {a = $2; b = $2} $2 < a {a = $2} $2 > b {b = $2}
    END {printf "%.0f", (b > a) ? (NR - 1) / (b - a) : NR}' "$out/commits")
  got="${got:-} $reached"
  cells=("$round" "$l" "$(wc -l <"$out/ms")" "$reached")
  for p in 50 90 99 100; do
    v=$(pct "$p" "$out/ms")
    col[$p]="${col[$p]:-} $v"
    cells+=("$v")
  done
  cells+=("$wait_ms" "$pass_ms")
  echo "round $round (load $l): ${cells[*]:2} (jobs, jobs/s, p50 p90 p99 max ms; p50 to the pass, p50 pass to fetch); $(field sim_cpu_share "$r") simulator CPU share"
  rows="$rows$(table_row "${cells[@]}")"$'\n'
done
p50=$(median "${col[50]}") p99=$(median "${col[99]}")
at="at $(median "$got") jobs/s reached ($rate asked)"
goal latency-p50 "$p50 ms $at" "$(verdict "$p50" "<" 5)"
goal latency-p99 "$p99 ms $at" "$(verdict "$p99" "<" 20)"
sort -n "$data/all.ms" | awk '{a[NR] = $1} END {for (i = 1; i <= NR; i++) print a[i], i / NR}' >"$data/cdf.dat"

{
  echo "## Latency"
  echo
  echo "submit_job at a steady $rate jobs/s over 10 tenants ($submitters paced submitters; one behind the pace submits as"
  echo "fast as its calls commit: \"jobs/s submitted\" is the rate reached), $nodes simulated nodes x 16"
  echo "slots; the time from submit_job's commit to the node's fetch_assigned returning the job, in ms (one"
  echo "clock). $rounds runs of ${seconds} s."
  echo
  table_row "" p50 p90 p99 max
  table_row --- ---: ---: ---: ---:
  table_row "median of the runs (ms)" "$(median "${col[50]}")" "$(median "${col[90]}")" "$(median "${col[99]}")" "$(median "${col[100]}")"
  echo
  echo "Goal: p99 under 20 ms, p50 under 5 ms. Where the time goes: each job's latency split at the"
  echo "start of the pass that assigned it (its job_events row), into the wait for that pass and the pass"
  echo "itself with its commit, the notification and the node's fetch (medians of each part)."
  echo
  table_row run load jobs "jobs/s submitted" "p50 ms" "p90 ms" "p99 ms" "max ms" "p50 to the pass" "p50 pass to fetch"
  table_row --- --- ---: ---: ---: ---: ---: ---: ---: ---:
  printf '%s' "$rows"
} >"$OUT/latency.md"

# The latency part of RESULTS.md's "What bounds it".
ms() { awk -v v="$1" 'BEGIN {printf "%.1f", v}'; }
{
  echo "### Latency"
  echo
  echo "At $(median "$got") jobs/s the median job waited $(ms "$(median "$split50")") ms from its commit to the start of the pass that"
  echo "assigned it, and $(ms "$(median "$split50b")") ms from that start to the node's fetch (the pass, its commit, the"
  echo "notification and the fetch); at p99 $(ms "$(median "${wait99[*]}")") and $(ms "$(median "${pass99[*]}")") ms (medians over the runs)."
  echo "The first part is the wait for a pass to start: the scheduler runs one pass at a time, so a job"
  echo "committed while a pass runs is assigned by a later one; the second is the pass itself, which costs"
  echo "more the more it assigns and the busier the machine (the drain's profile above shows the scheduler's"
  echo "busy share and the statements it runs)."
} >"$OUT/latency.bounds"
