/*
 * test_sandbox.c: what a job's process can still reach once sandboxed.
 * Real files in a scratch directory: an input root, the job's output
 * directory, and a neighbour (another tenant's outputs) it must not touch.
 * The checks run in a child, since the sandbox cannot be left.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../sandbox.h"
#include "check.h"

static char scratch[] = "/tmp/ffrtmp-sandbox-XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE	   *f = fopen(path, "w");

	if (f == NULL)
	{
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static int
can_read(const char *relative)
{
	char		path[512];
	int			fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, relative);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	close(fd);
	return 1;
}

static int
can_create(const char *relative)
{
	char		path[512];
	int			fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, relative);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return 0;
	close(fd);
	return 1;
}

static int
at(const char *relative, char *path)
{
	return snprintf(path, 512, "%s/%s", scratch, relative);
}

static int
sandboxed_checks(void)
{
	const char *roots[1];
	char		input[512];
	char		output[512];
	char		err[256];
	char		a[512];
	char		b[512];
	int			rc;

	at("input", input);
	at("out/acme/job", output);
	roots[0] = input;
	/* As job_confine_process() does before the sandbox: the kernel's condition for it. */
	CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs is set");
	rc = sandbox_confine(roots, 1, output, err, sizeof(err));
	if (rc == 0)
	{
		printf("# skipped: this kernel has no Landlock, so jobs run without the sandbox\n");
		return check_summary();
	}
	CHECK(rc == 1, "the sandbox is applied");

	CHECK(can_read("input/clip.mp4"), "an input under the input root can be read");
	CHECK(!can_read("out/globex/secret.mp4") && errno == EACCES, "another tenant's output cannot be read");
	CHECK(!can_read("elsewhere.txt"), "a file outside every root cannot be read");
	CHECK(can_read("out/acme/job/old.mp4"), "the job's own output directory can be read");
	CHECK(!can_read("out/acme/other.mp4"), "the tenant's other outputs cannot be read");
	CHECK(can_create("out/acme/job/.clip.mp4.partial"), "the partial output can be written");
	at("out/acme/job/.clip.mp4.partial", a);
	at("out/acme/job/clip.mp4", b);
	CHECK(rename(a, b) == 0, "and renamed into place");
	at("out/acme/job/segments", a);
	CHECK(mkdir(a, 0755) == 0, "directories can be made in the output directory");
	CHECK(!can_create("out/globex/planted.mp4"), "nothing can be written in another tenant's directory");
	CHECK(!can_create("input/planted.mp4"), "nothing can be written under an input root");
	CHECK(!can_create("planted.txt"), "nothing can be written anywhere else");
	at("out/acme/job/link", a);
	at("elsewhere.txt", b);
	CHECK(symlink(b, a) != 0, "no symbolic link can be planted, even in the output directory");
	CHECK(link(b, a) != 0, "nor a hard link to a file outside");
	CHECK(open("/usr/lib", O_RDONLY | O_DIRECTORY) >= 0, "libraries stay readable");
	CHECK(open("/etc/resolv.conf", O_RDONLY) >= 0 || errno == ENOENT, "name resolution's files stay readable");
	CHECK(open("/dev/null", O_WRONLY) >= 0, "/dev/null stays writable");
	CHECK(open("/var/lib", O_RDONLY | O_DIRECTORY) < 0 && errno == EACCES, "/var/lib (the database's files) cannot be read");
	CHECK(open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES, "/etc beyond what name resolution and TLS need cannot be read");
	CHECK(open("/etc/ssl/certs", O_RDONLY | O_DIRECTORY) >= 0 || errno == ENOENT, "TLS certificates stay readable");
	CHECK(open("/proc/self/status", O_RDONLY) >= 0, "the process's own /proc entry stays readable");
	CHECK(open("/proc/1/cmdline", O_RDONLY) < 0, "other processes' /proc entries (a parent's command line) cannot be read");
	CHECK(open("/dev/shm", O_RDONLY | O_DIRECTORY) < 0, "shared memory in /dev/shm cannot be reached");
	return check_summary();
}

int
main(void)
{
	char		path[512];
	int			status;
	pid_t		pid;

	if (mkdtemp(scratch) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	for (const char *const *d = (const char *const[]) {"input", "out", "out/acme", "out/acme/job", "out/globex", NULL}; *d; d++)
	{
		at(*d, path);
		mkdir(path, 0755);
	}
	at("input/clip.mp4", path);
	write_file(path, "media");
	at("out/globex/secret.mp4", path);
	write_file(path, "another tenant's");
	at("out/acme/other.mp4", path);
	write_file(path, "an earlier job's");
	at("out/acme/job/old.mp4", path);
	write_file(path, "this job's");
	at("elsewhere.txt", path);
	write_file(path, "private");

	fflush(stdout);
	if ((pid = fork()) == 0)
	{
		status = sandboxed_checks();
		fflush(stdout);
		_exit(status);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	snprintf(path, sizeof(path), "rm -rf %s", scratch);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
