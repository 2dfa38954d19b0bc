/*
 * shmem.c: the one pair of shared memory hooks of the extension.
 *
 * Each module with shared state registers an area from its _init (name,
 * size, pointer, init).  The request hook asks the space of them all; the
 * startup hook creates or attaches them.  It runs in the postmaster, and
 * again in every backend where processes are started with EXEC_BACKEND, so
 * each run sets the module's pointer while only the run that creates an area
 * (!found) initialises it; the postmaster creates them anew after a crash.
 * Areas are handled in the order they were registered.
 */
#include "ffrtmp.h"
#include "shmem.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

/* Enough for the modules there are; registering more is a programming error. */
#define MAX_AREAS 8

static FfrtmpShmemArea areas[MAX_AREAS];
static int	area_count = 0;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
request_shmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	for (int i = 0; i < area_count; i++)
	{
		RequestAddinShmemSpace(MAXALIGN(areas[i].size()));
		if (areas[i].request)
			areas[i].request();
	}
}

static void
startup_shmem(void)
{
	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	for (int i = 0; i < area_count; i++)
	{
		const FfrtmpShmemArea *area = &areas[i];
		Size		size = area->size();
		bool		found;
		void	   *memory = ShmemInitStruct(area->name, size, &found);

		*area->pointer = memory;
		if (!found)
		{
			memset(memory, 0, size);
			if (area->init)
				area->init();
		}
		if (area->attach)
			area->attach();
	}
	LWLockRelease(AddinShmemInitLock);
}

void
ffrtmp_shmem_register(const FfrtmpShmemArea *area)
{
	/* Space can only be requested by libraries the postmaster preloads. */
	if (!process_shared_preload_libraries_in_progress)
		elog(ERROR, "shared memory area \"%s\" registered outside shared_preload_libraries",
			 area->name);
	if (area_count == MAX_AREAS)
		elog(ERROR, "too many shared memory areas: \"%s\" makes %d", area->name, MAX_AREAS + 1);
	if (area_count == 0)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = request_shmem;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = startup_shmem;
	}
	areas[area_count++] = *area;
}
