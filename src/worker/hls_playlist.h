/*
 * hls_playlist.h: HLS playlists as RFC 8216 defines them, measured rather
 * than promised.  A variant's media playlist (as the hls muxer wrote it) is
 * read back with its segments' sizes; from those come the peak and average
 * segment bit rates (RFC 8216 4.1, 4.3.4.2), a TARGETDURATION that is never
 * 0 and never below a rounded EXTINF (4.3.3.1), and the master playlist's
 * BANDWIDTH, AVERAGE-BANDWIDTH and CODECS (RFC 6381 strings taken from the
 * first segment's own parameter sets).
 *
 * The parsers and the arithmetic are pure (tests/test_hls_playlist.c); the
 * functions that take a path read or write files.
 */
#ifndef FFRTMP_WORKER_HLS_PLAYLIST_H
#define FFRTMP_WORKER_HLS_PLAYLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codec_string.h"

#define HLS_URI_BYTES 1024
#define HLS_CODECS_BYTES 128
#define HLS_MAX_VARIANTS 16

typedef struct HlsSegment
{
	double		duration;		/* EXTINF, seconds */
	int64_t		bytes;			/* size of the segment file; -1 until measured */
	char		uri[HLS_URI_BYTES];
} HlsSegment;

typedef struct HlsMediaPlaylist
{
	int			target_duration;	/* as written; -1 when missing */
	int			ended;			/* has EXT-X-ENDLIST */
	int			nsegments;
	HlsSegment *segments;		/* malloc'd; hls_media_free() */
} HlsMediaPlaylist;

/* One EXT-X-STREAM-INF of a master playlist; 0 / "" where absent. */
typedef struct HlsVariant
{
	char		uri[HLS_URI_BYTES];
	int64_t		bandwidth;		/* bits/s */
	int64_t		average_bandwidth;
	int			width;
	int			height;
	double		frame_rate;
	char		codecs[HLS_CODECS_BYTES];
	char		video_range[8];	/* "PQ" or "HLG" for HDR video; "" for SDR, the default */
} HlsVariant;

/* Pure parts ---------------------------------------------------------------- */

/* Parses a media playlist's text; 0, or -1 when it is not one (or no memory). */
extern int	hls_media_parse(const char *text, HlsMediaPlaylist *pl);
extern void hls_media_free(HlsMediaPlaylist *pl);

/* The smallest TARGETDURATION RFC 8216 4.3.3.1 allows: >= 1 and >= every EXTINF rounded. */
extern int	hls_required_target_duration(const HlsMediaPlaylist *pl);

/* The text with its EXT-X-TARGETDURATION set to target (malloc'd), or NULL. */
extern char *hls_set_target_duration(const char *text, int target);

/*
 * Peak segment bit rate (RFC 8216 4.1): the largest bits / seconds of any
 * contiguous run of segments lasting 0.5 to 1.5 target durations (the
 * largest single segment's rate when no run qualifies), rounded up.
 * Needs every segment's bytes.
 */
extern int64_t hls_peak_bit_rate(const HlsMediaPlaylist *pl, int target_duration);

/* Total bits / total EXTINF seconds, rounded up; 0 when there is no media. */
extern int64_t hls_average_bit_rate(const HlsMediaPlaylist *pl);
extern double hls_total_duration(const HlsMediaPlaylist *pl);

/* Parses a master playlist: the number of variants (at most max), or -1 when it is not a master. */
extern int	hls_master_parse(const char *text, HlsVariant *variants, int max);

/* Writes a master playlist (VERSION 3, independent segments) of n variants. */
extern void hls_master_print(FILE *f, const HlsVariant *variants, int n);

/* Files --------------------------------------------------------------------- */

/* Reads the media playlist at path and stats each segment (beside it); 0 or -1 with err. */
extern int	hls_media_load(const char *path, HlsMediaPlaylist *pl, char *err, size_t errlen);

/*
 * Finishes a variant the hls muxer wrote at path: raises its TARGETDURATION
 * where RFC 8216 needs it, and fills v's bandwidth, average_bandwidth and
 * codecs (from its first segment).  uri, size and frame rate are the
 * caller's.  0, or -1 with err.
 */
extern int	hls_finish_media_playlist(const char *path, HlsVariant *v, char *err, size_t errlen);

#endif
