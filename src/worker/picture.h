/*
 * picture.h: the geometry of the encoded picture, from what the input says
 * about its own: stored size, sample aspect ratio (SAR) and display matrix
 * (rotation and mirroring).  Pure arithmetic, no I/O, so the rules are unit
 * tested on their own (tests/test_picture.c).
 *
 * Encoded outputs carry square pixels and no display matrix: the pixels are
 * turned upright (transpose, hflip, vflip, as the ffmpeg command line does),
 * then scaled to the display size the input describes, rounded to even
 * dimensions because every output is 4:2:0 (chroma at half resolution), and
 * for a target box fitted inside it, keeping the display aspect, and padded.
 */
#ifndef FFRTMP_WORKER_PICTURE_H
#define FFRTMP_WORKER_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include <libavutil/rational.h>

/* Longest side a picture may be widened to for square pixels (x264's limit). */
#define PICTURE_MAX_SIDE 16384

/*
 * The widest and narrowest sample aspect ratio taken at its word.  Real
 * video stays within 1:2 and 2:1 (anamorphic SD is 8:9 to 64:45, HDV 4:3,
 * 2x anamorphic film 2:1); a container may declare anything up to 2^31:1,
 * and a picture that would come out a few pixels high or wide is a broken
 * tag, not an intent: beyond 10:1 either way the SAR is ignored.
 */
#define PICTURE_MAX_SAR 10

/* How to turn the stored pixels upright: at most one transpose, then flips. */
typedef struct PictureOrientation
{
	const char *transpose;		/* the transpose filter's dir ("clock"...), or NULL */
	int			hflip;
	int			vflip;
	int			degrees;		/* clockwise quarter turns applied, in degrees: 0 90 180 270 */
	int			mirrored;		/* the matrix also mirrors the picture */
} PictureOrientation;

typedef struct PictureGeometry
{
	PictureOrientation orientation;
	double		display_width;	/* as a viewer sees the input: SAR applied, then rotated */
	double		display_height;
	int			upright_width;	/* the stored size after rotation (before any scaling) */
	int			upright_height;
	int			width;			/* the scaled picture: even, display aspect kept */
	int			height;
	int			frame_width;	/* the encoded frame: the box asked for, or the picture */
	int			frame_height;
	int			pad_x;			/* where the picture sits in the frame (even) */
	int			pad_y;
	int			scale;			/* the picture must be resampled (size or SAR) */
	int			pad;			/* the frame is larger than the picture */
} PictureGeometry;

/*
 * What a display matrix (AV_PKT_DATA_DISPLAYMATRIX, 9 int32, or NULL for
 * none) asks for.  Angles that are not a quarter turn are taken to the
 * nearest one.
 */
extern void picture_orientation(const int32_t *matrix, PictureOrientation *o);

/* Whether a SAR is known and plausible (within PICTURE_MAX_SAR either way). */
extern int	picture_sar_plausible(AVRational sar);

/*
 * The orientation in ffprobe's words, for messages: "rotation=-90" (the
 * matrix's counter-clockwise angle, as ffprobe prints it), ", mirrored".
 */
extern void picture_describe(const PictureOrientation *o, char *out, size_t outlen);

/*
 * The geometry for a stored width x height picture with sample aspect ratio
 * sar (0/x or x/0: unknown, taken as square) and display matrix (or NULL),
 * fitted into box_width x box_height (both even), or 0 x 0 for the display
 * size itself: the stored height kept (rounded down to even) and the width
 * that keeps the display aspect, to the nearest even number.
 */
extern void picture_geometry(int width, int height, AVRational sar, const int32_t *matrix,
							 int box_width, int box_height, PictureGeometry *g);

#endif
