/*
 * test_av_messages.c: libav's messages, quoted in a job's error, say the
 * cause and no more: no path but the job's own (as placeholders), no
 * credentials, no control characters, no advice meant for FFmpeg's
 * developers, valid UTF-8, and at most AV_MESSAGE_MAX bytes.  The newest
 * message of the current step is the one quoted.
 */
#include "../av_messages.h"
#include "check.h"

#include <string.h>

#include <libavutil/log.h>

#define IN "/srv/media/acme/holiday clip.mp4"
#define OUT "/var/lib/ffrtmp/out/6f1c/job-7/.index.m3u8.1.partial/index.m3u8"

static char got[AV_MESSAGE_MAX];

static const char *
clean(const char *text)
{
	av_messages_sanitize(text, IN, OUT, got, sizeof(got));
	return got;
}

static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	while (*p)
	{
		int			n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;

		if (n == 0)
			return 0;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static void
test_paths(void)
{
	CHECK(strcmp(clean("could not open /etc/ffrtmp/worker.conf: Permission denied"),
				 "could not open <path>: Permission denied") == 0, "a foreign absolute path becomes <path>");
	CHECK(strcmp(clean("file:" IN ": Invalid data found when processing input"),
				 "<input>: Invalid data found when processing input") == 0,
		  "the job's input (with a space in its name, after file:) becomes <input>");
	CHECK(strcmp(clean("Failed to open segment /var/lib/ffrtmp/out/6f1c/job-7/.index.m3u8.1.partial/index_00003.ts"),
				 "Failed to open segment <output>") == 0, "a file beside the job's output is <output>");
	CHECK(strcmp(clean("Opening '/var/lib/ffrtmp/out/other/job-9.mp4' for writing"),
				 "Opening '<path>' for writing") == 0, "another tenant's output is <path>, quotes kept");
	CHECK(strcmp(clean("cannot read file:///home/admin/.netrc, giving up"), "cannot read <path>, giving up") == 0,
		  "a file:// URL becomes <path>");
	CHECK(strcmp(clean("(/usr/lib/x86_64-linux-gnu/libx264.so.164)"), "(<path>)") == 0,
		  "a path in brackets becomes <path>");
	CHECK(strcmp(clean("HTTP error 404 at http://user:secret@cdn.example/a/b.m3u8"),
				 "HTTP error 404 at http://***@cdn.example/a/b.m3u8") == 0,
		  "a URL keeps its path but not its user and password");
	CHECK(strcmp(clean("aspect 16/9, time base 1/25, a / b"), "aspect 16/9, time base 1/25, a / b") == 0,
		  "ratios and a lone slash are not paths");
	av_messages_sanitize("could not open /srv/x", NULL, NULL, got, sizeof(got));
	CHECK(strcmp(got, "could not open <path>") == 0, "without job paths every absolute path is <path>");
}

static void
test_text(void)
{
	char		long_text[2000];
	char		accented[1000] = "";

	CHECK(strcmp(clean("line one\nline\ttwo\r\x1b[31m red\x7f"), "line one line two [31m red") == 0,
		  "control characters become single spaces");
	CHECK(strcmp(clean("Gain control is not implemented. Update your FFmpeg version to the newest one from Git. "
					   "If the problem still occurs, it means that your file has a feature which has not been implemented."),
				 "Gain control is not implemented.") == 0, "advice to FFmpeg's developers is cut");
	CHECK(strcmp(clean("Picture size 16000x16000 exceeds specified max pixel count 33177600, "
					   "see the documentation if you wish to increase it"),
				 "Picture size 16000x16000 exceeds specified max pixel count 33177600") == 0,
		  "advice to the command line's users is cut");
	CHECK(strcmp(clean("title \xff\xfe caf\xc3\xa9 \xed\xa0\x80"), "title ?? caf\xc3\xa9 ???") == 0,
		  "bytes that are not UTF-8 (or are surrogates) become ?");

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	clean(long_text);
	CHECK(strlen(got) == AV_MESSAGE_MAX - 1 && strcmp(got + strlen(got) - 3, "...") == 0,
		  "a long message is cut to AV_MESSAGE_MAX - 1 bytes, ending in ...");
	for (int i = 0; i < 400; i++)
		strcat(accented, "\xc3\xa9");
	clean(accented);
	CHECK(strlen(got) < AV_MESSAGE_MAX && valid_utf8(got), "a cut never splits a character");
	av_messages_sanitize("abcdef", NULL, NULL, got, 4);
	CHECK(strcmp(got, "abc") == 0, "a tiny buffer gets what fits");
}

static int	passed_on;

static void
next_callback(void *avcl, int level, const char *format, va_list args)
{
	(void) avcl;
	(void) level;
	(void) format;
	(void) args;
	passed_on++;
}

static void
test_keeping(void)
{
	char		err[128];

	av_messages_install(next_callback);
	av_messages_set_paths(IN, OUT);
	av_log(NULL, AV_LOG_ERROR, "cannot open %s\n", "/etc/shadow");
	CHECK(av_messages_cause(got, sizeof(got), 0) > 0 && strcmp(got, "cannot open <path>") == 0,
		  "an error is kept and quoted sanitized");
	CHECK(passed_on == 1, "and passed on to the next callback");

	av_log(NULL, AV_LOG_INFO, "an info line\n");
	av_log(NULL, AV_LOG_WARNING, "Reserved bit set");
	av_log(NULL, AV_LOG_WARNING, " in frame %d\n", 3);
	av_log(NULL, AV_LOG_WARNING, "If you want to help, upload a sample of this file to https://streams.videolan.org/upload/\n");
	av_messages_cause(got, sizeof(got), 1);
	CHECK(strcmp(got, "Reserved bit set in frame 3") == 0,
		  "in the packet loop the newest warning, logged in two pieces, is quoted; info and advice lines are not kept");
	CHECK(passed_on == 5, "every message is passed on, kept or not");

	av_messages_forget();
	av_log(NULL, AV_LOG_WARNING, "Format mov detected only with low score of 1, misdetection possible!\n");
	av_messages_cause(got, sizeof(got), 0);
	CHECK(strncmp(got, "Format mov detected", 19) == 0, "in setting up a warning is quoted when nothing worse was logged");
	av_log(NULL, AV_LOG_ERROR, "Unable to parse option value \"-1\" as pixel format\n");
	av_log(NULL, AV_LOG_ERROR, "Error applying options to the filter.\n");
	av_messages_cause(got, sizeof(got), 0);
	CHECK(strcmp(got, "Unable to parse option value \"-1\" as pixel format") == 0,
		  "but the first error since av_messages_forget comes first: the cause, not its consequence");

	av_messages_forget();
	CHECK(av_messages_cause(got, sizeof(got), 0) == 0, "nothing is quoted after av_messages_forget");

	av_log(NULL, AV_LOG_ERROR, "error while decoding MB 10 3\n");
	for (int i = 0; i < 5; i++)
		av_messages_step();
	CHECK(av_messages_cause(got, sizeof(got), 4) == 0, "a message older than the steps asked for is not quoted");
	CHECK(av_messages_cause(got, sizeof(got), 6) > 0, "one within them is");
	for (int i = 0; i < 20; i++)
		av_log(NULL, AV_LOG_ERROR, "message %d\n", i);
	av_messages_cause(got, sizeof(got), 0);
	CHECK(strcmp(got, "message 4") == 0, "of many, the oldest still kept stands for the first");
	av_messages_forget();
	av_log(NULL, AV_LOG_ERROR, "error while decoding MB 10 3\n");

	snprintf(err, sizeof(err), "could not decode the input: Invalid data found when processing input");
	av_messages_append(err, sizeof(err), 0);
	CHECK(strcmp(err, "could not decode the input: Invalid data found when processing input "
				 "(error while decoding MB 10 3)") == 0, "av_messages_append adds the cause in brackets");
	snprintf(err, sizeof(err), "%0100d", 0);
	av_messages_append(err, sizeof(err), 0);
	CHECK(strlen(err) < sizeof(err) && strcmp(err + strlen(err) - 4, "...)") == 0,
		  "and cuts it to the room left");
}

int
main(void)
{
	test_paths();
	test_text();
	test_keeping();
	return check_summary();
}
