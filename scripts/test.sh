#!/usr/bin/env bash
# Runs every test layer of ffrtmp and ends with one line: "N passed, N failed".
#
#   pg_regress   test/sql/*.sql against expected/*.out   (SQL surface, errors)
#   isolation    test/specs/*.spec                       (races: quotas at the limit)
#   pgTAP        test/pgtap/*.sql with pg_prove          (behaviour and break-in tables)
#   Perl TAP     test/t/*.pl with PostgreSQL::Test::Cluster (server-level behaviour,
#                and the worker end to end: ffmpeg/ffprobe, nginx RTMP, test/perl helpers)
#   C unit       src/worker/tests (the worker daemon's parts), and
#                test/build: the extension built and installed alone
#   media        test/media/*.pl: real-world inputs made with the ffmpeg command
#                line, through the worker's engine, checked with ffprobe and
#                by decoding them whole (no database)
#   ha           test/t/095-096: failover of a Patroni cluster (etcd and three
#                members on loopback) under workers and submits; about a
#                minute, also run alone by `make check-ha`
#   packages     test/t/097_debian_packages.pl, last, as root: builds the Debian
#                packages, INSTALLS them on this machine (the system's
#                PostgreSQL 15 and /usr/bin) and runs the demo on them
#
# Run as root on Debian 12 (installs its packages), or as a user who already has
# them installed and may write PostgreSQL's extension directory.
#
# While developing, name layers to run only those (unit, media, regress,
# isolation, pgtap, tap, ha, packages), and narrow each layer to some of its files: globs
# for the media, pgTAP and Perl TAP files, names (space-separated, no
# extension) for the pg_regress files and isolation specs.  Every file of
# every layer sets up its own fixtures, so any one runs alone:
#   scripts/test.sh tap TAP_TESTS='test/t/009_*.pl'
#   scripts/test.sh media MEDIA_TESTS='test/media/02_*.pl'
#   scripts/test.sh ha HA_TESTS='test/t/095_*.pl'
#   scripts/test.sh pgtap PGTAP_TESTS='test/pgtap/03_*.sql'
#   scripts/test.sh regress REGRESS_TESTS='03_jobs 20_tenant_context'
#   scripts/test.sh isolation ISOLATION_TESTS='quota_race'
#
# It installs the extension into the PostgreSQL that PG_CONFIG names (the
# system's by default, shared by every checkout on the machine): to run
# several checkouts' tests at once, give each a copy made by scripts/pg-copy:
#   scripts/pg-copy DIR
#   PG_CONFIG=DIR/usr/lib/postgresql/15/bin/pg_config scripts/test.sh ...
set -uo pipefail
layers=" unit media regress isolation pgtap tap ha packages "
tap_tests='test/t/*.pl'
# The high-availability tests are a layer of their own (ha), not part of tap's
# default set.
ha_tests='test/t/09[56]_*.pl'
media_tests='test/media/*.pl'
pgtap_tests='test/pgtap/*.sql'
regress_tests=$(cd "$(dirname "$0")/../test/sql" && ls *.sql | sed 's/\.sql$//')
isolation_tests=$(cd "$(dirname "$0")/../test/specs" && ls *.spec | sed 's/\.spec$//')
chosen=""
for arg in "$@"; do
  case "$arg" in
    TAP_TESTS=*) tap_tests=${arg#TAP_TESTS=} ;;
    HA_TESTS=*) ha_tests=${arg#HA_TESTS=} ;;
    PGTAP_TESTS=*) pgtap_tests=${arg#PGTAP_TESTS=} ;;
    MEDIA_TESTS=*) media_tests=${arg#MEDIA_TESTS=} ;;
    REGRESS_TESTS=*) regress_tests=${arg#REGRESS_TESTS=} ;;
    ISOLATION_TESTS=*) isolation_tests=${arg#ISOLATION_TESTS=} ;;
    unit|media|regress|isolation|pgtap|tap|ha|packages) chosen="$chosen $arg " ;;
    *) echo "test.sh: unknown argument '$arg' (layers: $layers)" >&2; exit 2 ;;
  esac
done
[ -n "$chosen" ] && layers=$chosen
want() { case "$layers" in *" $1 "*) return 0 ;; esac; return 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
portable_locale

# A full run installs the packages; a run of chosen layers is a developer's
# rerun on a machine that has them.
if [ "$(id -u)" -eq 0 ] && [ -z "$chosen" ]; then
  "$repo/scripts/install-deps.sh" || exit 1
fi
# A full run tests every piece: a TAP test that misses a tool or file
# fails instead of skipping (test/perl/FfrtmpNeed.pm).
if [ -z "$chosen" ]; then
  export FFRTMP_TEST_FULL=1
fi
build_and_install "$repo" || { echo "build failed"; exit 1; }

# PostgreSQL runs as postgres, which cannot write the (root-owned) checkout:
# the tests run from a copy.
work=$(mktemp -d /tmp/ffrtmp-test.XXXXXX)
cp -r "$repo/test" "$repo/expected" "$repo/scripts" "$work/"
# The docs, for test/t/028_docs.pl, with the list of the checkout's files that
# their links to sources are checked against.
cp -r "$repo/README.md" "$repo/CHANGELOG.md" "$repo/docs" "$work/"
# The deployment files, for the nginx and PostgREST tests (test/t/052-053).
cp -r "$repo/deploy" "$work/"
# The benchmarks, for test/t/100_bench_smoke.pl (with the peers' npm
# packages when a bench run installed them).
cp -r "$repo/bench" "$work/"
(cd "$repo" && find . -path ./.git -prune -o -type f -print) >"$work/source-files"
# The extension's C sources, for test/t/027_protocol.pl, which checks that
# every SQLSTATE they raise is in the contract's table.
mkdir -p "$work/src/common"
cp "$repo"/src/*.c "$repo"/src/*.h "$work/src/"
cp "$repo"/src/common/*.c "$repo"/src/common/*.h "$work/src/common/"
# ffrtmp-worker and ffrtmp-transcode go with them, for the end-to-end tests
# (test/t/005-007), which find them through FFRTMP_WORKER and FFRTMP_TRANSCODE;
# ffrtmp-webhooks, for test/t/038_webhooks.pl (FFRTMP_WEBHOOKS); the
# command-line client ffrtmp with its bash completion and man page, for
# test/t/07x_cli_*.pl and 080_cli_import.pl (FFRTMP_CLI).
mkdir -p "$work/bin"
cp "$repo/src/worker/ffrtmp-worker" "$repo/src/worker/ffrtmp-transcode" "$repo/src/webhooks/ffrtmp-webhooks" \
  "$repo/src/cli/ffrtmp" "$repo/src/cli/ffrtmp.bash-completion" "$repo/src/cli/ffrtmp.1" "$work/bin/"
# The worker's systemd unit beside it, for test/t/092_worker_unit.pl.
cp "$repo/src/worker/ffrtmp-worker.service" "$work/bin/"
chown -R postgres "$work" 2>/dev/null || true
cd "$work"
# The copy holds every cluster and log of the run (about 400 MB): removed when
# the run passes, kept for reading when it fails.  A run that reaches its
# summary says so before it, so that the summary stays the last line.
run_passed() { [ "${failed:-1}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]; }
say_kept() { echo "test.sh: logs and data directories kept in $work"; }
finish() {
  stop_cluster "$work/pgtap"
  cd /
  if run_passed; then
    rm -rf "$work"
  elif [ -z "${summarised:-}" ]; then
    say_kept
  fi
}
trap finish EXIT

passed=0
failed=0
# run_layer NAME PASS_REGEX FAIL_REGEX COMMAND...: runs one layer, counts its
# passes and failures from its output, and counts a layer that fails without
# reporting a failed test (it could not start, say) as one failure.
run_layer() {
  local name=$1 pass_re=$2 fail_re=$3 log p f t rc todo_note
  shift 3
  log="$work/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '_').log"
  echo "== $name"
  # Shown as it runs (the Perl TAP layer takes minutes), and kept for counting.
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(grep -cE "$pass_re" "$log" 2>/dev/null); p=${p:-0}
  # A TAP test marked TODO (a known fault, described in the test) that fails
  # is expected to: counted apart, not as a failure.
  f=$(grep -E "$fail_re" "$log" 2>/dev/null | grep -cv ' # TODO'); f=${f:-0}
  t=$(grep -E "$fail_re" "$log" 2>/dev/null | grep -c ' # TODO'); t=${t:-0}
  if [ ! -s "$log" ]; then
    echo "!! $name left no output"
    f=$((f + 1))
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "!! $name exited with status $rc without reporting a failed test"
    f=1
  fi
  [ -f regression.diffs ] && cat regression.diffs && rm -f regression.diffs
  todo_note=""
  [ "$t" -gt 0 ] && todo_note=" ($t failing as TODO)"
  echo "== $name: $p passed, $f failed$todo_note"
  passed=$((passed + p))
  failed=$((failed + f))
}

want unit && run_layer "C unit" '^ok - ' '^not ok - ' make -s -C "$repo/src/worker" check
want unit && run_layer "C unit (webhooks)" '^ok - ' '^not ok - ' make -s -C "$repo/src/webhooks" check
want unit && run_layer "C unit (cli)" '^ok - ' '^not ok - ' make -s -C "$repo/src/cli" check
# The extension alone, as a database host builds it (docs/building.md).
want unit && run_layer "build" '^ok - ' '^not ok - ' bash "$repo/test/build/extension_alone.sh"

want media && run_layer media '^ok [0-9]+' '^not ok [0-9]+' \
  as_postgres env FFRTMP_TRANSCODE="$work/bin/ffrtmp-transcode" \
    prove --verbose --ext .pl -I test/perl $media_tests

want regress && run_layer pg_regress '\.\.\. ok' '\.\.\. FAILED' \
  as_postgres "$PGXS_DIR/src/test/regress/pg_regress" --bindir="$PGBIN" \
    --inputdir=test --outputdir=. --temp-instance=./tmp_check --temp-config=test/ffrtmp.conf \
    --port=55432 --encoding=UTF8 --no-locale --dbname=ffrtmp_regress $regress_tests

want isolation && run_layer isolation '\.\.\. ok' '\.\.\. FAILED' \
  as_postgres "$PGXS_DIR/src/test/isolation/pg_isolation_regress" --bindir="$PGBIN" \
    --inputdir=test --outputdir=. --temp-instance=./tmp_check_iso --temp-config=test/ffrtmp_isolation.conf \
    --port=55433 --encoding=UTF8 --no-locale --dbname=ffrtmp_isolation $isolation_tests

if want pgtap; then
  # The pgTAP files dispatch by hand inside their own transactions: no
  # scheduler runs (with one, ffrtmp.dispatch() would ask the leader, which
  # cannot see their uncommitted jobs).
  start_cluster "$work/pgtap" 55434 "ffrtmp.database = 'ffrtmp_tap'" "ffrtmp.schedulers = 0" \
    "ffrtmp.network_allow = '127.0.0.0/8, ::1'"
  as_postgres createdb -h "$work/pgtap" -p 55434 ffrtmp_tap
  as_postgres psql -q -h "$work/pgtap" -p 55434 -d ffrtmp_tap \
    -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION ffrtmp"
  run_layer pgTAP '^ok [0-9]+' '^not ok [0-9]+' \
    as_postgres pg_prove --verbose -h "$work/pgtap" -p 55434 -d ffrtmp_tap $pgtap_tests
  stop_cluster "$work/pgtap"
fi

# prove_tap FILES...: the Perl TAP files, with the programs they drive.
prove_tap() {
  as_postgres env PG_REGRESS="$PGXS_DIR/src/test/regress/pg_regress" \
    FFRTMP_WORKER="$work/bin/ffrtmp-worker" FFRTMP_TRANSCODE="$work/bin/ffrtmp-transcode" \
    FFRTMP_WEBHOOKS="$work/bin/ffrtmp-webhooks" FFRTMP_CLI="$work/bin/ffrtmp" \
    prove --verbose --ext .pl -I "$PGXS_DIR/src/test/perl" -I test/perl "$@"
}
if want tap; then
  tap_files=$(for f in $tap_tests; do
    case "$f" in test/t/09[56]_*) [ "$tap_tests" = 'test/t/*.pl' ] && continue ;; esac
    echo "$f"
  done)
  run_layer "Perl TAP" '^ok [0-9]+' '^not ok [0-9]+' prove_tap $tap_files
fi

want ha && run_layer "HA (Patroni)" '^ok [0-9]+' '^not ok [0-9]+' prove_tap $ha_tests

# Last: it installs the packages into the system (they stay installed), so
# that no layer above runs on them by mistake.  Root only (apt-get).
want packages && run_layer packages '^ok [0-9]+' '^not ok [0-9]+' \
  env FFRTMP_TEST_PACKAGES=1 FFRTMP_SOURCE="$repo" \
    prove --verbose --ext .pl -I test/perl test/t/097_debian_packages.pl

echo
run_passed || say_kept
summarised=yes
echo "$passed passed, $failed failed"
run_passed
