/*
 * echo.c: the one way a caller's value is repeated in an error message.
 *
 * An error that quotes what was passed helps the caller, but a 50 MB argument
 * must not become a 50 MB message (sent back, written to the server log and
 * kept by log collectors), a cut must not split a multibyte character (the
 * message would no longer be valid in the database encoding), and a newline
 * in a name must not forge a second log line.  So every quoted value goes
 * through ffrtmp_echo: at most ECHO_MAX_BYTES bytes of it, cut on a
 * character boundary and marked with "...", control characters shown as \xNN.
 */
#include "ffrtmp.h"
#include "bounds.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

/* The start of value, safe to put between quotes in an error message. */
char *
ffrtmp_echo(const char *value)
{
	int			len = strlen(value);
	int			kept = pg_mbcliplen(value, len, ECHO_MAX_BYTES);
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < kept; i++)
	{
		unsigned char c = (unsigned char) value[i];

		if (c < 0x20 || c == 0x7f)
			appendStringInfo(&out, "\\x%02x", c);
		else
			appendStringInfoChar(&out, (char) c);
	}
	if (kept < len)
		appendStringInfoString(&out, "...");
	return out.data;
}
