/*
 * The standard streams at the start and the end of a command.  The
 * command's answer is written to stdout, and a script that reads it must
 * know when it is lost: a full disk, a closed stdout.  So the output is
 * flushed and closed before the exit, and a failure is exit 1 with a
 * message (as coreutils and psql do).  The command's transaction is
 * committed by then: only the printing failed (docs/cli.md, exit codes).
 * A reader that stopped early (EPIPE: `ffrtmp jobs list | head -1`) is no
 * error, see main.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static bool stdout_closed;

void
cli_guard_streams(void)
{
	/*
	 * A closed stdin, stdout or stderr would be the next file opened: the
	 * connection's socket, which the answer or an error would then be
	 * written into.  /dev/null takes the place; a closed stdout is still
	 * reported at the end, as a write to it would have failed.
	 */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF && open("/dev/null", O_RDWR) == fd && fd == 1)
			stdout_closed = true;
}

/* Whether stdout is a pipe or a socket, whose reader may have gone. */
static bool
is_pipe(void)
{
	struct stat st;

	return fstat(STDOUT_FILENO, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

int
cli_close_output(int status)
{
	int			err = 0;

	errno = 0;
	if (stdout_closed)
		err = EBADF;
	else if (fflush(stdout) != 0)
		err = errno;
	else if (ferror(stdout))
		/* An earlier write failed; its errno is gone.  On a pipe: the reader left. */
		err = is_pipe() ? EPIPE : EIO;
	if (fclose(stdout) != 0 && err == 0)
		err = errno;
	if (err == 0 || err == EPIPE)
		return status;
	cli_error(NULL, "cannot write the output: %s", strerror(err));
	return status == CLI_OK ? CLI_REFUSED : status;
}
