/*
 * sandbox.h: confining a job's process to the files it needs, with Linux's
 * Landlock, before it opens any media.
 *
 * Path checks (confine.h) decide what a job may ask for; the sandbox makes
 * the kernel refuse everything else, so that a demuxer tricked by a hostile
 * input, or a bug in a decoder, still cannot read another tenant's outputs or
 * write outside the job's own output directory.
 */
#ifndef FFRTMP_WORKER_SANDBOX_H
#define FFRTMP_WORKER_SANDBOX_H

#include <stddef.h>

/*
 * From now on, this process (and any it starts) may read libraries (/usr,
 * /lib), the few files of /etc that name resolution and TLS need, its own
 * /proc entry and CPU information, and use the null, random and GPU devices;
 * read under each of the nread read_roots; and read and write under
 * write_dir (NULL: nowhere).  Nothing else: not the rest of /etc (where the
 * worker's configuration lives), not other processes, not /dev/shm.
 * Returns 1 when applied, 0 when the kernel has no Landlock (nothing is
 * restricted), -1 with a message in err.  The caller sets no_new_privs
 * first (job_confine.c), as the kernel requires without CAP_SYS_ADMIN.
 */
extern int	sandbox_confine(const char *const *read_roots, int nread, const char *write_dir,
							char *err, size_t errlen);

#endif
