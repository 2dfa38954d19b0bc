/*
 * confine.h: keeping a job's files inside the directories it may use.
 *
 * Outputs are paths relative to the tenant's output root: no absolute paths,
 * no "." or ".." segments, a plain character set, and no symbolic link on the
 * way (an attacker who can plant a link in the tree must not redirect a
 * write outside it).  Inputs given as file:// URLs must resolve, links
 * followed, to a file under one of the configured input roots.
 */
#ifndef FFRTMP_WORKER_CONFINE_H
#define FFRTMP_WORKER_CONFINE_H

#include <stddef.h>

/*
 * Joins root and relative into out (of outlen bytes) when relative is an
 * acceptable output path and no existing component under root is a symbolic
 * link or (but for the last) anything other than a directory.  Returns 0, or
 * -1 with *why set to a reason fit for a job's error message.
 */
extern int	confine_output(const char *root, const char *relative, char *out, size_t outlen,
						   const char **why);

/*
 * Resolves path (absolute, links followed) into out and checks that it names
 * a regular file under one of the nroots roots.  Returns 0, or -1 with *why.
 */
extern int	confine_input(const char *const *roots, int nroots, const char *path, char *out,
						  size_t outlen, const char **why);

/*
 * The name an output is written under until it is complete, in the same
 * directory so that the final rename is atomic: "dir/.name.partial".
 */
extern int	partial_name(const char *final_path, char *out, size_t outlen);

#endif
