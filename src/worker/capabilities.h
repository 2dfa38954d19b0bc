/*
 * capabilities.h: what this machine offers the scheduler, detected at start:
 * cpu cores, memory, NVIDIA GPUs and the encoders libavcodec really has.
 */
#ifndef FFRTMP_WORKER_CAPABILITIES_H
#define FFRTMP_WORKER_CAPABILITIES_H

#define CAPABILITIES_MAX_ENCODERS 16

typedef struct WorkerCapabilities
{
	int			cpu_cores;		/* 1 to 4096, as register_node accepts */
	int			memory_mb;		/* 0 when unknown */
	int			gpus;			/* NVIDIA device nodes, 0 to 64 */
	const char *encoders[CAPABILITIES_MAX_ENCODERS];	/* libavcodec names */
	int			nencoders;
} WorkerCapabilities;

extern void capabilities_detect(WorkerCapabilities *caps);

#endif
