#!/usr/bin/env bash
# Transcode: the worker's engine against the ffmpeg command line
# (bench/transcode_vs_ffmpeg.sh) and its one-decode ABR ladder
# (bench/abr_ladder.sh), called as they are; their output goes into
# RESULTS.md.  TRANSCODE_ROUNDS (2) rounds each of a CLIP_SECONDS (5) s
# clip: the scripts' own defaults take longer than the whole bench may.
# Run by bench/run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${TRANSCODE_ROUNDS:-2}
export CLIP_SECONDS=${CLIP_SECONDS:-5}
{
  echo "## Transcode"
  echo
  echo "bench/transcode_vs_ffmpeg.sh and bench/abr_ladder.sh, $rounds rounds each, ${CLIP_SECONDS} s clips (goals: worker / ffmpeg at"
  echo "most 1.03; the ladder at least 1.3x faster than one ffmpeg command making the same ladder)."
  echo
  echo '```'
  ROUNDS=$rounds bash "$repo/bench/transcode_vs_ffmpeg.sh" 2>&1 | tail -n 14
  echo
  ROUNDS=$rounds bash "$repo/bench/abr_ladder.sh" 2>&1 | tail -n 8
  echo '```'
} | tee "$OUT/transcode.md"
