#!/usr/bin/env bash
# Transcode: the worker's engine against the ffmpeg command line
# (bench/transcode_vs_ffmpeg.sh) and its one-decode ABR ladder against
# ffmpeg's one-command ladder (bench/abr_ladder.sh, sides "ladder ffmpeg":
# the separate transcodes per rung are no goal of the bench), called as they
# are; their output goes into RESULTS.md and their ratios into the goals.
# TRANSCODE_ROUNDS (2) rounds each of a CLIP_SECONDS (5) s clip: the
# scripts' own defaults take longer than the whole bench may.  Run by
# bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/lib.sh"
. "$repo/bench/lib.sh"
. "$repo/bench/harness.sh"
rounds=${TRANSCODE_ROUNDS:-2}
export CLIP_SECONDS=${CLIP_SECONDS:-5}
data=$OUT/transcode
mkdir -p "$data"
ROUNDS=$rounds bash "$repo/bench/transcode_vs_ffmpeg.sh" >"$data/single.txt" 2>&1
ROUNDS=$rounds SIDES=${TRANSCODE_SIDES:-"ladder ffmpeg"} bash "$repo/bench/abr_ladder.sh" >"$data/ladder.txt" 2>&1

# The goals: the largest worker / ffmpeg of the single outputs, and ffmpeg / ladder.
worst=$(awk '$2 ~ /^[0-9.]+$/ && $3 ~ /^[0-9.]+$/ && $4 ~ /^[0-9.]+$/ {print $4, $1}' "$data/single.txt" | sort -n | tail -n1)
goal transcode-single "worker / ffmpeg at most ${worst% *} (${worst#* }; each: $(awk '$4 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ {printf "%s%s %s", n++ ? ", " : "", $1, $4}' "$data/single.txt"))" \
  "$(verdict "${worst% *}" "<=" 1.03)"
speedup=$(awk '/^speed-up vs ffmpeg/ {for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+$/) {print $i; exit}}' "$data/ladder.txt")
goal transcode-ladder "ffmpeg / ladder ${speedup:--}" "$(verdict "${speedup:--}" ">=" 1.3)"

{
  echo "## Transcode"
  echo
  echo "bench/transcode_vs_ffmpeg.sh and bench/abr_ladder.sh (sides: ${TRANSCODE_SIDES:-ladder ffmpeg}), $rounds rounds each, ${CLIP_SECONDS} s clips"
  echo "(goals: worker / ffmpeg at most 1.03; the ladder at least 1.3x faster than one ffmpeg command making the same ladder)."
  echo
  echo '```'
  tail -n 14 "$data/single.txt"
  echo
  tail -n 8 "$data/ladder.txt"
  echo '```'
} | tee "$OUT/transcode.md"
