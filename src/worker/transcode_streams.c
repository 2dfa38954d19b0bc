/*
 * transcode_streams.c: which of the input's streams a job uses, and what
 * its result says about the others.
 *
 * A job's output carries at most one video and one audio stream:
 *
 *  - video: libavformat's best video stream, never a still picture attached
 *    to the file (cover art, AV_DISPOSITION_ATTACHED_PIC): an mp3 or m4a
 *    with a cover is audio, not a one-frame video;
 *  - audio: params.audio_track (its index among the input's audio streams)
 *    or params.audio_language (the stream's ISO 639-2 "language" tag, the
 *    bibliographic and terminologic codes alike: "fre" is "fra"), else
 *    libavformat's best audio stream (the default-flagged one first).
 *
 * Everything else is dropped and listed in the result: subtitles, data
 * streams, attachments, cover art and the tracks not chosen.  A job that
 * asks for video (or audio) of an input that has none completes without it
 * and says so in the result's warnings.
 */
#include "transcode_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * The ISO 639-2 languages whose bibliographic (B) code differs from the
 * terminologic (T) one; Matroska files tend to carry B codes, MP4 files T.
 */
static const char *const language_pairs[][2] = {
	{"alb", "sqi"}, {"arm", "hye"}, {"baq", "eus"}, {"bur", "mya"}, {"chi", "zho"},
	{"cze", "ces"}, {"dut", "nld"}, {"fre", "fra"}, {"geo", "kat"}, {"ger", "deu"},
	{"gre", "ell"}, {"ice", "isl"}, {"mac", "mkd"}, {"mao", "mri"}, {"may", "msa"},
	{"per", "fas"}, {"rum", "ron"}, {"slo", "slk"}, {"tib", "bod"}, {"wel", "cym"},
};

static int
is_cover_art(const AVStream *st)
{
	return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

/* A stream's language tag when it is a plausible code (letters only), else "". */
static const char *
language_of(const AVStream *st)
{
	static char code[4];
	const AVDictionaryEntry *tag = av_dict_get(st->metadata, "language", NULL, 0);
	size_t		len = tag ? strlen(tag->value) : 0;

	code[0] = '\0';
	if (len != 3)
		return code;
	for (int i = 0; i < 3; i++)
	{
		if (!isalpha((unsigned char) tag->value[i]))
			return "";
		code[i] = tolower((unsigned char) tag->value[i]);
	}
	code[3] = '\0';
	return code;
}

static const char *
terminologic(const char *code)
{
	for (size_t i = 0; i < sizeof(language_pairs) / sizeof(language_pairs[0]); i++)
		if (strcmp(code, language_pairs[i][0]) == 0)
			return language_pairs[i][1];
	return code;
}

static int
same_language(const char *a, const char *b)
{
	return a[0] && b[0] && strcmp(terminologic(a), terminologic(b)) == 0;
}

/* The best video stream that is a moving picture, or -1. */
static int
pick_video(const AVFormatContext *in)
{
	int			best = av_find_best_stream((AVFormatContext *) in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);

	if (best >= 0 && !is_cover_art(in->streams[best]))
		return best;
	for (unsigned i = 0; i < in->nb_streams; i++)
		if (in->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !is_cover_art(in->streams[i]))
			return (int) i;
	return -1;
}

/* "track 0 (eng), track 1 (no language tag)", or "no audio track". */
static void
describe_audio_tracks(const AVFormatContext *in, char *out, size_t outlen)
{
	size_t		used = 0;
	int			track = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < in->nb_streams && used < outlen; i++)
	{
		const char *language;

		if (in->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		if (track == 8)
		{
			used += snprintf(out + used, outlen - used, ", ...");
			break;
		}
		language = language_of(in->streams[i]);
		used += snprintf(out + used, outlen - used, "%strack %d (%s)", track ? ", " : "", track,
						 language[0] ? language : "no language tag");
		track++;
	}
	if (track == 0)
		snprintf(out, outlen, "no audio track");
}

/*
 * The audio stream params.audio_track or params.audio_language asks for:
 * its index, or -1 with the error set.  Among several in one language, the
 * default-flagged one, else the first.
 */
static int
pick_asked_audio(Transcoder *t)
{
	const JobSpec *spec = t->spec;
	int			track = 0;
	int			found = -1;
	char		tracks[400];

	for (unsigned i = 0; i < t->in->nb_streams; i++)
	{
		const AVStream *st = t->in->streams[i];

		if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
			continue;
		if (spec->audio_track == track++ ||
			(spec->audio_language[0] && same_language(language_of(st), spec->audio_language) &&
			 (found < 0 || ((st->disposition & AV_DISPOSITION_DEFAULT) &&
							!(t->in->streams[found]->disposition & AV_DISPOSITION_DEFAULT)))))
			found = (int) i;
	}
	if (found >= 0)
		return found;
	describe_audio_tracks(t->in, tracks, sizeof(tracks));
	if (spec->audio_track >= 0)
		snprintf(t->err, t->errlen, "the input has no audio track %d (params.audio_track counts from 0; it has: %s)",
				 spec->audio_track, tracks);
	else
		snprintf(t->err, t->errlen, "the input has no audio track in language \"%s\" (it has: %s)",
				 spec->audio_language, tracks);
	return -1;
}

/* A sentence for the result's warnings (the first TRANSCODE_MAX_WARNINGS are kept). */
void
transcode_warn(Transcoder *t, const char *format,...)
{
	TranscodeSummary *s = t->summary;
	va_list		args;

	if (s->nwarnings == TRANSCODE_MAX_WARNINGS)
		return;
	va_start(args, format);
	vsnprintf(s->warnings[s->nwarnings++], sizeof(s->warnings[0]), format, args);
	va_end(args);
}

/* Lists every input stream the output will not carry. */
static void
note_dropped(Transcoder *t)
{
	TranscodeSummary *s = t->summary;

	for (unsigned i = 0; i < t->in->nb_streams; i++)
	{
		const AVStream *st = t->in->streams[i];
		const char *type = av_get_media_type_string(st->codecpar->codec_type);
		DroppedStream *d;

		if ((int) i == t->video_index || (int) i == t->audio_index)
			continue;
		if (s->ndropped++ >= TRANSCODE_MAX_DROPPED)
			continue;
		d = &s->dropped[s->ndropped - 1];
		d->index = (int) i;
		snprintf(d->type, sizeof(d->type), "%s", type ? type : "unknown");
		/* A stream libavcodec has no name for (a timecode track) is named by its tag ("tmcd"). */
		if (st->codecpar->codec_id == AV_CODEC_ID_NONE && st->codecpar->codec_tag)
			av_fourcc_make_string(d->codec, st->codecpar->codec_tag);
		else
			snprintf(d->codec, sizeof(d->codec), "%s", avcodec_get_name(st->codecpar->codec_id));
		snprintf(d->language, sizeof(d->language), "%s", language_of(st));
		d->cover_art = is_cover_art(st);
	}
}

/* A stream libavcodec does not know can be neither decoded nor copied into a container. */
static TranscodeStatus
check_known_codec(Transcoder *t, int index, const char *kind)
{
	if (index < 0 || t->in->streams[index]->codecpar->codec_id != AV_CODEC_ID_NONE)
		return TRANSCODE_OK;
	snprintf(t->err, t->errlen, "the input's %s stream (#%d) has a codec libavcodec does not know: "
			 "it can be neither decoded nor copied", kind, index);
	return TRANSCODE_INPUT_ERROR;
}

TranscodeStatus
transcode_choose_streams(Transcoder *t)
{
	const JobSpec *spec = t->spec;
	int			has_cover = 0;
	TranscodeStatus status;

	for (unsigned i = 0; i < t->in->nb_streams; i++)
		has_cover |= is_cover_art(t->in->streams[i]);
	t->video_index = strcmp(spec->video_codec, "none") == 0 ? -1 : pick_video(t->in);
	if (strcmp(spec->audio_codec, "none") == 0)
		t->audio_index = -1;
	else if (spec->audio_track >= 0 || spec->audio_language[0])
	{
		if ((t->audio_index = pick_asked_audio(t)) < 0)
			return TRANSCODE_INPUT_ERROR;
	}
	else
		t->audio_index = av_find_best_stream(t->in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (t->audio_index < 0)
		t->audio_index = -1;
	t->video_mode = t->video_index < 0 ? STREAM_DROP : job_spec_encodes_video(spec) ? STREAM_DECODE : STREAM_COPY;
	t->audio_mode = t->audio_index < 0 ? STREAM_DROP : job_spec_encodes_audio(spec) ? STREAM_DECODE : STREAM_COPY;
	if (t->video_mode == STREAM_DROP && t->audio_mode == STREAM_DROP)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "the input has no video or audio stream to use", 0);
	if (spec->ladder && t->video_mode != STREAM_DECODE)
		return transcode_fail(t, TRANSCODE_INPUT_ERROR, "an adaptive bitrate ladder needs a video stream to encode", 0);
	if ((status = check_known_codec(t, t->video_index, "video")) != TRANSCODE_OK ||
		(status = check_known_codec(t, t->audio_index, "audio")) != TRANSCODE_OK)
		return status;

	/* What was asked for and cannot be had is said, not silently left out. */
	if (t->video_index < 0 && strcmp(spec->video_codec, "none") != 0)
		transcode_warn(t, has_cover ? "the input has no video stream, only cover art: the output is audio only"
					: "the input has no video stream: the output is audio only");
	if (t->audio_index < 0 && strcmp(spec->audio_codec, "none") != 0)
		transcode_warn(t, "the input has no audio stream: the output is video only");
	note_dropped(t);

	if (t->video_mode == STREAM_DECODE && (status = transcode_open_decoder(t, t->video_index, &t->video_dec)) != TRANSCODE_OK)
		return status;
	if (t->audio_mode == STREAM_DECODE && (status = transcode_open_decoder(t, t->audio_index, &t->audio_dec)) != TRANSCODE_OK)
		return status;
	return TRANSCODE_OK;
}

void
transcode_summary_notes(const TranscodeSummary *summary, json_object *result)
{
	if (summary->ndropped > 0)
	{
		json_object *dropped = json_object_new_array();

		for (int i = 0; i < summary->ndropped && i < TRANSCODE_MAX_DROPPED; i++)
		{
			const DroppedStream *d = &summary->dropped[i];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "index", json_object_new_int(d->index));
			json_object_object_add(o, "type", json_object_new_string(d->type));
			json_object_object_add(o, "codec", json_object_new_string(d->codec));
			if (d->language[0])
				json_object_object_add(o, "language", json_object_new_string(d->language));
			if (d->cover_art)
				json_object_object_add(o, "cover_art", json_object_new_boolean(1));
			json_object_array_add(dropped, o);
		}
		json_object_object_add(result, "dropped", dropped);
		if (summary->ndropped > TRANSCODE_MAX_DROPPED)
			json_object_object_add(result, "dropped_count", json_object_new_int(summary->ndropped));
	}
	if (summary->nwarnings > 0)
	{
		json_object *warnings = json_object_new_array();

		for (int i = 0; i < summary->nwarnings; i++)
			json_object_array_add(warnings, json_object_new_string(summary->warnings[i]));
		json_object_object_add(result, "warnings", warnings);
	}
}
