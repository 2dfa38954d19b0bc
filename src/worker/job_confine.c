/*
 * job_confine.c: the steps of a job process's confinement, applied in the
 * order job_confine.h explains.  Descriptors, environment, core dumps,
 * limits and no_new_privs are a few system calls each and live here; the
 * file sandbox (sandbox.c), the connect() policy (net_guard.c) and the
 * socket filter (socket_filter.c) are concepts of their own.
 */
#include "job_confine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "net_guard.h"
#include "sandbox.h"
#include "socket_filter.h"

static int
fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

/*
 * 1. The database socket, the signal pipe and other jobs' pipes are none of
 * this process's business: keep 0-2 and the report pipe, close the rest.
 */
static int
keep_descriptors(int report_fd, char *err, size_t errlen)
{
	if (report_fd != JOB_CONFINE_REPORT_FD && dup2(report_fd, JOB_CONFINE_REPORT_FD) < 0)
	{
		/* Then descriptor 3 is not ours to write a report to: close it too. */
		int			saved = errno;

		(void) close_range(JOB_CONFINE_REPORT_FD, ~0U, 0);
		errno = saved;
		return fail(err, errlen, "could not move the report pipe");
	}
	if (close_range(JOB_CONFINE_REPORT_FD + 1, ~0U, 0) != 0)
		for (int fd = JOB_CONFINE_REPORT_FD + 1; fd < 65536; fd++)
			(void) close(fd);
	return 0;
}

/* 2. The daemon's environment (PGPASSWORD and friends) stays with the daemon. */
static int
replace_environment(const char *const *environment, char *err, size_t errlen)
{
	if (clearenv() != 0)
		return fail(err, errlen, "could not clear the environment");
	for (const char *const *e = environment; e && *e; e++)
	{
		const char *eq = strchr(*e, '=');
		char		name[256];

		if (eq == NULL || eq == *e || (size_t) (eq - *e) >= sizeof(name))
		{
			snprintf(err, errlen, "invalid environment entry \"%.40s\"", *e);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int) (eq - *e), *e);
		if (setenv(name, eq + 1, 1) != 0)
			return fail(err, errlen, "could not set the environment");
	}
	return 0;
}

/* A limit no higher than the inherited hard limit, which an unprivileged process cannot raise. */
static int
set_limit(int resource, rlim_t soft, rlim_t hard, const char *what, char *err, size_t errlen)
{
	struct rlimit current;
	struct rlimit limit;

	if (getrlimit(resource, &current) != 0)
		return fail(err, errlen, what);
	limit.rlim_max = hard < current.rlim_max ? hard : current.rlim_max;
	limit.rlim_cur = soft < limit.rlim_max ? soft : limit.rlim_max;
	if (setrlimit(resource, &limit) != 0)
		return fail(err, errlen, what);
	return 0;
}

/*
 * 3. The process's memory holds what it inherited from the daemon (its
 * connection string, its node token): no core file of it, and, not
 * dumpable, no ptrace or /proc/PID/mem by another process of the same user.
 */
static int
no_core_dumps(char *err, size_t errlen)
{
	if (set_limit(RLIMIT_CORE, 0, 0, "could not disable core dumps", err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		return fail(err, errlen, "could not make the process non-dumpable");
	return 0;
}

/* 4. The job's share of the machine; the supervisor explains SIGXCPU and SIGXFSZ. */
static int
resource_limits(const JobConfinement *c, char *err, size_t errlen)
{
	if (c->memory_bytes > 0 &&
		set_limit(RLIMIT_AS, c->memory_bytes, c->memory_bytes, "could not set the memory limit", err, errlen) < 0)
		return -1;
	/* SIGXCPU at the soft limit; the hard limit, a little later, kills one that ignores it. */
	if (c->cpu_seconds > 0 &&
		set_limit(RLIMIT_CPU, c->cpu_seconds, (rlim_t) c->cpu_seconds + 5, "could not set the CPU time limit",
				  err, errlen) < 0)
		return -1;
	if (c->output_bytes > 0 &&
		set_limit(RLIMIT_FSIZE, c->output_bytes, c->output_bytes, "could not set the output size limit",
				  err, errlen) < 0)
		return -1;
	return 0;
}

/* 5. Landlock and seccomp both require it of a process without CAP_SYS_ADMIN. */
static int
no_new_privs(char *err, size_t errlen)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail(err, errlen, "could not set no_new_privs");
	return 0;
}

/* 6. Files: 1 sandboxed, 0 the kernel has no Landlock, -1 failed. */
static int
file_sandbox(const JobConfinement *c, char *err, size_t errlen)
{
	char		why[256];
	int			rc = sandbox_confine(c->read_roots, c->nread_roots, c->write_dir, why, sizeof(why));

	if (rc < 0)
		snprintf(err, errlen, "could not sandbox the job: %s", why);
	return rc;
}

int
job_confine_network(const char *const *allow, int nallow, char *err, size_t errlen)
{
	char		why[256];

	if (net_guard_enable(allow, nallow, why, sizeof(why)) < 0)
	{
		snprintf(err, errlen, "invalid network allow-list: %s", why);
		return -1;
	}
	if (socket_filter_apply(why, sizeof(why)) < 0)
	{
		snprintf(err, errlen, "could not confine the job's sockets: %s", why);
		return -1;
	}
	return 0;
}

int
job_confine_process(const JobConfinement *c, char *err, size_t errlen)
{
	int			sandboxed = 0;

	if (keep_descriptors(c->report_fd, err, errlen) < 0 ||
		replace_environment(c->environment, err, errlen) < 0 ||
		no_core_dumps(err, errlen) < 0 ||
		resource_limits(c, err, errlen) < 0 ||
		no_new_privs(err, errlen) < 0 ||
		(sandboxed = file_sandbox(c, err, errlen)) < 0 ||
		job_confine_network(c->allow_network, c->nallow_network, err, errlen) < 0)
		return -1;
	return sandboxed;
}
