/*
 * codec_string.h: RFC 6381 codec names ("avc1.64001f", "mp4a.40.2") of
 * what an encoder wrote, for HLS's CODECS attribute.
 */
#ifndef FFRTMP_WORKER_CODEC_STRING_H
#define FFRTMP_WORKER_CODEC_STRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * The first NAL unit of the given type in an Annex B byte stream (start
 * codes 00 00 01); *len is its size, header included.  hevc selects the
 * H.265 NAL header layout.
 */
extern const uint8_t *codec_string_find_nal(const uint8_t *data, size_t size, int hevc, int type, size_t *len);

/* RFC 6381 names from a sequence parameter set NAL unit (header included); -1 when too short. */
extern int	codec_string_avc(const uint8_t *sps, size_t len, char *out, size_t outlen);
extern int	codec_string_hevc(const uint8_t *sps, size_t len, char *out, size_t outlen);

/*
 * The CODECS value of an MPEG-TS segment's streams, "" when one is not
 * known.  Read as MPEG-TS whatever it looks like: a segment of a few
 * packets (the sound of a very short input) is otherwise taken for MPEG
 * audio.
 */
extern void codec_string_of_file(const char *path, char *out, size_t outlen);

#endif
