/*
 * output_staging.c: writing an output where it cannot harm an earlier one,
 * and moving it into place only once it is complete (output_staging.h).
 */
#include "output_staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"

#define PATH_BYTES 4200

/*
 * A name of an attempt's own: should a stale attempt still run somewhere
 * sharing this storage, the two never write into one file or directory.
 */
int
output_staging_path(const char *final_path, int attempt, char *out, size_t outlen)
{
	size_t		len;

	if (partial_name(final_path, out, outlen) < 0)
		return -1;
	if (attempt < 0)
		return 0;
	len = strlen(out) - strlen(".partial");
	return snprintf(out + len, outlen - len, ".%d.partial", attempt) < (int) (outlen - len) ? 0 : -1;
}

/* Applies fn to each file in the staging directory; returns the first failure. */
static int
for_each_staged(const char *staging, int (*fn) (const char *, const char *, void *), void *arg)
{
	DIR		   *dir = opendir(staging);
	struct dirent *entry;
	int			rc = 0;

	if (dir == NULL)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (entry = readdir(dir)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			rc = fn(staging, entry->d_name, arg);
	closedir(dir);
	return rc;
}

static int
remove_staged(const char *staging, const char *name, void *arg)
{
	char		path[PATH_BYTES];

	(void) arg;
	if (snprintf(path, sizeof(path), "%s/%s", staging, name) >= (int) sizeof(path))
		return -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

void
output_discard(const char *staging, int hls)
{
	struct stat st;

	if (staging[0] == '\0')
		return;
	if (!hls)
		unlink(staging);
	/* Only a directory of its own: never empty the target of a link there. */
	else if (lstat(staging, &st) == 0 && S_ISDIR(st.st_mode) &&
			 for_each_staged(staging, remove_staged, NULL) == 0)
		rmdir(staging);
}

/*
 * Creates the partial file afresh, exclusively and not through a link: a
 * link left at its name would have the muxer write over the link's target,
 * and then the link itself be renamed into place.
 */
static int
create_partial(const char *staging)
{
	int			fd;

	if (unlink(staging) != 0 && errno != ENOENT)
		return -1;
	if ((fd = open(staging, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644)) < 0)
		return -1;
	return close(fd);
}

int
output_stage(const char *final_path, const char *staging, int hls, char *write_to, size_t len)
{
	const char *slash = strrchr(final_path, '/');

	if (!hls)
	{
		if (snprintf(write_to, len, "%s", staging) >= (int) len)
			return errno = ENAMETOOLONG, -1;
		return create_partial(staging);
	}
	output_discard(staging, hls);	/* a leftover of a run killed before it cleaned up */
	if (mkdir(staging, 0755) != 0)
		return -1;
	/* The files keep their final names inside the staging directory. */
	if (snprintf(write_to, len, "%s/%s", staging, slash ? slash + 1 : final_path) >= (int) len)
		return errno = ENAMETOOLONG, -1;
	return 0;
}

typedef struct Publishing
{
	const char *final_path;
	int			pass;			/* 0: segments, 1: variant playlists, 2: the master */
	int64_t		bytes;
} Publishing;

static int
publish_staged(const char *staging, const char *name, void *arg)
{
	Publishing *p = arg;
	const char *slash = strrchr(p->final_path, '/');
	const char *final_name = slash ? slash + 1 : p->final_path;
	int			dir_len = slash ? (int) (slash - p->final_path + 1) : 0;
	int			is_playlist = strlen(name) > 5 && strcmp(name + strlen(name) - 5, ".m3u8") == 0;
	int			pass = strcmp(name, final_name) == 0 ? 2 : is_playlist ? 1 : 0;
	char		from[PATH_BYTES];
	char		to[PATH_BYTES];
	struct stat st;

	if (pass != p->pass)
		return 0;
	if (snprintf(from, sizeof(from), "%s/%s", staging, name) >= (int) sizeof(from) ||
		snprintf(to, sizeof(to), "%.*s%s", dir_len, p->final_path, name) >= (int) sizeof(to))
		return errno = ENAMETOOLONG, -1;
	if (stat(from, &st) == 0)
		p->bytes += st.st_size;
	return rename(from, to);
}

int
output_publish(const char *final_path, const char *staging, int hls, int64_t *bytes)
{
	Publishing	p = {final_path, 0, 0};
	struct stat st;

	*bytes = 0;
	if (!hls)
	{
		if (rename(staging, final_path) != 0 || stat(final_path, &st) != 0)
			return -1;
		*bytes = st.st_size;
		return 0;
	}
	for (p.pass = 0; p.pass < 3; p.pass++)
		if (for_each_staged(staging, publish_staged, &p) != 0)
			return -1;
	*bytes = p.bytes;
	return rmdir(staging);
}

size_t
output_make_parents(const char *path, size_t from)
{
	char		copy[PATH_BYTES];
	size_t		top = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int) sizeof(copy) || from >= strlen(copy))
		return 0;
	for (char *slash = strchr(copy + from + 1, '/'); slash; slash = strchr(slash + 1, '/'))
	{
		*slash = '\0';
		/* What is there afterwards is checked by the caller's open. */
		if (mkdir(copy, 0755) == 0 && top == 0)
			top = strlen(copy);
		*slash = '/';
	}
	return top;
}

void
output_unmake_parents(const char *path, size_t top)
{
	char		copy[PATH_BYTES];
	char	   *slash;

	if (top == 0 || snprintf(copy, sizeof(copy), "%s", path) >= (int) sizeof(copy))
		return;
	/* Deepest first; a directory something else has written into stays. */
	while ((slash = strrchr(copy, '/')) != NULL && (size_t) (slash - copy) >= top)
	{
		*slash = '\0';
		if (rmdir(copy) != 0)
			return;
	}
}
