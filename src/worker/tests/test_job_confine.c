/*
 * test_job_confine.c: job_confine_process(), the one entry point of a job
 * process's confinement, checked from inside a confined child for every
 * property it promises: the descriptors left, the environment, core dumps,
 * the limits, no_new_privs, the file sandbox and the network policy.  Each
 * step left out of the entry point fails at least one check here.
 *
 * Run as root (as the unit layer is), the child first becomes nobody, as
 * the worker runs unprivileged: without CAP_SYS_ADMIN the kernel refuses
 * Landlock and seccomp to a process without no_new_privs.  The files the
 * sandbox must refuse are world-readable, so only Landlock can refuse them.
 */
#include "../job_confine.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define NOBODY 65534
#define STRAY_FD 1000			/* a descriptor the daemon might hold: must be gone */
#define REPORT_FD_BEFORE 9		/* where the report pipe is before confinement */

static char scratch[] = "/tmp/ffrtmp-job-confine-XXXXXX";
static int	listener;
static int	listener_port;

static void
path_of(const char *relative, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", scratch, relative);
}

static void
make_file(const char *relative)
{
	char		path[512];
	FILE	   *f;

	path_of(relative, path, sizeof(path));
	if ((f = fopen(path, "w")) == NULL)
	{
		perror(path);
		exit(2);
	}
	fputs("data", f);
	fclose(f);
	chmod(path, 0644);
}

static void
make_dir(const char *relative, mode_t mode)
{
	char		path[512];

	path_of(relative, path, sizeof(path));
	mkdir(path, mode);
	chmod(path, mode);
}

static int
can_open(const char *relative, int flags)
{
	char		path[512];
	int			fd;

	path_of(relative, path, sizeof(path));
	if ((fd = open(path, flags, 0644)) < 0)
		return 0;
	close(fd);
	return 1;
}

/* A TCP listener on 127.0.0.1, non-blocking, that no policy entry opens. */
static void
start_listener(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t	len = sizeof(in);

	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *) &in, sizeof(in)) != 0 || listen(listener, 8) != 0 ||
		getsockname(listener, (struct sockaddr *) &in, &len) != 0)
		abort();
	listener_port = ntohs(in.sin_port);
}

static int
accepted(void)
{
	int			n = 0;
	int			client;

	usleep(50 * 1000);
	while ((client = accept(listener, NULL, NULL)) >= 0)
	{
		close(client);
		n++;
	}
	return n;
}

/* Without CAP_SYS_ADMIN, as the worker runs. */
static void
become_nobody(void)
{
	if (getuid() != 0)
		return;
	if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0)
	{
		perror("becoming nobody");
		_exit(2);
	}
	/* The change of user made the process non-dumpable; a daemon started as nobody is dumpable. */
	(void) prctl(PR_SET_DUMPABLE, 1);
}

static int
limit_is(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit l;

	return getrlimit(resource, &l) == 0 && l.rlim_cur == soft && l.rlim_max == hard;
}

/* The descriptors open in this process, as a bit per descriptor 0-4, and 1 << 5 for any above. */
static int
open_descriptors(void)
{
	int			mask = 0;

	for (int fd = 0; fd < 65536; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			mask |= fd < 5 ? 1 << fd : 1 << 5;
	return mask;
}

static int
kernel_has_landlock(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) >= 1;
}

static void
confined_checks(void)
{
	static const char *const environment[] = {"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL};
	char		input_root[512];
	char		write_dir[512];
	const char *roots[1];
	JobConfinement c = {0};
	char		err[512];
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct stat st;
	int			expected_fds = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3);
	int			fd;
	int			rc;

	path_of("input", input_root, sizeof(input_root));
	path_of("out/job", write_dir, sizeof(write_dir));
	roots[0] = input_root;
	c.report_fd = REPORT_FD_BEFORE;
	c.environment = environment;
	c.memory_bytes = 8LL << 30;
	c.cpu_seconds = 600;
	c.output_bytes = 1 << 20;
	c.read_roots = roots;
	c.nread_roots = 1;
	c.write_dir = write_dir;

	become_nobody();
	rc = job_confine_process(&c, err, sizeof(err));
	CHECK(rc >= 0, "the entry point applies every step");
	if (rc < 0)
	{
		printf("# %s\n", err);
		return;
	}

	/* 1. Descriptors. */
	CHECK(open_descriptors() == expected_fds, "only descriptors 0, 1, 2 and the report pipe are open");
	CHECK(fstat(JOB_CONFINE_REPORT_FD, &st) == 0 && S_ISFIFO(st.st_mode) &&
		  write(JOB_CONFINE_REPORT_FD, "report\n", 7) == 7,
		  "the report pipe is descriptor 3, and writable");

	/* 2. Environment. */
	CHECK(environ[0] && environ[1] && !environ[2] && strcmp(environ[0], "PATH=/usr/bin:/bin") == 0 &&
		  strcmp(environ[1], "LC_ALL=C.UTF-8") == 0, "the environment is exactly the entries given");
	CHECK(getenv("PGPASSWORD") == NULL, "the daemon's PGPASSWORD is gone");

	/* 3. Core dumps. */
	CHECK(limit_is(RLIMIT_CORE, 0, 0), "RLIMIT_CORE is 0, soft and hard");
	CHECK(prctl(PR_GET_DUMPABLE) == 0, "the process is not dumpable");

	/* 4. Limits. */
	CHECK(limit_is(RLIMIT_AS, 8LL << 30, 8LL << 30), "RLIMIT_AS is the memory limit");
	CHECK(limit_is(RLIMIT_CPU, 600, 605), "RLIMIT_CPU is the CPU limit, the hard one 5 s later");
	CHECK(limit_is(RLIMIT_FSIZE, 1 << 20, 1 << 20), "RLIMIT_FSIZE is the output size limit");

	/* 5. no_new_privs. */
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs is set");

	/* 6. Files; the kernel is asked apart, so that a sandbox left out cannot pass for a kernel without it. */
	CHECK(rc == (kernel_has_landlock() ? 1 : 0), "the entry point says whether the file sandbox applied");
	if (!kernel_has_landlock())
		printf("# skipped: this kernel has no Landlock, so jobs run without the file sandbox\n");
	else
	{
		CHECK(can_open("input/clip.mp4", O_RDONLY), "a file under the input root can be read");
		CHECK(can_open("out/job/.clip.mp4.partial", O_WRONLY | O_CREAT), "the output directory can be written");
		CHECK(!can_open("elsewhere.txt", O_RDONLY) && errno == EACCES,
			  "a world-readable file outside the roots cannot be read");
		CHECK(!can_open("out/other.mp4", O_RDONLY) && errno == EACCES,
			  "another output beside the job's directory cannot be read");
		CHECK(!can_open("input/planted.mp4", O_WRONLY | O_CREAT) && errno == EACCES,
			  "nothing can be written under the input root");
	}

	/* 7. Network: the connect() policy and the socket filter. */
	to.sin_port = htons(listener_port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *) &to, sizeof(to)) != 0 && errno == EACCES,
		  "a connection to a loopback port is refused by the network policy");
	close(fd);
	CHECK(accepted() == 0, "and the loopback listener saw nothing");
	errno = 0;
	CHECK(socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES,
		  "no Unix-domain socket can be made (the seccomp filter)");
}

static void
failing_step(void)
{
	static const char *const bad_environment[] = {"PATH", NULL};
	static const char *const bad_allow[] = {"10.0.0.0/33"};
	JobConfinement c = {0};
	char		err[512] = "";

	become_nobody();
	c.report_fd = REPORT_FD_BEFORE;
	c.environment = bad_environment;
	CHECK(job_confine_process(&c, err, sizeof(err)) == -1 && strstr(err, "invalid environment entry"),
		  "a step that fails stops the entry point with its message");
	c.report_fd = JOB_CONFINE_REPORT_FD;	/* where the first call moved it */
	c.environment = NULL;
	c.allow_network = bad_allow;
	c.nallow_network = 1;
	CHECK(job_confine_process(&c, err, sizeof(err)) == -1 && strstr(err, "invalid network allow-list"),
		  "so does an invalid allow-list entry, the last step's");
}

/* Runs fn in a child holding what a daemon holds; its checks count here. */
static void
in_child(void (*fn) (void), int pipe_fds[2])
{
	pid_t		pid;
	int			status;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
	{
		checks_passed = checks_failed = 0;
		fn();
		fflush(stdout);
		_exit((checks_failed > 0 ? 128 : 0) | (checks_passed & 127));
	}
	close(pipe_fds[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
	{
		checks_failed++;
		printf("not ok - a child process of the test died\n");
		return;
	}
	checks_passed += WEXITSTATUS(status) & 127;
	checks_failed += (WEXITSTATUS(status) & 128) ? 1 : 0;
}

/* A report pipe whose write end is REPORT_FD_BEFORE, and a stray descriptor, as the daemon would hold them. */
static void
daemon_descriptors(int fds[2])
{
	if (pipe(fds) != 0 || dup2(fds[1], REPORT_FD_BEFORE) < 0 || dup2(fds[0], STRAY_FD) < 0)
		abort();
	close(fds[1]);
	fds[1] = REPORT_FD_BEFORE;
}

int
main(void)
{
	char		command[600];
	char		report[16] = "";
	int			fds[2];

	if (mkdtemp(scratch) == NULL)
	{
		perror("mkdtemp");
		return 2;
	}
	chmod(scratch, 0755);
	make_dir("input", 0777);	/* likewise */
	make_dir("out", 0755);
	make_dir("out/job", 0777);	/* writable by nobody, so only Landlock decides */
	make_file("input/clip.mp4");
	make_file("out/other.mp4");
	make_file("elsewhere.txt");
	chmod(scratch, 0777);
	start_listener();
	setenv("PGPASSWORD", "secret", 1);

	daemon_descriptors(fds);
	in_child(confined_checks, fds);
	CHECK(read(fds[0], report, sizeof(report) - 1) == 7 && strcmp(report, "report\n") == 0,
		  "what the child wrote to descriptor 3 reached the report pipe");
	close(fds[0]);
	close(STRAY_FD);

	daemon_descriptors(fds);
	in_child(failing_step, fds);
	close(fds[0]);
	close(STRAY_FD);

	CHECK(accepted() == 0, "no connection was left unseen");
	snprintf(command, sizeof(command), "rm -rf %s", scratch);
	if (system(command) != 0)
		fprintf(stderr, "could not remove %s\n", scratch);
	return check_summary();
}
