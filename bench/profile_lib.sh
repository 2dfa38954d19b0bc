# The profiled rounds of `make bench` (sourced by bench/profile.sh and
# bench/submit.sh after bench/harness.sh): what one run wrote and what its
# backends waited on, per unit of work (a job, a transaction).  Everything is
# read from the catalogs and statistics views and from the WAL itself, so it
# holds for ffrtmp and for the peers alike.
#
#   prof_start NAME [MATCH]  snapshots the counters, keeps the WAL from here
#                            (a replication slot) and starts bench/sim's
#                            ffrtmp-sample (pg_stat_activity every 10 ms;
#                            pg_locks of statements containing MATCH every
#                            PROFILE_LOCKS_EVERY samples: 10, or 1 in a quick
#                            run, whose short rounds would catch too few)
#   prof_stop NAME UNITS     stops the sampler, snapshots again, reads the WAL
#                            written since prof_start and writes NAME's
#                            metrics per unit into $prof_data:
#     NAME.metrics   key<TAB>value (WAL bytes, records, full-page images,
#                    rows, HOT share, lock counts, wait shares...)
#     NAME.waits     share<TAB>wait event of the client backends' time
#     NAME.others    share of samples<TAB>backend type<TAB>its top waits
#     NAME.relations WAL bytes per unit<TAB>relation<TAB>rows ins/upd/hot/del
#     NAME.tables    WAL bytes per unit<TAB>table (with its indexes and TOAST)
#   prof_metric NAME KEY     one value of NAME.metrics ("-" when absent)

prof_data=${prof_data:-$OUT/profile}
mkdir -p "$prof_data"

prof_counters() {  # FILE: the WAL position and counters, every table's rows
  sql -At -F $'\t' >"$1" <<'SQL'
SELECT 'lsn', pg_current_wal_lsn()::text, '', '', '', ''
UNION ALL
SELECT 'wal', wal_records::text, wal_fpi::text, wal_bytes::text, '', '' FROM pg_stat_wal
UNION ALL
SELECT 'table', format('%I.%I', schemaname, relname), n_tup_ins::text, n_tup_upd::text,
       n_tup_hot_upd::text, n_tup_del::text
  FROM pg_stat_user_tables
SQL
}

prof_start() {
  local name=$1 match=${2:-}
  sql -q -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'bench_profile'" >/dev/null
  sql -q -c "SELECT pg_create_physical_replication_slot('bench_profile', true)" >/dev/null
  prof_counters "$prof_data/$name.before"
  "$repo/bench/sim/ffrtmp-sample" --dsn "$(dsn)" --locks-every "${PROFILE_LOCKS_EVERY:-10}" \
    ${match:+--match "$match"} >"$prof_data/$name.samples" &
  prof_sampler=$!
}

# The WAL between two positions, per relation (a record counted for the first
# block it touches; records touching none, like commits, by resource manager):
# "bytes records full-page-images key" lines, key "rel/FILENODE" or "rmgr/NAME".
prof_wal() {
  "$(pg_config --bindir)/pg_waldump" -p "$dir/data/pg_wal" -s "$1" -e "$2" 2>/dev/null |
    awk '/^rmgr:/ {
           match($0, /rec\/tot\): *[0-9]+\/ *[0-9]+/); split(substr($0, RSTART, RLENGTH), a, "/")
           bytes = a[3] + 0
           if (match($0, /blkref #0: rel [0-9]+\/[0-9]+\/[0-9]+/)) {
             split(substr($0, RSTART, RLENGTH), r, "/"); key = "rel/" r[3]
           } else key = "rmgr/" $2
           b[key] += bytes; n[key]++; if (/FPW/) f[key]++
         }
         END {for (k in b) print b[k], n[k], f[k] + 0, k}'
}

prof_stop() {
  local name=$1 units=$2 f=$prof_data/$1
  kill -TERM "$prof_sampler" 2>/dev/null || true
  wait "$prof_sampler" || true
  sleep 1  # the backends' statistics reach the shared counters within a second
  prof_counters "$f.after"
  local lsn0 lsn1
  lsn0=$(awk -F'\t' '$1 == "lsn" {print $2}' "$f.before")
  lsn1=$(awk -F'\t' '$1 == "lsn" {print $2}' "$f.after")
  prof_wal "$lsn0" "$lsn1" >"$f.wal"
  sql -q -c "SELECT pg_drop_replication_slot('bench_profile')" >/dev/null
  sql -At -F $'\t' >"$f.names" <<'SQL'
SELECT pg_relation_filenode(c.oid), c.oid::regclass,
       coalesce(i.indrelid, t.oid, c.oid)::regclass  -- the table an index or TOAST table serves
  FROM pg_class c
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  LEFT JOIN pg_class t ON t.reltoastrelid = c.oid
 WHERE pg_relation_filenode(c.oid) IS NOT NULL
SQL

  # Rows written per unit, each table's changes, and WAL per relation.
  awk -F'\t' -v u="$units" '
    FILENAME ~ /before$/ && $1 == "table" {i0[$2] = $3; u0[$2] = $4; h0[$2] = $5; d0[$2] = $6}
    FILENAME ~ /after$/ && $1 == "table" {
      i = $3 - i0[$2]; up = $4 - u0[$2]; h = $5 - h0[$2]; d = $6 - d0[$2]
      if (i + up + d > 0) printf "%s\t%.2f\t%.2f\t%.2f\t%.2f\n", $2, i / u, up / u, h / u, d / u
    }' "$f.before" "$f.after" >"$f.rows"
  awk -v u="$units" -v tables="$f.tables" '
    FILENAME ~ /names$/ {split($0, a, "\t"); name[a[1]] = a[2]; table[a[2]] = a[3]; next}
    FILENAME ~ /rows$/ {split($0, a, "\t"); rows[a[1]] = a[2] " / " a[3] " / " a[4] " / " a[5]; next}
    {k = $4; if (k ~ /^rel\//) {k = substr(k, 5); k = (k in name) ? name[k] : "relfilenode " k}
     else k = "(" substr(k, 6) " records, no block)"
     t = (k in table) ? table[k] : k; by_table[t] += $1
     printf "%.0f\t%s\t%s\n", $1 / u, k, (k in rows) ? rows[k] : ""}
    END {for (t in by_table) printf "%.0f\t%s\n", by_table[t] / u, t > tables}' \
    "$f.names" "$f.rows" "$f.wal" | sort -t$'\t' -k1,1nr >"$f.relations"
  sort -t$'\t' -k1,1nr -o "$f.tables" "$f.tables"

  # The client backends' time by wait event; the other backends' busy share.
  awk -v out="$f" '
    $1 == "n" {samples = $2; seconds = $3}
    $1 == "w" && $3 == "client_backend" {k = $4 ":" $5; c[k] += $6; total += $6}
    $1 == "w" && $3 != "client_backend" {busy[$3] += $6; ev[$3 "\t" $4 ":" $5] += $6}
    END {
      for (k in c) printf "%.3f\t%s\n", c[k] / total, k > out ".waits"
      for (b in busy) {
        top = ""; best = 0
        for (e in ev) {split(e, p, "\t"); if (p[1] == b && ev[e] > best) {best = ev[e]; top = p[2]}}
        printf "%.3f\t%s\t%s %.0f%%\n", busy[b] / samples, b, top, 100 * best / busy[b] > out ".others"
      }
      printf "samples\t%d\nsampled seconds\t%.1f\nclient backends busy (mean)\t%.1f\n",
        samples, seconds, total / (samples ? samples : 1) > out ".sampled"
    }' "$f.samples"
  local nl locks off
  nl=$(grep -c '^l ' "$f.samples" || true)
  if [ "$nl" -gt 0 ]; then
    locks=$(awk '$1 == "l" {print $3}' "$f.samples" | sort -n)
    off=$(awk '$1 == "l" {print $4}' "$f.samples" | sort -n)
    printf 'relation locks per statement (median, max of %d samples)\t%s, %s\n' "$nl" \
      "$(median "$locks")" "$(tail -n1 <<<"$locks")" >>"$f.sampled"
    printf 'of them off the fast path (median, max)\t%s, %s\n' "$(median "$off")" "$(tail -n1 <<<"$off")" >>"$f.sampled"
  fi
  touch "$f.waits" "$f.others"
  sort -t$'\t' -k1,1nr -o "$f.waits" "$f.waits"
  sort -t$'\t' -k1,1nr -o "$f.others" "$f.others"

  # The metrics per unit.
  {
    awk -F'\t' -v u="$units" '
      FILENAME ~ /before$/ && $1 == "wal" {r0 = $2; f0 = $3; b0 = $4}
      FILENAME ~ /after$/ && $1 == "wal" {
        printf "WAL bytes\t%.0f\nWAL records\t%.1f\nfull-page images\t%.2f\n", ($4 - b0) / u, ($2 - r0) / u, ($3 - f0) / u}
      ' "$f.before" "$f.after"
    awk -F'\t' '{i += $2; up += $3; h += $4; d += $5}
      END {printf "rows inserted\t%.2f\nrows updated\t%.2f\nof them HOT\t%s\nrows deleted\t%.2f\n",
        i, up, (up > 0 ? sprintf("%.0f%%", 100 * h / up) : "-"), d}' "$f.rows"
    cat "$f.sampled"
  } >"$f.metrics"
}

prof_metric() { awk -F'\t' -v k="$2" '$1 == k {v = $2} END {print (v == "" ? "-" : v)}' "$prof_data/$1.metrics" 2>/dev/null || echo -; }

# Markdown: prof_table, the metrics of NAMES side by side (a column each);
# prof_waits, a run's top waits as a list item; prof_relations, a run's top
# relations by WAL as a table.
prof_table() {  # UNIT TITLES... (as "name=title")
  local unit=$1 cols=() names=() t
  shift
  for t in "$@"; do names+=("${t%%=*}"); cols+=("${t#*=}"); done
  table_row "per $unit" "${cols[@]}"
  table_row --- $(for _ in "${names[@]}"; do printf -- '---: '; done)
  cut -f1 "$prof_data/${names[0]}.metrics" | while IFS= read -r key; do
    local cells=("$key") n
    for n in "${names[@]}"; do cells+=("$(prof_metric "$n" "$key")"); done
    table_row "${cells[@]}"
  done
}

prof_waits() {  # NAME TITLE: the top waits as one line
  local line
  line=$(head -n "${PROF_TOP:-8}" "$prof_data/$1.waits" | awk -F'\t' '{printf "%s%s %.0f%%", (NR > 1 ? ", " : ""), $2, 100 * $1}')
  echo "- $2: ${line:-no samples}."
  if [ -s "$prof_data/$1.others" ]; then
    echo "  Other backends in a statement (share of the samples, top wait): $(awk -F'\t' '{printf "%s%s %.0f%% (%s)", (NR > 1 ? "; " : ""), $2, 100 * $1, $3}' "$prof_data/$1.others")."
  fi
}

prof_relations() {  # NAME: the relations with the most WAL per unit
  table_row relation "WAL bytes" "rows ins / upd / HOT / del"
  table_row --- ---: ---
  head -n "${PROF_TOP:-8}" "$prof_data/$1.relations" | while IFS=$'\t' read -r b rel rows; do
    table_row "$rel" "$b" "${rows:--}"
  done
}

prof_by_table() {  # NAME TITLE: the WAL per unit by table, as a list item
  echo "- $2: $(head -n "${PROF_TOP:-8}" "$prof_data/$1.tables" | awk -F'\t' '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')."
}

# What would lift a run bounded by its top waits: the field's usual remedies
# for each kind of wait, for the waits that took at least a tenth of the time.
prof_lift() {  # WAIT: "KIND<TAB>remedy" for one wait event
  case $1 in
    CPU:CPU) printf 'CPU\tless work per job: fewer statements, rows and index entries per job, or more cores\n' ;;
    LWLock:WALWrite | IO:WALSync | IO:WALWrite | LWLock:WALInsert)
      printf "the commits' WAL flush\tfewer commits per job (more jobs per transaction), less WAL per job, or group commit (commit_delay: the operator's setting)\n" ;;
    LWLock:BufferContent | IPC:BufferIO)
      printf 'hot pages\tbackends queue on the same heap or index pages: fewer index entries per job, or keys that spread the inserts\n' ;;
    LWLock:LockManager)
      printf 'the lock manager\ta transaction touching more than 16 relations takes the rest of its locks off the fast path: fewer relations (indexes, partitions) per transaction\n' ;;
    Lock:transactionid | Lock:tuple)
      printf 'row locks\ttransactions wait for the same rows, held until they commit: fewer shared rows per job (counters spread, or folded in later)\n' ;;
    Lock:extend | IO:DataFileExtend) printf 'relation extension\ttables growing page by page: fewer or smaller rows per job\n' ;;
    IO:DataFileImmediateSync) printf 'file syncs\ttables or indexes created during the run (a set-up cost)\n' ;;
    Client:InTransaction) printf 'the client\ttransactions left open between statements\n' ;;
  esac
}

prof_lifts() {  # NAME TITLE: one list item, the waits of each kind together
  local w line
  line=$(awk -F'\t' '$1 >= 0.1 {print $2}' "$prof_data/$1.waits" | while IFS= read -r w; do
      printf '%s\t%s\n' "$w" "$(prof_lift "$w")"
    done | awk -F'\t' 'NF == 3 {if (!($2 in waits)) {order[++n] = $2; remedy[$2] = $3; waits[$2] = $1} else waits[$2] = waits[$2] ", " $1}
      END {for (i = 1; i <= n; i++) printf "%s%s (%s): %s", (i > 1 ? "; " : ""), order[i], waits[order[i]], remedy[order[i]]}')
  [ -z "$line" ] || echo "- $2: $line."
}
