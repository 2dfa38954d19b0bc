#!/usr/bin/env bash
# Submit: the cost of queueing a job against writing a row as wide.
#  - pgbench (CLIENTS=8 clients, 2 threads, DURATION s per run, ROUNDS
#    interleaved rounds): plain_insert (bench/plain_insert.sql), submit_job
#    over 10 tenants (bench/submit_job.sql), submit_job with every client on
#    one tenant (bench/submit_one_tenant.sql);
#  - batches: BATCHES batches of 1,000 jobs through submit_jobs against
#    BATCHES COPYs of 1,000 such rows, one client each, interleaved;
#  - once, for the chart: plain_insert and submit_job against the number of
#    clients (CLIENTS_SWEEP, SWEEP_DURATION s each).
# Run by bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
. "$repo/bench/profile_lib.sh"
attach

rounds=${ROUNDS:-3}
duration=${DURATION:-10}
clients=${CLIENTS:-8}
threads=2
batches=${BATCHES:-20}
sweep=${CLIENTS_SWEEP:-"1 4 8 16"}
data=$OUT/submit
mkdir -p "$data"

for w in plain_insert submit_job submit_one_tenant; do cp "$repo/bench/$w.sql" "$dir/$w.sql"; done
sql <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
CREATE TABLE IF NOT EXISTS bench.plain_jobs (LIKE ffrtmp_data.jobs INCLUDING DEFAULTS INCLUDING IDENTITY);
ALTER TABLE bench.plain_jobs DROP CONSTRAINT IF EXISTS plain_jobs_pkey;
ALTER TABLE bench.plain_jobs ADD CONSTRAINT plain_jobs_pkey PRIMARY KEY (id);
SQL

# The batch scripts: the same 1,000 jobs as a submit_jobs array and as COPY rows.
input='testsrc://1280x720@30?duration=10'
thousand() { awk -v s="$1" 'BEGIN {for (i = 0; i < 1000; i++) print s}'; }  # (yes | head fails under pipefail)
{
  for b in $(seq 1 "$batches"); do
    printf "SELECT count(*) FROM ffrtmp.submit_jobs('[%s]', tenant => 'bench-%d');\n" \
      "$(thousand "{\"input_url\": \"$input\"}" | paste -sd,)" $(( b % 10 + 1 ))
  done
} >"$dir/submit_jobs.sql"
{
  for b in $(seq 1 "$batches"); do
    echo "COPY bench.plain_jobs (tenant_id, seq, input_url, params, state_reason) FROM STDIN;"
    thousand "00000000-0000-0000-0000-000000000000	$b	$input	{}	submitted"
    echo '\.'
  done
} >"$dir/copy.sql"
chown postgres "$dir"/*.sql
batch_rate() {  # jobs/s of one psql -f FILE
  local t0 t1
  t0=$(date +%s.%N)
  sql -o /dev/null -f "$dir/$1.sql"
  t1=$(date +%s.%N)
  awk -v t0="$t0" -v t1="$t1" -v n="$batches" 'BEGIN {printf "%.0f", n * 1000 / (t1 - t0)}'
}

declare -A tps
rows=""
workloads=(plain_insert submit_job submit_one_tenant submit_jobs copy)
echo "submit: pgbench $clients clients, ${duration}s per run; $batches batches of 1,000; $rounds rounds"
for round in $(seq 1 "$rounds"); do
  sql -c "VACUUM (ANALYZE)"
  l=$(load)
  cells=("$round" "$l")
  for w in $(rotated "$round" "${workloads[@]}"); do
    sql -c "CHECKPOINT"
    case $w in
      submit_jobs | copy) t=$(batch_rate "$w") ;;
      *) t=$(printf %.0f "$(run "$w")") ;;
    esac
    tps[$w]="${tps[$w]:-} $t"
  done
  for w in "${workloads[@]}"; do cells+=("$(echo ${tps[$w]} | awk '{print $NF}')"); done
  echo "round $round (load $l): ${cells[*]:2} ($(echo "${workloads[@]}"))"
  rows="$rows$(table_row "${cells[@]}")"$'\n'
done

: >"$data/clients.dat"
duration=${SWEEP_DURATION:-5}
for c in $sweep; do
  clients=$c threads=$(( c < 2 ? 1 : 2 ))
  echo "$c $(run plain_insert) $(run submit_job)" >>"$data/clients.dat"
done
echo "clients sweep: $(tr '\n' ';' <"$data/clients.dat")"

# Profiled, once, not counted: plain INSERT, submit_job over 10 tenants and
# on one busy tenant, PROFILE_SECONDS (5) s each with the sampler
# (bench/profile_lib.sh): what each transaction writes and waits on.
clients=${CLIENTS:-8} threads=2 duration=${PROFILE_SECONDS:-5}
for w in plain_insert submit_job submit_one_tenant; do
  sql -q -c "CHECKPOINT"
  prof_start "$w"
  t=$(run "$w")
  prof_stop "$w" "$(awk -v t="$t" -v d="$duration" 'BEGIN {printf "%.0f", (t * d > 1 ? t * d : 1)}')"
  echo "profiled $w: $t tps"
done

duration=${DURATION:-10}
m() { median "${tps[$1]}"; }
ratio_of() { ratio "$(m "$1")" "$(m "$2")"; }
goal submit-job "$(ratio_of submit_job plain_insert) (per round $(per_round "${tps[submit_job]}" "${tps[plain_insert]}"))" \
  "$(verdict "$(ratio_of submit_job plain_insert)" ">=" 0.7)"
goal submit-one "$(ratio_of submit_one_tenant plain_insert) (per round $(per_round "${tps[submit_one_tenant]}" "${tps[plain_insert]}"))" \
  "$(verdict "$(ratio_of submit_one_tenant plain_insert)" ">=" 0.4)"
goal submit-jobs "$(ratio_of submit_jobs copy) (per round $(per_round "${tps[submit_jobs]}" "${tps[copy]}"))" \
  "$(verdict "$(ratio_of submit_jobs copy)" ">=" 0.5)"
{
  echo "## Submit"
  echo
  echo "pgbench, 8 clients, 2 threads, query mode simple, ${duration} s per run; batches: one psql client, $batches"
  echo "batches of 1,000 jobs (submit_jobs) or rows (COPY into a table with jobs' columns, defaults and primary"
  echo "key); $rounds interleaved rounds. Rates are transactions/s for pgbench, rows/s for batches."
  echo
  table_row workload "rate (median)" "ratio" "per-round ratio" goal
  table_row --- ---: ---: ---: ---
  table_row "plain INSERT" "$(m plain_insert)" 1.00 1.00 ""
  table_row "submit_job, 10 tenants" "$(m submit_job)" "$(ratio "$(m submit_job)" "$(m plain_insert)")" "$(per_round "${tps[submit_job]}" "${tps[plain_insert]}")" ">= 0.7"
  table_row "submit_job, 1 tenant" "$(m submit_one_tenant)" "$(ratio "$(m submit_one_tenant)" "$(m plain_insert)")" "$(per_round "${tps[submit_one_tenant]}" "${tps[plain_insert]}")" ">= 0.4"
  table_row "COPY, rows/s" "$(m copy)" 1.00 1.00 ""
  table_row "submit_jobs, jobs/s" "$(m submit_jobs)" "$(ratio "$(m submit_jobs)" "$(m copy)")" "$(per_round "${tps[submit_jobs]}" "${tps[copy]}")" ">= 0.5 of COPY"
  echo
  table_row round load "${workloads[@]}"
  table_row --- --- ---: ---: ---: ---: ---:
  printf '%s' "$rows"
} >"$OUT/submit.md"

# The submit part of RESULTS.md's "What bounds it".
share() { awk -F'\t' -v re="$2" '$2 ~ re {s += $1} END {printf "%.0f%%", 100 * s}' "$prof_data/$1.waits"; }
locks='^Lock:(transactionid|tuple)$' flush='^(LWLock:WALWrite|IO:WALSync|IO:WALWrite)$'
{
  echo "### Submit"
  echo
  echo "One more run of each pgbench workload, ${PROFILE_SECONDS:-5} s, $clients clients, not counted above, with the"
  echo "sampler; per transaction (one job):"
  echo
  prof_table transaction "plain_insert=plain INSERT" "submit_job=submit_job, 10 tenants" "submit_one_tenant=submit_job, 1 tenant"
  echo
  echo "Where the client backends' time went:"
  echo
  prof_waits plain_insert "plain INSERT"
  prof_waits submit_job "submit_job, 10 tenants"
  prof_waits submit_one_tenant "submit_job, 1 tenant"
  echo
  echo "Row locks (Lock transactionid and tuple: waiting for another transaction's row) took"
  echo "$(share submit_one_tenant "$locks") of the time with one tenant, $(share submit_job "$locks") with 10 and $(share plain_insert "$locks") for the plain INSERT;"
  echo "the commits' WAL flush (LWLock WALWrite, IO WALSync and WALWrite) $(share submit_one_tenant "$flush"), $(share submit_job "$flush") and"
  echo "$(share plain_insert "$flush"). Each submit updates its tenant's usage row and holds that row's lock until its"
  echo "commit's WAL flush is done: one busy tenant's submits commit one after the other, one flush each, while"
  echo "plain INSERTs share their flushes. What would lift each:"
  echo
  prof_lifts plain_insert "plain INSERT"
  prof_lifts submit_job "submit_job, 10 tenants"
  prof_lifts submit_one_tenant "submit_job, 1 tenant"
  echo
  echo "WAL bytes per job by table, with its indexes and TOAST:"
  echo
  prof_by_table plain_insert "plain INSERT"
  prof_by_table submit_job "submit_job, 10 tenants"
  prof_by_table submit_one_tenant "submit_job, 1 tenant"
  echo
  echo "WAL per job by relation:"
  for w in plain_insert submit_job submit_one_tenant; do
    echo
    echo "$w:"
    echo
    prof_relations "$w"
  done
} >"$OUT/submit.bounds"
