/*
 * protocol.h: what the database and the worker must agree on beyond the
 * vocabulary: the protocol version they exchange at registration, the name
 * of the channel a node listens on, and the scheduler's advisory-lock key
 * space.  No PostgreSQL headers: both sides compile it.
 *
 * The version is one integer, major * 100 + minor.  The major number changes
 * when one side could no longer serve the other: a worker call renamed or
 * given a new argument without a default, a result read differently, a new
 * failure reason or state one side would refuse.  The minor number records
 * additions the other side may ignore.  Two sides are compatible when their
 * major numbers are equal; register_node refuses any other worker with
 * SQLSTATE PT426, and the worker then exits with status 76.
 *
 * Release 0.1 had no version; its worker sends none, and counts as 1.0.
 */
#ifndef FFRTMP_COMMON_PROTOCOL_H
#define FFRTMP_COMMON_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTOCOL_VERSION 200	/* 2.0, first spoken by release 0.2 */
#define PROTOCOL_RELEASE "0.2"	/* the first release that speaks PROTOCOL_VERSION */
#define PROTOCOL_VERSION_0_1 100	/* what a worker that sends no version speaks */

/* Same major number: each side can serve the other. */
extern bool protocol_compatible(int32_t a, int32_t b);

/* "2.0" */
extern const char *protocol_format(int32_t version, char *buf, size_t len);

/*
 * The channel dispatch notifies and a node listens on: "ffrtmp_node_<id>",
 * an integer and nothing else, so a LISTEN built from it needs no quoting.
 * The payload is always empty.
 */
#define PROTOCOL_CHANNEL_PREFIX "ffrtmp_node_"
extern const char *protocol_node_channel(int64_t node_id, char *buf, size_t len);

/*
 * The scheduler's advisory locks: a key space SQL cannot reach.  The
 * pg_advisory_* functions use locktag field 4 = 1 and 2; these use 3, so no
 * role can take or squat on them.  The second key says which lock it is.
 */
#define PROTOCOL_LOCK_KEY1	0x66667274	/* "ffrt" */
#define PROTOCOL_LOCK_SPACE	3
#define PROTOCOL_LEADER_LOCK 1		/* session-level: who leads */
#define PROTOCOL_PASS_LOCK	2		/* transaction-level: one pass at a time */

#endif
