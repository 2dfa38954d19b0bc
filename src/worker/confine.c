/*
 * confine.c: path confinement for job inputs and outputs (see confine.h).
 */
#include "confine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/names.h"

static int
fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

int
confine_output(const char *root, const char *relative, char *out, size_t outlen, const char **why)
{
	size_t		len = strlen(relative);
	size_t		root_len = strlen(root);
	struct stat st;

	if (root[0] != '/')
		return fail(why, "the output root is not an absolute path");
	/* The grammar submit_job checked; a worker may serve an older database. */
	if ((*why = names_output_path_error(relative)) != NULL)
		return -1;
	if (root_len + 1 + len + 1 > outlen)
		return fail(why, "the output path is too long");
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail(why, "the output root is not a directory");

	snprintf(out, outlen, "%s%s%s", root, root[root_len - 1] == '/' ? "" : "/", relative);

	/* Every existing component below the root: directories, never links. */
	for (char *slash = out + root_len + 1; ; slash++)
	{
		char		saved;

		slash = strchr(slash, '/');
		if (slash != NULL)
		{
			saved = *slash;
			*slash = '\0';
		}
		if (lstat(out, &st) == 0)
		{
			if (S_ISLNK(st.st_mode))
			{
				if (slash)
					*slash = saved;
				return fail(why, "the output path goes through a symbolic link");
			}
			if (slash != NULL && !S_ISDIR(st.st_mode))
			{
				*slash = saved;
				return fail(why, "a component of the output path is not a directory");
			}
			/* Refused now, not after the whole transcode when the rename onto it fails. */
			if (slash == NULL && S_ISDIR(st.st_mode))
				return fail(why, "the output path is a directory: name a file in it");
		}
		else if (errno != ENOENT)
		{
			if (slash)
				*slash = saved;
			return fail(why, "the output path cannot be checked");
		}
		if (slash == NULL)
			break;
		*slash = saved;
	}
	return 0;
}

int
confine_input(const char *const *roots, int nroots, const char *path, char *out, size_t outlen,
			  const char **why)
{
	char		resolved[PATH_MAX];
	struct stat st;

	if (path[0] != '/')
		return fail(why, "an input file must be given by its absolute path");
	if (realpath(path, resolved) == NULL)
		return fail(why, errno == ENOENT ? "the input file does not exist" : "the input file cannot be resolved");
	if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode))
		return fail(why, "the input is not a regular file");

	for (int i = 0; i < nroots; i++)
	{
		char		root[PATH_MAX];
		size_t		root_len;

		if (realpath(roots[i], root) == NULL)
			continue;
		root_len = strlen(root);
		/* Under the root, on a component boundary: /media/in, not /media/input. */
		if (strncmp(resolved, root, root_len) == 0 &&
			(resolved[root_len] == '/' || (root_len == 1 && root[0] == '/')))
		{
			if (strlen(resolved) + 1 > outlen)
				return fail(why, "the input path is too long");
			strcpy(out, resolved);
			return 0;
		}
	}
	return fail(why, "the input file is outside the input directories this worker serves");
}

int
partial_name(const char *final_path, char *out, size_t outlen)
{
	const char *slash = strrchr(final_path, '/');
	size_t		dir_len = slash ? (size_t) (slash - final_path + 1) : 0;
	int			n;

	n = snprintf(out, outlen, "%.*s.%s.partial", (int) dir_len, final_path,
				 slash ? slash + 1 : final_path);
	return (n < 0 || (size_t) n >= outlen) ? -1 : 0;
}
