/*
 * shmem.h: the extension's shared memory areas, set up in one place
 * (shmem.c).  A module describes its area from its _init, during _PG_init;
 * shmem.c requests the space and creates or attaches every area.
 */
#ifndef FFRTMP_SHMEM_H
#define FFRTMP_SHMEM_H

typedef struct FfrtmpShmemArea
{
	/* ShmemInitStruct's key, shown by pg_shmem_allocations. */
	const char *name;
	/* The area's size; asked at request time, when GUCs are read. */
	Size		(*size) (void);
	/* The module's pointer, set in every process that attaches. */
	void	  **pointer;
	/* Once, when the area is first created (zeroed); NULL: nothing more. */
	void		(*init) (void);
	/* Optional: more requests (space of its hash tables, LWLock tranches). */
	void		(*request) (void);
	/* Optional: after every attach, under AddinShmemInitLock (ShmemInitHash). */
	void		(*attach) (void);
} FfrtmpShmemArea;

/* Registers an area; only while shared_preload_libraries load. */
extern void ffrtmp_shmem_register(const FfrtmpShmemArea *area);

#endif
