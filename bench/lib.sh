# Shared by the pgbench benchmarks of the SQL API, submit_job.sh and
# submit_jobs.sh (sourced, not run; scripts/lib.sh first): a private cluster
# with the extension and TENANTS tenants, and the pgbench runs compared
# across interleaved rounds.
#
#   bench_cluster PORT   builds and installs the extension (unless BUILD=0),
#                        starts a cluster in $dir (removed at exit) on PORT
#   sql ARGS...          psql as postgres on that cluster, stopping on errors
#   bench_tenants N      CREATE EXTENSION ffrtmp and tenants bench-1..bench-N
#                        on the enterprise plan
#   run WORKLOAD         pgbench with $dir/WORKLOAD.sql ($clients clients,
#                        $threads threads, $duration s, query mode $mode or
#                        simple); prints its tps, or fails with pgbench's output
#   rotated ROUND W...   the workloads W, starting from a different one each
#                        round, so that no workload always runs first
#   median "N N ..."     the median of the numbers

bench_cluster() {
  local port=$1
  if [ "${BUILD:-1}" = 1 ]; then
    echo "building and installing the extension..."
    # The extension alone: a benchmark needs neither the worker nor the CLI
    # (the transcode step builds its own ffrtmp-transcode in src/worker).
    make -C "$repo" -s WORKER=no PG_CONFIG="$PG_CONFIG" install >/dev/null
  fi
  dir=$(mktemp -d /tmp/ffrtmp-bench.XXXXXX)
  bench_port=$port
  cleanup() { stop_cluster "$dir"; rm -rf "$dir"; }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  start_cluster "$dir" "$port"
}

sql() { as_postgres psql -X -q -h "$dir" -p "$bench_port" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

bench_tenants() {
  sql -v tenants="$1" <<'SQL'
CREATE EXTENSION ffrtmp;
SELECT count(ffrtmp.create_tenant('bench-' || g, plan => 'enterprise'))
  FROM generate_series(1, :tenants) g \gset
SQL
}

run() {
  local out
  if ! out=$(as_postgres pgbench -h "$dir" -p "$bench_port" -U postgres -n -M "${mode:-simple}" \
      -c "$clients" -j "$threads" -T "$duration" -f "$dir/$1.sql" postgres 2>&1) \
      || ! grep -q '^tps = ' <<<"$out"; then
    echo "pgbench failed on $1:" >&2
    echo "$out" >&2
    return 1
  fi
  awk '/^tps = / {printf "%.2f\n", $3}' <<<"$out"
}

rotated() {
  local round=$1 i
  shift
  local w=("$@")
  for i in "${!w[@]}"; do echo "${w[$(( (i + round - 1) % ${#w[@]} ))]}"; done
}

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n |
  awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
