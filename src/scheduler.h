/*
 * scheduler.h: what the scheduler workers (scheduler.c) and their launcher
 * (launcher.c) share in shared memory.
 */
#ifndef FFRTMP_SCHEDULER_H
#define FFRTMP_SCHEDULER_H

#include "ffrtmp.h"

#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#define FFRTMP_MAX_SCHEDULERS 8

/* How a scheduler worker last left its slot, for the launcher. */
typedef enum SchedulerExit
{
	SCHEDULER_STARTING = 0,		/* started (or crashed before saying more) */
	SCHEDULER_SERVING,			/* found the extension installed */
	SCHEDULER_NO_EXTENSION		/* exited: the extension is not installed */
} SchedulerExit;

typedef struct SchedulerShared
{
	slock_t		mutex;
	int			leader_pgprocno;	/* INVALID_PGPROCNO when none */
	pid_t		leader_pid;
	int64		epoch;
	TimestampTz last_pass;
	/*
	 * When this server began to serve as a primary: the launcher's first
	 * start since shared memory was initialised, which is the end of
	 * recovery (a start, a crash restart, a standby's promotion); until
	 * then, the initialisation.  control_opened says the launcher set it.
	 */
	TimestampTz started_at;
	bool		control_opened;

	/* Manual dispatch: requests, and the last one a completed pass served. */
	uint64		passes_requested;
	uint64		passes_served;
	int			last_assigned;
	ConditionVariable pass_done;

	/* The launcher, and each scheduler worker slot. */
	int			launcher_pgprocno;	/* INVALID_PGPROCNO when none */
	bool		launcher_wake;	/* CREATE EXTENSION asked for schedulers now */
	pid_t		worker_pid[FFRTMP_MAX_SCHEDULERS];	/* 0 when the slot is free */
	SchedulerExit worker_exit[FFRTMP_MAX_SCHEDULERS];

	/* The installed SQL is not the library's version, and that was logged. */
	bool		said_version_skew;
} SchedulerShared;

extern SchedulerShared *ffrtmp_shared;
extern int	ffrtmp_scheduler_count;
extern char *ffrtmp_scheduler_database;

/* launcher.c */
extern void ffrtmp_register_launcher(void);
extern void ffrtmp_wake_launcher_now(void);

#endif							/* FFRTMP_SCHEDULER_H */
