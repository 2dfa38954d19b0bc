# Shared by the transcode benchmarks (sourced, not run): builds the worker,
# makes a scratch directory with a generated input, and times things.
#
#   bench_setup NAME    sets $transcode, $dir (removed at exit) and makes
#                       $dir/input.mp4: CLIP_SECONDS (default 10) of
#                       1920x1080@30 testsrc2 and a tone, x264 crf 18
#   now, elapsed T0 T1, median (numbers on stdin)

bench_setup() {
  local name=$1 clip_seconds=${CLIP_SECONDS:-10}
  transcode=$repo/src/worker/ffrtmp-transcode
  if [ "${BUILD:-1}" = 1 ]; then
    make -s -C "$repo/src/worker" >/dev/null
  fi
  [ -x "$transcode" ] || { echo "no $transcode: build src/worker first" >&2; exit 1; }

  dir=$(mktemp -d "/tmp/ffrtmp-bench-$name.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
  trap 'exit 130' INT TERM

  echo "generating a ${clip_seconds} s 1920x1080@30 input (testsrc2 + tone, x264 crf 18)..."
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$clip_seconds" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$clip_seconds" \
    -c:v libx264 -preset fast -crf 18 -pix_fmt yuv420p -g 60 -c:a aac -b:a 128k -shortest "$dir/input.mp4"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
