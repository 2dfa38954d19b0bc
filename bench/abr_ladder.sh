#!/usr/bin/env bash
# Benchmark: an HLS ladder made from one decode (the hls-abr preset: 1080p,
# 720p and 480p renditions in one ffrtmp-transcode run) against the same
# renditions made by separate transcodes, one per rendition, each decoding
# the input again.  Same engine (ffrtmp-transcode), same input, same thread
# count, in the same run; prints the medians and the ratio ladder / separate
# (target: clearly below 1).
#
# The ladder's params are read from the hls-abr preset in sql/0.1/30_jobs.sql;
# each separate run gets that preset's audio and one rendition's size and
# bitrate.  Runs are interleaved (the first to run alternates each round).
#
#     bash bench/abr_ladder.sh
# Settings, from the environment:
#     ROUNDS=3          rounds
#     CLIP_SECONDS=10   length of the generated 1080p30 input
#     THREADS=1         encoder/decoder/filter threads
#     BUILD=1           make the worker first (0 to skip)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-3}
threads=${THREADS:-1}
. "$repo/bench/transcode_lib.sh"
bench_setup abr

# The preset as the database defines it: the JSON between the quotes on its line.
ladder=$(grep -E "^\s*\(NULL, 'hls-abr'" "$repo/sql/0.1/30_jobs.sql" | sed -E "s/^[^{]*'(\{.*\})', '[^']*'\),?\s*;?\s*$/\1/")
[ -n "$ladder" ] && [ "${ladder:0:1}" = "{" ] || { echo "could not read the hls-abr preset" >&2; exit 1; }
# One rendition at a time, with the preset's audio settings (sed: no jq needed).
rungs=$(echo "$ladder" | grep -oE '\{"size": "[0-9]+x[0-9]+", "video_bitrate": "[0-9]+k"\}')
[ "$(echo "$rungs" | wc -l)" -ge 2 ] || { echo "could not read the renditions of hls-abr" >&2; exit 1; }


run_ladder() {
  rm -rf "$dir/ladder" && mkdir -p "$dir/ladder"
  "$transcode" --quiet --threads="$threads" --params="$ladder" "$dir/input.mp4" "$dir/ladder/master.m3u8" >/dev/null
}
run_separate() {
  local i=0 rung
  rm -rf "$dir/separate" && mkdir -p "$dir/separate"
  while read -r rung; do
    i=$((i + 1))
    mkdir -p "$dir/separate/r$i"
    "$transcode" --quiet --threads="$threads" \
      --params="{\"format\": \"hls\", \"video_codec\": \"h264\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"128k\", ${rung:1:${#rung}-2}}" \
      "$dir/input.mp4" "$dir/separate/r$i/index.m3u8" >/dev/null
  done <<<"$rungs"
}

: >"$dir/ladder.times"
: >"$dir/separate.times"
echo "hls-abr: $ladder"
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="ladder separate"; else order="separate ladder"; fi
  for side in $order; do
    t0=$(now)
    "run_$side"
    t1=$(now)
    elapsed "$t0" "$t1" >>"$dir/$side.times"
    echo >>"$dir/$side.times"
  done
  echo "round $round: ladder $(tail -1 "$dir/ladder.times") s, separate $(tail -1 "$dir/separate.times") s"
done

l=$(grep . "$dir/ladder.times" | median)
s=$(grep . "$dir/separate.times" | median)
variants=$(grep -c '^#EXT-X-STREAM-INF' "$dir/ladder/master.m3u8" || true)
echo
printf '%-34s %8s s\n' "one decode, $variants variants + master" "$l"
printf '%-34s %8s s\n' "separate transcodes, one per rung" "$s"
printf '%-34s %8s\n' "ratio ladder / separate" "$(awk -v a="$l" -v b="$s" 'BEGIN { printf "%.3f", a / b }')"
echo "($rounds rounds, medians, $threads thread(s), ${CLIP_SECONDS:-10} s of 1080p30 input)"
