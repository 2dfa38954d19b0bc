/*
 * webhook_send.c: a claim's attempts, several at once (see webhook_send.h).
 *
 * The requests start in the claim's order, which takes the webhooks in turn
 * (claim_webhook_deliveries): with at most 5 of one webhook in a claim and
 * several connections, a receiver that hangs holds a few connections for
 * one --timeout while the other webhooks' requests go on.
 */
#include "webhook_send.h"

#include <stdlib.h>

typedef struct InFlight
{
	WebhookAttempt *attempt;
	int			index;
} InFlight;

/* Starts request i: 1 when a transfer runs, 0 when it ended at once (reported), -1 on failure. */
static int
start_one(CURLM *multi, const WebhookGuard *guard, const WebhookRequest *request, int i, InFlight *slot,
		  WebhookDone done, void *arg)
{
	WebhookResult result;
	WebhookAttempt *attempt = webhook_attempt_start(guard, request, &result);

	if (attempt == NULL)
		return done(i, &result, arg) < 0 ? -1 : 0;
	if (curl_multi_add_handle(multi, webhook_attempt_handle(attempt)) != CURLM_OK)
	{
		webhook_attempt_end(attempt, CURLE_OUT_OF_MEMORY, &result);
		return done(i, &result, arg) < 0 ? -1 : 0;
	}
	slot->attempt = attempt;
	slot->index = i;
	curl_easy_setopt(webhook_attempt_handle(attempt), CURLOPT_PRIVATE, slot);
	return 1;
}

/* Removes every transfer still in flight, unreported. */
static void
abandon(CURLM *multi, InFlight *slots, int concurrency)
{
	for (int s = 0; s < concurrency; s++)
	{
		WebhookResult ignored;

		if (slots[s].attempt == NULL)
			continue;
		curl_multi_remove_handle(multi, webhook_attempt_handle(slots[s].attempt));
		webhook_attempt_end(slots[s].attempt, CURLE_ABORTED_BY_CALLBACK, &ignored);
		slots[s].attempt = NULL;
	}
}

int
webhook_send(const WebhookGuard *guard, const WebhookRequest *requests, int n, int concurrency,
			 WebhookDone done, void *arg, volatile sig_atomic_t *stopping)
{
	CURLM	   *multi = curl_multi_init();
	InFlight   *slots = calloc(concurrency, sizeof(InFlight));
	int			next = 0, running = 0, failed = 0;

	if (multi == NULL || slots == NULL)
	{
		free(slots);
		if (multi)
			curl_multi_cleanup(multi);
		return -1;
	}
	while (!failed)
	{
		int			still = 0;
		CURLMsg    *msg;
		int			queued;

		/* Fill the free slots, in the claim's order. */
		for (int s = 0; s < concurrency && next < n && !*stopping && !failed; s++)
		{
			int			r;

			if (slots[s].attempt != NULL)
				continue;
			r = start_one(multi, guard, &requests[next], next, &slots[s], done, arg);
			next++;
			if (r < 0)
				failed = 1;
			else if (r == 1)
				running++;
			else
				s--;			/* the slot is still free */
		}
		if (failed || running == 0)
			break;
		if (curl_multi_perform(multi, &still) != CURLM_OK)
		{
			failed = 1;
			break;
		}
		while (!failed && (msg = curl_multi_info_read(multi, &queued)) != NULL)
		{
			CURL	   *easy = msg->easy_handle;
			CURLcode	rc = msg->data.result;
			InFlight   *slot;
			WebhookResult result;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &slot);
			curl_multi_remove_handle(multi, easy);
			webhook_attempt_end(slot->attempt, rc, &result);
			slot->attempt = NULL;
			running--;
			if (done(slot->index, &result, arg) < 0)
				failed = 1;
		}
		/* Wait for activity on a transfer, a second at most (stopping is checked then). */
		if (!failed && running > 0 && still > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			failed = 1;
	}
	abandon(multi, slots, concurrency);
	free(slots);
	curl_multi_cleanup(multi);
	return failed ? -1 : 0;
}
