/*
 * test_colour.c: the colour plan: tags kept or guessed, full range and RGB
 * converted, 10-bit SDR made 8-bit, PQ and HLG kept, tone-mapped or refused
 * as params.hdr and the codec say.
 */
#include <string.h>

#include "../colour.h"
#include "check.h"

static const enum AVPixelFormat x264_formats[] = {
	AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NONE
};
static const enum AVPixelFormat x265_formats[] = {
	AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_NONE
};
static const enum AVPixelFormat nvenc_formats[] = {AV_PIX_FMT_YUV420P, AV_PIX_FMT_NV12, AV_PIX_FMT_P010LE, AV_PIX_FMT_NONE};
static const enum AVPixelFormat eight_bit_only[] = {AV_PIX_FMT_YUV420P, AV_PIX_FMT_NONE};

static ColourPlan plan;
static char err[256];

static ColourInput
input(enum AVPixelFormat pix_fmt, int width, int height, const char *codec)
{
	ColourInput in = {
		.pix_fmt = pix_fmt, .width = width, .height = height,
		.range = AVCOL_RANGE_UNSPECIFIED, .space = AVCOL_SPC_UNSPECIFIED,
		.primaries = AVCOL_PRI_UNSPECIFIED, .trc = AVCOL_TRC_UNSPECIFIED,
		.codec = codec, .encoder = strcmp(codec, "h264") == 0 ? "libx264" : "libx265",
		.encoder_formats = strcmp(codec, "h264") == 0 ? x264_formats : x265_formats, .hdr = HDR_AUTO,
	};

	return in;
}

static int
plan_of(const ColourInput *in)
{
	err[0] = '\0';
	return colour_plan(in, &plan, err, sizeof(err));
}

static int
tags_are(enum AVColorRange range, enum AVColorSpace space, enum AVColorPrimaries primaries,
		 enum AVColorTransferCharacteristic trc)
{
	return plan.range == range && plan.space == space && plan.primaries == primaries && plan.trc == trc;
}

static void
test_sdr(void)
{
	ColourInput in = input(AV_PIX_FMT_YUV420P, 1920, 1080, "h264");

	in.range = AVCOL_RANGE_MPEG;
	in.space = AVCOL_SPC_BT709, in.primaries = AVCOL_PRI_BT709, in.trc = AVCOL_TRC_BT709;
	CHECK(plan_of(&in) == 0 && tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709) &&
		  plan.pix_fmt == AV_PIX_FMT_YUV420P && plan.prefix[0] == '\0' && plan.scale_args[0] == '\0',
		  "a tv/bt709 input keeps its tags and needs no filter");

	in.space = AVCOL_SPC_SMPTE170M, in.primaries = AVCOL_PRI_BT470BG, in.trc = AVCOL_TRC_GAMMA28;
	CHECK(plan_of(&in) == 0 && tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_SMPTE170M, AVCOL_PRI_BT470BG, AVCOL_TRC_GAMMA28),
		  "whatever tags the input has are copied, even on an HD picture");

	in = input(AV_PIX_FMT_YUVJ420P, 640, 360, "h264");
	in.range = AVCOL_RANGE_JPEG;
	in.space = AVCOL_SPC_BT709, in.primaries = AVCOL_PRI_BT709, in.trc = AVCOL_TRC_BT709;
	CHECK(plan_of(&in) == 0 && plan.range == AVCOL_RANGE_MPEG && plan.pix_fmt == AV_PIX_FMT_YUV420P &&
		  strcmp(plan.scale_args, "in_range=pc:out_range=tv") == 0,
		  "yuvj420p (full range) is converted to limited range by the scale, and tagged tv");
	in.pix_fmt = AV_PIX_FMT_YUVJ420P, in.range = AVCOL_RANGE_UNSPECIFIED;
	CHECK(plan_of(&in) == 0 && strcmp(plan.scale_args, "in_range=pc:out_range=tv") == 0,
		  "yuvj420p means full range even without a range tag");
	in.pix_fmt = AV_PIX_FMT_YUV420P, in.range = AVCOL_RANGE_JPEG;
	CHECK(plan_of(&in) == 0 && plan.range == AVCOL_RANGE_MPEG && strcmp(plan.scale_args, "in_range=pc:out_range=tv") == 0,
		  "yuv420p tagged pc is converted the same way");

	in = input(AV_PIX_FMT_YUV420P10LE, 1280, 720, "h264");
	in.range = AVCOL_RANGE_MPEG;
	in.space = AVCOL_SPC_BT709, in.primaries = AVCOL_PRI_BT709, in.trc = AVCOL_TRC_BT709;
	CHECK(plan_of(&in) == 0 && plan.pix_fmt == AV_PIX_FMT_YUV420P &&
		  tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709) && !plan.hdr_kept,
		  "10-bit SDR becomes 8-bit with its tags kept");
	in.codec = "h265", in.encoder_formats = x265_formats;
	CHECK(plan_of(&in) == 0 && plan.pix_fmt == AV_PIX_FMT_YUV420P, "10-bit SDR is 8-bit for h265 too");
}

static void
test_untagged(void)
{
	ColourInput in = input(AV_PIX_FMT_YUV420P, 1280, 720, "h264");

	CHECK(plan_of(&in) == 0 && tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709) &&
		  plan.scale_args[0] == '\0', "untagged HD is BT.709, limited range");
	in.width = 720, in.height = 576;
	CHECK(plan_of(&in) == 0 &&
		  tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT470BG, AVCOL_PRI_BT470BG, AVCOL_TRC_SMPTE170M),
		  "untagged 576-line SD is BT.601 625-line (bt470bg)");
	in.width = 720, in.height = 480;
	CHECK(plan_of(&in) == 0 &&
		  tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_SMPTE170M, AVCOL_PRI_SMPTE170M, AVCOL_TRC_SMPTE170M),
		  "untagged 480-line SD is BT.601 525-line (smpte170m)");
	in.width = 1024, in.height = 768;
	CHECK(plan_of(&in) == 0 && plan.space == AVCOL_SPC_BT709, "more than 576 lines is HD");
	in.width = 640, in.height = 360, in.primaries = AVCOL_PRI_BT709;
	CHECK(plan_of(&in) == 0 && plan.primaries == AVCOL_PRI_BT709 && plan.space == AVCOL_SPC_SMPTE170M,
		  "a missing tag is guessed, the others kept");

	in = input(AV_PIX_FMT_RGB24, 1920, 1080, "h264");
	in.space = AVCOL_SPC_RGB, in.trc = AVCOL_TRC_IEC61966_2_1;
	CHECK(plan_of(&in) == 0 && plan.space == AVCOL_SPC_BT709 && plan.trc == AVCOL_TRC_IEC61966_2_1 &&
		  strcmp(plan.scale_args, "out_color_matrix=bt709:out_range=tv") == 0,
		  "RGB is converted with the matrix the output is tagged with");
	in.width = 720, in.height = 576;
	CHECK(plan_of(&in) == 0 && strcmp(plan.scale_args, "out_color_matrix=bt470:out_range=tv") == 0,
		  "SD RGB gets BT.601 (bt470bg) in the scale and the tags alike");
	in = input(AV_PIX_FMT_PAL8, 1280, 720, "h264");
	CHECK(plan_of(&in) == 0 && plan.space == AVCOL_SPC_BT709 &&
		  strcmp(plan.scale_args, "out_color_matrix=bt709:out_range=tv") == 0 &&
		  strcmp(plan.prefix, "format=rgb24") == 0,
		  "a palette (GIF-like) picture is expanded to RGB, then converted with the matrix it is tagged with");

	/* Clips joined together: the conversions follow the new picture, the tags stay. */
	in = input(AV_PIX_FMT_YUV420P, 1280, 720, "h264");
	CHECK(plan_of(&in) == 0 && plan.scale_args[0] == '\0', "limited-range YUV needs no conversion");
	in.range = AVCOL_RANGE_JPEG, in.width = 640, in.height = 480;
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0, "followed");
	CHECK(strcmp(plan.scale_args, "in_range=pc:out_range=tv") == 0 && plan.space == AVCOL_SPC_BT709,
		  "a full-range clip after it is brought to limited range, the BT.709 tags kept");
	in = input(AV_PIX_FMT_PAL8, 640, 480, "h264");
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0, "followed");
	CHECK(strcmp(plan.prefix, "format=rgb24") == 0 &&
		  strcmp(plan.scale_args, "out_color_matrix=bt709:out_range=tv") == 0,
		  "a palette clip after it is converted with the matrix the output was opened with");
	in = input(AV_PIX_FMT_YUV420P, 640, 480, "h264");
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0, "followed");
	CHECK(plan.prefix[0] == '\0' && plan.scale_args[0] == '\0', "and back to plain YUV: nothing to convert");
}

static ColourInput
hdr_input(enum AVColorTransferCharacteristic trc, const char *codec, HdrMode hdr)
{
	ColourInput in = input(AV_PIX_FMT_YUV420P10LE, 640, 360, codec);

	in.range = AVCOL_RANGE_MPEG;
	in.space = AVCOL_SPC_BT2020_NCL, in.primaries = AVCOL_PRI_BT2020, in.trc = trc;
	in.hdr = hdr;
	if (strcmp(codec, "vp9") == 0)
		in.encoder = "libvpx-vp9";
	return in;
}

static int
is_tonemapped(void)
{
	return plan.tonemapped && !plan.hdr_kept && plan.pix_fmt == AV_PIX_FMT_YUV420P &&
		tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT709, AVCOL_PRI_BT709, AVCOL_TRC_BT709) &&
		strstr(plan.prefix, "tonemap=hable") != NULL && plan.scale_args[0] == '\0';
}

static void
test_hdr(void)
{
	ColourInput in = hdr_input(AVCOL_TRC_SMPTE2084, "h265", HDR_AUTO);

	CHECK(plan_of(&in) == 0 && plan.hdr_kept && plan.pix_fmt == AV_PIX_FMT_YUV420P10LE &&
		  tags_are(AVCOL_RANGE_MPEG, AVCOL_SPC_BT2020_NCL, AVCOL_PRI_BT2020, AVCOL_TRC_SMPTE2084) &&
		  plan.prefix[0] == '\0', "PQ to h265, hdr auto: kept, 10-bit, BT.2020/PQ");
	in = hdr_input(AVCOL_TRC_ARIB_STD_B67, "vp9", HDR_KEEP);
	CHECK(plan_of(&in) == 0 && plan.hdr_kept && plan.trc == AVCOL_TRC_ARIB_STD_B67, "HLG to vp9, hdr keep: kept");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h264", HDR_AUTO);
	CHECK(plan_of(&in) == 0 && is_tonemapped() &&
		  strstr(plan.prefix, "zscale=tin=smpte2084:min=bt2020nc:pin=bt2020:rin=tv:t=linear") == plan.prefix,
		  "PQ to h264, hdr auto: tone-mapped to SDR BT.709 with the input's tags spelled out");
	in = hdr_input(AVCOL_TRC_ARIB_STD_B67, "h264", HDR_AUTO);
	CHECK(plan_of(&in) == 0 && is_tonemapped() && strstr(plan.prefix, "tin=arib-std-b67") != NULL,
		  "HLG to h264, hdr auto: tone-mapped");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h265", HDR_TONEMAP);
	CHECK(plan_of(&in) == 0 && is_tonemapped(), "PQ to h265, hdr tonemap: tone-mapped");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h264", HDR_KEEP);
	CHECK(plan_of(&in) == -1 && strstr(err, "hdr \"keep\" needs video_codec h265, vp9 or av1") != NULL &&
		  strstr(err, "smpte2084") != NULL, "PQ to h264, hdr keep: refused, saying why and what to do");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h265", HDR_KEEP);
	in.encoder = "an 8-bit encoder", in.encoder_formats = eight_bit_only;
	CHECK(plan_of(&in) == -1 && strstr(err, "10-bit") != NULL, "an encoder without 10-bit: keep is refused");
	in.hdr = HDR_AUTO;
	CHECK(plan_of(&in) == 0 && is_tonemapped(), "and auto tone-maps");
	in.encoder_formats = nvenc_formats;
	CHECK(plan_of(&in) == 0 && plan.hdr_kept && plan.pix_fmt == AV_PIX_FMT_P010LE, "an encoder that takes p010 gets p010");

	in = hdr_input(AVCOL_TRC_ARIB_STD_B67, "h265", HDR_KEEP);
	in.range = AVCOL_RANGE_JPEG;
	CHECK(plan_of(&in) == 0 && plan.hdr_kept && plan.range == AVCOL_RANGE_MPEG &&
		  strcmp(plan.scale_args, "in_range=pc:out_range=tv") == 0, "full-range HLG kept: made limited range too");
	in.hdr = HDR_TONEMAP;
	CHECK(plan_of(&in) == 0 && strstr(plan.prefix, "rin=pc") != NULL, "and tone-mapped from full range when asked");

	in = hdr_input(AVCOL_TRC_SMPTE2084, "h265", HDR_KEEP);
	in.space = AVCOL_SPC_UNSPECIFIED, in.primaries = AVCOL_PRI_UNSPECIFIED;
	CHECK(plan_of(&in) == 0 && plan.space == AVCOL_SPC_BT2020_NCL && plan.primaries == AVCOL_PRI_BT2020,
		  "PQ without matrix or primaries tags is BT.2020");
	in.hdr = HDR_TONEMAP;
	CHECK(plan_of(&in) == 0 && strstr(plan.prefix, "min=bt2020nc:pin=bt2020") != NULL, "and is tone-mapped as BT.2020");
	in = hdr_input(AVCOL_TRC_BT2020_10, "h264", HDR_KEEP);
	CHECK(plan_of(&in) == 0 && !plan.hdr_kept && !plan.tonemapped && plan.pix_fmt == AV_PIX_FMT_YUV420P &&
		  plan.trc == AVCOL_TRC_BT2020_10, "BT.2020 SDR (bt2020-10 transfer) is no HDR: 8-bit with its tags");
}

/* Clips joined together that switch between SDR and HDR: the light follows the clip. */
static void
test_hdr_follow(void)
{
	ColourInput in = input(AV_PIX_FMT_YUV420P, 640, 360, "h264");

	CHECK(plan_of(&in) == 0 && plan.prefix[0] == '\0' && !plan.tonemapped, "an SDR clip first");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h264", HDR_AUTO);
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0 && strstr(plan.prefix, "tin=smpte2084") != NULL &&
		  strstr(plan.prefix, "tonemap=hable") != NULL && plan.pix_fmt == AV_PIX_FMT_YUV420P &&
		  plan.trc == AVCOL_TRC_SMPTE170M,
		  "then a PQ clip is tone-mapped, the SDR output's tags kept");
	CHECK(plan_of(&in) == 0 && is_tonemapped(), "a PQ clip first is tone-mapped");
	in = input(AV_PIX_FMT_YUV420P, 640, 360, "h264");
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0 && plan.prefix[0] == '\0' &&
		  plan.scale_args[0] == '\0',
		  "then an SDR clip is not tone-mapped (its light is SDR already)");
	in = hdr_input(AVCOL_TRC_ARIB_STD_B67, "h264", HDR_AUTO);
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) == 0 && strstr(plan.prefix, "tin=arib-std-b67") != NULL,
		  "then an HLG clip is tone-mapped from HLG");
	in = hdr_input(AVCOL_TRC_SMPTE2084, "h265", HDR_KEEP);
	CHECK(plan_of(&in) == 0 && plan.hdr_kept, "a PQ clip kept as PQ");
	in = input(AV_PIX_FMT_YUV420P, 640, 360, "h265");
	CHECK(colour_follow_input(&in, &plan, err, sizeof(err)) < 0 &&
		  strstr(err, "changes from smpte2084 to") != NULL && strstr(err, "use hdr \"tonemap\"") != NULL,
		  "then an SDR clip is refused, saying to tone-map");
}

int
main(void)
{
	test_sdr();
	test_untagged();
	test_hdr();
	test_hdr_follow();
	return check_summary();
}
