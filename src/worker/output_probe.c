/*
 * output_probe.c: reading a finished output back, so that a job's result
 * says what was written rather than what was asked for.
 *
 * An HLS output is described by its media, not by its playlist file: the
 * duration is the sum of the segments' EXTINF, the bit rate their bytes over
 * that duration (container included), and a ladder's master playlist adds one
 * entry per rendition with what the master promises a player.  A frame rate
 * is reported only where it is known (the stream's average frame rate, or the
 * encoder's rate that the master playlist carries), never guessed from a
 * time base, as libavformat's guess does for a stream of one frame.
 */
#include "output_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "hls_playlist.h"

static json_object *
stream_json(AVStream *st)
{
	AVCodecParameters *par = st->codecpar;
	json_object *s = json_object_new_object();

	json_object_object_add(s, "type", json_object_new_string(av_get_media_type_string(par->codec_type)));
	json_object_object_add(s, "codec", json_object_new_string(avcodec_get_name(par->codec_id)));
	if (par->codec_type == AVMEDIA_TYPE_VIDEO)
	{
		AVRational	rate = st->avg_frame_rate;

		json_object_object_add(s, "width", json_object_new_int(par->width));
		json_object_object_add(s, "height", json_object_new_int(par->height));
		if (rate.num > 0 && rate.den > 0)
			json_object_object_add(s, "fps", json_object_new_double(av_q2d(rate)));
	}
	else if (par->codec_type == AVMEDIA_TYPE_AUDIO)
	{
		json_object_object_add(s, "sample_rate", json_object_new_int(par->sample_rate));
		json_object_object_add(s, "channels", json_object_new_int(par->ch_layout.nb_channels));
	}
	if (par->bit_rate > 0)
		json_object_object_add(s, "bit_rate", json_object_new_int64(par->bit_rate));
	return s;
}

/* A media file, in the format given (NULL: as libavformat detects it). */
static json_object *
probe_media(const char *path, const char *format, char *err, size_t errlen)
{
	AVFormatContext *fmt = NULL;
	AVDictionary *options = NULL;
	json_object *result;
	json_object *streams;
	char		url[4200];
	int			ret;

	/* Our own output, but read it as carefully as any input: local files only. */
	snprintf(url, sizeof(url), "file:%s", path);
	av_dict_set(&options, "protocol_whitelist", "file", 0);
	ret = avformat_open_input(&fmt, url, format ? av_find_input_format(format) : NULL, &options);
	av_dict_free(&options);
	if (ret < 0 || (ret = avformat_find_stream_info(fmt, NULL)) < 0)
	{
		snprintf(err, errlen, "could not read the output back: %s", av_err2str(ret));
		avformat_close_input(&fmt);
		return NULL;
	}
	result = json_object_new_object();
	streams = json_object_new_array();
	json_object_object_add(result, "format", json_object_new_string(fmt->iformat->name));
	if (fmt->duration > 0)
		json_object_object_add(result, "duration", json_object_new_double((double) fmt->duration / AV_TIME_BASE));
	if (fmt->bit_rate > 0)
		json_object_object_add(result, "bit_rate", json_object_new_int64(fmt->bit_rate));
	for (unsigned i = 0; i < fmt->nb_streams; i++)
		json_object_array_add(streams, stream_json(fmt->streams[i]));
	json_object_object_add(result, "streams", streams);
	avformat_close_input(&fmt);
	return result;
}

/*
 * One media playlist: the streams of its first segment, and the duration
 * and bit rate of all its segments.  The segment is read as the MPEG-TS the
 * worker writes: libavformat's detection (the HLS demuxer's too) takes a
 * segment of a few packets, such as the audio of a 0.01 s input, for MPEG
 * audio and cannot read it.
 */
static json_object *
probe_media_playlist(const char *path, char *err, size_t errlen)
{
	HlsMediaPlaylist pl;
	json_object *result;
	char		segment[HLS_URI_BYTES + 4200];
	const char *slash = strrchr(path, '/');

	if (hls_media_load(path, &pl, err, errlen) < 0)
		return NULL;
	if (pl.nsegments > 0)
		snprintf(segment, sizeof(segment), "%.*s%s", slash ? (int) (slash - path + 1) : 0, path, pl.segments[0].uri);
	if ((result = pl.nsegments > 0 ? probe_media(segment, "mpegts", err, errlen) : probe_media(path, NULL, err, errlen)) != NULL)
	{
		json_object_object_add(result, "format", json_object_new_string("hls"));
		json_object_object_add(result, "duration", json_object_new_double(hls_total_duration(&pl)));
		json_object_object_add(result, "bit_rate", json_object_new_int64(hls_average_bit_rate(&pl)));
	}
	hls_media_free(&pl);
	return result;
}

/* "index_720p.m3u8" beside "index.m3u8" is the rendition "720p" (the names transcode_hls_variant_playlist gives). */
static void
rendition_name(const char *master, const char *uri, char *out, size_t outlen)
{
	const char *base = strrchr(master, '/') ? strrchr(master, '/') + 1 : master;
	size_t		stem = strrchr(base, '.') ? (size_t) (strrchr(base, '.') - base) : strlen(base);
	size_t		len = strlen(uri);

	if (len > 5 && strcmp(uri + len - 5, ".m3u8") == 0)
		len -= 5;
	if (strncmp(uri, base, stem) == 0 && uri[stem] == '_' && len > stem + 1)
		snprintf(out, outlen, "%.*s", (int) (len - stem - 1), uri + stem + 1);
	else
		snprintf(out, outlen, "%.*s", (int) len, uri);
}

/* Where the master's stream lacks a known frame rate, the rendition's FRAME-RATE (the encoder's). */
static void
add_streams(json_object *all, json_object *variant, double frame_rate)
{
	json_object *streams = json_object_object_get(variant, "streams");

	for (size_t i = 0; streams && i < json_object_array_length(streams); i++)
	{
		json_object *s = json_object_array_get_idx(streams, i);
		json_object *type = json_object_object_get(s, "type");

		if (frame_rate > 0 && strcmp(json_object_get_string(type), "video") == 0 &&
			json_object_object_get(s, "fps") == NULL)
			json_object_object_add(s, "fps", json_object_new_double(frame_rate));
		json_object_array_add(all, json_object_get(s));
	}
}

static json_object *
rendition_json(const char *master, const HlsVariant *v, json_object *variant)
{
	json_object *r = json_object_new_object();
	json_object *streams = json_object_object_get(variant, "streams");
	char		name[HLS_URI_BYTES];

	rendition_name(master, v->uri, name, sizeof(name));
	json_object_object_add(r, "name", json_object_new_string(name));
	for (size_t i = 0; streams && i < json_object_array_length(streams); i++)
	{
		json_object *s = json_object_array_get_idx(streams, i);

		if (strcmp(json_object_get_string(json_object_object_get(s, "type")), "video") == 0)
		{
			json_object_object_add(r, "width", json_object_get(json_object_object_get(s, "width")));
			json_object_object_add(r, "height", json_object_get(json_object_object_get(s, "height")));
			break;
		}
	}
	json_object_object_add(r, "bandwidth", json_object_new_int64(v->bandwidth));
	json_object_object_add(r, "average_bandwidth", json_object_new_int64(v->average_bandwidth));
	if (v->codecs[0])
		json_object_object_add(r, "codecs", json_object_new_string(v->codecs));
	if (v->frame_rate > 0)
		json_object_object_add(r, "frame_rate", json_object_new_double(v->frame_rate));
	json_object_object_add(r, "duration", json_object_get(json_object_object_get(variant, "duration")));
	json_object_object_add(r, "bit_rate", json_object_get(json_object_object_get(variant, "bit_rate")));
	json_object_object_add(r, "playlist", json_object_new_string(v->uri));
	return r;
}

/*
 * A ladder: the renditions' media together (duration of the longest, bit
 * rate of all of them, which is what the output holds per second), and one
 * entry per rendition.
 */
static json_object *
probe_master(const char *path, const HlsVariant *variants, int n, char *err, size_t errlen)
{
	json_object *result = json_object_new_object();
	json_object *streams = json_object_new_array();
	json_object *renditions = json_object_new_array();
	double		duration = 0;
	int64_t		bit_rate = 0;

	for (int i = 0; i < n; i++)
	{
		char		variant_path[HLS_URI_BYTES + 4200];
		const char *slash = strrchr(path, '/');
		json_object *variant;

		snprintf(variant_path, sizeof(variant_path), "%.*s%s", slash ? (int) (slash - path + 1) : 0, path, variants[i].uri);
		if ((variant = probe_media_playlist(variant_path, err, errlen)) == NULL)
		{
			json_object_put(result);
			json_object_put(streams);
			json_object_put(renditions);
			return NULL;
		}
		duration = FFMAX(duration, json_object_get_double(json_object_object_get(variant, "duration")));
		bit_rate += json_object_get_int64(json_object_object_get(variant, "bit_rate"));
		add_streams(streams, variant, variants[i].frame_rate);
		json_object_array_add(renditions, rendition_json(path, &variants[i], variant));
		json_object_put(variant);
	}
	json_object_object_add(result, "format", json_object_new_string("hls"));
	json_object_object_add(result, "duration", json_object_new_double(duration));
	json_object_object_add(result, "bit_rate", json_object_new_int64(bit_rate));
	json_object_object_add(result, "streams", streams);
	json_object_object_add(result, "renditions", renditions);
	return result;
}

static json_object *
probe_hls(const char *path, char *err, size_t errlen)
{
	HlsVariant *variants = calloc(HLS_MAX_VARIANTS, sizeof(HlsVariant));
	FILE	   *f = fopen(path, "r");
	char		head[65536];
	size_t		len = f ? fread(head, 1, sizeof(head) - 1, f) : 0;
	json_object *result;
	int			n;

	if (f)
		fclose(f);
	head[len] = '\0';
	if (variants == NULL)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = hls_master_parse(head, variants, HLS_MAX_VARIANTS);
	result = n > 0 ? probe_master(path, variants, n, err, errlen) : probe_media_playlist(path, err, errlen);
	free(variants);
	return result;
}

json_object *
output_probe(const char *path, char *err, size_t errlen)
{
	size_t		len = strlen(path);

	if (len > 5 && strcmp(path + len - 5, ".m3u8") == 0)
		return probe_hls(path, err, errlen);
	return probe_media(path, NULL, err, errlen);
}

void
output_json_round_doubles(void)
{
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
}
