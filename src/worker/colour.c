/*
 * colour.c: the colour plan of an encode (see colour.h for the rules).
 *
 * Invariants: every plan has all four tags specified, the output range is
 * always limited ("tv"), and a PQ or HLG input either keeps its transfer
 * (hdr_kept), is tone-mapped (tonemapped), or the plan is refused.
 */
#include "colour.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/pixdesc.h>

int
colour_is_hdr(enum AVColorTransferCharacteristic trc)
{
	return trc == AVCOL_TRC_SMPTE2084 || trc == AVCOL_TRC_ARIB_STD_B67;
}

static int
is_full_range(const ColourInput *in)
{
	/* The deprecated yuvj formats say "full range" by themselves. */
	return in->range == AVCOL_RANGE_JPEG ||
		in->pix_fmt == AV_PIX_FMT_YUVJ420P || in->pix_fmt == AV_PIX_FMT_YUVJ422P ||
		in->pix_fmt == AV_PIX_FMT_YUVJ444P || in->pix_fmt == AV_PIX_FMT_YUVJ440P ||
		in->pix_fmt == AV_PIX_FMT_YUVJ411P;
}

/* RGB, or a palette (GIF, PNG, 8-bit BMP), whose entries are RGB though its descriptor does not say so. */
static int
is_rgb(enum AVPixelFormat pix_fmt)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(pix_fmt);

	return desc != NULL && (desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL));
}

/*
 * What players assume for an untagged picture of this size (mpv and the
 * browsers use the same split): BT.709 for HD, else BT.601 in its 625-line
 * (bt470bg) or 525-line (smpte170m) form.
 */
static int
is_hd(const ColourInput *in)
{
	return in->width >= 1280 || in->height > 576;
}

static int
is_625_line(const ColourInput *in)
{
	return in->height == 576 || in->height == 288;
}

static void
fill_tags(const ColourInput *in, ColourPlan *plan)
{
	int			hd = is_hd(in);
	int			pal = is_625_line(in);

	plan->range = AVCOL_RANGE_MPEG;
	plan->space = in->space;
	/* An RGB input gets the YUV matrix of its size; "rgb" is no YUV matrix. */
	if (plan->space == AVCOL_SPC_UNSPECIFIED || plan->space == AVCOL_SPC_RESERVED ||
		plan->space == AVCOL_SPC_RGB || plan->space >= AVCOL_SPC_NB)
		plan->space = hd ? AVCOL_SPC_BT709 : pal ? AVCOL_SPC_BT470BG : AVCOL_SPC_SMPTE170M;
	plan->primaries = in->primaries;
	if (plan->primaries == AVCOL_PRI_UNSPECIFIED || plan->primaries == AVCOL_PRI_RESERVED ||
		plan->primaries == AVCOL_PRI_RESERVED0 || plan->primaries >= AVCOL_PRI_NB)
		plan->primaries = hd ? AVCOL_PRI_BT709 : pal ? AVCOL_PRI_BT470BG : AVCOL_PRI_SMPTE170M;
	plan->trc = in->trc;
	if (plan->trc == AVCOL_TRC_UNSPECIFIED || plan->trc == AVCOL_TRC_RESERVED ||
		plan->trc == AVCOL_TRC_RESERVED0 || plan->trc >= AVCOL_TRC_NB)
		plan->trc = hd ? AVCOL_TRC_BT709 : AVCOL_TRC_SMPTE170M;
}

/* The scale filter's name for a YUV matrix (its in/out_color_matrix values). */
static const char *
scale_matrix(enum AVColorSpace space)
{
	switch (space)
	{
		case AVCOL_SPC_BT709:
			return "bt709";
		case AVCOL_SPC_BT470BG:
			return "bt470";
		case AVCOL_SPC_SMPTE170M:
			return "smpte170m";
		case AVCOL_SPC_FCC:
			return "fcc";
		case AVCOL_SPC_SMPTE240M:
			return "smpte240m";
		case AVCOL_SPC_BT2020_NCL:
		case AVCOL_SPC_BT2020_CL:
			return "bt2020";
		default:
			return "bt709";
	}
}

/*
 * What each branch's scale must do besides resizing: bring full range to
 * limited, and turn RGB into YUV with the matrix the output is tagged with
 * (swscale's default would be BT.601 whatever the tag says).  YUV to YUV
 * keeps its matrix, so a YUV input needs no matrix option.
 */
static void
set_scale_args(const ColourInput *in, ColourPlan *plan)
{
	if (is_rgb(in->pix_fmt))
		snprintf(plan->scale_args, sizeof(plan->scale_args), "out_color_matrix=%s:out_range=tv",
				 scale_matrix(plan->space));
	else if (is_full_range(in))
		snprintf(plan->scale_args, sizeof(plan->scale_args), "in_range=pc:out_range=tv");
}

/*
 * swscale turns a palette into YUV with BT.601 coefficients whatever
 * out_color_matrix says: expanded to RGB first, it is converted with the
 * matrix the output is tagged with.
 */
static void
set_palette_prefix(const ColourInput *in, ColourPlan *plan)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->pix_fmt);

	if (desc && (desc->flags & AV_PIX_FMT_FLAG_PAL))
		snprintf(plan->prefix, sizeof(plan->prefix), "format=rgb24");
}

/* The encoder's 10-bit 4:2:0 format, or AV_PIX_FMT_NONE when it takes none. */
static enum AVPixelFormat
ten_bit_format(const ColourInput *in)
{
	if (in->encoder_formats == NULL)
		return AV_PIX_FMT_YUV420P10LE;
	for (const enum AVPixelFormat *f = in->encoder_formats; *f != AV_PIX_FMT_NONE; f++)
		if (*f == AV_PIX_FMT_YUV420P10LE)
			return *f;
	for (const enum AVPixelFormat *f = in->encoder_formats; *f != AV_PIX_FMT_NONE; f++)
		if (*f == AV_PIX_FMT_P010LE)
			return *f;
	return AV_PIX_FMT_NONE;
}

static int
codec_carries_hdr(const char *codec)
{
	return strcmp(codec, "h265") == 0 || strcmp(codec, "vp9") == 0 || strcmp(codec, "av1") == 0;
}

/*
 * PQ or HLG to SDR BT.709 with libzimg (zscale) and FFmpeg's tonemap: to
 * linear light (100 cd/m2 as SDR's nominal peak), BT.2020 to BT.709
 * primaries in float RGB, Hable's curve without desaturation, then the
 * BT.709 transfer and matrix in limited range.  The input's tags are spelled
 * out (and the primaries again as the first step's output) because zscale
 * finds no conversion from what a frame leaves unspecified.
 */
static void
set_tonemap(const ColourInput *in, ColourPlan *plan)
{
	enum AVColorSpace space = in->space == AVCOL_SPC_UNSPECIFIED || in->space == AVCOL_SPC_RGB ?
		AVCOL_SPC_BT2020_NCL : in->space;
	enum AVColorPrimaries primaries = in->primaries == AVCOL_PRI_UNSPECIFIED ? AVCOL_PRI_BT2020 : in->primaries;

	snprintf(plan->prefix, sizeof(plan->prefix),
			 "zscale=tin=%s:min=%s:pin=%s:rin=%s:t=linear:npl=100:p=%s,format=gbrpf32le,zscale=p=bt709,"
			 "tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p",
			 av_color_transfer_name(in->trc), av_color_space_name(space), av_color_primaries_name(primaries),
			 is_full_range(in) ? "pc" : "tv", av_color_primaries_name(primaries));
	plan->pix_fmt = AV_PIX_FMT_YUV420P;
	plan->range = AVCOL_RANGE_MPEG;
	plan->space = AVCOL_SPC_BT709;
	plan->primaries = AVCOL_PRI_BT709;
	plan->trc = AVCOL_TRC_BT709;
	plan->tonemapped = 1;
}

static int
plan_hdr(const ColourInput *in, ColourPlan *plan, char *err, size_t errlen)
{
	enum AVPixelFormat ten_bit = ten_bit_format(in);
	int			can_keep = codec_carries_hdr(in->codec) && ten_bit != AV_PIX_FMT_NONE;
	const char *trc = av_color_transfer_name(in->trc);

	if (in->hdr == HDR_TONEMAP || (in->hdr == HDR_AUTO && !can_keep))
	{
		set_tonemap(in, plan);
		return 0;
	}
	if (!codec_carries_hdr(in->codec))
	{
		snprintf(err, errlen, "hdr \"keep\" needs video_codec h265, vp9 or av1: %s output cannot carry the "
				 "input's HDR transfer (%s); use hdr \"tonemap\" for SDR BT.709 output", in->codec, trc);
		return -1;
	}
	if (!can_keep)
	{
		snprintf(err, errlen, "hdr \"keep\" needs 10-bit output, which the %s encoder does not take; "
				 "use hdr \"tonemap\" for SDR BT.709 output", in->encoder ? in->encoder : in->codec);
		return -1;
	}
	fill_tags(in, plan);
	/* HDR video without matrix or primaries tags is BT.2020 (ITU-R BT.2100). */
	if (in->space == AVCOL_SPC_UNSPECIFIED)
		plan->space = AVCOL_SPC_BT2020_NCL;
	if (in->primaries == AVCOL_PRI_UNSPECIFIED)
		plan->primaries = AVCOL_PRI_BT2020;
	plan->pix_fmt = ten_bit;
	plan->hdr_kept = 1;
	set_scale_args(in, plan);
	return 0;
}

int
colour_plan(const ColourInput *in, ColourPlan *plan, char *err, size_t errlen)
{
	memset(plan, 0, sizeof(*plan));
	plan->pix_fmt = AV_PIX_FMT_YUV420P;
	if (colour_is_hdr(in->trc))
		return plan_hdr(in, plan, err, errlen);
	/* SDR, whatever its bit depth, becomes 8-bit 4:2:0 with its tags kept. */
	fill_tags(in, plan);
	set_scale_args(in, plan);
	set_palette_prefix(in, plan);
	return 0;
}

int
colour_follow_input(const ColourInput *in, ColourPlan *plan, char *err, size_t errlen)
{
	/* PQ or HLG output would show an SDR clip (or the other HDR transfer) with the wrong light. */
	if (plan->hdr_kept && in->trc != plan->trc)
	{
		snprintf(err, errlen, "the input's transfer changes from %s to %s mid-stream, which hdr \"keep\" "
				 "cannot follow: use hdr \"tonemap\" for SDR BT.709 output",
				 av_color_transfer_name(plan->trc), av_color_transfer_name(in->trc));
		return -1;
	}
	plan->scale_args[0] = '\0';
	plan->prefix[0] = '\0';
	if (colour_is_hdr(in->trc))
	{
		/* An HDR clip in SDR output is tone-mapped from its own tags; the output's stay. */
		ColourPlan	tonemap = *plan;

		set_tonemap(in, &tonemap);
		memcpy(plan->prefix, tonemap.prefix, sizeof(plan->prefix));
		return 0;
	}
	set_scale_args(in, plan);
	set_palette_prefix(in, plan);
	return 0;
}
