#!/usr/bin/env bash
# Profile: one extra drain round, not counted in drain.sh's ratios, that
# shows what bounds the drain: ffrtmp's nodes with the batched calls
# (NODES x 16 slots, PROFILE_JOBS jobs, JOBS / 2 by default: the amounts
# per job do not depend on the size) and the peers
# (PROFILE_PEERS, "pg-boss graphile"), each alone on the cluster, while
# bench/sim's ffrtmp-sample reads pg_stat_activity every 10 ms (and, for
# ffrtmp, pg_locks of the start_jobs statements every PROFILE_LOCKS_EVERY
# samples: 10, or 1 in a quick run).  Per job:
# WAL bytes, records and full-page images (pg_stat_wal), rows inserted,
# updated (HOT share) and deleted in every table (pg_stat_user_tables), the
# WAL of each relation (pg_waldump over the round, kept by a replication
# slot); the client backends' time by wait event; the share of the time
# the other backends (the scheduler's pass) were busy.  For this round only
# the cluster is restarted with pg_stat_statements loaded (track = all), and
# the statements that took the most time in ffrtmp's round are listed; it is
# restarted without it afterwards.  Writes $OUT/profile.md, the drain part of
# RESULTS.md's "What bounds it".  Run by bench/run after drain.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
. "$repo/bench/profile_lib.sh"
attach

jobs=${PROFILE_JOBS:-$(( ${JOBS:-20000} / 2 ))}
nodes=${NODES:-100}
peers=${PROFILE_PEERS:-"pg-boss graphile"}
data=$prof_data

restart() { as_postgres pg_ctl -D "$dir/data" -l "$dir/server.log" -w restart >/dev/null; }
statements=0
if [ -f "$(pg_config --sharedir)/extension/pg_stat_statements.control" ]; then
  statements=1
  sql -q -c "ALTER SYSTEM SET shared_preload_libraries = 'ffrtmp', 'pg_stat_statements'"
  restart
  sql -q -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" \
    -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
fi

echo "profile: $jobs jobs, ffrtmp $nodes nodes x 16 slots (batched calls), $peers"
sql -q -c "VACUUM (ANALYZE)"
[ "$statements" = 1 ] && sql -q -o /dev/null -c "SELECT pg_stat_statements_reset()"
prof_start ffrtmp start_jobs
r=$(sim --nodes "$nodes" --slots 16 --jobs "$jobs" --protocol batch --out "$(mkdir -p "$data/sim" && echo "$data/sim")")
prof_stop ffrtmp "$jobs"
echo "ffrtmp-16b: $(field jobs_per_s "$r") jobs/s (load $(load))"
if [ "$statements" = 1 ]; then
  sql -At -F $'\t' >"$data/ffrtmp.statements" <<'SQL'
WITH s AS (SELECT *, sum(total_exec_time) FILTER (WHERE toplevel) OVER () AS top_total
             FROM pg_stat_statements)
SELECT replace(left(regexp_replace(query, '\s+', ' ', 'g'), 90), '|', '\|'),
       CASE WHEN toplevel THEN 'top' ELSE 'nested' END, calls, round(total_exec_time),
       round(mean_exec_time::numeric, 2), round(100 * total_exec_time / nullif(top_total, 0))
  FROM s ORDER BY total_exec_time DESC LIMIT 10
SQL
fi
declare -A rate=([ffrtmp]=$(field jobs_per_s "$r"))
for p in $peers; do
  sql -q -c "VACUUM (ANALYZE)"
  prof_start "$p"
  case $p in
    pg-boss) r=$(peer pg-boss "$jobs" 8 200) ;;
    graphile) r=$(peer graphile "$jobs" 16) ;;
  esac
  prof_stop "$p" "$jobs"
  rate[$p]=$(field jobs_per_s "$r")
  echo "$p: ${rate[$p]} jobs/s (load $(load))"
done

if [ "$statements" = 1 ]; then
  sql -q -c "DROP EXTENSION pg_stat_statements" -c "ALTER SYSTEM RESET ALL"
  restart
fi

titles=("ffrtmp=ffrtmp-16b")
for p in $peers; do titles+=("$p=$p"); done
{
  echo "### Drain"
  echo
  echo "One extra drain round of $jobs jobs, not counted in the ratios above: ffrtmp with $nodes nodes x 16 slots"
  echo "and the batched calls, then $(echo "$peers" | sed 's/ /, /g'), each alone, while a sampler read"
  echo "pg_stat_activity every 10 ms (bench/sim/ffrtmp_sample.c). Rates in this round: ffrtmp-16b ${rate[ffrtmp]},"
  echo "$(for p in $peers; do printf '%s %s, ' "$p" "${rate[$p]}"; done | sed 's/, $//') jobs/s (the sampler and pg_stat_statements cost a little). A peer's"
  echo "round includes its set-up (its schema, pg-boss's queue table: the catalogs' rows below), spread over the jobs."
  echo "Per job (rows: all tables; WAL: pg_stat_wal; locks: the start_jobs statements' relation locks in pg_locks):"
  echo
  prof_table job "${titles[@]}"
  echo
  for p in $peers; do
    echo "ffrtmp-16b wrote $(ratio "$(prof_metric ffrtmp "WAL bytes")" "$(prof_metric "$p" "WAL bytes")")x the WAL per job of $p,"\
      "in $(ratio "$(prof_metric ffrtmp "WAL records")" "$(prof_metric "$p" "WAL records")")x the records."
  done
  echo
  echo "Where the client backends' time in statements and transactions went (share of the samples"
  echo "of backends in a statement or an open transaction; CPU = in a statement, waiting on nothing):"
  echo
  prof_waits ffrtmp ffrtmp-16b
  for p in $peers; do prof_waits "$p" "$p"; done
  echo
  echo "What would lift each, from the waits that took at least a tenth of its time:"
  echo
  prof_lifts ffrtmp ffrtmp-16b
  for p in $peers; do prof_lifts "$p" "$p"; done
  echo
  echo "WAL bytes per job by table, with its indexes and TOAST (pg_waldump over the round; what ffrtmp writes"
  echo "that the peers do not):"
  echo
  prof_by_table ffrtmp ffrtmp-16b
  for p in $peers; do prof_by_table "$p" "$p"; done
  echo
  echo "WAL per job by relation (a record counted for the first block it touches), with the"
  echo "rows written per job (inserted / updated / of them HOT / deleted):"
  for t in "${titles[@]}"; do
    echo
    echo "${t#*=}:"
    echo
    prof_relations "${t%%=*}"
  done
  if [ "$statements" = 1 ]; then
    echo
    echo "The statements that took the most time in ffrtmp's round (pg_stat_statements, loaded for this"
    echo "round only; nested = run inside a function or the scheduler's pass; share of all top-level time):"
    echo
    table_row statement level calls "total ms" "mean ms" "share %"
    table_row --- --- ---: ---: ---: ---:
    while IFS=$'\t' read -r q lvl calls total mean share; do
      table_row "\`$q\`" "$lvl" "$calls" "$total" "$mean" "$share"
    done <"$data/ffrtmp.statements"
  fi
} >"$OUT/profile.md"
