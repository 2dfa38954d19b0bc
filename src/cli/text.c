/*
 * Text the server stores, shown on a terminal.  Names, descriptions, a
 * job's error, a node's labels and log lines are written by tenants and
 * their nodes; written raw, a control character in them would move the
 * operator's cursor, rewrite a line (CR), set the window title (OSC) or
 * reorder what follows (bidi overrides).  Like psql's aligned output, every
 * such character is shown as an escape: \r, \xHH for the other C0 controls
 * and DEL, \uXXXX for C1 controls (U+0080-U+009F), the bidi marks,
 * embeddings, overrides and isolates and the line and paragraph separators
 * (cli_is_bidi_control).  Bytes that are not UTF-8 (in a UTF-8 session)
 * are shown one by one as \xHH: see utf8.c.  Newline and tab
 * are the two controls a value may mean (a description's lines): a table
 * cell shows them as \n and \t, to keep one row a line; a "column  value"
 * list and a log line keep them.  Widths are terminal columns, as psql
 * counts them (libpq's PQdsplen: a wide CJK character takes two).
 * The server's JSON escapes the C0 controls itself, not the others:
 * cli_put_json writes C1 controls, the bidi controls and the separators of
 * its text as \uXXXX (the same string to a JSON parser).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int
utf8_encoding(void)
{
	static int	utf8 = -2;

	if (utf8 == -2)
		utf8 = pg_char_to_encoding("UTF8");
	return utf8;
}

/* The connection's client encoding; UTF-8 before there is one. */
static int
encoding(cli_ctx *ctx)
{
	if (ctx != NULL && ctx->conn != NULL)
		return PQclientEncoding(ctx->conn);
	return utf8_encoding();
}

/*
 * The escape shown for the character of len bytes at s, in buf (at least
 * 8 bytes), or NULL when it is shown as it is; *w is its width either way.
 */
static const char *
escape(cli_ctx *ctx, const unsigned char *s, int len, enum cli_text how, char *buf, int *w)
{
	int			enc = encoding(ctx);
	bool		utf8 = enc == utf8_encoding();
	int			dw;

	/*
	 * A byte that begins no well-formed UTF-8 character: alone, escaped
	 * (before PQdsplen, which would read the bytes after it as its own).
	 */
	if (len == 1 && utf8 && *s >= 0x80)
	{
		snprintf(buf, 8, "\\x%02X", *s);
		*w = (int) strlen(buf);
		return buf;
	}
	dw = PQdsplen((const char *) s, enc);
	if (len == 1 && (*s == '\n' || *s == '\t') && how == CLI_TEXT_LINES)
	{
		*w = 1;
		return NULL;
	}
	/* A single-byte encoding's 0x80-0x9F: C1 controls in Latin-1. */
	if (len == 1 && (dw < 0 || (!utf8 && *s >= 0x80 && *s <= 0x9F)))
	{
		if (*s == '\r' || *s == '\n' || *s == '\t')
			snprintf(buf, 8, "\\%c", *s == '\r' ? 'r' : *s == '\n' ? 'n' : 't');
		else
			snprintf(buf, 8, "\\x%02X", *s);
	}
	else if (len > 1 && utf8 && (dw < 0 || cli_is_bidi_control(cli_utf8_code_point(s, len))))
		snprintf(buf, 8, "\\u%04X", cli_utf8_code_point(s, len));
	else
	{
		*w = dw < 0 ? 0 : dw;
		return NULL;
	}
	*w = (int) strlen(buf);
	return buf;
}

/* Bytes in the character at s (at least 1, never past its end). */
static int
char_len(cli_ctx *ctx, const char *s)
{
	int			enc = encoding(ctx);
	int			len;

	/* libpq trusts a UTF-8 lead byte's length: validate the bytes after it. */
	if (enc == utf8_encoding())
		len = cli_utf8_length((const unsigned char *) s);
	else
		len = PQmblenBounded(s, enc);

	return len < 1 ? 1 : len;
}

int
cli_text_width(cli_ctx *ctx, const char *s, enum cli_text how)
{
	int			total = 0;
	char		buf[8];

	for (int len; *s != '\0'; s += len)
	{
		int			w;

		len = char_len(ctx, s);
		escape(ctx, (const unsigned char *) s, len, how, buf, &w);
		total += w;
	}
	return total;
}

void
cli_put_text(cli_ctx *ctx, FILE *out, const char *s, enum cli_text how)
{
	char		buf[8];

	for (int len; *s != '\0'; s += len)
	{
		const char *e;
		int			w;

		len = char_len(ctx, s);
		e = escape(ctx, (const unsigned char *) s, len, how, buf, &w);
		if (e != NULL)
			fputs(e, out);
		else
			fwrite(s, 1, len, out);
	}
}

void
cli_put_json(cli_ctx *ctx, FILE *out, const char *json)
{
	bool		utf8 = encoding(ctx) == utf8_encoding();

	/* Outside its strings JSON has only ASCII: these are all in strings. */
	for (const unsigned char *c = (const unsigned char *) json; *c != '\0';)
	{
		int			len = utf8 ? cli_utf8_length(c) : 1;
		unsigned	cp = len > 1 ? cli_utf8_code_point(c, len) : 0;

		if (len > 1 && (cp <= 0x9F || cli_is_bidi_control(cp)))
			fprintf(out, "\\u%04X", cp);
		else
			fwrite(c, 1, len > 0 ? len : 1, out);
		c += len > 0 ? len : 1;
	}
	fputc('\n', out);
}
