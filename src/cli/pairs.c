/*
 * key=value arguments (--quota max_jobs=500, --param crf=22) as two
 * PostgreSQL text[] literals, sent as parameters and zipped by the server
 * with unnest($k::text[], $v::text[]): the tool never writes SQL from them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Appends s to *buf as one double-quoted array element. */
static bool
append_element(char **buf, const char *s, size_t n)
{
	size_t		old = *buf != NULL ? strlen(*buf) : 0;
	char	   *b = realloc(*buf, old + 2 * n + 5);
	char	   *p;

	if (b == NULL)
		return false;
	p = b + old;
	if (old == 0)
		*p++ = '{';
	else
		p[-1] = ',';			/* in place of the closing brace */
	*p++ = '"';
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] == '"' || s[i] == '\\')
			*p++ = '\\';
		*p++ = s[i];
	}
	*p++ = '"';
	*p++ = '}';
	*p = '\0';
	*buf = b;
	return true;
}

bool
cli_add_pair(cli_pairs *pairs, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return false;
	return append_element(&pairs->keys, arg, eq - arg)
		&& append_element(&pairs->values, eq + 1, strlen(eq + 1));
}

bool
cli_array_add(char **array, const char *s)
{
	return append_element(array, s, strlen(s));
}
