/*
 * av_messages.h: libav's own words for a failure.  A libav call returns a
 * code ("Invalid argument") and logs why ("Picture size 16000x16000 exceeds
 * specified max pixel count 33177600"); the code alone tells a person
 * nothing to act on.  This module keeps the last few messages libav logged
 * at warning level or worse, so that a job's error can quote the reason,
 * made fit for the tenant to read: bounded, without control characters,
 * and without paths other than the job's own (shown as <input>, <output>).
 *
 * The callback passes every message on, so the worker's log keeps them all.
 * It is thread-safe: decoder and encoder threads log too.
 */
#ifndef FFRTMP_WORKER_AV_MESSAGES_H
#define FFRTMP_WORKER_AV_MESSAGES_H

#include <stdarg.h>
#include <stddef.h>

/* The most a quoted message takes, in bytes, with its terminating NUL. */
#define AV_MESSAGE_MAX 300

typedef void (*AvLogCallback) (void *avcl, int level, const char *format, va_list args);

/*
 * Makes libav log through this module, which then passes each message on to
 * next; NULL keeps the one given before (at first libav's default, which
 * prints to stderr).
 */
extern void av_messages_install(AvLogCallback next);

/* The job's own input and output (paths or URLs; NULL: none), quoted as <input> and <output>. */
extern void av_messages_set_paths(const char *input, const char *output);

/* Messages logged so far are about work that is done: no later failure quotes them. */
extern void av_messages_forget(void);

/* A new packet is read: see av_messages_cause's recent_steps. */
extern void av_messages_step(void);

/*
 * The message that says why, made fit for the tenant, in out; returns its
 * length (0: nothing to quote).  Only messages logged since the last
 * av_messages_forget count.  recent_steps 0 (setting up: opening, probing,
 * configuring) quotes the first error among them (else the first warning),
 * as libav logs a cause before what failed because of it ("Unable to parse
 * option value", then "Error applying options to the filter") and may warn
 * before either ("detected only with low score").  recent_steps > 0 (the packet loop) quotes the
 * newest message of the last recent_steps steps: older ones are about damage
 * already survived, and a decoder's threads report a frame's failure a few
 * packets after it was read.
 */
extern size_t av_messages_cause(char *out, size_t outlen, int recent_steps);

/* Appends " (<cause>)" to the message in err when there is a cause and room. */
extern void av_messages_append(char *err, size_t errlen, int recent_steps);

/*
 * The sanitizing alone: text with advice meant for FFmpeg's developers cut,
 * control characters as spaces, libav's context addresses (" @ 0x...")
 * dropped, input and output (either may be NULL) as <input> and <output> (a
 * path in the output's directory counts as the output), any other absolute
 * path or file: URL as <path>, the user and password of other URLs as ***,
 * bytes that are not UTF-8, C1 controls and bidirectional overrides and
 * isolates as '?', and the whole cut on a character boundary to outlen - 1
 * bytes (ending in "...").
 */
extern void av_messages_sanitize(const char *text, const char *input, const char *output,
								 char *out, size_t outlen);

#endif
