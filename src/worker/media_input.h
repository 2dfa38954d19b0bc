/*
 * media_input.h: opening a job's input with libavformat, within the limits a
 * hostile or broken input must not get past: a protocol and a demuxer
 * whitelist per kind of input, bounded probing, and an I/O timeout.
 */
#ifndef FFRTMP_WORKER_MEDIA_INPUT_H
#define FFRTMP_WORKER_MEDIA_INPUT_H

#include <libavformat/avformat.h>
#include <signal.h>

#include "transcode.h"

/* Largest picture a decoder accepts (8K UHD), against decompression bombs. */
#define MEDIA_MAX_PIXELS (7680 * 4320)

/*
 * What the interrupt callback watches: a stop flag, and how long the current
 * blocking read or write has been waiting.
 */
typedef struct IoWatch
{
	volatile int *stop;
	int64_t		timeout_us;		/* 0: no timeout (local files) */
	int64_t		blocked_since;	/* av_gettime_relative() when the current call began */
	int			timed_out;		/* set when the callback gave up for the timeout */
	int			continued_seen; /* io_watch_continued when last looked at */
} IoWatch;

/*
 * Counts SIGCONTs of the job's process (a pause_job ended, job_process.c):
 * a wait that a pause interrupted starts its timeout again, so a paused job
 * is not failed for a stall it did not cause.
 */
extern volatile sig_atomic_t io_watch_continued;

/* Call before each blocking libav call that the watch covers. */
extern void io_watch_begin(IoWatch *watch);

/* The AVIOInterruptCB for contexts covered by watch. */
extern AVIOInterruptCB io_watch_callback(IoWatch *watch);

/*
 * A test source, as submit_job takes it after "testsrc://":
 * [WIDTHxHEIGHT][@FPS][?duration=SECONDS], each part optional (defaults
 * 1280x720@30, 10 s).  The one place the worker and ffrtmp-transcode read it.
 */
typedef struct TestSource
{
	int			width;
	int			height;
	int			fps;
	int			seconds;
} TestSource;

/* What to tell a person who wrote an invalid test source. */
#define MEDIA_TESTSRC_RULE \
	"write testsrc://[WIDTHxHEIGHT][@FPS][?duration=SECONDS], e.g. testsrc://1280x720@30?duration=10 " \
	"(16x16 to 7680x4320, 1 to 240 fps, 1 to 86400 s; defaults 1280x720@30, 10 s)"

/* Parses spec (without the scheme) into src.  Returns 0, or -1 when invalid or out of bounds. */
extern int	media_testsrc_parse(const char *spec, TestSource *src);

/*
 * Opens and probes the input.  Returns 0, or a TranscodeStatus with a message
 * in err.
 */
extern TranscodeStatus media_input_open(const TranscodeRequest *req, IoWatch *watch,
										AVFormatContext **in, char *err, size_t errlen);

#endif
