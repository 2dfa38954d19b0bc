/*
 * import_report.h: the report of `ffrtmp import sqlite` (import_report.c),
 * as lines for people or, with --output=json, as one JSON document whose
 * fields docs/cli.md lists.
 */
#ifndef FFRTMP_CLI_IMPORT_REPORT_H
#define FFRTMP_CLI_IMPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

typedef struct ImportReport
{
	PGconn	   *conn;
	FILE	   *out;
	bool		json;			/* collect rows and notes for one document */
	char	   *rows;			/* JSON: the "rows" array's elements, comma-separated */
	size_t		rows_len;
	char	   *notes;			/* JSON: the "notes" array's elements */
	size_t		notes_len;
} ImportReport;

/* A line for people only (what was created, updated, unchanged). */
void		report_line(ImportReport *r, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* A row of the store not imported: "KIND NAME: not imported: REASON". */
void		report_not_imported(ImportReport *r, const char *kind, const char *name, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* A row imported with a value not kept as it was: "KIND NAME: REASON". */
void		report_adjusted(ImportReport *r, const char *kind, const char *name, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/* The same for a tenant's notes: lines of two spaces and a reason each, under its line. */
void		report_notes(ImportReport *r, const char *kind, const char *name, const char *lines);

/* A row the server refused: its message, SQLSTATE, DETAIL and HINT (res NULL: the connection's error). */
void		report_refused(ImportReport *r, const char *kind, const char *name, const PGresult *res);

/* A line about the store as a whole ("jobs: ...", "nodes: ..."). */
void		report_note(ImportReport *r, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* Writes the JSON document: the counts (already a JSON object's members) and the rows and notes; frees them. */
void		report_json(ImportReport *r, const char *counts);

/* Frees what the report collected. */
void		report_free(ImportReport *r);

/*
 * fprintf that shows every character of the formatted text through the
 * CLI's one escaping function (cli_put_text): the values come from the
 * store or the server, and a control character in them must not reach the
 * terminal raw.  The formats themselves are plain text and newlines.
 */
void		import_printf(PGconn *conn, FILE *out, const char *fmt,...) __attribute__((format(printf, 3, 4)));

/* "ffrtmp: error: " and the formatted text, escaped as import_printf does, on stderr. */
void		import_error(PGconn *conn, const char *fmt,...) __attribute__((format(printf, 2, 3)));

/* s as a JSON string (malloc'd; NULL: null), safe for a terminal: see json_string. */
char	   *import_json_string(const char *s);

#endif
