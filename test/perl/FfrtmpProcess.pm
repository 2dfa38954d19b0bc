# FfrtmpProcess: the background processes of a test file (workers, servers,
# publishers) and waiting on things.
#
#   my $h = start_background([ 'nginx', ... ], "$dir/nginx.out");
#   wait_until(sub { ...true when ready... }, 20) or BAIL_OUT(...);
#   stop_process($h);                 # TERM, then KILL after 10 s
#
# Whatever is still running when the test file exits is stopped then, even
# when the file died half way.  Background processes read /dev/null and
# write to files, with no pipes, so that IPC::Run's pumpable() tells when
# they have exited.
package FfrtmpProcess;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run ();
use Test::More ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(wait_until start_background stop_process track_pid forget_pid);

my @to_stop;    # harnesses and pids cleaned up at exit, whatever happened

# Polls $code every 0.1 s until it returns true or $timeout seconds (default
# 60) pass; returns its last value.
sub wait_until
{
	my ($code, $timeout) = @_;
	my $deadline = time + ($timeout // 60);
	my $value;
	while (1)
	{
		$value = $code->();
		return $value if $value || time > $deadline;
		sleep 0.1;
	}
}

# Starts @$cmd in the background, its output appended to $log (default
# /dev/null); returns the IPC::Run harness.
sub start_background
{
	my ($cmd, $log) = @_;
	my $h = IPC::Run::start($cmd, '<', '/dev/null', '>>', $log // '/dev/null', '2>&1');
	push @to_stop, $h;
	return $h;
}

# Stops a process started with start_background: $signal (default TERM),
# then KILL after $grace seconds (default 10).  Returns its wait status
# (0 for exit status 0).
sub stop_process
{
	my ($h, $signal, $grace) = @_;
	return undef unless $h;
	if ($h->pumpable)
	{
		$h->signal($signal // 'TERM');
		unless (wait_until(sub { !$h->pumpable }, $grace // 10))
		{
			Test::More::diag('a background process did not stop; killing it');
			$h->signal('KILL');
		}
	}
	eval { $h->finish };
	return $h->full_result || 0;    # IPC::Run gives '' for status 0
}

# A forked child to stop (TERM) at exit unless forgotten first.
sub track_pid  { push @to_stop, $_[0] }
sub forget_pid { my ($pid) = @_; @to_stop = grep { ref $_ || $_ != $pid } @to_stop }

END
{
	my $rc = $?;
	for my $thing (reverse @to_stop)
	{
		if (ref $thing)
		{
			eval { stop_process($thing, 'TERM', 5) if $thing->pumpable };
		}
		elsif (kill 0, $thing)
		{
			kill 'TERM', $thing;
			waitpid($thing, 0);
		}
	}
	$? = $rc;
}

1;
