/*
 * import_report.c: what `ffrtmp import sqlite` tells its caller.  For people,
 * a line per row that was not imported as it was, with the reason, and a
 * summary (docs/cli.md, "The report"); with --output=json the same rows and
 * notes as one JSON document on stdout, written at the end, so that a
 * script reads one value and keys on stable field names.
 *
 * The JSON is built here, not by the server as the other commands' is: the
 * values come from the store, and a byte that is not UTF-8 would make the
 * server refuse the whole document.  Such a byte becomes U+FFFD; control
 * characters (C0, DEL and C1, such as the 8-bit CSI) are written as \u
 * escapes, so that the document shown on a terminal cannot drive it.
 */
#include "import_report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
import_printf(PGconn *conn, FILE *out, const char *fmt,...)
{
	cli_ctx		ctx = {.conn = conn};
	va_list		ap;
	char	   *s;
	int			n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cli_put_text(&ctx, out, s, CLI_TEXT_LINES);
	free(s);
}

void
import_error(PGconn *conn, const char *fmt,...)
{
	cli_ctx		ctx = {.conn = conn};
	va_list		ap;
	char	   *s;
	int			n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fputs("ffrtmp: error: ", stderr);
	cli_put_text(&ctx, stderr, s, CLI_TEXT_LINES);
	fputc('\n', stderr);
	free(s);
}

char *
import_json_string(const char *s)
{
	char	   *j;
	char	   *o;

	if (s == NULL)
		return strdup("null");
	/* At most 6 bytes ("\u00XX", or U+FFFD's 3 for 1) for each byte, and the quotes. */
	if ((j = malloc(6 * strlen(s) + 3)) == NULL)
		return NULL;
	o = j;
	*o++ = '"';
	for (const unsigned char *c = (const unsigned char *) s; *c;)
	{
		int			len;

		if (*c == '"' || *c == '\\')
		{
			*o++ = '\\';
			*o++ = *c++;
		}
		else if (*c == '\n')
			o += sprintf(o, "\\n"), c++;
		else if (*c < 0x20 || *c == 0x7F)
			o += sprintf(o, "\\u%04X", *c++);
		else if (*c < 0x80)
			*o++ = *c++;
		else if ((len = cli_utf8_length(c)) == 0)
			o += sprintf(o, "\xEF\xBF\xBD"), c++;
		else if (len == 2 && c[0] == 0xC2 && c[1] < 0xA0)
			o += sprintf(o, "\\u%04X", c[1]), c += 2;
		else if (cli_is_bidi_control(cli_utf8_code_point(c, len)))
			o += sprintf(o, "\\u%04X", cli_utf8_code_point(c, len)), c += len;
		else
		{
			memcpy(o, c, len);
			o += len;
			c += len;
		}
	}
	*o++ = '"';
	*o = '\0';
	return j;
}

/* Appends an element (JSON text) to a comma-separated list. */
static void
append(char **list, size_t *len, const char *element)
{
	size_t		add = strlen(element) + 1;
	char	   *grown = realloc(*list, *len + add + 1);

	if (grown == NULL)
		return;
	*list = grown;
	sprintf(*list + *len, "%s%s", *len ? "," : "", element);
	*len += *len ? add : add - 1;
}

/* A row object: the fields given, null for the others. */
static void
add_row(ImportReport *r, const char *kind, const char *name, const char *outcome, const char *reason,
		const char *sqlstate, const char *detail, const char *hint)
{
	const char *values[] = {kind, name, outcome, reason, sqlstate, detail, hint};
	const char *keys[] = {"kind", "name", "outcome", "reason", "sqlstate", "detail", "hint"};
	char	   *members = NULL;
	size_t		len = 0;
	char	   *row;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
	{
		char	   *v = import_json_string(values[i]);
		char	   *member;

		if (v != NULL && asprintf(&member, "\"%s\":%s", keys[i], v) >= 0)
		{
			append(&members, &len, member);
			free(member);
		}
		free(v);
	}
	if (members != NULL && asprintf(&row, "{%s}", members) >= 0)
	{
		append(&r->rows, &r->rows_len, row);
		free(row);
	}
	free(members);
}

/* The formatted reason (malloc'd), or NULL. */
static char *
formatted(const char *fmt, va_list ap)
{
	char	   *s;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

void
report_line(ImportReport *r, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	if (r->json)
		return;
	va_start(ap, fmt);
	s = formatted(fmt, ap);
	va_end(ap);
	if (s != NULL)
		import_printf(r->conn, r->out, "%s", s);
	free(s);
}

/* One row not imported as it was: a JSON row, or a line "kind name: label reason". */
static void
report_reason(ImportReport *r, const char *kind, const char *name, const char *outcome,
			  const char *label, const char *fmt, va_list ap)
{
	char	   *reason = formatted(fmt, ap);

	if (reason == NULL)
		return;
	if (r->json)
		add_row(r, kind, name, outcome, reason, NULL, NULL, NULL);
	else
		import_printf(r->conn, r->out, "%s %s: %s%s\n", kind, name ? name : "(no name)", label, reason);
	free(reason);
}

void
report_not_imported(ImportReport *r, const char *kind, const char *name, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report_reason(r, kind, name, "not_imported", "not imported: ", fmt, ap);
	va_end(ap);
}

void
report_adjusted(ImportReport *r, const char *kind, const char *name, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	report_reason(r, kind, name, "adjusted", "", fmt, ap);
	va_end(ap);
}

void
report_notes(ImportReport *r, const char *kind, const char *name, const char *lines)
{
	if (!r->json)
	{
		import_printf(r->conn, r->out, "%s", lines);
		return;
	}
	while (*lines)
	{
		const char *end = strchr(lines, '\n');
		size_t		len = end ? (size_t) (end - lines) : strlen(lines);
		char	   *reason = strndup(lines, len);

		if (reason != NULL)
			add_row(r, kind, name, "adjusted", reason + strspn(reason, " "), NULL, NULL, NULL);
		free(reason);
		lines += end ? len + 1 : len;
	}
}

void
report_refused(ImportReport *r, const char *kind, const char *name, const PGresult *res)
{
	const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (r->json)
	{
		add_row(r, kind, name, "refused", message ? message : PQerrorMessage(r->conn), sqlstate, detail, hint);
		return;
	}
	import_printf(r->conn, r->out, "%s %s: refused by the server\n", kind, name);
	if (message == NULL)
		import_printf(r->conn, r->out, "  error: %s", PQerrorMessage(r->conn));
	else
		import_printf(r->conn, r->out, "  error: %s (SQLSTATE %s)\n", message, sqlstate ? sqlstate : "?");
	if (detail)
		import_printf(r->conn, r->out, "  detail: %s\n", detail);
	if (hint)
		import_printf(r->conn, r->out, "  hint: %s\n", hint);
}

void
report_note(ImportReport *r, const char *fmt,...)
{
	va_list		ap;
	char	   *s;

	va_start(ap, fmt);
	s = formatted(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return;
	if (r->json)
	{
		char	   *j;

		s[strcspn(s, "\n")] = '\0';
		if ((j = import_json_string(s)) != NULL)
			append(&r->notes, &r->notes_len, j);
		free(j);
	}
	else
		import_printf(r->conn, r->out, "%s", s);
	free(s);
}

void
report_json(ImportReport *r, const char *counts)
{
	fprintf(r->out, "{%s,\"rows\":[%s],\"notes\":[%s]}\n", counts, r->rows ? r->rows : "", r->notes ? r->notes : "");
	report_free(r);
}

void
report_free(ImportReport *r)
{
	free(r->rows);
	free(r->notes);
	r->rows = r->notes = NULL;
	r->rows_len = r->notes_len = 0;
}
