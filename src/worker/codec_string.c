/*
 * codec_string.c: the names RFC 6381 gives codecs ("avc1.64001f",
 * "hev1.1.6.L93.90", "mp4a.40.2"), the form HLS's CODECS attribute (RFC 8216
 * 4.3.4.2) and MIME types take, read from what an encoder really wrote: the
 * H.264 or H.265 sequence parameter set of a file's first video packet
 * (libx264 writes no global header for MPEG-TS), and the AAC object type.
 */
#include "codec_string.h"

#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

const uint8_t *
codec_string_find_nal(const uint8_t *data, size_t size, int hevc, int type, size_t *len)
{
	for (size_t i = 0; i + 3 < size; i++)
	{
		const uint8_t *nal;
		size_t		end;
		int			nal_type;

		if (data[i] != 0 || data[i + 1] != 0 || data[i + 2] != 1)
			continue;
		nal = data + i + 3;
		nal_type = hevc ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
		if (nal_type != type)
			continue;
		for (end = i + 3; end + 2 < size; end++)
			if (data[end] == 0 && data[end + 1] == 0 && (data[end + 2] == 1 || data[end + 2] == 0))
				break;
		if (end + 2 >= size)
			end = size;
		*len = data + end - nal;
		return nal;
	}
	return NULL;
}

/* The first n bytes of a NAL unit's payload (after skip header bytes), emulation prevention removed. */
static int
rbsp_bytes(const uint8_t *nal, size_t len, size_t skip, uint8_t *out, size_t n)
{
	size_t		got = 0;
	int			zeros = 0;

	for (size_t i = skip; i < len && got < n; i++)
	{
		if (zeros >= 2 && nal[i] == 3)
		{
			zeros = 0;
			continue;
		}
		zeros = nal[i] == 0 ? zeros + 1 : 0;
		out[got++] = nal[i];
	}
	return got == n ? 0 : -1;
}

int
codec_string_avc(const uint8_t *sps, size_t len, char *out, size_t outlen)
{
	uint8_t		b[3];			/* profile_idc, constraint_set flags, level_idc */

	if (len < 1 || (sps[0] & 0x1f) != 7 || rbsp_bytes(sps, len, 1, b, sizeof(b)) < 0)
		return -1;
	snprintf(out, outlen, "avc1.%02x%02x%02x", b[0], b[1], b[2]);
	return 0;
}

int
codec_string_hevc(const uint8_t *sps, size_t len, char *out, size_t outlen)
{
	uint8_t		b[13];			/* up to general_level_idc of profile_tier_level() */
	uint32_t	compat;
	uint32_t	reversed = 0;
	int			last;
	int			n;

	if (len < 2 || ((sps[0] >> 1) & 0x3f) != 33 || rbsp_bytes(sps, len, 2, b, sizeof(b)) < 0)
		return -1;
	compat = (uint32_t) b[2] << 24 | (uint32_t) b[3] << 16 | (uint32_t) b[4] << 8 | b[5];
	for (int i = 0; i < 32; i++)
		reversed |= ((compat >> i) & 1) << (31 - i);

	/*
	 * ISO/IEC 14496-15 E.3: profile space (none, A, B, C) and profile, the
	 * compatibility flags in reverse bit order, tier and level, then the
	 * constraint bytes without trailing zeros.  hev1, not hvc1: MPEG-TS
	 * segments carry the parameter sets in band.
	 */
	n = snprintf(out, outlen, "hev1.%s%d.%X.%c%d", (const char *[]) {"", "A", "B", "C"}[b[1] >> 6],
				 b[1] & 0x1f, reversed, (b[1] & 0x20) ? 'H' : 'L', b[12]);
	for (last = 11; last >= 6 && b[last] == 0; last--)
		;
	for (int i = 6; i <= last && n > 0 && (size_t) n < outlen; i++)
		n += snprintf(out + n, outlen - n, ".%X", b[i]);
	return 0;
}

/* Files --------------------------------------------------------------------- */

/* The parameter sets of a video stream: its first packet's, else its extradata's. */
static int
video_codec_string(AVFormatContext *fmt, AVStream *st, char *out, size_t outlen)
{
	int			hevc = st->codecpar->codec_id == AV_CODEC_ID_HEVC;
	AVPacket   *pkt = av_packet_alloc();
	const uint8_t *sps = NULL;
	size_t		len = 0;
	int			rc = -1;

	for (int tries = 0; pkt && tries < 1000 && av_read_frame(fmt, pkt) >= 0; tries++)
	{
		int			mine = pkt->stream_index == st->index;

		if (mine && (sps = codec_string_find_nal(pkt->data, pkt->size, hevc, hevc ? 33 : 7, &len)) != NULL)
			rc = hevc ? codec_string_hevc(sps, len, out, outlen) : codec_string_avc(sps, len, out, outlen);
		av_packet_unref(pkt);
		if (mine)
			break;
	}
	av_packet_free(&pkt);
	if (rc < 0 && st->codecpar->extradata &&
		(sps = codec_string_find_nal(st->codecpar->extradata, st->codecpar->extradata_size, hevc, hevc ? 33 : 7, &len)) != NULL)
		rc = hevc ? codec_string_hevc(sps, len, out, outlen) : codec_string_avc(sps, len, out, outlen);
	return rc;
}

static int
audio_codec_string(const AVCodecParameters *par, char *out, size_t outlen)
{
	switch (par->codec_id)
	{
		case AV_CODEC_ID_AAC:
			/* The MPEG-4 audio object type is the profile + 1 (LC: 2, HE: 5, HEv2: 29). */
			if (par->profile < 0)
				return -1;
			snprintf(out, outlen, "mp4a.40.%d", par->profile + 1);
			return 0;
		case AV_CODEC_ID_MP3:
			snprintf(out, outlen, "mp4a.40.34");
			return 0;
		case AV_CODEC_ID_AC3:
			snprintf(out, outlen, "ac-3");
			return 0;
		case AV_CODEC_ID_EAC3:
			snprintf(out, outlen, "ec-3");
			return 0;
		case AV_CODEC_ID_OPUS:
			snprintf(out, outlen, "Opus");
			return 0;
		default:
			return -1;
	}
}

void
codec_string_of_file(const char *path, char *out, size_t outlen)
{
	AVFormatContext *fmt = NULL;
	AVDictionary *options = NULL;
	char		url[4200 + 16];
	char		video[64] = "";
	char		audio[64] = "";
	int			ok = 1;

	out[0] = '\0';
	snprintf(url, sizeof(url), "file:%s", path);
	av_dict_set(&options, "protocol_whitelist", "file", 0);
	if (avformat_open_input(&fmt, url, av_find_input_format("mpegts"), &options) < 0 ||
		avformat_find_stream_info(fmt, NULL) < 0)
		ok = 0;
	av_dict_free(&options);
	for (unsigned i = 0; ok && i < fmt->nb_streams; i++)
	{
		AVStream   *st = fmt->streams[i];
		enum AVMediaType type = st->codecpar->codec_type;

		if (type == AVMEDIA_TYPE_VIDEO && !video[0])
			ok = (st->codecpar->codec_id == AV_CODEC_ID_H264 || st->codecpar->codec_id == AV_CODEC_ID_HEVC) &&
				video_codec_string(fmt, st, video, sizeof(video)) == 0;
		else if (type == AVMEDIA_TYPE_AUDIO && !audio[0])
			ok = audio_codec_string(st->codecpar, audio, sizeof(audio)) == 0;
	}
	if (ok)
		snprintf(out, outlen, "%s%s%s", video, video[0] && audio[0] ? "," : "", audio);
	avformat_close_input(&fmt);
}
