/*
 * output_probe.c: reading a finished output back, so that a job's result
 * says what was written rather than what was asked for.
 */
#include "output_probe.h"

#include <stdio.h>

#include <libavformat/avformat.h>

static json_object *
stream_json(AVFormatContext *fmt, AVStream *st)
{
	AVCodecParameters *par = st->codecpar;
	json_object *s = json_object_new_object();

	json_object_object_add(s, "type", json_object_new_string(av_get_media_type_string(par->codec_type)));
	json_object_object_add(s, "codec", json_object_new_string(avcodec_get_name(par->codec_id)));
	if (par->codec_type == AVMEDIA_TYPE_VIDEO)
	{
		AVRational	rate = av_guess_frame_rate(fmt, st, NULL);

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

json_object *
output_probe(const char *path, char *err, size_t errlen)
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
	ret = avformat_open_input(&fmt, url, NULL, &options);
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
		json_object_array_add(streams, stream_json(fmt, fmt->streams[i]));
	json_object_object_add(result, "streams", streams);
	avformat_close_input(&fmt);
	return result;
}
