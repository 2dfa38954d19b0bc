# Shared by the measurements of `make bench` (bench/run and the scripts it
# calls: drain.sh, latency.sh, submit.sh, scale.sh, transcode.sh; sourced
# after scripts/lib.sh and bench/lib.sh).  bench/run starts the one cluster
# and exports where it is; each measurement writes its raw data under $OUT
# and a Markdown section $OUT/<name>.md that bench/run puts into RESULTS.md.
#
#   attach               sets lib.sh's $dir and $bench_port from BENCH_DIR,
#                        BENCH_PORT (the cluster bench/run started)
#   dsn                  the libpq connection string of that cluster
#   load                 the machine's load averages (/proc/loadavg, 1 5 15 min)
#   sim ARGS...          bench/sim/ffrtmp-sim on that cluster; prints its line
#                        (a run past SIM_TIMEOUT, 300 s, says so and goes on)
#   peer SYSTEM ARGS...  bench/peers/drain.js on that cluster; prints its line
#   field NAME LINE      the value after NAME in a result line
#   ratio A B            A / B to two decimals
#   per_round A B        the median over rounds of A[i] / B[i] ("1 2" "3 4")
#   table_row CELLS...   one Markdown table row
#   goal KEY MEASURED VERDICT
#                        the measured value of one goal of RESULTS.md's
#                        Goals table (bench/run names the goals by KEY), into
#                        $OUT/goals.tsv; VERDICT met or short
#   verdict VALUE OP BOUND   "met" when VALUE OP BOUND holds (OP >= or <=,
#                        or < ), else "short"; "-" when VALUE is not a number

attach() { dir=$BENCH_DIR; bench_port=$BENCH_PORT; }

dsn() { echo "host=$BENCH_DIR port=$BENCH_PORT user=postgres dbname=postgres"; }

load() { cut -d' ' -f1-3 /proc/loadavg; }

sim() {
  "$repo/bench/sim/ffrtmp-sim" --dsn "$(dsn)" --timeout "${SIM_TIMEOUT:-300}" "$@" ||
    echo "ffrtmp-sim: not every job finished in time: the rate counts those that did" >&2
}

peer() {
  local system=$1
  shift
  node "$repo/bench/peers/drain.js" "$system" "$BENCH_DIR" "$BENCH_PORT" "$@"
}

field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {print $(i + 1); exit}}' <<<"$2"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

per_round() {
  local a=($1) b=($2) out="" i
  for i in "${!a[@]}"; do out="$out $(ratio "${a[$i]}" "${b[$i]}")"; done
  median "$out"
}

table_row() { printf '| %s ' "$@"; echo '|'; }

goal() { printf '%s\t%s\t%s\n' "$@" >>"$OUT/goals.tsv"; }

verdict() {
  awk -v v="$1" -v op="$2" -v b="$3" 'BEGIN {
    if (v !~ /^-?[0-9]+(\.[0-9]+)?$/) {print "-"; exit}
    ok = (op == ">=") ? v + 0 >= b + 0 : (op == "<=") ? v + 0 <= b + 0 : v + 0 < b + 0
    print ok ? "met" : "short"}'
}
