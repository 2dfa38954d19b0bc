/*
 * test_names.c: the one grammar of input file URLs and output paths
 * (src/common/names.h), as submit_job and the worker both apply it.
 */
#include "../../common/names.h"
#include "check.h"

#include <limits.h>
#include <string.h>

static char path[NAMES_PATH_MAX];

/* The decoded path, or "" when the URL is refused. */
static const char *
decoded(const char *url)
{
	if (names_file_url_path(url, path, sizeof(path)) != NULL)
		return "";
	return path;
}

static int
refused(const char *url)
{
	return names_file_url_path(url, path, sizeof(path)) != NULL;
}

static void
test_file_urls(void)
{
	char		url[2 * NAMES_PATH_MAX];

	CHECK(strcmp(decoded("file:///media/in/clip.mp4"), "/media/in/clip.mp4") == 0, "a plain path decodes to itself");
	CHECK(strcmp(decoded("file://localhost/media/in/a.mp4"), "/media/in/a.mp4") == 0, "host localhost is this machine");
	CHECK(strcmp(decoded("file://LocalHost/media/a.mp4"), "/media/a.mp4") == 0, "the host is case-insensitive");
	CHECK(strcmp(decoded("file:///media/in/my%20clip.mp4"), "/media/in/my clip.mp4") == 0, "%20 is a space");
	CHECK(strcmp(decoded("file:///m/a%23b%3Fc%25d.mp4"), "/m/a#b?c%d.mp4") == 0, "'#', '?' and '%' percent-encoded");
	CHECK(strcmp(decoded("file:///m/caf%C3%A9.mp4"), "/m/caf\xc3\xa9.mp4") == 0, "UTF-8 percent-encoded");
	CHECK(strcmp(decoded("file:///m/caf\xc3\xa9.mp4"), "/m/caf\xc3\xa9.mp4") == 0, "UTF-8 written raw (RFC 3987)");
	CHECK(strcmp(decoded("file:///m/%e2%82%ac.mp4"), "/m/\xe2\x82\xac.mp4") == 0, "lower-case hex digits");

	CHECK(refused("file://media/a.mp4"), "a host other than localhost is refused");
	CHECK(refused("file://example.com/a.mp4"), "a remote host is refused");
	CHECK(refused("file:/media/a.mp4"), "file: without // is refused");
	CHECK(refused("file://"), "no path is refused");
	CHECK(refused("file:///m/a%2Fb.mp4") && refused("file:///m/a%2fb.mp4"), "an encoded '/' is refused");
	CHECK(refused("file:///m/a%00.mp4"), "%00 is refused");
	CHECK(refused("file:///m/a%0A.mp4") && refused("file:///m/a%7F.mp4"), "encoded control characters are refused");
	CHECK(refused("file:///m/a%2.mp4") && refused("file:///m/a%zz.mp4") && refused("file:///m/a%"), "a bad escape is refused");
	CHECK(refused("file:///m/a.mp4?x=1") && refused("file:///m/a.mp4#t=3"), "a raw query or fragment is refused");
	CHECK(refused("file:///m/a b.mp4"), "a raw space is refused");
	CHECK(refused("file:///media/../etc/passwd") && refused("file:///media/./a.mp4"), "'.' and '..' are refused");
	CHECK(refused("file:///media/%2E%2E/etc/passwd") && refused("file:///media/%2e/a"), "encoded '.' and '..' are refused");
	CHECK(refused("file:///media//a.mp4") && refused("file:///media/"), "empty segments are refused");

	memset(url, 0, sizeof(url));
	strcpy(url, "file:///m/");
	memset(url + strlen(url), 'a', NAMES_NAME_MAX);
	CHECK(!refused(url), "a name of NAME_MAX bytes is accepted");
	strcat(url, "a");
	CHECK(refused(url), "a name of NAME_MAX + 1 bytes is refused");
	strcpy(url, "file://");
	for (int i = 0; i < 20; i++)
		strcat(url, "/%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61");
	CHECK(strlen(decoded(url)) == 20 * 49, "the length is counted after decoding");
	strcpy(url, "file://");
	for (int i = 0; i < 20; i++)
	{
		strcat(url, "/");
		memset(url + strlen(url), 'b', 250);
		url[strlen(url) + 250] = '\0';
	}
	CHECK(refused(url), "a path over PATH_MAX is refused");
}

static int
output_ok(const char *p)
{
	return names_output_path_error(p) == NULL;
}

static void
test_output_paths(void)
{
	char		name[600];

	CHECK(output_ok("out/clip-480.mp4") && output_ok("a_b/c.d.e.mkv") && output_ok("abr/master.m3u8"), "plain paths are accepted");
	CHECK(!output_ok("") && !output_ok("/etc/passwd"), "empty and absolute paths are refused");
	CHECK(!output_ok("../x.mp4") && !output_ok("a/./b.mp4") && !output_ok("a//b.mp4") && !output_ok("a/"),
		  "'.', '..' and empty segments are refused");
	CHECK(!output_ok("out/clip;rm.mp4") && !output_ok("a b.mp4") && !output_ok("caf\xc3\xa9.mp4"), "other characters are refused");
	CHECK(!output_ok(".x.mp4") && !output_ok("ok/.x.mp4.1.partial") && !output_ok(".hidden/x.mp4"),
		  "a name starting with '.' (a staging name) is refused");
	CHECK(output_ok("a.b/x..mp4") && output_ok("x."), "a '.' elsewhere is fine");

	memset(name, 0, sizeof(name));
	memset(name, 'n', NAMES_OUTPUT_NAME_MAX);
	CHECK(output_ok(name), "a file name of 208 bytes is accepted");
	/* The longest staging and segment names derived from it still fit. */
	CHECK(1 + NAMES_OUTPUT_NAME_MAX + 1 + 10 + strlen(".partial") <= NAME_MAX, "its staging name fits in NAME_MAX");
	CHECK(NAMES_OUTPUT_NAME_MAX + 1 + 32 + 1 + 10 + strlen(".ts") <= NAME_MAX, "its longest HLS segment name fits in NAME_MAX");
	name[NAMES_OUTPUT_NAME_MAX] = 'n';
	CHECK(!output_ok(name), "a file name of 209 bytes is refused");
	memset(name, 'n', 246);
	CHECK(!output_ok(name), "a file name of 246 bytes (staging name over NAME_MAX) is refused");
	memset(name, 'd', 255);
	strcpy(name + 255, "/x.mp4");
	CHECK(output_ok(name), "a directory name of NAME_MAX bytes is accepted");
	memset(name, 'd', 256);
	strcpy(name + 256, "/x.mp4");
	CHECK(!output_ok(name), "a directory name over NAME_MAX is refused");

	CHECK(NAMES_OUTPUT_ROOT_MAX + 1 + 36 + 1 + NAMES_OUTPUT_PATH_MAX + 21 + NAME_MAX < PATH_MAX,
		  "the longest path the worker builds under the longest output root fits in PATH_MAX");
	{
		char		longpath[NAMES_OUTPUT_PATH_MAX + 8];

		memset(longpath, 0, sizeof(longpath));
		for (int i = 0; i < 5; i++)
		{
			memset(longpath + strlen(longpath), 'p', 200);
			strcat(longpath, "/");
		}
		strcat(longpath, "abcdefghijklmnopqrstuv");
		CHECK(strlen(longpath) == NAMES_OUTPUT_PATH_MAX + 3 && !output_ok(longpath), "a path over 1024 bytes is refused");
	}
}

/* An HLS output not naming its playlist is a directory: the path grows by "/index.m3u8". */
static void
test_hls_outputs(void)
{
	char		path[NAMES_OUTPUT_PATH_MAX + 1];

	memset(path, 'p', NAMES_OUTPUT_PATH_MAX);
	path[NAMES_OUTPUT_PATH_MAX] = '\0';
	for (int i = 200; i < NAMES_OUTPUT_PATH_MAX; i += 201)
		path[i] = '/';
	path[NAMES_OUTPUT_PATH_MAX - strlen("/index.m3u8")] = '\0';
	CHECK(names_output_path_error(path) == NULL && names_hls_output_error(path) == NULL,
		  "an HLS output directory 11 bytes under the limit leaves room for /index.m3u8");
	strcat(path, "p");
	CHECK(names_output_path_error(path) == NULL && names_hls_output_error(path) != NULL,
		  "one byte more, and the playlist path would pass 1024 bytes");
	strcpy(path + strlen(path) - 5, ".m3u8");
	CHECK(names_hls_output_error(path) == NULL, "a path naming the playlist itself is taken as it is");
}

/* The playlist path the worker writes, whose length the check above is about. */
static void
test_hls_playlist(void)
{
	char		out[256];
	char		path[NAMES_OUTPUT_PATH_MAX + 2];

	CHECK(names_hls_playlist("out/index.m3u8", out, sizeof(out)) == 14 && strcmp(out, "out/index.m3u8") == 0,
		  "a path ending in .m3u8 is the playlist");
	names_hls_playlist("out/hd/mydir", out, sizeof(out));
	CHECK(strcmp(out, "out/hd/mydir/index.m3u8") == 0, "another path is a directory for index.m3u8");
	names_hls_playlist("out/hd3//", out, sizeof(out));
	CHECK(strcmp(out, "out/hd3/index.m3u8") == 0, "trailing slashes are dropped");
	CHECK(names_hls_playlist("out", out, 8) >= 8 && names_hls_playlist("out", NULL, 0) == 14,
		  "a path that does not fit says so, and how long it is");
	/* The refusal at submit and the path the worker builds agree at every length near the limit. */
	for (size_t len = NAMES_OUTPUT_PATH_MAX - 14; len <= NAMES_OUTPUT_PATH_MAX; len++)
	{
		memset(path, 'a', len);
		path[len] = '\0';
		if ((names_hls_output_error(path) != NULL) != (names_hls_playlist(path, NULL, 0) > NAMES_OUTPUT_PATH_MAX))
		{
			CHECK(0, "names_hls_output_error refuses exactly the paths whose playlist is too long");
			return;
		}
	}
	CHECK(1, "names_hls_output_error refuses exactly the paths whose playlist is too long");
}

int
main(void)
{
	test_file_urls();
	test_output_paths();
	test_hls_playlist();
	test_hls_outputs();
	return check_summary();
}
