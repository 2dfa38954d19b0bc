/*
 * output_staging.h: a file output is written under a partial name beside its
 * final path, and an HLS output (many files) in a staging directory beside
 * its playlist; publishing renames them into place, discarding removes them.
 * Either way a failed transcode never touches an earlier output at the final
 * path.  Shared by the worker's jobs (job_run.c) and ffrtmp-transcode.
 */
#ifndef FFRTMP_WORKER_OUTPUT_STAGING_H
#define FFRTMP_WORKER_OUTPUT_STAGING_H

#include <stddef.h>
#include <stdint.h>

/* An HLS output's playlist path is names_hls_playlist()'s (../common/names.h). */

/*
 * Where final_path is written until it is complete: partial_name() for a
 * file, ".<playlist>.partial" for an HLS staging directory; with attempt >= 0
 * the attempt's number comes before ".partial" (".name.<attempt>.partial").
 */
extern int	output_staging_path(const char *final_path, int attempt, char *out, size_t outlen);

/*
 * Makes ready to write: creates the partial file, or for HLS the staging
 * directory, afresh (a leftover of that name removed, a link there never
 * followed).  Sets write_to to what the transcode is to write (the
 * partial file, or the playlist's name in the staging directory).  Returns 0,
 * or -1 with errno.
 */
extern int	output_stage(const char *final_path, const char *staging, int hls, char *write_to, size_t len);

/*
 * Moves a finished output into place (for HLS: segments first, variant
 * playlists next, the playlist of final_path last) and sets *bytes to its
 * size.  Returns 0, or -1 with errno.
 */
extern int	output_publish(const char *final_path, const char *staging, int hls, int64_t *bytes);

/* Removes what a failed or stopped transcode wrote, and only that. */
extern void output_discard(const char *staging, int hls);

/*
 * Creates the directories above path, from its byte from onwards (mkdir -p,
 * mode 0755).  Returns the length of the topmost one it created, 0 if none.
 */
extern size_t output_make_parents(const char *path, size_t from);

/* Removes, where empty, the directories output_make_parents created (top: what it returned). */
extern void output_unmake_parents(const char *path, size_t top);

#endif
