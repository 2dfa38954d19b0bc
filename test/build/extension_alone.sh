#!/usr/bin/env bash
# The extension builds and installs without the worker's dependencies, as on a
# database host, and the top-level make still builds everything.
#
#   1. A copy of the tree is cleaned and built with `make extension`, then
#      installed with `make install-extension DESTDIR=...`.  Every compile goes
#      through a wrapper that records the headers each file includes (-MD)
#      and fails if one is FFmpeg's (libav*, libsw*), json-c's, libseccomp's
#      or libpq's.
#   2. As root, where unshare(1) can make a private mount namespace, that
#      build runs with those headers really absent: empty directories and
#      files are mounted over them (and over libav's pkg-config files) in a
#      namespace of its own, which no other process sees.
#   3. `make -n` at the top shows the worker's build and install: `make` and
#      `make install` still build everything.
#
# Prints "ok - ..." / "not ok - ..." lines and ends with "N passed, N failed".
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
work=$(mktemp -d /tmp/ffrtmp-extension-alone.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {
  if [ "$1" -eq 0 ]; then
    echo "ok - $2"; passed=$((passed + 1))
  else
    echo "not ok - $2"; failed=$((failed + 1))
  fi
}

# A clean copy: the sources and SQL as they are in the working tree.
mkdir "$work/tree"
cp -r "$repo/Makefile" "$repo/ffrtmp.control" "$repo/src" "$repo/sql" "$work/tree/"
make -s -C "$work/tree" WORKER=no PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
make -s -C "$work/tree/src/worker" PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1

# The compiler wrappers (for CC, and CLANG that makes the JIT's bitcode):
# each compiles as asked, then refuses what was included.
mkdir "$work/deps"
print_var() {
  make -s -C "$work/tree" WORKER=no PG_CONFIG="$PG_CONFIG" -f Makefile -f - "print-$1" \
    <<<"print-$1: ; @echo \$($1)" 2>/dev/null
}
wrap() {
  cat >"$work/$1-no-worker-deps" <<WRAPPER
#!/bin/sh
case " \$* " in *" -c "*) ;; *) exec $2 "\$@" ;; esac
dep=\$(mktemp "$work/deps/dep.XXXXXX")
$2 "\$@" -MD -MF "\$dep" || exit \$?
if grep -E '/(libav[a-z]*|libsw[a-z]*|json-c)/|/(seccomp[a-z-]*|libpq-fe)\.h' "\$dep" >&2; then
  echo "$1-no-worker-deps: \$* includes the worker's headers (above)" >&2
  exit 1
fi
WRAPPER
  chmod +x "$work/$1-no-worker-deps"
}
wrap cc "$(print_var CC)"
wrap clang "$(print_var CLANG)"

# The build and install, as a database host runs them; without the JIT's
# bitcode (with_llvm=no), which is the same sources compiled again, to keep
# this test fast.
cat >"$work/build.sh" <<BUILD
set -e
cd "$work/tree"
make -s PG_CONFIG="$PG_CONFIG" CC="$work/cc-no-worker-deps" CLANG="$work/clang-no-worker-deps" with_llvm=no \
  extension
make -s PG_CONFIG="$PG_CONFIG" CC="$work/cc-no-worker-deps" CLANG="$work/clang-no-worker-deps" with_llvm=no \
  DESTDIR="$work/dest" install-extension
BUILD

# The headers to hide, where they are on this machine.
hidden=()
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
for d in /usr/include /usr/include/$multiarch /usr/local/include; do
  for h in "$d"/libav* "$d"/libsw* "$d"/json-c "$d"/seccomp*.h "$d"/libpq-fe.h "$d"/postgresql/libpq-fe.h \
           "$($PG_CONFIG --includedir)"/libpq-fe.h /usr/lib/$multiarch/pkgconfig/libav*.pc; do
    [ -e "$h" ] && hidden+=("$h")
  done
done

headers_absent=no
if [ "$(id -u)" -eq 0 ] && unshare --mount true 2>/dev/null; then
  headers_absent=yes
  mkdir "$work/empty"
  : >"$work/empty-file"
  mounts=""
  for h in $(printf '%s\n' "${hidden[@]}" | sort -u); do
    if [ -d "$h" ]; then
      mounts="$mounts mount --bind '$work/empty' '$h' &&"
    else
      mounts="$mounts mount --bind '$work/empty-file' '$h' &&"
    fi
  done
  # The first check proves the mounts hide what they should.
  unshare --mount sh -c "$mounts test ! -e /usr/include/$multiarch/libavcodec/avcodec.h &&
    test ! -s /usr/include/seccomp.h && bash '$work/build.sh'" >"$work/build.log" 2>&1
  rc=$?
else
  bash "$work/build.sh" >"$work/build.log" 2>&1
  rc=$?
fi
[ "$rc" -ne 0 ] && cat "$work/build.log"
check "$rc" "make extension and make install-extension succeed (FFmpeg, json-c, libseccomp and libpq headers absent: $headers_absent)"
ls "$work"/deps/dep.* >/dev/null 2>&1
check $? "the extension's C files went through the header check"
! grep -qiE 'pkg-config|libav|src/worker' "$work/build.log"
check $? "the extension's build neither enters src/worker nor asks pkg-config for libav"

pkglibdir=$($PG_CONFIG --pkglibdir)
sharedir=$($PG_CONFIG --sharedir)
test -f "$work/dest$pkglibdir/ffrtmp.so" && test -f "$work/dest$sharedir/extension/ffrtmp.control" &&
  test -f "$work/dest$sharedir/extension/ffrtmp--0.2.sql" && test -f "$work/dest$sharedir/extension/ffrtmp--0.1--0.2.sql"
check $? "install-extension puts the library, the control file and the scripts under DESTDIR"
! find "$work/dest" -name 'ffrtmp-worker' -o -name 'ffrtmp-transcode' 2>/dev/null | grep -q .
check $? "install-extension installs no worker program"

# The top level still builds and installs the worker (a dry run: no compiling).
make -n -C "$work/tree" PG_CONFIG="$PG_CONFIG" >"$work/all.log" 2>&1
grep -q -- '-o ffrtmp-worker' "$work/all.log" && grep -q -- '-o ffrtmp-transcode' "$work/all.log"
check $? "make at the top builds ffrtmp-worker and ffrtmp-transcode"
make -n -C "$work/tree" PG_CONFIG="$PG_CONFIG" install >"$work/install.log" 2>&1
grep -qE 'install .*ffrtmp-worker ffrtmp-transcode' "$work/install.log"
check $? "make install at the top installs them"
make -n -C "$work/tree" PG_CONFIG="$PG_CONFIG" extension >"$work/extension.log" 2>&1
! grep -q 'src/worker' "$work/extension.log"
check $? "make extension does not (dry run)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
