#!/usr/bin/env bash
# Runs every test layer of ffrtmp and ends with one line: "N passed, N failed".
#
#   pg_regress   test/sql/*.sql against expected/*.out   (SQL surface, errors)
#   isolation    test/specs/*.spec                       (races: quotas at the limit)
#   pgTAP        test/pgtap/*.sql with pg_prove          (behaviour and break-in tables)
#   Perl TAP     test/t/*.pl with PostgreSQL::Test::Cluster (server-level behaviour)
#
# Run as root on Debian 12 (installs its packages), or as a user who already has
# them installed and may write PostgreSQL's extension directory.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"

if [ "$(id -u)" -eq 0 ]; then
  "$repo/scripts/install-deps.sh" || exit 1
fi
build_and_install "$repo" || { echo "build failed"; exit 1; }

# PostgreSQL runs as postgres, which cannot write the (root-owned) checkout:
# the tests run from a copy.
work=$(mktemp -d /tmp/ffrtmp-test.XXXXXX)
cp -r "$repo/test" "$repo/expected" "$work/"
chown -R postgres "$work" 2>/dev/null || true
cd "$work"
trap 'stop_cluster "$work/pgtap"' EXIT

passed=0
failed=0
count() {  # count LAYER OUTPUT_FILE PASS_REGEX FAIL_REGEX
  local p f
  p=$(grep -cE "$3" "$2" || true)
  f=$(grep -cE "$4" "$2" || true)
  echo "== $1: $p passed, $f failed"
  passed=$((passed + p))
  failed=$((failed + f))
}

echo "== pg_regress"
regress_tests=$(cd test/sql && ls *.sql | sed 's/\.sql$//')
as_postgres "$PGXS_DIR/src/test/regress/pg_regress" --bindir="$PGBIN" \
  --inputdir=test --outputdir=. --temp-instance=./tmp_check --temp-config=test/ffrtmp.conf \
  --port=55432 --dbname=ffrtmp_regress $regress_tests 2>&1 | tee regress.log
count pg_regress regress.log '^(ok|test) .* \.\.\. ok' '\.\.\. FAILED'
[ -f regression.diffs ] && cat regression.diffs

echo "== isolation"
specs=$(cd test/specs && ls *.spec | sed 's/\.spec$//')
as_postgres "$PGXS_DIR/src/test/isolation/pg_isolation_regress" --bindir="$PGBIN" \
  --inputdir=test --outputdir=. --temp-instance=./tmp_check_iso --temp-config=test/ffrtmp.conf \
  --port=55433 --dbname=ffrtmp_isolation $specs 2>&1 | tee isolation.log
count isolation isolation.log '^(ok|test) .* \.\.\. ok' '\.\.\. FAILED'
[ -f regression.diffs ] && cat regression.diffs

echo "== pgTAP"
start_cluster "$work/pgtap" 55434
as_postgres createdb -h "$work/pgtap" -p 55434 ffrtmp_tap
as_postgres psql -q -h "$work/pgtap" -p 55434 -d ffrtmp_tap \
  -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION ffrtmp"
as_postgres pg_prove --verbose -h "$work/pgtap" -p 55434 -d ffrtmp_tap test/pgtap/*.sql 2>&1 | tee pgtap.log
count pgTAP pgtap.log '^ok [0-9]+' '^not ok [0-9]+'
stop_cluster "$work/pgtap"

echo "== Perl TAP"
as_postgres env PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
  prove --verbose -I "$PGXS_DIR/src/test/perl" test/t/ 2>&1 | tee perltap.log
count "Perl TAP" perltap.log '^ok [0-9]+' '^not ok [0-9]+'

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
