/*
 * output_probe.h: what a finished output really holds, read back with
 * libavformat, for the job's result.
 */
#ifndef FFRTMP_WORKER_OUTPUT_PROBE_H
#define FFRTMP_WORKER_OUTPUT_PROBE_H

#include <json-c/json.h>

/*
 * Probes a media file or an HLS playlist and returns a new JSON object:
 * {"format", "duration", "bit_rate", "streams": [{"type", "codec", "width",
 * "height", "fps" | "sample_rate", "channels"}]}, or NULL with a message.
 * For HLS the duration and bit rate are the segments' (sum of EXTINF, bytes
 * over it); a master playlist adds "renditions": [{"name", "width",
 * "height", "bandwidth", "average_bandwidth", "codecs", "frame_rate",
 * "duration", "bit_rate", "playlist"}], and its bit_rate is that of all the
 * renditions together.  "fps" is left out where it is not known.
 */
extern json_object *output_probe(const char *path, char *err, size_t errlen);

/*
 * Makes json-c write doubles with 10 significant digits ("duration": 0.1,
 * "frame_rate": 29.97), not the 17 that show binary rounding
 * (0.10000000000000001).  Called once where each program starts.
 */
extern void output_json_round_doubles(void);

#endif
