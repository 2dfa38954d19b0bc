/*
 * test_io_watch.c: the I/O stall timeout of a job's network input or
 * output (media_input.h).  A wait that outlasts the timeout ends it; a wait
 * that a pause_job interrupted (the job's process was stopped, then
 * continued: io_watch_continued moved) starts its timeout again, so the
 * time spent stopped is not taken for a stall.
 */
#include "../media_input.h"
#include "check.h"

#include <libavutil/time.h>

int
main(void)
{
	volatile int stop = 0;
	IoWatch		watch = {.stop = &stop, .timeout_us = 1000000};
	AVIOInterruptCB cb = io_watch_callback(&watch);

	io_watch_begin(&watch);
	CHECK(cb.callback(cb.opaque) == 0 && !watch.timed_out, "a wait within the timeout goes on");

	/* Blocked for 5 s of a 1 s timeout, without a pause: a stall. */
	watch.blocked_since = av_gettime_relative() - 5000000;
	CHECK(cb.callback(cb.opaque) == 1 && watch.timed_out, "a wait past the timeout is a stall");

	/* The same 5 s, during which the process was stopped and then continued. */
	watch.timed_out = 0;
	watch.blocked_since = av_gettime_relative() - 5000000;
	io_watch_continued++;
	CHECK(cb.callback(cb.opaque) == 0 && !watch.timed_out,
		  "a wait the process was stopped during starts its timeout again when continued");
	CHECK(cb.callback(cb.opaque) == 0, "and goes on");
	watch.blocked_since = av_gettime_relative() - 5000000;
	CHECK(cb.callback(cb.opaque) == 1 && watch.timed_out, "a stall after the pause still ends it");

	stop = 1;
	watch.timed_out = 0;
	io_watch_begin(&watch);
	CHECK(cb.callback(cb.opaque) == 1 && !watch.timed_out, "a stop request interrupts at once, as no stall");
	return check_summary();
}
