/*
 * hls_playlist.c: HLS media and master playlists (RFC 8216), measured from
 * the segments on disk.
 *
 * The hls muxer writes each variant's media playlist with a TARGETDURATION
 * rounded from its longest segment, which is 0 for a clip shorter than half
 * a second, and knows nothing of the master playlist.  What a player needs
 * from the master (RFC 8216 4.3.4.2) is measured here once the segments are
 * final: BANDWIDTH is the peak segment bit rate, container included, never
 * a rate the encoder was asked for (a crf rung has none, and a bitrate rung
 * overshoots it); CODECS names the profile and level the encoder really
 * chose, read from the first segment (codec_string.c).
 */
#include "hls_playlist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/avstring.h>

/* Media playlists ----------------------------------------------------------- */

/* The next line of *p without its end of line, into line; 0 at the end. */
static int
next_line(const char **p, char *line, size_t linelen)
{
	const char *s = *p;
	size_t		n;

	if (*s == '\0')
		return 0;
	n = strcspn(s, "\r\n");
	snprintf(line, linelen, "%.*s", (int) FFMIN(n, linelen - 1), s);
	s += n;
	if (*s == '\r')
		s++;
	if (*s == '\n')
		s++;
	*p = s;
	return 1;
}

int
hls_media_parse(const char *text, HlsMediaPlaylist *pl)
{
	char		line[HLS_URI_BYTES + 64];
	double		pending = -1;	/* the EXTINF waiting for its URI */
	int			capacity = 0;

	memset(pl, 0, sizeof(*pl));
	pl->target_duration = -1;
	if (strncmp(text, "#EXTM3U", 7) != 0 || strstr(text, "#EXT-X-STREAM-INF") != NULL)
		return -1;
	while (next_line(&text, line, sizeof(line)))
	{
		if (strncmp(line, "#EXT-X-TARGETDURATION:", 22) == 0)
			pl->target_duration = atoi(line + 22);
		else if (strncmp(line, "#EXTINF:", 8) == 0)
			pending = strtod(line + 8, NULL);
		else if (strcmp(line, "#EXT-X-ENDLIST") == 0)
			pl->ended = 1;
		else if (line[0] != '#' && line[0] != '\0' && pending >= 0)
		{
			if (pl->nsegments == capacity)
			{
				HlsSegment *grown;

				capacity = capacity ? capacity * 2 : 16;
				if ((grown = realloc(pl->segments, capacity * sizeof(HlsSegment))) == NULL)
				{
					hls_media_free(pl);
					return -1;
				}
				pl->segments = grown;
			}
			pl->segments[pl->nsegments].duration = pending;
			pl->segments[pl->nsegments].bytes = -1;
			av_strlcpy(pl->segments[pl->nsegments].uri, line, HLS_URI_BYTES);
			pl->nsegments++;
			pending = -1;
		}
	}
	return 0;
}

void
hls_media_free(HlsMediaPlaylist *pl)
{
	free(pl->segments);
	pl->segments = NULL;
	pl->nsegments = 0;
}

int
hls_required_target_duration(const HlsMediaPlaylist *pl)
{
	int			target = 1;

	for (int i = 0; i < pl->nsegments; i++)
		target = FFMAX(target, (int) lround(pl->segments[i].duration));
	return target;
}

char *
hls_set_target_duration(const char *text, int target)
{
	const char *tag = strstr(text, "#EXT-X-TARGETDURATION:");
	const char *rest;
	char	   *out;

	if (tag == NULL || (tag != text && tag[-1] != '\n'))
		return NULL;
	rest = tag + strcspn(tag, "\r\n");
	if (asprintf(&out, "%.*s#EXT-X-TARGETDURATION:%d%s", (int) (tag - text), text, target, rest) < 0)
		return NULL;
	return out;
}

static int64_t
rate_up(int64_t bytes, double seconds)
{
	return (int64_t) ceil(bytes * 8.0 / seconds);
}

int64_t
hls_peak_bit_rate(const HlsMediaPlaylist *pl, int target_duration)
{
	int64_t		peak = 0;
	int64_t		single = 0;

	for (int i = 0; i < pl->nsegments; i++)
	{
		double		seconds = 0;
		int64_t		bytes = 0;

		if (pl->segments[i].duration > 0)
			single = FFMAX(single, rate_up(pl->segments[i].bytes, pl->segments[i].duration));
		for (int j = i; j < pl->nsegments && seconds <= 1.5 * target_duration; j++)
		{
			seconds += pl->segments[j].duration;
			bytes += pl->segments[j].bytes;
			if (seconds >= 0.5 * target_duration && seconds <= 1.5 * target_duration)
				peak = FFMAX(peak, rate_up(bytes, seconds));
		}
	}
	return peak > 0 ? peak : single;
}

double
hls_total_duration(const HlsMediaPlaylist *pl)
{
	double		seconds = 0;

	for (int i = 0; i < pl->nsegments; i++)
		seconds += pl->segments[i].duration;
	return seconds;
}

int64_t
hls_average_bit_rate(const HlsMediaPlaylist *pl)
{
	double		seconds = hls_total_duration(pl);
	int64_t		bytes = 0;

	for (int i = 0; i < pl->nsegments; i++)
		bytes += pl->segments[i].bytes;
	return seconds > 0 ? rate_up(bytes, seconds) : 0;
}

/* Master playlists ---------------------------------------------------------- */

/* One ATTRIBUTE=value of an attribute list (RFC 8216 4.2), unquoted, into value. */
static int
attribute(const char *list, const char *name, char *value, size_t valuelen)
{
	const char *p = list;
	size_t		namelen = strlen(name);

	while (*p)
	{
		const char *end;

		if (strncmp(p, name, namelen) == 0 && p[namelen] == '=')
		{
			p += namelen + 1;
			if (*p == '"')
			{
				end = strchr(p + 1, '"');
				p++;
			}
			else
				end = p + strcspn(p, ",");
			if (end == NULL)
				return 0;
			snprintf(value, valuelen, "%.*s", (int) FFMIN((size_t) (end - p), valuelen - 1), p);
			return 1;
		}
		/* Skip to the next attribute, past any quoted string. */
		while (*p && *p != ',')
		{
			if (*p == '"' && (end = strchr(p + 1, '"')) != NULL)
				p = end;
			p++;
		}
		if (*p == ',')
			p++;
	}
	return 0;
}

int
hls_master_parse(const char *text, HlsVariant *variants, int max)
{
	char		line[HLS_URI_BYTES + 512];
	char		value[HLS_CODECS_BYTES];
	HlsVariant *pending = NULL;
	int			n = 0;

	if (strncmp(text, "#EXTM3U", 7) != 0 || strstr(text, "#EXT-X-STREAM-INF:") == NULL)
		return -1;
	while (next_line(&text, line, sizeof(line)))
	{
		if (strncmp(line, "#EXT-X-STREAM-INF:", 18) == 0)
		{
			const char *list = line + 18;

			pending = NULL;
			if (n == max)
				continue;
			pending = &variants[n];
			memset(pending, 0, sizeof(*pending));
			if (attribute(list, "BANDWIDTH", value, sizeof(value)))
				pending->bandwidth = strtoll(value, NULL, 10);
			if (attribute(list, "AVERAGE-BANDWIDTH", value, sizeof(value)))
				pending->average_bandwidth = strtoll(value, NULL, 10);
			if (attribute(list, "RESOLUTION", value, sizeof(value)))
				sscanf(value, "%dx%d", &pending->width, &pending->height);
			if (attribute(list, "FRAME-RATE", value, sizeof(value)))
				pending->frame_rate = strtod(value, NULL);
			if (attribute(list, "CODECS", value, sizeof(value)))
				snprintf(pending->codecs, sizeof(pending->codecs), "%s", value);
			if (attribute(list, "VIDEO-RANGE", value, sizeof(value)))
				av_strlcpy(pending->video_range, value, sizeof(pending->video_range));
		}
		else if (line[0] != '#' && line[0] != '\0' && pending)
		{
			av_strlcpy(pending->uri, line, sizeof(pending->uri));
			pending = NULL;
			n++;
		}
	}
	return n;
}

void
hls_master_print(FILE *f, const HlsVariant *variants, int n)
{
	fprintf(f, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
	for (int i = 0; i < n; i++)
	{
		const HlsVariant *v = &variants[i];

		fprintf(f, "#EXT-X-STREAM-INF:BANDWIDTH=%lld,AVERAGE-BANDWIDTH=%lld",
				(long long) v->bandwidth, (long long) v->average_bandwidth);
		/* A CODECS that might be wrong is worse than none (RFC 8216 4.3.4.2). */
		if (v->codecs[0])
			fprintf(f, ",CODECS=\"%s\"", v->codecs);
		if (v->width > 0 && v->height > 0)
			fprintf(f, ",RESOLUTION=%dx%d", v->width, v->height);
		if (v->frame_rate > 0)
			fprintf(f, ",FRAME-RATE=%.3f", v->frame_rate);
		/* HDR says so (RFC 8216bis 4.4.6.2, VIDEO-RANGE); SDR is what a missing attribute means. */
		if (v->video_range[0])
			fprintf(f, ",VIDEO-RANGE=%s", v->video_range);
		fprintf(f, "\n%s\n", v->uri);
	}
}

/* Files --------------------------------------------------------------------- */

static char *
read_text(const char *path, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "r");
	char	   *text = NULL;
	size_t		len = 0;
	size_t		got;
	char		buf[8192];

	if (f == NULL)
	{
		snprintf(err, errlen, "could not read the playlist: %s", strerror(errno));
		return NULL;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
	{
		char	   *grown = realloc(text, len + got + 1);

		if (grown == NULL)
		{
			free(text);
			fclose(f);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		text = grown;
		memcpy(text + len, buf, got);
		len += got;
	}
	fclose(f);
	if (text == NULL && (text = calloc(1, 1)) == NULL)
		snprintf(err, errlen, "out of memory");
	else
		text[len] = '\0';
	return text;
}

/* A URI of the playlist at path, as a path beside it. */
static void
beside(const char *path, const char *uri, char *out, size_t outlen)
{
	const char *slash = strrchr(path, '/');

	snprintf(out, outlen, "%.*s%s", slash ? (int) (slash - path + 1) : 0, path, uri);
}

int
hls_media_load(const char *path, HlsMediaPlaylist *pl, char *err, size_t errlen)
{
	char	   *text = read_text(path, err, errlen);

	if (text == NULL)
		return -1;
	if (hls_media_parse(text, pl) < 0)
	{
		free(text);
		snprintf(err, errlen, "could not parse the playlist %s", strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
		return -1;
	}
	free(text);
	for (int i = 0; i < pl->nsegments; i++)
	{
		char		segment[HLS_URI_BYTES + 4200];
		struct stat st;

		beside(path, pl->segments[i].uri, segment, sizeof(segment));
		if (stat(segment, &st) != 0)
		{
			snprintf(err, errlen, "a segment of the playlist is missing: %s", pl->segments[i].uri);
			hls_media_free(pl);
			return -1;
		}
		pl->segments[i].bytes = st.st_size;
	}
	return 0;
}

static int
write_text(const char *path, const char *text, char *err, size_t errlen)
{
	FILE	   *f = fopen(path, "w");
	int			failed;

	if (f == NULL)
	{
		snprintf(err, errlen, "could not rewrite the playlist: %s", strerror(errno));
		return -1;
	}
	/* Closed whatever fputs did, so that a failed write does not leak the stream. */
	failed = fputs(text, f) < 0;
	failed |= fclose(f) != 0;
	if (failed)
	{
		snprintf(err, errlen, "could not rewrite the playlist: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
hls_finish_media_playlist(const char *path, HlsVariant *v, char *err, size_t errlen)
{
	HlsMediaPlaylist pl;
	int			target;
	char		first[HLS_URI_BYTES + 4200];

	if (hls_media_load(path, &pl, err, errlen) < 0)
		return -1;
	target = FFMAX(pl.target_duration, hls_required_target_duration(&pl));
	if (target != pl.target_duration)
	{
		char	   *text = read_text(path, err, errlen);
		char	   *fixed = text ? hls_set_target_duration(text, target) : NULL;
		int			rc = fixed ? write_text(path, fixed, err, errlen) : -1;

		if (text && fixed == NULL)
			snprintf(err, errlen, "the playlist has no EXT-X-TARGETDURATION");
		free(text);
		free(fixed);
		if (rc < 0)
		{
			hls_media_free(&pl);
			return -1;
		}
	}
	v->bandwidth = hls_peak_bit_rate(&pl, target);
	v->average_bandwidth = hls_average_bit_rate(&pl);
	v->codecs[0] = '\0';
	if (pl.nsegments > 0)
	{
		beside(path, pl.segments[0].uri, first, sizeof(first));
		codec_string_of_file(first, v->codecs, sizeof(v->codecs));
	}
	hls_media_free(&pl);
	return 0;
}
