#!/usr/bin/env bash
# Scale: dispatch rate and submit latency with a shallow queue (about 1,000
# queued jobs) and with a deep one (SCALE_QUEUED queued over SCALE_TENANTS
# tenants), then the sizes of the tables and indexes after all the jobs the
# bench passed through them.
#     scale.sh [shallow | deep]     (both when not given)
# bench/run runs the shallow phase before submit.sh, whose submits are left
# queued, and the deep one after it (the deep queue takes them in).
#  - shallow: SCALE_JOBS (5,000) + 1,000 jobs queued over the tenants; NODES simulated
#    nodes x 16 slots finish SCALE_JOBS of them (timed: the dispatch rate);
#    then submit_job by one pgbench client for DURATION s (its latency).
#  - deep: the queue filled up to SCALE_QUEUED (submit_jobs batches, timed);
#    the same two measurements.
# The deep queue cannot be emptied quickly between runs, so the two are not
# interleaved: shallow first, then deep, once (the full size, 1,000,000 jobs,
# takes about 5 minutes of the run's 20 here).  Run by bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
attach

queued=${SCALE_QUEUED:-1000000}
tenants=${SCALE_TENANTS:-1000}
jobs=${SCALE_JOBS:-5000}
nodes=${NODES:-100}
duration=${DURATION:-10}
data=$OUT/scale
mkdir -p "$data"

phases=${1:-shallow deep}
# Tenants bench-11 .. bench-$tenants beside drain's bench-1 .. bench-10.
if [[ $phases == shallow* ]]; then
  sql -v tenants="$tenants" >/dev/null <<'SQL'
SELECT count(ffrtmp.create_tenant('bench-' || g, plan => 'enterprise')) FROM generate_series(11, :tenants) g;
SQL
fi
sed "s/random(1, 10)/random(1, $tenants)/" "$repo/bench/submit_job.sql" >"$dir/submit_scale.sql"
chown postgres "$dir/submit_scale.sql"
backlog() { sql -At -c "SELECT count(*) FROM ffrtmp_data.jobs WHERE state = 'queued'"; }
fill() {  # fill N: queue N more jobs over the tenants; prints jobs/s
  [ "$1" -gt 0 ] || { echo "-"; return; }
  field jobs_per_s "$(sim --nodes 0 --submitters 2 --tenants "$tenants" --jobs "$1" --out "$data")"
}

# per_job: the bytes of jobs and job_events (heap, indexes, TOAST) per job
# in jobs, and that count.
per_job() {
  sql -At -F ' ' -c "SELECT round((pg_total_relation_size('ffrtmp_data.jobs') + pg_total_relation_size('ffrtmp_data.job_events'))::numeric / greatest(count(*), 1)), count(*) FROM ffrtmp_data.jobs"
}
declare -A rate latency depth filled
for size in $phases; do
  if [ "$size" = shallow ]; then want=$(( jobs + 1000 )); else want=$queued; fi
  have=$(backlog)
  load_rate=$(fill $(( want > have ? want - have : 0 )))
  sql -c "VACUUM (ANALYZE)"
  depth[$size]=$(backlog)
  l=$(load)
  r=$(sim --nodes "$nodes" --slots 16 --protocol batch --submitters 0 --target "$jobs" --out "$data")
  rate[$size]=$(field jobs_per_s "$r")
  clients=1 threads=1
  tps=$(run submit_scale)
  latency[$size]=$(awk -v t="$tps" 'BEGIN {printf "%.2f", 1000 / t}')
  echo "$size: ${depth[$size]} queued (filled at $load_rate jobs/s), load $l: dispatch ${rate[$size]} jobs/s, submit_job ${latency[$size]} ms"
  echo "${depth[$size]} ${rate[$size]} ${latency[$size]} $load_rate" >"$data/$size.result"
done
[ -f "$data/deep.result" ] || exit 0  # the section once both phases ran
for size in shallow deep; do
  read -r depth[$size] rate[$size] latency[$size] filled[$size] <"$data/$size.result"
done

sizes() {
  table_row relation heap indexes "live rows" "dead rows" updates "HOT updates"
  table_row --- ---: ---: ---: ---: ---: ---:
  sql -At -c "SELECT format('| %s | %s | %s | %s | %s | %s | %s |', c.relname,
                 pg_size_pretty(pg_relation_size(c.oid)), pg_size_pretty(pg_indexes_size(c.oid)),
                 s.n_live_tup, s.n_dead_tup, s.n_tup_upd, s.n_tup_hot_upd)
            FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
           WHERE s.schemaname = 'ffrtmp_data'
           ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6"
}
read -r per_job passed <<<"$(per_job)"
dead=$(sql -At -c "SELECT round(n_dead_tup::numeric / greatest(n_live_tup, 1), 3) FROM pg_stat_user_tables WHERE relid = 'ffrtmp_data.jobs'::regclass")
dispatch=$(ratio "${rate[deep]}" "${rate[shallow]}") speed=$(ratio "${latency[shallow]}" "${latency[deep]}")
goal scale-dispatch "$dispatch (deep ${rate[deep]}, shallow ${rate[shallow]} jobs/s)" "$(verdict "$dispatch" ">=" 0.8)"
goal scale-submit "$speed (deep ${latency[deep]}, shallow ${latency[shallow]} ms a call)" "$(verdict "$speed" ">=" 0.8)"
# Sizes stable: no table of ffrtmp's with 10,000 rows or more holds more than
# a fifth of its live rows again in dead ones (what autovacuum and HOT keep
# down; a small, often updated table's share, usage's, swings with the
# minute between autovacuums); the bytes per job
# beside it.  (The bench queues 1,000,000 jobs but runs some 150,000 of
# them: the deep queue's jobs are never updated.)
read -r worst worst_dead < <(sql -At -F ' ' -c "SELECT relname, round(n_dead_tup::numeric / n_live_tup, 3) FROM pg_stat_user_tables WHERE schemaname = 'ffrtmp_data' AND n_live_tup >= 10000 ORDER BY n_dead_tup::numeric / n_live_tup DESC LIMIT 1") || true
finished=$(sql -At -c "SELECT count(*) FROM ffrtmp_data.jobs WHERE state <> 'queued'")
[ -n "${worst:-}" ] || worst="no table of 10,000 rows" worst_dead=0
goal scale-sizes "dead rows at most $worst_dead of live ($worst; jobs $dead); $per_job bytes per job (jobs, job_events) for $passed jobs, $finished of them run" \
  "$(verdict "${worst_dead:-0}" "<=" 0.2)"
{
  echo "## Scale"
  echo
  echo "$nodes simulated nodes x 16 slots finish $jobs queued jobs (dispatch rate); then submit_job by one"
  echo "pgbench client for $duration s over $tenants tenants (latency = 1 / tps). Shallow first, then deep, once"
  echo "(not interleaved: a deep queue cannot be emptied between rounds; the submit measurements ran between"
  echo "the two). The deep queue was filled with submit_jobs batches at ${filled[deep]} jobs/s."
  echo
  table_row queue "queued at the start" "dispatch jobs/s" "submit_job ms"
  table_row --- ---: ---: ---:
  table_row shallow "${depth[shallow]}" "${rate[shallow]}" "${latency[shallow]}"
  table_row "deep ($tenants tenants)" "${depth[deep]}" "${rate[deep]}" "${latency[deep]}"
  table_row "deep / shallow" "" "$(ratio "${rate[deep]}" "${rate[shallow]}")" "$(ratio "${latency[shallow]}" "${latency[deep]}") (speed)"
  echo
  echo "Goal: deep at least 0.8x shallow, both. Tables after the whole bench ($passed jobs in ffrtmp_data.jobs,"
  echo "$per_job bytes per job for jobs and job_events with their indexes and TOAST):"
  echo
  sizes
} >"$OUT/scale.md"
