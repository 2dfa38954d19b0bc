/*
 * utf8.h: where text leaves the worker as UTF-8 (a job's log, JSON log
 * lines), bytes that are not UTF-8 are replaced; this tells which.  No
 * library: the webhook daemon, which shares the worker's log, links it too.
 */
#ifndef FFRTMP_WORKER_UTF8_H
#define FFRTMP_WORKER_UTF8_H

/*
 * Length of the valid UTF-8 sequence at p (1 to 4), or 0 when it is not one
 * (an overlong form, a surrogate, past U+10FFFF, cut short by the string's
 * end: as PostgreSQL checks).
 */
extern int	utf8_length(const unsigned char *p);

#endif
