/*
 * names.c: the grammar of input file URLs and output paths (names.h).
 */
#include "names.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Checks each '/'-separated name of path (starting after a leading '/'):
 * not empty, not "." or "..", at most NAME_MAX bytes.  NULL when all pass.
 */
static const char *
segments_error(const char *path, const char *what)
{
	const char *segment = path;

	for (;;)
	{
		size_t		len = strcspn(segment, "/");

		if (len == 0 || (len == 1 && segment[0] == '.') ||
			(len == 2 && segment[0] == '.' && segment[1] == '.'))
			return what[0] == 'i' ? "the input path may not have empty, '.' or '..' segments"
				: "the output path may not have empty, '.' or '..' segments";
		if (len > NAMES_NAME_MAX)
			return what[0] == 'i' ? "a name in the input path is longer than 255 bytes"
				: "a name in the output path is longer than 255 bytes";
		if (segment[len] == '\0')
			return NULL;
		segment += len + 1;
	}
}

const char *
names_output_path_error(const char *path)
{
	size_t		len = strlen(path);
	const char *last = strrchr(path, '/');
	const char *error;

	if (len == 0 || path[0] == '/')
		return "the output path must be relative to the tenant's output directory";
	if (len > NAMES_OUTPUT_PATH_MAX)
		return "the output path is longer than 1024 bytes";
	if (strspn(path, NAMES_OUTPUT_CHARS) != len)
		return "the output path may hold only letters, digits, '.', '_', '-' and '/'";
	if ((error = segments_error(path, "output")) != NULL)
		return error;
	/* Staging names start with '.': an output must never be one. */
	if (path[0] == '.' || strstr(path, "/.") != NULL)
		return "a name in the output path may not start with '.'";
	if (strlen(last ? last + 1 : path) > NAMES_OUTPUT_NAME_MAX)
		return "the output file name is longer than 208 bytes";
	return NULL;
}

static bool
is_hls_playlist(const char *path)
{
	size_t		len = strlen(path);
	size_t		ext = strlen(NAMES_HLS_EXTENSION);

	return len >= ext && strcmp(path + len - ext, NAMES_HLS_EXTENSION) == 0;
}

const char *
names_hls_output_error(const char *path)
{
	/* A playlist's own length is checked as any output path's. */
	if (!is_hls_playlist(path) && names_hls_playlist(path, NULL, 0) > NAMES_OUTPUT_PATH_MAX)
		return "the output path is a directory for an HLS output's index.m3u8, and with it longer than 1024 bytes";
	return NULL;
}

size_t
names_hls_playlist(const char *output, char *out, size_t outlen)
{
	size_t		len = strlen(output);

	if (is_hls_playlist(output))
		return (size_t) snprintf(out, outlen, "%s", output);
	while (len > 1 && output[len - 1] == '/')
		len--;
	return (size_t) snprintf(out, outlen, "%.*s/%s", (int) len, output, NAMES_HLS_INDEX);
}

const char *
names_file_url_path(const char *url, char *out, size_t outlen)
{
	const char *p;
	size_t		n = 0;

	if (strncmp(url, "file://", 7) != 0)
		return "a file URL starts with file://";
	p = url + 7;
	/* RFC 8089: the host is empty or "localhost", both this machine. */
	if (strncasecmp(p, "localhost", 9) == 0 && p[9] == '/')
		p += 9;
	if (p[0] != '/')
		return "a file URL names an absolute path on this machine: file:///path or file://localhost/path";
	for (; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '?' || c == '#')
			return "a file URL has no query or fragment: write '?' as %3F and '#' as %23";
		if (c == '%')
		{
			int			hi = hex_value(p[1]);
			int			lo = hi < 0 ? -1 : hex_value(p[2]);

			if (lo < 0)
				return "a '%' in a file URL starts an escape %XX: write '%' itself as %25";
			c = (unsigned char) (hi * 16 + lo);
			if (c == 0 || c == '/')
				return "a file URL may not encode NUL (%00) or '/' (%2F)";
			p += 2;
		}
		if (c < 0x20 || c == 0x7f || (c == ' ' && *p == ' '))
			return "a file URL may not hold control characters or raw spaces (write a space as %20)";
		if (n + 1 >= outlen || n + 1 >= NAMES_PATH_MAX)
			return "the input path is longer than 4095 bytes";
		out[n++] = (char) c;
	}
	out[n] = '\0';
	return segments_error(out + 1, "input");
}
