/*
 * ct_equal.c: compares two buffers of the same length by looking at every
 * byte whatever it finds, so that the time taken does not tell an attacker
 * how many leading bytes of a guessed hash were right.  memcmp() stops at the
 * first difference.  volatile keeps the compiler from adding an early exit.
 */
#include "ct_equal.h"

bool
ffrtmp_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile unsigned char *x = a;
	const volatile unsigned char *y = b;
	volatile unsigned char diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}
