/*
 * test_job_spec.c: the params the database stores, as the worker reads them:
 * every built-in preset, the defaults a format implies, and the refusals.
 */
#include <string.h>

#include "../job_spec.h"
#include "../../common/job_params.h"
#include "check.h"

static JobSpec spec;
static char err[256];

static int
parse(const char *json, const char *output)
{
	err[0] = '\0';
	return job_spec_parse(json, output, 0, &spec, err, sizeof(err));
}

/* The built-in presets, as sql/0.1/30_jobs.sql defines them. */
static void
test_presets(void)
{
	CHECK(parse("{\"video_codec\": \"h264\", \"size\": \"854x480\", \"video_bitrate\": \"1200k\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"96k\", \"format\": \"mp4\"}", NULL) == 0 &&
		  spec.format == FORMAT_MP4 && spec.renditions[0].width == 854 && spec.renditions[0].height == 480 &&
		  spec.renditions[0].video_bitrate == 1200000 && spec.audio_bitrate == 96000 && spec.nrenditions == 1,
		  "480p-h264: 854x480 H.264 at 1.2 Mb/s with 96 kb/s AAC in MP4");
	CHECK(parse("{\"video_codec\": \"h264\", \"size\": \"1280x720\", \"fps\": 30, \"video_bitrate\": \"2500k\", \"encoder_preset\": \"veryfast\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"128k\", \"format\": \"mp4\"}", NULL) == 0 &&
		  spec.renditions[0].fps == 30 && strcmp(spec.encoder_preset, "veryfast") == 0 &&
		  spec.renditions[0].video_bitrate == 2500000,
		  "720p30-test: 30 fps, veryfast, 2.5 Mb/s");
	CHECK(parse("{\"video_codec\": \"h264\", \"size\": \"3840x2160\", \"fps\": 60, \"video_bitrate\": \"20000k\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"192k\", \"format\": \"mp4\"}", NULL) == 0 &&
		  spec.renditions[0].width == 3840 && spec.renditions[0].fps == 60 && spec.renditions[0].video_bitrate == 20000000,
		  "4K60-h264: 3840x2160 at 60 fps, 20 Mb/s");
	CHECK(parse("{\"video_codec\": \"h265\", \"size\": \"3840x2160\", \"crf\": 26, \"audio_codec\": \"aac\", \"audio_bitrate\": \"192k\", \"format\": \"mp4\"}", NULL) == 0 &&
		  strcmp(spec.video_codec, "h265") == 0 && spec.renditions[0].crf == 26 && spec.renditions[0].video_bitrate == 0,
		  "4K-h265: constant quality 26, no bitrate");
	CHECK(parse("{\"format\": \"hls\", \"audio_codec\": \"aac\", \"audio_bitrate\": \"128k\", \"renditions\": [{\"size\": \"1920x1080\", \"video_bitrate\": \"5000k\"}, {\"size\": \"1280x720\", \"video_bitrate\": \"2800k\"}, {\"size\": \"854x480\", \"video_bitrate\": \"1200k\"}]}", NULL) == 0 &&
		  spec.format == FORMAT_HLS && spec.ladder && spec.nrenditions == 3 &&
		  strcmp(spec.renditions[0].name, "1080p") == 0 && strcmp(spec.renditions[2].name, "480p") == 0 &&
		  spec.renditions[1].video_bitrate == 2800000 && strcmp(spec.video_codec, "h264") == 0,
		  "hls-abr: three renditions named by height, H.264 by default");
}

static void
test_defaults(void)
{
	CHECK(parse("{}", NULL) == 0 && spec.format == FORMAT_MP4 && strcmp(spec.video_codec, "h264") == 0 &&
		  strcmp(spec.audio_codec, "aac") == 0 && spec.renditions[0].crf == -1 && spec.renditions[0].width == 0,
		  "empty params: MP4 with H.264 and AAC at the input's size");
	CHECK(parse("{}", "out/clip.webm") == 0 && spec.format == FORMAT_WEBM &&
		  strcmp(spec.video_codec, "vp9") == 0 && strcmp(spec.audio_codec, "opus") == 0,
		  "a .webm output name picks WebM with VP9 and Opus");
	CHECK(parse("{}", "x/index.m3u8") == 0 && spec.format == FORMAT_HLS, "a .m3u8 output name picks HLS");
	CHECK(parse("{}", "rtmp://127.0.0.1/live/out") == 0 && spec.format == FORMAT_FLV, "an rtmp output picks FLV");
	CHECK(parse("{}", "clip.mkv") == 0 && spec.format == FORMAT_MKV, "a .mkv output name picks Matroska");
	CHECK(parse("{\"format\": \"mkv\"}", "clip.mp4") == 0 && spec.format == FORMAT_MKV, "params.format wins over the name");
	CHECK(parse("{}", NULL) == 0 && spec.hls_segment_seconds == 4, "HLS segments are 4 s by default");
	CHECK(parse("{\"renditions\": [{\"size\": \"640x360\", \"name\": \"sd\"}], \"format\": \"hls\", \"crf\": 20, \"fps\": 25}", NULL) == 0 &&
		  strcmp(spec.renditions[0].name, "sd") == 0 && spec.renditions[0].crf == 20 && spec.renditions[0].fps == 25,
		  "a rendition inherits the job's crf and fps and keeps its own name");
	CHECK(parse("{\"video_codec\": \"copy\", \"audio_codec\": \"copy\", \"format\": \"hls\"}", NULL) == 0 &&
		  !job_spec_encodes_video(&spec) && !job_spec_encodes_audio(&spec),
		  "copy is repackaging, not encoding");
	CHECK(parse("{\"duration\": 2.5, \"gop\": 48, \"video_bitrate\": \"1.5M\", \"maxrate\": \"2G\"}", NULL) < 0 &&
		  strstr(err, "maxrate"), "a bitrate past 1G is refused, as submit_job refuses it");
	CHECK(parse("{\"duration\": 2.5, \"gop\": 48, \"video_bitrate\": \"1.5M\", \"maxrate\": \"1G\"}", NULL) == 0 &&
		  spec.duration == 2.5 && spec.gop == 48 && spec.renditions[0].video_bitrate == 1500000 &&
		  spec.renditions[0].maxrate == 1000000000, "bitrates take k, M and G");
}

static void
test_refusals(void)
{
	CHECK(parse("{\"vidoe_codec\": \"h264\"}", NULL) < 0 && strstr(err, "unknown option \"vidoe_codec\""),
		  "an unknown option is refused by name");
	CHECK(parse("{\"video_codec\": \"mpeg2\"}", NULL) < 0 && strstr(err, "params.video_codec"), "an unknown codec is refused");
	CHECK(parse("{\"size\": \"1281x720\"}", NULL) < 0, "an odd width is refused");
	CHECK(parse("{\"size\": \"99999x720\"}", NULL) < 0, "a width past 7680 is refused");
	CHECK(parse("{\"crf\": 64}", NULL) < 0, "crf past 63 is refused");
	CHECK(parse("{\"video_bitrate\": \"fast\"}", NULL) < 0, "a bitrate that is not a number is refused");
	CHECK(parse("{\"format\": \"webm\", \"video_codec\": \"h264\"}", NULL) < 0 && strstr(err, "webm"),
		  "WebM cannot hold H.264");
	CHECK(parse("{\"format\": \"flv\", \"video_codec\": \"vp9\"}", NULL) < 0, "FLV cannot hold VP9");
	CHECK(parse("{\"renditions\": [{\"size\": \"640x360\"}]}", NULL) < 0 && strstr(err, "needs format hls"),
		  "renditions need format hls");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": []}", NULL) < 0, "an empty ladder is refused");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": [{\"video_bitrate\": \"1M\"}]}", NULL) < 0 &&
		  strstr(err, "no size"), "a rendition without a size is refused");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": [{\"size\": \"640x360\", \"gop\": 2}]}", NULL) < 0 &&
		  strstr(err, "unknown rendition option"), "a job-wide option inside a rendition is refused");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": [{\"size\": \"640x360\"}, {\"size\": \"640x360\"}]}", NULL) < 0 &&
		  strstr(err, "both named \"360p\""), "two renditions with one name are refused");
	CHECK(parse("{\"crf\": \"22\"}", NULL) < 0 && strstr(err, "params.crf"),
		  "a number given as a string is refused, as submit_job refuses it");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": [{\"size\": \"1280x720\"}, {\"size\": \"960x720\"}]}", NULL) < 0 &&
		  strstr(err, "name"), "two renditions of one height need names");
	CHECK(parse("{\"format\": \"hls\", \"renditions\": [{\"size\": \"1280x720\"}, {\"size\": \"960x720\", \"name\": \"720w\"}]}", NULL) == 0 &&
		  strcmp(spec.renditions[1].name, "720w") == 0, "named, they are accepted");
	CHECK(parse("{\"video_codec\": \"copy\", \"size\": \"640x360\"}", NULL) < 0 && strstr(err, "copy"),
		  "encode options with video copy are refused");
	CHECK(parse("{\"video_codec\": \"copy\", \"profile\": \"high\"}", NULL) < 0 &&
		  strstr(err, "params.profile needs the video to be encoded, but video_codec is copy") &&
		  parse("{\"video_codec\": \"none\", \"encoder_preset\": \"fast\"}", NULL) < 0 &&
		  strstr(err, "params.encoder_preset"),
		  "profile and encoder_preset with video copy or none are refused, as crf is");
	CHECK(parse("{\"audio_codec\": \"copy\", \"audio_bitrate\": \"128k\"}", NULL) < 0 &&
		  strstr(err, "params.audio_bitrate needs the audio to be encoded, but audio_codec is copy") &&
		  parse("{\"audio_codec\": \"none\", \"audio_channels\": 2}", NULL) < 0 &&
		  strstr(err, "params.audio_channels") &&
		  parse("{\"audio_codec\": \"copy\", \"audio_rate\": 48000}", NULL) < 0,
		  "audio encoder options with audio copy or none are refused");
	CHECK(parse("{\"video_codec\": \"copy\", \"audio_codec\": \"copy\", \"duration\": 5, \"audio_track\": 1}", NULL) == 0 &&
		  parse("{\"audio_codec\": \"none\", \"encoder_preset\": \"fast\", \"profile\": \"main\"}", NULL) == 0,
		  "what picks the input, or sets the other stream's encoder, goes with copy or none");
	CHECK(parse("[1, 2]", NULL) < 0, "params that are not an object are refused");
	CHECK(parse("{\"size\": ", NULL) < 0 && strstr(err, "not JSON"), "broken JSON is refused");
	CHECK(parse("{\"crf\": 22,}", NULL) < 0 && parse("{\"crf\": 22} x", NULL) < 0 &&
		  parse("{\"crf\": 22}{}", NULL) < 0 && parse("{\"crf\": 22 /* c */}", NULL) < 0 &&
		  parse("{\"crf\": 022}", NULL) < 0 && strstr(err, "not JSON"),
		  "what PostgreSQL's json refuses (trailing commas or text, comments, leading zeros) is refused");
	CHECK(parse("{\"crf\": 22} ", NULL) == 0 && spec.renditions[0].crf == 22, "white space after the object is fine");
	CHECK(parse("{\"encoder_preset\": \"fast\\u0000x\"}", NULL) < 0 && strstr(err, "encoder_preset"),
		  "a string holding \\u0000 is not read as the part before it");
	CHECK(parse("{\"format\": \"mp4\"}", "rtmp://127.0.0.1/live/x") < 0 && strstr(err, "rtmp") &&
		  parse("{}", "rtmp://127.0.0.1/live/x") == 0,
		  "an rtmp output carries FLV, whatever params.format says");
	CHECK(parse("{\"format\": \"flv\", \"audio_codec\": \"opus\"}", NULL) < 0 && strstr(err, "opus"),
		  "FLV cannot hold Opus");
	CHECK(parse("{\"encoder_preset\": \"abc\"}", NULL) < 0 && parse("{\"profile\": \"bogus\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"vp9\", \"profile\": \"0\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"h265\", \"profile\": \"main10\", \"encoder_preset\": \"slow\"}", NULL) == 0,
		  "encoder presets and profiles are the encoders' own words");
	CHECK(parse("{\"video_codec\": \"h265\", \"crf\": 52}", NULL) < 0 && strstr(err, "crf 0 to 51") &&
		  parse("{\"video_codec\": \"av1\", \"size\": \"62x64\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"av1\", \"maxrate\": \"101M\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"vp9\", \"bufsize\": \"1M\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"av1\", \"size\": \"64x64\", \"video_bitrate\": \"100M\"}", NULL) == 0,
		  "each video encoder's own limits: libx265's crf, SVT-AV1's bitrate and size, VP9's rate control");
	CHECK(parse("{\"format\": \"hls\", \"video_codec\": \"h265\", \"crf\": 52, \"renditions\": [{\"size\": \"640x360\"}]}", NULL) < 0 &&
		  strstr(err, "renditions[0]"), "a rendition is checked with what it inherits");
	CHECK(parse("{\"audio_codec\": \"opus\", \"audio_bitrate\": \"300k\"}", NULL) < 0 &&
		  parse("{\"audio_codec\": \"opus\", \"audio_bitrate\": \"300k\", \"audio_channels\": 2}", NULL) == 0,
		  "Opus takes at most 256k per channel");
	CHECK(parse("{\"size\": \"1280x 720\"}", NULL) < 0 && parse("{\"size\": \"1280x+720\"}", NULL) < 0 &&
		  parse("{\"size\": \"1280\"}", NULL) < 0 && parse("{\"size\": \"1280x\"}", NULL) < 0 &&
		  parse("{\"size\": \"x720\"}", NULL) < 0,
		  "a size is digits, 'x', digits");
}

/* The choices about real-world inputs: interlacing, HDR, which audio track. */
static void
test_media_choices(void)
{
	CHECK(parse("{}", NULL) == 0 && spec.deinterlace == DEINTERLACE_AUTO && spec.hdr == HDR_AUTO &&
		  spec.audio_track == -1 && spec.audio_language[0] == '\0',
		  "by default: deinterlace auto, hdr auto, the input's default audio track");
	CHECK(parse("{\"deinterlace\": \"off\", \"hdr\": \"tonemap\"}", NULL) == 0 &&
		  spec.deinterlace == DEINTERLACE_OFF && spec.hdr == HDR_TONEMAP,
		  "deinterlace off and hdr tonemap are read");
	CHECK(parse("{\"deinterlace\": \"on\", \"hdr\": \"keep\"}", NULL) == 0 &&
		  spec.deinterlace == DEINTERLACE_ON && spec.hdr == HDR_KEEP,
		  "deinterlace on and hdr keep are read");
	CHECK(parse("{\"deinterlace\": \"yes\"}", NULL) < 0 && strstr(err, "deinterlace"),
		  "deinterlace takes auto, on or off only");
	CHECK(parse("{\"hdr\": \"hlg\"}", NULL) < 0 && strstr(err, "hdr"), "hdr takes auto, keep or tonemap only");
	CHECK(parse("{\"audio_track\": 2}", NULL) == 0 && spec.audio_track == 2, "audio_track picks an audio stream by index");
	CHECK(parse("{\"audio_track\": 64}", NULL) < 0, "audio_track is at most 63");
	CHECK(parse("{\"audio_language\": \"fra\"}", NULL) == 0 && strcmp(spec.audio_language, "fra") == 0,
		  "audio_language picks an audio stream by its ISO 639-2 code");
	CHECK(parse("{\"audio_language\": \"fr\"}", NULL) < 0 && parse("{\"audio_language\": \"FRA\"}", NULL) < 0,
		  "audio_language is three lower-case letters");
	CHECK(parse("{\"audio_track\": 1, \"audio_language\": \"eng\"}", NULL) < 0 && strstr(err, "exclude"),
		  "audio_track and audio_language exclude each other");
	CHECK(parse("{\"audio_codec\": \"none\", \"audio_track\": 1}", NULL) < 0,
		  "choosing an audio track while dropping audio is refused");
	CHECK(parse("{\"video_codec\": \"copy\", \"deinterlace\": \"on\"}", NULL) < 0 &&
		  parse("{\"video_codec\": \"none\", \"hdr\": \"tonemap\"}", NULL) < 0,
		  "deinterlace and hdr need the video to be encoded");
	CHECK(parse("{\"video_codec\": \"vp9\", \"format\": \"hls\"}", NULL) < 0 && strstr(err, "hls") &&
		  parse("{\"video_codec\": \"av1\"}", "x/index.m3u8") < 0 &&
		  parse("{\"video_codec\": \"h265\", \"format\": \"hls\"}", NULL) == 0,
		  "HLS segments carry h264 or h265 video, not vp9 or av1");
	CHECK(parse("{\"video_codec\": \"none\", \"audio_codec\": \"none\"}", NULL) < 0 && strstr(err, "both video and audio") &&
		  parse("{\"video_codec\": \"none\"}", NULL) == 0 && parse("{\"audio_codec\": \"none\"}", NULL) == 0,
		  "dropping both video and audio is refused; dropping one is fine");
	CHECK(parse("{\"video_codec\": \"copy\", \"audio_track\": 1}", NULL) == 0,
		  "a copied stream may still be chosen by audio_track");
}

static void
test_helpers(void)
{
	CHECK(job_spec_parse_bitrate("2500k") == 2500000, "2500k is 2.5 Mb/s");
	CHECK(job_spec_parse_bitrate("2.5M") == 2500000, "2.5M is 2.5 Mb/s");
	CHECK(job_spec_parse_bitrate("800000") == 800000, "a bare number is bits per second");
	CHECK(job_spec_parse_bitrate("-1k") == -1 && job_spec_parse_bitrate("1kk") == -1 && job_spec_parse_bitrate("") == -1,
		  "negative, doubled units and empty bitrates are refused");
	CHECK(strcmp(job_params_encoder("h264", 0), "libx264") == 0 && strcmp(job_params_encoder("h264", 1), "h264_nvenc") == 0,
		  "h264 is libx264, or NVENC for GPU jobs");
	CHECK(strcmp(job_params_encoder("h265", 0), "libx265") == 0 && strcmp(job_params_encoder("vp9", 1), "libvpx-vp9") == 0 &&
		  strcmp(job_params_encoder("av1", 0), "libsvtav1") == 0 && strcmp(job_params_encoder("opus", 0), "libopus") == 0,
		  "h265, vp9, av1 and opus map to Debian's encoders");
	CHECK(job_params_encoder("copy", 0) == NULL, "copy has no encoder");
	CHECK(job_params_word_in("default", "live default batch") && !job_params_word_in("live default", "live default batch") &&
		  !job_params_word_in("", "live default batch"),
		  "a word of a list is one of its items, never two of them with the space between");
	CHECK(job_params_speed_rank("fast") == 5 && job_params_speed_rank("fast faster") == -1,
		  "an encoder preset is one word too");
	{
		/* What dispatch matches against a node's encoders: what the worker will open. */
		JobParamsNode items[2] = {
			{.type = JP_STRING, .key = "video_codec", .string = "av1"},
			{.type = JP_STRING, .key = "audio_codec", .string = "none"},
		};
		JobParamsNode params = {.type = JP_OBJECT, .nitems = 2, .items = items};
		JobParamsNode empty = {.type = JP_OBJECT};
		const char *need[JOB_PARAMS_MAX_ENCODERS];
		const char *any[JOB_PARAMS_ANY_ENCODERS];
		int			n = job_params_any_encoders(1, any);

		CHECK(job_params_encoders(&params, NULL, 0, need) == 1 && strcmp(need[0], "libsvtav1") == 0,
			  "an av1 job without audio needs libsvtav1 only");
		CHECK(job_params_encoders(&empty, "out/a.webm", 0, need) == 2 && strcmp(need[0], "libvpx-vp9") == 0 &&
			  strcmp(need[1], "libopus") == 0, "a webm output's defaults need libvpx-vp9 and libopus");
		CHECK(job_params_encoders(&empty, NULL, 2, need) == 2 && strcmp(need[0], "h264_nvenc") == 0 &&
			  strcmp(need[1], "aac") == 0, "a GPU job's default h264 needs NVENC, its audio aac");
		CHECK(n == 6 && strcmp(any[0], "h264_nvenc") == 0 && strcmp(any[5], "libopus") == 0,
			  "every encoder a GPU job may need: the codecs' words mapped, copy and none left out");
	}
	/* NVENC's presets: x264's ten words onto p1 (fastest) .. p7, medium on p4, its default. */
	CHECK(strcmp(job_spec_nvenc_preset("placebo"), "p7") == 0 && strcmp(job_spec_nvenc_preset("veryslow"), "p7") == 0 &&
		  strcmp(job_spec_nvenc_preset("slower"), "p6") == 0 && strcmp(job_spec_nvenc_preset("slow"), "p5") == 0 &&
		  strcmp(job_spec_nvenc_preset("medium"), "p4") == 0 && strcmp(job_spec_nvenc_preset("fast"), "p3") == 0 &&
		  strcmp(job_spec_nvenc_preset("faster"), "p2") == 0 && strcmp(job_spec_nvenc_preset("veryfast"), "p1") == 0 &&
		  strcmp(job_spec_nvenc_preset("superfast"), "p1") == 0 && strcmp(job_spec_nvenc_preset("ultrafast"), "p1") == 0,
		  "each x264 preset word has an NVENC preset, medium on p4, slower words on slower steps");
	CHECK(job_spec_nvenc_preset("p4") == NULL && job_spec_nvenc_preset("") == NULL && job_spec_nvenc_preset("Fast") == NULL,
		  "other words have none");
	CHECK(job_params_speed_rank("placebo") == 0 && job_params_speed_rank("medium") == 4 &&
		  job_params_speed_rank("ultrafast") == 9 && job_params_speed_rank("fas") == -1 &&
		  job_params_speed_rank("") == -1, "speed ranks run from placebo (0) to ultrafast (9)");
	/* NVENC's profiles, for a job with gpus. */
	CHECK(job_spec_parse("{\"profile\": \"high10\"}", NULL, 1, &spec, err, sizeof(err)) < 0 &&
		  strstr(err, "video_codec h264 on a GPU (NVENC) has no profile \"high10\"") &&
		  job_spec_parse("{\"profile\": \"high444\"}", NULL, 2, &spec, err, sizeof(err)) < 0 &&
		  job_spec_parse("{\"video_codec\": \"h265\", \"profile\": \"main12\"}", NULL, 1, &spec, err, sizeof(err)) < 0,
		  "a job with gpus is refused a profile NVENC lacks");
	CHECK(job_spec_parse("{\"profile\": \"high\"}", NULL, 1, &spec, err, sizeof(err)) == 0 &&
		  job_spec_parse("{\"video_codec\": \"h265\", \"profile\": \"main10\"}", NULL, 1, &spec, err, sizeof(err)) == 0 &&
		  job_spec_parse("{\"profile\": \"high10\"}", NULL, 0, &spec, err, sizeof(err)) == 0 &&
		  job_spec_parse("{\"video_codec\": \"vp9\", \"format\": \"webm\", \"encoder_preset\": \"slow\"}", NULL, 1, &spec, err,
						 sizeof(err)) == 0,
		  "the profiles both take are, without gpus all libx264's, and vp9 (no NVENC) is as without");

	/* The rule the worker's output planning asks again, from the one table. */
	CHECK(strcmp(job_spec_format_name(FORMAT_HLS), "hls") == 0 && strcmp(job_spec_format_name(FORMAT_FLV), "flv") == 0 &&
		  job_params_output_carries("rtmp://h/live/k", job_spec_format_name(FORMAT_FLV)) &&
		  !job_params_output_carries("rtmps://h/live/k", job_spec_format_name(FORMAT_MP4)) &&
		  job_params_output_carries("a/b.mp4", "hls") && job_params_output_carries(NULL, "mkv"),
		  "an rtmp output carries flv only, a file output any format");
	CHECK(strcmp(job_spec_extension(FORMAT_HLS), "m3u8") == 0 && strcmp(job_spec_extension(FORMAT_MKV), "mkv") == 0,
		  "extensions follow the format");
}

int
main(void)
{
	test_presets();
	test_defaults();
	test_refusals();
	test_media_choices();
	test_helpers();
	return check_summary();
}
