/*
 * protocol.c: the protocol version's rule and the channel name (see
 * protocol.h).
 */
#include "protocol.h"

#include <inttypes.h>
#include <stdio.h>

bool
protocol_compatible(int32_t a, int32_t b)
{
	return a / 100 == b / 100;
}

const char *
protocol_format(int32_t version, char *buf, size_t len)
{
	if (version < 0)
		snprintf(buf, len, "%" PRId32, version);	/* nonsense, shown as sent */
	else
		snprintf(buf, len, "%" PRId32 ".%" PRId32, version / 100, version % 100);
	return buf;
}

const char *
protocol_node_channel(int64_t node_id, char *buf, size_t len)
{
	snprintf(buf, len, PROTOCOL_CHANNEL_PREFIX "%" PRId64, node_id);
	return buf;
}
