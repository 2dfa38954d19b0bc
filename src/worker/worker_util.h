/*
 * worker_util.h: the small helpers the daemon's modules share.
 */
#ifndef FFRTMP_WORKER_UTIL_H
#define FFRTMP_WORKER_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Milliseconds on the monotonic clock: deadlines survive changes of the wall clock. */
static inline int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds on the monotonic clock, for timing calls. */
static inline int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* strdup that keeps NULL as NULL (optional settings and columns). */
static inline char *
copy_or_null(const char *text)
{
	return text ? strdup(text) : NULL;
}

#endif
