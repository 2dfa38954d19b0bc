/*
 * av_messages.c: keeping libav's last messages, and making one fit for a
 * job's error (av_messages.h).
 *
 * What is kept: messages at AV_LOG_WARNING or worse, the last KEPT of them,
 * each prefixed with the name of the component that logged it ("mjpeg",
 * "libx264", "mov").  Warnings count because libav's "not implemented"
 * reasons (behind AVERROR_PATCHWELCOME) are logged at that level.  A message
 * logged in pieces (no final newline) is joined up.  Which paths a message
 * quotes is only known when it is quoted, so sanitizing happens then.
 */
#include "av_messages.h"
#include "utf8.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "../common/net_policy.h"

#define KEPT 16
#define RAW_MAX 512
#define PATH_MAX_BYTES 4200

typedef struct Kept
{
	long		step;			/* when it was logged (av_messages_step's count) */
	int			level;			/* AV_LOG_WARNING or worse */
	void	   *avcl;			/* who logged it, to join a message logged in pieces */
	int			complete;		/* it ended with a newline */
	char		text[RAW_MAX];	/* "component: message" */
} Kept;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Kept kept[KEPT];
static long nkept;				/* messages kept so far; the newest is kept[(nkept - 1) % KEPT] */
static long step_count;
static long floor_step;			/* messages before this step no longer count */
static AvLogCallback next_callback = av_log_default_callback;
static char job_input[PATH_MAX_BYTES];
static char job_output[PATH_MAX_BYTES];

/*
 * Advice libav gives FFmpeg's developers and its command line's users, not
 * a tenant: the message is cut where it begins.
 */
static const char *const advice[] = {
	" Update your FFmpeg version to the newest one from Git.",
	", see the documentation if you wish to increase it",
	NULL
};

/* Lines that are nothing but such advice, never kept. */
static const char *const advice_lines[] = {
	"If you want to help, upload a sample",
	NULL
};

/* Sanitizing ----------------------------------------------------------------- */

static int
is_path_char(unsigned char c)
{
	return isalnum(c) || strchr("._-~+@%", c) != NULL || c >= 0x80;
}

/* Where a token that begins at p ends: at a space, a quote, a bracket, a | or ": ". */
static const char *
token_end(const char *p)
{
	while (*p && !isspace((unsigned char) *p) && strchr("\"'`<>()[]{},;|", *p) == NULL &&
		   !(*p == ':' && (p[1] == ' ' || p[1] == '\0')))
		p++;
	return p;
}

/*
 * Whether a path could begin at p: after anything that cannot be part of a
 * path or URL before it, so a path in `backquotes', {braces} or after a |
 * is seen as well as one after a space or a quote.
 */
static int
at_token_start(const char *text, const char *p)
{
	return p == text || (!is_path_char((unsigned char) p[-1]) && p[-1] != '/');
}

/*
 * libav names the context that logs with its address ("[mov,mp4 @
 * 0x55d0c4a1e2c0]"): an address in the job's process tells the reader where
 * its heap is, which a crafted input could use.  Drops " @ 0x<hex>" in place.
 */
static void
drop_addresses(char *text)
{
	char	   *at;

	while ((at = strstr(text, " @ 0x")) != NULL)
	{
		char	   *end = at + 5;

		while (isxdigit((unsigned char) *end))
			end++;
		memmove(at, end, strlen(end) + 1);
	}
}

/*
 * Bytes of a UTF-8 character at p that are not for people to see, 0 when it
 * is text: the C1 controls (U+0080 to U+009F), which terminals and viewers
 * take as controls as they take the ASCII ones, and the bidirectional
 * overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which show a
 * line in another order than it is stored.
 */
static int
hidden_length(const unsigned char *p)
{
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return 2;
	if (p[0] == 0xE2 && ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
						 (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
		return 3;
	return 0;
}

/* Replaces the job's paths and every other absolute path in text with placeholders. */
static void
replace_paths(const char *text, const char *input, const char *output, char *out, size_t outlen)
{
	size_t		input_len = input ? strlen(input) : 0;
	size_t		output_len = output ? strlen(output) : 0;
	const char *slash = output && output[0] == '/' ? strrchr(output, '/') : NULL;
	size_t		dir_len = slash ? (size_t) (slash - output) + 1 : 0;	/* with its final '/' */
	size_t		used = 0;
	const char *p = text;

	while (*p && used + 16 < outlen)
	{
		const char *placeholder = NULL;
		const char *next;

		if (at_token_start(text, p))
		{
			/* "file:" names a path: drop the scheme and look at the path. */
			if (strncmp(p, "file:", 5) == 0 && p[5] == '/')
			{
				p += 5;
				while (p[0] == '/' && p[1] == '/')
					p++;
			}
			next = p + 1;
			if (input_len && strncmp(p, input, input_len) == 0)
				placeholder = "<input>", next = p + input_len;
			else if (output_len && strncmp(p, output, output_len) == 0)
				placeholder = "<output>", next = p + output_len;
			else if (dir_len > 1 && strncmp(p, output, dir_len) == 0)
				placeholder = "<output>", next = token_end(p);
			else if (p[0] == '/' && is_path_char((unsigned char) p[1]))
				placeholder = "<path>", next = token_end(p);
		}
		else
			next = p + 1;
		if (placeholder)
			used += snprintf(out + used, outlen - used, "%s", placeholder);
		else
			out[used++] = *p;
		p = next;
	}
	out[used] = '\0';
}

void
av_messages_sanitize(const char *text, const char *input, const char *output, char *out, size_t outlen)
{
	char		work[RAW_MAX * 2];
	char		replaced[RAW_MAX * 4];
	char		redacted[RAW_MAX * 4];
	size_t		used = 0;
	size_t		limit;

	if (outlen == 0)
		return;
	snprintf(work, sizeof(work), "%s", text);
	for (int i = 0; advice[i]; i++)
	{
		char	   *cut = strstr(work, advice[i]);

		if (cut)
			*cut = '\0';
	}
	for (char *c = work; *c; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			*c = ' ';
	drop_addresses(work);
	replace_paths(work, input && input[0] ? input : NULL, output && output[0] ? output : NULL,
				  replaced, sizeof(replaced));
	np_redact_url(replaced, redacted, sizeof(redacted));

	/* Valid UTF-8, spaces collapsed, then cut to fit on a character boundary. */
	for (const unsigned char *p = (const unsigned char *) redacted; *p && used + 4 < sizeof(work);)
	{
		int			n = utf8_length(p);

		if (*p == ' ' && (used == 0 || work[used - 1] == ' '))
			p++;
		else if (n > 1 && hidden_length(p) == n)
			work[used++] = '?', p += n;
		else if (n == 0)
			work[used++] = '?', p++;
		else
		{
			memcpy(work + used, p, n);
			used += n;
			p += n;
		}
	}
	while (used > 0 && work[used - 1] == ' ')
		used--;
	work[used] = '\0';
	if (used < outlen)
	{
		memcpy(out, work, used + 1);
		return;
	}
	limit = outlen > 4 ? outlen - 4 : outlen - 1;
	while (limit > 0 && ((unsigned char) work[limit] & 0xC0) == 0x80)
		limit--;
	snprintf(out, outlen, "%.*s%s", (int) limit, work, outlen > 4 ? "..." : "");
}

/* Keeping ------------------------------------------------------------------- */

/* The name of the component that logged: the codec, demuxer or filter, or its parent's. */
static void
component_name(void *avcl, char *out, size_t outlen)
{
	const AVClass *avc = avcl ? *(const AVClass **) avcl : NULL;
	const char *name;

	out[0] = '\0';
	if (avc == NULL)
		return;
	/* Helpers such as imgutils log through their caller's context: name the caller. */
	if (avc->parent_log_context_offset)
	{
		void	  **parent = *(void ***) ((uint8_t *) avcl + avc->parent_log_context_offset);

		if (parent && *parent)
		{
			avcl = parent;
			avc = *(const AVClass **) parent;
		}
	}
	name = avc->item_name ? avc->item_name(avcl) : avc->class_name;
	/* A demuxer's name lists its aliases ("mov,mp4,m4a,..."): the first says it. */
	snprintf(out, outlen, "%.*s", (int) strcspn(name ? name : "", ","), name ? name : "");
}

static void
keep(void *avcl, int level, const char *format, va_list args)
{
	char		text[RAW_MAX];
	char		name[64];
	size_t		len;
	Kept	   *last;

	vsnprintf(text, sizeof(text), format, args);
	len = strlen(text);
	pthread_mutex_lock(&lock);
	last = nkept ? &kept[(nkept - 1) % KEPT] : NULL;
	if (last && !last->complete && last->avcl == avcl)
		snprintf(last->text + strlen(last->text), sizeof(last->text) - strlen(last->text), "%s", text);
	else
	{
		int			advice_only = 0;

		for (int i = 0; advice_lines[i]; i++)
			advice_only |= strncmp(text, advice_lines[i], strlen(advice_lines[i])) == 0;
		if (advice_only || len == 0 || (len == 1 && text[0] == '\n'))
		{
			pthread_mutex_unlock(&lock);
			return;
		}
		last = &kept[nkept++ % KEPT];
		component_name(avcl, name, sizeof(name));
		snprintf(last->text, sizeof(last->text), "%s%s%s", name, name[0] ? ": " : "", text);
		last->avcl = avcl;
		last->step = step_count;
		last->level = level;
	}
	len = strlen(last->text);
	last->complete = len > 0 && last->text[len - 1] == '\n';
	while (len > 0 && (last->text[len - 1] == '\n' || last->text[len - 1] == '\r'))
		last->text[--len] = '\0';
	pthread_mutex_unlock(&lock);
}

static void
callback(void *avcl, int level, const char *format, va_list args)
{
	if ((level & 0xff) <= AV_LOG_WARNING)
	{
		va_list		copy;

		va_copy(copy, args);
		keep(avcl, level & 0xff, format, copy);
		va_end(copy);
	}
	next_callback(avcl, level, format, args);
}

void
av_messages_install(AvLogCallback next)
{
	if (next)
		next_callback = next;
	av_log_set_callback(callback);
}

void
av_messages_set_paths(const char *input, const char *output)
{
	pthread_mutex_lock(&lock);
	snprintf(job_input, sizeof(job_input), "%s", input ? input : "");
	snprintf(job_output, sizeof(job_output), "%s", output ? output : "");
	pthread_mutex_unlock(&lock);
}

void
av_messages_forget(void)
{
	pthread_mutex_lock(&lock);
	floor_step = ++step_count;
	pthread_mutex_unlock(&lock);
}

void
av_messages_step(void)
{
	pthread_mutex_lock(&lock);
	step_count++;
	pthread_mutex_unlock(&lock);
}

size_t
av_messages_cause(char *out, size_t outlen, int recent_steps)
{
	long		oldest = floor_step;
	int			chosen_level = AV_LOG_WARNING;

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	pthread_mutex_lock(&lock);
	if (recent_steps > 0 && step_count - recent_steps + 1 > oldest)
		oldest = step_count - recent_steps + 1;
	/* The newest; or the oldest error, else the oldest warning: see av_messages.h. */
	for (long i = nkept - 1; i >= 0 && i >= nkept - KEPT; i--)
	{
		const Kept *k = &kept[i % KEPT];
		char		text[AV_MESSAGE_MAX];

		if (k->step < oldest)
			break;
		if (recent_steps == 0 && k->level > chosen_level)
			continue;
		av_messages_sanitize(k->text, job_input, job_output, text, outlen < sizeof(text) ? outlen : sizeof(text));
		if (text[0] == '\0')
			continue;
		memcpy(out, text, strlen(text) + 1);
		chosen_level = k->level;
		if (recent_steps > 0)
			break;
	}
	pthread_mutex_unlock(&lock);
	return strlen(out);
}

void
av_messages_append(char *err, size_t errlen, int recent_steps)
{
	char		cause[AV_MESSAGE_MAX];
	size_t		len = strlen(err);
	size_t		room = errlen > len + 3 ? errlen - len - 3 : 0;	/* " (" and ")" */

	/* Cut to the room left, so that the error stays whole and valid UTF-8. */
	if (room > 8 && av_messages_cause(cause, room < sizeof(cause) ? room : sizeof(cause), recent_steps) > 0)
		snprintf(err + len, errlen - len, " (%s)", cause);
}
