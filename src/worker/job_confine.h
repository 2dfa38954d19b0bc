/*
 * job_confine.h: the confinement of a job's process, behind one entry point.
 *
 * A job's child process runs a demuxer and decoders on input a tenant
 * chose, so it is treated as hostile from its first instruction after the
 * fork.  job_confine_process() takes away, in this order, everything the
 * daemon had that a transcode does not need:
 *
 *   1. descriptors   all but 0-2 and the report pipe (moved to
 *                    JOB_CONFINE_REPORT_FD) are closed
 *   2. environment   cleared, then only the variables given
 *   3. core dumps    RLIMIT_CORE 0, and not dumpable (no core file, no
 *                    ptrace or /proc/PID/mem by the same user)
 *   4. limits        RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE
 *   5. no_new_privs  nothing it executes gains privileges
 *   6. files         Landlock (sandbox.h)
 *   7. network       the connect() policy (net_guard.h), then the seccomp
 *                    socket filter (socket_filter.h)
 *
 * Why this order: Landlock and seccomp govern what is opened and created
 * from then on, never a descriptor already held, so the daemon's database
 * socket and other jobs' pipes are closed first.  The environment goes
 * before anything reads it (the resolver reads RES_OPTIONS, HOSTALIASES).
 * Core dumps are off before the limits, whose signals (SIGXCPU, SIGXFSZ)
 * dump core by default.  no_new_privs is the kernel's condition for both
 * Landlock and seccomp without CAP_SYS_ADMIN.  The network policy reads
 * the machine's own addresses through a netlink socket, which the seccomp
 * filter then refuses, so the filter comes last.
 *
 * docs/job-confinement.md says what a job can and cannot do once confined,
 * and what each step needs from the kernel.
 */
#ifndef FFRTMP_WORKER_JOB_CONFINE_H
#define FFRTMP_WORKER_JOB_CONFINE_H

#include <stddef.h>
#include <stdint.h>

/* Where the report pipe is once confined: the one descriptor above 0-2. */
#define JOB_CONFINE_REPORT_FD 3

typedef struct JobConfinement
{
	int			report_fd;		/* kept, as JOB_CONFINE_REPORT_FD */
	const char *const *environment; /* "NAME=value", NULL-terminated: all the job sees */
	int64_t		memory_bytes;	/* RLIMIT_AS; 0: as inherited */
	int			cpu_seconds;	/* RLIMIT_CPU, SIGXCPU then SIGKILL 5 s later; 0: as inherited */
	int64_t		output_bytes;	/* RLIMIT_FSIZE; 0: as inherited */
	const char *const *read_roots;	/* readable, beside the system's files */
	int			nread_roots;
	const char *write_dir;		/* readable and writable; NULL: nowhere */
	const char *const *allow_network;	/* what the network policy opens */
	int			nallow_network;
} JobConfinement;

/*
 * Confines the calling process (a job's child, single-threaded) as c says.
 * Returns 1 when every step applied, 0 when all did but the kernel has no
 * Landlock (files are then guarded by the path checks alone), -1 with a
 * message in err when a step failed: the process must then exit without
 * running the job.  Nothing of it can be undone.
 */
extern int	job_confine_process(const JobConfinement *c, char *err, size_t errlen);

/*
 * Step 7 alone, for ffrtmp-transcode, which runs as its user's own command
 * (its descriptors, environment and files are the user's) but connects
 * under the jobs' network policy.  Returns 0, or -1 with a message in err.
 */
extern int	job_confine_network(const char *const *allow, int nallow, char *err, size_t errlen);

#endif
