/*
 * capabilities.c: detecting what this machine offers (see capabilities.h).
 *
 * The encoder list is what libavcodec links, not what a package name
 * promises: a distribution may build FFmpeg without x265 or SVT-AV1.  NVENC
 * encoders are compiled into Debian's libavcodec whether or not the machine
 * has a GPU, so they are listed only when an NVIDIA device node exists;
 * otherwise the scheduler would send GPU work to a machine that fails it.
 */
#include "capabilities.h"

#include <ctype.h>
#include <dirent.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

/* The encoders jobs can ask for (see job_params_encoder), in a stable order. */
static const char *const known_encoders[] = {
	"libx264", "libx265", "libvpx-vp9", "libsvtav1", "libaom-av1", "aac", "libopus",
	"h264_nvenc", "hevc_nvenc", NULL
};

static int
clamp(long value, int min, int max)
{
	return value < min ? min : value > max ? max : (int) value;
}

/* The CPUs this process may run on: a cpuset (container, taskset) may allow fewer than exist. */
static int
detect_cpu_cores(void)
{
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return clamp(CPU_COUNT(&set), 1, 4096);
	return clamp(sysconf(_SC_NPROCESSORS_ONLN), 1, 4096);
}

static int
detect_memory_mb(void)
{
	long		pages = sysconf(_SC_PHYS_PAGES);
	long		page_size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || page_size <= 0)
		return 0;
	return clamp((long) ((unsigned long long) pages * page_size / (1024 * 1024)), 0, 2147483647);
}

/* /dev/nvidia0, /dev/nvidia1...; not nvidiactl, nvidia-uvm and the like. */
static int
detect_gpus(void)
{
	DIR		   *dev = opendir("/dev");
	struct dirent *entry;
	int			count = 0;

	if (dev == NULL)
		return 0;
	while ((entry = readdir(dev)) != NULL)
	{
		const char *digits = entry->d_name + strlen("nvidia");

		if (strncmp(entry->d_name, "nvidia", strlen("nvidia")) != 0 || *digits == '\0')
			continue;
		while (isdigit((unsigned char) *digits))
			digits++;
		if (*digits == '\0')
			count++;
	}
	closedir(dev);
	return clamp(count, 0, 64);
}

void
capabilities_detect(WorkerCapabilities *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->cpu_cores = detect_cpu_cores();
	caps->memory_mb = detect_memory_mb();
	caps->gpus = detect_gpus();
	for (const char *const *name = known_encoders; *name; name++)
	{
		if (strstr(*name, "_nvenc") != NULL && caps->gpus == 0)
			continue;
		if (avcodec_find_encoder_by_name(*name) != NULL)
			caps->encoders[caps->nencoders++] = *name;
	}
}
