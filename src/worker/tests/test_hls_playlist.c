/*
 * test_hls_playlist.c: the pure parts of hls_playlist.c: media and master
 * playlist parsing, TARGETDURATION (RFC 8216 4.3.3.1), peak and average
 * segment bit rates (4.1, 4.3.4.2), and RFC 6381 codec strings from the
 * parameter set bytes libx264 and libx265 write.
 */
#include <stdlib.h>
#include <string.h>

#include "../hls_playlist.h"
#include "check.h"

/* As FFmpeg 5.1's hls muxer writes a VOD playlist of a 0.1 s clip. */
static const char *const short_clip =
	"#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:0\n#EXT-X-MEDIA-SEQUENCE:0\n"
	"#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXTINF:0.100000,\nindex_00000.ts\n#EXT-X-ENDLIST\n";

static void
test_media_parse(void)
{
	HlsMediaPlaylist pl;
	const char *crlf = "#EXTM3U\r\n#EXT-X-TARGETDURATION:4\r\n#EXTINF:4.004,\r\na.ts\r\n#EXTINF:4.5,title\r\n"
		"#EXT-X-DISCONTINUITY\r\nsub/b.ts\r\n#EXTINF:0.96,\r\nc.ts\r\n";

	CHECK(hls_media_parse(short_clip, &pl) == 0 && pl.target_duration == 0 && pl.ended && pl.nsegments == 1 &&
		  pl.segments[0].duration == 0.1 && strcmp(pl.segments[0].uri, "index_00000.ts") == 0 &&
		  pl.segments[0].bytes == -1,
		  "a media playlist: TARGETDURATION, one segment with its EXTINF and URI, ENDLIST");
	CHECK(hls_required_target_duration(&pl) == 1, "a 0.1 s segment needs TARGETDURATION 1, never 0");
	hls_media_free(&pl);

	CHECK(hls_media_parse(crlf, &pl) == 0 && pl.target_duration == 4 && !pl.ended && pl.nsegments == 3 &&
		  pl.segments[1].duration == 4.5 && strcmp(pl.segments[1].uri, "sub/b.ts") == 0 &&
		  strcmp(pl.segments[2].uri, "c.ts") == 0,
		  "CRLF line ends, a title after EXTINF, a tag between EXTINF and its URI");
	CHECK(hls_required_target_duration(&pl) == 5, "EXTINF 4.5 rounds to 5 (to the nearest integer, half up)");
	pl.segments[1].duration = 4.49;
	CHECK(hls_required_target_duration(&pl) == 4, "EXTINF 4.49 and 4.004 round to 4");
	hls_media_free(&pl);

	CHECK(hls_media_parse("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n", &pl) == -1,
		  "a master playlist is not a media playlist");
	CHECK(hls_media_parse("index_00000.ts\n", &pl) == -1, "text without #EXTM3U is not a playlist");
}

static void
test_set_target_duration(void)
{
	char	   *fixed = hls_set_target_duration(short_clip, 1);

	CHECK(fixed && strstr(fixed, "#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n") &&
		  !strstr(fixed, "TARGETDURATION:0") && strlen(fixed) == strlen(short_clip),
		  "TARGETDURATION 0 is rewritten to 1, the rest unchanged");
	free(fixed);
	CHECK(hls_set_target_duration("#EXTM3U\n#EXTINF:1,\na.ts\n", 1) == NULL,
		  "a playlist without TARGETDURATION is not silently changed");
}

static void
test_bit_rates(void)
{
	HlsSegment	segs[] = {
		{.duration = 1.0, .bytes = 125000, .uri = "0.ts"},	/* 1 Mb/s */
		{.duration = 1.0, .bytes = 250000, .uri = "1.ts"},	/* 2 Mb/s */
		{.duration = 0.1, .bytes = 50000, .uri = "2.ts"},	/* 4 Mb/s, but only 0.1 s */
	};
	HlsMediaPlaylist pl = {.target_duration = 1, .nsegments = 3, .segments = segs};
	HlsSegment	one = {.duration = 0.1, .bytes = 5000, .uri = "0.ts"};
	HlsMediaPlaylist short_pl = {.target_duration = 1, .nsegments = 1, .segments = &one};
	HlsMediaPlaylist empty = {.target_duration = 1};

	/* Runs of 0.5 to 1.5 s: 0 (1 Mb/s), 1 (2 Mb/s), 1+2 (300000 B in 1.1 s); 2 alone is too short. */
	CHECK(hls_peak_bit_rate(&pl, 1) == 2181819, "peak: the fastest run of 0.5 to 1.5 target durations, rounded up");
	CHECK(hls_peak_bit_rate(&pl, 3) == 1619048,
		  "peak with target 3: only runs of 1.5 to 4.5 s count (the fastest: all three, 425000 B in 2.1 s)");
	CHECK(hls_average_bit_rate(&pl) == 1619048, "average: all bits over all EXTINF seconds, rounded up");
	CHECK(hls_total_duration(&pl) > 2.0999 && hls_total_duration(&pl) < 2.1001, "total duration: the sum of EXTINF");
	CHECK(hls_peak_bit_rate(&short_pl, 1) == 400000 && hls_average_bit_rate(&short_pl) == 400000,
		  "a clip shorter than half a target duration: its one segment's rate");
	CHECK(hls_peak_bit_rate(&empty, 1) == 0 && hls_average_bit_rate(&empty) == 0, "no segments: no rate");
}

static void
test_master(void)
{
	HlsVariant	out[2] = {
		{.uri = "index_720p.m3u8", .bandwidth = 2400000, .average_bandwidth = 2100000, .width = 1280,
		.height = 720, .frame_rate = 30000.0 / 1001, .codecs = "avc1.64001f,mp4a.40.2"},
		{.uri = "index_180p.m3u8", .bandwidth = 300000, .average_bandwidth = 250000, .width = 320, .height = 180,
		.video_range = "PQ"},
	};
	HlsVariant	in[4];
	char	   *text = NULL;
	size_t		len = 0;
	FILE	   *f = open_memstream(&text, &len);

	hls_master_print(f, out, 2);
	fclose(f);
	CHECK(strstr(text, "#EXT-X-STREAM-INF:BANDWIDTH=2400000,AVERAGE-BANDWIDTH=2100000,"
				 "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=29.970\nindex_720p.m3u8\n") != NULL,
		  "a variant: BANDWIDTH, AVERAGE-BANDWIDTH, CODECS quoted, RESOLUTION, FRAME-RATE with 3 decimals, its URI");
	CHECK(strstr(text, "BANDWIDTH=300000,AVERAGE-BANDWIDTH=250000,RESOLUTION=320x180,VIDEO-RANGE=PQ\nindex_180p.m3u8\n") != NULL,
		  "no CODECS and no FRAME-RATE where they are not known; VIDEO-RANGE for HDR");
	CHECK(strstr(text, "FRAME-RATE=29.970\nindex_720p") != NULL, "no VIDEO-RANGE for SDR, its default");
	CHECK(hls_master_parse(text, in, 4) == 2 && in[0].bandwidth == 2400000 && in[0].average_bandwidth == 2100000 &&
		  strcmp(in[0].codecs, "avc1.64001f,mp4a.40.2") == 0 && in[0].width == 1280 && in[0].height == 720 &&
		  in[0].frame_rate == 29.97 && strcmp(in[1].uri, "index_180p.m3u8") == 0 && in[1].codecs[0] == '\0' &&
		  strcmp(in[1].video_range, "PQ") == 0 && in[0].video_range[0] == '\0',
		  "what is written parses back, a comma inside CODECS included");
	free(text);
	CHECK(hls_master_parse("#EXTM3U\n#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=5,CODECS=\"a,BANDWIDTH=7\",BANDWIDTH=9\nv.m3u8\n",
						   in, 4) == 1 && in[0].bandwidth == 9 && in[0].average_bandwidth == 5,
		  "BANDWIDTH is not read from AVERAGE-BANDWIDTH or from inside a quoted value");
	CHECK(hls_master_parse(short_clip, in, 4) == -1, "a media playlist is not a master");
}

static void
test_codec_strings(void)
{
	/* libx264 Annex B: SPS (High, level 3.1), PPS. */
	static const uint8_t x264[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50,
	0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb};
	/* libx264 -profile:v baseline at 320x240: constraint_set0 and 1 flags (0xc0), level 1.3. */
	static const uint8_t baseline[] = {0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41};
	/* libx265 Main at 320x240: VPS, then the SPS, with emulation prevention bytes. */
	static const uint8_t x265[] = {0, 0, 0, 1, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60,
		0, 0, 0, 1, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00,
	0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f, 0, 0, 0, 1, 0x44, 0x01, 0xc1};
	const uint8_t *nal;
	size_t		len = 0;
	char		s[64];

	nal = codec_string_find_nal(x264, sizeof(x264), 0, 7, &len);
	CHECK(nal == x264 + 4 && len == 8, "the SPS NAL unit of an Annex B stream, up to the next start code");
	CHECK(nal && codec_string_avc(nal, len, s, sizeof(s)) == 0 && strcmp(s, "avc1.64001f") == 0,
		  "High@3.1 is avc1.64001f (profile_idc, constraint flags, level_idc in hex)");
	nal = codec_string_find_nal(x264, sizeof(x264), 0, 8, &len);
	CHECK(nal == x264 + 16 && len == 4, "the PPS, the last NAL unit, runs to the end of the data");
	CHECK(codec_string_avc(nal, len, s, sizeof(s)) == -1, "a PPS is not an SPS");
	nal = codec_string_find_nal(baseline, sizeof(baseline), 0, 7, &len);
	CHECK(nal && codec_string_avc(nal, len, s, sizeof(s)) == 0 && strcmp(s, "avc1.42c00d") == 0,
		  "constrained baseline keeps its constraint flags: avc1.42c00d");
	CHECK(codec_string_find_nal(x264, sizeof(x264), 0, 5, &len) == NULL, "no IDR slice in parameter sets");

	nal = codec_string_find_nal(x265, sizeof(x265), 1, 33, &len);
	CHECK(nal == x265 + 16, "the HEVC SPS (NAL type 33), after the VPS");
	CHECK(nal && codec_string_hevc(nal, len, s, sizeof(s)) == 0 && strcmp(s, "hev1.1.6.L60.90") == 0,
		  "HEVC Main, level 2 (60), progressive and frame-only: hev1.1.6.L60.90");
	CHECK(nal && codec_string_hevc(nal, 10, s, sizeof(s)) == -1, "a truncated SPS gives no string");
}

int
main(void)
{
	test_media_parse();
	test_set_target_duration();
	test_bit_rates();
	test_master();
	test_codec_strings();
	return check_summary();
}
