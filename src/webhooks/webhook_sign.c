/*
 * webhook_sign.c: HMAC-SHA256 signatures of webhook requests (see
 * webhook_sign.h), with OpenSSL's libcrypto.
 */
#include "webhook_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

int
webhook_sign(const char *secret, long long timestamp, const char *body, size_t body_len,
			 char out[WEBHOOK_SIGNATURE_HEX + 1])
{
	char		prefix[32];
	int			prefix_len = snprintf(prefix, sizeof(prefix), "%lld.", timestamp);
	unsigned char *message;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	message = malloc(prefix_len + body_len + 1);
	if (message == NULL)
		return -1;
	memcpy(message, prefix, prefix_len);
	memcpy(message + prefix_len, body, body_len);
	if (HMAC(EVP_sha256(), secret, (int) strlen(secret), message, prefix_len + body_len, mac, &mac_len) == NULL
		|| mac_len * 2 != WEBHOOK_SIGNATURE_HEX)
	{
		free(message);
		return -1;
	}
	free(message);
	for (unsigned int i = 0; i < mac_len; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	out[WEBHOOK_SIGNATURE_HEX] = '\0';
	return 0;
}

int
webhook_verify(const char *secret, const char *timestamp, const char *body, size_t body_len,
			   const char *signature, long long now, long long tolerance)
{
	char	   *end;
	long long	t;
	char		expected[WEBHOOK_SIGNATURE_HEX + 1];

	if (timestamp == NULL || signature == NULL || timestamp[0] < '0' || timestamp[0] > '9')
		return 0;
	t = strtoll(timestamp, &end, 10);
	if (*end != '\0' || t < now - tolerance || t > now + tolerance)
		return 0;
	if (strncmp(signature, "v1=", 3) != 0 || strlen(signature + 3) != WEBHOOK_SIGNATURE_HEX)
		return 0;
	if (webhook_sign(secret, t, body, body_len, expected) < 0)
		return 0;
	return CRYPTO_memcmp(expected, signature + 3, WEBHOOK_SIGNATURE_HEX) == 0;
}
