/*
 * test_picture.c: the encoded picture's geometry: display matrices as phones
 * and the mov muxer write them (rotations and mirrors), anamorphic pixels,
 * odd sizes, and fitting into a target size.
 */
#include <string.h>

#include <libavutil/display.h>

#include "../picture.h"
#include "check.h"

static const AVRational square = {1, 1};
static const AVRational unknown = {0, 1};

/*
 * A matrix that asks for a clockwise turn, then mirrors.  (libavutil's
 * av_display_rotation_get() reads back the negated angle, which is what
 * ffprobe prints as rotation.)
 */
static const int32_t *
rotation(int32_t m[9], double clockwise, int hflip, int vflip)
{
	av_display_rotation_set(m, clockwise);
	av_display_matrix_flip(m, hflip, vflip);
	return m;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static int
oriented(const int32_t *m, const char *transpose, int hflip, int vflip, int degrees, int mirrored)
{
	PictureOrientation o;

	picture_orientation(m, &o);
	return same(o.transpose, transpose) && o.hflip == hflip && o.vflip == vflip && o.degrees == degrees &&
		o.mirrored == mirrored;
}

static void
test_orientation(void)
{
	int32_t		m[9];
	/* As ffmpeg -metadata:s:v rotate=270 writes it to mp4; ffprobe: rotation=-90 (a phone held upright). */
	const int32_t phone[9] = {0, 65536, 0, -65536, 0, 0, 0, 0, 1 << 30};
	/* rotate=90; ffprobe: rotation=90. */
	const int32_t ccw[9] = {0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30};
	const int32_t zero[9] = {0};

	CHECK(oriented(NULL, NULL, 0, 0, 0, 0), "no display matrix: nothing to turn");
	CHECK(oriented(zero, NULL, 0, 0, 0, 0), "an all-zero matrix is ignored, not divided by");
	CHECK(oriented(rotation(m, 0, 0, 0), NULL, 0, 0, 0, 0), "the identity matrix: nothing to turn");
	CHECK(oriented(phone, "clock", 0, 0, 90, 0), "rotation=-90 (a phone's portrait clip) turns clockwise");
	CHECK(oriented(ccw, "cclock", 0, 0, 270, 0), "rotation=90 turns counter-clockwise");
	CHECK(oriented(rotation(m, 90, 0, 0), "clock", 0, 0, 90, 0), "a clockwise quarter turn is the phone's matrix");
	CHECK(oriented(rotation(m, 180, 0, 0), NULL, 1, 1, 180, 0), "180 degrees: both flips, no transpose");
	CHECK(oriented(rotation(m, 0, 1, 0), NULL, 1, 0, 180, 1), "a horizontal mirror: hflip only");
	CHECK(oriented(rotation(m, 0, 0, 1), NULL, 0, 1, 0, 1), "a vertical mirror: vflip only");
	CHECK(oriented(rotation(m, 90, 1, 0), "cclock_flip", 0, 0, 90, 1),
		  "a quarter turn then a mirror: the plain transpose");
	CHECK(oriented(rotation(m, -90, 1, 0), "clock_flip", 0, 0, 270, 1),
		  "the other quarter turn mirrored: the anti-transpose");
	CHECK(oriented(rotation(m, 89.4, 0, 0), "clock", 0, 0, 90, 0), "89.4 degrees counts as a quarter turn");
	CHECK(oriented(rotation(m, 30, 0, 0), NULL, 0, 0, 0, 0), "30 degrees: the nearest quarter turn is none");
	CHECK(oriented(rotation(m, 60, 0, 0), "clock", 0, 0, 90, 0), "60 degrees: the nearest quarter turn is 90");
}

static int
geometry(int w, int h, AVRational sar, const int32_t *m, int bw, int bh,
		 int pw, int ph, int fw, int fh, int px, int py, int scale)
{
	PictureGeometry g;

	picture_geometry(w, h, sar, m, bw, bh, &g);
	if (!(g.width == pw && g.height == ph && g.frame_width == fw && g.frame_height == fh &&
		  g.pad_x == px && g.pad_y == py && g.scale == scale && g.pad == (pw != fw || ph != fh)))
	{
		printf("# %dx%d in %dx%d: picture %dx%d frame %dx%d at %d,%d scale %d pad %d\n",
			   w, h, bw, bh, g.width, g.height, g.frame_width, g.frame_height, g.pad_x, g.pad_y, g.scale, g.pad);
		return 0;
	}
	return 1;
}

static void
test_no_box(void)
{
	int32_t		m[9];

	CHECK(geometry(640, 360, square, NULL, 0, 0, 640, 360, 640, 360, 0, 0, 0),
		  "a clean source keeps its size: no scaling");
	CHECK(geometry(640, 360, unknown, NULL, 0, 0, 640, 360, 640, 360, 0, 0, 0),
		  "an unknown SAR is square");
	CHECK(geometry(720, 576, (AVRational) {64, 45}, NULL, 0, 0, 1024, 576, 1024, 576, 0, 0, 1),
		  "720x576 SAR 64:45 (16:9 PAL) becomes 1024x576 square pixels");
	CHECK(geometry(720, 576, (AVRational) {16, 15}, NULL, 0, 0, 768, 576, 768, 576, 0, 0, 1),
		  "720x576 SAR 16:15 (4:3 PAL) becomes 768x576");
	CHECK(geometry(720, 480, (AVRational) {8, 9}, NULL, 0, 0, 640, 480, 640, 480, 0, 0, 1),
		  "720x480 SAR 8:9 (4:3 NTSC) narrows to 640x480");
	CHECK(geometry(720, 480, (AVRational) {32, 27}, NULL, 0, 0, 854, 480, 854, 480, 0, 0, 1),
		  "720x480 SAR 32:27 (16:9 NTSC) becomes 854x480 (853.3 to the nearest even)");
	CHECK(geometry(854, 481, square, NULL, 0, 0, 852, 480, 852, 480, 0, 0, 1),
		  "854x481: 480 lines and the even width that keeps the aspect, 852");
	CHECK(geometry(853, 480, square, NULL, 0, 0, 852, 480, 852, 480, 0, 0, 1),
		  "853x480: halfway between 852 and 854 goes down");
	CHECK(geometry(855, 481, square, NULL, 0, 0, 854, 480, 854, 480, 0, 0, 1),
		  "855x481 becomes 854x480");
	CHECK(geometry(1, 1, square, NULL, 0, 0, 2, 2, 2, 2, 0, 0, 1), "a 1x1 picture becomes the smallest even, 2x2");
	CHECK(geometry(640, 360, square, rotation(m, 90, 0, 0), 0, 0, 360, 640, 360, 640, 0, 0, 0),
		  "a quarter turn swaps the sides without scaling");
	CHECK(geometry(640, 360, square, rotation(m, 180, 0, 0), 0, 0, 640, 360, 640, 360, 0, 0, 0),
		  "a half turn keeps the size");
	CHECK(geometry(720, 576, (AVRational) {64, 45}, rotation(m, -90, 0, 0), 0, 0, 576, 1024, 576, 1024, 0, 0, 1),
		  "rotation and SAR together: the SAR acts on the stored picture, then the turn");
	CHECK(geometry(641, 361, square, rotation(m, 90, 0, 0), 0, 0, 360, 640, 360, 640, 0, 0, 1),
		  "an odd rotated picture is rounded in its stored orientation");
	CHECK(geometry(1920, 1080, (AVRational) {10, 1}, NULL, 0, 0, 1920, 108, 1920, 108, 0, 0, 1),
		  "a 10:1 SAR is taken at its word: too wide for square pixels at 1080 lines, it keeps its width");
	CHECK(geometry(720, 576, (AVRational) {255, 1}, NULL, 0, 0, 720, 576, 720, 576, 0, 0, 0),
		  "an absurd SAR (255:1) is ignored: square pixels, not a 720x2 sliver");
	CHECK(geometry(64, 16, (AVRational) {2000000000, 1}, NULL, 0, 0, 64, 16, 64, 16, 0, 0, 0),
		  "a SAR near 2^31:1 (a container's largest) is ignored, without overflow");
	CHECK(geometry(16, 64, (AVRational) {1, 2000000000}, NULL, 0, 0, 16, 64, 16, 64, 0, 0, 0),
		  "a SAR near 1:2^31 is ignored too");
	CHECK(picture_sar_plausible((AVRational) {64, 45}) && picture_sar_plausible((AVRational) {1, 10}) &&
		  !picture_sar_plausible((AVRational) {11, 1}) && !picture_sar_plausible((AVRational) {0, 1}),
		  "plausible SARs: known, from 1:10 to 10:1");
}

static void
test_box(void)
{
	int32_t		m[9];

	CHECK(geometry(640, 360, square, NULL, 1280, 720, 1280, 720, 1280, 720, 0, 0, 1),
		  "16:9 into 1280x720 fills it, no padding");
	CHECK(geometry(1280, 720, square, NULL, 1280, 720, 1280, 720, 1280, 720, 0, 0, 0),
		  "the exact size asked for: no scaling");
	CHECK(geometry(720, 576, (AVRational) {64, 45}, NULL, 1280, 720, 1280, 720, 1280, 720, 0, 0, 1),
		  "720x576 SAR 64:45 fills 1280x720 (not 900x720 pillarboxed)");
	CHECK(geometry(720, 576, square, NULL, 1280, 720, 900, 720, 1280, 720, 190, 0, 1),
		  "5:4 square pixels are pillarboxed in 1280x720");
	CHECK(geometry(720, 480, (AVRational) {8, 9}, NULL, 1280, 720, 960, 720, 1280, 720, 160, 0, 1),
		  "4:3 anamorphic NTSC is pillarboxed to 960x720");
	CHECK(geometry(640, 360, square, rotation(m, 90, 0, 0), 1280, 720, 404, 720, 1280, 720, 438, 0, 1),
		  "a portrait clip fits 1280x720 upright: 405 columns, halfway, round down to 404, pillarboxed");
	CHECK(geometry(640, 360, square, rotation(m, 90, 0, 0), 720, 1280, 720, 1280, 720, 1280, 0, 0, 1),
		  "a portrait box takes a portrait clip whole");
	CHECK(geometry(854, 481, square, NULL, 640, 360, 640, 360, 640, 360, 0, 0, 1),
		  "854x481 into 640x360: 639.2 columns round to 640, no padding");
	CHECK(geometry(854, 481, square, NULL, 640, 480, 640, 360, 640, 480, 0, 60, 1),
		  "854x481 letterboxed in 640x480: 360.5 lines to the nearest even, 60 lines above");
	CHECK(geometry(1920, 800, square, NULL, 1280, 720, 1280, 534, 1280, 720, 0, 92, 1),
		  "2.4:1 is letterboxed, 533.3 lines to the nearest even");
	CHECK(geometry(16, 4000, square, NULL, 1280, 720, 2, 720, 1280, 720, 638, 0, 1),
		  "a sliver keeps at least two columns");
}

int
main(void)
{
	test_orientation();
	test_no_box();
	test_box();
	return check_summary();
}
