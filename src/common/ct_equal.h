/*
 * ct_equal.h: comparison of secrets in time independent of their content.
 */
#ifndef FFRTMP_COMMON_CT_EQUAL_H
#define FFRTMP_COMMON_CT_EQUAL_H

#include <stdbool.h>
#include <stddef.h>

extern bool ffrtmp_ct_equal(const void *a, const void *b, size_t len);

#endif
