/*
 * webhook_sign.h: the signature of a webhook request, as Stripe and GitHub
 * sign theirs: HMAC-SHA256 keyed with the webhook's secret over
 * "<timestamp>.<body>", in lower-case hex, sent as
 *
 *   Ffrtmp-Timestamp: 1764441600
 *   Ffrtmp-Signature: v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 *
 * The timestamp is signed with the body, so a receiver that refuses old
 * timestamps (webhook_verify's tolerance) refuses a replayed request.
 */
#ifndef FFRTMP_WEBHOOK_SIGN_H
#define FFRTMP_WEBHOOK_SIGN_H

#include <stddef.h>

#define WEBHOOK_SIGNATURE_HEX 64
/* "v1=" and the hex digits. */
#define WEBHOOK_SIGNATURE_HEADER_MAX (3 + WEBHOOK_SIGNATURE_HEX + 1)

/* The hex HMAC of timestamp "." body into out (65 bytes): 0, or -1. */
extern int	webhook_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
						 char out[WEBHOOK_SIGNATURE_HEX + 1]);

/*
 * What a receiver does: 1 when signature ("v1=<hex>") is the signature of
 * timestamp and body and the timestamp is within tolerance seconds of now;
 * 0 otherwise.  Compares in constant time.
 */
extern int	webhook_verify(const char *secret, const char *timestamp, const char *body, size_t body_len,
						   const char *signature, long long now, long long tolerance);

#endif
