/*
 * colour.h: the colour plan of an encode: which pixel format the video
 * encoders get, which colour tags (range, matrix, primaries, transfer) every
 * encoded output carries, and which filters get it there.
 *
 * The decision is pure (no libav state beyond enum names), so it is unit
 * tested on its own.  Rules (ITU-T H.273 terms, FFmpeg's names):
 *   - tags are the input's own where it has them; a missing tag is what
 *     players assume for the picture size: BT.709 for HD (width >= 1280 or
 *     height > 576), BT.601 for SD (bt470bg for 576- and 288-line pictures,
 *     smpte170m otherwise), transfer smpte170m for SD, bt709 for HD;
 *   - outputs are limited ("tv") range: a full-range input (yuvj420p, or any
 *     YUV format tagged "pc") is converted by each branch's scale;
 *   - an RGB input is converted to YUV with the matrix the output is tagged with;
 *   - a PQ (smpte2084) or HLG (arib-std-b67) input is kept as 10-bit BT.2020
 *     where the codec carries it, or tone-mapped to SDR BT.709, or refused,
 *     as params.hdr says; nothing loses its transfer function silently.
 */
#ifndef FFRTMP_WORKER_COLOUR_H
#define FFRTMP_WORKER_COLOUR_H

#include <libavutil/pixfmt.h>

#include "job_spec.h"

/* What the plan is made from: the decoded input, the output codec, params.hdr. */
typedef struct ColourInput
{
	enum AVPixelFormat pix_fmt;
	int			width;
	int			height;
	enum AVColorRange range;
	enum AVColorSpace space;
	enum AVColorPrimaries primaries;
	enum AVColorTransferCharacteristic trc;
	const char *codec;			/* the job's video_codec word: h264 h265 vp9 av1 */
	const char *encoder;		/* the libavcodec encoder's name, for messages */
	const enum AVPixelFormat *encoder_formats;	/* AV_PIX_FMT_NONE-terminated; NULL: any */
	HdrMode		hdr;
} ColourInput;

typedef struct ColourPlan
{
	enum AVPixelFormat pix_fmt; /* what every branch ends with ("format=...") */
	enum AVColorRange range;	/* the tags every encoder and muxer writes */
	enum AVColorSpace space;
	enum AVColorPrimaries primaries;
	enum AVColorTransferCharacteristic trc;
	int			hdr_kept;		/* the output is PQ or HLG, 10-bit */
	int			tonemapped;		/* the input was PQ or HLG, the output is SDR */
	char		prefix[512];	/* filters after the input, before the split; "" if none */
	char		scale_args[160];	/* colour options for each branch's scale; "" if none */
} ColourPlan;

/*
 * Fills plan for in.  Returns 0, or -1 with a message a person can act on in
 * err when params.hdr asks for what the codec cannot carry (a user error).
 */
extern int	colour_plan(const ColourInput *in, ColourPlan *plan, char *err, size_t errlen);

/*
 * For an input whose picture changes mid-stream (clips joined together):
 * the conversions in plan (range, RGB matrix, palette, tone mapping) redone
 * for in, while the tags and pixel format the encoders were opened with
 * stay: an HDR clip in SDR output is tone-mapped, an SDR clip after a
 * tone-mapped one is not.  Returns 0, or -1 with a message in err when the
 * output keeps HDR and in's transfer is another (a user error).
 */
extern int	colour_follow_input(const ColourInput *in, ColourPlan *plan, char *err, size_t errlen);

/* Whether a transfer function is high dynamic range (PQ or HLG). */
extern int	colour_is_hdr(enum AVColorTransferCharacteristic trc);

#endif
