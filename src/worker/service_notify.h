/*
 * service_notify.h: telling systemd how the worker is (Type=notify): READY=1
 * once first connected and registered, WATCHDOG=1 from the main loop at half
 * the unit's WatchdogSec, STOPPING=1 when it drains, and STATUS= lines for
 * `systemctl status`.  Without NOTIFY_SOCKET (not started by systemd) every
 * call does nothing.
 */
#ifndef FFRTMP_WORKER_SERVICE_NOTIFY_H
#define FFRTMP_WORKER_SERVICE_NOTIFY_H

#include <stdint.h>

/* Reads the watchdog's interval (WATCHDOG_USEC) before anything else; call once. */
extern void service_notify_init(int64_t now_ms);

/* READY=1, the first time only, with a status line. */
extern void service_notify_ready(const char *status);

/* STOPPING=1, with a status line. */
extern void service_notify_stopping(const char *status);

/* A STATUS= line, when it differs from the last one sent. */
extern void service_notify_status(const char *status);

/*
 * WATCHDOG=1 when due; the next time it is due (INT64_MAX: no watchdog).
 * The main loop calls it each turn, and so do the database session's waits
 * that wake at least once a second: waiting for a slow server is not hanging.
 */
extern int64_t service_notify_watchdog(int64_t now_ms);

/* WATCHDOG=1 now, before a call that blocks without waking (a whole interval from here). */
extern void service_notify_watchdog_now(int64_t now_ms);

#endif
