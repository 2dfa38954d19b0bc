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
 */
extern json_object *output_probe(const char *path, char *err, size_t errlen);

#endif
