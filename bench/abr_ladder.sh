#!/usr/bin/env bash
# Benchmark: an HLS ladder made from one decode (the hls-abr preset: 1080p,
# 720p and 480p renditions in one ffrtmp-transcode run, each rendition's
# encoder in its own thread) against
#   ffmpeg      the ffmpeg command line making the same ladder in ONE command:
#               one decode, -filter_complex split, three HLS outputs, the same
#               encoder settings (x264's default preset, the rung's bitrate,
#               GOP of 2 s, the BT.709 tags, aac 128k, 4 s segments)
#   separate    three ffrtmp-transcode runs, one per rendition, each decoding
#               the input again
#   baseline    (only with BASELINE_TRANSCODE=PATH) another build of
#               ffrtmp-transcode making the same ladder: before/after ratios
# Same input, same thread count, in the same run; the sides are interleaved
# (a different one first each round) because the machine is noisy.  Prints
# each side's median wall time and the ratios ffmpeg / ladder (the goal: at
# least 1.3) and separate / ladder, and the load average before and after.
#
# The ladder's params are read from the hls-abr preset in sql/0.1/30_jobs.sql;
# each separate run gets that preset's audio and one rendition's size and
# bitrate.
#
#     bash bench/abr_ladder.sh
# Settings, from the environment:
#     ROUNDS=3          rounds
#     CLIP_SECONDS=10   length of the generated 1080p30 input
#     THREADS=1         decoder and filter threads; the encoders share them as
#                       the worker does (THREADS / renditions each, at least 1)
#     SIDES="ladder ffmpeg separate"   which to run (baseline is added when
#                       BASELINE_TRANSCODE is set)
#     BASELINE_TRANSCODE=PATH   an ffrtmp-transcode to compare with (e.g. one
#                       built from an earlier commit)
#     BUILD=1           make the worker first (0 to skip)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
rounds=${ROUNDS:-3}
threads=${THREADS:-1}
sides=${SIDES:-"ladder ffmpeg separate"}
baseline=${BASELINE_TRANSCODE:-}
if [ -n "$baseline" ]; then
  [ -x "$baseline" ] || { echo "BASELINE_TRANSCODE=$baseline is not an executable" >&2; exit 1; }
  sides="$sides baseline"
fi
. "$repo/bench/transcode_lib.sh"
bench_setup abr

# The preset as the database defines it: the JSON between the quotes on its line.
ladder=$(grep -E "^\s*\(NULL, 'hls-abr'" "$repo/sql/0.1/30_jobs.sql" | sed -E "s/^[^{]*'(\{.*\})', '[^']*'\),?\s*;?\s*$/\1/")
[ -n "$ladder" ] && [ "${ladder:0:1}" = "{" ] || { echo "could not read the hls-abr preset" >&2; exit 1; }
# One rendition at a time, with the preset's audio settings (sed: no jq needed).
rungs=$(echo "$ladder" | grep -oE '\{"size": "[0-9]+x[0-9]+", "video_bitrate": "[0-9]+k"\}')
[ "$(echo "$rungs" | wc -l)" -ge 2 ] || { echo "could not read the renditions of hls-abr" >&2; exit 1; }


# The renditions for ffmpeg: "WxH BITRATE" lines.
rung_list=$(echo "$rungs" | sed -E 's/.*"size": "([0-9]+x[0-9]+)", "video_bitrate": "([0-9]+k)".*/\1 \2/')
nrungs=$(echo "$rung_list" | wc -l)
enc_threads=$((threads / nrungs)); [ "$enc_threads" -ge 1 ] || enc_threads=1

# The ladder as one ffmpeg command: the graph the worker builds (split; per
# rung scale when the size changes, setsar=1, yuv420p) and the settings it
# gives each encoder and HLS muxer.  The 16:9 input fills every 16:9 box.
ffmpeg_ladder_args() {
  local graph="[0:v]split=$nrungs" i=0 size bitrate
  local -a outs=()
  for i in $(seq 0 $((nrungs - 1))); do graph="$graph[s$i]"; done
  i=0
  while read -r size bitrate; do
    if [ "$size" = 1920x1080 ]; then
      graph="$graph;[s$i]setsar=1,format=yuv420p[v$i]"
    else
      graph="$graph;[s$i]scale=${size/x/:},setsar=1,format=yuv420p[v$i]"
    fi
    outs+=(-map "[v$i]" -map 0:a -c:v libx264 -b:v "$bitrate" -g 60 -keyint_min 60 -threads "$enc_threads"
      -color_range tv -colorspace bt709 -color_primaries bt709 -color_trc bt709
      -c:a aac -b:a 128k -f hls -hls_time 4 -hls_list_size 0 -hls_playlist_type vod
      -hls_flags independent_segments -hls_segment_filename "$dir/ffmpeg/r${i}_%05d.ts" "$dir/ffmpeg/r$i.m3u8")
    i=$((i + 1))
  done <<<"$rung_list"
  ffmpeg_args=(-nostdin -v error -y -threads "$threads" -i "$dir/input.mp4" -filter_threads "$threads"
    -filter_complex "$graph" "${outs[@]}")
}
ffmpeg_ladder_args

run_ladder() {
  rm -rf "$dir/ladder" && mkdir -p "$dir/ladder"
  "$transcode" --quiet --threads="$threads" --params="$ladder" "$dir/input.mp4" "$dir/ladder/master.m3u8" >/dev/null
}
run_baseline() {
  rm -rf "$dir/baseline" && mkdir -p "$dir/baseline"
  "$baseline" --quiet --threads="$threads" --params="$ladder" "$dir/input.mp4" "$dir/baseline/master.m3u8" >/dev/null
}
run_ffmpeg() {
  rm -rf "$dir/ffmpeg" && mkdir -p "$dir/ffmpeg"
  ffmpeg "${ffmpeg_args[@]}"
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

# Video frames and bytes of every rendition's segments: "frames/bytes ...".
rendition_sizes() {
  local playlist
  for playlist in "$@"; do
    printf '%s/%s ' \
      "$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$playlist" | grep . | head -1)" \
      "$(cat "${playlist%.m3u8}"_*.ts | wc -c)"
  done
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "hls-abr: $ladder"
echo "ffmpeg: ffmpeg ${ffmpeg_args[*]}"
echo "load average before: $(load) ($(nproc) CPUs)"
set -- $sides
nsides=$#
for side in $sides; do : >"$dir/$side.times"; done
for round in $(seq 1 "$rounds"); do
  # Rotate the order: a different side first each round.
  order=$(for i in $(seq 0 $((nsides - 1))); do echo "$sides" | tr -s ' ' '\n' | grep . | sed -n "$(( (i + round - 1) % nsides + 1 ))p"; done)
  line="round $round:"
  for side in $order; do
    t0=$(now)
    "run_$side"
    t1=$(now)
    elapsed "$t0" "$t1" >>"$dir/$side.times"
    echo >>"$dir/$side.times"
    line="$line $side $(grep . "$dir/$side.times" | tail -1) s,"
  done
  echo "${line%,} (load $(load))"
done

echo
declare -A med
for side in $sides; do
  med[$side]=$(grep . "$dir/$side.times" | median)
done
label() {
  case $1 in
    ladder) echo "worker: one decode, threaded rungs" ;;
    baseline) echo "baseline worker (BASELINE_TRANSCODE)" ;;
    ffmpeg) echo "ffmpeg: one command, split" ;;
    separate) echo "worker: separate run per rung" ;;
  esac
}
for side in $sides; do
  printf '%-40s %8s s\n' "$(label "$side")" "${med[$side]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
if [ -n "${med[ladder]:-}" ]; then
  for side in ffmpeg separate baseline; do
    [ -n "${med[$side]:-}" ] || continue
    goal=
    [ "$side" = ffmpeg ] && goal="   (goal: at least 1.3)"
    per_round=$(paste <(grep . "$dir/$side.times") <(grep . "$dir/ladder.times") | awk '{ printf "%.3f\n", $1 / $2 }' | median)
    printf '%-40s %8s  per-round %s%s\n' "speed-up vs $side ($side / ladder)" "$(ratio "${med[$side]}" "${med[ladder]}")" \
      "$per_round" "$goal"
  done
fi
if [ -f "$dir/ladder/master.m3u8" ] && [ -f "$dir/ffmpeg/r0.m3u8" ]; then
  echo "video frames/bytes per rung: worker $(rendition_sizes $(echo "$rung_list" | sed -E "s|^[0-9]+x([0-9]+) .*|$dir/ladder/master_\\1p.m3u8|"))"
  echo "                             ffmpeg $(rendition_sizes "$dir"/ffmpeg/r?.m3u8)"
fi
echo "load average after: $(load)"
echo "($rounds rounds, medians, $threads thread(s), ${CLIP_SECONDS:-10} s of 1080p30 input)"
