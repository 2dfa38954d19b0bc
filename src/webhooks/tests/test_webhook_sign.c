/*
 * test_webhook_sign.c: the webhook signature (HMAC-SHA256 over
 * "<timestamp>.<body>") against values computed independently (Python's
 * hmac module), and the receiver's verification: a changed body, secret,
 * timestamp or signature, and an old timestamp, are refused.
 */
#include <string.h>

#include "../webhook_sign.h"
#include "../../worker/tests/check.h"

#define SECRET "whsec-0123456789abcdef"
#define BODY "{\"id\":\"x\"}"
/* python3: hmac.new(b'whsec-0123456789abcdef', b'1764441600.{"id":"x"}', hashlib.sha256).hexdigest() */
#define EXPECTED "9516cdb374fe9bce15474a3c1b1e2413fa3568f8f80f94dadd7577d1fc865e15"

int
main(void)
{
	char		hex[WEBHOOK_SIGNATURE_HEX + 1];
	const char *good = "v1=" EXPECTED;
	long long	t = 1764441600LL;

	CHECK(webhook_sign(SECRET, t, BODY, strlen(BODY), hex) == 0, "a body is signed");
	CHECK(strcmp(hex, EXPECTED) == 0, "HMAC-SHA256 of timestamp.body, in lower-case hex, as Python computes it");
	CHECK(webhook_sign(SECRET, t, "", 0, hex) == 0 && strlen(hex) == 64, "an empty body is signed too");

	CHECK(webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), good, t, 300), "the signature verifies");
	CHECK(webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), good, t + 299, 300),
		  "within the tolerance");
	CHECK(!webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), good, t + 301, 300),
		  "a timestamp older than the tolerance is refused (a replay)");
	CHECK(!webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), good, t - 301, 300),
		  "and one too far in the future");
	CHECK(!webhook_verify(SECRET, "1764441601", BODY, strlen(BODY), good, t, 300),
		  "another timestamp with the same signature is refused");
	CHECK(!webhook_verify(SECRET, "1764441600", "{\"id\":\"y\"}", 10, good, t, 300), "a changed body is refused");
	CHECK(!webhook_verify("whsec-0123456789abcdeF", "1764441600", BODY, strlen(BODY), good, t, 300),
		  "another secret is refused");
	CHECK(!webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), EXPECTED, t, 300),
		  "a signature without its v1= scheme is refused");
	CHECK(!webhook_verify(SECRET, "1764441600", BODY, strlen(BODY), "v1=9516", t, 300), "a truncated signature is refused");
	CHECK(!webhook_verify(SECRET, "1764441600x", BODY, strlen(BODY), good, t, 300), "a timestamp that is no number is refused");
	CHECK(!webhook_verify(SECRET, NULL, BODY, strlen(BODY), good, t, 300), "a missing timestamp is refused");
	return check_summary();
}
