/*
 * job_run.h: one job's transcode, as its forked child process runs it, and
 * the line protocol it speaks to the supervisor on a pipe.
 *
 * Each line is one report, at most JOB_RUN_LINE_MAX bytes:
 *
 *   progress {"frames": 120, "fps": 59.8, "speed": 2.0, "percent": 40.0, ...}
 *   done {"duration": 10.0, "size": 123456, "streams": [...], ...}
 *   failed <failure_reason> <message>
 *
 * failure_reason is one of the classes of common/failure_reasons.h, as the
 * database names them (input_error, user_error, network_error...).
 * A child that exits without "done" or "failed" (a crash, a limit) is the
 * supervisor's to explain from its wait status.
 */
#ifndef FFRTMP_WORKER_JOB_RUN_H
#define FFRTMP_WORKER_JOB_RUN_H

#include <stddef.h>
#include <stdint.h>

#define JOB_RUN_LINE_MAX 8192

typedef struct JobRunRequest
{
	int64_t		job_id;
	int			attempt;
	const char *tenant_id;		/* uuid text; outputs go under output_root/tenant_id */
	const char *input_url;
	const char *output_url;		/* relative path, rtmp(s):// URL, or NULL (worker chooses) */
	const char *params_json;
	int			cpu_cores;		/* bounds encoder threads */
	int			gpus;

	/* From the worker's configuration */
	const char *const *input_roots;
	int			ninput_roots;
	const char *output_root;
	int			io_timeout_ms;	/* a network input or output silent this long fails */
	const char *const *allow_network;	/* what the network policy opens (net_guard.h) */
	int			nallow_network;
} JobRunRequest;

/*
 * Where the job's output will be, decided without touching the disk beyond
 * confinement checks: the final path (or URL) and the partial path written
 * until completion ("" for network outputs).  The supervisor uses the
 * partial path to clean up after a child it had to kill.  Returns 0, or -1
 * with *why.
 */
extern int	job_run_output_paths(const JobRunRequest *req, char *final_path, size_t final_len,
								 char *partial_path, size_t partial_len, const char **why);

/*
 * What the job's process may open once confined (job_confine.h), from the
 * paths job_run_output_paths() decided: *read_roots (the input roots, for a
 * file input; else none) and write_dir (the output's directory; "" for a
 * network output).
 */
extern void job_run_file_access(const JobRunRequest *req, const char *final_path, const char *partial_path,
								const char *const **read_roots, int *nread, char *write_dir,
								size_t write_len);

/*
 * Removes whatever a stopped or failed attempt left: the partial file, or an
 * HLS output's partial playlists and segments.  Safe to call more than once.
 */
extern void job_run_discard(const JobRunRequest *req);

/*
 * Runs the job in the calling (child) process, already confined (see
 * job_process.c), writing reports to report_fd.
 * Stops early, removing partial output, once *stop becomes non-zero (set it
 * from a SIGTERM handler).  Returns the process exit status: 0 done, 1 failed.
 */
extern int	job_run(const JobRunRequest *req, int report_fd, volatile int *stop);

#endif
