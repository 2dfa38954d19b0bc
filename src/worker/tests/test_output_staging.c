/*
 * test_output_staging.c: outputs appear at their final path only once
 * published, and a discarded attempt leaves an earlier output untouched.
 */
#include "../output_staging.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[] = "/tmp/ffrtmp-staging.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static int
file_says(const char *path, const char *text)
{
	char		line[64] = "";
	FILE	   *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return strcmp(line, text) == 0;
}

static void
test_staging_path(void)
{
	char		out[256];

	output_staging_path("dir/a.mp4", -1, out, sizeof(out));
	CHECK(strcmp(out, "dir/.a.mp4.partial") == 0, "a file's partial name");
	output_staging_path("dir/index.m3u8", 3, out, sizeof(out));
	CHECK(strcmp(out, "dir/.index.m3u8.3.partial") == 0, "an attempt's staging directory");
}

static void
test_file(void)
{
	char		final_path[256];
	char		staging[256];
	char		write_to[256];
	int64_t		bytes;

	snprintf(final_path, sizeof(final_path), "%s/a.mp4", base);
	write_file(final_path, "earlier");
	output_staging_path(final_path, -1, staging, sizeof(staging));
	CHECK(output_stage(final_path, staging, 0, write_to, sizeof(write_to)) == 0 &&
		  strcmp(write_to, staging) == 0, "a file is written under its partial name");
	write_file(write_to, "failed");
	output_discard(staging, 0);
	CHECK(file_says(final_path, "earlier") && access(staging, F_OK) != 0,
		  "a discarded file leaves the earlier output, and no partial");
	write_file(write_to, "new");
	CHECK(output_publish(final_path, staging, 0, &bytes) == 0 && bytes == 3 && file_says(final_path, "new"),
		  "a published file replaces the earlier output");
}

static void
test_hls(void)
{
	char		final_path[256];
	char		staging[256];
	char		write_to[256];
	char		path[300];
	int64_t		bytes;

	snprintf(final_path, sizeof(final_path), "%s/hls/index.m3u8", base);
	output_make_parents(final_path, strlen(base));
	snprintf(path, sizeof(path), "%s/hls", base);
	CHECK(access(path, F_OK) == 0, "the directories above an output are made");
	write_file(final_path, "earlier");
	output_staging_path(final_path, -1, staging, sizeof(staging));
	CHECK(output_stage(final_path, staging, 1, write_to, sizeof(write_to)) == 0, "an HLS output is staged");
	snprintf(path, sizeof(path), "%s/index_00000.ts", staging);
	write_file(path, "segment");
	write_file(write_to, "failed");
	output_discard(staging, 1);
	snprintf(path, sizeof(path), "%s/hls/index_00000.ts", base);
	CHECK(file_says(final_path, "earlier") && access(staging, F_OK) != 0 && access(path, F_OK) != 0,
		  "a discarded HLS output leaves the earlier playlist, and no segment or staging directory");
	output_stage(final_path, staging, 1, write_to, sizeof(write_to));
	snprintf(path, sizeof(path), "%s/index_00000.ts", staging);
	write_file(path, "segment");
	write_file(write_to, "new");
	snprintf(path, sizeof(path), "%s/hls/index_00000.ts", base);
	CHECK(output_publish(final_path, staging, 1, &bytes) == 0 && bytes == 10 &&
		  file_says(final_path, "new") && file_says(path, "segment") && access(staging, F_OK) != 0,
		  "a published HLS output moves its segments and playlist into place");
}

int
main(void)
{
	char		command[64];

	if (mkdtemp(base) == NULL)
		return 1;
	test_staging_path();
	test_file();
	test_hls();
	snprintf(command, sizeof(command), "rm -rf %s", base);
	if (system(command) != 0)
		return 1;
	return check_summary();
}
