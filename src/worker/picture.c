/*
 * picture.c: the encoded picture's geometry from the input's size, sample
 * aspect ratio and display matrix (see picture.h).
 */
#include "picture.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/common.h>
#include <libavutil/display.h>

/*
 * The display matrix, as fftools reads it (FFmpeg 6.0's ffmpeg_filter.c,
 * which also handles mirrored matrices; 5.1 drops the mirror).  The matrix
 * is row-major [a b u; c d v; x y w] in 16.16 fixed point, as a QuickTime
 * 'tkhd' stores it; av_display_rotation_get() gives its counter-clockwise
 * angle, so theta below is the clockwise turn that makes the picture upright.
 */
void
picture_orientation(const int32_t *matrix, PictureOrientation *o)
{
	double		theta = 0;

	memset(o, 0, sizeof(*o));
	if (matrix == NULL)
		return;
	theta = -round(av_display_rotation_get(matrix));
	if (isnan(theta))
		return;					/* a degenerate matrix (all zero): nothing to apply */
	/* Into [0, 360), then the nearest quarter turn: phones only write quarter turns. */
	theta -= 360 * floor(theta / 360 + 0.9 / 360);
	theta = fmod(90 * round(theta / 90), 360);
	o->degrees = (int) theta;
	if (o->degrees == 90)
	{
		o->mirrored = matrix[3] > 0;
		o->transpose = o->mirrored ? "cclock_flip" : "clock";
	}
	else if (o->degrees == 180)
	{
		o->hflip = matrix[0] < 0;
		o->vflip = matrix[4] < 0;
		o->mirrored = o->hflip != o->vflip;
	}
	else if (o->degrees == 270)
	{
		o->mirrored = matrix[3] < 0;
		o->transpose = o->mirrored ? "clock_flip" : "cclock";
	}
	else
	{
		o->vflip = matrix[4] < 0;
		o->mirrored = o->vflip;
	}
}

void
picture_describe(const PictureOrientation *o, char *out, size_t outlen)
{
	/* degrees is the clockwise turn that makes it upright: the matrix turned the other way. */
	int			rotation = o->degrees == 0 ? 0 : o->degrees <= 180 ? -o->degrees : 360 - o->degrees;

	snprintf(out, outlen, "rotation=%d%s", rotation, o->mirrored ? ", mirrored" : "");
}

/*
 * A side worked out from an absurd SAR (a container may declare up to
 * 2^31:1) can exceed int: held to a bound well past PICTURE_MAX_SIDE, so
 * that the callers' limits apply instead of an overflow.
 */
static double
side_bound(double x)
{
	return x < (double) (1 << 30) ? x : (double) (1 << 30);
}

/* Even, at least 2, by rounding down. */
static int
even_down(double x)
{
	return FFMAX(2, ((int) floor(side_bound(x))) & ~1);
}

/* The nearest even number, at least 2; halfway goes down (no needless upscale). */
static int
even_nearest(double x)
{
	return FFMAX(2, 2 * (int) ceil(side_bound(x) / 2 - 0.5));
}

int
picture_sar_plausible(AVRational sar)
{
	return sar.num > 0 && sar.den > 0 && av_q2d(sar) <= PICTURE_MAX_SAR && av_q2d(sar) >= 1.0 / PICTURE_MAX_SAR;
}

void
picture_geometry(int width, int height, AVRational sar, const int32_t *matrix,
				 int box_width, int box_height, PictureGeometry *g)
{
	double		s = picture_sar_plausible(sar) ? av_q2d(sar) : 1.0;
	double		stored_display_width = width * s;	/* before rotation */
	int			turned;
	int			pw,
				ph;

	memset(g, 0, sizeof(*g));
	picture_orientation(matrix, &g->orientation);
	turned = g->orientation.transpose != NULL;
	g->upright_width = turned ? height : width;
	g->upright_height = turned ? width : height;
	g->display_width = turned ? height : stored_display_width;
	g->display_height = turned ? stored_display_width : height;

	if (box_width > 0 && box_height > 0)
	{
		double		aspect = g->display_width / g->display_height;

		/* Fit the side that meets the box first; the other keeps the aspect. */
		if ((double) box_width / box_height > aspect)
		{
			ph = box_height;
			pw = FFMIN(box_width, even_nearest(box_height * aspect));
		}
		else
		{
			pw = box_width;
			ph = FFMIN(box_height, even_nearest(box_width / aspect));
		}
		g->frame_width = box_width;
		g->frame_height = box_height;
	}
	else
	{
		/*
		 * Square pixels at the input's vertical resolution, as scale=iw*sar:ih
		 * would give: anamorphic pictures are widened (or narrowed), never
		 * lose lines; only a picture that would become absurdly wide keeps
		 * its width instead.  Worked out before rotation, where the SAR acts.
		 */
		int			sw,
					sh = even_down(height);

		sw = even_nearest(sh * stored_display_width / height);
		if (sw > PICTURE_MAX_SIDE)
		{
			sw = even_down(FFMIN(width, PICTURE_MAX_SIDE));
			sh = even_nearest(sw * height / stored_display_width);
		}
		pw = turned ? sh : sw;
		ph = turned ? sw : sh;
		g->frame_width = pw;
		g->frame_height = ph;
	}
	g->width = pw;
	g->height = ph;
	g->scale = pw != g->upright_width || ph != g->upright_height;
	g->pad = pw != g->frame_width || ph != g->frame_height;
	/* Even offsets: a 4:2:0 picture cannot start on an odd line or column. */
	g->pad_x = ((g->frame_width - pw) / 2) & ~1;
	g->pad_y = ((g->frame_height - ph) / 2) & ~1;
}
