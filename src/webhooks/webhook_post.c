/*
 * webhook_post.c: one signed POST of a webhook event (see webhook_post.h).
 *
 * The network policy is applied where the connection is made: libcurl
 * resolves the URL's host and asks open_socket() for each socket it would
 * connect, with the address; a refused address gets CURL_SOCKET_BAD, so
 * libcurl tries the next one or fails without a packet sent.  Redirects are
 * not followed (a 3xx is a failed attempt), and proxies from the
 * environment are ignored: the address judged is the one reached.
 */
#include "webhook_post.h"
#include "webhook_sign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct SocketContext
{
	const WebhookGuard *guard;
	const char *host;
	char		refusal[256];
	int			allowed_one;
} SocketContext;

static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	SocketContext *ctx = clientp;
	NpClass		class = webhook_guard_judge(ctx->guard, ctx->host, &address->addr, address->addrlen);

	if (class != NP_PUBLIC)
	{
		NpAddr		addr;
		char		text[64] = "?";

		if (np_addr_from_sockaddr(&address->addr, address->addrlen, &addr) == 0)
			np_addr_text(&addr, text, sizeof(text));
		snprintf(ctx->refusal, sizeof(ctx->refusal), "network policy refused a connection to %s (%s): %s",
				 ctx->host, text, np_class_text(class));
		return CURL_SOCKET_BAD;
	}
	ctx->allowed_one = 1;
	return socket(address->family, address->socktype, address->protocol);
}

/* The answer's body is not kept: its status is what counts. */
static size_t
discard(char *data, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

static long
ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

int
webhook_post_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* The request's headers; NULL when out of memory. */
static struct curl_slist *
request_headers(const WebhookRequest *request, const char *timestamp, const char *signature)
{
	const char *names[] = {"Ffrtmp-Event-Id", "Ffrtmp-Event", "Ffrtmp-Timestamp", "Ffrtmp-Signature"};
	const char *values[] = {request->event_id, request->event, timestamp, signature};
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
	char		line[256];

	/* No "Expect: 100-continue" round trip for larger bodies. */
	headers = headers ? curl_slist_append(headers, "Expect:") : NULL;
	for (int i = 0; headers && i < 4; i++)
	{
		struct curl_slist *more;

		snprintf(line, sizeof(line), "%s: %s", names[i], values[i]);
		more = curl_slist_append(headers, line);
		if (more == NULL)
		{
			curl_slist_free_all(headers);
			return NULL;
		}
		headers = more;
	}
	return headers;
}

/* One request in flight: what its callbacks and its end need. */
struct WebhookAttempt
{
	CURL	   *curl;
	struct curl_slist *headers;
	SocketContext ctx;
	NpUrl		parsed;
	struct timespec start;
	char		curl_error[CURL_ERROR_SIZE];
};

static void
attempt_free(WebhookAttempt *a)
{
	if (a->curl)
		curl_easy_cleanup(a->curl);
	curl_slist_free_all(a->headers);
	free(a);
}

WebhookAttempt *
webhook_attempt_start(const WebhookGuard *guard, const WebhookRequest *request, WebhookResult *result)
{
	WebhookAttempt *a = calloc(1, sizeof(WebhookAttempt));
	const char *why = NULL;
	long long	now = (long long) time(NULL);
	char		timestamp[32];
	char		hex[WEBHOOK_SIGNATURE_HEX + 1];
	char		signature[WEBHOOK_SIGNATURE_HEADER_MAX];
	CURL	   *curl;

	memset(result, 0, sizeof(*result));
	if (a == NULL)
	{
		snprintf(result->error, sizeof(result->error), "out of memory");
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	a->ctx.guard = guard;
	if (np_url_parse(request->url, &a->parsed, &why) < 0)
	{
		snprintf(result->error, sizeof(result->error), "invalid URL: %s", why);
		result->refused = 1;
		attempt_free(a);
		return NULL;
	}
	a->ctx.host = a->parsed.host;
	snprintf(timestamp, sizeof(timestamp), "%lld", now);
	if (webhook_sign(request->secret, now, request->body, strlen(request->body), hex) < 0)
	{
		snprintf(result->error, sizeof(result->error), "could not sign the request");
		attempt_free(a);
		return NULL;
	}
	snprintf(signature, sizeof(signature), "v1=%s", hex);
	if ((a->headers = request_headers(request, timestamp, signature)) == NULL ||
		(a->curl = curl_easy_init()) == NULL)
	{
		snprintf(result->error, sizeof(result->error), "out of memory");
		attempt_free(a);
		return NULL;
	}
	curl = a->curl;
	curl_easy_setopt(curl, CURLOPT_URL, request->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, request->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, request->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ffrtmp-webhooks/" FFRTMP_VERSION);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, a->headers);
	/* The body is copied: the request's strings need not outlive this call. */
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(request->body));
	curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, request->body);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &a->ctx);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, a->curl_error);
	return a;
}

CURL *
webhook_attempt_handle(WebhookAttempt *attempt)
{
	return attempt->curl;
}

void
webhook_attempt_end(WebhookAttempt *a, CURLcode rc, WebhookResult *result)
{
	long		status = 0;

	memset(result, 0, sizeof(*result));
	if (rc == CURLE_OK)
	{
		curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
		result->status = (int) status;
		if (status < 200 || status > 299)
			snprintf(result->error, sizeof(result->error), "HTTP %ld", status);
	}
	else if (a->ctx.refusal[0] != '\0' && !a->ctx.allowed_one)
	{
		/* Every address the name had was refused: trying again would only repeat it. */
		result->refused = 1;
		snprintf(result->error, sizeof(result->error), "%s", a->ctx.refusal);
	}
	else
		snprintf(result->error, sizeof(result->error), "%s",
				 a->curl_error[0] ? a->curl_error : curl_easy_strerror(rc));
	result->elapsed_ms = ms_since(&a->start);
	attempt_free(a);
}

void
webhook_post(const WebhookGuard *guard, const WebhookRequest *request, WebhookResult *result)
{
	WebhookAttempt *a = webhook_attempt_start(guard, request, result);

	if (a != NULL)
		webhook_attempt_end(a, curl_easy_perform(a->curl), result);
}
