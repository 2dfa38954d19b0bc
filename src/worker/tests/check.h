/*
 * check.h: the smallest test runner that says what it checked.  Each CHECK
 * prints "ok" or "not ok" with its description; check_summary() prints the
 * closing "N passed, N failed" line and returns the exit status.
 */
#ifndef FFRTMP_WORKER_CHECK_H
#define FFRTMP_WORKER_CHECK_H

#include <stdio.h>

static int	checks_passed;
static int	checks_failed;

#define CHECK(condition, description) \
	do { \
		if (condition) { checks_passed++; printf("ok - %s\n", description); } \
		else { checks_failed++; printf("not ok - %s (%s:%d)\n", description, __FILE__, __LINE__); } \
	} while (0)

static int
check_summary(void)
{
	printf("%d passed, %d failed\n", checks_passed, checks_failed);
	return checks_failed == 0 ? 0 : 1;
}

#endif
