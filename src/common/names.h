/*
 * names.h: the names a job reads and writes, one grammar for the extension
 * (submit_job's checks) and the worker (what it opens and creates).  No
 * PostgreSQL headers: both sides compile it.
 *
 * Inputs: a file:// URL (RFC 8089) is "file://" with an empty host or
 * "localhost", then an absolute path, percent-decoded (RFC 3986 section
 * 2.1).  Spaces, '#', '?', '%' and other reserved bytes are written as %XX;
 * UTF-8 may be written raw or encoded.  Refused: a raw '?' or '#' (a query or
 * fragment means nothing to a file), a bad escape, %00 and %2F (an encoded
 * '/' would make one name two), control characters, and after decoding an
 * empty, "." or ".." segment, a name over NAME_MAX or a path over PATH_MAX.
 *
 * Outputs: a path relative to the tenant's output directory, at most
 * NAMES_OUTPUT_PATH_MAX bytes of letters, digits, '.', '_', '-' and '/', in
 * names that do not start with '.' (the worker's staging names do, so an
 * output can never be another job's partial file), each at most NAME_MAX
 * bytes and the last at most NAMES_OUTPUT_NAME_MAX: the worker derives
 * longer names from it and each must still fit in NAME_MAX.
 */
#ifndef FFRTMP_COMMON_NAMES_H
#define FFRTMP_COMMON_NAMES_H

#include <stddef.h>

/* The Linux limits (limits.h), fixed here so both sides agree. */
#define NAMES_NAME_MAX 255
#define NAMES_PATH_MAX 4096

/*
 * The most bytes the worker adds to an output's last name: an HLS segment
 * "stem_<rendition>_<number>.ts" with a rendition name of up to 32 bytes and
 * a segment number of up to 10 digits adds 47 (counted against the whole
 * name, ".m3u8" included); a staging name ".NAME.<attempt>.partial" or
 * ".NAME.<pid>.partial" (numbers up to 10 digits) adds 20.
 */
#define NAMES_DERIVED_SUFFIX_MAX 47
#define NAMES_OUTPUT_NAME_MAX (NAMES_NAME_MAX - NAMES_DERIVED_SUFFIX_MAX)	/* 208 */
#define NAMES_OUTPUT_PATH_MAX 1024

/*
 * The longest output root a worker may be given, so that every path it
 * builds fits in PATH_MAX: root "/" tenant-uuid "/" output path, plus, for
 * HLS, a staging directory ".NAME.<attempt>.partial/" (21 bytes over the
 * name) holding the longest segment name (NAME_MAX), with the final NUL.
 */
#define NAMES_OUTPUT_ROOT_MAX (NAMES_PATH_MAX - 1 - 38 - NAMES_OUTPUT_PATH_MAX - 21 - NAMES_NAME_MAX)

/* The characters an output path may hold. */
#define NAMES_OUTPUT_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/"

/*
 * NULL when path is an acceptable output path, otherwise why not, in words
 * fit for an error message ("the output path ...").
 */
extern const char *names_output_path_error(const char *path);

/*
 * An HLS output path not ending in NAMES_HLS_EXTENSION names a directory,
 * and the playlist is NAMES_HLS_INDEX in it: the path the worker checks
 * and writes is then longer than the one given.  NULL when that path still
 * fits NAMES_OUTPUT_PATH_MAX, otherwise why not.
 */
#define NAMES_HLS_EXTENSION ".m3u8"
#define NAMES_HLS_INDEX "index.m3u8"
extern const char *names_hls_output_error(const char *path);

/*
 * The playlist path of an HLS output: output itself when it ends in
 * NAMES_HLS_EXTENSION, else NAMES_HLS_INDEX in the directory it names
 * (trailing slashes dropped).  Writes it into out as snprintf() does and
 * returns its length: it fits only when that is less than outlen (out may be
 * NULL when outlen is 0).
 */
extern size_t names_hls_playlist(const char *output, char *out, size_t outlen);

/*
 * Decodes a file:// URL into the absolute path it names (out, outlen bytes,
 * NAMES_PATH_MAX is enough).  Returns NULL, or why the URL is refused.
 */
extern const char *names_file_url_path(const char *url, char *out, size_t outlen);

#endif
