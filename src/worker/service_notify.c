/*
 * service_notify.c: systemd's notification protocol, through libsystemd's
 * sd_notify() (see service_notify.h).
 *
 * The watchdog is kept from the main loop, not from a thread of its own, so
 * that a loop that hangs stops it and systemd restarts the worker: that is
 * what it is for.
 */
#include "service_notify.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

static int64_t watchdog_every_ms;	/* 0: no watchdog */
static int64_t watchdog_next_ms;
static int	ready_sent;
static char last_status[256];

void
service_notify_init(int64_t now_ms)
{
	uint64_t	usec = 0;

	/* Half the interval: a late loop turn must not look like a hung one. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
	{
		watchdog_every_ms = (int64_t) (usec / 2000);
		if (watchdog_every_ms < 1)
			watchdog_every_ms = 1;
		watchdog_next_ms = now_ms;
	}
}

static void
send_status(const char *state, const char *status)
{
	snprintf(last_status, sizeof(last_status), "%s", status);
	if (state != NULL)
		(void) sd_notifyf(0, "%s\nSTATUS=%s", state, status);
	else
		(void) sd_notifyf(0, "STATUS=%s", status);
}

void
service_notify_ready(const char *status)
{
	if (ready_sent)
	{
		service_notify_status(status);
		return;
	}
	ready_sent = 1;
	send_status("READY=1", status);
}

void
service_notify_stopping(const char *status)
{
	send_status("STOPPING=1", status);
}

void
service_notify_status(const char *status)
{
	if (strncmp(status, last_status, sizeof(last_status) - 1) != 0)
		send_status(NULL, status);
}

void
service_notify_watchdog_now(int64_t now_ms)
{
	if (watchdog_every_ms == 0)
		return;
	(void) sd_notify(0, "WATCHDOG=1");
	watchdog_next_ms = now_ms + watchdog_every_ms;
}

int64_t
service_notify_watchdog(int64_t now_ms)
{
	if (watchdog_every_ms == 0)
		return INT64_MAX;
	if (now_ms >= watchdog_next_ms)
		service_notify_watchdog_now(now_ms);
	return watchdog_next_ms;
}
