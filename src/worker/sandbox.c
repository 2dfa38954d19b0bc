/*
 * sandbox.c: Landlock rules for a job's process (see sandbox.h).
 *
 * glibc has no wrappers for the Landlock system calls, so they are called
 * through syscall(2).  The rights handled grow with the kernel's ABI; rights
 * a kernel does not know are left out rather than refused, so an older
 * kernel still confines what it can.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ABI 3 (Linux 6.2), newer than Debian 12's headers; the value is kernel ABI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
					 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

#define READ_RIGHTS (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* Every file-system right of Landlock ABI 1. */
#define ABI1_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
					 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
					 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
					 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
					 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
					 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
					 LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Writing an output: files and directories, renames within it; no devices, links or sockets. */
#define WRITE_RIGHTS (READ_RIGHTS | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
					  LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
					  LANDLOCK_ACCESS_FS_MAKE_REG)

static int
fail(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
	return -1;
}

/* Allows rights beneath path; a path that does not exist is skipped. */
static int
allow(int ruleset, const char *path, __u64 rights, __u64 handled, char *err, size_t errlen)
{
	struct landlock_path_beneath_attr rule = {0};
	struct stat st;
	int			fd = open(path, O_PATH | O_CLOEXEC);
	int			rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : fail(err, errlen, path);
	rule.parent_fd = fd;
	rule.allowed_access = rights & handled;
	/* A rule on a single file may carry only the rights that apply to files. */
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rule.allowed_access &= FILE_RIGHTS;
	rc = (int) syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	close(fd);
	return rc == 0 ? 0 : fail(err, errlen, path);
}

int
sandbox_confine(const char *const *read_roots, int nread, const char *write_dir, char *err, size_t errlen)
{
	/*
	 * Libraries, and what name resolution and TLS read from /etc; not the
	 * rest of /etc, where a worker's configuration (and its connection
	 * string) lives.  Links are followed when the rules are made, so a
	 * resolv.conf that points into /run is allowed where it points.
	 */
	static const char *const system_paths[] = {
		"/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf",
		"/etc/nsswitch.conf", "/etc/gai.conf", "/etc/services", "/etc/protocols", "/etc/localtime",
		"/etc/ssl", "/etc/ca-certificates", "/etc/gnutls", "/etc/crypto-policies",
		"/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/sys/devices/system/cpu",
		"/sys/fs/cgroup"
	};

	/* Devices a transcode opens: the null and random devices, and GPUs (/dev/nvidia*, /dev/dri). */
	static const char *const device_paths[] = {
		"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/nvidiactl", "/dev/nvidia-uvm",
		"/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2",
		"/dev/nvidia3", "/dev/nvidia4", "/dev/nvidia5", "/dev/nvidia6", "/dev/nvidia7", "/dev/dri"
	};
	struct landlock_ruleset_attr attr = {0};
	long		abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	__u64		handled = ABI1_RIGHTS;
	__u64		write_rights = WRITE_RIGHTS;
	int			ruleset;
	int			rc = 0;

	if (abi < 1)
		return 0;
	if (abi >= 2)
		handled |= LANDLOCK_ACCESS_FS_REFER, write_rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		handled |= LANDLOCK_ACCESS_FS_TRUNCATE, write_rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	attr.handled_access_fs = handled;
	if ((ruleset = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0)) < 0)
		return fail(err, errlen, "could not create a Landlock ruleset");

	for (size_t i = 0; rc == 0 && i < sizeof(system_paths) / sizeof(system_paths[0]); i++)
		rc = allow(ruleset, system_paths[i], READ_RIGHTS | LANDLOCK_ACCESS_FS_EXECUTE, handled, err, errlen);
	for (size_t i = 0; rc == 0 && i < sizeof(device_paths) / sizeof(device_paths[0]); i++)
		rc = allow(ruleset, device_paths[i], READ_RIGHTS | LANDLOCK_ACCESS_FS_WRITE_FILE, handled, err, errlen);
	for (int i = 0; rc == 0 && i < nread; i++)
		rc = allow(ruleset, read_roots[i], READ_RIGHTS, handled, err, errlen);
	if (rc == 0 && write_dir)
		rc = allow(ruleset, write_dir, write_rights, handled, err, errlen);

	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0)
		rc = fail(err, errlen, "could not enter the Landlock sandbox");
	close(ruleset);
	return rc == 0 ? 1 : -1;
}
