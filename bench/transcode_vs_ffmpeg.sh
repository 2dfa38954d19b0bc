#!/usr/bin/env bash
# Benchmark: the worker's transcode engine (ffrtmp-transcode, the code a job
# runs) against the ffmpeg command line, same input, same settings, same
# thread count, in the same run.  Prints each side's median wall time and
# the ratio worker / ffmpeg (target: at most 1.03).
#
# The settings are what the worker does for the params, spelled out for
# ffmpeg: scale to fit (when size is given), setsar=1, yuv420p,
# a fixed GOP of 2 s (-g and -keyint_min), the x264 preset and bitrate,
# the colour tags the worker writes (the untagged 1080p input is HD, so
# BT.709, limited range), aac at the input's rate, mp4 with faststart.  The two are interleaved
# (the first to run alternates each round) because the machine is noisy.
#
#     bash bench/transcode_vs_ffmpeg.sh
# Settings, from the environment:
#     ROUNDS=5          rounds of every scenario
#     CLIP_SECONDS=10   length of the generated 1080p30 input
#     THREADS=1         encoder/decoder/filter threads, both sides
#     SCENARIOS="720p-h264 1080p-h264 480p-h264"
#     BUILD=1           make the worker first (0 to skip)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-5}
threads=${THREADS:-1}
scenarios=${SCENARIOS:-"720p-h264 1080p-h264 480p-h264"}
. "$repo/bench/transcode_lib.sh"
bench_setup tx

# scenario NAME -> the worker's params and the matching ffmpeg output options
scenario() {
  local fit
  case $1 in
    720p-h264) fit=1280:720; bitrate=2500k ;;
    1080p-h264) fit=; bitrate=5000k ;;
    480p-h264) fit=854:480; bitrate=1200k ;;
    *) echo "unknown scenario $1" >&2; exit 1 ;;
  esac
  if [ -n "$fit" ]; then
    params="{\"video_codec\": \"h264\", \"size\": \"${fit/:/x}\", \"video_bitrate\": \"$bitrate\", \"encoder_preset\": \"veryfast\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"128k\", \"format\": \"mp4\"}"
    # The input is 16:9 like every box here, so the worker's fit (sizes
    # computed exactly, rounded to even) is the whole frame: no padding.
    # (ffmpeg's force_divisible_by=2 would make 854x480 into 852x480 + pad.)
    vf="scale=$fit,setsar=1,format=yuv420p"
  else
    params="{\"video_codec\": \"h264\", \"video_bitrate\": \"$bitrate\", \"encoder_preset\": \"veryfast\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"128k\", \"format\": \"mp4\"}"
    vf="setsar=1,format=yuv420p"
  fi
  ffmpeg_args=(-nostdin -v error -y -threads "$threads" -i "$dir/input.mp4" -filter_threads "$threads"
    -vf "$vf" -c:v libx264 -preset veryfast -b:v "$bitrate" -g 60 -keyint_min 60 -threads "$threads"
    -color_range tv -colorspace bt709 -color_primaries bt709 -color_trc bt709
    -c:a aac -b:a 128k -movflags +faststart -f mp4)
}


run_worker() {
  "$transcode" --quiet --threads="$threads" --params="$params" "$dir/input.mp4" "$dir/worker.mp4" >/dev/null
}
run_ffmpeg() {
  ffmpeg "${ffmpeg_args[@]}" "$dir/ffmpeg.mp4"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
frames() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }

echo "load average before: $(load) ($(nproc) CPUs)"
printf '\n%-12s %10s %10s %8s   %s\n' scenario worker_s ffmpeg_s ratio "outputs (frames, bytes: worker / ffmpeg)"
for name in $scenarios; do
  scenario "$name"
  : >"$dir/worker.times"
  : >"$dir/ffmpeg.times"
  for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) -eq 1 ]; then order="worker ffmpeg"; else order="ffmpeg worker"; fi
    for side in $order; do
      t0=$(now)
      "run_$side"
      t1=$(now)
      elapsed "$t0" "$t1" >>"$dir/$side.times"
      echo >>"$dir/$side.times"
    done
  done
  w=$(grep . "$dir/worker.times" | median)
  f=$(grep . "$dir/ffmpeg.times" | median)
  printf '%-12s %10s %10s %8s   %s / %s frames, %s / %s bytes\n' "$name" "$w" "$f" \
    "$(awk -v a="$w" -v b="$f" 'BEGIN { printf "%.3f", a / b }')" \
    "$(frames "$dir/worker.mp4")" "$(frames "$dir/ffmpeg.mp4")" \
    "$(stat -c %s "$dir/worker.mp4")" "$(stat -c %s "$dir/ffmpeg.mp4")"
  echo "    per-round ratio (median of each round's worker / ffmpeg): $(paste <(grep . "$dir/worker.times") \
    <(grep . "$dir/ffmpeg.times") | awk '{ printf "%.3f\n", $1 / $2 }' | median)"
  echo "    worker rounds: $(grep . "$dir/worker.times" | tr '\n' ' ')"
  echo "    ffmpeg rounds: $(grep . "$dir/ffmpeg.times" | tr '\n' ' ')"
done
echo
echo "load average after: $(load)"
echo "ratio = worker median / ffmpeg median wall time, $rounds rounds, $threads thread(s); target <= 1.03"
