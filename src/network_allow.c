/*
 * network_allow.c: the submit-time half of the network policy
 * (src/common/net_policy.h): the ffrtmp.network_allow setting, and the check
 * of a job's URL host before the job is stored.
 *
 * This check sees only the host as written, so it refuses every spelling of
 * a refused address and the names that mean loopback; a host name is judged
 * again by the worker after resolution, before every connect().  Its errors
 * are 22023 (HTTP 400), name the rule, and never echo credentials.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "mb/pg_wchar.h"
#include "utils/guc.h"

#include "common/net_policy.h"


static char *network_allow_text = NULL;
static const NpAllowList *network_allow = NULL;

static bool
check_network_allow(char **newval, void **extra, GucSource source)
{
	NpAllowList *list = malloc(sizeof(NpAllowList));	/* GUC extras are malloc(3)ed */
	char		err[300];

	if (list == NULL)
		return false;
	memset(list, 0, sizeof(*list));
	if (np_allow_parse(list, *newval ? *newval : "", err, sizeof(err)) < 0)
	{
		GUC_check_errdetail("%s", err);
		GUC_check_errhint("List CIDRs (10.1.0.0/16, 2001:db8::/32), addresses and host names (*.example.com for the names below it), separated by commas.");
		free(list);
		return false;
	}
	*extra = list;
	return true;
}

static void
assign_network_allow(const char *newval, void *extra)
{
	network_allow = extra;
}

void
ffrtmp_network_policy_init(void)
{
	DefineCustomStringVariable("ffrtmp.network_allow",
							   "Hosts job URLs may name although the network policy refuses their addresses.",
							   "CIDRs, addresses and host names, separated by commas. By default loopback, "
							   "private, link-local, multicast and other special-purpose addresses are refused.",
							   &network_allow_text, "", PGC_SUSET, GUC_LIST_INPUT,
							   check_network_allow, assign_network_allow, NULL);
}

/* The url with any credentials replaced, cut to a message's length. */
char *
ffrtmp_echo_url(const char *url)
{
	size_t		len = strlen(url) * 4 + 1;	/* each "@" may become "***@" */
	char	   *redacted = palloc(len);

	np_redact_url(url, redacted, len);
	/* Then the one way values are echoed: bounded, control characters shown as \xNN. */
	return ffrtmp_echo(redacted);
}

/*
 * What a refusal says depends on what the URL is for; the rule does not.
 * arg names the argument, subject the host ("input host ..."), and the
 * hints say what the caller can do instead.
 */
typedef struct UrlUse
{
	const char *arg;
	const char *subject;
	const char *credentials_detail;
	const char *credentials_hint;
	const char *policy_hint;
} UrlUse;

/*
 * Refuses credentials in the authority of url (scheme://authority form), a
 * host that is not a host, and one the network policy refuses.
 */
static void
check_url_host(const UrlUse *use, const char *url)
{
	NpUrl		parsed;
	const char *why = NULL;
	NpClass		class;

	if (np_url_parse(url, &parsed, &why) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s \"%s\": %s", use->arg, ffrtmp_echo_url(url), why),
				 errhint("Write it as scheme://host[:port]/path.")));
	if (parsed.has_userinfo)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s carries credentials before its host", use->arg),
				 errdetail("%s", use->credentials_detail),
				 errhint("%s", use->credentials_hint)));
	class = np_check_host(network_allow, parsed.host);
	if (class == NP_BAD_HOST)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s host \"%s\" is not a valid host name or address", use->subject,
						ffrtmp_echo_url(parsed.host)),
				 errhint("Write a host name, an IPv4 address as a.b.c.d, or an IPv6 address in brackets; hosts may not be percent-encoded.")));
	if (class != NP_PUBLIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s host %s is %s, refused by the network policy", use->subject,
						ffrtmp_echo_url(parsed.host), np_class_text(class)),
				 errhint("%s", use->policy_hint)));
}

/* A job's URL; what is "input" or "output". */
void
ffrtmp_check_url_host(const char *what, const char *url)
{
	UrlUse		use = {
		.arg = psprintf("%s_url", what),
		.subject = what,
		.credentials_detail = "User names and passwords are not accepted in URLs: jobs, logs and errors would show them.",
		.credentials_hint = "Put a stream key in the path instead, as in rtmp://host/app/STREAM_KEY.",
		.policy_hint = "If jobs are meant to reach it, ask an administrator to add it to ffrtmp.network_allow.",
	};

	check_url_host(&use, url);
}

/*
 * A webhook's endpoint (create_webhook's url).  The delivery daemon applies
 * does not read ffrtmp.network_allow: it opens addresses with --allow-network.
 */
void
ffrtmp_check_webhook_url_host(const char *url)
{
	static const UrlUse use = {
		.arg = "url",
		.subject = "webhook",
		.credentials_detail = "User names and passwords are not accepted in URLs: webhook lists, logs and errors would show them.",
		.credentials_hint = "Authenticate deliveries with the webhook's secret instead: the receiver verifies the Ffrtmp-Signature header.",
		.policy_hint = "If webhooks are meant to reach it, ask an administrator to add it to ffrtmp.network_allow and to start ffrtmp-webhooks with --allow-network for it.",
	};

	check_url_host(&use, url);
}
