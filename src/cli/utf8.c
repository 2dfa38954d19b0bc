/*
 * UTF-8 validation (RFC 3629, section 4), the one rule for every place the
 * client writes bytes it did not make: the text shown on a terminal
 * (text.c) and the importer's JSON (import_report.c).  A lead byte alone
 * does not tell the length of a character: in text that is not UTF-8, a
 * 0xF0 followed by an ESC would swallow the ESC as part of "one character".
 * So every byte of the sequence is checked, and a byte that does not begin
 * a well-formed one is invalid on its own (it is escaped or replaced, and
 * the next byte is looked at anew).
 */
#include "cli.h"

int
cli_utf8_length(const unsigned char *s)
{
	int			len;
	unsigned char lo = 0x80,
				hi = 0xBF;		/* the range of the second byte */

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
	{
		len = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;			/* overlong */
		else if (s[0] == 0xED)
			hi = 0x9F;			/* surrogates */
	}
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
	{
		len = 4;
		if (s[0] == 0xF0)
			lo = 0x90;			/* overlong */
		else if (s[0] == 0xF4)
			hi = 0x8F;			/* past U+10FFFF */
	}
	else
		return 0;				/* 0x80-0xC1 (continuation, overlong), 0xF5-0xFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL ends the string: it is no continuation byte, so no read past it. */
	for (int i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

unsigned
cli_utf8_code_point(const unsigned char *s, int len)
{
	unsigned	c = len == 1 ? s[0] : s[0] & (0x7F >> len);

	for (int i = 1; i < len; i++)
		c = (c << 6) | (s[i] & 0x3F);
	return c;
}

/*
 * The invisible characters that reorder or break what follows: the bidi
 * marks (ALM U+061C, LRM U+200E, RLM U+200F), embeddings and overrides
 * (U+202A-U+202E), isolates (U+2066-U+2069), and the line and paragraph
 * separators (U+2028, U+2029), which some terminals and viewers break on.
 * Tables show them as \uXXXX; JSON output too (the same string to a parser).
 */
bool
cli_is_bidi_control(unsigned c)
{
	return c == 0x061C || c == 0x200E || c == 0x200F ||
		(c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}
