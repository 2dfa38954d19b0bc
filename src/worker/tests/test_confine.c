/*
 * test_confine.c: outputs stay under the tenant's root and inputs under the
 * worker's input roots, whatever paths and symbolic links try.
 */
#include "../confine.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[] = "/tmp/ffrtmp-confine.XXXXXX";

static void
path_of(char *out, size_t len, const char *relative)
{
	snprintf(out, len, "%s/%s", base, relative);
}

static void
make_dir(const char *relative)
{
	char		p[512];

	path_of(p, sizeof(p), relative);
	mkdir(p, 0755);
}

static void
make_file(const char *relative)
{
	char		p[512];
	FILE	   *f;

	path_of(p, sizeof(p), relative);
	f = fopen(p, "w");
	fputs("data", f);
	fclose(f);
}

static void
make_link(const char *target, const char *relative)
{
	char		p[512];

	path_of(p, sizeof(p), relative);
	if (symlink(target, p) != 0)
		perror("symlink");
}

static int
output_ok(const char *relative)
{
	char		root[512];
	char		out[1024];
	const char *why = NULL;

	path_of(root, sizeof(root), "out");
	return confine_output(root, relative, out, sizeof(out), &why) == 0;
}

int
main(void)
{
	char		root[512];
	char		out[1024];
	char		inputs[512];
	const char *why = NULL;
	const char *roots[1];

	if (mkdtemp(base) == NULL)
		return 2;
	make_dir("out");
	make_dir("out/movies");
	make_dir("elsewhere");
	make_dir("media");
	make_file("media/clip.mp4");
	make_file("elsewhere/secret");
	make_link("../elsewhere", "out/escape");				/* a planted link to outside */
	make_link("/etc/passwd", "out/movies/passwd.mp4");	/* a planted file link */
	make_link("../elsewhere/secret", "media/sneaky.mp4");
	make_dir("media/sub");
	make_file("out/movies/notadir");

	/* Outputs. */
	path_of(root, sizeof(root), "out");
	CHECK(confine_output(root, "movies/talk.mp4", out, sizeof(out), &why) == 0, "a plain relative output is accepted");
	{
		char		expected[1024];

		snprintf(expected, sizeof(expected), "%s/movies/talk.mp4", root);
		CHECK(strcmp(out, expected) == 0, "and joined under the root");
	}
	CHECK(output_ok("new/dirs/later.m3u8"), "directories that do not exist yet are fine");
	CHECK(!output_ok("../../etc/passwd"), "../../etc/passwd is refused");
	CHECK(!output_ok("movies/../../elsewhere/x"), "a .. in the middle is refused");
	CHECK(!output_ok("/etc/passwd"), "an absolute path is refused");
	CHECK(!output_ok("./movies/x.mp4"), "a . segment is refused");
	CHECK(!output_ok("movies//x.mp4"), "an empty segment is refused");
	CHECK(!output_ok("movies/x.mp4/"), "a trailing slash is refused");
	CHECK(!output_ok(""), "an empty path is refused");
	CHECK(!output_ok("movies/a b.mp4"), "a space is refused");
	CHECK(!output_ok("movies/x;rm -rf.mp4"), "shell characters are refused");
	CHECK(!output_ok("escape/x.mp4"), "a symbolic link to outside the root is refused");
	why = NULL;
	confine_output(root, "escape/x.mp4", out, sizeof(out), &why);
	CHECK(why != NULL && strstr(why, "symbolic link") != NULL, "and the reason says so");
	CHECK(!output_ok("movies/passwd.mp4"), "a planted link as the file itself is refused");
	CHECK(!output_ok("movies/notadir/x.mp4"), "a file used as a directory is refused");
	CHECK(confine_output(root, "movies", out, sizeof(out), &why) != 0 && strstr(why, "is a directory") != NULL,
		  "an existing directory as the output file is refused, saying so");
	CHECK(confine_output("relative/root", "x.mp4", out, sizeof(out), &why) != 0, "a relative root is refused");
	CHECK(confine_output(root, "x.mp4", out, 8, &why) != 0, "an output path longer than the buffer is refused");

	/* Inputs. */
	path_of(inputs, sizeof(inputs), "media");
	roots[0] = inputs;
	path_of(root, sizeof(root), "media/clip.mp4");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) == 0, "a file under an input root is accepted");
	path_of(root, sizeof(root), "media/sub/../clip.mp4");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) == 0 && strstr(out, "..") == NULL,
		  "a path that resolves under the root is accepted in its resolved form");
	path_of(root, sizeof(root), "media/../elsewhere/secret");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) != 0, "../ out of the input root is refused");
	path_of(root, sizeof(root), "media/sneaky.mp4");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) != 0, "a link from inside to outside the root is refused");
	CHECK(confine_input(roots, 1, "/etc/passwd", out, sizeof(out), &why) != 0, "/etc/passwd is refused");
	path_of(root, sizeof(root), "media");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) != 0, "a directory is not an input file");
	path_of(root, sizeof(root), "media/missing.mp4");
	CHECK(confine_input(roots, 1, root, out, sizeof(out), &why) != 0 && strstr(why, "does not exist") != NULL,
		  "a missing file is refused with a clear reason");
	{
		char		lookalike[512];
		const char *lookalike_roots[1];

		/* "/.../med" must not admit "/.../media/clip.mp4". */
		path_of(lookalike, sizeof(lookalike), "med");
		make_dir("med");
		lookalike_roots[0] = lookalike;
		path_of(root, sizeof(root), "media/clip.mp4");
		CHECK(confine_input(lookalike_roots, 1, root, out, sizeof(out), &why) != 0,
			  "a root that is only a prefix of the path's directory does not admit it");
	}
	CHECK(confine_input(roots, 1, "media/clip.mp4", out, sizeof(out), &why) != 0, "a relative input path is refused");

	/* Partial names. */
	CHECK(partial_name("/srv/out/acme/talk.mp4", out, sizeof(out)) == 0 &&
		  strcmp(out, "/srv/out/acme/.talk.mp4.partial") == 0, "a partial output sits beside the final one, hidden");
	CHECK(partial_name("/srv/out/acme/talk.mp4", out, 10) != 0, "a partial name too long for the buffer is refused");

	{
		char		cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", base);
	}
	return check_summary();
}
