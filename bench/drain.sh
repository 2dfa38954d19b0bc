#!/usr/bin/env bash
# Drain: JOBS no-op jobs submitted in batches of 1,000 and drained, timed
# from the first submit to the last job finished, side by side:
#   ffrtmp-16   ffrtmp, NODES simulated nodes x 16 slots (bench/sim: the
#               worker's calls, submit -> scheduler's assignment -> fetch ->
#               start_job -> finish_job), default settings, JOBS_SINGLE jobs
#               (JOBS / 4: its rate does not depend on the size, and at a
#               quarter of the others' rates a full JOBS took half the step)
#   ffrtmp-16b  the same with the batched worker calls (--protocol=batch:
#               one start_jobs and one finish_jobs per fetch)
#   pg-boss     8 work() loops x batches of 200, polling every 0.5 s
#   graphile    graphile-worker, concurrency 16 (LISTEN/NOTIFY)
#   ffrtmp-1    ffrtmp, NODES nodes x 1 slot, batched calls, JOBS_1SLOT jobs (paced by the
#               scheduler's 1 s timer: a full JOBS would take minutes)
# interleaved over ROUNDS rounds, a different one first each round, the load
# printed per round.  Then, once, ffrtmp-16b against the number of nodes
# (NODES_SWEEP, SWEEP_JOBS jobs each, JOBS / 2 by default: with the batched
# calls 2,000 jobs take about a second, too short for a rate) for the
# throughput chart.  Run by bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
attach

rounds=${ROUNDS:-3}
jobs=${JOBS:-20000}
jobs1=${JOBS_1SLOT:-2000}
jobs_single=${JOBS_SINGLE:-$(( jobs / 4 ))}
nodes=${NODES:-100}
sweep=${NODES_SWEEP:-"25 50 100"}
sweep_jobs=${SWEEP_JOBS:-$(( jobs / 2 ))}
data=$OUT/drain
mkdir -p "$data"

one() {  # one SYSTEM ROUND: runs it, prints its result line
  local out="$data/$1.$2"
  mkdir -p "$out"
  case $1 in
    ffrtmp-16) sim --nodes "$nodes" --slots 16 --jobs "$jobs_single" --out "$out" ;;
    ffrtmp-16b) sim --nodes "$nodes" --slots 16 --jobs "$jobs" --protocol batch --out "$out" ;;
    ffrtmp-1) sim --nodes "$nodes" --slots 1 --jobs "$jobs1" --protocol batch --out "$out" ;;
    pg-boss) peer pg-boss "$jobs" 8 200 ;;
    graphile) peer graphile "$jobs" 16 ;;
  esac
}

systems=(ffrtmp-16 ffrtmp-16b pg-boss graphile ffrtmp-1)
declare -A rate share again
rows=""
echo "drain: $jobs jobs ($jobs_single for ffrtmp-16, $jobs1 for ffrtmp-1), $nodes nodes, $rounds rounds"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  l=$(load)
  line="round $round (load $l):"
  cells=("$round" "$l")
  for s in $(rotated "$round" "${systems[@]}"); do
    r=$(one "$s" "$round")
    rate[$s]="${rate[$s]:-} $(field jobs_per_s "$r")"
    share[$s]="${share[$s]:-} $(field sim_cpu_share "$r")"
    again[$s]=$(( ${again[$s]:-0} + $(field retries "$r" | grep . || echo 0) ))
    line="$line  $s $(field jobs_per_s "$r")"
  done
  echo "$line"
  for s in "${systems[@]}"; do cells+=("$(echo ${rate[$s]} | awk '{print $NF}')"); done
  rows="$rows$(table_row "${cells[@]}")"$'\n'
done

m() { median "${rate[$1]}"; }
for s in "${systems[@]}"; do echo "$s $(m "$s")"; done >"$data/medians.dat"
{
  echo "## Drain"
  echo
  echo "$jobs no-op jobs submitted in batches of 1,000 over 10 tenants and drained, from the first"
  echo "submit to the last job finished ($jobs_single jobs for ffrtmp-16 with the single calls, $jobs1 for ffrtmp with 1 slot"
  echo "per node: their rates do not depend on the size, and the full size would take minutes); $rounds interleaved rounds."
  echo "ffrtmp: $nodes simulated nodes (bench/sim/ffrtmp_sim.c, one connection each, the worker's calls),"
  echo "default settings; ffrtmp-16b: the same nodes with the batched calls (start_jobs, finish_jobs per fetch)."
  echo "pg-boss: 8 work() loops x batch 200, polling every 0.5 s. graphile-worker: concurrency 16."
  echo
  table_row system "jobs/s (median)" "ffrtmp-16 / system" "per-round ratio" "ffrtmp-16b / system" \
    "per-round ratio" "client CPU share (median)"
  table_row --- ---: ---: ---: ---: ---: ---:
  for s in "${systems[@]}"; do
    table_row "$s" "$(printf %.0f "$(m "$s")")" "$(ratio "$(m ffrtmp-16)" "$(m "$s")")" \
      "$(per_round "${rate[ffrtmp-16]}" "${rate[$s]}")" "$(ratio "$(m ffrtmp-16b)" "$(m "$s")")" \
      "$(per_round "${rate[ffrtmp-16b]}" "${rate[$s]}")" "$(median "${share[$s]}")"
  done
  echo
  echo "Goal: ffrtmp-16 (or ffrtmp-16b) at least 2x pg-boss and 2x graphile-worker. The client CPU share is the CPU time"
  echo "of the simulator's processes (ffrtmp) or of the peer's Node.js process over the run's wall time and"
  echo "all CPUs (1.00 = the whole machine): well below 1, the clients are not what bounds the rate."
  echo "Worker calls made again after a transient refusal (55P03 after 1 s on a lock, 40P01, 40001), as the"
  echo "worker does, over all rounds: ffrtmp-16 ${again[ffrtmp-16]}, ffrtmp-16b ${again[ffrtmp-16b]}, ffrtmp-1 ${again[ffrtmp-1]}."
  echo
  echo "Per round (jobs/s; load = /proc/loadavg at the start of the round):"
  echo
  table_row round load "${systems[@]}"
  table_row --- --- ---: ---: ---: ---: ---:
  printf '%s' "$rows"
} >"$OUT/drain.md"

# The goals: the better of ffrtmp's two protocols against each peer.
for peer in pg-boss graphile; do
  single=$(ratio "$(m ffrtmp-16)" "$(m "$peer")") batched=$(ratio "$(m ffrtmp-16b)" "$(m "$peer")")
  best=$(printf '%s\n%s\n' "$single" "$batched" | sort -n | tail -n1)
  goal "drain-$peer" "ffrtmp-16b / $peer $batched (per round $(per_round "${rate[ffrtmp-16b]}" "${rate[$peer]}")), ffrtmp-16 $single" \
    "$(verdict "$best" ">=" 2)"
done

# Throughput against nodes, one run each, the batched calls as the worker
# makes them (chart data: nodes jobs/s).
: >"$data/nodes.dat"
for n in $sweep; do
  r=$(sim --nodes "$n" --slots 16 --jobs "$sweep_jobs" --protocol batch --out "$(mkdir -p "$data/nodes.$n" && echo "$data/nodes.$n")")
  echo "$n $(field jobs_per_s "$r")" >>"$data/nodes.dat"
  echo "nodes $n (load $(load)): $(field jobs_per_s "$r") jobs/s"
done
